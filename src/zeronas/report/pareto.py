"""What a multi-objective search writes: ``pareto.csv`` (the front: every
objective, proxy values and, with ground truth, accuracy), ``pareto.png`` (fitness against
the first cost over every evaluated candidate; with ground truth, beside it accuracy against
that cost: the whole space, its true front and where the found front lands) and
hypervolumes.

``hypervolume``: of the found front over the evaluated candidates, each objective scaled to
[0, 1] over them (fitness over the whole history, negated), reference point 1 in each: the
share of that box the front dominates. ``hypervolume_fraction`` (with ground truth and costs
known for the whole space without measuring: a table's latency, or a space's formula for
parameters and MACs): the hypervolume of the found front's members at their true accuracy
in (−accuracy, costs), divided by the true front's, both with the reference point (the
space's median accuracy, the true front's largest costs): the fraction measures the region
of trade-offs better than a typical cell, not the space's many poor (e.g. chance-level,
near-zero-latency) cells, which would otherwise make every front score close to 1.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from zeronas.hardware.costs import COSTS, CostModel
from zeronas.report.plots import figure
from zeronas.search.pareto import hypervolume, nondominated
from zeronas.search.result import Evaluation, SearchResult, objective_matrix

__all__ = ["space_costs", "pareto_files", "write_pareto_csv"]

#: costs known for a whole finite space without measuring anything
_COMPUTABLE = {"params", "macs", "flops", "size_kib", "latency_ms"}


def write_pareto_csv(
    path: Path, result: SearchResult, accuracy: Callable[[int], float] | None
) -> Path:
    fitness = result.history_fitness()
    names = result.fitness.names
    header = ["step", "index", "arch", "fitness", *result.objectives, *names]
    header += ["accuracy"] if accuracy is not None else []
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record in result.pareto():
            row: list[object] = [record.step, record.index, record.arch, fitness[record.arch]]
            row += [record.costs[c] for c in result.objectives]
            row += [repr(record.values.get(n, math.nan)) for n in names]
            if accuracy is not None:
                row.append(accuracy(record.index) if record.index is not None else "")
            writer.writerow(row)
    return path


def space_costs(model: CostModel, costs: tuple[str, ...], size: int | None) -> np.ndarray | None:
    """Every cost of every index of a finite space (rows in index order), or None when one
    would need measuring (measured latency, peak memory) or the space is not finite."""
    if size is None or not set(costs) <= _COMPUTABLE:
        return None
    if "latency_ms" in costs and model.table is None:
        return None
    if {"params", "macs", "flops", "size_kib"} & set(costs) and not hasattr(model.space, "costs"):
        return None
    rows = [model(model.space.arch(i), costs) for i in range(size)]
    return np.array([[row[c] for c in costs] for row in rows], dtype=float)


def _scaled_hypervolume(points: np.ndarray, front: np.ndarray) -> float:
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return hypervolume((front - low) / span, np.ones(points.shape[1]))


def pareto_files(
    out_dir: Path,
    result: SearchResult,
    accuracy: Callable[[int], float] | None,
    space_size: int | None,
) -> dict[str, Any]:
    """Write pareto.csv and pareto.png into ``out_dir``; the summary for run.json (with
    ``accuracy`` and a finite space of ``space_size`` cells: the true front's fraction)."""
    costs = result.objectives
    scored, front = result.scored, result.pareto()
    summary: dict[str, Any] = {"objectives": ["fitness", *costs], "size": len(front)}
    if not scored:
        return summary
    points = objective_matrix(result.fitness, scored, costs)
    ok = np.isfinite(points).all(axis=1)
    mask = nondominated(points)
    summary["hypervolume"] = _scaled_hypervolume(points[ok], points[mask])
    truth = None
    if accuracy is not None and result.cost_model is not None:
        everything = space_costs(result.cost_model, costs, space_size)
        if everything is not None:
            acc = np.array([accuracy(i) for i in range(space_size)], dtype=float)  # type: ignore[arg-type]
            truth = np.column_stack([-acc, everything])
            true_front = truth[nondominated(truth)]
            reference = true_front.max(axis=0)  # the front's largest costs, and
            reference[0] = -np.median(acc)  # the space's median accuracy
            found = np.array([[-accuracy(e.index), *(e.costs[c] for c in costs)] for e in front])
            summary["hypervolume_fraction"] = hypervolume(found, reference) / hypervolume(
                true_front, reference
            )
            summary["true_front_size"] = int(len(true_front))
    files = [write_pareto_csv(out_dir / "pareto.csv", result, accuracy)]
    files.append(_plot(out_dir / "pareto.png", result, scored, points, mask, truth, accuracy))
    summary["files"] = [str(f) for f in files]
    return summary


def _plot(
    path: Path,
    result: SearchResult,
    scored: list[Evaluation],
    points: np.ndarray,
    mask: np.ndarray,
    truth: np.ndarray | None,
    accuracy: Callable[[int], float] | None,
) -> Path:
    cost = result.objectives[0]
    label = f"{cost} ({COSTS[cost]})"
    panels = 2 if truth is not None else 1
    with figure(path, (5.2 * panels, 4), ncols=panels) as axes:
        axes = np.atleast_1d(axes)
        ax = axes[0]
        ax.scatter(points[:, 1], -points[:, 0], s=6, c="0.7", label="evaluated")
        order = np.argsort(points[mask, 1])
        ax.step(points[mask, 1][order], -points[mask, 0][order], where="post", c="C3",
                marker="o", ms=3, label="front (all objectives)")  # fmt: skip
        ax.set_xlabel(label)
        ax.set_ylabel(f"fitness ({result.fitness.combine}, over the history)")
        ax.set_title(f"{result.algorithm}: {len(scored)} candidates", fontsize=9)
        ax.legend(fontsize=7)
        if truth is not None and accuracy is not None:
            ax = axes[1]
            ax.scatter(truth[:, 1], -truth[:, 0], s=2, c="0.8", label="whole space")
            best = truth[nondominated(truth[:, :2])]
            order = np.argsort(best[:, 1])
            ax.step(best[order, 1], -best[order, 0], where="post", c="k", lw=1,
                    label="true front")  # fmt: skip
            front = [scored[i] for i in np.flatnonzero(mask)]
            ax.scatter([e.costs[cost] for e in front], [accuracy(e.index) for e in front],
                       s=14, c="C3", label="found front, true accuracy")  # fmt: skip
            ax.set_xlabel(label)
            ax.set_ylabel("accuracy (ground truth)")
            ax.legend(fontsize=7)
    return path
