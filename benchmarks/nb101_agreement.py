"""Rank agreement of our proxies with NASLib's own values on NAS-Bench-101 (issue 18):
``../shared/benchmarks/nas-bench-101/naslib_zc_500.csv`` holds NASLib's values for 500 cells
(given as adjacency + operations); a seeded subset of them is scored here under NASLib's
protocol and compared per proxy, and each against NB101 test accuracy (mean of three
108-epoch runs, looked up by module hash). Writes docs/nb101-agreement.md.

    ZERONAS_INDEX_DIR=... python benchmarks/nb101_agreement.py --cells 500 \
        --proxies 'params,flops,l2_norm,synflow[log=false]' \
        --costly 'grad_norm,snip,plain,fisher,jacob_cov,epe_nas:60;grasp:30' \
        --stability 'jacob_cov,epe_nas,plain:60' --cache store.sqlite

NASLib's protocol (as on NATS-TSS, docs/naslib-agreement.md): PyTorch default init, a batch
of 64 labelled CIFAR-10 training images. NASLib's NB101 network is the same stem, stacks and
cells as ours (conv-BN-ReLU without conv bias; BN in train mode at initialisation), so no
option needs changing besides init and batch. The hash index (ZERONAS_INDEX_DIR) is needed for
the accuracy lookup.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from _shared import cpu_flags, labelled_data, shared_path
from naslib_agreement import _render, _spearman, agreement_rows
from rich.table import Table

from zeronas import api
from zeronas.groundtruth.sources import open_ground_truth
from zeronas.models.nb101 import NB101Cell
from zeronas.spaces import get_space

#: our proxy -> NASLib's column (NB101 file)
COLUMNS = {
    "params": "params", "flops": "flops", "l2_norm": "l2_norm", "synflow[log=false]": "synflow",
    "grad_norm": "grad_norm", "snip": "snip", "plain": "plain", "fisher": "fisher",
    "jacob_cov": "jacov", "epe_nas": "epe_nas", "grasp": "grasp",
}  # fmt: skip


def _cell(row: dict[str, str]) -> NB101Cell:
    bits = row["adjacency_7x7_rowmajor"]
    matrix = [[int(bits[7 * i + j]) for j in range(7)] for i in range(7)]
    return NB101Cell.from_spec(matrix, row["ops"].split("|"))


def _scored(args, archs: list[NB101Cell], proxies: str, seed: int):
    """The scoring run of ``proxies`` at ``seed`` and its records of ``archs``, in order."""
    run = api.setup(
        space="nas-bench-101", proxies=proxies, dataset="cifar10",
        data=labelled_data("cifar10"), batch_size=args.batch_size, seed=seed,
        init=args.init, cache=args.cache,
    )  # fmt: skip
    records: list = [None] * len(archs)
    for position, record in run.scorer.score_many(archs):
        records[position] = record
    return run, records


def _table(args, space, truth, rows: list[dict[str, str]], proxies: str) -> str:
    """Score ``rows``' cells with ``proxies``; one rendered table of agreement."""
    archs = [_cell(r) for r in rows]
    start = time.perf_counter()
    run, records = _scored(args, archs, proxies, args.seed)
    seconds = time.perf_counter() - start
    accuracy = np.array([truth.accuracy(space.index(a), "cifar10") for a in archs])
    table = Table(
        "proxy", "ρ vs NASLib", "ρ ours vs test acc", "ρ NASLib vs test acc", "s/cell",
        title=f"{len(rows)} seeded cells of NASLib's 500, cifar10, init {args.init}, batch "
        f"{args.batch_size}, real images ({seconds:.0f} s; stored values cost nothing)",
    )  # fmt: skip
    return agreement_rows(table, run.proxies, records, rows, COLUMNS, accuracy)


