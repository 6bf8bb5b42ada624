"""Seed 002's Fig. 13 analysis: does the ReLU count (its proposed metric) predict network
size better than NASWOT does? Kendall τ of relu_count vs size, naswot vs size and
relu_count vs naswot on seeded samples of a space, per dataset, NASWOT on real images
(the shared npz samples). Size = parameters (τ is the same for kB = 4 bytes x params).
With ``--benchmark`` each proxy's τ against test accuracy is added.

    python benchmarks/size_analysis.py --space nats-sss --sample 1000
    python benchmarks/size_analysis.py --space nats-tss \
        --benchmark ../shared/benchmarks/nats-tss/accuracy.csv
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _shared import NPZ, npz_data
from rich.console import Console
from rich.table import Table
from scipy import stats

from zeronas import api
from zeronas.groundtruth.correlation import sample_indices
from zeronas.groundtruth.sources import open_ground_truth

PAIRS = [("relu_count", "params"), ("naswot", "params"), ("relu_count", "naswot")]


def kendall(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """τ over the pairs where both are finite, and how many were left out."""
    keep = np.isfinite(x) & np.isfinite(y)
    return float(stats.kendalltau(x[keep], y[keep]).statistic), int((~keep).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nats-sss")
    parser.add_argument("--datasets", default=",".join(NPZ))
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--benchmark", default=None, help="accuracy table: adds τ vs accuracy")
    args = parser.parse_args()
    columns = [f"τ({a}, {b})" for a, b in PAIRS]
    extra = ["τ(relu_count, acc)", "τ(naswot, acc)", "τ(params, acc)"] if args.benchmark else []
    table = Table(
        "dataset",
        "n",
        *columns,
        *extra,
        "-inf naswot",
        "s/cell naswot",
        "s/cell relu_count",
        title=f"{args.space}: {args.sample} seeded configurations (seed {args.seed}), "
        f"naswot on {args.batch_size} real images",
    )
    for dataset in args.datasets.split(","):
        run = api.setup(
            space=args.space,
            dataset=dataset,
            proxies="naswot,relu_count,params",
            data=npz_data(dataset),
            batch_size=args.batch_size,
            seed=args.seed,
        )
        indices = sample_indices(run.space.size, args.sample, args.seed)
        start = time.perf_counter()
        records = [run.scorer(run.space.arch(i)) for i in indices]
        print(f"{dataset}: scored {len(records)} in {time.perf_counter() - start:.0f} s")
        values = {
            name: np.array([r.value(name) for r in records])
            for name in ("naswot", "relu_count", "params")
        }
        taus = [kendall(values[a], values[b])[0] for a, b in PAIRS]
        row = [dataset, str(len(records)), *(f"{t:.3f}" for t in taus)]
        if args.benchmark:
            truth = open_ground_truth(args.benchmark, space=run.space)
            acc = np.array([truth.accuracy(i, dataset) for i in indices])
            row += [f"{kendall(values[n], acc)[0]:.3f}" for n in ("relu_count", "naswot", "params")]
        seconds = {
            n: np.mean([r.values[n].seconds for r in records]) for n in ("naswot", "relu_count")
        }
        row += [
            str(int(np.isneginf(values["naswot"]).sum())),
            f"{seconds['naswot']:.4f}",
            f"{seconds['relu_count']:.4f}",
        ]
        table.add_row(*row)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
