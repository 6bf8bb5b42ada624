"""Where benchmark scripts find ../shared (override with $ZERONAS_SHARED)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
