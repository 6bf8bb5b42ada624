"""NTK condition number: Chen, Gong & Wang, "Neural Architecture Search on ImageNet in Four
GPU Hours: A Theoretically Inspired Perspective" (TE-NAS), ICLR 2021 (arXiv:2102.11535);
used by Hsieh's hybrid.

One batched forward of the K images in train mode (BN couples the samples through the batch
statistics), then for each sample i the gradient of its summed logits s_i = Σ_c f(x)_ic with
respect to every parameter whose name contains ``weight`` (conv, linear and BN γ; no biases,
no BN β) -- row i of J, back-propagated through the shared graph. With Θ = J Jᵀ (K x K,
float64) and λ its eigenvalues in ascending order (``torch.linalg.eigvalsh``):

.. math::

    \\kappa = \\lambda_{max} / \\lambda_{min}    \\qquad \\text{(lower is better)}

A non-positive λ_min (Θ singular within float64) is an error, never a negative κ.
TE-NAS uses Kaiming-normal fan_out, batch 64-72 and 3 repeats: ``--init kaiming --repeats 3``.
"""

from __future__ import annotations

import torch
from torch import nn

from zeronas.proxies._protocol import layout_of
from zeronas.proxies.base import proxy

__all__ = ["ntk_matrix", "ntk_cond"]


def ntk_matrix(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Θ = J Jᵀ (float64) of the summed logits of each sample of ``x`` w.r.t. the weights.

    The K rows of J are K backward passes through the one batched graph: a loop on the CPU
    (faster there), one vectorised backward (``is_grads_batched``) on a GPU, with TF32 off.
    """
    layout = layout_of(x)
    if x.device.type != "cpu" and layout is torch.channels_last:
        net.to(memory_format=torch.contiguous_format)  # restored below
        x = x.contiguous()
    weights = [p for name, p in net.named_parameters() if "weight" in name and p.requires_grad]
    was_training = net.training
    net.train()
    try:
        with torch.enable_grad(), torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            sums = net(x).sum(dim=1)
            k = len(sums)
            if sums.device.type == "cpu":
                jacobian = torch.cat([_row(sums, i, weights) for i in range(k)])
            else:  # (vmap cannot batch channels-last tensors: the graph is standard layout)
                eye = torch.eye(k, device=sums.device, dtype=sums.dtype)
                grads = torch.autograd.grad(
                    sums, weights, grad_outputs=eye, is_grads_batched=True, allow_unused=True
                )
                jacobian = _flat(weights, grads, k)
    finally:
        net.train(was_training)
        net.to(memory_format=layout)
    return jacobian @ jacobian.T


def _row(sums: torch.Tensor, i: int, weights: list[torch.Tensor]) -> torch.Tensor:
    """Row i of J: one backward of s_i, keeping the graph for the rows after it."""
    keep = i + 1 < len(sums)
    grads = torch.autograd.grad(sums[i], weights, retain_graph=keep, allow_unused=True)
    return _flat(weights, grads, 1)


def _flat(weights: list[torch.Tensor], grads: tuple, rows: int) -> torch.Tensor:
    """Gradients (None: weight off every path) as ``rows`` float64 rows of J."""
    return torch.cat(
        [
            (torch.zeros((rows, w.numel()), device=w.device) if g is None else g.reshape(rows, -1))
            for w, g in zip(weights, grads, strict=True)
        ],
        dim=1,
    ).double()


@proxy("ntk_cond", higher_is_better=False, needs_data=True)
def ntk_cond(net: nn.Module, x: torch.Tensor) -> float:
    """λmax/λmin of the NTK Θ = J Jᵀ at init, train-mode BN (TE-NAS, Chen et al. 2021)."""
    eigenvalues = torch.linalg.eigvalsh(ntk_matrix(net, x).cpu())
    smallest, largest = float(eigenvalues[0]), float(eigenvalues[-1])
    if not smallest > 0:
        raise ValueError(f"NTK is singular: smallest eigenvalue {smallest:.3g} <= 0")
    return largest / smallest
