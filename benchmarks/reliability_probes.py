"""Bad-input probes of the command line, one or more per class of fault in the reliability
issue; each probe runs `zeronas` in a fresh process and is classified:

  clear      exit 2 and one line "Error: ..." on stderr (what bad input must give)
  traceback  a Python traceback (exit 1)
  exit 0     the command accepted the input (a wrong or questionable result)
  other      anything else (a hang past the time limit, another exit code)

    python benchmarks/reliability_probes.py [--src OTHER_CHECKOUT/src]

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
from pathlib import Path

from _shared import shared_path
from rich.console import Console
from rich.table import Table

from zeronas.testing.fixtures import write_damaged_npz


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
    return {"acc": str(acc), "ref": str(shared_path("benchmarks/nats-tss/reference_scores.csv"))}


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


def classify(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    if "Traceback (most recent call last)" in result.stderr:
        return "traceback"
    if result.returncode == 0:
        return "exit 0"
    if result.returncode == 2 and lines and lines[-1].startswith("Error:"):
        return "clear"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, help="another checkout's src folder to probe")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    table = Table("class", "probe", "result", "last line", title="reliability probes")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = {**os.environ, "ZERONAS_CACHE": str(tmp / "default.sqlite"), "COLUMNS": "200"}
        if args.src is not None:
            env["PYTHONPATH"] = str(args.src.resolve())
        for kind, probe in probes(tmp, _files(tmp)):
            command = [sys.executable, "-m", "zeronas.cli", *shlex.split(probe)]
            try:
                result = subprocess.run(
                    command, capture_output=True, text=True, env=env, timeout=args.timeout
                )
                verdict = classify(result)
                last = (result.stderr.strip().splitlines() or [""])[-1][:90]
            except subprocess.TimeoutExpired:
                verdict, last = "other", "timed out"
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
