"""Helpers shared by proxies: activation hooks, the shared forward pass and shape-probing
forwards."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

__all__ = [
    "HOOKED_ACTIVATIONS",
    "ForwardReader",
    "hook_activations",
    "activation_hooks",
    "read_forward",
    "hooked_forward",
    "shapes_only_convs",
    "patched_forward",
    "identity_forward",
]

#: The activations naswot codes and relu_count counts: ``nn.ReLU`` modules as in NB201,
#: NASWOT and FreeREA, and the mobile blocks' ``nn.ReLU6``, ``nn.Hardswish`` and ``nn.GELU``
#: (functional calls such as ``F.relu`` are not seen). Every one is coded by the sign of its
#: input, 1[x > 0]: for ReLU and ReLU6 that is "the unit passes its input" (ReLU6's second
#: kink, at 6, is not coded); for the smooth GELU and hardswish it is the half-line where
#: they are near the identity rather than near zero.
HOOKED_ACTIVATIONS: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.GELU)


class ForwardReader(Protocol):
    """What one proxy reads from the forward pass it shares with others.

    ``attach`` registers the reader's hooks on ``net`` and returns their handles; after one
    train-mode no-grad forward of the batch, ``result`` gives the proxy's value.
    """

    def attach(self, net: nn.Module) -> list[RemovableHandle]: ...

    def result(self) -> float: ...


def hook_activations(
    net: nn.Module,
    on_input: Callable[[torch.Tensor], None],
    types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS,
) -> list[RemovableHandle]:
    """Call ``on_input(x)`` with the input of every call of a hooked activation; returns the
    hooks' handles.

    The input is taken before the call, so an in-place activation is seen unrectified; for
    ReLU-like activations ``x > 0`` and ``act(x) > 0`` are the same bits.
    """
    modules = [m for m in net.modules() if isinstance(m, types)]
    return [m.register_forward_pre_hook(lambda _m, args: on_input(args[0])) for m in modules]


@contextmanager
def activation_hooks(
    net: nn.Module,
    on_input: Callable[[torch.Tensor], None],
    types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS,
) -> Iterator[None]:
    """:func:`hook_activations` for the duration of the block."""
    handles = hook_activations(net, on_input, types)
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def read_forward(
    net: nn.Module, x: torch.Tensor, readers: Sequence[ForwardReader], results: bool = True
) -> list[float]:
    """One train-mode (batch-statistics BN), no-grad forward of ``x`` serving every reader;
    their results in order (none with ``results=False``: the caller asks each reader for its
    result, timing its own work). The network's mode is restored and every hook removed.

    (Plain ``no_grad`` rather than ``inference_mode``: naswot reuses the codes of a tensor
    seen twice only while its version counter is unchanged, and inference tensors have none;
    on NATS-TSS the two run at the same speed.)
    """
    hooked_forward(net, x, lambda: [h for reader in readers for h in reader.attach(net)])
    return [reader.result() for reader in readers] if results else []


def hooked_forward(
    net: nn.Module, x: torch.Tensor, register: Callable[[], list[RemovableHandle]]
) -> None:
    """One train-mode (batch-statistics BN), no-grad forward of ``x`` with the hooks that
    ``register()`` adds; they are removed and the network's mode restored afterwards."""
    handles: list[RemovableHandle] = []
    was_training = net.training
    net.train()
    try:
        handles = register()
        with torch.no_grad():
            net(x)
    finally:
        for handle in handles:
            handle.remove()
        net.train(was_training)


def _conv_output(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """Zeros of the shape ``conv(x)`` would have: floor((n + 2p - d(k - 1) - 1) / s) + 1."""
    size = []
    for i, n in enumerate(x.shape[-2:]):
        if conv.padding == "same":
            size.append(n)
            continue
        pad = 0 if conv.padding == "valid" else conv.padding[i]
        k, s, d = conv.kernel_size[i], conv.stride[i], conv.dilation[i]
        size.append((n + 2 * pad - d * (k - 1) - 1) // s + 1)
    return x.new_zeros(*x.shape[:-3], conv.out_channels, *size)


@contextmanager
def patched_forward(
    modules: Sequence[nn.Module], forward: Callable[[nn.Module], Callable[..., torch.Tensor]]
) -> Iterator[None]:
    """Within the block each of ``modules`` runs ``forward(module)`` instead of its own
    ``forward``; restored on exit (proxies leave networks as they found them)."""
    missing = object()
    saved = [module.__dict__.get("forward", missing) for module in modules]
    for module in modules:
        module.forward = forward(module)
    try:
        yield
    finally:
        for module, previous in zip(modules, saved, strict=True):
            if previous is missing:
                del module.forward
            else:
                module.forward = previous


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def identity_forward(modules: Sequence[nn.Module]) -> contextlib.AbstractContextManager[None]:
    """:func:`patched_forward` making each of ``modules`` the identity."""
    return patched_forward(modules, lambda _module: _identity)


def shapes_only_convs(net: nn.Module) -> contextlib.AbstractContextManager[None]:
    """Within the block every ``nn.Conv2d`` of ``net`` returns zeros of its output shape
    instead of convolving: for counting activations, where only shapes matter and the
    convolutions are nearly all of a forward pass's cost."""
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    return patched_forward(convs, lambda conv: lambda x: _conv_output(conv, x))
