import csv

import numpy as np
import pytest
import torch

from zeronas.errors import ArchError
from zeronas.spaces import get_space
from zeronas.spaces.nats_tss import EDGES, OPERATIONS

SPACE = get_space("nats-tss")
INDEX_0 = (
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|"
    "+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
)


def test_official_index_order_matches_every_row_of_the_table(accuracy_csv):
    with accuracy_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == SPACE.size == 15625
    for row in rows:
        assert SPACE.encode(SPACE.arch(int(row["index"]))) == row["arch"]
        assert SPACE.index(SPACE.decode(row["arch"])) == int(row["index"])


def test_known_indices_without_shared_data():
    assert SPACE.encode(SPACE.arch(0)) == INDEX_0
    assert SPACE.index(SPACE.decode(INDEX_0)) == 0
    assert sorted(SPACE.index(a) for a in SPACE.enumerate()) == list(range(15625))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Empty"),
        ("|nor_conv_3x3~0|+|none~0|none~1|", "3 node groups"),
        ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "Unknown op 'conv_5x5'"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "expected 'op~0'"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "needs 2 inputs"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "must be '|op~i|...|'"),
    ],
)
def test_malformed_strings_name_the_bad_part(text, fragment):
    with pytest.raises(ArchError, match=fragment.replace("|", r"\|").replace(".", r"\.")):
        SPACE.decode(text)


def test_index_out_of_range():
    with pytest.raises(ArchError, match=r"\[0, 15624\], got 15625"):
        SPACE.arch(15625)


@pytest.mark.parametrize("name", ["nats-tss", "nats-sss"])
def test_crossover_of_fixed_length_genomes_takes_every_gene_from_a_parent(name):
    space = get_space(name)
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = space.sample(rng), space.sample(rng)
        genes = [_genes(space.crossover(a, b, rng)), _genes(a), _genes(b)]
        assert all(g in (x, y) for g, x, y in zip(*genes, strict=True))


def _genes(arch) -> tuple:
    return getattr(arch, "ops", None) or arch.widths


def test_mutation_changes_exactly_one_edge():
    rng = np.random.default_rng(1)
    arch = SPACE.arch(1)
    for _ in range(100):
        child = SPACE.mutate(arch, rng)
        assert sum(x != y for x, y in zip(arch.ops, child.ops, strict=True)) == 1


def test_sampling_is_uniform_over_ops():
    rng = np.random.default_rng(0)
    counts = {op: 0 for op in OPERATIONS}
    for _ in range(2000):
        for op in SPACE.sample(rng).ops:
            counts[op] += 1
    assert all(abs(c / (2000 * len(EDGES)) - 0.2) < 0.02 for c in counts.values())


@pytest.mark.parametrize(("classes", "size"), [(10, 32), (100, 32), (120, 16)])
def test_build_shapes(classes, size):
    net = SPACE.build(SPACE.arch(1), classes, (3, size, size))
    assert net(torch.randn(2, 3, size, size)).shape == (2, classes)
    assert net.forward_features(torch.randn(2, 3, size, size)).shape == (2, 64)
    assert net.arch == SPACE.arch(1)


def test_none_op_multiplies_by_zero_and_keeps_nan():
    net = SPACE.build(SPACE.decode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), 10)
    cell = net.cells[0]
    x = torch.randn(1, 16, 4, 4)
    assert torch.equal(cell(x), torch.zeros_like(x))
    x[0, 0, 0, 0] = float("nan")
    assert torch.isnan(cell(x)).any()


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_param_count_equals_table_on_300_cells(accuracy_csv, dataset):
    from zeronas.data.tasks import get_dataset
    from zeronas.groundtruth import CSVGroundTruth
    from zeronas.hardware.counting import count_params

    truth, spec = CSVGroundTruth(accuracy_csv), get_dataset(dataset)
    indices = np.random.default_rng(2024).choice(SPACE.size, size=300, replace=False)
    for index in indices:
        with torch.device("meta"):
            net = SPACE.build(SPACE.arch(int(index)), spec.num_classes, spec.input_shape)
        count = count_params(net)
        assert count == round(truth.params(int(index), dataset) * 1e6), int(index)
