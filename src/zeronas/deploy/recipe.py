"""The one training recipe every network is trained with (:class:`TrainConfig`): epochs,
optimizer (SGD with Nesterov momentum, or AdamW), cosine decay per step, label smoothing,
flips and crops, bfloat16 autocast on CUDA, a checkpoint every epoch.

Augmentation ``auto``: images of at most 64 px a side (CIFAR, ImageNet16) get the CIFAR
recipe, a random crop of the image padded by 1/8 of its side (4 px at 32) and a horizontal
flip (He et al. 2016); larger ones RandomResizedCrop (scale 0.5-1) and a flip, the
ImageNet-style recipe of MobileNet / MCUNet. Precise BN (see :mod:`zeronas.deploy.training`)
runs over ``bn_images`` training images (a seeded shuffle, augmented as in training; Wu &
Johnson 2021 find a few thousand enough).

:data:`CIFAR_RECIPE` is the one recipe of ``docs/tinyml-cifar10.md``, fixed on ResNet-8
before any searched network was trained: SGD (Nesterov, momentum 0.9), batch 128, lr 0.1
cosine to 0, weight decay 5e-4, label smoothing 0.1, pad-and-crop + flip, 30 epochs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from zeronas.errors import ParameterError, ZeroNASError
from zeronas.models.init import check_device

__all__ = ["AUGMENTATIONS", "CIFAR_RECIPE", "OPTIMIZERS", "TrainConfig"]


OPTIMIZERS = ("sgd", "adamw")
AUGMENTATIONS = ("auto", "crop", "resized-crop")
#: the largest side that ``augment="auto"`` trains with pad-and-crop
SMALL_IMAGE = 64


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.05
    weight_decay: float = 4e-5
    label_smoothing: float = 0.1
    seed: int = 0
    device: str = "cpu"
    workers: int = 0
    augment: str = "auto"
    bn_images: int = 4096

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ZeroNASError(
                f"Unknown optimizer {self.optimizer!r}. Allowed: {', '.join(OPTIMIZERS)}"
            )
        if self.augment not in AUGMENTATIONS:
            raise ZeroNASError(
                f"Unknown augmentation {self.augment!r}. Allowed: {', '.join(AUGMENTATIONS)}"
            )
        for name in ("epochs", "batch_size", "bn_images"):
            if getattr(self, name) < 1:
                raise ParameterError(name, "TrainConfig", "an integer >= 1", getattr(self, name))
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError("lr", "TrainConfig", "a positive number", self.lr)
        if not 0 <= self.label_smoothing < 1:
            raise ParameterError(
                "label_smoothing", "TrainConfig", "in [0, 1)", self.label_smoothing
            )
        check_device(self.device)

    def augmentation(self, image_size: tuple[int, int]) -> str:
        """The augmentation used for images of ``image_size`` (``auto`` resolved)."""
        if self.augment != "auto":
            return self.augment
        return "crop" if max(image_size) <= SMALL_IMAGE else "resized-crop"


CIFAR_RECIPE = TrainConfig(epochs=30, batch_size=128, lr=0.1, weight_decay=5e-4)
