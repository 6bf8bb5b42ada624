"""Counting what a network holds and does, from shapes alone: parameters, parameter bytes,
FLOPs (``torch.utils.flop_counter``: 2 per multiply-accumulate) and the peak of live
activations in an eager forward of one image. The cost proxies (:mod:`zeronas.proxies.cost`,
:mod:`zeronas.proxies.memory`) and the cost model (:mod:`zeronas.hardware.costs`) read them.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode

__all__ = [
    "LiveActivations",
    "count_flops",
    "count_params",
    "parameter_bytes",
    "peak_activation_bytes",
    "probe_forward",
]


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def parameter_bytes(net: nn.Module) -> int:
    """Σ numel x element size over all parameters."""
    return sum(p.numel() * p.element_size() for p in net.parameters())


def count_flops(net: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of a forward pass on one input of ``input_shape`` (C, H, W)."""
    counter = FlopCounterMode(display=False)
    with counter:
        probe_forward(net, (1, *input_shape))
    return int(counter.get_total_flops())


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
        with torch.inference_mode():
            return net(torch.zeros(input_shape, device=device))
    finally:
        net.train(was_training)


class LiveActivations(TorchDispatchMode):
    """Tracks the bytes of live tensor storages created inside the mode (plus the ones
    ``track``-ed by hand) and the peak of their sum."""

    def __init__(self, ignore: set[int]) -> None:
        super().__init__()
        self.ignore = ignore  # storage addresses of parameters and buffers
        self.live: dict[int, list[int]] = {}  # storage address -> [bytes, tensors alive]
        self.current = self.peak = 0

    def track(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        address = storage.data_ptr()
        if address in self.ignore or storage.nbytes() == 0:
            return
        entry = self.live.get(address)
        if entry is None:
            entry = self.live[address] = [storage.nbytes(), 0]
            self.current += entry[0]
            self.peak = max(self.peak, self.current)
        entry[1] += 1
        weakref.finalize(tensor, self._release, address)

    def _release(self, address: int) -> None:
        entry = self.live.get(address)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            self.current -= entry[0]
            del self.live[address]

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple = (), kwargs: Mapping | None = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        outputs, _ = tree_flatten(out)
        inputs = {id(t) for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
        for tensor in outputs:
            if isinstance(tensor, torch.Tensor) and id(tensor) not in inputs:
                self.track(tensor)  # an in-place op returns its input: already tracked
        return out


def peak_activation_bytes(net: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Peak bytes of live activations in an eval-mode, no-grad forward of one image."""
    ignore = {t.untyped_storage().data_ptr() for t in [*net.parameters(), *net.buffers()]}
    param = next(iter(net.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = net.training
    net.eval()
    mode = LiveActivations(ignore)
    try:
        x = torch.zeros((1, *input_shape), device=device)
        with torch.no_grad(), mode:
            mode.track(x)
            output = net(x)
        del output, x
    finally:
        net.train(was_training)
    return mode.peak
