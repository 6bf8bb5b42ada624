"""The baseline of Singh: torchvision's MobileNetV3-Small (Howard et al., "Searching for
MobileNetV3", ICCV 2019), randomly initialised (no weights are downloaded), as a one-knob
space so it is scored, budget-checked, trained and exported exactly like a searched arch.

Arch strings: the width multiplier, e.g. ``1.0`` or ``0.5``. Singh does not say Small or
Large; Small is our assumption.
"""

from __future__ import annotations

import numpy as np
from torch import nn

from zeronas.errors import ArchError
from zeronas.spaces.base import SearchSpace, register_space

__all__ = ["WIDTHS", "MobileNetV3Small"]

WIDTHS = (0.25, 0.35, 0.5, 0.75, 1.0, 1.25)


@register_space
class MobileNetV3Small(SearchSpace):
    """torchvision MobileNetV3-Small at a width multiplier (the Singh baseline)."""

    name = "mobilenetv3-small"
    description = "Baseline: torchvision MobileNetV3-Small, random init, width multiplier"
    size = None
    activations = (nn.ReLU, nn.Hardswish)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.choice(WIDTHS))

    def mutate(self, arch: float, rng: np.random.Generator) -> float:
        return float(rng.choice([w for w in WIDTHS if w != arch]))

    def crossover(self, a: float, b: float, rng: np.random.Generator) -> float:
        return a if rng.random() < 0.5 else b

    def encode(self, arch: float) -> str:
        return f"{arch:g}"

    def decode(self, text: str) -> float:
        try:
            width = float(str(text).strip())
        except ValueError as exc:
            raise ArchError(f"MobileNetV3-Small arch is a width multiplier, got {text!r}") from exc
        if not 0.1 <= width <= 4.0:
            raise ArchError(f"MobileNetV3-Small width multiplier must be in [0.1, 4], got {width}")
        return width

    def build(
        self, arch: float, num_classes: int, input_shape: tuple[int, int, int] = (3, 128, 128)
    ) -> nn.Module:
        if input_shape[0] != 3:
            raise ArchError(f"MobileNetV3-Small takes 3-channel images, got {input_shape}")
        from torchvision.models import mobilenet_v3_small  # (a slow import: only when used)

        net = mobilenet_v3_small(weights=None, num_classes=num_classes, width_mult=float(arch))
        net.arch = arch
        return net
