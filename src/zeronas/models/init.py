"""Seeded weight initialisation schemes applied before a proxy runs, and the device check."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.errors import ZeroNASError

__all__ = [
    "INIT_SCHEMES",
    "check_init_scheme",
    "check_device",
    "initialise",
    "preserved",
    "redraw",
    "reinitialised",
]

#: ``kaiming``: Kaiming-normal, fan_out, ReLU gain for conv and linear weights, zero biases,
#: BN γ = 1 and β = 0 -- FreeREA's and TE-NAS's set-up.
#: ``kaiming_fan_in``: the same with fan_in -- AZ-NAS's and VKDNW's set-up.
#: ``normal``: conv and linear weights N(0, 1), zero biases, BN γ = 1 and β = 0 -- Zen-NAS's
#: and SWAP's set-up.
#: ``pytorch``: each module's own ``reset_parameters`` (PyTorch defaults, as NASWOT used).
INIT_SCHEMES = ("kaiming", "kaiming_fan_in", "normal", "pytorch")


def check_init_scheme(scheme: str) -> str:
    """``scheme`` if it is one of :data:`INIT_SCHEMES`, else a ZeroNASError naming it."""
    if scheme not in INIT_SCHEMES:
        raise ZeroNASError(f"Unknown init scheme {scheme!r}. Allowed: {', '.join(INIT_SCHEMES)}")
    return scheme


def check_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch device if this machine has it, else a ZeroNASError naming it."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ZeroNASError(f"Unknown device {device!r}: use cpu, cuda or cuda:N") from exc
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ZeroNASError(f"Device {device!r} asked for, but torch sees no CUDA device")
        if parsed.index is not None and parsed.index >= count:
            raise ZeroNASError(f"Device {device!r} asked for, but torch sees {count} CUDA devices")
    elif parsed.type != "cpu":
        raise ZeroNASError(f"Unsupported device {device!r}: use cpu, cuda or cuda:N")
    return parsed


def _plain(net: nn.Module) -> bool:
    """Every tensor of ``net`` on the CPU in the standard (contiguous) layout."""
    return all(t.device.type == "cpu" and t.is_contiguous() for t in net.state_dict().values())


def _draw(weight: torch.Tensor, fill: Callable[[torch.Tensor], object]) -> None:
    """``fill`` ``weight`` in place as if it were a contiguous CPU tensor: the random
    generators fill memory in storage order, so a channels-last or CUDA tensor would get other
    values for the same seed."""
    if weight.device.type == "cpu" and weight.is_contiguous():
        fill(weight)
    else:
        standard = torch.empty(weight.shape, dtype=weight.dtype)
        fill(standard)
        weight.copy_(standard)


def initialise(net: nn.Module, scheme: str = "kaiming", seed: int = 0) -> nn.Module:
    """Re-initialise ``net`` in place, reproducibly from ``seed``; returns it. The weights are
    drawn on the CPU in the standard layout, so a seed gives the same values whatever the
    network's device and memory format."""
    check_init_scheme(scheme)
    if scheme == "pytorch" and not _plain(net):  # reset_parameters draws into the tensors
        fresh = initialise(copy.deepcopy(net).to("cpu", memory_format=torch.contiguous_format),
                           scheme, seed)  # fmt: skip
        with torch.no_grad():
            net.load_state_dict(fresh.state_dict())
        return net
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for module in net.modules():
            if scheme == "pytorch":
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
            elif isinstance(module, nn.Conv2d | nn.Linear):
                if scheme == "normal":
                    _draw(module.weight, nn.init.normal_)
                else:
                    mode = "fan_in" if scheme == "kaiming_fan_in" else "fan_out"
                    _draw(module.weight, partial(nn.init.kaiming_normal_, mode=mode,
                                                 nonlinearity="relu"))  # fmt: skip
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, _BatchNorm) and module.affine:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
    return net


def redraw(net: nn.Module, scheme: str, seed: int) -> nn.Module:
    """Re-initialise ``net`` with ``scheme`` from ``seed`` (:func:`initialise`: the same weights
    on every device and layout) and reset its BN running statistics (mean 0, variance 1);
    returns it."""
    initialise(net, scheme, seed)
    for module in net.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.reset_running_stats()
    return net


@contextmanager
def preserved(net: nn.Module) -> Iterator[nn.Module]:
    """Within the block ``net`` may be changed freely: its parameters, buffers and train/eval
    mode are restored on exit (proxies leave networks as they found them)."""
    saved = {k: v.detach().clone() for k, v in net.state_dict().items()}
    was_training = net.training
    try:
        yield net
    finally:
        with torch.no_grad():
            net.load_state_dict(saved)
        net.train(was_training)


@contextmanager
def reinitialised(net: nn.Module, scheme: str, seed: int) -> Iterator[nn.Module]:
    """Within the block ``net`` carries :func:`redraw`'s weights; restored on exit. For
    proxies whose reference protocol draws its own weights (Zen-NAS, SWAP, AZ-NAS, VKDNW)."""
    with preserved(net):
        yield redraw(net, scheme, seed)
