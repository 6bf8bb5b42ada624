"""The training and test loaders of an image folder, with the recipe's augmentation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision.transforms import v2

from zeronas.data.imagefolder import ImageFolderSplit, open_split
from zeronas.data.tasks import DatasetSpec
from zeronas.deploy.recipe import TrainConfig
from zeronas.errors import DataError

__all__ = ["DECODE_BYTES", "image_folder_loaders"]

#: a split up to this many bytes of uint8 pixels is decoded once and kept in memory
#: (CIFAR-10's 50,000 32 x 32 images: 154 MB)
DECODE_BYTES = 1 << 30


class _Split(Dataset):
    """A split of an image folder as (normalised float image, label) pairs."""

    def __init__(self, split: ImageFolderSplit, transform: Callable) -> None:
        self.split, self.transform, self.labels = split, transform, split.labels

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.split.image(index)), int(self.labels[index])


def _transforms(spec: DatasetSpec, config: TrainConfig) -> tuple[Callable, Callable]:
    size = spec.input_shape[1:]
    normalise = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(spec.mean, spec.std)]
    plain = [v2.Resize(size, antialias=True)]
    if config.augmentation(size) == "crop":
        crop = [*plain, v2.RandomCrop(size, padding=max(size) // 8)]
    else:
        crop = [v2.RandomResizedCrop(size, scale=(0.5, 1.0), antialias=True)]
    train = v2.Compose([*crop, v2.RandomHorizontalFlip(), *normalise])
    return train, v2.Compose([*plain, *normalise])


def image_folder_loaders(
    root: str | Path, spec: DatasetSpec, config: TrainConfig
) -> dict[str, DataLoader]:
    """Loaders of ``root``'s train (shuffled, augmented), val and test splits, and
    ``calibration``: up to ``config.bn_images`` of the train split in a seeded shuffle,
    augmented, for precise BN."""
    augment, plain = _transforms(spec, config)
    loaders = {}
    for split in ("train", "val", "test"):
        opened = open_split(root, split, spec.input_shape[1:])
        if len(opened) * int(np.prod(spec.input_shape)) <= DECODE_BYTES:
            opened.decode_all()  # every epoch reads every image: decode each once
        if len(opened.classes) != spec.num_classes:
            side = spec.input_shape[1]
            raise DataError(
                f"{str(root)!r} has {len(opened.classes)} classes {opened.classes} in {split}, "
                f"but dataset {spec.name!r} has {spec.num_classes} (a folder's own task: "
                f"--dataset imagefolder-{len(opened.classes)}-{side})"
            )
        generator = torch.Generator().manual_seed(config.seed)
        loaders[split] = DataLoader(
            _Split(opened, augment if split == "train" else plain),
            batch_size=config.batch_size,
            shuffle=split == "train",
            generator=generator,
            num_workers=config.workers,
        )
        if split == "train":  # the same opened split, augmented as in training, in a
            # seeded shuffle: a folder lists its images class by class, and one-class
            # batches give BN the within-class variance only; statistics of un-augmented
            # images are not those the layers were trained under (ResNet-8 on CIFAR-10:
            # 77.5 % test with them, 82.0 % with augmented ones)
            order = np.random.default_rng(config.seed).permutation(len(opened))
            calibration = Subset(_Split(opened, augment), order[: config.bn_images].tolist())
            loaders["calibration"] = DataLoader(
                calibration, batch_size=config.batch_size, num_workers=config.workers
            )
    return loaders
