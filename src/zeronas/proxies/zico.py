"""ZiCo: Li, Fan, Chen & Grama, "ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on
Gradients", ICLR 2023 (arXiv:2301.11300); ZiCo ``ZeroShotProxy/compute_zico.py``.

The run's labelled batch is split into ``splits`` equal parts (default 2: a batch of
128 gives the 2 x 64 of the AZ-NAS NB201 port). For every ``nn.Conv2d`` / ``nn.Linear``
weight w, g_b = ∂L_b/∂w on mini-batch b (train-mode BN over that mini-batch), m_w = mean_b
|g_b| and s_w = std_b g_b (population std of the signed gradients). Then

.. math::

    \\text{ZiCo} = \\sum_l \\ln \\sum_{w \\in l,\\ s_w \\neq 0} \\frac{m_w}{s_w}

Weights with s_w = 0 are dropped; a layer whose remaining sum is 0, or that is on no path to
the loss, contributes nothing (the reference would give −inf or crash). With B = 2,
m/s = (|g₁| + |g₂|) / |g₁ − g₂|. Uses labels; the reference draws two fresh batches per
architecture, zeronas splits the run's one fixed batch.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional

from zeronas.params import at_least
from zeronas.proxies.base import proxy
from zeronas.proxies.foresight import scored_weights

__all__ = ["zico"]


@proxy(
    "zico", needs_data=True, needs_labels=True, reads="own", renamed_options={"batches": "splits"},
    checks={"splits": at_least(2)},
)  # fmt: skip
def zico(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *, splits: int = 2
) -> float:
    """Σ_l ln Σ_w mean_b|g| / std_b(g) over mini-batch gradients (ZiCo, Li et al. 2023)."""
    if y is None:
        raise ValueError("zico needs the batch's labels: it has none")
    if not 2 <= splits <= len(x):
        raise ValueError(f"zico needs 2 <= splits <= batch size {len(x)}, got {splits}")
    weights = scored_weights(net)
    chunks = torch.tensor_split(torch.arange(len(x)), splits)
    per_batch: list[tuple[torch.Tensor | None, ...]] = []
    was_training = net.training
    net.train()
    try:
        with torch.enable_grad():
            for rows in chunks:
                loss = functional.cross_entropy(net(x[rows]), y[rows].to(x.device))
                per_batch.append(
                    torch.autograd.grad(loss, list(weights.values()), allow_unused=True)
                )
    finally:
        net.train(was_training)
    total = 0.0
    for layer in zip(*per_batch, strict=True):
        if any(g is None for g in layer):
            continue  # not on a path to the loss
        stacked = torch.stack([g.double() for g in layer])  # type: ignore[union-attr]
        mean, std = stacked.abs().mean(0), stacked.std(0, correction=0)
        kept = std != 0
        ratio = float((mean[kept] / std[kept]).sum())
        if ratio > 0:
            total += math.log(ratio)
    return total
