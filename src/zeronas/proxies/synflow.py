"""SynFlow and LogSynflow, in FreeREA's set-up.

SynFlow: Tanaka et al., "Pruning neural networks without any data by iteratively conserving
synaptic flow", NeurIPS 2020 (arXiv:2006.05467); as a NAS proxy: Abdelfattah et al., ICLR
2021 (arXiv:2101.08134). LogSynflow: Cavagnero et al., "FreeREA", IJCNN 2022
(arXiv:2207.05135), Singh eq. (4).

Set-up: on a float64 copy with every BatchNorm replaced by the
identity and every state-dict tensor replaced by its absolute value, in train mode, feed an
all-ones input of shape 1 x C x H x W and back-propagate R = Σ logits. Over the weights θ of
every ``Conv2d`` and ``Linear`` (biases and norms excluded):

.. math::

    \\text{synflow} = \\ln \\sum |\\theta \\odot \\partial R / \\partial \\theta|, \\qquad
    \\text{logsynflow} = \\sum |\\theta \\odot \\ln(\\partial R / \\partial \\theta + 1)|

The raw SynFlow sum reaches 1e66 on NATS-TSS (float64 is required); ``synflow`` reports its
natural log (−inf when the sum is 0: a cell whose output is disconnected), as Cossu et al.'s
tables do; ``synflow[log=false]`` gives the raw sum. Both read one shared pass
(:mod:`zeronas.passes`, ``synflow``). LogSynflow applies the log to each gradient before
the product and none after.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.proxies._hooks import identity_forward
from zeronas.proxies.base import proxy
from zeronas.proxies.passes import computed_pass

__all__ = ["synflow_terms", "synflow_pass", "synflow", "logsynflow"]


def synflow_terms(net: nn.Module, input_shape: tuple[int, ...]) -> list[tuple[torch.Tensor, ...]]:
    """(|θ|, ∂R/∂θ) for every conv and linear weight, in FreeREA's set-up.

    ``net`` itself is not changed: the pass runs through :func:`torch.func.functional_call`
    on float64 absolute copies of its state (much cheaper than a deep copy of the modules),
    with each BatchNorm's ``forward`` replaced by the identity for the duration.
    """
    state = {
        name: tensor.detach().abs().to(torch.float64, memory_format=torch.contiguous_format)
        for name, tensor in net.state_dict(keep_vars=True).items()
        if tensor.is_floating_point()
    }
    weights = {
        f"{name}.weight": state[f"{name}.weight"].requires_grad_()
        for name, module in net.named_modules()
        if isinstance(module, nn.Conv2d | nn.Linear)
    }
    norms = [m for m in net.modules() if isinstance(m, _BatchNorm)]
    was_training = net.training
    param = next(iter(net.parameters()), None)
    ones = torch.ones(
        (1, *input_shape), dtype=torch.float64, device=param.device if param is not None else None
    )
    try:
        net.train()
        with identity_forward(norms), torch.enable_grad():
            output = functional_call(net, state, (ones,))
            grads = torch.autograd.grad(output.sum(), list(weights.values()), allow_unused=True)
    finally:
        net.train(was_training)
    return [
        (w.detach(), torch.zeros_like(w) if g is None else g)  # None: not on any output path
        for w, g in zip(weights.values(), grads, strict=True)
    ]


@computed_pass("synflow")
def synflow_pass(net: nn.Module, x: torch.Tensor, _y: torch.Tensor | None = None) -> list:
    """SynFlow's pass at ``x``'s image size (labels unused): :func:`synflow_terms`."""
    return synflow_terms(net, tuple(x.shape[1:]))


@proxy("synflow", needs_data=False, reads="synflow")
def synflow(terms: list[tuple[torch.Tensor, ...]], *, log: bool = True) -> float:
    """ln of Σ|θ ⊙ ∂R/∂θ| with |θ|, BN off, all-ones input, float64 (Tanaka 2020); the raw
    sum with ``log=false``."""
    total = sum(float((w * g).abs().sum()) for w, g in terms)
    if not log:
        return total
    return math.log(total) if total > 0 else -math.inf


@proxy("logsynflow", needs_data=False, reads="synflow")
def logsynflow(terms: list[tuple[torch.Tensor, ...]]) -> float:
    """Σ|θ ⊙ ln(∂R/∂θ + 1)|: SynFlow with the log on each gradient (FreeREA 2022)."""
    return sum(float((w * torch.log1p(g)).abs().sum()) for w, g in terms)
