"""Peak activation memory: the microcontroller RAM bound of TinyML (seed 004, DESIGN §3).

``peak_memory`` = the largest total size, in KiB (1,024 bytes), of the activation tensors
alive at any moment of an eager, no-grad, eval-mode forward of one image: the input, every
op's output until the Python code drops its last reference (in-place ops and views share
their storage and count once). Parameters and buffers are not counted. This is the memory an
eager PyTorch forward really holds; an optimising MCU runtime that reorders or fuses ops can
do better.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from zeronas.proxies.base import proxy

__all__ = ["LiveActivations", "peak_activation_bytes", "peak_memory"]


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


@proxy("peak_memory", needs_data=False, init_dependent=False, reads="shapes")
def peak_memory(net: nn.Module, x: torch.Tensor) -> float:
    """Largest live activation set (KiB) in an eager forward of one image (MCU RAM bound)."""
    return peak_activation_bytes(net, tuple(x.shape[1:])) / 1024
