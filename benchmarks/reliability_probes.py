"""Bad-input probes of the command line, one or more per class of fault in the reliability
issue; each probe runs `zeronas` in a fresh process and is classified:

  clear        exit 2 and one line "Error: ..." on stderr (what bad input must give)
  not one line exit 2, but the refusal is not one "Error: ..." line (a framework box, two
               lines)
  late         a clear refusal after more than ``--late`` seconds (work done, or a wait,
               before the input was checked)
  traceback    a Python traceback (exit 1)
  exit 0       the command accepted the input (a wrong or questionable result)
  other        anything else (a hang past the time limit, another exit code)
  correct      exit 0 where the input is fine and the result right (a bad stored row ignored
               and recomputed, with its warning; a member listed beside its set, computed once)

A probe whose expected outcome is a result (the data-loss probe's store must survive) says so
and is checked. The second group is the reliability issue's second pass (classes 1-9).

    python benchmarks/reliability_probes.py [--src OTHER_CHECKOUT/src] [--only second]

``--src`` runs the probes against another checkout's package (its ``src`` folder is put
first on the probes' ``PYTHONPATH``), to compare. Probes that write use a temporary folder;
the shared data comes from ../shared.
"""

from __future__ import annotations

import argparse
import collections
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _shared import shared_path
from rich.console import Console
from rich.table import Table

from zeronas.testing.fixtures import write_damaged_npz, write_lfw_subset


def _files(tmp: Path) -> dict[str, str]:
    """The bad files the probes point at."""
    acc = shared_path("benchmarks/nats-tss/accuracy.csv")
    lines = acc.read_text().splitlines()
    for name, value in [("nan", "nan"), ("inf", "inf"), ("neg", "-5"), ("big", "250")]:
        bad = list(lines)
        fields = bad[5].split(",")
        fields[2] = value
        bad[5] = ",".join(fields)
        (tmp / f"acc_{name}.csv").write_text("\n".join(bad) + "\n")
    dup = [*lines, lines[7].replace(lines[7].split(",")[2], "11.0", 1)]
    (tmp / "acc_dup.csv").write_text("\n".join(dup) + "\n")
    swapped = list(lines)
    a, b = swapped[9001].split(",", 1), swapped[12001].split(",", 1)
    swapped[9001], swapped[12001] = f"{a[0]},{b[1]}", f"{b[0]},{a[1]}"
    (tmp / "acc_swapped.csv").write_text("\n".join(swapped) + "\n")
    write_damaged_npz(tmp)
    (tmp / "list.json").write_text("[1, 2]")
    (tmp / "a_file").write_text("x")
    with sqlite3.connect(tmp / "foreign.sqlite") as db:
        db.execute("CREATE TABLE users (name TEXT)")
    return {
        "acc": str(acc),
        "ref": str(shared_path("benchmarks/nats-tss/reference_scores.csv")),
        "lat": str(shared_path("benchmarks/nats-tss/latency_cifar10.csv")),
    }


def probes(tmp: Path, f: dict[str, str]) -> list[tuple[str, str]]:
    """(class, arguments) of every probe."""
    score = "score --index 1 --proxies params --batch-size 2 --no-cache"
    search = f"search --budget 3 --scores {f['ref']} --out {tmp}/o --no-cache"
    out = [
        ("ground truth", f"correlate --proxies params --sample 5 --benchmark {tmp}/acc_{n}.csv")
        for n in ("nan", "inf", "neg", "big", "dup", "swapped")
    ]
    out += [
        ("ground truth", f"correlate --proxies params --sample 5 --benchmark {f['acc']} --hp 12"),
        ("scores of another space", f"search --space nats-sss --budget 3 --scores {f['ref']}"),
        ("output path", f"search --budget 3 --proxies params --out {tmp}/a_file"),
        ("output path", f"correlate --proxies params --sample 5 --out {tmp}/a_file"),
        ("tracebacks", f"{score} --seed -1"),
        ("tracebacks", f"{score} --seed {2**70}"),
        ("tracebacks", f"search --seed -1 --budget 2 --out {tmp}/o"),
    ]
    out += [
        ("tracebacks", f"{score} --data npz:{tmp}/{n}")
        for n in ("cut.npz", "flip.npz", "plain.npy", "short.npz", "text.npz")
    ]
    out += [
        ("tracebacks", f"cache export {tmp}/missing/x.csv --cache {tmp}/s.sqlite"),
        ("tracebacks", f"cache export {tmp} --cache {tmp}/s.sqlite"),
        ("tracebacks", f"train --from {tmp}/list.json --data imagefolder:{tmp}"),
        ("store hygiene", f"cache info --cache {tmp}/typo.sqlite"),
        ("store hygiene", f"cache clear --yes --cache {tmp}/typo2.sqlite"),
        ("store hygiene", f"{score.replace('--no-cache', '')} --cache {tmp}/foreign.sqlite"),
        ("changed meaning", f"{search} --workers 0"),
        ("changed meaning", f"{search} --workers -1"),
        ("changed meaning", f"{search} --proxies naswot,naswot"),
        ("changed meaning", f"{search} --weights 0,0"),
        ("changed meaning", "correlate --proxies params --sample 100000 --no-cache"),
        ("changed meaning", f"{search} --executor threads"),
        ("changed meaning", f"search --budget 3 --max-params 0.00001 --out {tmp}/o --no-cache"),
        ("names", "search --algorithm rea-seed001 --budget 2 --no-cache"),
        ("names", f"{score} --proxies synflw"),
        ("names", f"{score} --proxies 'synflow[lg=1]'"),
    ]
    return out


