"""Data shipped inside the package (see ``PROVENANCE.md`` beside this file), so that a fresh
install searches on real images and reports ground truth with no flags: the NATS-TSS
200-epoch test accuracies of all 15,625 cells, and one batch of 128 real training images for
CIFAR-10 and CIFAR-100. ImageNet-derived images are not shipped (their terms forbid it).
Made by ``tools/make_embedded_data.py``."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

__all__ = ["EMBEDDED_IMAGES", "embedded_images", "nats_tss_accuracy"]

#: dataset -> file of its embedded image batch
EMBEDDED_IMAGES = {"cifar10": "cifar10_batch.npz", "cifar100": "cifar100_batch.npz"}


def _load(name: str) -> dict[str, np.ndarray]:
    path = resources.files(__name__).joinpath(name)
    with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def embedded_images(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 N x 3 x H x W, y) of the batch shipped for ``dataset`` (KeyError if none)."""
    arrays = _load(EMBEDDED_IMAGES[dataset])
    return arrays["x"], arrays["y"]


@cache
def nats_tss_accuracy() -> tuple[np.ndarray, tuple[str, ...]]:
    """(test accuracy % of every NATS-TSS cell in index order x its datasets, dataset names)."""
    arrays = _load("nats_tss_test_acc.npz")
    names = tuple(str(d) for d in arrays["datasets"])
    return arrays["test_acc"].astype(np.float64) / 10000.0, names
