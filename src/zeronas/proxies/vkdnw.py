"""VKDNW: Tybl & Neumann, "Training-free Neural Architecture Search through Variance of
Knowledge of Deep Network Weights", CVPR 2025 (arXiv:2502.04975); VKDNW
``NB201/ZeroShotProxy/compute_vkdnw_score.py`` (Table-1 code, ``779a3a8``).

The network is set to eval mode with fresh BN statistics (so BN is the identity up to
1/√(1 + 10⁻⁵)), weights Kaiming-normal fan_in, input N(0, 1) of 64 images at the run's
image size. θ = the first flattened entry of each of the first 128 parameter
tensors in registration order. Per image b, J_b = ∂ logits / ∂θ (C x P). With
p = (1 − α) softmax(logits) + α / C, α = 0.05 as float16 (0.04998779…), and L the
lower-triangular factor with L Lᵀ = diag(p) − p pᵀ (the reference's closed form),

.. math::

    F = \\operatorname{mean}_b (L J_b)^\\top (L J_b), \\quad
    q_k = \\operatorname{quantile}(\\lambda(F), k/10),\\ k = 1..9, \\quad
    t = q / (\\lVert q \\rVert_1 + 10^{-10}), \\quad
    \\text{VKDNW} = -\\sum_k t_k \\ln(t_k + 10^{-10})

(at most ln 9). The reference multiplies L on the left of J, i.e. F uses LᵀL; the textbook
Fisher J_bᵀ (diag p − p pᵀ) J_b uses L Lᵀ: ``fisher=textbook``. ``vkdnw_single`` orders
architectures by (ℵ, VKDNW) lexicographically, ℵ = the number of parameter tensors; as one
number that is ℵ + VKDNW / (ln 9 + 1), which ranks identically. Both read one ``vkdnw``
pass. Label-free; the weights and input are VKDNW's own (seed 0), so the value does not
depend on ``--init`` or the images.
Costs min(C, P) backward (or forward-mode) passes of the batch: about 10x a backward for
10 classes, 100x for 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, jacfwd, jacrev, vmap
from torch.nn import functional

from zeronas.models.init import reinitialised
from zeronas.params import one_of
from zeronas.proxies._protocol import gaussian_input
from zeronas.proxies.base import proxy
from zeronas.proxies.lists import proxy_set
from zeronas.proxies.passes import computed_pass

__all__ = ["FisherPass", "fisher_factor", "fisher_pass", "vkdnw_entropy", "vkdnw", "vkdnw_single"]

ALPHA = float(torch.tensor(0.05, dtype=torch.float16))  # 0.04998779296875, as stored
BATCH = 64
VKDNW_IMAGES = f"own {BATCH} N(0,1)"
SEED = 0
TENSORS = 128
FISHERS = ("reference", "textbook")


def fisher_factor(logits: torch.Tensor) -> torch.Tensor:
    """Per row of ``logits`` (B x C) the lower-triangular L with L Lᵀ = diag(p) − p pᵀ,
    p = (1 − α) softmax + α / C: L_ii = d_i, L_ij = −p_i d_j / q_j (i > j), with
    q_j = 1 − Σ_{k≤j} p_k and d_j = √(p_j q_j / q_{j−1}) (q_{−1} = 1; the last column 0)."""
    c = logits.shape[1]
    p = torch.softmax(logits.double(), dim=1) * (1 - ALPHA) + ALPHA / c
    q = (1 - torch.cumsum(p, dim=1)).clamp_min(0)
    q[:, -1] = 0
    q_before = torch.cat([torch.ones_like(q[:, :1]), q[:, :-1]], dim=1)
    d = torch.sqrt(p * q / q_before)
    below = -p.unsqueeze(2) / q.unsqueeze(1)  # (i, j) -> -p_i / q_j
    below = torch.nan_to_num(below, nan=0.0, neginf=0.0, posinf=0.0)
    factor = torch.tril(below, diagonal=-1) + torch.eye(c, dtype=p.dtype, device=p.device)
    return factor * d.unsqueeze(1)  # scale column j by d_j


def vkdnw_entropy(eigenvalues: torch.Tensor) -> float:
    """−Σ t ln(t + 1e-10), t the deciles (k/10, k = 1..9, linear interpolation) of the
    eigenvalues normalised to sum 1 (1e-10 added to the sum)."""
    levels = torch.arange(1, 10, dtype=torch.float64) / 10
    q = torch.quantile(eigenvalues.double().cpu(), levels)
    t = q / (q.abs().sum() + 1e-10)
    return float(-(t * torch.log(t + 1e-10)).sum())


def generic_jacobian(net: nn.Module, x: torch.Tensor, names: list[str]) -> torch.Tensor:
    """B x C x P: ∂logits_b / ∂(first entry of each named parameter), eval mode, by
    ``vmap(jacrev)`` over the images (any network)."""
    params = {k: v.detach() for k, v in net.named_parameters()}
    buffers = {k: v.detach() for k, v in net.named_buffers()}
    firsts = torch.stack([params[k].flatten()[0] for k in names])

    def logits(theta: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        values = dict(params)
        for i, k in enumerate(names):
            rest = params[k].flatten()[1:]
            values[k] = torch.cat([theta[i : i + 1], rest]).reshape(params[k].shape)
        return functional_call(net, (values, buffers), (image.unsqueeze(0),)).squeeze(0)

    classes = net(x[:1]).shape[1]
    differentiate = jacrev if classes <= len(names) else jacfwd  # fewer passes
    return vmap(differentiate(logits), in_dims=(None, 0))(firsts, x)


def _first_entry_factor(module: nn.Module, attr: str, inp: torch.Tensor) -> torch.Tensor | None:
    """The tensor m (B x spatial of output channel 0) with ∂out[:, 0] / ∂θ₀ = m for the first
    entry θ₀ of ``module.attr``, given the module's input; None for an unsupported module."""
    if attr == "bias" and isinstance(module, nn.Conv2d | nn.Linear | nn.BatchNorm2d):
        return None  # ∂out[:, 0] / ∂b₀ = 1: handled by the caller
    if isinstance(module, nn.Conv2d) and attr == "weight" and module.padding_mode == "zeros":
        if isinstance(module.padding, str):
            return None
        padded = functional.pad(inp[:, 0], [module.padding[1]] * 2 + [module.padding[0]] * 2)
        out_h = padded.shape[1] - module.dilation[0] * (module.kernel_size[0] - 1) - 1
        out_w = padded.shape[2] - module.dilation[1] * (module.kernel_size[1] - 1) - 1
        rows = slice(0, out_h // module.stride[0] * module.stride[0] + 1, module.stride[0])
        cols = slice(0, out_w // module.stride[1] * module.stride[1] + 1, module.stride[1])
        return padded[:, rows, cols]  # the kernel's first tap
    if isinstance(module, nn.Linear) and attr == "weight":
        return inp[..., 0]
    if isinstance(module, nn.BatchNorm2d) and attr == "weight" and module.running_var is not None:
        return (inp[:, 0] - module.running_mean[0]) / torch.sqrt(module.running_var[0] + module.eps)
    raise NotImplementedError


def activation_jacobian(net: nn.Module, x: torch.Tensor, names: list[str]) -> torch.Tensor | None:
    """:func:`generic_jacobian` from one eval-mode forward and one input-gradient backward per
    class: for the first entry of a conv, linear or BN weight (or bias) the per-image
    derivative is channel 0 of ∂logit/∂output times the matching input values (or 1), summed
    over positions. None when a named parameter is not of such a module (or a module runs
    twice), so the caller falls back to the generic path."""
    modules = dict(net.named_modules())
    owners: list[tuple[nn.Module, str]] = []
    for name in names:
        module_name, _, attr = name.rpartition(".")
        module = modules.get(module_name)
        if not isinstance(module, nn.Conv2d | nn.Linear | nn.BatchNorm2d):
            return None
        if isinstance(module, nn.BatchNorm2d) and module.running_var is None:
            return None  # eval-mode BN without running statistics couples the images
        owners.append((module, attr))
    calls: dict[nn.Module, list[tuple[torch.Tensor, torch.Tensor]]] = {m: [] for m, _ in owners}

    def keep(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        calls[module].append((args[0].detach(), output))

    handles = [m.register_forward_hook(keep) for m in calls]
    try:
        with torch.enable_grad():
            logits = net(x.detach().requires_grad_(True))
    finally:
        for handle in handles:
            handle.remove()
    if any(len(c) != 1 for c in calls.values()):
        return None
    try:
        factors = [_first_entry_factor(m, attr, calls[m][0][0]) for m, attr in owners]
    except NotImplementedError:
        return None
    unique = list(calls)
    outputs = [calls[m][0][1] for m in unique]
    position = {m: i for i, m in enumerate(unique)}
    columns = []
    for c in range(logits.shape[1]):
        grads = torch.autograd.grad(
            logits[:, c].sum(), outputs, retain_graph=c + 1 < logits.shape[1], allow_unused=True
        )
        row = []
        for (module, _), factor in zip(owners, factors, strict=True):
            g = grads[position[module]]
            if g is None:
                row.append(x.new_zeros(len(x)))
                continue
            g0 = g[..., 0] if isinstance(module, nn.Linear) else g[:, 0]
            value = g0 if factor is None else g0 * factor
            row.append(value.reshape(len(x), -1).sum(1))
        columns.append(torch.stack(row, dim=1))
    return torch.stack(columns, dim=1).detach()  # B x C x P


@dataclass(frozen=True)
class FisherPass:
    """The per-image Jacobians J (B x C x P, float64) over one entry per parameter tensor,
    the Fisher factors L (B x C x C), and ℵ, the network's number of parameter tensors."""

    jacobian: torch.Tensor
    factor: torch.Tensor
    tensor_count: int

    def spectrum(self, fisher: str = "reference") -> torch.Tensor:
        """The singular values of mean_b (L J_b)ᵀ(L J_b) (``reference``) or of
        mean_b J_bᵀ L Lᵀ J_b (``textbook``)."""
        if fisher not in FISHERS:
            raise ValueError(f"vkdnw fisher must be one of {', '.join(FISHERS)}, got {fisher!r}")
        if fisher == "textbook":
            cov = self.factor @ self.factor.transpose(1, 2)  # diag(p) − p pᵀ
            matrix = (self.jacobian.transpose(1, 2) @ cov @ self.jacobian).mean(0)
        else:
            weighted = self.factor @ self.jacobian  # the reference's L J
            matrix = (weighted.transpose(1, 2) @ weighted).mean(0)
        try:
            return torch.linalg.svdvals(matrix)
        except torch.linalg.LinAlgError:  # as the reference
            return torch.zeros(2, dtype=matrix.dtype)


@computed_pass("vkdnw")
def fisher_pass(net: nn.Module, x: torch.Tensor, _y: torch.Tensor | None = None) -> FisherPass:
    """VKDNW's pass of ``net`` at ``x``'s image size: its own weights and Gaussian batch."""
    inputs = gaussian_input(x, BATCH, SEED)
    with reinitialised(net, "kaiming_fan_in", SEED):
        names = [k for k, _ in net.named_parameters()]
        net.eval()
        with torch.no_grad():
            logits = net(inputs)
        jacobian = activation_jacobian(net, inputs, names[:TENSORS])
        if jacobian is None:
            jacobian = generic_jacobian(net, inputs, names[:TENSORS])
        jacobian = jacobian.double()
    return FisherPass(jacobian, fisher_factor(logits), len(names))


@proxy(
    "vkdnw", init_dependent=False, version=2, reads="vkdnw", images=VKDNW_IMAGES,
    checks={"fisher": one_of(FISHERS)},
)  # fmt: skip
def vkdnw(result: FisherPass, *, fisher: str = "reference") -> float:
    """Entropy of the deciles of the Fisher spectrum over one entry per tensor (VKDNW, 2025)."""
    return vkdnw_entropy(result.spectrum(fisher))


@proxy(
    "vkdnw_single", init_dependent=False, version=2, reads="vkdnw", images=VKDNW_IMAGES,
    checks={"fisher": one_of(FISHERS)},
)  # fmt: skip
def vkdnw_single(result: FisherPass, *, fisher: str = "reference") -> float:
    """ℵ + VKDNW / (ln 9 + 1): the order of (number of parameter tensors, VKDNW) (VKDNW_single)."""
    return result.tensor_count + vkdnw_entropy(result.spectrum(fisher)) / (math.log(9) + 1)


vkdnw_agg = proxy_set(
    "vkdnw_agg",
    ("vkdnw_single", "az_expressivity", "az_trainability", "flops", "jacob_cov"),
    "logrank",
    "VKDNW_agg on NB201 (Tybl & Neumann 2025): Σ ln(rank / N) of VKDNW_single, AZ-NAS's E "
    "and T, FLOPs and jacob_cov over the set being compared.",
)
