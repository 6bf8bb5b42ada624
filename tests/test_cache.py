"""The score store: round trip, first write wins, concurrent writers, the cached scorer,
`zeronas cache`, and a correlate run killed with SIGKILL that resumes to the same table."""

import json
import math
import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ONE_THREAD, stored_rows
from typer.testing import CliRunner

from zeronas import api
from zeronas.cli import app
from zeronas.hardware.counting import count_params
from zeronas.spaces import get_space
from zeronas.store.schema import ScoreKey, StoredScore, StoreError
from zeronas.store.sqlite import ScoreStore
from zeronas.store.tables import ScoreTable

KEY = ScoreKey("nats-tss", "cifar10", "abc123", 0, '{"init": "kaiming"}')
V1 = {"naswot": "1", "synflow": "1", "skip": "1"}


def test_round_trip_and_first_write_wins(tmp_path):
    store = ScoreStore(tmp_path / "s.sqlite")
    store.put(KEY, "cell-a", {"naswot": StoredScore(-math.inf, 0.5, None)}, V1)
    store.put(
        KEY,
        "cell-a",
        {"naswot": StoredScore(1.0, 9.0, None), "synflow": StoredScore(2.0, 1.0, None)},
        V1,
    )
    got = store.get(KEY, "cell-a", V1)
    assert got == {
        "naswot": StoredScore(-math.inf, 0.5, None),
        "synflow": StoredScore(2.0, 1.0, None),
    }
    other = ScoreKey(**{**KEY.__dict__, "batch_fingerprint": "another"})
    assert store.get(other, "cell-a", {"naswot": "1"}) == {}
    assert store.get(KEY, "cell-a", {"naswot": "2"}) == {}  # another version is not served
    info = store.info()
    assert info["rows"] == 2 and {g["proxy"] for g in info["groups"]} == {"naswot", "synflow"}
    assert store.export(tmp_path / "rows.csv") == 2
    assert "-inf" in (tmp_path / "rows.csv").read_text()
    assert store.clear() == 2 and store.info()["rows"] == 0


def test_a_store_of_another_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    ScoreStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"another zeronas \(schema 99; this one reads 2\)"):
        ScoreStore(path)


def _writer(path: str, start: int, count: int) -> None:
    store = ScoreStore(path)
    for i in range(start, start + count):
        store.put(KEY, f"cell-{i}", {"naswot": StoredScore(float(i), 0.1, None)}, V1)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "s.sqlite")
    ScoreStore(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, s, 300)) for s in (0, 150)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    store = ScoreStore(path)
    assert store.info()["rows"] == 450  # cells 0..449, the overlap 150..299 stored once
    cells = [f"cell-{i}" for i in range(450)]
    got = [store.get(KEY, c, {"naswot": "1"})["naswot"].value for c in cells]
    assert got == list(range(450))


def test_cached_scorer_reuses_values_and_retries_failures(tmp_path):
    path = tmp_path / "s.sqlite"
    run = api.setup(proxies="synflow,params,skip", batch_size=4, cache=path)
    arch = run.space.arch(1)
    first = run.scorer(arch)
    assert run.scorer.misses == 3 and run.scorer.hits == 0
    again = api.setup(proxies="synflow,params,naswot", batch_size=4, cache=path).scorer
    second = again(arch)
    assert again.hits == 2 and again.misses == 1  # naswot was not stored yet
    assert second.values["synflow"] == first.values["synflow"]  # value and seconds as stored
    other_seed = api.setup(proxies="synflow", batch_size=4, seed=1, cache=path).scorer
    other_seed(arch)
    assert other_seed.misses == 1  # another batch and init seed: another key
    dead = run.space.decode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")  # no path
    fails = api.setup(proxies="jacob_cov", batch_size=4, cache=path).scorer
    assert fails(dead).values["jacob_cov"].error  # a failure: not stored
    assert fails(dead).values["jacob_cov"].error and fails.misses == 2


def test_cache_commands(tmp_path):
    path = tmp_path / "s.sqlite"
    api.setup(proxies="params,skip", batch_size=2, cache=path).scorer(get_space("nats-tss").arch(3))
    runner = CliRunner()
    doc = json.loads(runner.invoke(app, ["cache", "info", "--cache", str(path), "--json"]).stdout)
    assert doc["rows"] == 2
    result = runner.invoke(app, ["cache", "export", str(tmp_path / "x.csv"), "--cache", str(path)])
    assert result.exit_code == 0 and "wrote 2 rows" in result.stdout
    refused = runner.invoke(app, ["cache", "clear", "--cache", str(path)])
    assert refused.exit_code == 2 and "pass --yes" in refused.stderr
    assert (
        "deleted 2 rows"
        in runner.invoke(app, ["cache", "clear", "--cache", str(path), "--yes"]).stdout
    )


