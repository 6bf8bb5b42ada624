"""Seed 002's Experiment 1 on one space: 1,000 seeded cells per dataset, each proxy's
Kendall τ (and Spearman ρ) against the benchmark's accuracy, against model size
(parameters) and the τ between relu_count and naswot; the scatter plots of Figs. 8–10
(naswot and relu_count against accuracy, one row per dataset). Writes
docs/seed002/exp1-<space>[-<name>].md and .png (the plot: when naswot and relu_count
are among ``--proxies``).

    python benchmarks/seed002_exp1.py --space nats-sss --cache store.sqlite
    python benchmarks/seed002_exp1.py --space nas-bench-101 --datasets cifar10

Ground truth: NATS-SSS validation accuracy after 90 epochs (the only SSS accuracy offline),
NAS-Bench-101 test accuracy after 108 epochs (mean of three runs), NATS-TSS test accuracy
after 200 epochs. Images: the shared real-image sample of each dataset.
``--subsets 'ensemble:200'`` adds costlier proxies on the first 200 of the same cells:

    python benchmarks/seed002_exp1.py --space nats-sss --proxies relu_count \
        --subsets ensemble:200 --name ensemble
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _shared import cpu_flags, fmt, npz_data, shared_path
from scipy import stats

from zeronas import api
from zeronas.execution import ExecutorConfig
from zeronas.groundtruth.correlation import tau_rho
from zeronas.groundtruth.sources import open_ground_truth
from zeronas.spaces import get_space

TRUTH = {
    "nats-sss": "benchmarks/nats-sss/accuracy_valid_hp90.csv",
    "nas-bench-101": "benchmarks/nas-bench-101/accuracy.csv",
    "nats-tss": "benchmarks/nats-tss/accuracy.csv",
}
DATASETS = {"nas-bench-101": "cifar10"}
PLOTTED = ("naswot", "relu_count")


def _kendall(a: np.ndarray, b: np.ndarray) -> float:
    keep = np.isfinite(a) & np.isfinite(b)
    return float(stats.kendalltau(a[keep], b[keep]).statistic) if keep.sum() > 1 else np.nan


def _scored(args, dataset: str, truth, proxies: str, subset: int | None):
    run = api.setup(
        space=args.space, proxies=proxies, dataset=dataset, data=npz_data(dataset),
        batch_size=args.batch_size, seed=args.seed, cache=args.cache,
    )  # fmt: skip
    start = time.perf_counter()
    result = api.run_correlation(
        run,
        truth,
        args.cells,
        args.seed,
        execution=ExecutorConfig(workers=args.workers),
        subset=subset,
    )
    return run, result, time.perf_counter() - start


def dataset_rows(args, dataset: str, truth) -> tuple[list[str], dict[str, np.ndarray], np.ndarray]:
    """Markdown rows of ``dataset`` and the plotted values with their accuracies."""
    groups = [(args.proxies, None)] + [
        (names, int(count))
        for names, _, count in (g.rpartition(":") for g in filter(None, args.subsets.split(";")))
    ]
    lines, plotted, accuracy = [], {}, None
    for proxies, subset in groups:
        listed = proxies if "params" in proxies.split(",") else f"{proxies},params"
        run, result, seconds = _scored(args, dataset, truth, listed, subset)
        acc = np.asarray(result.accuracies, dtype=float)
        size = np.asarray(result.values("params"), dtype=float)
        values = {name: np.asarray(result.values(name), dtype=float) for name in proxies.split(",")}
        if subset is None:
            accuracy = acc
            plotted = {n: v for n, v in values.items() if n in PLOTTED}
        per_cell = {r.proxy: r.seconds_per_cell for r in result.rows}
        for name, value in values.items():
            tau, rho, n = tau_rho(value, acc)
            lines.append(
                f"| {dataset} | {name} | {n} | {fmt(tau)} | {fmt(rho)} | "
                f"{fmt(_kendall(value, size))} | {per_cell.get(name, np.nan):.3f} |"
            )
        print(f"{dataset} {proxies} ({len(acc)} cells): {seconds:.0f} s")
    if set(PLOTTED) <= set(plotted):
        tau = _kendall(plotted["relu_count"], plotted["naswot"])
        lines.append(f"| {dataset} | relu_count vs naswot | – | {fmt(tau)} | – | – | – |")
    return lines, plotted, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nats-sss", choices=sorted(TRUTH))
    parser.add_argument("--datasets", default=None, help="default: the space's datasets")
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--proxies", default="naswot,relu_count,logsynflow,synflow")
    parser.add_argument("--subsets", default="", help="'PROXIES:COUNT;...' on the first COUNT")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--out", type=Path, default=Path("docs/seed002"))
    parser.add_argument("--name", default="", help="writes exp1-<space>-<name>.md")
    args = parser.parse_args()
    datasets = args.datasets or DATASETS.get(args.space, "cifar10,cifar100,ImageNet16-120")
    space = get_space(args.space)
    truth = open_ground_truth(shared_path(TRUTH[args.space]), space=space)
    rows, panels = [], {}
    for dataset in datasets.split(","):
        lines, plotted, accuracy = dataset_rows(args, dataset, truth)
        rows += lines
        panels[dataset] = (plotted, accuracy)
    stem = f"exp1-{args.space}" + (f"-{args.name}" if args.name else "")
    figure = args.out / f"{stem}.png"
    plots = all(set(PLOTTED) <= set(plotted) for plotted, _ in panels.values())
    if plots:
        _plot(figure, panels, truth.label)
    command = "python benchmarks/seed002_exp1.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
        if k not in ("cache", "workers", "out") and v not in ("", None)
    )  # fmt: skip
    text = "\n".join([
        f"# Seed 002 Experiment 1 on {args.space}",
        "",
        f"Generated by `{command}` (do not edit by hand) on a CPU with {cpu_flags()}, one "
        f"thread per process. {args.cells} cells sampled with seed {args.seed} per dataset, "
        f"scored on one fixed batch of {args.batch_size} images of the shared real-image "
        f"sample, against {truth.label}. τ vs size: Kendall τ between the proxy and the "
        "network's parameter count (`params`, classifier included). s/cell: mean recorded "
        "seconds per cell (stored values keep the seconds of the run that computed them).",
        "",
        "| dataset | proxy | n | τ vs accuracy | ρ vs accuracy | τ vs size | s/cell |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"![naswot and relu_count against accuracy]({figure.name})" if plots else "",
        "",
    ])  # fmt: skip
    doc = args.out / f"{stem}.md"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
    print(text)
    print(f"wrote {doc}" + (f" and {figure}" if plots else ""))


def _plot(path: Path, panels: dict, label: str) -> None:
    """One row per dataset, one column per plotted proxy (seed 002 Figs. 8–10)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(panels), len(PLOTTED), figsize=(4.2 * len(PLOTTED), 3.2 * len(panels)),
        dpi=110, squeeze=False,
    )  # fmt: skip
    for row, (dataset, (plotted, accuracy)) in zip(axes, panels.items(), strict=True):
        for ax, name in zip(row, PLOTTED, strict=True):
            x = plotted[name]
            keep = np.isfinite(x) & np.isfinite(accuracy)
            ax.scatter(x[keep], accuracy[keep], s=4, alpha=0.4)
            tau = _kendall(x, accuracy)
            ax.set_title(f"{dataset}: {name} (τ {tau:.3f}, n {keep.sum()})", fontsize=9)
            ax.set_xlabel(name, fontsize=8)
            ax.set_ylabel(label.split(",")[0], fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
