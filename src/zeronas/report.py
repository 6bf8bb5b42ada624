"""Result files: CSV of scores and scatter plots (matplotlib, Agg backend)."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zeronas.scoring import ArchScores

__all__ = ["write_scores_csv", "scatter_plot", "json_number"]


def json_number(value: float) -> float | str:
    """Finite floats stay numbers; ±inf and NaN become the strings "inf", "-inf", "nan"
    (strict JSON has no such numbers; ``float()`` reads the strings back)."""
    return value if math.isfinite(value) else str(value)


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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = np.asarray(values, dtype=float), np.asarray(accuracies, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=110)
    ax.scatter(x[keep], y[keep], s=6, alpha=0.5)
    ax.set_xlabel(proxy)
    ax.set_ylabel(acc_label)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
