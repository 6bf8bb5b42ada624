"""Mobile blocks of Singh's TinyML space and the network
that stacks them.

- Inverted Residual (Sandler et al. 2018, MobileNetV2): 1x1 expand x e -> BN -> ReLU6 ->
  k x k depthwise (stride s) -> BN -> ReLU6 -> 1x1 project -> BN, identity residual when
  stride 1 and widths match (linear bottleneck: no activation after the sum).
- Depthwise Separable (Howard et al. 2017, MobileNetV1): k x k depthwise (stride s) -> BN ->
  ReLU6 -> 1x1 pointwise -> BN -> ReLU6.
- ConvNeXt (Liu et al. 2022): k x k depthwise (stride s) -> LayerNorm over channels -> 1x1
  expand x e -> GELU -> 1x1 project, identity residual when shapes match (a 1x1 conv + BN
  projects the shortcut otherwise, so every block keeps a residual path). Layer scale is
  left out: at initialisation it would zero the branch that the proxies score.

Network (our choices, not seed facts): stem conv 3x3 stride 2 -> BN -> ReLU6; the blocks;
head conv 1x1 -> ``head_channels`` -> BN -> ReLU6 -> global average pool -> Linear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "BLOCK_TYPES",
    "BlockSpec",
    "ConvBNAct",
    "InvertedResidual",
    "DepthwiseSeparable",
    "ConvNeXtBlock",
    "BlockNetwork",
]

#: Short names used in arch strings.
BLOCK_TYPES = {"ir": "Inverted Residual", "ds": "Depthwise Separable", "cn": "ConvNeXt"}


@dataclass(frozen=True)
class BlockSpec:
    """One block: type (``ir``, ``ds``, ``cn``), kernel, stride, expansion (0 for ``ds``) and
    output channels."""

    type: str
    kernel: int
    stride: int
    expansion: int
    channels: int


class ConvBNAct(nn.Sequential):
    """Conv (bias-free) -> BN [-> activation]."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int = 1,
        stride: int = 1,
        groups: int = 1,
        act: type[nn.Module] | None = nn.ReLU6,
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, spec: BlockSpec) -> None:
        super().__init__()
        hidden = c_in * spec.expansion
        self.residual = spec.stride == 1 and c_in == spec.channels
        self.body = nn.Sequential(
            ConvBNAct(c_in, hidden),
            ConvBNAct(hidden, hidden, spec.kernel, spec.stride, groups=hidden),
            ConvBNAct(hidden, spec.channels, act=None),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return x + out if self.residual else out


class DepthwiseSeparable(nn.Sequential):
    def __init__(self, c_in: int, spec: BlockSpec) -> None:
        super().__init__(
            ConvBNAct(c_in, c_in, spec.kernel, spec.stride, groups=c_in),
            ConvBNAct(c_in, spec.channels),
        )


class ChannelsLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of an N x C x H x W map (ConvNeXt's channels-first LN)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    def __init__(self, c_in: int, spec: BlockSpec) -> None:
        super().__init__()
        hidden = spec.channels * spec.expansion
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_in, spec.kernel, spec.stride, spec.kernel // 2, groups=c_in),
            ChannelsLayerNorm(c_in, eps=1e-6),
            nn.Conv2d(c_in, hidden, 1),
            nn.GELU(),
            nn.Conv2d(hidden, spec.channels, 1),
        )
        self.shortcut: nn.Module = nn.Identity()
        if spec.stride != 1 or c_in != spec.channels:
            self.shortcut = ConvBNAct(c_in, spec.channels, 1, spec.stride, act=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.body(x)


_BLOCKS: dict[str, type[nn.Module]] = {
    "ir": InvertedResidual,
    "ds": DepthwiseSeparable,
    "cn": ConvNeXtBlock,
}


class BlockNetwork(nn.Module):
    """Stem (conv 3x3 s2) -> blocks -> head (conv 1x1, pool, linear)."""

    def __init__(
        self,
        blocks: Sequence[BlockSpec],
        num_classes: int,
        in_channels: int = 3,
        stem_channels: int = 16,
        head_channels: int = 1280,
    ) -> None:
        super().__init__()
        self.stem = ConvBNAct(in_channels, stem_channels, 3, 2)
        layers, width = [], stem_channels
        for spec in blocks:
            layers.append(_BLOCKS[spec.type](width, spec))
            width = spec.channels
        self.blocks = nn.Sequential(*layers)
        self.head = ConvBNAct(width, head_channels)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(self.blocks(self.stem(x)))
        return self.classifier(self.pool(features).flatten(1))
