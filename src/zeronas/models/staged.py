"""Staged mobile networks for microcontrollers, in the manner of MCUNet / ProxylessNAS: an
input resolution, a stem, stages of equal blocks and an optional 1x1 head.

- Resolution: the input is resized (bilinear, half-pixel centres) to ``r x r`` inside the
  network when ``r`` differs from the input's size (TFLite: ``RESIZE_BILINEAR``).
- Stem: ``k x k`` conv (stride 1 or 2) -> BN -> ReLU.
- ``ir`` blocks, MobileNetV2's inverted residual (Sandler et al. 2018): [1x1 expand x e ->
  BN -> ReLU, left out when e = 1] -> ``k x k`` depthwise (stride s) -> BN -> ReLU -> 1x1
  project -> BN, plus the input when stride 1 and widths match (no activation after it).
  ReLU, not MobileNetV2's ReLU6: the int8 quantizer fuses conv + BN + ReLU into one
  quantized op, while ReLU6 (``hardtanh``) gets quantized before and after.
- ``res`` blocks, ResNet's basic block as MLPerf Tiny's ResNet-8 has it: ``k x k`` conv
  (stride s) -> BN -> ReLU -> ``k x k`` conv -> BN, plus the input or, when the shape
  changes, a strided 1x1 conv of it (with bias, no BN); then ReLU. The reference's
  convolutions before BN carry a bias (Keras' default), redundant before BN: here they do
  not; folded into int8, the two are the same graph.
- Head: [1x1 conv -> BN -> ReLU] -> global average pool -> linear.

Only module activations and ``AdaptiveAvgPool2d`` are used: the int8 quantizer recognises
those (a functional ReLU6 followed by ``mean`` leaves float ops behind).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from zeronas.models.graph import LayerGraph

__all__ = ["STAGE_TYPES", "StageSpec", "StagedLayout", "StagedNetwork", "conv_bn", "staged_graph"]

#: Short names used in arch strings.
STAGE_TYPES = {"ir": "inverted residual (MobileNetV2)", "res": "basic residual (ResNet)"}


@dataclass(frozen=True)
class StageSpec:
    """One stage: block type, depth (blocks), kernel, expansion (ir; 0 for res), output
    channels (before the width multiplier) and the stride of its first block."""

    type: str
    depth: int
    kernel: int
    expansion: int
    channels: int
    stride: int


@dataclass(frozen=True)
class StagedLayout:
    """What a staged network is made of: the resolution, the stem (channels, kernel,
    stride), the stages with their ``widths`` (channels, the width multiplier applied) and
    the head's channels (0: none)."""

    resolution: int
    stem: tuple[int, int, int]
    stages: Sequence[StageSpec]
    widths: Sequence[int]
    head_channels: int

    def blocks(self) -> Iterator[tuple[StageSpec, int, int, int]]:
        """(spec, c_in, c_out, stride) of every block in order."""
        c_in = self.stem[0]
        for spec, c_out in zip(self.stages, self.widths, strict=True):
            for i in range(spec.depth):
                yield spec, c_in, c_out, spec.stride if i == 0 else 1
                c_in = c_out


def conv_bn(
    c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1, act=None
) -> nn.Sequential:
    """Conv (bias-free, padding k // 2) -> BN [-> ``act()``]."""
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expansion: int):
        super().__init__()
        hidden = c_in * expansion
        expand = [conv_bn(c_in, hidden, 1, act=nn.ReLU)] if expansion != 1 else []
        self.body = nn.Sequential(
            *expand,
            conv_bn(hidden, hidden, kernel, stride, groups=hidden, act=nn.ReLU),
            conv_bn(hidden, c_out, 1),
        )
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return out + x if self.residual else out


class BasicResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(c_in, c_out, kernel, stride, act=nn.ReLU), conv_bn(c_out, c_out, kernel)
        )
        self.shortcut: nn.Module | None = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)  # the main branch first: the order TFLite runs the ops in
        return self.act(out + (x if self.shortcut is None else self.shortcut(x)))


class StagedNetwork(nn.Module):
    """Resize (when needed) -> stem -> stages -> head, as ``layout`` says."""

    def __init__(self, layout: StagedLayout, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        self.resolution = layout.resolution
        stem_channels, stem_kernel, stem_stride = layout.stem
        self.stem = conv_bn(in_channels, stem_channels, stem_kernel, stem_stride, act=nn.ReLU)
        blocks: list[nn.Module] = []
        width = stem_channels
        for spec, c_in, c_out, stride in layout.blocks():
            if spec.type == "ir":
                blocks.append(InvertedResidual(c_in, c_out, spec.kernel, stride, spec.expansion))
            else:
                blocks.append(BasicResidual(c_in, c_out, spec.kernel, stride))
            width = c_out
        self.blocks = nn.Sequential(*blocks)
        head = layout.head_channels
        self.head = conv_bn(width, head, 1, act=nn.ReLU) if head else None
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head or width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.resolution, self.resolution):
            x = F.interpolate(x, size=(self.resolution,) * 2, mode="bilinear", align_corners=False)
        x = self.blocks(self.stem(x))
        if self.head is not None:
            x = self.head(x)
        return self.classifier(self.pool(x).flatten(1))


def staged_graph(
    layout: StagedLayout, num_classes: int, input_shape: tuple[int, int, int]
) -> LayerGraph:
    """:class:`StagedNetwork`'s layers as the int8 converter emits them, op for op (no
    module built)."""
    graph = LayerGraph()
    channels, height, width = input_shape
    x = graph.tensor((height, width, channels))
    if (height, width) != (layout.resolution,) * 2:
        x = graph.resize(x, layout.resolution)
    stem_channels, stem_kernel, stem_stride = layout.stem
    x = graph.conv(x, stem_channels, stem_kernel, stem_stride)
    for spec, c_in, c_out, stride in layout.blocks():
        if spec.type == "ir":
            hidden = c_in * spec.expansion
            y = graph.conv(x, hidden, 1) if spec.expansion != 1 else x
            y = graph.conv(y, hidden, spec.kernel, stride, groups=hidden)
            y = graph.conv(y, c_out, 1)
            x = graph.add(y, x) if stride == 1 and c_in == c_out else y
        else:
            y = graph.conv(graph.conv(x, c_out, spec.kernel, stride), c_out, spec.kernel)
            if stride != 1 or c_in != c_out:
                x = graph.conv(x, c_out, 1, stride, bias=True, norm=False)
            x = graph.add(y, x)
    if layout.head_channels:
        x = graph.conv(x, layout.head_channels, 1)
    graph.linear(graph.mean(x), num_classes)
    return graph
