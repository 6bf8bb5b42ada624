"""Helpers shared by proxies: activation hooks and shape-probing forwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["HOOKED_ACTIVATIONS", "activation_hooks", "probe_forward", "shapes_only_convs"]

#: The activations naswot codes and relu_count counts: ``nn.ReLU`` modules, as in NB201,
#: NASWOT and FreeREA (functional ``F.relu`` calls are not seen).
HOOKED_ACTIVATIONS: tuple[type[nn.Module], ...] = (nn.ReLU,)


@contextmanager
def activation_hooks(
    net: nn.Module,
    on_input: Callable[[torch.Tensor], None],
    types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS,
) -> Iterator[int]:
    """Call ``on_input(x)`` with the input of every call of a hooked activation.

    The input is taken before the call, so an in-place activation is seen unrectified; for
    ReLU-like activations ``x > 0`` and ``act(x) > 0`` are the same bits. Yields the number of
    hooked modules; the hooks are removed on exit.
    """
    modules = [m for m in net.modules() if isinstance(m, types)]
    handles = [m.register_forward_pre_hook(lambda _m, args: on_input(args[0])) for m in modules]
    try:
        yield len(modules)
    finally:
        for handle in handles:
            handle.remove()


def probe_forward(net: nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """One eval-mode, no-grad forward of an all-zeros input of ``input_shape``.

    Used where only shapes matter (counting activations, FLOPs): no images are needed, BN
    running statistics are not updated, and the network's train/eval mode is restored.
    (Meta-device tensors would avoid the arithmetic, but their Python shape functions are
    ten times slower than a real batch-of-one forward on CPU.)
    """
    param = next(iter(net.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            return net(torch.zeros(input_shape, device=device))
    finally:
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
def shapes_only_convs(net: nn.Module) -> Iterator[None]:
    """Within the block every ``nn.Conv2d`` of ``net`` returns zeros of its output shape
    instead of convolving: for counting activations, where only shapes matter and the
    convolutions are nearly all of a forward pass's cost."""
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    missing = object()
    saved = [conv.__dict__.get("forward", missing) for conv in convs]
    for conv in convs:
        conv.forward = lambda x, conv=conv: _conv_output(conv, x)
    try:
        yield
    finally:
        for conv, previous in zip(convs, saved, strict=True):
            if previous is missing:
                del conv.forward
            else:
                conv.forward = previous
