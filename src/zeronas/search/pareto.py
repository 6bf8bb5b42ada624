"""Pareto fronts of a multi-objective search: the proxy fitness (maximised, over
the set being compared) against hardware costs (minimised, :mod:`zeronas.hardware.costs`).

Every function takes a minimisation matrix, one row per point and one column per objective.
Non-dominated sorting and the hypervolume come from ``moocore`` (López-Ibáñez et al.); the
crowding distance is NSGA-II's (Deb, Pratap, Agarwal & Meyarivan, IEEE TEVC 2002): per
objective, the gap between a point's two neighbours in that objective's order, divided by the
objective's range, summed; the two extremes of each objective get +inf.
"""

from __future__ import annotations

from collections.abc import Sequence

import moocore
import numpy as np

__all__ = [
    "crowding_distance",
    "hypervolume",
    "nondominated",
    "pareto_ranks",
]


def _points(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2:
        raise ValueError(f"points must be a 2-D array (points x objectives), got {points.shape}")
    return points


def nondominated(points: np.ndarray) -> np.ndarray:
    """Mask of the points no other point dominates (≤ in every objective, < in one);
    duplicates of a non-dominated point are all kept. A row with a non-finite value is
    dominated by any finite row."""
    points = _points(points)
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    ok = np.isfinite(points).all(axis=1)
    mask = np.zeros(len(points), dtype=bool)
    if ok.any():
        mask[ok] = moocore.is_nondominated(points[ok], keep_weakly=True)
    return mask


def pareto_ranks(points: np.ndarray) -> np.ndarray:
    """0 for the first front, 1 for the front once it is removed, ...; rows with a
    non-finite value come after every finite front."""
    points = _points(points)
    ranks = np.zeros(len(points), dtype=int)
    ok = np.isfinite(points).all(axis=1)
    if ok.any():
        ranks[ok] = moocore.pareto_rank(points[ok])
        ranks[~ok] = ranks[ok].max() + 1
    return ranks


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each point within ``points`` (one front)."""
    points = _points(points)
    n, k = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(points[:, j], kind="stable")
        column = points[order, j]
        span = column[-1] - column[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0 and np.isfinite(span):
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance


def hypervolume(points: np.ndarray, reference: Sequence[float]) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (a point every
    counted point must dominate; others add nothing)."""
    points = _points(points)
    reference = np.asarray(reference, dtype=float)
    keep = np.isfinite(points).all(axis=1) & (points < reference).all(axis=1)
    if not keep.any():
        return 0.0
    return float(moocore.hypervolume(points[keep], ref=reference))
