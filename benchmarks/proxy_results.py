"""Every proxy and the hybrids on NATS-TSS: Kendall τ and Spearman ρ against test accuracy
(200 epochs), Kendall τ against size (parameters), and seconds per cell, on the same seeded
cells of each dataset with its real-image sample. Writes docs/results.md.

    python benchmarks/proxy_results.py --cells 1000 --workers 2 --cache results.sqlite
    python benchmarks/proxy_results.py --cells 100 --proxies ntk_cond,params --doc docs/ntk.md

The score store (``--cache``) makes a killed run resume and a rerun free. Hybrids are
fitness combinations of per-cell values over the whole sample (``zscore``: μ, σ of that
sample); one is listed when all its parts were scored.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from _shared import NPZ, npz_data, shared_path
from scipy import stats

from zeronas import api
from zeronas.benchmarks.groundtruth import CSVGroundTruth
from zeronas.fitness import Fitness
from zeronas.proxies import list_proxies, parse_proxy_list

#: (proxies, combiner): seed 003's hybrid in three combinations, FreeREA's and NINASWOT's parts
HYBRIDS = (
    ("ninaswot,entropy,ntk_cond", "rank"),
    ("ninaswot,entropy,ntk_cond", "norm-sum"),
    ("ninaswot,entropy,ntk_cond", "zscore"),
    ("ninaswot,entropy", "rank"),
    ("naswot,logsynflow,skip", "norm-sum"),
    ("naswot,logsynflow", "norm-sum"),
    ("naswot,noise_immunity", "zscore"),
)
SLOW = ("ntk_cond",)  # K backward passes per cell: ask for it explicitly


def _tau_rho(values: np.ndarray, target: np.ndarray) -> tuple[float, float, int]:
    keep = np.isfinite(values) & np.isfinite(target)
    if keep.sum() < 2 or np.ptp(values[keep]) == 0:
        return math.nan, math.nan, int(keep.sum())
    tau = stats.kendalltau(values[keep], target[keep]).statistic
    rho = stats.spearmanr(values[keep], target[keep]).statistic
    return float(tau), float(rho), int(keep.sum())


def _fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


def dataset_section(args: argparse.Namespace, dataset: str, truth: CSVGroundTruth) -> list[str]:
    proxies = args.proxies.split(",")
    if "params" not in proxies:
        proxies.append("params")
    run = api.setup(
        proxies=proxies, dataset=dataset, data=npz_data(dataset), batch_size=args.batch_size,
        seed=args.seed, repeats=args.repeats, cache=args.cache, device=args.device,
    )  # fmt: skip
    start = time.perf_counter()
    result = api.run_correlation(run, truth, args.cells, args.seed, workers=args.workers)
    minutes = (time.perf_counter() - start) / 60
    acc = np.asarray(result.accuracies, dtype=float)
    values = {
        p.name: np.array([r.value(p.name) for r in result.records], dtype=float)
        for p in run.proxies
    }
    lines = [
        f"## {dataset}",
        "",
        f"{len(acc)} cells, scored in {minutes:.1f} min on {args.workers} processes, {args.device} "
        "(values read back from the store cost nothing).",
        "",
        "| proxy | direction | cells | excluded | Kendall τ | Spearman ρ | τ vs params | s/cell |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result.rows:
        size_tau = _tau_rho(values[row.proxy], values["params"])[0]
        direction = "higher" if row.higher_is_better else "lower"
        lines.append(
            f"| {row.proxy} | {direction} | {row.n} | {row.excluded} | {_fmt(row.kendall_tau)} "
            f"| {_fmt(row.spearman_rho)} | {_fmt(size_tau)} | {row.seconds_per_cell:.4f} |"
        )
    hybrids = [(h, c) for h, c in HYBRIDS if set(h.split(",")) <= set(values)]
    if hybrids:
        lines += ["", "| hybrid | combine | Kendall τ | Spearman ρ |", "|---|---|---|---|"]
        rows = [{n: float(v[i]) for n, v in values.items()} for i in range(len(acc))]
        for names, combine in hybrids:
            fitness = Fitness(tuple(parse_proxy_list(names)), combine)(rows)
            tau, rho, _ = _tau_rho(fitness, acc)
            lines.append(f"| {names} | {combine} | {_fmt(tau)} | {_fmt(rho)} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ",".join(n for n in list_proxies() if n not in SLOW)
    parser.add_argument("--proxies", default=default)
    parser.add_argument("--datasets", default=",".join(NPZ))
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--doc", type=Path, default=Path("docs/results.md"))
    args = parser.parse_args()
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    lines = [
        "# Proxies on NATS-TSS",
        "",
        "Generated by `python benchmarks/proxy_results.py "
        f"--cells {args.cells} --proxies {args.proxies} --batch-size {args.batch_size} "
        f"--repeats {args.repeats} --seed {args.seed} --device {args.device}` (do not edit by "
        "hand). Accuracy: "
        "200-epoch test accuracy from `../shared/benchmarks/nats-tss/accuracy.csv`; images: "
        "the shared real-image samples; Kaiming fan_out init; τ and ρ over the cells "
        "with a finite value (the others are counted as excluded). Seconds per cell are "
        "measured on one core of the machine that ran the script.",
        "",
    ]
    for dataset in args.datasets.split(","):
        lines += dataset_section(args, dataset, truth)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
