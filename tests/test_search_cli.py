"""`zeronas search` and `zeronas experiment` end to end: JSON, files, bad input -> exit 2."""

import csv
import json

import pytest
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.spaces import get_space

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def _fail(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    return result.stderr.strip()


@pytest.fixture
def table_args(accuracy_csv, reference_csv):
    return ["--scores", str(reference_csv), "--benchmark", str(accuracy_csv)]


def test_search_on_reference_scores_writes_the_run(tmp_path, table_args):
    args = ["search", *table_args, "--budget", "300", "--proxies", "naswot,logsynflow,skip"]
    doc = json.loads(_ok([*args, "--out", str(tmp_path), "--json"]).stdout)
    assert doc["evaluations"] == 300 and doc["algorithm"] == "rea"
    assert doc["best"]["accuracy"] > 93.0 and doc["best"]["index"] is not None
    assert doc["data"] is None  # every proxy came from the table or the arch: no batch
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved["best"] == doc["best"]
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert len(rows) == 300 and rows[-1]["best_so_far_accuracy"] == str(doc["best"]["accuracy"])
    assert {"naswot", "logsynflow", "skip", "fitness", "seconds", "elapsed"} <= set(rows[0])
    text = _ok([*args, "--out", str(tmp_path / "again")]).stdout
    assert doc["best"]["arch"][:20] in text and "accuracy" in text


def test_freerea_on_a_time_budget_alone(tmp_path, table_args):
    args = ["search", *table_args, "--algorithm", "freerea", "--seconds", "45"]
    args += ["--proxies", "naswot,logsynflow,skip", "--out", str(tmp_path), "--json"]
    doc = json.loads(_ok(args).stdout)
    assert doc["evaluation_budget"] == {"evaluations": None, "seconds": 45.0}
    assert doc["evaluations"] > 100 and 45 <= doc["search_seconds"] < 47
    assert doc["best"]["accuracy"] >= 94.36


def test_a_two_stage_search_reports_the_reranked_candidates(tmp_path, table_args):
    args = ["search", *table_args, "--budget", "60", "--proxies", "naswot,logsynflow,skip"]
    args += ["--screen", "logsynflow", "--rerank", "6", "--out", str(tmp_path), "--json"]
    doc = json.loads(_ok(args).stdout)
    assert doc["rerank"]["k"] == 6 and doc["fitness"]["proxies"] == ["logsynflow"]
    assert len(doc["reranked"]) == 6
    assert doc["best"]["arch"] in {r["arch"] for r in doc["reranked"]}
    assert set(doc["best"]["values"]) == {"logsynflow", "naswot", "skip"}
    assert all(r["accuracy"] is not None for r in doc["reranked"])
    assert "--rerank must be an integer >= 0. Got -2" in _fail([*args, "--rerank", "-2"])
    assert "--screen must be proxies to propose with" in _fail(
        ["search", *table_args, "--proxies", "naswot,logsynflow", "--rerank", "4"]
    )


def test_search_options_and_constraints(tmp_path, table_args):
    args = ["search", *table_args, "--algorithm", "ga", "-o", "population=8", "--budget", "40"]
    args += ["--proxies", "naswot,logsynflow", "--max-params", "0.5", "--out", str(tmp_path)]
    args += ["--json"]
    doc = json.loads(_ok(args).stdout)
    assert doc["params"]["population"] == 8 and doc["limits"]["max_params"] == 0.5
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    # cells over the limits are never proposed: none in the history, counted in "limit_checks"
    assert doc["rejected"] == sum(r["status"] == "rejected" for r in rows) == 0
    checks = doc["limit_checks"]
    assert checks["rejected"] > 0 and set(checks["reasons"]) == {"params"}
    space = get_space("nats-tss")
    assert all(space.costs(space.decode(r["arch"]), 10)[0] <= 0.5e6 for r in rows)


def test_live_search_offline_on_a_synthetic_batch(tmp_path):
    args = ["search", "--budget", "3", "--batch-size", "8", "--data", "synthetic"]
    args += ["--out", str(tmp_path), "--json"]
    result = _ok(args)
    doc = json.loads(result.stdout)
    assert doc["evaluations"] == 3 and doc["data"]["synthetic"] is True
    assert "SYNTHETIC" in result.stderr
    assert doc["best"]["accuracy"] > 0 and "shipped with zeronas" in doc["ground_truth"]
    assert "SYNTHETIC" in json.loads((tmp_path / "run.json").read_text())["warnings"][0]
    again = json.loads(_ok(args).stdout)
    assert again["best"] == doc["best"]  # same seed, same run


def test_search_bad_input_is_one_line(table_args):
    assert "Did you mean 'rea'" in _fail(["search", "--algorithm", "reea"])
    assert "Unknown parameter 'pop' of searcher 'rea'" in _fail(["search", "-o", "pop=3"])
    assert "--option must be KEY=VALUE" in _fail(["search", "-o", "population"])
    assert "Did you mean 'norm-sum'" in _fail(["search", "--combine", "normsum"])
    assert "--budget must be an integer >= 1. Got -1" in _fail(
        ["search", *table_args, "--budget", "-1"]
    )
    assert "--budget 0 means no cap on evaluations" in _fail(
        ["search", *table_args, "--budget", "0"]
    )
    assert "--max-flops must be a positive number. Got -5.0" in _fail(
        ["search", "--max-flops", "-5"]
    )
    assert "--seed must be an integer in [0, " in _fail(["search", "--seed", str(2**70)])
    assert "one finite number per proxy" in _fail(["search", "--weights", "1"])
    assert "Scores file not found" in _fail(["search", "--scores", "missing.csv"])


def test_experiment_tables_and_curves(tmp_path, table_args):
    args = ["experiment", *table_args, "--dataset", "cifar10", "--algorithms", "random,rea"]
    args += ["--n", "10,50", "--runs", "3", "--proxies", "naswot,logsynflow"]
    args += ["--proxies", "naswot,logsynflow,skip", "--out", str(tmp_path), "--json"]
    doc = json.loads(_ok(args).stdout)
    assert len(doc["rows"]) == 2 * 2 * 2 and doc["settings"]["runs"] == 3
    rows = list(csv.DictReader((tmp_path / "experiment.csv").open()))
    assert {r["algorithm"] for r in rows} == {"random", "rea"}
    assert all(float(r["optimum"]) == pytest.approx(94.3733) for r in rows)
    assert len(list(csv.DictReader((tmp_path / "runs.csv").open()))) == 8 * 3
    markdown = (tmp_path / "experiment.md").read_text()
    assert "## cifar10 naswot+logsynflow+skip (space optimum 94.37)" in markdown
    assert "| rea | 50 | 50 |" in markdown
    assert (tmp_path / "curves_cifar10_naswot_logsynflow_skip.png").stat().st_size > 5000
    assert "needs a --seconds budget" in _fail(["experiment", *table_args, "--n", "0"])


def test_live_experiment_on_two_workers_equals_one(tmp_path, accuracy_csv):
    args = ["experiment", "--benchmark", str(accuracy_csv), "--algorithms", "rea", "--n", "6"]
    args += ["--runs", "2", "--proxies", "naswot,skip", "--batch-size", "8", "--no-cache"]
    args += ["--dataset", "cifar10"]
    runs, values = {}, {}
    for workers in ("1", "2"):
        out = tmp_path / workers
        _ok([*args, "--workers", workers, "--out", str(out), "--json"])
        rows = list(csv.DictReader((out / "runs.csv").open()))
        runs[workers] = [(r["seed"], r["index"], r["accuracy"]) for r in rows]
        values[workers] = [float(json.loads(r["values"])["naswot"]) for r in rows]
    assert len(runs["1"]) == 2 and runs["1"] == runs["2"]
    # one intra-op thread in the workers, two here: float rounding differs, not the runs
    assert values["1"] == pytest.approx(values["2"], rel=1e-5)


def test_a_device_latency_table_limits_the_search(tmp_path, table_args):
    from conftest import shared_file

    table = shared_file("benchmarks/nats-tss/latency_cifar10.csv")
    latency = {int(r["index"]): float(r["raspi4_ms"]) for r in csv.DictReader(table.open())}
    args = ["search", *table_args, "--proxies", "naswot,logsynflow", "--budget", "150"]
    args += ["--latency-table", f"{table}:raspi4_ms", "--max-latency-ms", "20"]
    doc = json.loads(_ok([*args, "--out", str(tmp_path), "--json"]).stdout)
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert rows and all(latency[int(r["index"])] <= 20 for r in rows)  # never proposed above
    assert doc["limit_checks"]["reasons"] == {"latency": doc["limit_checks"]["rejected"]} != {}
    assert doc["limits"]["latency_table"].endswith(":raspi4_ms")
    costs = doc["best"]["costs"]  # what the answer costs, under every limit in force
    assert costs["latency_ms"] == latency[doc["best"]["index"]] <= 20
    space = get_space("nats-tss")
    params, macs = space.costs(space.arch(doc["best"]["index"]), 10, (3, 32, 32))
    assert (costs["params"], costs["macs"]) == (params / 1e6, macs / 1e6)
    assert costs["size_kib"] == pytest.approx(params * 4 / 1024)
    assert "has no column 'raspi5_ms'. Columns: raspi4_ms, pixel3_ms" in _fail(
        [*args[:-3], f"{table}:raspi5_ms", "--max-latency-ms", "20"]
    )
    assert "--max-latency-ms must be set with a latency table (or latency_ms an objective)" in (
        _fail(args[:-2])
    )
    assert "a latency table is PATH:COLUMN" in _fail([*args[:-3], str(table), *args[-2:]])
    other = ["search", "--space", "nats-sss", "--proxies", "params", "--budget", "3"]
    assert "a table of another space?" in _fail([*other, *args[-4:]])


@pytest.mark.parametrize(
    ("space", "proposing"), [("nats-tss", ["params"]), ("nats-sss", ["synflow"])]
)
def test_plain_search_takes_the_spaces_own_proxies(tmp_path, space, proposing):
    """The ensemble (proposing with its params screen) unless the space names its own: on
    NATS-SSS the TSS-chosen ensemble ranks badly, synflow well."""
    args = ["search", "--space", space, "--budget", "4", "--data", "synthetic", "--no-cache"]
    doc = json.loads(_ok([*args, "--out", str(tmp_path), "--json"]).stdout)
    assert doc["fitness"]["proxies"] == proposing
    args += ["--proxies", "naswot", "--out", str(tmp_path / "given"), "--json"]
    given = json.loads(_ok(args).stdout)
    assert given["fitness"]["proxies"] == ["naswot"]  # a --proxies given is kept
