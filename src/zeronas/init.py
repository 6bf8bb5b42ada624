"""Seeded weight initialisation schemes applied before a proxy runs."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.errors import ZeroNASError

__all__ = ["INIT_SCHEMES", "check_init_scheme", "initialise"]

#: ``kaiming``: Kaiming-normal, fan_out, ReLU gain for conv and linear weights, zero biases,
#: BN γ = 1 and β = 0 -- FreeREA's and TE-NAS's set-up (REFERENCES.md §5, §8).
#: ``pytorch``: each module's own ``reset_parameters`` (PyTorch defaults, as NASWOT used).
INIT_SCHEMES = ("kaiming", "pytorch")


def check_init_scheme(scheme: str) -> str:
    """``scheme`` if it is one of :data:`INIT_SCHEMES`, else a ZeroNASError naming it."""
    if scheme not in INIT_SCHEMES:
        raise ZeroNASError(f"Unknown init scheme {scheme!r}. Allowed: {', '.join(INIT_SCHEMES)}")
    return scheme


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
