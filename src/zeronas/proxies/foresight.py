"""The foresight / NASLib loss-gradient baselines: Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS", ICLR 2021 (arXiv:2101.08134); SamsungLabs/zero-cost-nas ``foresight``;
NASLib's ``predictors/utils/pruners/measures``.

With L the mean cross-entropy of the labelled batch (train-mode BN) and, for every
``nn.Conv2d`` and ``nn.Linear`` weight W_l (biases and norms never scored), g_l = ∂L/∂W_l:

.. math::

    \\text{grad\\_norm} = \\sum_l \\lVert g_l \\rVert_2, \\qquad
    \\text{snip} = \\sum_l \\sum |W_l \\odot g_l|, \\qquad
    \\text{plain} = \\sum_l \\sum W_l \\odot g_l, \\qquad
    \\text{l2\\_norm} = \\sum_l \\lVert W_l \\rVert_2

grad_norm sums the per-layer Frobenius norms (not one global norm); plain keeps signs. The
first three and fisher read the one shared ``backward`` pass (:mod:`zeronas.passes`), which
also keeps the conv/linear output gradients fisher needs; ``grasp`` needs a pass of its own
(a Hessian-gradient product):

- fisher: for every conv/linear output a (before BN), F_c = ½ mean_n (Σ_hw a ∂L/∂a)² per
  output channel c, broadcast to the C_in·k_h·k_w weights of channel c as foresight does:
  Σ_l Σ_c F_c · fan_in_l.
- grasp (T = 1, one iteration): g = ∂L/∂W, Hg = ∂(Σ g · ∂L/∂W)/∂W on a second forward;
  score = Σ −W ⊙ Hg (signed; foresight added the minus).

All need the batch's labels: on the synthetic batch they are random (and results say the
batch was synthetic). Our defaults differ from foresight's protocol in the network (the
official NB201 cells, affine BN with running statistics, no conv bias) and the scorer's
init (``--init kaiming``; foresight: ``--init pytorch``) and batch (``--batch-size 64``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from zeronas.proxies.base import proxy
from zeronas.proxies.passes import BackwardPass

__all__ = ["scored_weights", "grad_norm", "snip", "plain", "l2_norm", "fisher", "grasp"]

_SCORED = (nn.Conv2d, nn.Linear)


def scored_weights(net: nn.Module) -> dict[str, nn.Parameter]:
    """name -> weight of every conv and linear layer (the layers foresight scores)."""
    return {f"{n}.weight" if n else "weight": m.weight for n, m in net.named_modules()
            if isinstance(m, _SCORED)}  # fmt: skip


def _pairs(result: BackwardPass) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(w.detach(), result.grads[n]) for n, w in scored_weights(result.net).items()]


@proxy("grad_norm", needs_data=True, needs_labels=True, reads="backward")
def grad_norm(result: BackwardPass) -> float:
    """Σ over conv/linear layers of ‖∂L/∂W‖₂ (foresight)."""
    return float(sum(g.double().norm() for _, g in _pairs(result)))


@proxy("snip", needs_data=True, needs_labels=True, reads="backward")
def snip(result: BackwardPass) -> float:
    """Σ |W ⊙ ∂L/∂W| over conv/linear weights (Lee et al. 2019; foresight)."""
    return float(sum((w.double() * g.double()).abs().sum() for w, g in _pairs(result)))


@proxy("plain", needs_data=True, needs_labels=True, reads="backward")
def plain(result: BackwardPass) -> float:
    """Σ W ⊙ ∂L/∂W over conv/linear weights, signs kept (foresight)."""
    return float(sum((w.double() * g.double()).sum() for w, g in _pairs(result)))


@proxy("l2_norm", needs_data=False, reads="own")
def l2_norm(net: nn.Module, x: torch.Tensor) -> float:
    """Σ over conv/linear layers of ‖W‖₂ (NASLib)."""
    return float(sum(w.detach().double().norm() for w in scored_weights(net).values()))


def _loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return functional.cross_entropy(net(x), y.to(x.device))


def _labels(y: torch.Tensor | None, name: str) -> torch.Tensor:
    if y is None:
        raise ValueError(f"{name} needs the batch's labels: it has none")
    return y


@proxy("fisher", needs_data=True, needs_labels=True, reads="backward")
def fisher(result: BackwardPass) -> float:
    """Σ_l Σ_c ½ mean_n (Σ_hw a ∂L/∂a)² · fan_in over conv/linear outputs a (Theis 2018;
    foresight's channel-wise, fan-in-broadcast form)."""
    return float(
        sum(
            float((0.5 * per_sample.pow(2).mean(0)).sum()) * module.weight[0].numel()
            for module, per_sample in result.output_terms
        )
    )


@proxy("grasp", needs_data=True, needs_labels=True, reads="own")
def grasp(net: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
    """Σ −W ⊙ Hg with g = ∂L/∂W and H the Hessian of L (Wang et al. 2020; foresight, T = 1)."""
    y = _labels(y, "grasp")
    weights = list(scored_weights(net).values())
    was_training = net.training
    net.train()
    try:
        with torch.enable_grad():
            first = torch.autograd.grad(_loss(net, x, y), weights, allow_unused=True)
            grads = torch.autograd.grad(
                _loss(net, x, y), weights, create_graph=True, allow_unused=True
            )
            z = sum(
                (g0.detach() * g).sum()
                for g0, g in zip(first, grads, strict=True)
                if g0 is not None and g is not None
            )
            if not isinstance(z, torch.Tensor) or not z.requires_grad:
                return 0.0  # no weight on a path to the loss
            hg = torch.autograd.grad(z, weights, allow_unused=True)
    finally:
        net.train(was_training)
    return float(
        sum(
            (-w.detach().double() * h.double()).sum()
            for w, h in zip(weights, hg, strict=True)
            if h is not None
        )
    )
