"""The command line end to end: JSON output, files written, bad input -> exit 2 + one line."""

import csv
import json
import math

import pytest
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.groundtruth.correlation import correlation_rows, failed_last
from zeronas.proxies import parse_proxy_list
from zeronas.scoring.records import ArchScores, ProxyValue

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_listings():
    assert "nats-tss" in [s["name"] for s in _json(["spaces"])["spaces"]]
    rows = {p["name"]: p for p in _json(["proxies"])["proxies"]}
    assert rows["naswot"]["needs_data"] and rows["naswot"]["higher_is_better"]
    assert not rows["relu_count"]["needs_data"]
    assert {d["name"] for d in _json(["datasets"])["datasets"]} >= {"cifar10", "ImageNet16-120"}


def test_score_by_index_and_by_arch_agree():
    by_index = _json(
        ["score", "--index", "1", "--proxies", "synflow,params,skip", "--batch-size", "4"]
    )
    arch = by_index["arch"]
    by_arch = _json(
        ["score", "--arch", arch, "--proxies", "synflow,params,skip", "--batch-size", "4"]
    )
    assert by_index["scores"] == by_arch["scores"]
    assert by_index["scores"]["params"] == pytest.approx(0.802426)
    # no --data: the real CIFAR-10 images shipped with zeronas
    assert by_index["data"]["synthetic"] is False and by_index["data"]["source"] == "embedded"


def test_score_reports_minus_inf_as_a_value():
    doc = _json(
        [
            "score",
            "--arch",
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "--proxies",
            "naswot",
            "--batch-size",
            "8",
        ]
    )
    assert doc["scores"]["naswot"] == "-inf" and not doc["errors"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["score", "--arch", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"],
            "Unknown op 'conv'",
        ),
        (["score", "--arch", "garbage"], "Malformed NATS-TSS arch 'garbage'"),
        (["score", "--index", "1", "--proxies", "naswt"], "Did you mean 'naswot'"),
        (["score", "--index", "1", "--space", "nats-tps"], "Unknown search space 'nats-tps'"),
        (["score", "--index", "1", "--dataset", "mnist"], "Unknown dataset 'mnist'"),
        (["score"], "exactly one of --arch"),
        (["score", "--index", "1", "--init", "xavier"], "--init must be one of kaiming, kaiming_"),
        (["correlate", "--sample", "lots"], "--sample must be a number of cells or 'all'"),
        (["correlate", "--benchmark", "/nonexistent/acc.csv"], "not found: '/nonexistent/acc.csv'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_malformed_benchmark_exits_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("idx,arch\n0,x\n")
    result = runner.invoke(app, ["correlate", "--benchmark", str(bad)])
    assert result.exit_code == 2 and "lacks column" in result.stderr


def test_correlate_writes_csv_plots_and_json(tmp_path, accuracy_csv):
    doc = _json(
        [
            "correlate",
            "--benchmark",
            str(accuracy_csv),
            "--sample",
            "12",
            "--seed",
            "1",
            "--proxies",
            "naswot,synflow,params",
            "--batch-size",
            "16",
            "--out",
            str(tmp_path),
        ]
    )
    assert [r["proxy"] for r in doc["rows"]] == ["naswot", "synflow", "params"]
    for row in doc["rows"]:
        assert row["n"] + row["excluded"] == 12
        assert row["kendall_tau"] == "nan" or -1 <= row["kendall_tau"] <= 1
    with (tmp_path / "scores.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and {"accuracy", "naswot", "naswot_seconds"} <= set(rows[0])
    for name in ("naswot", "synflow", "params"):
        assert (tmp_path / f"scatter_{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_minus_inf_cells_are_excluded_with_a_count():
    proxies = parse_proxy_list("naswot")
    values = [5.0, -math.inf, 7.0, 6.0, -math.inf]
    records = [
        ArchScores(str(i), i, {"naswot": ProxyValue(v, 0.1)}, 0.0) for i, v in enumerate(values)
    ]
    (row,) = correlation_rows(records, [50.0, 10.0, 70.0, 60.0, 20.0], proxies)
    assert (row.n, row.excluded) == (3, 2)
    assert row.kendall_tau == pytest.approx(1.0) and row.spearman_rho == pytest.approx(1.0)
    # over all five, the two excluded tie in last place: ranks (3, 1.5, 5, 4, 1.5) against
    # (3, 1, 5, 4, 2): ρ = 9.5 / √(9.5 · 10), τ_b = 9 / √(9 · 10)
    assert row.spearman_rho_all == pytest.approx(math.sqrt(0.95))
    assert row.kendall_tau_all == pytest.approx(9 / math.sqrt(90))
    # a lower-is-better proxy keeps its sign; its failures still rank last (worst)
    flipped = [ArchScores(str(i), i, {"ntk_cond": ProxyValue(-v, 0.1)}, 0.0)
               for i, v in enumerate(values)]  # fmt: skip
    (row,) = correlation_rows(flipped, [50.0, 10.0, 70.0, 60.0, 20.0], parse_proxy_list("ntk_cond"))
    assert row.spearman_rho == pytest.approx(-1.0)
    assert row.spearman_rho_all == pytest.approx(-math.sqrt(0.95))


def test_failed_last_orients_and_puts_every_failure_below_the_worst_finite_value():
    lower_is_better = failed_last([2.0, math.nan, 1.0, math.inf], higher_is_better=False)
    assert lower_is_better.tolist() == [-2.0, -3.0, -1.0, -3.0]
    assert math.isnan(failed_last([math.nan, -math.inf])[0])


def test_results_on_the_synthetic_batch_say_which_proxies_read_random_labels():
    args = ["score", "--index", "1", "--proxies", "snip,relu_count", "--data", "synthetic"]
    result = runner.invoke(app, [*args, "--batch-size", "4", "--no-cache", "--json"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert any("SYNTHETIC" in w for w in warnings)
    assert any(w.startswith("snip read the batch's labels") for w in warnings)
    quiet = runner.invoke(app, [*args[:4], "relu_count", *args[5:], "--no-cache", "--json"])
    assert json.loads(quiet.stdout)["warnings"] == []  # a data-free proxy: nothing to say


def test_a_proxy_set_gets_its_own_correlation_row_from_its_combiner():
    members = parse_proxy_list("az_nas")
    accuracy = [70.0, 60.0, 90.0, 80.0]
    # trainability -inf (an identity cell) ranks last, it does not exclude the cell
    order = [2, 1, 4, 3]
    columns = {"flops": order, "az_expressivity": order, "az_progressivity": order,
               "az_trainability": [0, -math.inf, 0, 0]}  # fmt: skip
    records = [
        ArchScores(str(i), i, {n: ProxyValue(float(v[i]), 0.5) for n, v in columns.items()}, 0.0)
        for i in range(4)
    ]
    rows = {row.proxy: row for row in correlation_rows(records, accuracy, members)}
    assert rows["az_trainability"].excluded == 1
    combined = rows["az_nas"]
    assert (combined.n, combined.excluded) == (4, 0)
    assert combined.spearman_rho == pytest.approx(1.0)
    assert combined.seconds_per_cell == pytest.approx(2.0)  # its members' seconds summed
    assert combined.top1 == 90.0
