"""NAS-Bench-101 cells and networks (Ying et al., "NAS-Bench-101", ICML 2019).

A cell is a DAG of at most 7 vertices given by an upper-triangular adjacency matrix and one
operation per vertex: ``input``, then ``conv3x3-bn-relu`` / ``conv1x1-bn-relu`` /
``maxpool3x3``, then ``output``; at most 9 edges. As the official ``nasbench`` code does:

* **pruning** drops every vertex that is not on some input -> output path (a cell with no
  such path is invalid);
* the **module hash** iterates MD5 over (out-degree, in-degree, label) of each vertex and
  the sorted hashes of its neighbours, once per vertex, then hashes the sorted list, so it
  does not depend on how the vertices are numbered (labels: input -1, output -2, the three
  operations 0, 1, 2 in the order above);
* the **network**: stem conv3x3-BN-ReLU to 128 channels; 3 stacks of 3 cells, 2x2 max-pool
  before stacks 2 and 3 doubling the channels; global average pool; linear. In a cell the
  output channels are split evenly (remainder to the first) among the vertices feeding the
  output, which are concatenated; other vertices take the largest width of their
  successors; a vertex sums its predecessors (truncated to its width) and, when the input
  feeds it, a 1x1 conv-BN-ReLU projection of the input; an input -> output edge adds a
  projection of the input to the concatenation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from zeronas.errors import ArchError

__all__ = ["OPERATIONS", "NB101Cell", "NB101Network", "vertex_channels", "module_hash"]

OPERATIONS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
MAX_VERTICES, MAX_EDGES = 7, 9


def _prune(matrix: list[list[int]], ops: list[str]) -> tuple[list[list[int]], list[str]]:
    """``(matrix, ops)`` without the vertices off every input -> output path."""
    n = len(matrix)
    from_input, frontier = {0}, [0]
    while frontier:
        top = frontier.pop()
        for v in range(top + 1, n):
            if matrix[top][v] and v not in from_input:
                from_input.add(v)
                frontier.append(v)
    to_output, frontier = {n - 1}, [n - 1]
    while frontier:
        top = frontier.pop()
        for v in range(top):
            if matrix[v][top] and v not in to_output:
                to_output.add(v)
                frontier.append(v)
    keep = sorted(from_input & to_output)
    if 0 not in keep or n - 1 not in keep:
        raise ArchError("NAS-Bench-101 cell has no path from input to output")
    return [[matrix[i][j] for j in keep] for i in keep], [ops[i] for i in keep]


def module_hash(matrix: Sequence[Sequence[int]], ops: Sequence[str]) -> str:
    """The official NAS-Bench-101 module hash of a pruned cell (``graph_util.hash_module``)."""
    n = len(matrix)
    labels = [-1] + [OPERATIONS.index(op) for op in ops[1:-1]] + [-2]
    out_degree = [sum(row) for row in matrix]
    in_degree = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    hashes = [
        hashlib.md5(str((o, i, lab)).encode("utf-8")).hexdigest()
        for o, i, lab in zip(out_degree, in_degree, labels, strict=True)
    ]
    for _ in range(n):
        hashes = [
            hashlib.md5(
                (
                    "".join(sorted(hashes[w] for w in range(n) if matrix[w][v]))
                    + "|"
                    + "".join(sorted(hashes[w] for w in range(n) if matrix[v][w]))
                    + "|"
                    + hashes[v]
                ).encode("utf-8")
            ).hexdigest()
            for v in range(n)
        ]
    return hashlib.md5(str(sorted(hashes)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NB101Cell:
    """A valid, pruned NAS-Bench-101 cell: ``matrix`` (rows of 0/1) and ``ops``."""

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @classmethod
    def from_spec(cls, matrix: Sequence[Sequence[int]], ops: Sequence[str]) -> NB101Cell:
        """Check a raw spec, prune it, then check its edges (as the official ``ModelSpec`` and
        ``is_valid`` do: the edge limit applies to the pruned cell)."""
        rows = [[int(x) for x in row] for row in matrix]
        n = len(rows)
        if not 2 <= n <= MAX_VERTICES or any(len(row) != n for row in rows):
            raise ArchError(f"NAS-Bench-101 adjacency must be square, 2 to 7 vertices: {rows}")
        if len(ops) != n:
            raise ArchError(f"NAS-Bench-101 cell has {n} vertices but {len(ops)} operations")
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                if x not in (0, 1):
                    raise ArchError(f"NAS-Bench-101 adjacency entries are 0/1, got {x!r}")
                if x and j <= i:
                    raise ArchError(
                        f"NAS-Bench-101 adjacency must be upper-triangular (a DAG); edge "
                        f"{i}->{j} is not"
                    )
        if ops[0] != "input" or ops[-1] != "output":
            raise ArchError(f"NAS-Bench-101 operations must start 'input' and end 'output': {ops}")
        for op in ops[1:-1]:
            if op not in OPERATIONS:
                raise ArchError(
                    f"Unknown NAS-Bench-101 operation {op!r}. Allowed: {', '.join(OPERATIONS)}"
                )
        pruned, kept = _prune(rows, list(ops))
        edges = sum(map(sum, pruned))
        if edges > MAX_EDGES:
            raise ArchError(
                f"NAS-Bench-101 cell has {edges} edges after pruning; at most {MAX_EDGES}"
            )
        return cls(tuple(map(tuple, pruned)), tuple(kept))

    @property
    def size(self) -> int:
        return len(self.ops)

    @property
    def hash(self) -> str:
        return module_hash(self.matrix, self.ops)


def vertex_channels(
    in_channels: int, out_channels: int, matrix: Sequence[Sequence[int]]
) -> list[int]:
    """Each vertex's width (``model_builder.compute_vertex_channels``)."""
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[n - 1] = in_channels, out_channels
    if n == 2:
        return channels
    fan_in = sum(matrix[v][n - 1] for v in range(1, n))
    share, extra = divmod(out_channels, fan_in)
    for v in range(1, n - 1):
        if matrix[v][n - 1]:
            channels[v] = share + (1 if extra else 0)
            extra -= 1 if extra else 0
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v][dst]:
                    channels[v] = max(channels[v], channels[dst])
    return channels


