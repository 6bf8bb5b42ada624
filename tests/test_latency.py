"""ONNX Runtime latency and the blocks space's per-block lookup table (issue 17)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from test_search_cli import _fail, _ok

from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.hardware.block_latency import BlockLatencyTable, build_table, check_table, table_parts
from zeronas.hardware.costs import CostModel
from zeronas.hardware.latency import measure_onnx_ms
from zeronas.hardware.latency_table import open_latency_table
from zeronas.spaces import get_space

ARCH = "ds_k3_s2_c16-ds_k3_s1_c16-ds_k3_s2_c16-ds_k3_s1_c16"  # inside the small grid
SMALL = {"types": ("ds",), "kernels": (3,), "channels": (16,)}


@pytest.fixture(scope="module")
def small_table(tmp_path_factory):
    """A table of every part a ds-k3-16-channel network on CIFAR-10 can use."""
    space, spec = get_space("blocks"), get_dataset("cifar10")
    path = tmp_path_factory.mktemp("table") / "table.csv"
    parts = table_parts(space, spec, **SMALL)
    assert build_table(path, space, parts, repeats=5) == len(parts)
    return path


def test_the_grid_holds_every_part_the_space_can_produce():
    space, spec = get_space("blocks"), get_dataset("cifar10")
    # 7 type/expansion pairs x 3 kernels x (5 sizes at stride 1 + 4 at stride 2) x 8 x 8
    # channel pairs, the head at 8 widths x 5 sizes, the stem and the call overhead
    assert len(table_parts(space, spec)) == 7 * 3 * 9 * 64 + 40 + 2
    small = table_parts(space, spec, **SMALL)
    assert len(small) == 2 + 9 + 5 and len(set(small)) == len(small)


def test_measured_latency_is_a_median_of_runs():
    space, spec = get_space("blocks"), get_dataset("cifar10")
    net = space.build(space.decode(ARCH), spec.num_classes, spec.input_shape)
    m = measure_onnx_ms(net, spec.input_shape, threads=1, warmup=2, repeats=9)
    assert 0 < m.median_ms <= m.p90_ms and (m.threads, m.repeats) == (1, 9)


def test_a_build_resumes_and_the_prediction_sums_the_parts(small_table, tmp_path):
    space, spec = get_space("blocks"), get_dataset("cifar10")
    lines = small_table.read_text().splitlines()
    resumed = tmp_path / "resumed.csv"
    resumed.write_text("\n".join(lines[:-3]) + "\n")  # killed three parts before the end
    assert build_table(resumed, space, table_parts(space, spec, **SMALL), repeats=5) == 3
    assert len(resumed.read_text().splitlines()) == len(lines)
    rows = list(csv.DictReader(small_table.open()))
    ms = {(r["part"], r["stride"], r["c_in"], r["height"]): float(r["latency_ms"]) for r in rows}
    overhead = ms[("overhead", "0", "3", "32")]
    # stem 32 -> 16; ds s2 at 16, s1 at 8, s2 at 8, s1 at 4; head at 4x4
    parts = [ms[("stem", "2", "3", "32")], ms[("block", "2", "16", "16")],
             ms[("block", "1", "16", "8")], ms[("block", "2", "16", "8")],
             ms[("block", "1", "16", "4")], ms[("head", "1", "16", "4")]]  # fmt: skip
    table = open_latency_table(f"{small_table}:latency_ms")
    assert isinstance(table, BlockLatencyTable)
    expected = sum(p - overhead for p in parts) + overhead
    assert table.latency(space, space.decode(ARCH), spec) == pytest.approx(expected)
    model = CostModel(space, spec, f"{small_table}:latency_ms")
    assert model(space.decode(ARCH), ["latency_ms"])["latency_ms"] == pytest.approx(expected)
    check = check_table(table, space, spec, archs=[space.decode(ARCH)] * 2, repeats=5)
    assert check["networks"] == 2 and check["median_relative_error"] >= 0


def test_a_block_table_refuses_what_it_does_not_cover(small_table):
    space, spec = get_space("blocks"), get_dataset("cifar10")
    table = open_latency_table(f"{small_table}:latency_ms")
    with pytest.raises(ZeroNASError, match="has no entry for .*'kernel': 5.*zeronas latency"):
        table.latency(space, space.decode(ARCH.replace("k3", "k5", 1)), spec)
    with pytest.raises(ZeroNASError, match="per-block table of the 'blocks' space"):
        table.check_space(get_space("nats-tss"))
    with pytest.raises(ZeroNASError, match="has no column 'pi4_ms'"):
        open_latency_table(f"{small_table}:pi4_ms")


def test_latency_cli_measures_and_builds(small_table, tmp_path):
    args = ["latency", "--space", "blocks", "--dataset", "cifar10", "--arch", ARCH]
    args += ["--runs", "5", "--table", f"{small_table}:latency_ms", "--json"]
    doc = json.loads(_ok(args).stdout)
    assert doc["runtime"] == "onnxruntime" and doc["median_ms"] > 0 and doc["table_ms"] > 0
    assert "--threads must be >= 1, got 0" in _fail([*args, "--threads", "0"])
    old = args[:-5] + ["--repeats", "3", "--json"]  # the old name of --runs: kept, with a note
    result = _ok(old)
    assert json.loads(result.stdout)["repeats"] == 3 and "called --runs now" in result.stderr
    build = ["latency", "build-table", "--dataset", "cifar10", "--out", str(tmp_path / "t.csv")]
    build += ["--types", "ds", "--kernels", "3", "--channels", "16", "--runs", "3"]
    doc = json.loads(_ok([*build, "--check-networks", "0", "--json"]).stdout)
    assert (doc["parts"], doc["measured_now"]) == (16, 16)
    assert "needs the full grid" in _fail(build)  # 50 random networks leave a small grid
    assert "measures the 'blocks' space" in _fail([*build, "--space", "nats-tss"])


def test_the_shipped_cifar10_table_covers_every_part_and_predicts_any_network():
    """docs/latency's table (built on one CPU) holds exactly the grid's parts, so every
    network of the space on CIFAR-10 input gets a prediction from it."""
    space, spec = get_space("blocks"), get_dataset("cifar10")
    path = Path(__file__).parents[1] / "docs" / "latency" / "blocks-cifar10-avx2.csv"
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == len(table_parts(space, spec)) == 12138
    assert all(float(r["latency_ms"]) > 0 for r in rows)
    table = open_latency_table(f"{path}:latency_ms")
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert 0 < table.latency(space, space.sample(rng), spec) < 1000
