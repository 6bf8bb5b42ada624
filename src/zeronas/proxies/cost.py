"""Cost proxies: size and compute, from shapes alone.

``params``: all parameters in millions (as NATS-Bench's ``params``). ``flops``: FLOPs of one
image in millions as counted by ``torch.utils.flop_counter`` (2 per multiply-accumulate).
``macs``: multiply-accumulates in millions = flops / 2 (NATS-Bench and thop call these "FLOPs").
``size_kib``: parameter bytes in KiB (1,024 bytes, as microcontroller flash is quoted), at the
parameters' own dtype (4 bytes each in float32).
"""

from __future__ import annotations

import torch
from torch import nn

from zeronas.hardware.counting import count_flops, count_params, parameter_bytes
from zeronas.proxies.base import PROXIES, proxy

__all__ = ["params", "flops", "macs", "size_kib"]


@proxy("params", needs_data=False, init_dependent=False, reads="shapes")
def params(net: nn.Module, x: torch.Tensor) -> float:
    """Parameters in millions (all nn.Parameters, as NATS-Bench counts them)."""
    return count_params(net) / 1e6


@proxy("flops", needs_data=False, init_dependent=False, reads="shapes")
def flops(net: nn.Module, x: torch.Tensor) -> float:
    """FLOPs per image in millions (torch.utils.flop_counter: 2 per multiply-accumulate)."""
    return count_flops(net, tuple(x.shape[1:])) / 1e6


@proxy("macs", needs_data=False, init_dependent=False, reads="shapes")
def macs(net: nn.Module, x: torch.Tensor) -> float:
    """Multiply-accumulates per image in millions (NATS-Bench's and thop's "FLOPs")."""
    return count_flops(net, tuple(x.shape[1:])) / 2e6


@proxy("size_kib", needs_data=False, init_dependent=False, reads="shapes")
def size_kib(net: nn.Module, x: torch.Tensor) -> float:
    """Parameter bytes / 1024 (the stored model's size: 4 bytes per float32 parameter)."""
    return parameter_bytes(net) / 1024


PROXIES.rename("size_kb", "size_kib")  # "kB" meant three units; this one is KiB
