"""NATS-SSS: index order, exact parameter counts, width-changing cells, search end to end."""

import csv
import json

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.data.tasks import get_dataset
from zeronas.errors import ArchError
from zeronas.groundtruth import CSVGroundTruth
from zeronas.hardware.counting import count_params
from zeronas.models.nb201 import ChannelMap
from zeronas.spaces import get_space
from zeronas.spaces.nats_sss import WIDTHS

SPACE = get_space("nats-sss")


def test_index_order_is_the_product_with_the_first_width_slowest():
    assert SPACE.size == 32768
    assert SPACE.encode(SPACE.arch(0)) == "8:8:8:8:8"
    assert SPACE.encode(SPACE.arch(1)) == "8:8:8:8:16"
    assert SPACE.encode(SPACE.arch(8)) == "8:8:8:16:8"
    assert SPACE.encode(SPACE.arch(32767)) == "64:64:64:64:64"
    rng = np.random.default_rng(0)
    for index in rng.choice(SPACE.size, 200, replace=False):
        assert SPACE.index(SPACE.decode(SPACE.encode(SPACE.arch(int(index))))) == index


@pytest.fixture(scope="module")
def params_table():
    from conftest import shared_file

    return CSVGroundTruth(shared_file("benchmarks/nats-sss/params.csv"))


def test_table_arch_column_follows_the_index_order(params_table):
    assert len(params_table.rows) == SPACE.size
    for index, row in params_table.rows.items():
        assert row["arch"] == SPACE.encode(SPACE.arch(index))


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_param_count_equals_the_authors_code_on_300_configs(params_table, dataset):
    spec = get_dataset(dataset)
    for index in np.random.default_rng(7).choice(SPACE.size, size=300, replace=False):
        with torch.device("meta"):
            net = SPACE.build(SPACE.arch(int(index)), spec.num_classes, spec.input_shape)
        assert count_params(net) == round(params_table.params(int(index), dataset) * 1e6), index


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Empty"),
        ("8:8:8:8", "expected 5 widths"),
        ("8:8:8:8:x", "Malformed width 'x'"),
        ("8:8:8:8:12", "width 12 is not allowed"),
    ],
)
def test_malformed_strings_name_the_bad_part(text, fragment):
    with pytest.raises(ArchError, match=fragment):
        SPACE.decode(text)
    with pytest.raises(ArchError, match=r"\[0, 32767\], got -1"):
        SPACE.arch(-1)


def test_mutation_moves_one_width_up_down_or_resamples():
    rng = np.random.default_rng(3)
    arch = SPACE.decode("8:64:32:32:16")
    steps = set()
    for _ in range(300):
        child = SPACE.mutate(arch, rng)
        changed = [(a, b) for a, b in zip(arch.widths, child.widths, strict=True) if a != b]
        assert len(changed) == 1
        old, new = changed[0]
        steps.add(WIDTHS.index(new) - WIDTHS.index(old))
    assert {1, -1} <= steps and any(abs(s) > 1 for s in steps)


def test_width_changing_cells_map_channels_on_node_0_edges():
    net = SPACE.build(SPACE.decode("16:24:40:48:8"), 10)
    first, _, second, _, third = net.cells
    assert isinstance(first.edges[3], nn.Identity)  # skip 0->3 at equal widths
    assert isinstance(second.edges[3], ChannelMap)  # skip 0->3 maps 24 -> 40
    assert second.edges[0][1].in_channels == 24 and second.edges[0][1].out_channels == 40
    assert second.edges[2][1].in_channels == 40  # inner edge 1->2 at c_out
    assert net.classifier.in_features == 8
    for classes, size in [(10, 32), (100, 32), (120, 16)]:
        model = SPACE.build(SPACE.arch(12345), classes, (3, size, size))
        assert model(torch.randn(2, 3, size, size)).shape == (2, classes)


@pytest.fixture(scope="module")
def sss_truth_csv(tmp_path_factory):
    """A made-up SSS accuracy table (wider is better) in the shared CSV format."""
    path = tmp_path_factory.mktemp("sss") / "sss.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "arch", "test_acc_cifar10"])
        for index in range(SPACE.size):
            arch = SPACE.arch(index)
            writer.writerow([index, str(arch), 50 + sum(arch.widths) / 8])
    return path


SMALL = {
    "random": [],
    "rea": ["-o", "population=4", "-o", "tournament=2"],
    "ga": ["-o", "population=4"],
    "freerea": ["-o", "population=4", "-o", "tournament=3"],
}


@pytest.mark.parametrize("algorithm", list(SMALL))
def test_every_algorithm_searches_nats_sss_end_to_end(tmp_path, sss_truth_csv, algorithm):
    args = ["search", "--space", "nats-sss", "--algorithm", algorithm, "--budget", "12"]
    args += ["--proxies", "naswot,synflow,relu_count", "--batch-size", "8", *SMALL[algorithm]]
    args += ["--benchmark", str(sss_truth_csv), "--out", str(tmp_path), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["space"] == "nats-sss" and doc["evaluations"] == 12 and doc["failed"] == 0
    best = doc["best"]
    assert best["accuracy"] == pytest.approx(50 + sum(map(int, best["arch"].split(":"))) / 8)
    assert doc["ground_truth"].startswith("test accuracy, 90-epoch schedule")


def test_a_table_of_another_space_is_refused(tmp_path, accuracy_csv):
    args = ["search", "--space", "nats-sss", "--benchmark", str(accuracy_csv), "--budget", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Row index 0" in result.stderr and "is '8:8:8:8:8'" in result.stderr
