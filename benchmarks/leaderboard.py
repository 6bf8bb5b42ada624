"""The leaderboard (issue 16): our proxies and the frozen ``ensemble`` beside the published
label-free proxies, on the same NATS-TSS cells, with the same metrics. Writes
docs/leaderboard.md.

    python benchmarks/leaderboard.py --cells 1000 --subset 200 --cache results.sqlite
    python benchmarks/leaderboard.py --cells all --subset 0 --cache results.sqlite

Rows are held-out numbers: this script reads the ensemble from the registry and cannot
change it (it was chosen by benchmarks/ensemble_tuning.py on CIFAR-10's tuning cells; the
CIFAR-10 rows on those same cells are therefore not held out, and say so). Where a
reference released its per-cell values (FreeREA: NASWOT, LogSynflow; NASLib: jacov, nwot,
synflow, zen), a row computes the metrics from those values on the same cells; otherwise
the paper's ρ is given beside ours with its protocol.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from _shared import NPZ, cpu_flags, fmt, shared_path
from proxy_results import PUBLISHED, _correlation, _label_split, _labelled_note, _published

from zeronas import api
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.groundtruth.correlation import failed_last, set_scores, tau_rho
from zeronas.groundtruth.ranking import ranking_metrics
from zeronas.proxies import PROXY_SETS, ProxySet
from zeronas.spaces import get_space

#: the published label-free proxies, as zeronas computes them (sets end in their combiner)
OURS = ("flops", "naswot", "zico", "meco", "az_nas", "ensemble", "ensemble_no_size")
SIZE_TERMS = ("flops", "params")
DOC = Path("docs/leaderboard.md")
COSTLY = ("swap", "vkdnw_single", "vkdnw_agg")  # on the first --subset cells only
#: (file, column pattern, label) of released per-cell values
RELEASED = (
    ("nats-tss/reference_scores.csv", "naswot_{d}", "naswot (FreeREA's released values)"),
    ("nats-tss/reference_scores.csv", "logsynflow_{d}", "logsynflow (FreeREA's released)"),
    ("nats-tss/naslib_zen.csv", "zen_{d}", "zen (NASLib's released values)"),
    ("nats-tss/naslib_zc_{d}.csv", "jacov", "jacob_cov (NASLib's released values)"),
    ("nats-tss/naslib_zc_{d}.csv", "nwot", "naswot (NASLib's released values)"),
    ("nats-tss/naslib_zc_{d}.csv", "synflow", "synflow (NASLib's released values)"),
)
HEADER = (
    "| row | cells | Kendall τ | Spearman ρ | top-1 | top-10 | recall 1% | nDCG@100 "
    "| published ρ |\n|---|---|---|---|---|---|---|---|---|"
)


def _row(label: str, values: np.ndarray, acc: np.ndarray, published: str = "") -> str:
    tau, rho, n = tau_rho(values, acc)
    return _format(label, n, tau, rho, values, acc, published)


def _failed_last(label: str, values: np.ndarray, acc: np.ndarray) -> list[str]:
    """A set's row over every cell, where some failed: a cell whose member failed (fitness
    −inf or NaN) ranks below all others, ties shared, as a search treats it, instead of
    being left out."""
    finite = np.isfinite(values)
    if finite.all() or not finite.any():
        return []
    tau, rho, n = tau_rho(failed_last(values), acc)
    return [_format(f"{label}, failed cells ranked last", n, tau, rho, values, acc, "")]


def _format(
    label: str,
    n: int,
    tau: float,
    rho: float,
    values: np.ndarray,
    acc: np.ndarray,
    published: str,
) -> str:
    top = ranking_metrics(np.where(np.isnan(values), -np.inf, values), acc)
    return (
        f"| {label} | {n} | {fmt(tau)} | {fmt(rho)} | {top.top1:.2f} | {top.top10:.2f} "
        f"| {top.recall_1pct:.2f} | {top.ndcg100:.3f} | {published} |"
    )


def _released(dataset: str, indices: list[int], acc: np.ndarray) -> list[str]:
    rows = []
    for file, column, label in RELEASED:
        path = shared_path("benchmarks") / file.format(d=dataset)
        if not path.exists():
            continue
        with path.open(newline="") as handle:
            table = {int(r["index"]): r for r in csv.DictReader(handle)}
        key = column.format(d=dataset)
        keep = [k for k, i in enumerate(indices) if i in table and table[i].get(key)]
        if len(keep) < 50:
            continue
        values = np.array([float(table[indices[k]][key]) for k in keep])
        rows.append(_row(label, values, acc[keep]))
    return rows


def _ours(args, dataset, truth, names, count) -> list[str]:
    plain, labelled = _label_split(dataset, list(names))
    rows = []
    for group, note in ((plain, ""), (labelled, _labelled_note(args, dataset))):
        if not group:
            continue
        _, result = _correlation(args, dataset, truth, group, count, bool(note))
        acc = np.asarray(result.accuracies, dtype=float)
        for row in result.rows:
            if row.proxy not in names:
                continue  # a set's members
            label = row.proxy + (" (set)" if row.proxy in SETS else "")
            label += f" ({note})" if note else ""
            values = np.array(result.values(row.proxy), dtype=float)
            if not row.higher_is_better:
                values = -values
            rows.append(_row(label, values, acc, _published(row.proxy, dataset)))
            if row.proxy in SETS:
                rows += _failed_last(label, values, acc)
            if row.proxy == "ensemble":
                rows += _without_size(result, acc)
    return rows


def _published_only(ours: tuple[str, ...], dataset: str) -> list[str]:
    """The published ρ of the proxies this table does not compute, with their protocol."""
    return [
        f"| {name} (published only) | – | – | – | – | – | – | – | {_published(name, dataset)} |"
        for name in PUBLISHED
        if name not in ours
    ]


def _without_size(result, acc: np.ndarray) -> list[str]:
    """The frozen ensemble with its size terms taken out (same combiner, same cells): the
    ablation the issue asks for beside ``ensemble_no_size``, the best size-free choice."""
    frozen = PROXY_SETS.get("ensemble")
    members = tuple(m for m in frozen.members if m not in SIZE_TERMS)
    ablation = ProxySet("ensemble - size", members, frozen.combine, "ablation")
    values = np.asarray(set_scores(result.records, ablation), dtype=float)
    label = f"ensemble without {'/'.join(SIZE_TERMS)} (ablation)"
    return [_row(label, values, acc), *_failed_last(label, values, acc)]


SETS = {"az_nas", "ensemble", "ensemble_no_size", "vkdnw_agg"}


def section(args, dataset: str, truth: CSVGroundTruth) -> list[str]:
    cells = args.cells
    indices = api.correlation_indices(get_space("nats-tss"), cells, args.seed)
    acc = np.array([truth.accuracy(i, dataset) for i in indices])
    tuning = dataset == "cifar10" and cells == 1000 and args.seed == 0
    note = " These are the ensemble's tuning cells: its rows are not held out." if tuning else ""
    drawn = f"{len(indices)} cells sampled with seed {args.seed}."
    if cells is None:
        drawn = f"All {len(indices)} cells."
    lines = [f"## {dataset}", "", f"{drawn}{note}", ""]
    ours = tuple(args.ours.split(","))
    lines += [HEADER, *_ours(args, dataset, truth, ours, None), *_released(dataset, indices, acc)]
    lines += _published_only((*ours, *COSTLY) if args.subset else ours, dataset)
    if args.subset:
        first = indices[: args.subset]
        lines += ["", f"The first {args.subset} of these cells (costly proxies):", "", HEADER]
        lines += _ours(args, dataset, truth, (*ours, *COSTLY), args.subset)
        lines += _released(dataset, first, acc[: args.subset])
    return [*lines, ""]


def _choices(args: argparse.Namespace) -> str:
    """The command-line options that differ from their defaults, as typed."""
    extra = ""
    if args.ours != ",".join(OURS):
        extra += f" --ours {args.ours}"
    if args.datasets != ",".join(NPZ):
        extra += f" --datasets {args.datasets}"
    if args.doc != DOC:
        extra += f" --doc {args.doc}"
    return extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="1000", help="seeded cells, or 'all'")
    parser.add_argument("--subset", type=int, default=200, help="0: no costly-proxy table")
    parser.add_argument("--datasets", default=",".join(NPZ))
    parser.add_argument("--ours", default=",".join(OURS), help="our rows (proxies, sets)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--labelled-batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    args.repeats, args.device = 1, "cpu"
    label, args.cells = args.cells, None if args.cells == "all" else int(args.cells)
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    lines = [
        "# Leaderboard: label-free proxies on NATS-TSS",
        "",
        f"Generated by `python benchmarks/leaderboard.py --cells {label} --subset "
        f"{args.subset} --batch-size {args.batch_size} --seed {args.seed}{_choices(args)}` "
        "(do not edit by hand). Target: 200-epoch test accuracy. Our rows: zeronas on the "
        f"shared real-image samples, batch {args.batch_size}, Kaiming fan-out init; zen, "
        "swap, AZ-NAS and VKDNW draw their own weights and inputs as their references do; "
        "MeCo reads one image; proxies that need labels say which sample they read. Sets "
        "combine their members by Σ ln(rank/N) over the cells of the table; a cell where a member "
        "failed (jacob_cov's NaN on cells whose output does not depend on the input) is left "
        "out of τ and ρ (the cells column), and the row below it ranks such cells last, as a "
        "search does. Released rows: "
        "the reference's own per-cell values on the same cells (NASLib's cover 9,445 cells, "
        "so fewer). Published ρ: the paper's number and protocol, not always the same cells "
        "or split. Metrics: "
        f"docs/metrics.md. CPU: {cpu_flags()}.",
        "",
    ]
    for dataset in args.datasets.split(","):
        lines += section(args, dataset, truth)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
