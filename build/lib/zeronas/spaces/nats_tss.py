"""NATS-Bench topology search space (TSS) = the NAS-Bench-201 cell space, 5^6 = 15,625 cells.

Arch strings: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` -- node j = 1..3 lists one ``op~i``
per source node i < j. The official index order enumerates every cell as a product over the
six edges (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2; first edge slowest; ops in the order of
:data:`OPERATIONS`) and shuffles that list with ``random.seed(88)`` (Dong & Yang 2020).
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass

import numpy as np
from torch import nn

from zeronas.errors import ArchError
from zeronas.models.nb201 import CellNetwork
from zeronas.spaces.base import SearchSpace, register_space

__all__ = ["OPERATIONS", "EDGES", "TSSArch", "NatsTSS"]

OPERATIONS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: (target node, source node) of each of the six genes, in string order.
EDGES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
_SHUFFLE_SEED = 88


@dataclass(frozen=True)
class TSSArch:
    """A cell: the op on each edge of :data:`EDGES`."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.ops) != len(EDGES):
            raise ArchError(f"a NATS-TSS cell has {len(EDGES)} edges, got {len(self.ops)}")
        for op in self.ops:
            if op not in OPERATIONS:
                raise ArchError(f"Unknown op {op!r}. Allowed ops: {', '.join(OPERATIONS)}")

    def __str__(self) -> str:
        nodes, pos = [], 0
        for target in (1, 2, 3):
            nodes.append("|" + "|".join(f"{self.ops[pos + i]}~{i}" for i in range(target)) + "|")
            pos += target
        return "+".join(nodes)

    def node_edges(self) -> list[list[tuple[str, int]]]:
        """Per target node 1..3, its (op, source) pairs."""
        out: list[list[tuple[str, int]]] = [[], [], []]
        for op, (target, source) in zip(self.ops, EDGES, strict=True):
            out[target - 1].append((op, source))
        return out


def parse_tss(text: str) -> TSSArch:
    """Parse an official arch string, naming the first bad part."""
    if not isinstance(text, str) or not text.strip():
        raise ArchError(f"Empty NATS-TSS arch string: {text!r}")
    groups = text.strip().split("+")
    if len(groups) != 3:
        raise ArchError(
            f"Malformed NATS-TSS arch {text!r}: expected 3 node groups joined by '+', "
            f"e.g. '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|'"
        )
    ops: list[str] = []
    for target, group in enumerate(groups, start=1):
        if not (group.startswith("|") and group.endswith("|")) or len(group) < 2:
            raise ArchError(f"Malformed node group {group!r} in {text!r}: must be '|op~i|...|'")
        tokens = group[1:-1].split("|")
        if len(tokens) != target:
            raise ArchError(
                f"Node {target} in {text!r} needs {target} inputs, got {len(tokens)}: {group!r}"
            )
        for source, token in enumerate(tokens):
            op, sep, src = token.partition("~")
            if not sep or src != str(source):
                raise ArchError(
                    f"Malformed edge {token!r} in {text!r}: expected 'op~{source}' for node "
                    f"{target} input {source}"
                )
            if op not in OPERATIONS:
                raise ArchError(f"Unknown op {op!r} in {text!r}. Allowed: {', '.join(OPERATIONS)}")
            ops.append(op)
    return TSSArch(tuple(ops))


@functools.cache
def _official_order() -> tuple[tuple[TSSArch, ...], dict[TSSArch, int]]:
    archs = [TSSArch(ops) for ops in itertools.product(OPERATIONS, repeat=len(EDGES))]
    random.Random(_SHUFFLE_SEED).shuffle(archs)
    return tuple(archs), {arch: i for i, arch in enumerate(archs)}


@register_space
class NatsTSS(SearchSpace):
    """NAS-Bench-201 / NATS-TSS: stem C=16, 5 cells per stage, widths 16/32/64."""

    name = "nats-tss"
    description = "NAS-Bench-201 / NATS-Bench topology cells (15,625), 5 cells x 3 stages"
    size = len(OPERATIONS) ** len(EDGES)
    benchmark_kind = "tss"
    activations = (nn.ReLU,)
    final_hp = "200"

    def __init__(self, channels: int = 16, cells_per_stage: int = 5) -> None:
        self.channels = channels
        self.cells_per_stage = cells_per_stage

    def sample(self, rng: np.random.Generator) -> TSSArch:
        return TSSArch(tuple(OPERATIONS[i] for i in rng.integers(len(OPERATIONS), size=6)))

    def mutate(self, arch: TSSArch, rng: np.random.Generator) -> TSSArch:
        edge = int(rng.integers(len(EDGES)))
        choices = [op for op in OPERATIONS if op != arch.ops[edge]]
        ops = list(arch.ops)
        ops[edge] = choices[int(rng.integers(len(choices)))]
        return TSSArch(tuple(ops))

    def crossover(self, a: TSSArch, b: TSSArch, rng: np.random.Generator) -> TSSArch:
        take_a = rng.random(len(EDGES)) < 0.5
        return TSSArch(tuple(x if t else y for x, y, t in zip(a.ops, b.ops, take_a, strict=True)))

    def encode(self, arch: TSSArch) -> str:
        return str(arch)

    def decode(self, text: str) -> TSSArch:
        return parse_tss(text)

    def index(self, arch: TSSArch) -> int:
        return _official_order()[1][arch]

    def arch(self, index: int) -> TSSArch:
        if not 0 <= int(index) < self.size:
            raise ArchError(f"NATS-TSS index must be in [0, {self.size - 1}], got {index}")
        return _official_order()[0][int(index)]

    def costs(
        self, arch: TSSArch, num_classes: int, input_shape: tuple[int, int, int] = (3, 32, 32)
    ) -> tuple[int, int]:
        """(parameters, MACs) of :meth:`build`'s network from the cell alone (conv and linear
        multiply-accumulates, as NATS-Bench counts them), no module built."""
        in_channels, h, w = input_shape
        c, pixels = self.channels, h * w
        params = 9 * in_channels * c + 2 * c  # stem conv + BN
        macs = 9 * in_channels * c * pixels
        kernels = [{"nor_conv_1x1": 1, "nor_conv_3x3": 9}.get(op, 0) for op in arch.ops]
        for stage in range(3):
            width = c * 2**stage
            if stage:  # ResBlock(width / 2 -> width, stride 2)
                h, w = (h - 1) // 2 + 1, (w - 1) // 2 + 1
                pixels, half = h * w, width // 2
                block = 9 * half * width + 9 * width * width + half * width
                params += block + 4 * width
                macs += block * pixels
            cell = sum(k * width * width for k in kernels)
            params += self.cells_per_stage * (cell + sum(2 * width for k in kernels if k))
            macs += self.cells_per_stage * cell * pixels
        width = 4 * c
        params += 2 * width + width * num_classes + num_classes
        macs += width * num_classes
        return params, macs

    def build(
        self, arch: TSSArch, num_classes: int, input_shape: tuple[int, int, int] = (3, 32, 32)
    ) -> nn.Module:
        c, n, edges = self.channels, self.cells_per_stage, arch.node_edges()
        widths = (c, 2 * c, 4 * c)
        stages = [[(edges, w, w)] * n for w in widths]
        reductions = [(widths[0], widths[1]), (widths[1], widths[2])]
        net = CellNetwork(c, stages, reductions, num_classes, in_channels=input_shape[0])
        net.arch = arch
        return net
