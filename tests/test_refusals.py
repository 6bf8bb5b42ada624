"""Bad input, second pass: one test per class of the reliability issue's second pass. Each
class is refused where the value enters, before any work, in one line naming the value; a
bad row the store holds is ignored (with one warning) and computed again."""

import sqlite3

import numpy as np
import pytest
from conftest import shared_file
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from zeronas import api
from zeronas.cli import app, main
from zeronas.data.tasks import get_dataset
from zeronas.errors import BenchmarkError, DataError, ParameterError, ZeroNASError
from zeronas.proxies import get_proxy
from zeronas.search import get_searcher
from zeronas.spaces import get_space
from zeronas.store.schema import ScoreKey, StoredScore, StoreError
from zeronas.store.sqlite import ScoreStore
from zeronas.store.tables import ScoreTable

runner = CliRunner()
KEY = ScoreKey("nats-tss", "cifar10", "abc", 0, "{}")


def _refused(args):
    """The one stderr line of a refused command (exit 2)."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("Warning:")]
    assert len(errors) == 1 and errors[0].startswith("Error:"), result.stderr
    return errors[0]


def _store(path):
    store = ScoreStore(path)
    store.put(KEY, "a", {"params": StoredScore(1.0, 0.1, None)}, {"params": "1"})
    return store


def test_an_export_onto_the_store_it_reads_is_refused_and_the_store_kept(tmp_path):
    path = tmp_path / "s.sqlite"
    _store(path).close()
    line = _refused(["cache", "export", str(path), "--cache", str(path)])
    assert "is the file this command reads" in line
    assert ScoreStore(path).info()["rows"] == 1  # still a store, rows and all
    other = tmp_path / "notes.txt"
    other.write_text("my notes\n")
    assert "is not a zeronas export" in _refused(
        ["cache", "export", str(other), "--cache", str(path)]
    )
    assert other.read_text() == "my notes\n"
    out = tmp_path / "x.csv.gz"
    assert runner.invoke(app, ["cache", "export", str(out), "--cache", str(path)]).exit_code == 0
    assert runner.invoke(app, ["cache", "export", str(out), "--cache", str(path)]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial


@settings(max_examples=40, deadline=None)
@given(key=st.sampled_from(["log", "images", "gamma"]), first=st.text("abc01", max_size=3))
def test_an_option_given_twice_in_a_label_is_refused(key, first):
    name = {"log": "synflow", "images": "zen", "gamma": "zen"}[key]
    with pytest.raises(ZeroNASError, match=f"option {key!r} is given twice"):
        get_proxy(f"{name}[{key}={first},{key}=1]")


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("swap[images=0]", "'images' parameter of proxy 'swap' must be an integer in [1, 52]"),
        ("meco_opt[channels=0]", "'channels' parameter of proxy 'meco_opt' must be an integer"),
        ("zen[gamma=nan]", "'gamma' parameter of proxy 'zen' must be a positive number"),
        ("zico[splits=1]", "'splits' parameter of proxy 'zico' must be an integer >= 2"),
        ("vkdnw[fisher=x]", "'fisher' parameter of proxy 'vkdnw' must be one of reference"),
    ],
)
def test_proxy_options_keep_their_declared_ranges(label, text):
    with pytest.raises(ParameterError, match=text.replace("[", r"\[").replace("]", r"\]")):
        get_proxy(label)


def test_searcher_parameters_are_checked_against_each_other_before_any_candidate():
    with pytest.raises(ZeroNASError, match="'tournament' parameter of searcher 'rea' must be"):
        get_searcher("rea", population=5, tournament=100)
    args = ["search", "--no-cache", "-o", "population=5", "-o", "population=6"]
    assert "--option population is given twice" in _refused(args)


def test_labels_a_proxy_cannot_use_are_refused_before_any_work(tmp_path):
    x = np.zeros((4, 3, 32, 32), np.uint8)
    for name, labels in [("ten", np.full(4, 10)), ("neg", np.full(4, -1)), ("none", None)]:
        arrays = {"x": x} if labels is None else {"x": x, "y": labels}
        np.savez(tmp_path / f"{name}.npz", **arrays)
        with pytest.raises(DataError, match="snip read the batch's labels, but"):
            api.setup(proxies="snip", data=f"npz:{tmp_path / name}.npz", batch_size=2)
    # a label-free proxy still scores such a batch
    api.setup(proxies="naswot", data=f"npz:{tmp_path / 'ten.npz'}", batch_size=2)


@pytest.mark.parametrize("change", ["value = 'abc'", "value = 'NaN'", "seconds = -5"])
def test_a_stored_row_that_is_no_value_is_ignored_warned_about_and_replaced(tmp_path, change):
    path = tmp_path / "s.sqlite"
    _store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE scores SET {change}")
    store = ScoreStore(path)
    with pytest.warns(UserWarning, match="holds a row that is no stored value"):
        assert store.get(KEY, "a", {"params": "1"}) == {}
    store.put(KEY, "a", {"params": StoredScore(2.0, 0.1, None)}, {"params": "1"})
    assert store.get(KEY, "a", {"params": "1"})["params"].value == 2.0


def test_negative_seconds_in_a_scores_table_are_refused(tmp_path):
    reference = shared_file("benchmarks/nats-tss/reference_scores.csv").read_text().splitlines()
    header = reference[0].split(",")
    column = next(i for i, c in enumerate(header) if "_seconds_cifar10" in c)
    row = reference[1].split(",")
    row[column] = "-1"
    (tmp_path / "t.csv").write_text("\n".join([reference[0], ",".join(row)]) + "\n")
    with pytest.raises(BenchmarkError, match="seconds are >= 0"):
        ScoreTable(tmp_path / "t.csv", "cifar10")


def test_a_locked_store_says_it_waits_and_gives_up_after_its_timeout(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite"
    _store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setenv("ZERONAS_STORE_TIMEOUT", "0.5")
    try:
        with (
            pytest.warns(UserWarning, match="locked by another process: waiting up to 0.5 s"),
            pytest.raises(StoreError, match=r"stayed locked .* for 0.5 s \(\$ZERONAS_STORE"),
        ):
            ScoreStore(path).put(KEY, "b", {"params": StoredScore(1.0, 0.1, None)}, {"params": "1"})
    finally:
        holder.close()
    monkeypatch.setenv("ZERONAS_STORE_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="ZERONAS_STORE_TIMEOUT must be a positive number"):
        ScoreStore(path)


def test_settings_that_would_fail_late_are_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("ZERONAS_KERNEL_NASWOT_GRAM", "bogus")
    with pytest.raises(ZeroNASError, match="NASWOT_GRAM must be one of float32"):
        api.setup(proxies="naswot", batch_size=2)
    monkeypatch.delenv("ZERONAS_KERNEL_NASWOT_GRAM")
    blocks = "ds_k3_s1_c16-ds_k3_s1_c16-ds_k3_s1_c16-ds_k3_s1_c16"
    arch = ["--space", "blocks", "--arch", blocks, "--dataset", "cifar10"]
    tolerance = ["export", *arch, "--out", str(tmp_path / "x"), "--tolerance", "-1"]
    assert "--tolerance must be a number >= 0, got -1" in _refused(tolerance)
    assert not (tmp_path / "x").exists()  # refused before anything was exported
    assert "--warmup must be >= 0, got -1" in _refused(["latency", *arch, "--warmup", "-1"])


def test_a_nas_bench_101_cell_is_scored_without_building_the_index(monkeypatch, tmp_path):
    space = get_space("nas-bench-101")
    monkeypatch.setenv("ZERONAS_INDEX_DIR", str(tmp_path))  # no index cached there
    cell = space.sample(np.random.default_rng(0))
    assert space.known_index(cell) is None and space._hashes is None
    scores = api.score(arch=space.encode(cell), space="nas-bench-101", proxies="params")
    assert scores.index is None and scores.values["params"].ok
    assert space._hashes is None and not any(tmp_path.iterdir())


def test_what_used_to_be_a_traceback_is_one_line(tmp_path):
    path = tmp_path / "s.sqlite"
    _store(path).close()
    assert "is not a regular file" in _refused(
        ["cache", "export", "/dev/full", "--cache", str(path)]
    )
    line = _refused(["latency", "build-table", "--types", "zz", "--out", str(tmp_path / "t.csv")])
    assert "--types must be some of ir, ds, cn; got zz" in line
    runner.invoke(app, ["cache", "export", str(tmp_path / "e.csv.gz"), "--cache", str(path)])
    data = (tmp_path / "e.csv.gz").read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    line = _refused(["cache", "merge", str(tmp_path / "cut.csv.gz"), "--cache", str(path)])
    assert "cut short or damaged" in line


def test_empty_values_are_refused(tmp_path, accuracy_csv, reference_csv):
    table = ["--scores", str(reference_csv), "--no-cache"]
    assert "--out is empty" in _refused(["search", *table, "--out", ""])
    assert "--run-id is empty" in _refused(["search", *table, "--run-id", ""])
    assert "the cost list is empty" in _refused(["search", *table, "--objectives", ""])
    experiment = ["experiment", *table, "--benchmark", str(accuracy_csv), "--runs", "1"]
    assert "has an empty item" in _refused([*experiment, "--algorithms", "rea,,ga"])
    assert "names rea twice" in _refused([*experiment, "--algorithms", "rea,rea"])
    lines = accuracy_csv.read_text().splitlines()
    lines[10] = lines[10].rsplit(",", 1)[0]  # one field missing
    (tmp_path / "ragged.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(BenchmarkError, match="line 11 .* another number of fields"):
        from zeronas.groundtruth.accuracy import CSVGroundTruth

        CSVGroundTruth(tmp_path / "ragged.csv")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["search", "--budget", "1e9"], "--budget must be an integer. Got '1e9' instead."),
        (["score", "--seed", "1.5"], "--seed must be an integer. Got '1.5' instead."),
        (["score", "--index", "0x10"], "--index must be an integer. Got '0x10' instead."),
    ],
)
def test_parse_errors_are_one_line_naming_the_value(capsys, args, text):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == f"Error: {text}"


def test_refusals_say_what_was_received_in_one_line(tmp_path, accuracy_csv, reference_csv):
    search = ["search", "--scores", str(reference_csv), "--no-cache", "--out", str(tmp_path)]
    assert "--budget 0 means no cap on evaluations" in _refused([*search, "--budget", "0"])
    hp = ["correlate", "--proxies", "params", "--sample", "5", "--hp", "13", "--no-cache"]
    assert "--hp must be one of 12, 200 (the epochs of nats-tss's schedules). Got '13'" in (
        _refused(hp)
    )
    latency = [*search, "--max-latency-ms", "5", "--latency-table", str(accuracy_csv)]
    assert "a latency table is PATH:COLUMN" in _refused(latency)
    partial = tmp_path / "partial.csv"
    partial.write_text("\n".join(accuracy_csv.read_text().splitlines()[:200]) + "\n")
    correlate = ["correlate", "--proxies", "params", "--sample", "5", "--no-cache"]
    line = _refused([*correlate, "--benchmark", str(partial), "--out", str(tmp_path / "c")])
    assert "is not in" in line and not (tmp_path / "c" / "scores.csv").exists()
    assert get_dataset("cifar10").num_classes == 10


def test_an_unreadable_benchmark_or_score_table_is_refused(tmp_path, monkeypatch):
    """As root every file can be read, so the permission error is made by hand."""
    from pathlib import Path

    from zeronas.groundtruth.accuracy import CSVGroundTruth

    locked = tmp_path / "locked.csv"
    locked.write_text("index,arch,test_acc_cifar10\n0,a,1.0\n")
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(BenchmarkError, match="Permission denied"):
        CSVGroundTruth(locked)
    with pytest.raises(BenchmarkError, match="Permission denied"):
        ScoreTable(locked, "cifar10")
