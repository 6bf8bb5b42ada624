"""How well a proxy's ranking picks at the top, where a search picks (docs/metrics.md).

For n cells with proxy values v (oriented so that higher is better; NaN and −inf rank last)
and accuracies a:

``top1``         the accuracy of the best-scored cell;
``top10``        the mean accuracy of the 10 best-scored cells;
``recall_1pct``  with k = ⌈n / 100⌉, the share of the k most accurate cells found among the
                 k best-scored ones;
``ndcg100``      DCG@100 / IDCG@100, DCG = Σ_{i ≤ 100} g_i / log₂(i + 1) over the 100
                 best-scored cells, gain g = max(0, a − a₉₀) with a₉₀ the 90th percentile of
                 the cells' accuracies (only the true top 10 % counts); IDCG: the same sum in
                 the true order.

Ties are resolved in expectation over a random order, as a search breaking ties at random
would: a group of equal values straddling the cut-off contributes in proportion to the
places left, and each member of a group takes the group's mean position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RankingMetrics", "ranking_metrics", "top_weights"]


@dataclass(frozen=True)
class RankingMetrics:
    top1: float
    top10: float
    recall_1pct: float
    ndcg100: float


def _oriented(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    v = v if higher_is_better else -v
    return np.where(np.isnan(v), -np.inf, v)


def top_weights(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(w, position): w_i ∈ [0, 1] the expected membership of cell i in the k highest
    ``values`` under random tie-breaking (Σ w = k), and each cell's expected position
    (1-based, the mean position of its tie group)."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(-v, kind="stable")
    weights, position = np.zeros(len(v)), np.zeros(len(v))
    start = 0
    sorted_values = v[order]
    while start < len(v):
        stop = start + 1
        while stop < len(v) and sorted_values[stop] == sorted_values[start]:
            stop += 1
        group = order[start:stop]
        position[group] = (start + 1 + stop) / 2
        weights[group] = min(max(k - start, 0), stop - start) / (stop - start)
        start = stop
    return weights, position


def ranking_metrics(
    values: np.ndarray, accuracies: np.ndarray, higher_is_better: bool = True
) -> RankingMetrics:
    """The top-of-ranking metrics of ``values`` against ``accuracies`` (module docstring)."""
    acc = np.asarray(accuracies, dtype=float)
    v = _oriented(values, higher_is_better)
    n = len(acc)
    if n == 0:
        return RankingMetrics(math.nan, math.nan, math.nan, math.nan)
    w1, _ = top_weights(v, 1)
    w10, _ = top_weights(v, min(10, n))
    k = math.ceil(n / 100)
    proxy_top, _ = top_weights(v, k)
    true_top, _ = top_weights(acc, k)
    depth = min(100, n)
    w100, position = top_weights(v, depth)
    gain = np.maximum(0.0, acc - np.percentile(acc, 90))
    dcg = float(np.sum(w100 * gain / np.log2(position + 1)))
    ideal_w, ideal_position = top_weights(acc, depth)
    idcg = float(np.sum(ideal_w * gain / np.log2(ideal_position + 1)))
    return RankingMetrics(
        top1=float(w1 @ acc),
        top10=float(w10 @ acc / w10.sum()),
        recall_1pct=float(proxy_top @ true_top / k),
        ndcg100=dcg / idcg if idcg > 0 else math.nan,
    )