def _second_files(tmp: Path, f: dict[str, str], env: dict[str, str]) -> None:
    """The files of the second pass: a store with bad rows, score tables and benchmarks with
    impossible or missing values, labels out of range, a truncated export, a sparse 2 GB
    benchmark, trained weights of one arch."""
    lines = Path(f["acc"]).read_text().splitlines()
    ragged = [*lines[:10], lines[10].rsplit(",", 1)[0], *lines[11:]]  # a field missing
    (tmp / "acc_ragged.csv").write_text("\n".join(ragged) + "\n")
    header = lines[0].split(",")
    keep = [i for i, c in enumerate(header) if c != "test_acc_cifar10"]
    (tmp / "acc_nocol.csv").write_text(
        "\n".join(",".join(r.split(",")[i] for i in keep) for r in lines[:100]) + "\n"
    )
    (tmp / "acc_partial.csv").write_text("\n".join(lines[:200]) + "\n")
    with (tmp / "huge.csv").open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB of zeros, instantly
    ref = Path(f["ref"]).read_text().splitlines()
    cols = ref[0].split(",")
    sec = cols.index(next(c for c in cols if "_seconds_" in c))
    bad = ref[1].split(",")
    bad[sec] = "-3"
    (tmp / "ref_negsec.csv").write_text("\n".join([ref[0], ",".join(bad), *ref[2:]]) + "\n")
    x = np.zeros((8, 3, 32, 32), np.uint8)
    for name, y in [("ten", np.full(8, 10)), ("neg", np.full(8, -1)), ("huge", np.full(8, 10**9))]:
        np.savez(tmp / f"labels_{name}.npz", x=x, y=y)
    np.savez(tmp / "labels_none.npz", x=x)
    command = [sys.executable, "-m", "zeronas.cli"]
    score = ["score", "--index", "1", "--proxies", "params,synflow", "--batch-size", "2"]
    for name in ("rows_nan", "rows_text", "rows_negsec"):
        store = tmp / f"{name}.sqlite"
        subprocess.run([*command, *score, "--cache", str(store)], env=env, capture_output=True)
        value = {"rows_nan": "value = 'NaN'", "rows_text": "value = 'abc'"}.get(name)
        change = value or "seconds = -5"
        with sqlite3.connect(store) as db:
            db.execute(f"UPDATE scores SET {change}")
    export = tmp / "export.csv.gz"
    subprocess.run([*command, *score, "--cache", str(tmp / "e.sqlite")], env=env)
    subprocess.run([*command, "cache", "export", str(export), "--cache", str(tmp / "e.sqlite")],
                   env=env, capture_output=True)  # fmt: skip
    data = export.read_bytes()
    (tmp / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    subprocess.run([*command, *score, "--cache", str(tmp / "lossy.sqlite")], env=env)
    subprocess.run([*command, *score, "--cache", str(tmp / "locked.sqlite")], env=env)
    blocks = "ds_k3_s1_c16-ds_k3_s1_c16-ds_k3_s1_c16-ds_k3_s1_c16"
    lfw = write_lfw_subset(tmp / "lfw")
    train = ["train", "--space", "blocks", "--arch", blocks, "--dataset", "vww", "--epochs", "1",
             "--data", f"imagefolder:{lfw}", "--out", str(tmp / "w")]  # fmt: skip
    subprocess.run([*command, *train], env=env, capture_output=True)


def second_probes(tmp: Path, f: dict[str, str]) -> list[tuple[str, ...]]:
    """(class, arguments[, expected]) of the second pass, one or more per class of the issue;
    ``expected`` ``result`` (exit 0 is right) or ``warned`` (exit 0 with a warning is)."""
    search = f"search --budget 3 --scores {f['ref']} --out {tmp}/o --no-cache"
    score = "score --index 1 --batch-size 2 --no-cache"
    live = f"search --budget 3 --batch-size 2 --out {tmp}/o --no-cache"
    corr = f"correlate --proxies params --sample 5 --no-cache --out {tmp}/c"
    blocks = "ds_k3_s1_c16-ds_k3_s1_c16-ds_k3_s1_c16-ds_k3_s1_c16"
    return [
        ("1 data loss", f"cache export {tmp}/lossy.sqlite --cache {tmp}/lossy.sqlite"),
        ("2 options", f"{live} --proxies 'swap[images=0]'"),
        ("2 options", f"{live} --proxies 'meco_opt[channels=0]'"),
        ("2 options", f"{live} --proxies 'zen[gamma=nan]'"),
        ("2 options", f"{score} --proxies 'synflow[log=false,log=true]'"),
        ("2 options", f"{search} -o population=5 -o population=6"),
        ("2 options", f"{search} -o population=5 -o tournament=100"),
        ("3 spaces", f"{score} --space nats-sss --proxies skip"),
        ("3 spaces", f"{score} --space nats-sss --proxies linear_regions"),
        ("3 spaces", f"{score} --proxies ensemble,flops", "warned"),
        *[
            ("4 labels", f"{score} --proxies snip --data npz:{tmp}/labels_{n}.npz")
            for n in ("ten", "neg", "huge", "none")
        ],  # fmt: skip
        (
            "5 stored rows",
            f"score --index 1 --proxies params,synflow --batch-size 2 "
            f"--cache {tmp}/rows_nan.sqlite",
            "warned",
        ),  # fmt: skip
        (
            "5 stored rows",
            f"score --index 1 --proxies params,synflow --batch-size 2 "
            f"--cache {tmp}/rows_text.sqlite",
            "warned",
        ),  # fmt: skip
        (
            "5 stored rows",
            f"score --index 1 --proxies params,synflow --batch-size 2 "
            f"--cache {tmp}/rows_negsec.sqlite",
            "warned",
        ),  # fmt: skip
        (
            "5 stored rows",
            f"search --budget 3 --scores {tmp}/ref_negsec.csv --out {tmp}/o --no-cache",
        ),  # fmt: skip
        ("6 late", f"{corr} --benchmark {tmp}/huge.csv"),
        (
            "6 late",
            f"env:ZERONAS_INDEX_DIR={tmp}/idx score --space nas-bench-101 --proxies params "
            "--arch 010001000:input,conv1x1-bn-relu,output --no-cache",
            "result",
        ),  # fmt: skip
        ("6 late", f"env:ZERONAS_KERNEL_NASWOT_GRAM=bogus {score} --proxies naswot"),
        (
            "6 late",
            f"export --space blocks --arch {blocks} --dataset cifar10 --out {tmp}/x --tolerance -1",
        ),  # fmt: skip
        ("6 late", f"latency --space blocks --arch {blocks} --dataset cifar10 --warmup -1"),
        ("7 tracebacks", f"cache export /dev/full --cache {tmp}/e.sqlite"),
        ("7 tracebacks", f"latency build-table --types zz --out {tmp}/t.csv"),
        ("7 tracebacks", f"cache merge {tmp}/cut.csv.gz --cache {tmp}/m.sqlite"),
        (
            "7 tracebacks",
            f"export --space blocks --arch {blocks.replace('c16', 'c24')} "
            f"--dataset vww --weights {tmp}/w --out {tmp}/x",
        ),  # fmt: skip
        (
            "6 late",
            "locked: env:ZERONAS_STORE_TIMEOUT=5 score --index 2 --proxies params "
            f"--batch-size 2 --cache {tmp}/locked.sqlite",
        ),  # fmt: skip
        ("8 empty values", "search --budget 3 --proxies params --no-cache --out ''"),
        ("8 empty values", f"{search} --run-id ''"),
        ("8 empty values", f"{search} --objectives ''"),
        (
            "8 empty values",
            f"experiment --scores {f['ref']} --benchmark {f['acc']} --n '10,,100' "
            f"--runs 1 --dataset cifar10 --out {tmp}/e --no-cache",
        ),  # fmt: skip
        (
            "8 empty values",
            f"experiment --scores {f['ref']} --benchmark {f['acc']} --n 10 "
            f"--algorithms rea,rea --runs 1 --dataset cifar10 --out {tmp}/e "
            "--no-cache",
        ),  # fmt: skip
        ("8 empty values", f"{corr} --benchmark {tmp}/acc_ragged.csv"),
        ("9 one line", f"{search} --budget 1e9"),
        ("9 one line", f"{score} --seed 1.5"),
        ("9 one line", "score --index 0x10 --no-cache"),
        ("9 one line", f"{search} --max-latency-ms 5 --latency-table {f['acc']}"),
        ("9 one line", f"{search} --max-latency-ms 5 --latency-table {f['lat']}:nope_ms"),
        ("9 one line", f"{corr} --benchmark {tmp}/acc_nocol.csv"),
        ("9 one line", f"{corr} --benchmark {tmp}/acc_partial.csv"),
        ("9 one line", f"{search} --budget 0"),
        ("9 one line", f"{corr} --benchmark {f['acc']} --hp 13"),
    ]


def _is_one_line(stderr: str) -> bool:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("Warning:")]
    return len(errors) == 1 and errors[0].startswith("Error:")