def test_merge_adds_missing_keys_keeps_own_rows_and_counts_disagreements(tmp_path):
    ours, theirs = ScoreStore(tmp_path / "ours.sqlite"), ScoreStore(tmp_path / "theirs.sqlite")
    ours.put(KEY, "cell-a", {"naswot": StoredScore(1.0, 0.5, None)}, V1)
    ours.put(KEY, "cell-b", {"naswot": StoredScore(2.0, 0.5, None)}, V1)
    theirs.put(KEY, "cell-a", {"naswot": StoredScore(1.0, 0.7, None)}, V1)  # same value
    theirs.put(KEY, "cell-b", {"naswot": StoredScore(2.5, 0.7, None)}, V1)  # another value
    theirs.put(KEY, "cell-c", {"naswot": StoredScore(-math.inf, 0.1, None)}, V1)
    theirs.put(KEY, "cell-d", {"naswot": StoredScore(math.nan, 0.1, "ValueError: x")}, V1)
    assert ours.merge(theirs.path) == {"added": 2, "present": 1, "differing": 1}
    got = {c: ours.get(KEY, c, V1)["naswot"] for c in ("cell-a", "cell-b", "cell-c", "cell-d")}
    assert got["cell-a"] == StoredScore(1.0, 0.5, None)  # ours kept, seconds included
    assert got["cell-b"].value == 2.0 and got["cell-c"].value == -math.inf
    assert math.isnan(got["cell-d"].value) and got["cell-d"].error == "ValueError: x"
    assert ours.merge(theirs.path) == {"added": 0, "present": 3, "differing": 1}
    # a CSV export merges the same way, into an empty store
    assert theirs.export(tmp_path / "theirs.csv") == 4
    fresh = ScoreStore(tmp_path / "fresh.sqlite")
    assert fresh.merge(tmp_path / "theirs.csv") == {"added": 4, "present": 0, "differing": 0}
    assert fresh.get(KEY, "cell-c", V1)["naswot"].value == -math.inf
    assert fresh.get(KEY, "cell-d", V1)["naswot"].error == "ValueError: x"
    # and so does a gzip-compressed one (written compressed for a .gz name)
    assert theirs.export(tmp_path / "theirs.csv.gz") == 4
    assert (tmp_path / "theirs.csv.gz").read_bytes()[:2] == b"\x1f\x8b"
    packed = ScoreStore(tmp_path / "packed.sqlite")
    assert packed.merge(tmp_path / "theirs.csv.gz") == {"added": 4, "present": 0, "differing": 0}
    assert packed.get(KEY, "cell-c", V1)["naswot"].value == -math.inf
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(StoreError, match="neither a score store nor a CSV file"):
        fresh.merge(tmp_path / "bad.csv")
    with pytest.raises(StoreError, match="nothing to merge"):
        fresh.merge(tmp_path / "missing.sqlite")


def test_cache_merge_command(tmp_path):
    space = get_space("nats-tss")
    for name, index in (("a", 3), ("b", 7)):
        api.setup(proxies="params", batch_size=2, cache=tmp_path / f"{name}.sqlite").scorer(
            space.arch(index)
        )
    runner = CliRunner()
    args = ["cache", "merge", str(tmp_path / "b.sqlite"), "--cache", str(tmp_path / "a.sqlite")]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["merged"][str(tmp_path / "b.sqlite")]["added"] == 1
    assert ScoreStore(tmp_path / "a.sqlite").info()["rows"] == 2
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "added 0 rows, 1 already present" in " ".join(
        again.stdout.split()
    )


