"""Where benchmark scripts find ../shared (override with $ZERONAS_SHARED), and what every
benchmark process shares with the ``zeronas`` command: its allocator setting (importing this
module applies it, so that a benchmark measures what the command runs)."""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from zeronas.execution.allocator import keep_freed_memory

keep_freed_memory()  # as the command line and its worker processes do

SHARED = Path(os.environ.get("ZERONAS_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def shared_path(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        sys.exit(f"{path} not found: set ZERONAS_SHARED to the shared/ folder")
    return path


#: The shared real-image samples, per dataset.
NPZ = {
    "cifar10": "images/cifar10_960_augtrain_uint8.npz",
    "cifar100": "images/cifar100_960_augtrain_uint8.npz",
    "ImageNet16-120": "images/imagenet16_1000cls_960_uint8.npz",
}


def npz_data(dataset: str) -> str:
    """The ``--data`` value of the shared real-image sample of ``dataset``."""
    return f"npz:{shared_path(NPZ[dataset])}"


def labelled_data(dataset: str) -> str:
    """The ``--data`` of a labelled batch of ``dataset``: for ImageNet16-120, the images of the
    shared 1000-class sample whose 1-based label is one of the first 120 classes (106 of
    960), relabelled 0..119, written once to the temporary folder."""
    if dataset != "ImageNet16-120":
        return npz_data(dataset)
    arrays = np.load(shared_path(NPZ[dataset]))
    keep = (arrays["y"] >= 1) & (arrays["y"] <= 120)
    path = Path(tempfile.gettempdir()) / "zeronas_imagenet16_120_labelled.npz"
    np.savez(path, x=arrays["x"][keep], y=arrays["y"][keep] - 1)
    return f"npz:{path}"


def fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


def cpu_flags() -> str:
    """The CPU's matmul-relevant flags (speed claims name them)."""
    try:
        with open("/proc/cpuinfo") as handle:
            words = set(handle.read().split())
    except OSError:
        return "unknown"
    return " ".join(
        f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in words
    )
