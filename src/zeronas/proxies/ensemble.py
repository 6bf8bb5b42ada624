"""The ``ensemble`` proxy sets, chosen once on a tuning set and frozen here.

Chosen by ``python benchmarks/ensemble_tuning.py`` (its output: docs/ensemble-tuning.md)
among every subset of at most 5 of flops, the three AZ-NAS terms, meco, naswot,
logsynflow, jacob_cov and zico, under the ``logrank`` and ``rank`` combiners, on the tuning
set only: the 1,000 NATS-TSS cells sampled with seed 0, CIFAR-10, 200-epoch test accuracy.
The criterion was fixed before the search: maximise Spearman ρ + nDCG@100 (global agreement
plus the quality of the top 100, docs/metrics.md), preferring fewer members within 0.005.
Held-out numbers (all cells, the other datasets, NATS-SSS) come from other commands and do
not change this choice. No space-specific prior (``skip``, tuned SWAP μ/σ) is a candidate.

``ensemble``          flops, az_trainability, logsynflow, jacob_cov with ``logrank``
                      (tuning set: ρ .926, τ .756, top-1 94.11 %, nDCG@100 .679);
                      a search over it proposes with params (from the space's formula)
                      and re-ranks its 20 fittest with all four, as chosen on the same
                      tuning set by benchmarks/screen_tuning.py (docs/screen-tuning.md);
                      live CIFAR-10 searches (docs/search-defaults.md) pick REA, and K = 30
                      adds 0.06 points for 50 % more time, over the 60 s budget;
``ensemble_no_size``  the best choice without a size term: az_trainability, meco,
                      logsynflow, jacob_cov with ``logrank`` (ρ .928, nDCG@100 .612).
"""

from __future__ import annotations

from zeronas.proxies.lists import proxy_set

__all__ = ["ensemble", "ensemble_no_size"]

ensemble = proxy_set(
    "ensemble",
    ("flops", "az_trainability", "logsynflow", "jacob_cov"),
    "logrank",
    "zeronas' label-free ensemble, chosen on a tuning set (docs/ensemble-tuning.md): "
    "Σ ln(rank / N) of FLOPs, AZ-NAS trainability, LogSynflow and jacob_cov.",
    screen=("params",),
    rerank=20,
)

ensemble_no_size = proxy_set(
    "ensemble_no_size",
    ("az_trainability", "meco", "logsynflow", "jacob_cov"),
    "logrank",
    "The ensemble's best choice without a size term (docs/ensemble-tuning.md): Σ ln(rank / N) "
    "of AZ-NAS trainability, MeCo, LogSynflow and jacob_cov.",
)
