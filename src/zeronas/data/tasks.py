"""Tasks a network is scored for: class count, input shape, normalisation, ground-truth column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeronas.errors import ZeroNASError
from zeronas.registry import Registry

__all__ = ["DatasetSpec", "DATASETS", "FOLDER_TASK", "get_dataset", "list_datasets"]


@dataclass(frozen=True)
class DatasetSpec:
    """``name`` is also the suffix of the ground-truth columns (``test_acc_<name>``)."""

    name: str
    num_classes: int
    input_shape: tuple[int, int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    description: str = ""


_CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
_CIFAR_STD = (0.2023, 0.1994, 0.2010)
_IN16_MEAN = (0.4811, 0.4575, 0.4079)
_IN16_STD = (0.2479, 0.2402, 0.2553)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)

DATASETS: Registry[DatasetSpec] = Registry("dataset")
for _spec in (
    DatasetSpec("cifar10", 10, (3, 32, 32), _CIFAR_MEAN, _CIFAR_STD, "CIFAR-10, 32x32"),
    DatasetSpec("cifar100", 100, (3, 32, 32), _CIFAR_MEAN, _CIFAR_STD, "CIFAR-100, 32x32"),
    DatasetSpec(
        "ImageNet16-120", 120, (3, 16, 16), _IN16_MEAN, _IN16_STD, "ImageNet 16x16, 120 classes"
    ),
    DatasetSpec(
        "vww",
        2,
        (3, 128, 128),
        _IMAGENET_MEAN,
        _IMAGENET_STD,
        "Visual Wake Words person / not-person, 128x128 (--data imagefolder:PATH)",
    ),  # fmt: skip
):
    DATASETS.add(_spec.name, _spec)


#: a user's image folder: ``imagefolder-N-S`` is N classes at S x S, ImageNet's
#: normalisation (``--dataset imagefolder-3-96 --data imagefolder:my-images``)
FOLDER_TASK = re.compile(r"^imagefolder-(?P<classes>\d+)-(?P<size>\d+)$")
FOLDER_SIZES = (8, 1024)


def get_dataset(name: str) -> DatasetSpec:
    """The registered task ``name``, or the task of a user's image folder written
    ``imagefolder-N-S`` (:data:`FOLDER_TASK`), made and registered at first use."""
    match = FOLDER_TASK.match(str(name))
    if match is not None and name not in DATASETS:
        classes, size = int(match["classes"]), int(match["size"])
        low, high = FOLDER_SIZES
        if classes < 2 or not low <= size <= high:
            raise ZeroNASError(
                f"dataset {name!r}: imagefolder-N-S needs N >= 2 classes and a side S in "
                f"[{low}, {high}] pixels, got N = {classes}, S = {size}"
            )
        DATASETS.add(name, DatasetSpec(
            name, classes, (3, size, size), _IMAGENET_MEAN, _IMAGENET_STD,
            f"an image folder of {classes} classes at {size}x{size}",
        ))  # fmt: skip
    return DATASETS.get(name)


def list_datasets() -> list[str]:
    return DATASETS.names()
