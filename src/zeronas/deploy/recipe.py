"""The one training recipe every network is trained with (:class:`TrainConfig`): epochs,
optimizer (SGD with Nesterov momentum, or AdamW), cosine decay per step, label smoothing,
flips and crops, bfloat16 autocast on CUDA, a checkpoint every epoch."""

from __future__ import annotations

import math
from dataclasses import dataclass

from zeronas.errors import ParameterError, ZeroNASError
from zeronas.models.init import check_device

__all__ = ["OPTIMIZERS", "TrainConfig"]


OPTIMIZERS = ("sgd", "adamw")


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

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ZeroNASError(
                f"Unknown optimizer {self.optimizer!r}. Allowed: {', '.join(OPTIMIZERS)}"
            )
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ParameterError(name, "TrainConfig", "an integer >= 1", getattr(self, name))
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError("lr", "TrainConfig", "a positive number", self.lr)
        if not 0 <= self.label_smoothing < 1:
            raise ParameterError(
                "label_smoothing", "TrainConfig", "in [0, 1)", self.label_smoothing
            )
        check_device(self.device)
