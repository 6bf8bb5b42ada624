"""The passes proxies read, each run once per architecture and initialisation for all its
readers (the scorer's :class:`~zeronas.scoring.tally.PassTally` runs them).

Every proxy declares the pass it reads (``@proxy(..., reads=...)``). Passes the scorer runs
itself:

``shapes``    only shapes or parameter counts: no image values (params, flops, relu_count).
``forward``   one train-mode, no-grad forward of the batch, read through hooks by a
              :class:`~zeronas.proxies._hooks.ForwardReader` (naswot, noise_immunity).
``arch``      the architecture value alone; no network is built (skip).
``own``       a pass of its own (ntk_cond, entropy, linear_regions).
``derived``   a combination of other proxies' values (ninaswot).

*Computed* passes, whose result is handed to every reader as ``fn(result, **options)``,
are declared with :func:`computed_pass` by the module of the proxies that read them, so
that adding one is one file: ``backward`` (here: one train-mode forward of the labelled
batch and the backward of its mean cross-entropy, :class:`BackwardPass`; the loss-gradient
proxies of foresight/NASLib), ``synflow`` (:mod:`zeronas.proxies.synflow`), ``az``
(:mod:`zeronas.proxies.az`), ``vkdnw`` (:mod:`zeronas.proxies.vkdnw`). The scorer charges a
shared pass's seconds evenly to its readers and each reader's own work to itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from zeronas.errors import ZeroNASError
from zeronas.proxies._hooks import ForwardReader, read_forward

__all__ = [
    "BackwardPass",
    "PassFn",
    "backward_pass",
    "check_pass",
    "computed_pass",
    "COMPUTED_PASSES",
    "forward_pass",
    "pass_names",
]

#: compute(net, x, y) -> the result every reader of the pass reads
PassFn = Callable[[nn.Module, torch.Tensor, "torch.Tensor | None"], Any]

#: the passes the scorer runs itself (no result handed to readers)
_OWN_PASSES = ("shapes", "forward", "arch", "own", "derived")
#: pass name -> compute(net, x, y) of every declared computed pass, in declaration order
COMPUTED_PASSES: dict[str, PassFn] = {}


def computed_pass(name: str) -> Callable[[PassFn], PassFn]:
    """Declare ``fn(net, x, y)`` as the computed pass ``name`` (before its readers register)."""

    def declare(fn: PassFn) -> PassFn:
        if name in _OWN_PASSES or name in COMPUTED_PASSES:
            raise ZeroNASError(f"pass {name!r} is declared twice")
        COMPUTED_PASSES[name] = fn
        return fn

    return declare


def pass_names() -> tuple[str, ...]:
    """Every pass a proxy may read: the scorer's own, then the declared ones."""
    return (*_OWN_PASSES, *COMPUTED_PASSES)


def check_pass(proxy: str, reads: str, has_reader: bool) -> None:
    """A proxy's declared pass is known, and ``forward`` comes with a reader."""
    if reads not in pass_names():
        raise ZeroNASError(
            f"proxy {proxy!r} reads unknown pass {reads!r}. Allowed: {', '.join(pass_names())} "
            "(declare a new one with @computed_pass before the proxies that read it)"
        )
    if (reads == "forward") != has_reader:
        raise ZeroNASError(f"proxy {proxy!r}: reads='forward' and a reader go together")


def forward_pass(
    net: nn.Module, x: torch.Tensor, readers: Sequence[ForwardReader]
) -> list[Callable[[], float]]:
    """The shared ``forward`` pass for ``readers``; each reader's own remaining work (its
    ``result``) is returned undone, to be timed as that proxy's own."""
    read_forward(net, x, readers, results=False)
    return [reader.result for reader in readers]


@dataclass(frozen=True)
class BackwardPass:
    """What one forward + cross-entropy backward of the labelled batch leaves behind.

    ``grads``: parameter name -> ∂L/∂θ (zeros for a parameter on no path to the loss),
    taken with the network in train mode (batch-statistics BN); ``output_terms``: for every
    conv and linear call, (module, Σ over positions of a ⊙ ∂L/∂a per sample and output
    channel, N x C) with a the call's output (foresight's Fisher reads it); ``net`` and
    ``x``, ``y`` are the network and batch it ran on.
    """

    net: nn.Module
    x: torch.Tensor
    y: torch.Tensor
    logits: torch.Tensor
    loss: float
    grads: dict[str, torch.Tensor]
    output_terms: tuple[tuple[nn.Module, torch.Tensor], ...] = ()


@computed_pass("backward")
def backward_pass(net: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> BackwardPass:
    """Run the ``backward`` pass of ``net`` on (``x``, ``y``); ``net`` keeps no gradient."""
    if y is None:
        raise ZeroNASError("the backward pass needs labels: the batch has none")
    params = dict(net.named_parameters())
    outputs: list[tuple[nn.Module, torch.Tensor]] = []

    def keep(module: nn.Module, _args: tuple, output: torch.Tensor) -> None:
        if output.requires_grad:
            outputs.append((module, output))

    layers = [m for m in net.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    handles = [m.register_forward_hook(keep) for m in layers]
    was_training = net.training
    net.train()
    try:
        with torch.enable_grad():
            logits = net(x)
            loss = functional.cross_entropy(logits, y.to(logits.device))
            wanted = list(params.values()) + [a for _, a in outputs]
            grads = torch.autograd.grad(loss, wanted, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
        net.train(was_training)
    filled = {
        name: torch.zeros_like(p) if g is None else g
        for (name, p), g in zip(params.items(), grads[: len(params)], strict=True)
    }
    terms = []
    for (module, a), g in zip(outputs, grads[len(params) :], strict=True):
        if g is not None:
            product = (a.detach() * g).double()
            terms.append((module, product.flatten(2).sum(2) if product.dim() > 2 else product))
    return BackwardPass(net, x, y, logits.detach(), float(loss.detach()), filled, tuple(terms))
