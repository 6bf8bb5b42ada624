"""SWAP: Peng et al., "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024
(arXiv:2403.04161); SWAP ``src/metrics/swap.py``.

With the outputs of every ReLU-like activation on 4-D input for the first ``images`` images
of the run's batch (reference: 16 real training images; all of a smaller batch), each
neuron's *pattern* is the binary vector 1[out > 0] over the images; SWAP is the number of
distinct patterns over all neurons (at most min(#neurons, 2^B)):

.. math::

    \\text{SWAP} = \\left|\\{ (\\mathbb 1[a_n(x_1) > 0], \\ldots, \\mathbb 1[a_n(x_B) > 0]) :
      n \\text{ a neuron} \\}\\right|

averaged over ``repeats`` (32) re-initialisations with N(0, 1) conv and linear weights (BN
γ = 1, β = 0), each a train-mode no-grad forward. Unlike NASWOT, several activations of one
tensor collapse into the same patterns. Regularised SWAP (``sigma`` > 0) multiplies by
exp(−(P − μ)² / σ), P the parameter count in thousands; the divisor is σ, as in the
reference, and μ, σ must be given: the reference sets them by hand per space and publishes
no NAS-Bench-201 values. The weights are SWAP's own, drawn from ``seed``: the value does not
depend on ``--init``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zeronas.models.init import preserved, redraw
from zeronas.params import at_least, in_range
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS, hooked_forward
from zeronas.proxies._protocol import repeat_seed
from zeronas.proxies.base import proxy

__all__ = ["activation_patterns", "swap"]


def activation_patterns(net: nn.Module, x: torch.Tensor) -> int:
    """The number of distinct per-neuron patterns 1[out > 0] over the images of ``x``, one
    train-mode no-grad forward. A pattern is packed into one number, exact below 2²⁴ in
    float32 and 2⁵³ in float64, so at most 52 images; up to 24 images the distinct codes are
    marked in a table of 2^B flags instead of sorted."""
    if len(x) > 52:
        raise ValueError(f"swap packs a pattern into 52 bits: at most 52 images, got {len(x)}")
    dtype = torch.float32 if len(x) <= 24 else torch.float64
    powers = torch.pow(2.0, torch.arange(len(x), dtype=dtype, device=x.device))
    seen = torch.zeros(2 ** len(x), dtype=torch.bool, device=x.device) if len(x) <= 24 else None
    codes: list[torch.Tensor] = []

    def keep(_module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        if args[0].dim() != 4:
            return
        if not output.is_contiguous():  # channels_last: the same neurons, in another order
            output = output.permute(0, 2, 3, 1)
        code = powers @ (output > 0).reshape(len(output), -1).to(dtype)  # one per neuron
        if seen is not None:
            seen[code.long()] = True
        else:
            codes.append(code)

    modules = [m for m in net.modules() if isinstance(m, HOOKED_ACTIVATIONS)]
    hooked_forward(net, x, lambda: [m.register_forward_hook(keep) for m in modules])
    if seen is not None:
        return int(seen.sum())
    return int(torch.unique(torch.cat(codes)).numel()) if codes else 0


@proxy(
    "swap", needs_data=True, init_dependent=False, version=2, reads="own",
    images="first `images`",
    checks={"images": in_range(1, 52), "repeats": at_least(1), "sigma": at_least(0.0),
            "seed": at_least(0)},
)  # fmt: skip
def swap(
    net: nn.Module,
    x: torch.Tensor,
    *,
    images: int = 16,
    repeats: int = 32,
    mu: float = 0.0,
    sigma: float = 0.0,
    seed: int = 0,
) -> float:
    """Distinct activation patterns over the images, mean of N(0,1) re-inits (SWAP, 2024);
    × exp(−(kparams − μ)²/σ) when σ > 0."""
    if images < 1:
        raise ValueError(f"swap needs images >= 1, got {images}")
    if repeats < 1 or sigma < 0:
        raise ValueError(f"swap needs repeats >= 1 and sigma >= 0, got {repeats}, {sigma}")
    counts = []
    with preserved(net):
        for repeat in range(repeats):
            redraw(net, "normal", repeat_seed(seed, repeat))
            counts.append(activation_patterns(net, x[:images]))
    value = sum(counts) / len(counts)
    if sigma > 0:
        kparams = sum(p.numel() for p in net.parameters()) / 1e3
        value *= math.exp(-((kparams - mu) ** 2) / sigma)
    return float(value)
