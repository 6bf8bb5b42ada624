"""``zeronas export --int8``: a trained network as a full-integer ``.tflite`` and the C source
an MCU project compiles in, then run in TFLite Micro on the test split of an image folder:
int8 and fp32 accuracy side by side, the arena and flash it needs (measured by the runtime,
beside the estimate the search used) and whether it fits the limits.

Calibration: the first ``calibration_images`` of a seeded shuffle of the folder's train
split (val excluded when carved), resized and normalised as in training, without
augmentation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from zeronas.data.imagefolder import open_split
from zeronas.data.tasks import DatasetSpec
from zeronas.deploy.tflite import MicroRuntime, c_array, convert_int8
from zeronas.errors import DataError, ZeroNASError
from zeronas.hardware.costs import int8_graph
from zeronas.hardware.int8_memory import int8_footprint
from zeronas.hardware.limits import Limits
from zeronas.spaces.base import SearchSpace

__all__ = ["export_int8", "normalised"]


def normalised(images: np.ndarray, spec: DatasetSpec) -> np.ndarray:
    """uint8 N x C x H x W images as the float inputs training used (scale, mean, std)."""
    mean = np.asarray(spec.mean, np.float32)[None, :, None, None]
    std = np.asarray(spec.std, np.float32)[None, :, None, None]
    return (images.astype(np.float32) / 255.0 - mean) / std


def _batches(split, rows: np.ndarray, spec: DatasetSpec, size: int = 64):
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        yield normalised(split.images(chunk), spec), split.labels[chunk]


def export_int8(
    net: nn.Module,
    space: SearchSpace,
    arch: Hashable,
    spec: DatasetSpec,
    folder: str,
    out_dir: Path,
    limits: Limits | None = None,
    calibration_images: int = 256,
    test_images: int | None = None,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Convert, write ``model.tflite`` and ``model_data.cc``, run the test split in TFLite
    Micro (module docstring); the report as a JSON-ready dict."""
    if calibration_images < 1:
        raise ZeroNASError(f"--calibration-images must be >= 1, got {calibration_images}")
    if test_images is not None and test_images < 1:
        raise ZeroNASError(f"--test-images must be >= 1, got {test_images}")
    size = spec.input_shape[1:]
    train, test = open_split(folder, "train", size), open_split(folder, "test", size)
    if len(train.classes) != spec.num_classes:
        raise DataError(
            f"{folder!r} has {len(train.classes)} classes, the {spec.name} task "
            f"{spec.num_classes}: pick the task that matches (--dataset)"
        )
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(train))[:calibration_images]
    calibration = (torch.from_numpy(x) for x, _ in _batches(train, chosen, spec))
    net = net.eval()
    start = time.perf_counter()
    data = convert_int8(net, spec.input_shape, calibration)
    convert_seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    tflite, source = out_dir / "model.tflite", out_dir / "model_data.cc"
    _write_atomic(tflite, data)
    _write_atomic(source, c_array(data).encode())

    runtime = MicroRuntime(data)
    arena = runtime.arena()
    rows = np.arange(len(test)) if test_images is None else np.arange(min(test_images, len(test)))
    fp32_right = int8_right = agree = done = 0
    start = time.perf_counter()
    for images, labels in _batches(test, rows, spec):
        with torch.inference_mode():
            fp32 = net(torch.from_numpy(images)).argmax(1).numpy()
        int8 = runtime.logits(images).argmax(1)
        fp32_right += int((fp32 == labels).sum())
        int8_right += int((int8 == labels).sum())
        agree += int((fp32 == int8).sum())
        done += len(labels)
        if on_progress is not None:
            on_progress(done, len(rows))
    tflm_seconds = time.perf_counter() - start
    report: dict[str, Any] = {
        "tflite": str(tflite),
        "c_source": str(source),
        "flash_bytes": len(data),
        "arena_bytes": arena.total,
        "arena": {"head": arena.head, "tail": arena.tail, "parts": arena.parts},
        "test_images": int(len(rows)),
        "fp32_accuracy": 100.0 * fp32_right / len(rows),
        "int8_accuracy": 100.0 * int8_right / len(rows),
        "int8_fp32_agreement": 100.0 * agree / len(rows),
        "calibration_images": int(len(chosen)),
        "convert_seconds": convert_seconds,
        "tflm_ms_per_image": 1000.0 * tflm_seconds / len(rows),
        "runtime": "tflite-micro Python interpreter (TFLM reference kernels)",
    }
    if hasattr(space, "graph"):
        estimate = int8_footprint(int8_graph(space, arch, spec))
        report["estimate"] = {"arena_bytes": estimate.arena, "flash_bytes": estimate.flash}
    if limits is not None and limits.needs_int8:
        report["limits"] = {"mcu": limits.mcu, "max_sram_kib": limits.max_sram_kib,
                            "max_flash_kib": limits.max_flash_kib}  # fmt: skip
        sram_ok = limits.max_sram_kib is None or arena.total / 1024 <= limits.max_sram_kib
        flash_ok = limits.max_flash_kib is None or len(data) / 1024 <= limits.max_flash_kib
        report["fits"] = sram_ok and flash_ok
    return report


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
