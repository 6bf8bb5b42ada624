"""AZ-NAS: Lee & Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture Search",
CVPR 2024 (arXiv:2403.19232); AZ-NAS ``NB201/ZeroShotProxy/compute_az_nas_score.py`` and
``NB201/tss_general.ipynb``.

One ``az`` pass per architecture: weights Kaiming-normal fan_in (BN γ = 1, β = 0), input
N(0, 1) of 64 images at the run's image size, one train-mode forward keeping the feature
maps f_0 (the stem's output) … f_L (each cell's or block's output; 18 maps on NB201).

- Expressivity: per map, X = the B·H·W x C centred features, Σ = XᵀX / N, p = eig(Σ) / Σ eig,
  E_l = −Σ p ln(p + 10⁻⁸);  ``az_expressivity`` = Σ_l E_l.
- Progressivity: ``az_progressivity`` = min_l (E_{l+1} − E_l).
- Trainability: for each block, from the last to the first, a Rademacher cotangent g_out of
  f_l's shape is pulled back to g_in = (∂f_l/∂f_{l−1})ᵀ g_out (pixel-unshuffled by the
  stride when the block downsamples); with σ the largest singular value of
  M = g_inᵀ g_out / (B·H·W), the block scores −σ − 1/(σ + 10⁻⁶) + 2 (0 at σ = 1: the
  block preserves gradient norms); an identity block (g_in = g_out) scores −inf;
  ``az_trainability`` = the mean over blocks.
- Complexity: FLOPs (the ``flops`` proxy; the reference reads the benchmark's FLOPs).

NaN becomes −inf, as in the reference. The aggregate AZ-NAS score, Σ ln(rank / N) of FLOPs,
E, P and T over the set being compared, is the proxy set ``az_nas`` (``--proxies az_nas``,
combined with ``logrank``). The pass draws its own weights and input from seed 0, as the
reference draws them per architecture, so the values do not depend on ``--init`` or the
batch's images (only its size). Label-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from zeronas.models.init import reinitialised
from zeronas.proxies._protocol import block_modules, gaussian_input, layout_of
from zeronas.proxies.base import proxy
from zeronas.proxies.lists import proxy_set
from zeronas.proxies.passes import computed_pass

__all__ = ["AZPass", "az_pass", "az_expressivity", "az_progressivity", "az_trainability"]

BATCH = 64
AZ_IMAGES = f"own {BATCH} N(0,1)"
SEED = 0


@dataclass(frozen=True)
class AZPass:
    """Per feature map its expressivity E_l; per block its trainability score."""

    expressivity: tuple[float, ...]
    trainability: tuple[float, ...]


def map_expressivity(feature: torch.Tensor) -> float:
    """−Σ p ln(p + 1e-8), p the normalised eigenvalues of the channel covariance of a
    B x C x H x W map over its B·H·W positions."""
    x = feature.detach().permute(0, 2, 3, 1).reshape(-1, feature.shape[1])
    x = x - x.mean(dim=0, keepdim=True)
    eig = torch.linalg.eigvalsh(x.T @ x / x.shape[0])
    p = eig / eig.sum()
    return float((-p * torch.log(p + 1e-8)).sum())


def block_trainability(
    f_in: torch.Tensor, f_out: torch.Tensor, generator: torch.Generator
) -> float:
    """−σ − 1/(σ + 1e-6) + 2 for the block f_in -> f_out (σ: the largest singular value of the
    cotangent map), −inf for an identity block; frees the block's graph."""
    signs = torch.randint(0, 2, f_out.shape, generator=generator, dtype=torch.int8)
    # In f_out's layout: a channels-last backward fed a contiguous cotangent is slow.
    g_out = (
        (signs.to(f_out.dtype) * 2 - 1).to(f_out.device).contiguous(memory_format=layout_of(f_out))
    )
    g_in = None
    if f_out.requires_grad:
        (g_in,) = torch.autograd.grad(f_out, f_in, g_out, allow_unused=True)
    if g_in is None:  # the block's output does not depend on its input
        g_in = torch.zeros_like(f_in)
    if g_in.shape == g_out.shape and torch.equal(g_in, g_out):
        return -math.inf
    if g_in.shape[-2:] != g_out.shape[-2:]:
        g_in = functional.pixel_unshuffle(g_in, g_in.shape[-1] // g_out.shape[-1])
    n = g_out.shape[0] * g_out.shape[2] * g_out.shape[3]
    rows_in = g_in.permute(0, 2, 3, 1).reshape(n, -1)
    rows_out = g_out.permute(0, 2, 3, 1).reshape(n, -1)
    sigma = float(torch.linalg.svdvals(rows_in.T @ rows_out / n).max())
    return -sigma - 1.0 / (sigma + 1e-6) + 2.0


@computed_pass("az")
def az_pass(net: nn.Module, x: torch.Tensor, _y: torch.Tensor | None = None) -> AZPass:
    """The AZ-NAS pass of ``net`` at ``x``'s image size (see the module docstring)."""
    modules = block_modules(net)
    inputs = gaussian_input(x, BATCH, SEED)
    features: list[torch.Tensor] = []
    handles = [m.register_forward_hook(lambda _m, _a, out: features.append(out)) for m in modules]
    try:
        with reinitialised(net, "kaiming_fan_in", SEED), torch.enable_grad():
            net.train()
            # The input needs a gradient so that the stem's output, f_0, has a graph even
            # when the stem has no parameters.
            net(inputs.requires_grad_(True))
            expressivity = tuple(map_expressivity(f) for f in features)
            generator = torch.Generator().manual_seed(SEED)
            trainability = tuple(
                block_trainability(features[i - 1], features[i], generator)
                for i in reversed(range(1, len(features)))
            )
    finally:
        for handle in handles:
            handle.remove()
    return AZPass(expressivity, trainability)


def _finite_or_minus_inf(value: float) -> float:
    return -math.inf if math.isnan(value) else float(value)


@proxy("az_expressivity", init_dependent=False, version=2, reads="az", images=AZ_IMAGES)
def az_expressivity(result: AZPass) -> float:
    """Σ over feature maps of the entropy of the channel-covariance spectrum (AZ-NAS E)."""
    return _finite_or_minus_inf(float(np.sum(result.expressivity)))


@proxy("az_progressivity", init_dependent=False, version=2, reads="az", images=AZ_IMAGES)
def az_progressivity(result: AZPass) -> float:
    """min over consecutive feature maps of E_{l+1} − E_l (AZ-NAS P)."""
    return _finite_or_minus_inf(float(np.min(np.diff(result.expressivity))))


@proxy("az_trainability", init_dependent=False, version=2, reads="az", images=AZ_IMAGES)
def az_trainability(result: AZPass) -> float:
    """mean over blocks of −σ − 1/σ + 2, σ the cotangent map's spectral norm (AZ-NAS T)."""
    return _finite_or_minus_inf(float(np.mean(result.trainability)))


az_nas = proxy_set(
    "az_nas",
    ("flops", "az_expressivity", "az_progressivity", "az_trainability"),
    "logrank",
    "AZ-NAS (Lee & Ham 2024): Σ ln(rank / N) of FLOPs, expressivity, progressivity and "
    "trainability over the set being compared.",
)
