"""The reference sample of a space: seeded random architectures behind z-score parts
(NINASWOT) and the ``zscore`` fitness, and the (μ, σ) of each column over it."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from zeronas.spaces.base import SearchSpace

__all__ = ["reference_archs", "reference_stats"]


def reference_archs(space: SearchSpace, count: int, seed: int) -> list[Hashable]:
    """``count`` random architectures of ``space``, seeded from ``seed`` (the z-score
    reference sample of NINASWOT and of the ``zscore`` fitness)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return [space.sample(rng) for _ in range(count)]


def reference_stats(values: np.ndarray) -> np.ndarray:
    """Per column (μ, σ) over the finite values; σ = 1 where it would be 0 or undefined."""
    out = np.empty((values.shape[1], 2))
    for j, column in enumerate(values.T):
        finite = column[np.isfinite(column)]
        mu = float(finite.mean()) if finite.size else 0.0
        sigma = float(finite.std()) if finite.size > 1 else 0.0
        out[j] = (mu, sigma if sigma > 0 else 1.0)
    return out