def test_a_store_exports_as_a_scores_table_that_search_reads(tmp_path):
    path, space = tmp_path / "s.sqlite", get_space("nats-tss")
    run = api.setup(proxies="params,skip", batch_size=2, cache=path)
    run.scorer(space.arch(3))
    api.setup(proxies="params", batch_size=2, cache=path).scorer(space.arch(7))
    runner = CliRunner()
    table = tmp_path / "t.csv"
    args = ["cache", "export", str(table), "--cache", str(path), "--table", "nats-tss/cifar10"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "wrote 2 rows" in result.stdout
    read = ScoreTable(table, "cifar10")
    assert read.values["params"] == {
        3: pytest.approx(count_params(space.build(space.arch(3), 10)) / 1e6),
        7: pytest.approx(count_params(space.build(space.arch(7), 10)) / 1e6),
    }
    assert read.values["skip"].keys() == {3}  # cell 7 was never scored for skip: left empty
    bad = runner.invoke(app, [*args[:-1], "cifar10"])
    assert bad.exit_code == 2 and "--table must be SPACE/DATASET" in bad.stderr


def _correlate(cache, accuracy_csv, out_dir):
    return [
        sys.executable, "-m", "zeronas.cli", "correlate", "--sample", "80",
        "--proxies", "synflow,relu_count", "--batch-size", "4", "--cache", str(cache),
        "--benchmark", str(accuracy_csv), "--out", str(out_dir), "--json",
    ]  # fmt: skip


def _start(command: list[str], stdout: Path) -> subprocess.Popen:
    """``command`` started beside the test, its output to ``stdout`` (one thread: the other
    core runs the test's own subprocesses)."""
    with stdout.open("w") as handle:
        return subprocess.Popen(command, env=ONE_THREAD, stdout=handle, stderr=subprocess.DEVNULL)


def _kill_once_stored(command: list[str], store, rows: int) -> None:
    """Run ``command`` and SIGKILL it once ``store`` holds ``rows`` scores."""
    proc = subprocess.Popen(
        command, env=ONE_THREAD, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while stored_rows(store) < rows and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_correlate_killed_midway_resumes_to_the_same_table(tmp_path, accuracy_csv):
    env = ONE_THREAD
    killed = tmp_path / "killed.sqlite"
    fresh_json = tmp_path / "fresh.json"
    fresh = _start(_correlate(tmp_path / "fresh.sqlite", accuracy_csv, tmp_path / "c"), fresh_json)
    _kill_once_stored(_correlate(killed, accuracy_csv, tmp_path / "a"), killed, 60)
    partial = stored_rows(killed)
    assert 60 <= partial < 160  # of 80 cells x 2 proxies
    resumed = subprocess.run(
        _correlate(killed, accuracy_csv, tmp_path / "b"), env=env, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert fresh.wait(timeout=600) == 0
    with sqlite3.connect(killed) as db:
        counts = db.execute("SELECT COUNT(*) FROM scores GROUP BY arch, proxy").fetchall()
    assert len(counts) == 160 and {c for (c,) in counts} == {1}  # each cell once

    def table(text):
        return [
            (r["proxy"], r["n"], r["kendall_tau"], r["spearman_rho"])
            for r in json.loads(text)["rows"]
        ]

    assert table(resumed.stdout) == table(fresh_json.read_text())
    scores = [(tmp_path / d / "scores.csv").read_text().splitlines() for d in "bc"]
    fields = [0, 1, 2, 3, 6]  # index, arch, accuracy, synflow, relu_count (not the seconds)
    strip = [[[r.split(",")[i] for i in fields] for r in rows] for rows in scores]
    assert strip[0] == strip[1]


def _search(cache, out_dir, budget="40", run_id="kill-test"):
    return [
        sys.executable, "-m", "zeronas.cli", "search", "--budget", budget, "--batch-size", "4",
        "--proxies", "naswot,synflow", "--cache", str(cache), "--run-id", run_id,
        "--out", str(out_dir), "--json",
    ]  # fmt: skip


def test_search_killed_midway_resumes_to_the_same_history(tmp_path):
    env = ONE_THREAD
    killed = tmp_path / "killed.sqlite"
    fresh = _start(_search(tmp_path / "fresh.sqlite", tmp_path / "c"), tmp_path / "c.json")
    _kill_once_stored(_search(killed, tmp_path / "a"), killed, 30)
    resumed = subprocess.run(
        _search(killed, tmp_path / "b"), env=env, capture_output=True, text=True, check=True
    )
    assert "resuming run 'kill-test'" in resumed.stderr
    assert fresh.wait(timeout=600) == 0

    def history(folder):
        rows = (tmp_path / folder / "history.csv").read_text().splitlines()
        return [row.split(",")[:7] for row in rows]  # step .. synflow, not the seconds

    assert history("b") == history("c") and len(history("b")) == 41
    other = subprocess.run(
        _search(killed, tmp_path / "d", budget="50"), env=env, capture_output=True, text=True
    )
    assert other.returncode == 2
    assert "run 'kill-test' was started with other settings (budget: 40 -> 50)" in other.stderr
