"""The NAS-Bench-201 / NATS-Bench network, built to match the official model code.

Reference: Dong & Yang, "NAS-Bench-201" (ICLR 2020, arXiv:2001.00326) and "NATS-Bench"
(TPAMI 2021, arXiv:2009.00437); module layout as in the authors' ``xautodl`` package
(``cell_infers/tiny_network.py``, ``cells.py``, ``cell_operations.py``). As written there,
every conv is bias-free, every BN affine with running statistics.

Differences from the reference, on purpose: ``forward`` returns logits only (the reference
returns ``(pooled features, logits)``); :meth:`CellNetwork.forward_features` gives the
pooled features.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["OPS", "ReLUConvBN", "ResNetBlock", "Cell", "CellNetwork", "CellEdges"]

# A cell is given as, for each node j = 1..3, the (op name, source node) pairs feeding it.
CellEdges = Sequence[Sequence[tuple[str, int]]]


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv(k, bias-free) -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` op: the input times 0 (keeps the graph, propagates NaN as the reference)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.c_in, self.c_out = c_in, c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.c_in == self.c_out:
            return x.mul(0.0)
        return x.new_zeros(x.shape[0], self.c_out, *x.shape[2:])


class ChannelMap(nn.Sequential):
    """``skip_connect`` between different widths at stride 1: conv1x1 + BN (no ReLU call)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


def _avg_pool(c_in: int, c_out: int) -> nn.Module:
    pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    if c_in == c_out:
        return pool
    return nn.Sequential(ReLUConvBN(c_in, c_out, 1), pool)


OPS = {
    "none": Zero,
    "skip_connect": lambda c_in, c_out: nn.Identity() if c_in == c_out else ChannelMap(c_in, c_out),
    "nor_conv_1x1": lambda c_in, c_out: ReLUConvBN(c_in, c_out, 1),
    "nor_conv_3x3": lambda c_in, c_out: ReLUConvBN(c_in, c_out, 3),
    "avg_pool_3x3": _avg_pool,
}


class ResNetBlock(nn.Module):
    """Reduction block: ReLU-conv3x3(s2)-BN -> ReLU-conv3x3-BN, plus avgpool2x2(s2)-conv1x1."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(2, stride=2, padding=0), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Cell(nn.Module):
    """A 4-node DAG: node j sums op(node i) over its incoming edges; the output is node 3.

    Edges leaving node 0 map ``c_in`` -> ``c_out``; the others run at ``c_out``.
    """

    def __init__(self, edges: CellEdges, c_in: int, c_out: int) -> None:
        super().__init__()
        self.sources: list[list[int]] = []
        self.edges = nn.ModuleList()
        for node in edges:
            self.sources.append([src for _, src in node])
            for op, src in node:
                self.edges.append(OPS[op](c_in if src == 0 else c_out, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        edge = 0
        for sources in self.sources:
            total = None
            for src in sources:
                out = self.edges[edge](nodes[src])
                total = out if total is None else total + out
                edge += 1
            nodes.append(total)
        return nodes[-1]


class CellNetwork(nn.Module):
    """Stem -> stages of cells joined by :class:`ResNetBlock` -> BN-ReLU-GAP-Linear.

    ``stem=False`` feeds the input straight to the first cell (TE-NAS's thin network).

    ``stages`` lists, per stage, the cells as ``(edges, c_in, c_out)``; ``reductions`` the
    ``(c_in, c_out)`` of the block after each stage but the last.
    """

    def __init__(
        self,
        stem_channels: int,
        stages: Sequence[Sequence[tuple[CellEdges, int, int]]],
        reductions: Sequence[tuple[int, int]],
        num_classes: int,
        in_channels: int = 3,
        stem: bool = True,
    ) -> None:
        super().__init__()
        self.stem: nn.Module = nn.Identity()
        if stem:
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(stem_channels),
            )
        layers: list[nn.Module] = []
        for i, stage in enumerate(stages):
            if i > 0:
                layers.append(ResNetBlock(*reductions[i - 1]))
            layers.extend(Cell(edges, c_in, c_out) for edges, c_in, c_out in stage)
        self.cells = nn.Sequential(*layers)
        width = stages[-1][-1][2]
        self.lastact = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Globally pooled features before the classifier (the reference's first output)."""
        out = self.lastact(self.cells(self.stem(x)))
        return self.global_pooling(out).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x))
