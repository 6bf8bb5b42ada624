"""Picking under a device's latency budget on NATS-TSS CIFAR-10 (issue 17), and the
hypervolume of NSGA-II's accuracy–latency front. Writes docs/hardware-budgets.md.

    python benchmarks/hardware_budgets.py --runs 10 --cache store.sqlite

Devices: HW-NAS-Bench's columns of ``../shared/benchmarks/nats-tss/latency_cifar10.csv``.
Budgets: the 10th, 25th and 50th percentile of the device's column over all 15,625 cells.
Per budget: ``zeronas search`` with its defaults (the ensemble, two stages, REA) and
``--latency-table --max-latency-ms``, live on the shared CIFAR-10 real-image sample,
``--runs`` seeds, once per first-stage screen in ``--screens`` (the first: the default,
params): the pick's 200-epoch test accuracy
(mean ± std); the oracle (the best
cell under the budget in the table); the most-MACs cell under the budget (a common
baseline; ties: the lowest index). Then ``nsga2 --objectives latency_ms`` on ``--front``
devices: the found front's hypervolume as a fraction of the true front's (README, "Search").
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from _shared import cpu_flags, npz_data, shared_path

from zeronas import api
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.report.pareto import pareto_files
from zeronas.spaces import get_space

DEVICES = ("raspi4_ms", "pixel3_ms", "fpga_ms", "eyeriss_ms")
PERCENTILES = (10, 25, 50)


def _budget_rows(args, table: Path, truth, device: str) -> list[str]:
    space = get_space("nats-tss")
    with table.open(newline="") as handle:
        latency = {int(r["index"]): float(r[device]) for r in csv.DictReader(handle)}
    lat = np.array([latency[i] for i in range(space.size)])
    acc = np.array([truth.accuracy(i, "cifar10") for i in range(space.size)])
    macs = np.array([space.costs(space.arch(i), 10, (3, 32, 32))[1] for i in range(space.size)])
    rows = []
    for q in PERCENTILES:
        budget = float(np.percentile(lat, q))
        under = np.flatnonzero(lat <= budget)
        oracle = acc[under].max()
        most_macs = under[np.argmax(macs[under])]  # argmax: the first (lowest index) on ties
        picked, timed = [], []
        for screen in args.screens.split(","):
            run = api.search_setup(
                proxies="ensemble", dataset="cifar10", data=npz_data("cifar10"),
                cache=args.cache, latency_table=f"{table}:{device}", max_latency_ms=budget,
                screen=screen,
            )  # fmt: skip
            picks, seconds = [], []
            for seed in range(args.seed, args.seed + args.runs):
                result = api.search(run, "rea", api.DEFAULT_SEARCH["budget"], None, seed)
                picks.append(acc[result.best.index])
                seconds.append(result.seconds)
                assert lat[result.best.index] <= budget
            picked.append(f"{np.mean(picks):.2f} ± {np.std(picks):.2f}")
            timed.append(f"{np.mean(seconds):.1f}")
        rows.append(
            f"| {device} | p{q}: {budget:.3f} ms ({len(under)} cells) | {' | '.join(picked)} | "
            f"{oracle:.2f} | {acc[most_macs]:.2f} | {' / '.join(timed)} |"
        )
        print(rows[-1], flush=True)
    return rows


def _front_row(args, table: Path, truth, device: str, out: Path) -> str:
    run = api.search_setup(
        proxies=args.front_proxies, dataset="cifar10", data=npz_data("cifar10"),
        cache=args.cache, objectives="latency_ms", latency_table=f"{table}:{device}",
    )  # fmt: skip
    fractions, sizes = [], []
    for seed in range(args.seed, args.seed + args.front_runs):
        result = api.search(run, "nsga2", args.front_budget, None, seed)
        folder = out / f"{device}-seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        summary = pareto_files(folder, result, lambda i: truth.accuracy(i, "cifar10"), 15625)
        fractions.append(summary["hypervolume_fraction"])
        sizes.append(summary["size"])
    row = (
        f"| {device} | {args.front_proxies} | {args.front_budget} | "
        f"{np.mean(fractions):.3f} ± {np.std(fractions):.3f} | {np.mean(sizes):.1f} |"
    )
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--devices", default=",".join(DEVICES))
    parser.add_argument(
        "--screens", default="params",
        help="first-stage screens compared (the ensemble's own is params)",
    )  # fmt: skip
    parser.add_argument("--front", default="raspi4_ms,pixel3_ms", help="devices for NSGA-II")
    parser.add_argument("--front-proxies", default="ensemble")
    parser.add_argument("--front-budget", type=int, default=300)
    parser.add_argument("--front-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--doc", type=Path, default=Path("docs/hardware-budgets.md"))
    args = parser.parse_args()
    table = shared_path("benchmarks/nats-tss/latency_cifar10.csv")
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    start = time.perf_counter()
    budgets = [r for d in filter(None, args.devices.split(",")) for r in _budget_rows(
        args, table, truth, d)]  # fmt: skip
    figures = args.doc.parent / "hardware-fronts"
    screens = args.screens.split(",")
    fronts = [
        _front_row(args, table, truth, d, figures) for d in filter(None, args.front.split(","))
    ]
    command = (
        f"python benchmarks/hardware_budgets.py --runs {args.runs} --devices {args.devices} "
        f"--screens {args.screens} "
        f"--front {args.front} --front-proxies {args.front_proxies} --front-budget "
        f"{args.front_budget} --front-runs {args.front_runs} --seed {args.seed}"
    )
    text = "\n".join([
        "# Picking under a device's latency budget (NATS-TSS, CIFAR-10)",
        "",
        f"Generated by `{command}` (do not edit by hand) on a CPU with {cpu_flags()}, one "
        f"thread, in {(time.perf_counter() - start) / 60:.0f} min. Latency: HW-NAS-Bench's "
        "per-cell tables (`../shared/benchmarks/nats-tss/latency_cifar10.csv`). Accuracy: "
        "200-epoch test accuracy. Searches score live on the shared CIFAR-10 real-image "
        "sample; cells over the budget are never proposed, so they cost no scoring.",
        "",
        f"## `zeronas search` defaults under a budget ({args.runs} seeds)",
        "",
        "Ours: the pick's accuracy, mean ± std, with each first-stage screen (REA proposes "
        "500 cells under the budget ranked by the screen; the ensemble re-ranks the 20 "
        "fittest; `params` is the ensemble's own screen). Search s: "
        "recorded seconds per search, per screen.",
        "",
        f"| device | budget (percentile) | {' | '.join(f'ours, screen {s}' for s in screens)} "
        "| oracle | most MACs | search s |",
        "|---|---|" + "---|" * len(screens) + "---|---|---|",
        *budgets,
        "",
        f"## NSGA-II fronts ({args.front_runs} seeds)",
        "",
        "Hypervolume of the found front (its members at their true accuracy) as a fraction "
        "of the true front's, reference point: the space's median accuracy and the true "
        f"front's largest latency. Fronts and plots: `{figures.name}/`.",
        "",
        "| device | fitness | candidates | hypervolume fraction | front size |",
        "|---|---|---|---|---|",
        *fronts,
        "",
    ])  # fmt: skip
    args.doc.write_text(text)
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
