"""Export a network for deployment: ONNX (checked against PyTorch with onnxruntime) and a
plain PyTorch bundle (state dict + the arch spec that rebuilds the module)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from zeronas.errors import ZeroNASError
from zeronas.spaces import get_space
from zeronas.spaces.base import SearchSpace

__all__ = ["export_onnx", "check_onnx", "save_bundle", "load_bundle", "BUNDLE_VERSION"]

BUNDLE_VERSION = 1


def export_onnx(net: nn.Module, input_shape: tuple[int, int, int], path: Path) -> Path:
    """``net`` (eval mode) as ONNX with a dynamic batch axis: input ``images``, output
    ``logits`` (torch.export-based exporter)."""
    net.eval()
    example = torch.zeros((2, *input_shape))
    batch = torch.export.Dim("batch", min=1)
    with contextlib.redirect_stdout(io.StringIO()):  # the exporter narrates its passes
        torch.onnx.export(
            net, (example,), str(path), input_names=["images"], output_names=["logits"],
            dynamic_shapes=({0: batch},), dynamo=True, verbose=False, external_data=False,
        )  # fmt: skip
    return path


def check_onnx(
    net: nn.Module, path: Path, input_shape: tuple[int, int, int], batch: int = 4, seed: int = 0
) -> float:
    """Largest |onnxruntime − PyTorch| over the logits of a random batch (eval mode)."""
    import onnxruntime

    x = torch.randn((batch, *input_shape), generator=torch.Generator().manual_seed(seed))
    net.eval()
    with torch.inference_mode():
        expected = net(x).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return float(np.abs(got - expected).max())


def save_bundle(
    net: nn.Module,
    space: SearchSpace,
    arch: Hashable,
    num_classes: int,
    input_shape: tuple[int, int, int],
    path: Path,
) -> Path:
    """A plain ``torch.save`` of the state dict and everything needed to rebuild the module."""
    bundle = {
        "format": "zeronas-bundle",
        "version": BUNDLE_VERSION,
        "space": space.name,
        "arch": space.encode(arch),
        "num_classes": num_classes,
        "input_shape": list(input_shape),
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
    }
    torch.save(bundle, path)
    return path


def load_bundle(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """The module a bundle describes, with its weights loaded, and the bundle's metadata."""
    try:
        bundle = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise ZeroNASError(f"cannot read model bundle {str(path)!r}: {exc}") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != "zeronas-bundle":
        raise ZeroNASError(f"{str(path)!r} is not a zeronas model bundle")
    space = get_space(bundle["space"])
    arch = space.decode(bundle["arch"])
    net = space.build(arch, bundle["num_classes"], tuple(bundle["input_shape"]))
    net.load_state_dict(bundle["state_dict"])
    meta = {k: v for k, v in bundle.items() if k != "state_dict"}
    return net.eval(), meta
