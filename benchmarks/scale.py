"""Scoring throughput (issue 7): cells per second for naswot, logsynflow and both, on 1 and
2 workers (local processes, and Ray when installed), against a bare forward pass of the same
cells measured in the same run; optionally every NATS-TSS cell, with Spearman ρ against the
ground truth.

    python benchmarks/scale.py --cells 40
    python benchmarks/scale.py --cells 40 --all --workers 2     # + all 15,625 cells
    python benchmarks/scale.py --device cuda --workers 8 --all  # one GPU, 8 processes

Columns: the driver alone with one intra-op thread ("1 core", the row's "x forward" ratio
is against a bare forward on one core) or two, two worker processes of one thread each, and
two Ray tasks at a time. On a GPU: one process, then ``--workers`` processes sharing it.

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
from zeronas.execution import ExecutorConfig, make_executor
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.groundtruth.correlation import sample_indices
from zeronas.models.init import initialise

PROXY_SETS = ("naswot", "logsynflow", "naswot,logsynflow")


def forward_seconds(
    run: api.ScoringSetup, archs: list, layout: torch.memory_format, device: str
) -> float:
    """Seconds per cell of building + one train-mode no-grad forward of the batch, network
    and batch in ``layout`` on ``device``."""
    x, spec = run.batch.x.to(device).contiguous(memory_format=layout), run.dataset
    start = time.perf_counter()
    for arch in archs:
        net = initialise(run.space.build(arch, spec.num_classes, spec.input_shape))
        net = net.to(device, memory_format=layout).train()
        with torch.no_grad():
            float(net(x).sum())  # waits for the device
    return (time.perf_counter() - start) / len(archs)


#: (column, executor, workers, intra-op threads of the driver process) on the CPU
CONFIGS = (
    ("1 core", "local", 1, 1),
    ("1 process, 2 threads", "local", 1, 2),
    ("2 processes", "process", 2, 1),
    ("ray x2", "ray", 2, 1),
)


def configs_for(device: str, workers: int) -> list[tuple[str, str, int, int]]:
    """The CPU configurations (Ray where installed); on a GPU one process, then
    ``workers`` processes sharing it."""
    if device != "cpu":
        return [("1 process", "local", 1, 1), (f"{workers} processes", "process", workers, 1)]
    return [c for c in CONFIGS if c[1] != "ray" or importlib.util.find_spec("ray")]


def throughput(run: api.ScoringSetup, archs: list, executor: str, workers: int) -> float:
    """Cells per second scoring ``archs`` on ``executor`` with ``workers`` (workers are
    started, and the driver warmed up on a few cells, before the clock starts)."""
    with make_executor(ExecutorConfig(executor, workers), run.scorer) as pool:
        list(run.scorer.score_many(archs[:2], pool))
        start = time.perf_counter()
        results = list(run.scorer.score_many(archs, pool))
        seconds = time.perf_counter() - start
    assert len(results) == len(archs)
    return len(archs) / seconds


def score_everything(args: argparse.Namespace, data: str) -> None:
    """All 15,625 cells with naswot + logsynflow on ``--workers`` processes; Spearman ρ."""
    run = api.setup(
        proxies="naswot,logsynflow",
        data=data,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
    )
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    everything = [run.space.arch(i) for i in range(run.space.size)]
    start = time.perf_counter()
    ordered = []
    with make_executor(ExecutorConfig("process", args.workers), run.scorer) as pool:
        for done, item in enumerate(run.scorer.score_many(everything, pool), 1):
            ordered.append(item)
            if done % 2500 == 0:
                print(f"  {done} cells after {(time.perf_counter() - start) / 60:.1f} min")
    ordered.sort(key=lambda t: t[0])
    minutes = (time.perf_counter() - start) / 60
    records = [r for _, r in ordered]
    where = f"{args.workers} processes on {args.device}"
    print(f"all {len(records)} cells, naswot+logsynflow, {where}: ", end="")
    print(f"{minutes:.1f} min ({len(records) / minutes / 60:.2f} cells/s)")
    for dataset in ("cifar10", "cifar100", "ImageNet16-120"):
        acc = np.array([truth.accuracy(i, dataset) for i in range(run.space.size)])
        for name in ("naswot", "logsynflow"):
            values = np.array([r.value(name) for r in records])
            keep = np.isfinite(values)
            rho = stats.spearmanr(values[keep], acc[keep]).statistic
            excluded = int((~keep).sum())
            print(f"  {name} vs {dataset} test accuracy: Spearman ρ {rho:.3f}", end="")
            print(f" ({excluded} cells with a non-finite score excluded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all", action="store_true", help="then score all 15,625 cells")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = parser.parse_args()
    data = f"npz:{shared_path('images/cifar10_960_augtrain_uint8.npz')}"
    configs = configs_for(args.device, args.workers)
    base_run = api.setup(proxies="params", data=data, batch_size=args.batch_size, seed=args.seed)
    indices = sample_indices(base_run.space.size, args.cells, args.seed)
    archs = [base_run.space.arch(i) for i in indices]
    torch.set_num_threads(1)
    forward_seconds(base_run, archs[:2], torch.channels_last, args.device)  # warm-up
    standard = forward_seconds(base_run, archs, torch.contiguous_format, args.device)
    forward = forward_seconds(base_run, archs, torch.channels_last, args.device)  # as scored
    table = Table(
        "proxies", *(f"{label} cells/s" for label, *_ in configs), f"s/cell ({configs[0][0]})",
        "x forward", title=f"{args.cells} NATS-TSS cells, cifar10 npz, batch {args.batch_size}, "
        f"{args.device}; bare forward ({configs[0][0]}) {forward:.4f} s/cell channels-last, "
        f"{standard:.4f} standard layout",
    )  # fmt: skip
    for proxies in PROXY_SETS:
        run = api.setup(
            proxies=proxies,
            data=data,
            batch_size=args.batch_size,
            seed=args.seed,
            device=args.device,
        )
        rates = []
        for _, executor, workers, threads in configs:
            torch.set_num_threads(threads)
            rates.append(throughput(run, archs, executor, workers))
        torch.set_num_threads(1)
        per_cell = 1 / rates[0]
        row = [f"{r:.2f}" for r in rates]
        table.add_row(proxies, *row, f"{per_cell:.4f}", f"{per_cell / forward:.2f}")
    Console(width=160).print(table)
    if args.all:
        score_everything(args, data)


if __name__ == "__main__":
    main()
