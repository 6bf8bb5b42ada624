"""Size penalties (Fernandes, §4; ``PENALTIES``), on x = the network size in
the seed's "kB", i.e. thousands of parameters (``target_kparams``), as the seed reads NATS-
Bench's ``params`` (millions, labelled "MB") -- with target μ and width s: p(x) = 1 for x ≤
μ, and above it ``gdf`` exp(−(x − μ)² / 2s²), ``hsdf`` sech(π (x − μ) / 2s), ``rdf`` (u / s)
exp(½ − u² / 2s²) with u = x − μ + s (a Rayleigh scaled to peak 1 with its mode at μ). A
positive fitness f becomes f·p(x) (the seed's product); a fitness ≤ 0 (z-scores, log-ranks)
becomes f + ln p(x), the same penalty on a log scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zeronas.errors import ParameterError

__all__ = ["PENALTIES", "SizePenalty"]


def _gdf(d: np.ndarray, s: float) -> np.ndarray:
    return np.exp(-(d**2) / (2 * s**2))


def _hsdf(d: np.ndarray, s: float) -> np.ndarray:
    return 1.0 / np.cosh(np.pi * d / (2 * s))


def _rdf(d: np.ndarray, s: float) -> np.ndarray:
    u = d + s
    return (u / s) * np.exp(0.5 - u**2 / (2 * s**2))


PENALTIES: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "gdf": _gdf,
    "hsdf": _hsdf,
    "rdf": _rdf,
}


@dataclass(frozen=True)
class SizePenalty:
    """p(x) of Fernandes on x = size in thousands of parameters (the seed's "kB"): ``kind`` one
    of :data:`PENALTIES`, target μ = ``target_kparams``, width s = ``width_kparams`` (the
    seed's μ = 0.2, σ² = 0.4 read as s = 0.4 M parameters)."""

    kind: str = "gdf"
    target_kparams: float = 200.0
    width_kparams: float = 400.0

    def __post_init__(self) -> None:
        if self.kind not in PENALTIES:
            raise ParameterError("penalty", "SizePenalty", f"one of {', '.join(PENALTIES)}",
                                 self.kind)  # fmt: skip
        for name in ("target_kparams", "width_kparams"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(name, "SizePenalty", "a positive number", value)

    def __call__(self, kparams: np.ndarray | float) -> np.ndarray:
        x = np.asarray(kparams, dtype=float)
        with np.errstate(over="ignore"):
            above = PENALTIES[self.kind](
                np.maximum(x - self.target_kparams, 0.0), self.width_kparams
            )
        return np.where(x <= self.target_kparams, 1.0, above)

    def apply(self, fitness: np.ndarray, params_m: np.ndarray) -> np.ndarray:
        """Penalised fitness of networks of ``params_m`` million parameters."""
        p = self(np.asarray(params_m, dtype=float) * 1000.0)
        with np.errstate(divide="ignore"):
            return np.where(fitness > 0, fitness * p, fitness + np.log(p))

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "target_kparams": self.target_kparams,
            "width_kparams": self.width_kparams,
        }
