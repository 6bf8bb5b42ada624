"""Bad input, one class per test: each gives exit 2 and one line naming the value (or a
documented behaviour), never a traceback, never a quietly wrong result."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_file, stored_rows, write_plugin
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.errors import BenchmarkError, ZeroNASError
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.groundtruth.sources import open_ground_truth
from zeronas.report.jsonio import dumps_json
from zeronas.spaces import get_space
from zeronas.store import sqlite as cache_module
from zeronas.store.schema import StoreError
from zeronas.store.sqlite import ScoreStore
from zeronas.testing.fixtures import write_damaged_npz

runner = CliRunner()


def _fail(args, code=2):
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _table(tmp_path, rows, header="index,arch,test_acc_cifar10"):
    path = tmp_path / "t.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("value", "what"), [("nan", "'nan'"), ("inf", "'inf'"), ("-5", "'-5'"), ("250", "'250'")]
)
def test_ground_truth_that_cannot_be_true_is_refused(tmp_path, value, what):
    path = _table(tmp_path, ["0,a,93.1", f"1,b,{value}"])
    with pytest.raises(
        BenchmarkError, match=f"Malformed value {what} in column 'test_acc_cifar10'"
    ):
        CSVGroundTruth(path)


def test_ground_truth_rows_twice_swapped_or_of_another_schedule(tmp_path, accuracy_csv):
    with pytest.raises(BenchmarkError, match="index 0 appears twice"):
        CSVGroundTruth(_table(tmp_path, ["0,a,93.1", "0,a,90.0"]))
    lines = accuracy_csv.read_text().splitlines()
    first, second = (lines[i].split(",", 1) for i in (9001, 12001))  # indices 9000, 12000
    lines[9001], lines[12001] = f"{first[0]},{second[1]}", f"{second[0]},{first[1]}"
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("\n".join(lines) + "\n")
    with pytest.raises(BenchmarkError, match="Row index 9000 .* another space"):
        open_ground_truth(swapped, space=get_space("nats-tss"))
    with pytest.raises(BenchmarkError, match="for hp 12 read the official NATS-Bench"):
        open_ground_truth(accuracy_csv, hp="12", space=get_space("nats-tss"))
    with pytest.raises(ZeroNASError, match="must be one of 12, 200 .*Got '7'"):
        open_ground_truth(accuracy_csv, hp="7", space=get_space("nats-tss"))


def test_validation_ground_truth_is_read_and_labelled_as_such():
    path = shared_file("benchmarks/nats-sss/accuracy_valid_hp90.csv")
    truth = open_ground_truth(path, space=get_space("nats-sss"))
    assert truth.label.startswith("validation accuracy, 90-epoch schedule")
    assert 0 < truth.accuracy(0, "cifar10") < 100 and "ImageNet16-120" in truth.datasets


def test_work_is_never_lost_to_a_bad_output_path(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    store = tmp_path / "s.sqlite"
    for command in (["search", "--budget", "2"], ["correlate", "--sample", "2"]):
        line = _fail([*command, "--out", str(a_file), "--cache", str(store)])
        assert f"--out {str(a_file)!r} is a file, not a folder" in line
    assert not store.exists()  # refused before anything was scored


def test_damaged_image_files_are_named(tmp_path):
    files = write_damaged_npz(tmp_path)
    expected = {
        "cut.npz": "(damaged?)",
        "flip.npz": "(damaged?)",
        "plain.npy": "is a single array (.npy)",
        "short.npz": "must be 4 integer labels",
        "text.npz": "must be 4 integer labels",
    }
    for name, text in expected.items():
        args = ["score", "--index", "1", "--proxies", "params", "--batch-size", "2"]
        line = _fail([*args, "--data", f"npz:{files[name]}", "--no-cache"])
        assert text in line


def test_bad_files_given_to_commands(tmp_path):
    listed = tmp_path / "run.json"
    listed.write_text("[1, 2]")
    train = ["train", "--from", str(listed), "--data", f"imagefolder:{tmp_path}"]
    assert "cannot read a search result" in _fail(train)
    store = tmp_path / "s.sqlite"
    ScoreStore(store).close()
    for target, text in [
        (tmp_path / "missing" / "x.csv", "does not exist"),
        (tmp_path, "is a folder, not a file"),
    ]:
        assert text in _fail(["cache", "export", str(target), "--cache", str(store)])


def test_store_hygiene(tmp_path, monkeypatch):
    typo = tmp_path / "typo.sqlite"
    for command in (["cache", "info"], ["cache", "clear", "--yes"]):
        assert "no score store at" in _fail([*command, "--cache", str(typo)])
    assert not typo.exists()
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(StoreError, match="not a zeronas score store .*users"):
        ScoreStore(foreign)
    with sqlite3.connect(foreign) as db:  # untouched: no tables added, not switched to WAL
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master")]
        assert names == ["users"] and db.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
    future = tmp_path / "future.sqlite"
    ScoreStore(future).close()
    with sqlite3.connect(future) as db:
        db.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="another zeronas .*schema 9.* use that version"):
        ScoreStore(future)


def test_a_read_only_store_serves_what_it_holds(tmp_path, monkeypatch):
    from zeronas import api

    path = tmp_path / "s.sqlite"
    first = api.setup(proxies="params", data="synthetic", batch_size=2, cache=path)
    arch = first.space.arch(4)
    value = first.scorer(arch).values["params"].value
    first.scorer.store.close()
    monkeypatch.setattr(cache_module, "_writable", lambda _path: False)
    with pytest.warns(cache_module.ReadOnlyStoreWarning, match="read-only here"):
        again = api.setup(proxies="params,relu_count", data="synthetic", batch_size=2, cache=path)
    scores = again.scorer(arch).values  # a hit is served, a miss computed but not written
    assert scores["params"].value == value and again.scorer.hits == 1
    assert again.scorer.store.info()["rows"] == 1


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["search", "--workers", "0"], "--workers must be an integer >= 1. Got 0"),
        (["search", "--proxies", "naswot,naswot"], "proxy 'naswot' is listed twice"),
        (
            ["search", "--proxies", "naswot,logsynflow", "--weights", "0,0"],
            "--weights must be numbers not all zero",
        ),  # fmt: skip
        (["correlate", "--sample", "100000"], "--sample must be an integer in [2, 15625]"),
        (["search", "--executor", "threads"], "--executor must be one of local, auto, process"),
        (["score", "--index", "1", "--seed", str(2**70)], "--seed must be an integer in"),
    ],
)
def test_no_silently_changed_meaning(tmp_path, reference_csv, args, text):
    line = _fail([*args, "--scores", str(reference_csv)] if args[0] == "search" else args)
    assert text in line


def test_a_search_that_scores_nothing_is_an_error(tmp_path):
    args = ["search", "--max-params", "0.00001", "--budget", "3", "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--no-cache"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Error: no candidate was scored")
    assert json.loads((tmp_path / "run.json").read_text())["best"] is None  # still recorded


def test_json_output_is_strict_json(tmp_path, reference_csv):
    assert dumps_json({"a": [float("nan"), {"b": float("-inf")}]}) == (
        '{\n  "a": [\n    "nan",\n    {\n      "b": "-inf"\n    }\n  ]\n}\n'
    )
    args = ["search", "--scores", str(reference_csv), "--proxies", "naswot", "--budget", "60"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output

    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    for text in (result.stdout, (tmp_path / "run.json").read_text()):
        json.loads(text, parse_constant=refuse)


def test_resume_with_the_same_file_named_another_way(tmp_path, accuracy_csv, monkeypatch):
    store = tmp_path / "s.sqlite"
    args = ["search", "--proxies", "params", "--budget", "3", "--cache", str(store)]
    args += ["--run-id", "r", "--out", str(tmp_path / "o")]
    assert runner.invoke(app, [*args, "--benchmark", str(accuracy_csv)]).exit_code == 0
    monkeypatch.chdir(accuracy_csv.parent)
    again = runner.invoke(app, [*args, "--benchmark", accuracy_csv.name])
    assert again.exit_code == 0 and "resuming run 'r'" in again.stderr


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _search_command(tmp_path, workers, out, store):
    args = [sys.executable, "-m", "zeronas.cli", "search", "--proxies", "synflow,gate"]
    args += ["--budget", "80", "--batch-size", "4", "--data", "synthetic", "--seed", "3"]
    args += ["--cache", str(tmp_path / store), "--out", str(tmp_path / out), "--run-id", "fault"]
    return [*args, "--workers", str(workers)]


def _history(folder):
    rows = (folder / "history.csv").read_text().splitlines()
    return [row.split(",")[:5] for row in rows]  # step, arch, index, status, error


GATE = '''
"""A proxy that holds a run: each call appends a byte to $GATE_CALLS; a call past the
first $GATE_LIMIT waits while the file $GATE_HOLD exists. Its value: parameters."""
import os
import time
from pathlib import Path

from zeronas.proxies import proxy


@proxy("gate", needs_data=False, init_dependent=False)
def gate(net, x):
    """Parameter count; held while $GATE_HOLD exists, once $GATE_LIMIT calls were made."""
    calls, hold = Path(os.environ["GATE_CALLS"]), Path(os.environ["GATE_HOLD"])
    with calls.open("a") as log:
        log.write(".")
    while calls.stat().st_size > int(os.environ["GATE_LIMIT"]) and hold.exists():
        time.sleep(0.02)
    return float(sum(p.numel() for p in net.parameters()))
'''


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGINT, 1), (signal.SIGTERM, 2)])
def test_an_interrupted_run_resumes_to_the_same_history_and_leaves_no_worker(
    tmp_path, sig, workers
):
    """The cut comes while the run is held inside a proxy, after a seeded number of
    candidates: the same point on any CPU, and the run cannot finish first."""
    env = write_plugin(
        tmp_path / "plugin", "gate_plugin", GATE, "[zeronas.proxies]\ngate = gate_plugin\n"
    )
    limit = int(np.random.default_rng(int(sig) * 10 + workers).integers(10, 40))
    hold, calls = tmp_path / "hold", tmp_path / "calls"
    env |= {"GATE_LIMIT": str(limit)}
    reference = subprocess.Popen(  # beside the cut run, never held: its hold file never exists
        _search_command(tmp_path, workers, "ref", "ref.db"),
        env=env | {"GATE_CALLS": str(tmp_path / "ref-calls"), "GATE_HOLD": str(tmp_path / "no")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    hold.touch()
    command = _search_command(tmp_path, workers, "cut", "cut.db")
    env |= {"GATE_CALLS": str(calls), "GATE_HOLD": str(hold)}
    process = subprocess.Popen(  # SIGINT as at a terminal, even if this job ignores it
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (calls.exists() and calls.stat().st_size > limit):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    workers_seen = _children(process.pid)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Interrupted. Every candidate scored so far is kept" in stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
    time.sleep(1.5)
    alive = [pid for pid in workers_seen if Path(f"/proc/{pid}").exists()]
    states = [Path(f"/proc/{pid}/stat").read_text().split()[2] for pid in alive]
    assert all(state == "Z" for state in states)  # gone, or a zombie no longer running
    kept = stored_rows(tmp_path / "cut.db", proxy="gate")
    assert limit - 2 * workers <= kept <= limit  # finished before the cut; not the held
    hold.unlink()
    resumed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run 'fault'" in resumed.stderr
    assert reference.wait(timeout=600) == 0
    assert _history(tmp_path / "cut") == _history(tmp_path / "ref")