def classify(result: subprocess.CompletedProcess[str], seconds: float, late: float) -> str:
    if "Traceback (most recent call last)" in result.stderr:
        return "traceback"
    if result.returncode == 0:
        return "exit 0"
    if result.returncode == 2 and _is_one_line(result.stderr):
        return "late" if seconds > late else "clear"
    if result.returncode == 2:
        return "not one line"
    return "other"


def _hold_lock(path: Path) -> sqlite3.Connection:
    """Another process's write lock on the store at ``path`` (held until closed)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    return db


def _still_a_store(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, help="another checkout's src folder to probe")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--late", type=float, default=15.0, help="seconds: a later refusal is late")
    parser.add_argument("--only", choices=("first", "second"), help="one group of probes")
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    table = Table("class", "probe", "result", "last line", title="reliability probes")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = {**os.environ, "ZERONAS_CACHE": str(tmp / "default.sqlite"), "COLUMNS": "200"}
        if args.src is not None:
            env["PYTHONPATH"] = str(args.src.resolve())
        files = _files(tmp)
        chosen = [] if args.only == "second" else probes(tmp, files)
        if args.only != "first":
            _second_files(tmp, files, env)
            chosen += second_probes(tmp, files)
        for kind, probe, *expected in chosen:
            locked = probe.startswith("locked: ")
            words = shlex.split(probe.removeprefix("locked: "))
            holder = _hold_lock(tmp / "locked.sqlite") if locked else None
            extra = dict(
                w.removeprefix("env:").split("=", 1) for w in words if w.startswith("env:")
            )
            words = [w for w in words if not w.startswith("env:")]
            command = [sys.executable, "-m", "zeronas.cli", *words]
            start = time.perf_counter()
            try:
                result = subprocess.run(
                    command, capture_output=True, text=True, env=env | extra,
                    timeout=args.timeout,
                )  # fmt: skip
                verdict = classify(result, time.perf_counter() - start, args.late)
                last = (result.stderr.strip().splitlines() or [""])[-1][:90]
            except subprocess.TimeoutExpired:
                verdict, last = "other", "timed out"
            if holder is not None:
                holder.close()
            if verdict == "exit 0" and expected:
                warned = "Warning:" in result.stderr
                if expected[0] == "result" or (expected[0] == "warned" and warned):
                    verdict = "correct"
            if kind == "1 data loss" and not _still_a_store(tmp / "lossy.sqlite"):
                verdict, last = "exit 0", "the store it read was overwritten"
            counts[verdict] += 1
            table.add_row(kind, probe.replace(folder, "TMP")[:70], verdict, last)
    console = Console(width=220)
    console.print(table)
    console.print(
        f"{sum(counts.values())} probes: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )


if __name__ == "__main__":
    main()