class _ConvBNReLU(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        )


class _Cell(nn.Module):
    def __init__(self, cell: NB101Cell, c_in: int, c_out: int) -> None:
        super().__init__()
        self.matrix, n = cell.matrix, cell.size
        self.widths = vertex_channels(c_in, c_out, cell.matrix)
        self.ops = nn.ModuleList([nn.Identity()])
        self.projections = nn.ModuleDict()
        for v in range(1, n - 1):
            width = self.widths[v]
            if cell.ops[v] == "maxpool3x3":
                self.ops.append(nn.MaxPool2d(3, stride=1, padding=1))
            else:
                self.ops.append(_ConvBNReLU(width, width, 3 if "3x3" in cell.ops[v] else 1))
            if cell.matrix[0][v]:
                self.projections[str(v)] = _ConvBNReLU(c_in, width, 1)
        if cell.matrix[0][n - 1]:
            self.projections[str(n - 1)] = _ConvBNReLU(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, m = len(self.matrix), self.matrix
        values = [x]
        for v in range(1, n - 1):
            width = self.widths[v]
            parts = [values[u][:, :width] for u in range(1, v) if m[u][v]]
            if m[0][v]:
                parts.append(self.projections[str(v)](x))
            values.append(self.ops[v](sum(parts[1:], parts[0])))
        feeding = [values[v] for v in range(1, n - 1) if m[v][n - 1]]
        if not feeding:
            return self.projections[str(n - 1)](x)
        out = torch.cat(feeding, dim=1) if len(feeding) > 1 else feeding[0]
        if m[0][n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """The NAS-Bench-101 network of one cell (module docstring)."""

    def __init__(
        self,
        cell: NB101Cell,
        num_classes: int = 10,
        in_channels: int = 3,
        stem_channels: int = 128,
        stacks: int = 3,
        cells_per_stack: int = 3,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [_ConvBNReLU(in_channels, stem_channels, 3)]
        c_in = c_out = stem_channels
        for stack in range(stacks):
            if stack:
                layers.append(nn.MaxPool2d(2, stride=2))
                c_out *= 2
            for _ in range(cells_per_stack):
                layers.append(_Cell(cell, c_in, c_out))
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))
