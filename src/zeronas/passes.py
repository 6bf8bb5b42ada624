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
``az``        AZ-NAS's pass: Kaiming fan_in weights, a Gaussian batch, one forward keeping
              every block's output and a per-block Rademacher pull-back
              (:class:`~zeronas.proxies.az.AZPass`; az_expressivity, az_progressivity,
              az_trainability).
``vkdnw``     VKDNW's pass: Kaiming fan_in weights, a Gaussian batch, eval-mode BN, the
              per-image logit Jacobians over one entry per parameter tensor
              (:class:`~zeronas.proxies.vkdnw.FisherPass`; vkdnw, vkdnw_single).
``arch``      the architecture value alone; no network is built (skip).
``own``       a pass of its own (ntk_cond, entropy, linear_regions).
``derived``   a combination of other proxies' values (ninaswot).

A proxy reading ``backward``, ``synflow``, ``az`` or ``vkdnw`` is a function of that pass's result,
``fn(result, **options)``; the others are ``fn(net, x, **options)``. The scorer charges a
shared pass's seconds evenly to its readers and each reader's own work to itself.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from zeronas.errors import ZeroNASError
from zeronas.records import ProxyValue, failure_text, invalid_value

if TYPE_CHECKING:
    from zeronas.proxies.base import Proxy

__all__ = [
    "PASSES",
    "COMPUTED_PASSES",
    "BackwardPass",
    "PassTally",
    "backward_pass",
    "check_pass",
]

PASSES = ("shapes", "forward", "backward", "synflow", "az", "vkdnw", "arch", "own", "derived")


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


def _synflow(net: nn.Module, x: torch.Tensor, _y: torch.Tensor | None) -> Any:
    from zeronas.proxies.synflow import synflow_terms

    return synflow_terms(net, tuple(x.shape[1:]))


def _imported(module: str, name: str) -> Callable[..., Any]:
    """``module.name``(net, x, y), imported at the first call (the proxies package imports
    this module)."""

    def compute(net: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> Any:
        return getattr(importlib.import_module(module), name)(net, x, y)

    return compute


#: pass name -> compute(net, x, y): the passes whose result is handed to their readers.
COMPUTED_PASSES: dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor | None], Any]] = {
    "backward": backward_pass,
    "synflow": _synflow,
    "az": _imported("zeronas.proxies.az", "az_pass"),
    "vkdnw": _imported("zeronas.proxies.vkdnw", "fisher_pass"),
}


def check_pass(proxy: str, reads: str, has_reader: bool) -> None:
    """A proxy's declared pass is known, and ``forward`` comes with a reader."""
    if reads not in PASSES:
        raise ZeroNASError(
            f"proxy {proxy!r} reads unknown pass {reads!r}. Allowed: {', '.join(PASSES)}"
        )
    if (reads == "forward") != has_reader:
        raise ZeroNASError(f"proxy {proxy!r}: reads='forward' and a reader go together")


def _run_forward(
    net: nn.Module, x: torch.Tensor, readers: Sequence[Proxy]
) -> list[Callable[[], float]]:
    """The shared forward pass for ``readers``; each reader's own remaining work (its
    ``result``) is returned undone, to be timed as that proxy's own."""
    from zeronas.proxies._hooks import read_forward  # the proxies package imports this one

    hooked = [p.make_reader(x) for p in readers]
    read_forward(net, x, hooked, results=False)
    return [reader.result for reader in hooked]


def _computed(
    compute: Callable[..., object],
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    readers: Sequence[Proxy],
) -> list[Callable[[], float]]:
    result = compute(net, x, y)
    return [lambda p=p: p.read(result) for p in readers]


class PassTally:
    """Values, seconds and errors of one network's proxies over its initialisations. A shared
    pass's seconds are split evenly among its readers; each reader's own work is its own."""

    def __init__(self, names: Sequence[str]) -> None:
        self.samples: dict[str, list[float]] = {n: [] for n in names}
        self.seconds = dict.fromkeys(names, 0.0)
        self.errors: dict[str, str] = {}

    def due(self, name: str) -> bool:
        return name not in self.errors

    def _keep(self, name: str, run: Callable[[], float]) -> None:
        t0 = time.perf_counter()
        try:
            value = float(run())
        except Exception as exc:  # noqa: BLE001 -- incl. out of memory
            self.errors[name] = failure_text(exc)
            return
        finally:
            self.seconds[name] += time.perf_counter() - t0
        if error := invalid_value(value):
            self.errors[name] = error
        self.samples[name].append(value)

    def shared(self, readers: Sequence[Proxy], run: Callable[..., list], *args: object) -> None:
        t0 = time.perf_counter()
        try:
            finish = run(*args, readers)
        except Exception as exc:  # noqa: BLE001 -- the pass failed for all its readers
            self.errors.update(dict.fromkeys((p.name for p in readers), failure_text(exc)))
            finish = None
        share = (time.perf_counter() - t0) / len(readers)
        for p in readers:
            self.seconds[p.name] += share
        for p, rest in zip(readers, finish or [], strict=False):
            self._keep(p.name, rest)

    def own(self, p: Proxy, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> None:
        self._keep(p.name, lambda: p(net, x, y))

    def run(
        self, net: nn.Module, due: Sequence[Proxy], x: torch.Tensor, y: torch.Tensor | None
    ) -> None:
        """One initialisation of ``net``: each pass that a ``due`` proxy reads runs once for
        all its readers, then each proxy with a pass of its own runs."""
        readers = [p for p in due if p.reads == "forward"]
        if readers:
            self.shared(readers, _run_forward, net, x)
        for name, compute in COMPUTED_PASSES.items():
            readers = [p for p in due if p.reads == name]
            if readers:
                self.shared(readers, _computed, compute, net, x, y)
        for p in due:
            if p.reads not in COMPUTED_PASSES and p.reads != "forward":
                self.own(p, net, x, y)

    def values(self) -> dict[str, ProxyValue]:
        return {
            name: ProxyValue(
                math.nan if name in self.errors else float(np.mean(vals)),
                self.seconds[name],
                self.errors.get(name),
            )
            for name, vals in self.samples.items()
        }
