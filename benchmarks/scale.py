"""Scoring throughput (issue 7): cells per second for naswot, logsynflow and both, on 1 and
2 workers (local processes, and Ray when installed), against a bare forward pass of the same
cells measured in the same run; optionally every NATS-TSS cell, with Spearman ρ against the
ground truth.

    python benchmarks/scale.py --cells 40
    python benchmarks/scale.py --cells 40 --all --workers 2     # + all 15,625 cells

Each configuration scores the same seeded cells from scratch (no score store), on the
cifar10 npz sample (real images, batch 64 as FreeREA's reference scores).
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np
import torch
from _shared import shared_path
from rich.console import Console
from rich.table import Table
from scipy import stats

from zeronas import api
from zeronas.benchmarks.correlation import sample_indices
from zeronas.benchmarks.groundtruth import CSVGroundTruth
from zeronas.executors import make_executor
from zeronas.init import initialise

PROXY_SETS = ("naswot", "logsynflow", "naswot,logsynflow")


def forward_seconds(run: api.ScoringSetup, archs: list) -> float:
    """Seconds per cell of building + one train-mode no-grad forward of the batch."""
    x, spec = run.batch.x, run.dataset
    start = time.perf_counter()
    for arch in archs:
        net = initialise(run.space.build(arch, spec.num_classes, spec.input_shape)).train()
        with torch.no_grad():
            net(x)
    return (time.perf_counter() - start) / len(archs)


def throughput(run: api.ScoringSetup, archs: list, executor: str, workers: int) -> float:
    """Cells per second scoring ``archs`` on ``executor`` with ``workers`` (workers are
    started before the clock starts)."""
    with make_executor(executor, run.scorer, workers) as pool:
        start = time.perf_counter()
        results = list(run.scorer.score_many(archs, pool))
        seconds = time.perf_counter() - start
    assert len(results) == len(archs)
    return len(archs) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all", action="store_true", help="then score all 15,625 cells")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data = f"npz:{shared_path('images/cifar10_960_augtrain_uint8.npz')}"
    executors = [("local", 1), ("process", 2)]
    if importlib.util.find_spec("ray") is not None:
        executors.append(("ray", 2))
    base_run = api.setup(proxies="params", data=data, batch_size=args.batch_size, seed=args.seed)
    indices = sample_indices(base_run.space.size, args.cells, args.seed)
    archs = [base_run.space.arch(i) for i in indices]
    forward = forward_seconds(base_run, archs)
    table = Table(
        "proxies", *(f"{e} x{w} cells/s" for e, w in executors), "s/cell (1 worker)",
        "x forward", title=f"{args.cells} NATS-TSS cells, cifar10 npz, batch {args.batch_size}; "
        f"bare forward {forward:.4f} s/cell ({torch.get_num_threads()} threads)",
    )  # fmt: skip
    for proxies in PROXY_SETS:
        run = api.setup(proxies=proxies, data=data, batch_size=args.batch_size, seed=args.seed)
        rates = [throughput(run, archs, e, w) for e, w in executors]
        per_cell = 1 / rates[0]
        row = [f"{r:.2f}" for r in rates]
        table.add_row(proxies, *row, f"{per_cell:.4f}", f"{per_cell / forward:.2f}")
    Console(width=160).print(table)
    if args.all:
        run = api.setup(
            proxies="naswot,logsynflow", data=data, batch_size=args.batch_size, seed=args.seed
        )
        truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
        everything = [run.space.arch(i) for i in range(run.space.size)]
        start = time.perf_counter()
        with make_executor("process", run.scorer, args.workers) as pool:
            records = [
                r for _, r in sorted(run.scorer.score_many(everything, pool), key=lambda t: t[0])
            ]
        minutes = (time.perf_counter() - start) / 60
        acc = np.array([truth.accuracy(i, "cifar10") for i in range(run.space.size)])
        print(f"all {len(records)} cells, naswot+logsynflow, {args.workers} workers: ", end="")
        print(f"{minutes:.1f} min")
        for name in ("naswot", "logsynflow"):
            values = np.array([r.value(name) for r in records])
            keep = np.isfinite(values)
            rho = stats.spearmanr(values[keep], acc[keep]).statistic
            excluded = int((~keep).sum())
            print(f"  {name}: Spearman ρ vs cifar10 test accuracy {rho:.3f} (excluded {excluded})")


if __name__ == "__main__":
    main()
