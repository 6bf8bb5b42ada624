"""MeCo: Jiang, Wang & Bie, "MeCo: Zero-Shot NAS with One Data and Single Forward Pass via
Minimum Eigenvalue of Correlation", NeurIPS 2023; MeCo ``correlation/NAS_Bench_201.py``.

A forward hook on every module of the network (the root, containers and leaves alike) takes
f = the module's output for the first image, as a C x (H·W) matrix, and R = corr(f), the
C x C Pearson correlation of its channels over spatial positions, non-finite entries set
to 0. With λ_min(R) its smallest eigenvalue,

.. math::

    \\text{MeCo} = \\sum_{\\text{hook calls}} \\lambda_{\\min}(R), \\qquad
    \\text{MeCo\\_opt} = \\sum \\frac{C}{8}\\, \\lambda_{\\min}(R_{8})

where R₈ is the correlation of 8 random channels (``meco_opt``; the reference draws them
unseeded, zeronas from ``seed``). Outputs without spatial extent (pooled features, logits)
and all-zero outputs (the ``none`` op) give R = 0 and add nothing; non-finite terms are
dropped. One train-mode forward of the first ``images`` images of the run's batch (the
reference: ``--batch_size 1``, one real training image, so train-mode BN normalises over
one image's positions), at the run's init (the reference: PyTorch's default init; use
``--init pytorch`` for its protocol). R is symmetric, so ``eigvalsh`` stands in for the
reference's general ``eig``.

The sum runs over *hook calls*, so a tensor reported by nested modules counts once per
module: the reference's ReLUConvBN wraps an inner ``nn.Sequential`` (5 calls per conv edge)
where zeronas' ReLUConvBN is that Sequential (4 calls); both carry an op-count term.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zeronas.params import at_least
from zeronas.proxies._hooks import hooked_forward
from zeronas.proxies.base import proxy

__all__ = ["channel_correlation_min_eigenvalues", "meco", "meco_opt"]


def _correlation(maps: torch.Tensor) -> torch.Tensor:
    """Pearson correlation of the rows of each (…, C, N) matrix, non-finite entries 0."""
    centred = maps - maps.mean(dim=-1, keepdim=True)
    cov = centred @ centred.transpose(-1, -2)
    std = torch.diagonal(cov, dim1=-2, dim2=-1).sqrt()
    corr = cov / (std.unsqueeze(-1) * std.unsqueeze(-2))
    return torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0).clamp(-1.0, 1.0)


def channel_correlation_min_eigenvalues(
    net: nn.Module, x: torch.Tensor, channels: int | None = None, seed: int = 0
) -> list[float]:
    """λ_min of the channel correlation of every hook call's first-image output (times C/k
    when only ``channels`` = k random channels are kept); one train-mode forward of ``x``."""
    outputs: list[torch.Tensor] = []

    def keep(_module: nn.Module, _args: tuple, output: object) -> None:
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            outputs.append(output[0].detach().flatten(1).double())
        else:
            outputs.append(torch.zeros(1, 1, dtype=torch.float64))

    hooked_forward(net, x, lambda: [m.register_forward_hook(keep) for m in net.modules()])
    generator = torch.Generator().manual_seed(seed)
    by_shape: dict[tuple[float, ...], list[torch.Tensor]] = {}
    for f in outputs:
        if channels is not None and f.shape[0] > channels:
            rows = torch.randperm(f.shape[0], generator=generator)[:channels]
            scale = f.shape[0] / channels
            f = f[rows.to(f.device)]
        else:
            scale = 1.0
        by_shape.setdefault((*f.shape, scale), []).append(f)
    values: list[float] = []
    for key, group in by_shape.items():  # one batched eigvalsh per shape
        eig = torch.linalg.eigvalsh(_correlation(torch.stack(group)))
        values += (eig[:, 0] * key[-1]).cpu().tolist()
    return values


def _finite_sum(values: list[float]) -> float:
    return float(sum(v for v in values if math.isfinite(v)))


@proxy(
    "meco", needs_data=True, reads="own", images="first `images`",
    checks={"images": at_least(1)},
)  # fmt: skip
def meco(net: nn.Module, x: torch.Tensor, *, images: int = 1) -> float:
    """Σ over every module's output of λ_min of its channel correlation (MeCo, 2023)."""
    if not 1 <= images <= len(x):
        raise ValueError(f"meco needs 1 <= images <= batch size {len(x)}, got {images}")
    return _finite_sum(channel_correlation_min_eigenvalues(net, x[:images]))


@proxy(
    "meco_opt", needs_data=True, reads="own", images="first `images`",
    checks={"images": at_least(1), "channels": at_least(1), "seed": at_least(0)},
)  # fmt: skip
def meco_opt(
    net: nn.Module, x: torch.Tensor, *, images: int = 1, channels: int = 8, seed: int = 0
) -> float:
    """MeCo over ``channels`` random channels per output, scaled by C/channels (MeCo_opt)."""
    if not 1 <= images <= len(x):
        raise ValueError(f"meco_opt needs 1 <= images <= batch size {len(x)}, got {images}")
    if channels < 2:
        raise ValueError(f"meco_opt needs channels >= 2, got {channels}")
    return _finite_sum(channel_correlation_min_eigenvalues(net, x[:images], channels, seed))
