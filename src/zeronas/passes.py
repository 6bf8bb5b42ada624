"""The passes proxies read, run once per architecture and initialisation for all readers.

Every proxy declares the pass it reads (``@proxy(..., reads=...)``):

``shapes``    only shapes or parameter counts: no image values (params, flops, relu_count).
``forward``   one train-mode, no-grad forward of the batch, read through hooks by a
              :class:`~zeronas.proxies._hooks.ForwardReader` (naswot, noise_immunity).
``backward``  one train-mode forward of the labelled batch and the backward of its mean
              cross-entropy: logits, loss and every parameter's gradient
              (:class:`BackwardPass`; the loss-gradient proxies of foresight/NASLib).
``synflow``   SynFlow's pass: |θ| in float64, BN off, an all-ones input, R = Σ logits;
              (|θ|, ∂R/∂θ) of every conv and linear weight (synflow, logsynflow).
``arch``      the architecture value alone; no network is built (skip).
``own``       a pass of its own (ntk_cond, entropy, linear_regions).
``derived``   a combination of other proxies' values (ninaswot).

A proxy reading ``backward`` or ``synflow`` is a function of that pass's result,
``fn(result, **options)``; the others are ``fn(net, x, **options)``. The scorer charges a
shared pass's seconds evenly to its readers and each reader's own work to itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from zeronas.errors import ZeroNASError

__all__ = ["PASSES", "COMPUTED_PASSES", "BackwardPass", "backward_pass", "check_pass"]

PASSES = ("shapes", "forward", "backward", "synflow", "arch", "own", "derived")


@dataclass(frozen=True)
class BackwardPass:
    """What one forward + cross-entropy backward of the labelled batch leaves behind.

    ``grads``: parameter name -> ∂L/∂θ (zeros for a parameter on no path to the loss),
    taken with the network in train mode (batch-statistics BN); ``net`` and ``x``, ``y``
    are the network and batch it ran on.
    """

    net: nn.Module
    x: torch.Tensor
    y: torch.Tensor
    logits: torch.Tensor
    loss: float
    grads: dict[str, torch.Tensor]


def backward_pass(net: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> BackwardPass:
    """Run the ``backward`` pass of ``net`` on (``x``, ``y``); ``net`` keeps no gradient."""
    if y is None:
        raise ZeroNASError("the backward pass needs labels: the batch has none")
    params = dict(net.named_parameters())
    was_training = net.training
    net.train()
    try:
        with torch.enable_grad():
            logits = net(x)
            loss = functional.cross_entropy(logits, y.to(logits.device))
            grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
    finally:
        net.train(was_training)
    filled = {
        name: torch.zeros_like(p) if g is None else g
        for (name, p), g in zip(params.items(), grads, strict=True)
    }
    return BackwardPass(net, x, y, logits.detach(), float(loss.detach()), filled)


def _synflow(net: nn.Module, x: torch.Tensor, _y: torch.Tensor | None) -> Any:
    from zeronas.proxies.synflow import synflow_terms

    return synflow_terms(net, tuple(x.shape[1:]))


#: pass name -> compute(net, x, y): the passes whose result is handed to their readers.
COMPUTED_PASSES: dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor | None], Any]] = {
    "backward": backward_pass,
    "synflow": _synflow,
}


def check_pass(proxy: str, reads: str, has_reader: bool) -> None:
    """A proxy's declared pass is known, and ``forward`` comes with a reader."""
    if reads not in PASSES:
        raise ZeroNASError(
            f"proxy {proxy!r} reads unknown pass {reads!r}. Allowed: {', '.join(PASSES)}"
        )
    if (reads == "forward") != has_reader:
        raise ZeroNASError(f"proxy {proxy!r}: reads='forward' and a reader go together")
