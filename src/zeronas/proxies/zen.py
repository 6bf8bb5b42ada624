"""Zen-score: Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition",
ICCV 2021 (arXiv:2102.01063); ZenNAS ``ZeroShotProxy/compute_zen_score.py`` and its NB201
port in AZ-NAS.

Per repeat, with weights redrawn N(0, 1) (BN γ = 1, β = 0, fresh running statistics), x and
ε ~ N(0, 1) of shape B x C x R x R and f the final feature map before global pooling (on
NB201: stem → cells → BN-ReLU), both through train-mode no-grad forwards:

.. math::

    \\text{Zen} = \\ln \\operatorname{mean}_b \\sum_{chw} |f(x) - f(x + \\gamma\\varepsilon)|
      + \\sum_{\\text{BN}} \\ln \\sqrt{\\operatorname{mean}_c \\text{running\\_var}_c}

with γ = 10⁻². As the reference code does, the correction reads each BN's *running* variance
after the two forwards (momentum 0.1 from 1: 0.81 + 0.09 v₁ + 0.1 v₂), not the batch
variance of the paper. Defaults follow the NB201 port (64 images, 1 repeat, residuals kept);
the standalone tool used 32 repeats of 16 images. Label-free and image-free: the run's batch
gives only the image size; the weights and input are Zen's own, drawn from ``seed``, so the
value does not depend on ``--init``. A disconnected cell gives Δ = 0, so −inf.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.models.init import preserved, redraw
from zeronas.params import at_least, positive
from zeronas.proxies._protocol import gaussian_input, pre_pool_module, repeat_seed
from zeronas.proxies.base import proxy

__all__ = ["zen"]


def _pre_pool_features(net: nn.Module, pool: nn.Module, x: torch.Tensor) -> torch.Tensor:
    kept: list[torch.Tensor] = []
    handle = pool.register_forward_pre_hook(lambda _m, args: kept.append(args[0].double()))
    try:
        net(x)
    finally:
        handle.remove()
    return kept[-1]


@proxy(
    "zen", init_dependent=False, version=2, reads="own", images="own `images` N(0,1)",
    renamed_options={"batch": "images"},
    checks={"images": at_least(1), "repeats": at_least(1), "gamma": positive(),
            "seed": at_least(0)},
)  # fmt: skip
def zen(
    net: nn.Module,
    x: torch.Tensor,
    *,
    images: int = 64,
    repeats: int = 1,
    gamma: float = 1e-2,
    seed: int = 0,
) -> float:
    """ln mean_b Σ|f(x) − f(x + γε)| + Σ_BN ln √mean(running_var), N(0,1) weights (Zen-NAS)."""
    if repeats < 1:
        raise ValueError(f"zen needs repeats >= 1, got {repeats}")
    pool = pre_pool_module(net)
    values = []
    with preserved(net), torch.no_grad():
        net.train()
        for repeat in range(repeats):
            draw = repeat_seed(seed, repeat)
            inputs = gaussian_input(x, images, 2 * draw)
            noise = gaussian_input(x, images, 2 * draw + 1)
            redraw(net, "normal", draw)
            clean = _pre_pool_features(net, pool, inputs)
            mixed = _pre_pool_features(net, pool, inputs + gamma * noise)
            delta = float((clean - mixed).abs().sum(dim=(1, 2, 3)).mean())
            correction = sum(
                0.5 * math.log(float(m.running_var.double().mean()))
                for m in net.modules()
                if isinstance(m, _BatchNorm) and m.running_var is not None
            )
            values.append((math.log(delta) if delta > 0 else -math.inf) + correction)
    return float(sum(values) / len(values))
