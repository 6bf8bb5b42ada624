"""Rank agreement of zeronas's naswot / synflow / logsynflow with FreeREA's reference scores,
and of each with test accuracy, on seeded cells.

    python benchmarks/reference_agreement.py --cells 300 --data npz --batch-size 64
    python benchmarks/reference_agreement.py --cells 300 --data synthetic --batch-size 64
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
from _shared import NPZ, npz_data, shared_path
from rich.console import Console
from rich.table import Table
from scipy import stats

from zeronas.api import setup
from zeronas.groundtruth import CSVGroundTruth
from zeronas.groundtruth.correlation import sample_indices


def _spearman(a, b) -> tuple[float, int]:
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = np.isfinite(a) & np.isfinite(b)
    return float(stats.spearmanr(a[keep], b[keep]).statistic), int(keep.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--dataset", default="cifar10", choices=list(NPZ))
    parser.add_argument("--data", default="npz", choices=["npz", "synthetic"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--proxies", default="naswot,synflow,logsynflow")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = npz_data(args.dataset) if args.data == "npz" else "synthetic"
    run = setup(
        proxies=args.proxies,
        dataset=args.dataset,
        data=data,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    with shared_path("benchmarks/nats-tss/reference_scores.csv").open() as handle:
        reference = {int(r["index"]): r for r in csv.DictReader(handle)}
    indices = sample_indices(run.space.size, args.cells, args.seed)
    start = time.perf_counter()
    records = [run.scorer(run.space.arch(i)) for i in indices]
    elapsed = time.perf_counter() - start
    acc = [truth.accuracy(i, args.dataset) for i in indices]
    table = Table(
        "proxy",
        "ρ vs reference",
        "ρ vs accuracy",
        "ref ρ vs accuracy",
        "cells",
        title=f"{args.dataset}, {args.cells} cells, data={data}, batch {args.batch_size}",
    )
    for proxy in run.proxies:
        ours = [r.value(proxy.name) for r in records]
        ref = [float(reference[i][f"{proxy.name}_{args.dataset}"]) for i in indices]
        rho_ref, n = _spearman(ours, ref)
        table.add_row(
            proxy.name,
            f"{rho_ref:.3f}",
            f"{_spearman(ours, acc)[0]:.3f}",
            f"{_spearman(ref, acc)[0]:.3f}",
            str(n),
        )
    Console().print(table)
    print(f"scored {len(indices)} cells in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
