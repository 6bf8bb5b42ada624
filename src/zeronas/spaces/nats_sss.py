"""NATS-Bench size search space (SSS): 8^5 = 32,768 channel configurations of one network.

Dong, Liu, Musial & Gabrys, "NATS-Bench", TPAMI 2021 (arXiv:2009.00437); the network as
the authors' ``xautodl`` code builds it (``shape_infers/InferTinyCellNet.py``): the TSS stem
and head, but **one cell per stage** and five widths c0..c4, each in
{8, 16, ..., 64}::

    stem conv3x3(3 -> c0) + BN
    cell(c0 -> c0) -> ResBlock(c0 -> c1, s2) -> cell(c1 -> c2) -> ResBlock(c2 -> c3, s2)
    -> cell(c3 -> c4) -> BN-ReLU-GAP-Linear(c4)

Every cell is the fixed TSS cell of index 9930 (:data:`SSS_CELL`). In a cell that changes
width, the edges leaving node 0 map c_in -> c_out (``skip_connect`` becomes conv1x1 + BN);
the inner edges run at c_out.

Arch strings ``"c0:c1:c2:c3:c4"``. Index order: the product of the five width lists with the
first width varying slowest (index 0 = ``8:8:8:8:8``, 32767 = ``64:64:64:64:64``), as the
authors' training script ``main-sss.py`` enumerates them. This order is *not verified*
against the official file's ``api.arch(i)`` (no official file is available offline here);
a ground-truth CSV whose ``arch`` column disagrees with it is refused, naming the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from zeronas.errors import ArchError
from zeronas.models.nb201 import CellNetwork
from zeronas.spaces.base import SearchSpace, register_space
from zeronas.spaces.nats_tss import parse_tss

__all__ = ["WIDTHS", "SSS_CELL", "SSSArch", "NatsSSS", "parse_sss"]

WIDTHS = (8, 16, 24, 32, 40, 48, 56, 64)
LAYERS = 5
SSS_CELL = parse_tss(
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
    "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)


@dataclass(frozen=True)
class SSSArch:
    """The five widths c0..c4."""

    widths: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.widths) != LAYERS:
            raise ArchError(f"a NATS-SSS arch has {LAYERS} widths, got {len(self.widths)}")
        for width in self.widths:
            if width not in WIDTHS:
                raise ArchError(
                    f"NATS-SSS width {width!r} is not allowed. Allowed: "
                    f"{', '.join(map(str, WIDTHS))}"
                )

    def __str__(self) -> str:
        return ":".join(map(str, self.widths))


def parse_sss(text: str) -> SSSArch:
    """Parse ``"c0:c1:c2:c3:c4"``, naming the first bad part."""
    if not isinstance(text, str) or not text.strip():
        raise ArchError(f"Empty NATS-SSS arch string: {text!r}")
    parts = text.strip().split(":")
    if len(parts) != LAYERS:
        raise ArchError(
            f"Malformed NATS-SSS arch {text!r}: expected {LAYERS} widths joined by ':', "
            f"e.g. '64:32:8:56:24'"
        )
    widths = []
    for part in parts:
        try:
            widths.append(int(part))
        except ValueError:
            raise ArchError(f"Malformed width {part!r} in NATS-SSS arch {text!r}") from None
    return SSSArch(tuple(widths))


@register_space
class NatsSSS(SearchSpace):
    """NATS-Bench size space: widths c0..c4 of a one-cell-per-stage network."""

    name = "nats-sss"
    description = "NATS-Bench size space (32,768): widths c0:c1:c2:c3:c4, each 8..64"
    size = len(WIDTHS) ** LAYERS
    benchmark_kind = "sss"
    activations = (nn.ReLU,)
    final_hp = "90"
    #: The TSS-chosen ensemble ranks SSS poorly (ρ .813 / .546 / .662 on 200 configurations),
    #: synflow well (.951 / .826 / .944 on 1,000): docs/seed002/exp1-nats-sss*.md.
    search_proxies = "synflow"

    def sample(self, rng: np.random.Generator) -> SSSArch:
        return SSSArch(tuple(WIDTHS[i] for i in rng.integers(len(WIDTHS), size=LAYERS)))

    def mutate(self, arch: SSSArch, rng: np.random.Generator) -> SSSArch:
        """One width moves one step up or down, or is resampled (to a different width)."""
        layer = int(rng.integers(LAYERS))
        pos = WIDTHS.index(arch.widths[layer])
        moves = [
            m
            for m in ("up", "down", "resample")
            if not ((m == "up" and pos == len(WIDTHS) - 1) or (m == "down" and pos == 0))
        ]
        move = moves[int(rng.integers(len(moves)))]
        if move == "up":
            new = WIDTHS[pos + 1]
        elif move == "down":
            new = WIDTHS[pos - 1]
        else:
            others = [w for w in WIDTHS if w != arch.widths[layer]]
            new = others[int(rng.integers(len(others)))]
        widths = list(arch.widths)
        widths[layer] = new
        return SSSArch(tuple(widths))

    def crossover(self, a: SSSArch, b: SSSArch, rng: np.random.Generator) -> SSSArch:
        take_a = rng.random(LAYERS) < 0.5
        return SSSArch(
            tuple(x if t else y for x, y, t in zip(a.widths, b.widths, take_a, strict=True))
        )

    def encode(self, arch: SSSArch) -> str:
        return str(arch)

    def decode(self, text: str) -> SSSArch:
        return parse_sss(text)

    def index(self, arch: SSSArch) -> int:
        index = 0
        for width in arch.widths:
            index = index * len(WIDTHS) + WIDTHS.index(width)
        return index

    def arch(self, index: int) -> SSSArch:
        if not 0 <= int(index) < self.size:
            raise ArchError(f"NATS-SSS index must be in [0, {self.size - 1}], got {index}")
        digits, rest = [], int(index)
        for _ in range(LAYERS):
            rest, digit = divmod(rest, len(WIDTHS))
            digits.append(WIDTHS[digit])
        return SSSArch(tuple(reversed(digits)))

    def build(
        self, arch: SSSArch, num_classes: int, input_shape: tuple[int, int, int] = (3, 32, 32)
    ) -> nn.Module:
        c0, c1, c2, c3, c4 = arch.widths
        edges = SSS_CELL.node_edges()
        stages = [[(edges, c0, c0)], [(edges, c1, c2)], [(edges, c3, c4)]]
        net = CellNetwork(c0, stages, [(c0, c1), (c2, c3)], num_classes, input_shape[0])
        net.arch = arch
        return net
