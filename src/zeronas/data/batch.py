"""The run's one fixed, seeded, normalised mini-batch (:class:`Batch`), and how an array of
images becomes one (:func:`make_batch`). Where the images come from is a data source
(:mod:`zeronas.data.sources`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from zeronas.data.tasks import DatasetSpec
from zeronas.errors import DataError

__all__ = ["BATCH_SIZES", "Batch", "make_batch", "valid_batch_size"]

#: What a batch size may be (said in errors and help).
BATCH_SIZES = "an integer >= 1"


def valid_batch_size(value: object) -> bool:
    """The one check of a batch size: an int (not a bool) >= 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True)
class Batch:
    """A normalised mini-batch and where it came from."""

    x: torch.Tensor
    y: torch.Tensor | None
    source: str
    synthetic: bool
    label_note: str | None = None

    @property
    def size(self) -> int:
        """Images in the batch (the run's ``batch_size``)."""
        return int(self.x.shape[0])

    @property
    def fingerprint(self) -> str:
        """Short SHA-256 of the input tensor: part of every cache key."""
        data = self.x.detach().cpu().contiguous().numpy().tobytes()
        return hashlib.sha256(data).hexdigest()[:16]

    def describe(self) -> dict[str, object]:
        return {
            "source": self.source,
            "synthetic": self.synthetic,
            "batch_size": self.size,
            "shape": list(self.x.shape[1:]),
            "fingerprint": self.fingerprint,
            "labels": self.label_note or ("none" if self.y is None else "given"),
        }


def make_batch(
    images: np.ndarray,
    labels: np.ndarray | None,
    dataset: DatasetSpec,
    batch_size: int,
    rng: np.random.Generator,
    source: str,
) -> Batch:
    if images.ndim != 4 or tuple(images.shape[1:]) != dataset.input_shape:
        raise DataError(
            f"Images from {source!r} have shape {tuple(images.shape[1:])} per image, but dataset "
            f"{dataset.name!r} expects {dataset.input_shape} (C, H, W)"
        )
    if len(images) < batch_size:
        raise DataError(f"{source!r} holds {len(images)} images, fewer than batch {batch_size}")
    pick = rng.choice(len(images), size=batch_size, replace=False)
    x = torch.from_numpy(images[pick].astype(np.float32) / 255.0)
    mean = torch.tensor(dataset.mean).view(1, -1, 1, 1)
    std = torch.tensor(dataset.std).view(1, -1, 1, 1)
    y = None if labels is None else torch.as_tensor(np.asarray(labels)[pick], dtype=torch.long)
    note = None
    if y is not None and (int(y.min()) < 0 or int(y.max()) >= dataset.num_classes):
        note = (
            f"labels {int(y.min())}..{int(y.max())} of {source!r} are outside {dataset.name}'s "
            f"classes 0..{dataset.num_classes - 1}"
        )
        y = None
    return Batch((x - mean) / std, y, source, False, note)
