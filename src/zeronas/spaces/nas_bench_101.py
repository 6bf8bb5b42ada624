"""NAS-Bench-101 (Ying et al. 2019): 423,624 unique cells; networks and hashes in
:mod:`zeronas.models.nb101`.

Arch strings: the pruned cell's adjacency, row-major bits, then ``:`` and its operations
joined by ``,`` (``"0110...:input,conv3x3-bn-relu,...,output"``); a JSON object
``{"matrix": [[...]], "ops": [...]}`` is accepted too. Cells that differ only in how their
vertices are numbered share the official module hash, and so their ground truth.

Index order (the shared ground truth's): the rank of the cell's module hash among all
423,624 hashes in ascending hex order, as the official ``hash_iterator``. The list comes
from enumerating the space as the official ``generate_graphs.py`` does (every full DAG of
2..7 vertices and at most 9 edges, every labelling, deduplicated by hash); it is built once,
with progress, and cached on disk (``$ZERONAS_INDEX_DIR``, default ``~/.cache/zeronas``).

Sampling and mutation as in the NB101 paper's examples: a uniform 7x7 upper-triangular
matrix and uniform operations, redrawn until valid; a mutation flips each possible edge
with probability 1/7 and changes each operation with probability 1/5, redrawn until the
cell is valid and differs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import numpy as np
from torch import nn

from zeronas.data.places import index_dir as _index_dir
from zeronas.errors import ArchError
from zeronas.models.nb101 import (
    MAX_EDGES,
    MAX_VERTICES,
    OPERATIONS,
    NB101Cell,
    NB101Network,
    module_hash,
)
from zeronas.spaces.base import SearchSpace, register_space

__all__ = ["NasBench101", "parse_nb101", "enumerate_cells", "SIZE"]

SIZE = 423_624
INTERIOR = MAX_VERTICES - 2


def parse_nb101(text: str) -> NB101Cell:
    """A cell from its string or JSON form, checked and pruned."""
    if not isinstance(text, str) or not text.strip():
        raise ArchError(f"Empty NAS-Bench-101 arch string: {text!r}")
    text = text.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
            return NB101Cell.from_spec(doc["matrix"], doc["ops"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchError(f"Malformed NAS-Bench-101 JSON arch {text!r}: {exc}") from None
    bits, sep, ops_text = text.partition(":")
    ops = ops_text.split(",")
    n = len(ops)
    if not sep or len(bits) != n * n or set(bits) - {"0", "1"}:
        raise ArchError(
            f"Malformed NAS-Bench-101 arch {text!r}: expected n*n adjacency bits, ':', then "
            f"n operations joined by ',' (e.g. '0110001000010000:input,conv3x3-bn-relu,"
            f"maxpool3x3,output')"
        )
    matrix = [[int(bits[i * n + j]) for j in range(n)] for i in range(n)]
    return NB101Cell.from_spec(matrix, ops)


def _padded(cell: NB101Cell) -> tuple[np.ndarray, list[str]]:
    """``cell`` as 7 vertices: unused interior vertices (no edges) before the output."""
    n = cell.size
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=int)
    where = list(range(n - 1)) + [MAX_VERTICES - 1]
    for i, row in enumerate(cell.matrix):
        for j, x in enumerate(row):
            matrix[where[i], where[j]] = x
    ops = list(cell.ops[:-1]) + [OPERATIONS[0]] * (MAX_VERTICES - n) + ["output"]
    return matrix, ops


def _valid(matrix: np.ndarray, ops: list[str]) -> NB101Cell | None:
    try:
        return NB101Cell.from_spec(matrix.tolist(), ops)
    except ArchError:
        return None


def enumerate_cells(
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, tuple[np.ndarray, tuple[int, ...]]]:
    """hash -> (matrix, labels) of every unique cell: each full DAG (every vertex but the
    output has an out-edge, every one but the input an in-edge) of 2..7 vertices and at
    most 9 edges, under every labelling (the official ``generate_graphs``; 1,293,208
    labelled graphs hashed)."""
    cells: dict[str, tuple[np.ndarray, tuple[int, ...]]] = {}
    for n in range(2, MAX_VERTICES + 1):
        # bit k of ``bits`` is edge (x, y) with k = y (y - 1) / 2 + x, as the official
        # gen_is_edge_fn: the first labelled graph met per hash is the one NAS-Bench-101
        # trained, and its vertex numbering decides where a channel remainder goes
        pairs = [(x, y) for y in range(1, n) for x in range(y)]
        out_mask, in_mask = [0] * n, [0] * n
        for k, (i, j) in enumerate(pairs):
            out_mask[i] |= 1 << k
            in_mask[j] |= 1 << k
        total = 2 ** len(pairs)
        for bits in range(total):
            if progress is not None and bits % 8192 == 0:
                progress(n, bits * 100 // total)
            if bin(bits).count("1") > MAX_EDGES:
                continue
            if not all(bits & out_mask[i] for i in range(n - 1)):
                continue
            if not all(bits & in_mask[j] for j in range(1, n)):
                continue
            matrix = np.zeros((n, n), dtype=np.int8)
            for k, (i, j) in enumerate(pairs):
                matrix[i, j] = (bits >> k) & 1
            rows = matrix.tolist()
            for labels in itertools.product(range(len(OPERATIONS)), repeat=n - 2):
                ops = ["input", *(OPERATIONS[k] for k in labels), "output"]
                cells.setdefault(module_hash(rows, ops), (matrix, labels))
    return cells


@register_space
class NasBench101(SearchSpace):
    """NAS-Bench-101 cells (module docstring)."""

    name = "nas-bench-101"
    description = "NAS-Bench-101 (423,624): 7-vertex cells, conv3x3 / conv1x1 / maxpool3x3"
    size = SIZE
    activations = (nn.ReLU,)
    final_hp = "108"  # the table's accuracies: mean of three runs after 108 epochs

    def __init__(self) -> None:
        self._hashes: np.ndarray | None = None
        self._specs: np.ndarray | None = None

    # -- strings -------------------------------------------------------------------------
    def encode(self, arch: NB101Cell) -> str:
        bits = "".join(str(x) for row in arch.matrix for x in row)
        return f"{bits}:{','.join(arch.ops)}"

    def decode(self, text: str) -> NB101Cell:
        return parse_nb101(text)

    @staticmethod
    def to_json(arch: NB101Cell) -> str:
        return json.dumps({"matrix": [list(r) for r in arch.matrix], "ops": list(arch.ops)})

    # -- sampling ------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> NB101Cell:
        while True:
            matrix = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1)
            ops = ["input", *(OPERATIONS[k] for k in rng.integers(3, size=INTERIOR)), "output"]
            cell = _valid(matrix, ops)
            if cell is not None:
                return cell

    def mutate(self, arch: NB101Cell, rng: np.random.Generator) -> NB101Cell:
        start, start_ops = _padded(arch)
        while True:
            matrix, ops = start.copy(), list(start_ops)
            for i, j in zip(*np.triu_indices(MAX_VERTICES, 1), strict=True):
                if rng.random() < 1 / MAX_VERTICES:
                    matrix[i, j] = 1 - matrix[i, j]
            for v in range(1, MAX_VERTICES - 1):
                if rng.random() < 1 / INTERIOR:
                    others = [op for op in OPERATIONS if op != ops[v]]
                    ops[v] = others[int(rng.integers(len(others)))]
            cell = _valid(matrix, ops)
            if cell is not None and cell.hash != arch.hash:
                return cell

    def crossover(self, a: NB101Cell, b: NB101Cell, rng: np.random.Generator) -> NB101Cell:
        """Each edge and operation from ``a`` or ``b`` (redrawn until valid; ``a`` mutated
        after 100 invalid children)."""
        (ma, oa), (mb, ob) = _padded(a), _padded(b)
        for _ in range(100):
            take = rng.random((MAX_VERTICES, MAX_VERTICES)) < 0.5
            ops = [x if rng.random() < 0.5 else y for x, y in zip(oa, ob, strict=True)]
            cell = _valid(np.where(take, ma, mb), ops)
            if cell is not None:
                return cell
        return self.mutate(a, rng)

    # -- index order ---------------------------------------------------------------------
    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        """The sorted hashes (16-byte) and, per hash, its matrix bits and labels: built by
        enumeration once, then read from the cache."""
        if self._hashes is None:
            path = _index_dir() / "nas-bench-101-index.npz"
            if not path.exists():
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

                columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
                text = "NAS-Bench-101's index (built once, cached in $ZERONAS_INDEX_DIR)"
                with Progress(*columns, console=Console(stderr=True)) as progress:
                    task = progress.add_task(text, total=100)

                    def show(n: int, pct: int) -> None:
                        progress.update(task, completed=pct, description=f"{text}: {n} vertices")

                    cells = enumerate_cells(show)
                keys = sorted(cells)
                specs = np.zeros((len(keys), 2 + 49 + INTERIOR), dtype=np.int8)
                for row, key in enumerate(keys):
                    matrix, labels = cells[key]
                    n = len(matrix)
                    specs[row, 0] = n
                    specs[row, 2 : 2 + n * n] = matrix.reshape(-1)
                    specs[row, 51 : 51 + n - 2] = labels
                path.parent.mkdir(parents=True, exist_ok=True)
                hashes = np.array([bytes.fromhex(k) for k in keys], dtype="S16")
                np.savez_compressed(path, hashes=hashes, specs=specs)
            data = np.load(path)
            self._hashes, self._specs = data["hashes"], data["specs"]
        return self._hashes, self._specs  # type: ignore[return-value]

    def known_index(self, arch: NB101Cell) -> int | None:
        """The index once it is built or cached on disk; None before (records need no
        1.3 M-graph enumeration)."""
        built = self._hashes is not None or (_index_dir() / "nas-bench-101-index.npz").exists()
        return self.index(arch) if built else None

    def index(self, arch: NB101Cell) -> int:
        hashes, _ = self._index()
        key = np.array([bytes.fromhex(arch.hash)], dtype="S16")
        position = int(np.searchsorted(hashes, key[0]))
        if position >= len(hashes) or hashes[position] != key[0]:
            raise ArchError(f"NAS-Bench-101 hash {arch.hash} is not in the index")
        return position

    def arch(self, index: int) -> NB101Cell:
        hashes, specs = self._index()
        if not 0 <= int(index) < len(hashes):
            raise ArchError(f"NAS-Bench-101 index must be in [0, {len(hashes) - 1}], got {index}")
        row = specs[int(index)]
        n = int(row[0])
        matrix = row[2 : 2 + n * n].reshape(n, n).tolist()
        ops = ["input", *(OPERATIONS[k] for k in row[51 : 51 + n - 2]), "output"]
        return NB101Cell.from_spec(matrix, ops)

    # -- networks ------------------------------------------------------------------------
    def build(
        self, arch: NB101Cell, num_classes: int, input_shape: tuple[int, int, int] = (3, 32, 32)
    ) -> nn.Module:
        if not isinstance(arch, NB101Cell):
            raise ArchError(f"space 'nas-bench-101' builds NB101Cell values, got {arch!r}")
        net = NB101Network(arch, num_classes, input_shape[0])
        net.arch = arch
        return net
