"""Combiners: one fitness per candidate from several raw proxy values.

The store and the search history keep raw proxy values; fitness is computed on demand over
*the set being compared* (a tournament sample, a population, the whole history), because
``norm-sum`` and ``rank`` depend on that set. Every combiner handles each proxy's direction:
a lower-is-better proxy enters reversed. A candidate with a missing or failed value (NaN)
gets fitness -inf: it is never chosen over a candidate with values. So does one with an
infinite value (NASWOT's -inf for a singular kernel, SynFlow's ln 0) under ``norm-sum`` and
``zscore``; the rank combiners instead rank an infinite value as the worst (−inf) or best
(+inf) of the set, ties shared, as AZ-NAS does with its −inf trainability.

Combiners (``COMBINERS``):

``norm-sum``  FreeREA (Cavagnero et al. 2022): Σ_j w_j v_j / (max|v_j| + 1e-9), the max over the
              set's finite values; a lower-is-better proxy enters as 1 − v_j / (max|v_j| + 1e-9).
``zscore``    Σ_j w_j s_j (v_j − μ_j) / σ_j, μ_j and σ_j from a *reference* sample of random
              architectures (finite values only), s_j = −1 for lower-is-better proxies. Without a
              reference the compared set itself is used.
``rank``      Σ_j w_j r_j / m: r_j the rank (1 = worst, m = best, ties averaged) within the set
              of m candidates.
``logrank``   Σ_j w_j ln(r_j / m), AZ-NAS's aggregation (Lee & Ham 2024).
``rrf``       reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009): Σ_j w_j / (60 + t_j),
              t_j = m + 1 − r_j the place from the top (1 = best); top places weigh most.

Size penalties are in :mod:`zeronas.fitness.penalties`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from zeronas.errors import ParameterError, ZeroNASError
from zeronas.fitness.penalties import SizePenalty
from zeronas.proxies.base import Proxy
from zeronas.registry import Registry
from zeronas.scoring.reference import reference_stats

__all__ = [
    "COMBINERS",
    "Fitness",
    "parse_weights",
]

#: (values n×k, higher_is_better k, weights k, reference k×2 or None) -> fitness n
Combiner = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]
COMBINERS: Registry[Combiner] = Registry("fitness combiner")
_EPS = 1e-9


@COMBINERS.register("norm-sum")
def _norm_sum(values: np.ndarray, higher: np.ndarray, weights: np.ndarray, _ref: object):
    masked = np.where(np.isfinite(values), np.abs(values), 0.0)
    scaled = values / (masked.max(axis=0) + _EPS)
    scaled = np.where(higher, scaled, 1.0 - scaled)
    return scaled @ weights


@COMBINERS.register("zscore")
def _zscore(values: np.ndarray, higher: np.ndarray, weights: np.ndarray, ref: np.ndarray | None):
    stats_ = ref if ref is not None else reference_stats(values)
    z = (values - stats_[:, 0]) / stats_[:, 1]
    return np.where(higher, z, -z) @ weights


_RANKING = ("rank", "logrank", "rrf")
#: the constant of reciprocal-rank fusion (the paper's)
RRF_K = 60


def _ranks(values: np.ndarray, higher: np.ndarray) -> np.ndarray:
    oriented = np.where(higher, values, -values)
    oriented = np.where(np.isnan(oriented), -np.inf, oriented)
    from scipy import stats  # here, not at the top: scipy.stats adds a second to every start-up

    return stats.rankdata(oriented, axis=0) / len(values)


@COMBINERS.register("rank")
def _rank(values: np.ndarray, higher: np.ndarray, weights: np.ndarray, _ref: object):
    return _ranks(values, higher) @ weights


@COMBINERS.register("logrank")
def _logrank(values: np.ndarray, higher: np.ndarray, weights: np.ndarray, _ref: object):
    return np.log(_ranks(values, higher)) @ weights


@COMBINERS.register("rrf")
def _rrf(values: np.ndarray, higher: np.ndarray, weights: np.ndarray, _ref: object):
    from_top = len(values) * (1.0 - _ranks(values, higher)) + 1.0
    return (1.0 / (RRF_K + from_top)) @ weights


def parse_weights(
    text: str | Sequence[float] | None, proxies: Sequence[Proxy]
) -> tuple[float, ...]:
    """``"1,0.5"`` -> one finite weight per proxy, in order; ``None`` -> all ones."""
    if text is None or text == "":
        return (1.0,) * len(proxies)
    items = text.split(",") if isinstance(text, str) else list(text)
    try:
        weights = tuple(float(w) for w in items)
    except ValueError as exc:
        raise ParameterError("weights", "Fitness", "numbers, one per proxy", text) from exc
    if len(weights) != len(proxies) or not all(math.isfinite(w) for w in weights):
        names = ", ".join(p.name for p in proxies)
        raise ParameterError("weights", "Fitness", f"one finite number per proxy ({names})", text)
    if not any(weights):
        raise ParameterError(
            "weights", "Fitness", "numbers not all zero (every fitness would be 0)", text
        )
    return weights


@dataclass(frozen=True)
class Fitness:
    """How raw proxy values become one number: proxies (with their directions), a combiner,
    weights, for ``zscore`` the reference (μ, σ) per proxy, and an optional size penalty
    (which reads each row's ``params``)."""

    proxies: tuple[Proxy, ...]
    combine: str = "norm-sum"
    weights: tuple[float, ...] | None = None
    reference: tuple[tuple[float, float], ...] | None = None
    penalty: SizePenalty | None = None
    _fn: Combiner = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.proxies:
            raise ZeroNASError("fitness needs at least one proxy")
        object.__setattr__(self, "_fn", COMBINERS.get(self.combine))
        object.__setattr__(
            self, "combine", next(n for n in COMBINERS if COMBINERS.get(n) is self._fn)
        )
        object.__setattr__(self, "weights", parse_weights(self.weights, self.proxies))
        if self.reference is not None and len(self.reference) != len(self.proxies):
            raise ZeroNASError("fitness reference needs one (mean, std) pair per proxy")

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.proxies]

    def with_reference(self, rows: Sequence[Mapping[str, float]]) -> Fitness:
        """A copy whose z-scores use (μ, σ) of ``rows`` (dicts of raw proxy values)."""
        stats_ = reference_stats(self.matrix(rows))
        ref = tuple((float(m), float(s)) for m, s in stats_)
        return Fitness(self.proxies, self.combine, self.weights, ref, self.penalty)

    def matrix(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Raw values n×k in proxy order; a missing value is NaN."""
        return np.array(
            [[row.get(name, math.nan) for name in self.names] for row in rows], dtype=float
        ).reshape(len(rows), len(self.proxies))

    def __call__(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Fitness of each row, relative to the set ``rows``; -inf where a value is not finite."""
        values = self.matrix(rows)
        if len(values) == 0:
            return np.empty(0)
        higher = np.array([p.higher_is_better for p in self.proxies])
        ref = np.array(self.reference, dtype=float) if self.reference is not None else None
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out = np.asarray(self._fn(values, higher, np.array(self.weights), ref), dtype=float)
        if self.penalty is not None:
            out = self.penalty.apply(out, np.array([row.get("params", np.nan) for row in rows]))
        bad = np.isnan(values) if self.combine in _RANKING else ~np.isfinite(values)
        out[bad.any(axis=1)] = -np.inf
        out[~np.isfinite(out)] = -np.inf
        return out

    def describe(self) -> dict[str, object]:
        return {
            "proxies": self.names,
            "combine": self.combine,
            "weights": list(self.weights or ()),
            "reference": [list(r) for r in self.reference] if self.reference else None,
            "penalty": self.penalty.describe() if self.penalty else None,
        }
