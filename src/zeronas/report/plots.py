"""Plots of results (matplotlib, Agg backend): proxy against accuracy, search curves, size
penalties, and the one figure set-up every plot shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from zeronas.fitness.penalties import PENALTIES, SizePenalty

__all__ = ["curve_plot", "figure", "penalty_plot", "scatter_plot"]


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
    with figure(path, (5, 4)) as ax:
        ax.scatter(x[keep], y[keep], s=6, alpha=0.5)
        ax.set_xlabel(proxy)
        ax.set_ylabel(acc_label)
        ax.set_title(title, fontsize=9)
    return path


@contextmanager
def figure(path: Path, size: tuple[float, float], ncols: int = 1) -> Iterator[Any]:
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


def curve_plot(
    path: Path, curves: dict[str, np.ndarray], title: str, ylabel: str, optimum: float | None
) -> Path:
    """Mean ± std band of best-so-far curves (runs × evaluations) per label."""
    with figure(path, (6, 4)) as ax:
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
    """The three size-penalty profiles p(x) of Fernandes (GDF, HSDF, RDF) for one target."""
    x = np.linspace(0.0, target_kparams + 4 * width_kparams, 500)
    with figure(path, (6, 3.5)) as ax:
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
