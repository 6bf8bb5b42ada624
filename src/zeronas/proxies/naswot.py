"""NASWOT: Mellor et al., "Neural Architecture Search without Training", ICML 2021
(arXiv:2006.04647v3).

For a batch of K inputs, every call of a hooked activation (``nn.ReLU`` modules; in the
mobile blocks also ``nn.ReLU6``, ``nn.Hardswish``, ``nn.GELU``: see
:data:`~zeronas.proxies._hooks.HOOKED_ACTIVATIONS`) gives each sample a binary code
c = 1[x > 0] of the activation's input. With C the K x N_A matrix of all codes,

.. math::

    K_H = \\sum_{\\text{calls}} C C^T + (1 - C)(1 - C)^T = 2\\,G - s 1^T - 1 s^T + N_A 1 1^T,
    \\qquad \\text{score} = \\log |\\det K_H|

with G = Σ C Cᵀ and s_i the number of ones in sample i's code (the diagonal of G): one
matmul per activation call. K_H[i, j] = N_A − d_H(c_i, c_j). Train-mode BN (batch
statistics), no gradient.
A singular K_H (two samples with identical codes, e.g. a cell whose output ignores its
input) scores −inf.

Speed: naswot reads its codes from the forward pass the scorer shares among every proxy
that needs one (:class:`NaswotReader`); calls that receive the very same tensor (unchanged,
e.g. one node feeding several ``nor_conv`` edges) reuse its codes' Gram matrix.
"""

from __future__ import annotations

import math
import weakref

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from zeronas.proxies._fastpath import declare_choice, fastest
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS, hook_activations, read_forward
from zeronas.proxies.base import proxy

__all__ = ["GRAM_KERNELS", "NaswotReader", "gram_kernel", "naswot_kernel", "naswot_score", "naswot"]

_FLOAT32_EXACT = 2**24  # integer sums up to this are exact in float32


def _rows(t: torch.Tensor) -> torch.Tensor:
    """``t`` as K rows, its elements in storage order: a view, also for channels-last maps
    (C Cᵀ does not depend on the order of the columns)."""
    if (
        t.dim() == 4
        and not t.is_contiguous()
        and t.is_contiguous(memory_format=torch.channels_last)
    ):
        t = t.permute(0, 2, 3, 1)
    return t.reshape(t.shape[0], -1)


def _gram_float(codes: torch.Tensor) -> torch.Tensor:
    """C Cᵀ through float32 while the sums stay exact (N < 2^24), else float64."""
    exact = torch.float32 if codes.shape[1] < _FLOAT32_EXACT else torch.float64
    as_float = codes.to(exact)
    return (as_float @ as_float.T).to(torch.float64)


def _gram_int8(codes: torch.Tensor) -> torch.Tensor:
    """C Cᵀ as one int8 x int8 -> int32 matmul of the codes' bytes (exact for N < 2^31)."""
    as_int8 = codes.view(torch.int8)
    return torch._int_mm(as_int8, as_int8.t()).to(torch.float64)


#: The exact ways to compute C Cᵀ, the float32 reference first. Which is fastest depends on
#: the CPU: int8 is ~2.5x faster than float32 with AVX-512 VNNI and many times slower on
#: AVX2-only CPUs, so :func:`zeronas.fastpath.fastest` measures them on the first call.
GRAM_KERNELS = {"float32": _gram_float, "int8": _gram_int8}
declare_choice("naswot_gram", GRAM_KERNELS)


def gram_kernel(codes: torch.Tensor) -> str:
    """The name of the C Cᵀ kernel this process uses for ``codes``' device (measured once)."""
    candidates = GRAM_KERNELS if hasattr(torch, "_int_mm") else {"float32": _gram_float}
    return fastest("naswot_gram", codes.device.type, candidates, codes, agree=torch.equal)


def _gram(codes: torch.Tensor) -> torch.Tensor:
    """C Cᵀ in float64, exactly, for boolean codes C (K x N), with the kernel that measured
    fastest here."""
    return GRAM_KERNELS[gram_kernel(codes)](codes)


class NaswotReader:
    """Accumulates G = Σ C Cᵀ, s = diag G and N_A over the hooked activation calls of one
    forward pass; calls that receive the very same, unmodified tensor reuse its Gram matrix."""

    def __init__(self, x: torch.Tensor, types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS):
        k = x.shape[0]
        self.types = types
        self.gram = torch.zeros(k, k, dtype=torch.float64, device=x.device)
        self.ones = torch.zeros(k, dtype=torch.float64, device=x.device)
        self.total = 0
        self._seen: dict[int, tuple[weakref.ref, int, torch.Tensor, int]] = {}

    def attach(self, net: nn.Module) -> list[RemovableHandle]:
        return hook_activations(net, self._on_input, self.types)

    def _on_input(self, inp: torch.Tensor) -> None:
        hit = self._seen.get(id(inp))
        if hit is not None and hit[0]() is inp and hit[1] == inp._version:
            g, n = hit[2:]
        else:
            flat = _rows(inp.detach())
            n = flat.shape[1]
            g = _gram(torch.relu(flat).bool())  # = flat > 0, three times faster on CPU
            self._seen[id(inp)] = (weakref.ref(inp), inp._version, g, n)
        self.gram += g
        self.ones += torch.diagonal(g)  # c_i . c_i = number of ones in c_i
        self.total += n

    def kernel(self) -> tuple[torch.Tensor, int]:
        """K_H (float64, K x K) and N_A, the code length per sample."""
        kernel = 2.0 * self.gram - self.ones[:, None] - self.ones[None, :] + float(self.total)
        return kernel, self.total

    def result(self) -> float:
        return naswot_score(*self.kernel())


def naswot_kernel(
    net: nn.Module,
    x: torch.Tensor,
    types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS,
) -> tuple[torch.Tensor, int]:
    """K_H (float64, K x K) of ``net`` on ``x`` and N_A, the code length per sample."""
    reader = NaswotReader(x, types)
    read_forward(net, x, [reader])
    return reader.kernel()


def naswot_score(kernel: torch.Tensor, n_activations: int) -> float:
    """log|det K_H|; −inf when K_H is singular (two identical codes or a zero determinant)."""
    off_diagonal = kernel - torch.diag(torch.diagonal(kernel))
    if n_activations == 0 or bool((off_diagonal == n_activations).any()):
        return -math.inf
    sign, logabsdet = torch.linalg.slogdet(kernel.cpu())
    return -math.inf if float(sign) == 0.0 else float(logabsdet)


@proxy("naswot", needs_data=True, reads="forward", reader=NaswotReader)
def naswot(net: nn.Module, x: torch.Tensor) -> float:
    """log|det K_H| of the ReLU codes of a batch (Mellor et al. 2021)."""
    return read_forward(net, x, [NaswotReader(x)])[0]
