"""NASWOT: Mellor et al., "Neural Architecture Search without Training", ICML 2021
(arXiv:2006.04647v3).

For a batch of K inputs, every call of a hooked activation (default: ``nn.ReLU`` modules)
gives each sample a binary code c = 1[x > 0]. With C the K x N_A matrix of all codes,

.. math::

    K_H = \\sum_{\\text{calls}} C C^T + (1 - C)(1 - C)^T = 2\\,G - s 1^T - 1 s^T + N_A 1 1^T,
    \\qquad \\text{score} = \\log |\\det K_H|

with G = Σ C Cᵀ and s_i the number of ones in sample i's code (the diagonal of G): one
matmul per activation call. K_H[i, j] = N_A − d_H(c_i, c_j). Train-mode BN (batch
statistics), no gradient.
A singular K_H (two samples with identical codes, e.g. a cell whose output ignores its
input) scores −inf.

Speed: calls that receive the very same tensor (unchanged, e.g. one node feeding several
``nor_conv`` edges) reuse its codes' Gram matrix instead of recomputing it.
"""

from __future__ import annotations

import math
import weakref

import torch
from torch import nn

from zeronas.proxies._hooks import HOOKED_ACTIVATIONS, activation_hooks
from zeronas.proxies.base import proxy

__all__ = ["naswot_kernel", "naswot_score", "naswot"]

_FLOAT32_EXACT = 2**24  # integer sums up to this are exact in float32


def naswot_kernel(
    net: nn.Module,
    x: torch.Tensor,
    types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS,
) -> tuple[torch.Tensor, int]:
    """K_H (float64, K x K) of ``net`` on ``x`` and N_A, the code length per sample."""
    k = x.shape[0]
    gram = torch.zeros(k, k, dtype=torch.float64)
    ones = torch.zeros(k, dtype=torch.float64)
    total = 0
    seen: dict[int, tuple[weakref.ref, int, torch.Tensor, torch.Tensor, int]] = {}

    def on_input(inp: torch.Tensor) -> None:
        nonlocal gram, ones, total
        hit = seen.get(id(inp))
        if hit is not None and hit[0]() is inp and hit[1] == inp._version:
            g, s, n = hit[2:]
        else:
            flat = inp.detach().reshape(k, -1)
            n = flat.shape[1]
            codes = (flat > 0).to(torch.float32 if n < _FLOAT32_EXACT else torch.float64)
            g = (codes @ codes.T).to(torch.float64)
            s = torch.diagonal(g).clone()  # c_i . c_i = number of ones in c_i
            seen[id(inp)] = (weakref.ref(inp), inp._version, g, s, n)
        gram += g
        ones += s
        total += n

    was_training = net.training
    net.train()
    try:
        with activation_hooks(net, on_input, types), torch.no_grad():
            net(x)
    finally:
        net.train(was_training)
    kernel = 2.0 * gram - ones[:, None] - ones[None, :] + float(total)
    return kernel, total


def naswot_score(kernel: torch.Tensor, n_activations: int) -> float:
    """log|det K_H|; −inf when K_H is singular (two identical codes or a zero determinant)."""
    off_diagonal = kernel - torch.diag(torch.diagonal(kernel))
    if n_activations == 0 or bool((off_diagonal == n_activations).any()):
        return -math.inf
    sign, logabsdet = torch.linalg.slogdet(kernel)
    return -math.inf if float(sign) == 0.0 else float(logabsdet)


@proxy("naswot", higher_is_better=True, needs_data=True)
def naswot(net: nn.Module, x: torch.Tensor) -> float:
    """log|det K_H| of the ReLU codes of a batch (Mellor et al. 2021)."""
    return naswot_score(*naswot_kernel(net, x))
