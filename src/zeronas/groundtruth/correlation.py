"""Rank correlation of proxies with ground-truth accuracy (Kendall τ, Spearman ρ, scipy)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from zeronas.errors import ParameterError
from zeronas.executors import Executor
from zeronas.groundtruth.accuracy import GroundTruth
from zeronas.scoring import ArchScores, CachedScorer, Scorer

__all__ = ["CorrelationRow", "CorrelationResult", "correlation_rows", "correlate", "sample_indices"]


@dataclass(frozen=True)
class CorrelationRow:
    """τ and ρ over the cells whose value is finite; ``excluded`` counts the others
    (−inf NASWOT, failures)."""

    proxy: str
    higher_is_better: bool
    n: int
    excluded: int
    kendall_tau: float
    spearman_rho: float
    seconds_per_cell: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class CorrelationResult:
    rows: list[CorrelationRow]
    records: list[ArchScores]
    accuracies: list[float]


def correlation_rows(
    records: Sequence[ArchScores], accuracies: Sequence[float], proxies: Sequence
) -> list[CorrelationRow]:
    acc = np.asarray(accuracies, dtype=float)
    rows = []
    for proxy in proxies:
        values = np.array([r.value(proxy.name) for r in records], dtype=float)
        finite = np.isfinite(values) & np.isfinite(acc)
        n = int(finite.sum())
        tau = rho = math.nan
        if n >= 2 and np.ptp(values[finite]) > 0:
            tau = float(stats.kendalltau(values[finite], acc[finite]).statistic)
            rho = float(stats.spearmanr(values[finite], acc[finite]).statistic)
        seconds = float(np.mean([r.values[proxy.name].seconds for r in records])) if records else 0
        rows.append(
            CorrelationRow(
                proxy.name, proxy.higher_is_better, n, len(values) - n, tau, rho, seconds
            )
        )
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
