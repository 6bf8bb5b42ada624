"""Result files: CSV tables, JSON summaries and plots (matplotlib, Agg backend)."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from zeronas.fitness import PENALTIES, SizePenalty
from zeronas.jsonio import json_number, write_json
from zeronas.scoring import ArchScores
from zeronas.search.base import SearchResult

__all__ = [
    "write_scores_csv",
    "scatter_plot",
    "json_number",
    "search_document",
    "write_history_csv",
    "write_json",
    "curve_plot",
]


def write_scores_csv(
    path: Path,
    records: Sequence[ArchScores],
    proxies: Sequence[str],
    accuracies: Sequence[float] | None = None,
) -> Path:
    """One row per architecture: index, arch, accuracy, each proxy's value, seconds, error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["index", "arch"] + (["accuracy"] if accuracies is not None else [])
    for name in proxies:
        header += [name, f"{name}_seconds", f"{name}_error"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i, record in enumerate(records):
            row: list[object] = [record.index, record.arch]
            if accuracies is not None:
                row.append(accuracies[i])
            for name in proxies:
                v = record.values[name]
                row += [repr(v.value), f"{v.seconds:.6f}", v.error or ""]
            writer.writerow(row)
    return path


def scatter_plot(
    path: Path,
    values: Sequence[float],
    accuracies: Sequence[float],
    proxy: str,
    title: str,
    acc_label: str,
) -> Path:
    """Proxy value against accuracy for the finite points; the title gives τ, ρ, counts."""
    x, y = np.asarray(values, dtype=float), np.asarray(accuracies, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    with _figure(path, (5, 4)) as ax:
        ax.scatter(x[keep], y[keep], s=6, alpha=0.5)
        ax.set_xlabel(proxy)
        ax.set_ylabel(acc_label)
        ax.set_title(title, fontsize=9)
    return path


@contextmanager
def _figure(path: Path, size: tuple[float, float], ncols: int = 1) -> Iterator[Any]:
    """One matplotlib axes, or ``ncols`` side by side (headless backend), saved to ``path``
    on exit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, ncols, figsize=size, dpi=110)
    try:
        yield ax
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)


def search_document(
    result: SearchResult,
    setup: dict[str, Any],
    accuracy: Callable[[int], float] | None = None,
    truth_label: str | None = None,
) -> dict[str, Any]:
    """The JSON summary of a search run: settings, why it stopped, counts, the best cell
    (with its ground-truth accuracy when ``accuracy`` maps an index to it)."""
    best = result.best
    counts = Counter(e.status for e in result.history)
    doc: dict[str, Any] = {
        "algorithm": result.algorithm,
        "params": result.params,
        **setup,
        "evaluation_budget": {
            "evaluations": result.budget.evaluations,
            "seconds": result.budget.seconds,
        },
        "seed": result.seed,
        "stopped": result.stopped,
        "evaluations": result.evaluations,
        "proposals": result.proposals,
        "scored": counts["ok"],
        "failed": counts["failed"],
        "rejected": counts["rejected"],
        "limit_checks": result.limit_report,
        "search_seconds": result.seconds,
        "wall_seconds": result.wall_seconds,
        "ground_truth": truth_label,
        "best": None,
        "reranked": [_rerank_row(e, accuracy) for e in result.reranked],
    }
    if best is not None:
        doc["best"] = {
            "arch": best.arch,
            "index": best.index,
            "step": best.step,
            "values": {n: json_number(v) for n, v in best.values.items()},
            "fitness": json_number(result.best_fitness()),
            "accuracy": accuracy(best.index) if accuracy and best.index is not None else None,
        }
    return doc


def _rerank_row(record: Any, accuracy: Callable[[int], float] | None) -> dict[str, Any]:
    known = accuracy is not None and record.index is not None
    return {
        "arch": record.arch, "index": record.index, "status": record.status,
        "error": record.error, "values": {n: json_number(v) for n, v in record.values.items()},
        "accuracy": accuracy(record.index) if known else None,
    }  # fmt: skip


def write_history_csv(
    path: Path, result: SearchResult, accuracy: Callable[[int], float] | None = None
) -> Path:
    """One row per candidate in the order met: status, error, raw proxy values, seconds,
    fitness over the whole history, and (with ground truth) accuracy and best-so-far accuracy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = result.fitness.names
    fitness = result.final_fitness()
    header = ["step", "index", "arch", "status", "error", *names, "seconds", "elapsed", "fitness"]
    if accuracy is not None:
        header += ["accuracy", "best_so_far_accuracy"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record, best in zip(result.history, result.best_so_far(), strict=True):
            row: list[object] = [record.step, record.index, record.arch, record.status]
            row += [record.error or ""] + [repr(record.values.get(n, math.nan)) for n in names]
            row += [f"{record.seconds:.6f}", f"{record.elapsed:.6f}"]
            row.append(repr(float(fitness[record.arch])) if record.ok else "")
            if accuracy is not None:
                own = accuracy(record.index) if record.index is not None else math.nan
                row += [own, accuracy(best.index) if best is not None else ""]
            writer.writerow(row)
    return path


def curve_plot(
    path: Path, curves: dict[str, np.ndarray], title: str, ylabel: str, optimum: float | None
) -> Path:
    """Mean ± std band of best-so-far curves (runs × evaluations) per label."""
    with _figure(path, (6, 4)) as ax:
        for label, runs in curves.items():
            x = np.arange(1, runs.shape[1] + 1)
            with np.errstate(invalid="ignore"):
                mean, std = np.nanmean(runs, axis=0), np.nanstd(runs, axis=0)
            ax.plot(x, mean, label=label)
            ax.fill_between(x, mean - std, mean + std, alpha=0.2)
        if optimum is not None:
            ax.axhline(optimum, color="grey", linestyle=":", label=f"optimum {optimum:.2f}")
        ax.set_xscale("log")
        ax.set_xlabel("evaluations")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
    return path


def penalty_plot(path: Path, target_kparams: float = 200.0, width_kparams: float = 400.0) -> Path:
    """The three size-penalty profiles p(x) of seed 002 (GDF, HSDF, RDF) for one target."""
    x = np.linspace(0.0, target_kparams + 4 * width_kparams, 500)
    with _figure(path, (6, 3.5)) as ax:
        for kind in PENALTIES:
            ax.plot(x, SizePenalty(kind, target_kparams, width_kparams)(x), label=kind.upper())
        ax.axvline(
            target_kparams, color="grey", linestyle=":", label=f"target {target_kparams:g}k params"
        )
        ax.set_xlabel("network size x (thousands of parameters)")
        ax.set_ylabel("penalty p(x)")
        ax.set_title(f"Size penalties, width s = {width_kparams:g}k params", fontsize=9)
        ax.legend(fontsize=8)
    return path
