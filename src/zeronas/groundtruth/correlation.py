"""Rank correlation of proxies with ground-truth accuracy (Kendall τ, Spearman ρ, scipy)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from zeronas.errors import ParameterError
from zeronas.execution.base import Executor
from zeronas.fitness.combiners import Fitness
from zeronas.groundtruth.accuracy import GroundTruth
from zeronas.groundtruth.ranking import ranking_metrics
from zeronas.proxies import PROXY_SETS, Proxy, ProxySet, parse_proxy_list, sets_in
from zeronas.scoring.cached import CachedScorer
from zeronas.scoring.records import ArchScores
from zeronas.scoring.scorer import Scorer

__all__ = [
    "CorrelationRow",
    "CorrelationResult",
    "correlation_rows",
    "correlate",
    "failed_last",
    "sample_indices",
    "set_scores",
    "tau_rho",
]


@dataclass(frozen=True)
class CorrelationRow:
    """τ and ρ over the cells whose value is finite; ``excluded`` counts the others
    (−inf NASWOT, failures). ``kendall_tau_all`` and ``spearman_rho_all`` are over every cell,
    the excluded ones ranked last and tied (:func:`failed_last`), as a search ranks them;
    they equal τ and ρ when nothing is excluded. The picking metrics
    (:mod:`zeronas.groundtruth.ranking`) are over all cells, non-finite values ranked last:
    accuracy of the top-1 and mean of the top-10 cells, recall of the true top 1 % in the
    proxy's top 1 %, nDCG@100."""

    proxy: str
    higher_is_better: bool
    n: int
    excluded: int
    kendall_tau: float
    spearman_rho: float
    seconds_per_cell: float
    top1: float = math.nan
    top10: float = math.nan
    recall_1pct: float = math.nan
    ndcg100: float = math.nan
    kendall_tau_all: float = math.nan
    spearman_rho_all: float = math.nan

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class CorrelationResult:
    rows: list[CorrelationRow]
    records: list[ArchScores]
    accuracies: list[float]

    def values(self, name: str) -> list[float]:
        """Per cell the value of proxy ``name``, or the combined score of proxy set ``name``."""
        if name in PROXY_SETS and all(name not in r.values for r in self.records):
            return [float(v) for v in set_scores(self.records, PROXY_SETS.get(name))]
        return [r.value(name) for r in self.records]


def set_scores(records: Sequence[ArchScores], proxy_set: ProxySet) -> np.ndarray:
    """The set's combiner over ``records`` (the set being compared): one score per record."""
    members = tuple(parse_proxy_list(list(proxy_set.members)))
    fitness = Fitness(members, proxy_set.combine)
    return fitness([{m.name: r.value(m.name) for m in members} for r in records])


def failed_last(values: ArrayLike, higher_is_better: bool = True) -> np.ndarray:
    """``values`` oriented so that higher is better, every non-finite one (a failure, a −inf
    NASWOT) replaced by one value below all finite ones: failed cells rank last, tied."""
    v = np.asarray(values, dtype=float)
    v = v if higher_is_better else -v
    finite = np.isfinite(v)
    if not finite.any():
        return np.full(len(v), math.nan)
    return np.where(finite, v, v[finite].min() - 1.0)


def tau_rho(values: np.ndarray, acc: np.ndarray) -> tuple[float, float, int]:
    """Kendall τ, Spearman ρ (scipy) and the count over the cells where both are finite."""
    keep = np.isfinite(values) & np.isfinite(acc)
    n = int(keep.sum())
    if n < 2 or np.ptp(values[keep]) == 0:
        return math.nan, math.nan, n
    from scipy import stats  # lazily, as in zeronas.fitness

    tau = float(stats.kendalltau(values[keep], acc[keep]).statistic)
    return tau, float(stats.spearmanr(values[keep], acc[keep]).statistic), n


def _row(
    name: str, higher: bool, values: np.ndarray, acc: np.ndarray, seconds: float
) -> CorrelationRow:
    tau, rho, n = tau_rho(values, acc)
    tau_all, rho_all = tau, rho  # the same cells unless some value failed
    if not np.isfinite(values).all():
        ranked = failed_last(values, higher)  # oriented: back to the proxy's sign, as τ, ρ
        tau_all, rho_all, _ = tau_rho(ranked if higher else -ranked, acc)
    known = np.isfinite(acc)
    top = ranking_metrics(values[known], acc[known], higher)
    return CorrelationRow(
        name, higher, n, len(values) - n, tau, rho, seconds,
        top.top1, top.top10, top.recall_1pct, top.ndcg100, tau_all, rho_all,
    )  # fmt: skip


def correlation_rows(
    records: Sequence[ArchScores], accuracies: Sequence[float], proxies: Sequence[Proxy]
) -> list[CorrelationRow]:
    """One row per proxy, then one per proxy set all of whose members are among ``proxies``
    (the set's combiner over all the records; its seconds are its members' sum)."""
    acc = np.asarray(accuracies, dtype=float)

    def seconds(name: str) -> float:
        return float(np.mean([r.values[name].seconds for r in records])) if records else 0.0

    rows = [
        _row(p.name, p.higher_is_better, np.array([r.value(p.name) for r in records], dtype=float),
             acc, seconds(p.name))
        for p in proxies
    ]  # fmt: skip
    for proxy_set in sets_in([p.name for p in proxies]):
        total = sum(seconds(m) for m in proxy_set.members)
        rows.append(_row(proxy_set.name, True, set_scores(records, proxy_set), acc, total))
    return rows


def sample_indices(size: int, sample: int | None, seed: int) -> list[int]:
    """``sample`` distinct indices of a space of ``size`` (all when None)."""
    if sample is not None and not 2 <= sample <= size:
        raise ParameterError(
            "sample", "correlate", f"an integer in [2, {size}] (or 0 / None: all {size})", sample
        )
    if sample is None or sample == size:
        return list(range(size))
    rng = np.random.default_rng(seed)
    return [int(i) for i in rng.choice(size, size=sample, replace=False)]


def correlate(
    scorer: Scorer | CachedScorer,
    truth: GroundTruth,
    indices: Sequence[int],
    on_result: Callable[[ArchScores], None] | None = None,
    executor: Executor | None = None,
) -> CorrelationResult:
    """Score the cells at ``indices`` (on ``executor`` if given) and correlate every proxy
    with their accuracy."""
    space, dataset = scorer.space, scorer.dataset.name
    accuracies = [truth.accuracy(i, dataset) for i in indices]  # fail early on a bad table
    slots: list[ArchScores | None] = [None] * len(indices)
    for position, record in scorer.score_many([space.arch(i) for i in indices], executor):
        slots[position] = record
        if on_result is not None:
            on_result(record)
    records = [r for r in slots if r is not None]
    return CorrelationResult(
        correlation_rows(records, accuracies, scorer.proxies), records, accuracies
    )
