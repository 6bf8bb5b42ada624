"""Latency the way a network will be deployed: exported to ONNX and run by ONNX
Runtime on this machine, batch 1, ``threads`` intra-op threads, ``warmup`` runs discarded,
then the median of ``repeats`` runs, in milliseconds.

The export uses PyTorch's TorchScript-based ONNX exporter (tens of milliseconds per network;
the torch.export-based one takes seconds), falling back to the torch.export-based one where
the former is unavailable. Graph optimisations are ONNX Runtime's default (all), as a
deployment would run.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["Measurement", "onnx_bytes", "measure_onnx_ms"]


def onnx_bytes(net: nn.Module, input_shape: tuple[int, ...]) -> bytes:
    """``net`` in eval mode as an ONNX model of a batch-1 input of ``input_shape``."""
    net.eval()
    example = torch.zeros((1, *input_shape))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(net, (example,), buffer, input_names=["x"], dynamo=False)
        except (RuntimeError, TypeError, NotImplementedError):
            buffer = io.BytesIO()
            torch.onnx.export(net, (example,), buffer, input_names=["x"], dynamo=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class Measurement:
    """Median and 90th percentile of the timed runs, in milliseconds."""

    median_ms: float
    p90_ms: float
    threads: int
    repeats: int


def measure_onnx_ms(
    net: nn.Module,
    input_shape: tuple[int, ...],
    threads: int = 1,
    warmup: int = 10,
    repeats: int = 50,
) -> Measurement:
    """ONNX Runtime latency of ``net`` on one input of ``input_shape`` (module docstring)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        onnx_bytes(net, input_shape), options, providers=["CPUExecutionProvider"]
    )
    feed = {session.get_inputs()[0].name: np.zeros((1, *input_shape), dtype=np.float32)}
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        session.run(None, feed)
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    return Measurement(statistics.median(times), float(np.percentile(times, 90)), threads, repeats)
