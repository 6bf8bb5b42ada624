"""Seeded weight initialisation schemes applied before a proxy runs, and the device check."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.errors import ZeroNASError

__all__ = ["INIT_SCHEMES", "check_init_scheme", "check_device", "initialise"]

#: ``kaiming``: Kaiming-normal, fan_out, ReLU gain for conv and linear weights, zero biases,
#: BN γ = 1 and β = 0 -- FreeREA's and TE-NAS's set-up (REFERENCES.md §5, §8).
#: ``pytorch``: each module's own ``reset_parameters`` (PyTorch defaults, as NASWOT used).
INIT_SCHEMES = ("kaiming", "pytorch")


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


def initialise(net: nn.Module, scheme: str = "kaiming", seed: int = 0) -> nn.Module:
    """Re-initialise ``net`` in place, reproducibly from ``seed``; returns it."""
    check_init_scheme(scheme)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for module in net.modules():
            if scheme == "pytorch":
                if hasattr(module, "reset_parameters"):
                    module.reset_parameters()
            elif isinstance(module, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, _BatchNorm) and module.affine:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
    return net