def _stability(args, rows: list[dict[str, str]], proxies: str) -> str:
    """ρ of our values under two seeds (another fixed batch, another init) on ``rows``' cells,
    beside ρ vs NASLib on the same cells: the ceiling of any agreement with NASLib's one draw
    per cell."""
    archs = [_cell(r) for r in rows]
    (run, first), (_, second) = (
        _scored(args, archs, proxies, s) for s in (args.seed, args.seed + 1)
    )
    table = Table(
        "proxy", f"ρ seed {args.seed} vs seed {args.seed + 1}", "ρ vs NASLib (same cells)",
        title=f"Our own stability: {len(rows)} of the cells",
    )  # fmt: skip
    for proxy in run.proxies:
        a, b = (np.array([r.value(proxy.name) for r in v]) for v in (first, second))
        theirs = np.array([float(row[COLUMNS[proxy.name]]) for row in rows])
        table.add_row(proxy.name, f"{_spearman(a, b):.3f}", f"{_spearman(a, theirs):.3f}")
    return _render(table)


def _groups(text: str) -> list[tuple[str, int]]:
    """'PROXIES:COUNT;PROXIES:COUNT' -> [(PROXIES, COUNT), ...]."""
    parts = (g.rpartition(":") for g in filter(None, text.split(";")))
    return [(names, int(count)) for names, _, count in parts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--proxies", default=",".join(c for c in COLUMNS if c != "grasp"))
    parser.add_argument(
        "--costly", default="grasp:30", help="'PROXIES:COUNT;...' on the first COUNT cells only"
    )
    parser.add_argument(
        "--stability", default="", help="'PROXIES:COUNT;...' also at seed + 1, first COUNT"
    )
    parser.add_argument("--init", default="pytorch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--doc", type=Path, default=Path("docs/nb101-agreement.md"))
    args = parser.parse_args()
    path = shared_path("benchmarks/nas-bench-101/naslib_zc_500.csv")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = np.random.default_rng(args.seed)
    rows = [rows[i] for i in rng.choice(len(rows), size=args.cells, replace=False)]
    space = get_space("nas-bench-101")
    truth = open_ground_truth(shared_path("benchmarks/nas-bench-101/accuracy.csv"), space=space)
    groups = [(args.proxies, len(rows)), *_groups(args.costly)]
    tables = [_table(args, space, truth, rows[:n], proxies) for proxies, n in groups]
    tables += [_stability(args, rows[:n], proxies) for proxies, n in _groups(args.stability)]
    text = "\n".join(tables)
    print(text)
    accuracy = [truth.accuracy(space.index(_cell(r)), "cifar10") for r in rows]
    naslib_val = np.array([float(r["naslib_val_accuracy"]) for r in rows])
    check = _spearman(naslib_val, np.array(accuracy))
    hashes = len({_cell(r).hash for r in rows})
    command = (
        f"python benchmarks/nb101_agreement.py --cells {args.cells} --proxies '{args.proxies}' "
        f"--costly '{args.costly}' --stability '{args.stability}' "
        f"--init {args.init} --batch-size {args.batch_size} --seed {args.seed}"
    )
    args.doc.write_text(
        "\n".join(
            [
                "# Agreement with NASLib's own proxy values on NAS-Bench-101",
                "",
                f"Generated by `{command}` (do not edit by hand) on a CPU with {cpu_flags()}, one "
                f"thread. Spearman ρ of our values against NASLib's "
                "(`../shared/benchmarks/nas-bench-101/naslib_zc_500.csv`) on a seeded subset of "
                "its 500 cells, and of each against NB101 test accuracy (mean of three 108-epoch "
                "runs, looked up by module hash). Both networks are the NB101 paper's (stem conv "
                "to 128 channels, 3 stacks of 3 cells, conv-BN-ReLU without conv bias); both use "
                "PyTorch's default initialisation and a batch of 64 labelled CIFAR-10 training "
                "images; NASLib draws a new batch per architecture, ours is one fixed batch. The "
                "cells' hashes all resolve in the official index (a check of the file's cells). "
                f"NASLib's own validation accuracy vs our test accuracy: ρ {check:.3f}. The "
                f"file's {len(rows)} rows hold {hashes} distinct cells (module hashes): "
                "NASLib lists some cells more than once, under other vertex numberings, "
                "with values from other draws.",
                "",
                *(f"```\n{t.rstrip()}\n```\n" for t in tables),
                "",
            ]
        )  # fmt: skip
    )
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
