"""NAS-Bench-101: the official pruning, module hash and network (parameter counts of the
published cells), strings, sampling and mutation, and the hash-ordered index."""

import itertools
import json
import re

import numpy as np
import pytest
import torch

from zeronas.errors import ArchError, BenchmarkError
from zeronas.models.nb101 import NB101Cell, NB101Network, vertex_channels
from zeronas.spaces import get_space
from zeronas.spaces import nas_bench_101 as nb101

SPACE = get_space("nas-bench-101")
C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"


@pytest.fixture(scope="module")
def cells_30():
    from conftest import shared_file

    return json.loads(shared_file("benchmarks/nas-bench-101/cells_30.json").read_text())


def test_the_published_cells_have_their_parameter_count_and_hash(cells_30):
    for record in cells_30:
        cell = NB101Cell.from_spec(record["module_adjacency"], record["module_operations"])
        net = SPACE.build(cell, 10)
        assert sum(p.numel() for p in net.parameters()) == record["trainable_parameters"]
        assert cell.hash == record["hash"]


def test_the_hash_ignores_how_vertices_are_numbered(cells_30):
    cell = NB101Cell.from_spec(cells_30[0]["module_adjacency"], cells_30[0]["module_operations"])
    n, seen = cell.size, 0
    for order in itertools.permutations(range(1, n - 1)):
        perm = [0, *order, n - 1]
        matrix = [[cell.matrix[perm[i]][perm[j]] for j in range(n)] for i in range(n)]
        if any(matrix[i][j] for i in range(n) for j in range(i + 1)):
            continue  # not upper-triangular in this numbering
        other = NB101Cell.from_spec(matrix, [cell.ops[p] for p in perm])
        assert other.hash == cell.hash
        seen += other != cell
    assert seen >= 1


def test_pruning_and_validity_follow_the_official_spec():
    # vertex 2 hangs off the input with no way to the output: pruned away
    matrix = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    cell = NB101Cell.from_spec(matrix, ["input", C3, MP, "output"])
    assert cell.ops == ("input", C3, "output") and cell.matrix == ((0, 1, 0), (0, 0, 1), (0, 0, 0))
    with pytest.raises(ArchError, match="no path from input to output"):
        NB101Cell.from_spec([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", C3, "output"])
    with pytest.raises(ArchError, match="upper-triangular"):
        NB101Cell.from_spec([[0, 1, 0], [1, 0, 1], [0, 0, 0]], ["input", C3, "output"])
    with pytest.raises(ArchError, match="Unknown NAS-Bench-101 operation 'conv5x5'"):
        NB101Cell.from_spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"])
    full = np.triu(np.ones((7, 7), dtype=int), 1)  # 21 edges
    with pytest.raises(ArchError, match="21 edges after pruning; at most 9"):
        NB101Cell.from_spec(full.tolist(), ["input", *[C3] * 5, "output"])


def test_channels_split_among_the_vertices_feeding_the_output():
    # input -> 1 -> 2 -> output, 1 -> output, 3 -> output, input -> 3
    matrix = [[0, 1, 0, 1, 0], [0, 0, 1, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0] * 5]
    assert vertex_channels(128, 256, matrix) == [128, 86, 85, 85, 256]
    # vertex 1 feeds only vertex 2: it takes its successor's width
    chain = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert vertex_channels(64, 128, chain) == [64, 128, 128, 128]


def test_strings_json_and_bad_strings():
    rng = np.random.default_rng(3)
    for _ in range(20):
        cell = SPACE.sample(rng)
        assert SPACE.decode(SPACE.encode(cell)) == cell
        assert SPACE.decode(nb101.NasBench101.to_json(cell)) == cell
    for text, fragment in [
        ("", "Empty"),
        ("010:input,output", "expected n*n adjacency bits"),
        ("0120:input,output", "expected n*n adjacency bits"),
        ("0101:input,output", "edge 1->1 is not"),
        ('{"matrix": [[0, 1]]}', "Malformed NAS-Bench-101 JSON"),
    ]:
        with pytest.raises(ArchError, match=re.escape(fragment)):
            SPACE.decode(text)


def test_sampling_mutation_and_crossover_stay_valid_and_seeded():
    rng = np.random.default_rng(0)
    cells = [SPACE.sample(rng) for _ in range(30)]
    again = [SPACE.sample(np.random.default_rng(0)) for _ in range(1)]
    assert again[0] == cells[0]
    for a, b in itertools.pairwise(cells):
        child = SPACE.mutate(a, rng)
        assert child.hash != a.hash and sum(map(sum, child.matrix)) <= 9
        mixed = SPACE.crossover(a, b, rng)
        assert NB101Cell.from_spec(mixed.matrix, mixed.ops) == mixed  # valid and pruned
    out = NB101Network(cells[0], 10)(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_the_index_is_the_rank_of_the_hash(tmp_path, monkeypatch):
    """The index machinery on a small stand-in enumeration (the real one takes minutes and
    is checked by benchmarks/nb101_index.py): hashes sorted, arch(i) <-> index, cached."""
    rng = np.random.default_rng(1)
    cells = {c.hash: c for c in (SPACE.sample(rng) for _ in range(40))}
    stand_in = {
        h: (
            np.array(c.matrix, dtype=np.int8),
            tuple(nb101.OPERATIONS.index(o) for o in c.ops[1:-1]),
        )
        for h, c in cells.items()
    }
    calls = []
    monkeypatch.setattr(nb101, "enumerate_cells", lambda progress=None: calls.append(1) or stand_in)
    monkeypatch.setenv("ZERONAS_INDEX_DIR", str(tmp_path))
    space = nb101.NasBench101()
    for index, key in enumerate(sorted(cells)):
        assert space.arch(index).hash == key and space.index(cells[key]) == index
    assert calls == [1] and (tmp_path / "nas-bench-101-index.npz").exists()
    nb101.NasBench101().arch(0)  # a new space reads the cache
    assert calls == [1]
    with pytest.raises(ArchError, match="index must be in"):
        space.arch(len(cells))


def test_the_shared_table_is_read_by_hash_rank_at_108_epochs():
    from conftest import shared_file

    from zeronas.groundtruth import open_ground_truth

    truth = open_ground_truth(shared_file("benchmarks/nas-bench-101/accuracy.csv"), space=SPACE)
    assert truth.label == "test accuracy, 108-epoch schedule (CSV table)"
    assert truth.accuracy(0, "cifar10") == pytest.approx(92.0606)
    tss = shared_file("benchmarks/nats-tss/latency_cifar10.csv")  # index only, 15,625 rows
    with pytest.raises(BenchmarkError, match="a table of another space"):
        open_ground_truth(tss, space=SPACE)
