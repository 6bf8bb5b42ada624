"""Peak activation memory: the microcontroller RAM bound of TinyML (Singh).

``peak_memory`` = the largest total size, in KiB (1,024 bytes), of the activation tensors
alive at any moment of an eager, no-grad, eval-mode forward of one image: the input, every
op's output until the Python code drops its last reference (in-place ops and views share
their storage and count once). Parameters and buffers are not counted. This is the memory an
eager PyTorch forward really holds; an optimising MCU runtime that reorders or fuses ops can
do better.
"""

from __future__ import annotations

import torch
from torch import nn

from zeronas.hardware.counting import peak_activation_bytes
from zeronas.proxies.base import proxy

__all__ = ["peak_memory"]


@proxy("peak_memory", needs_data=False, init_dependent=False, reads="shapes")
def peak_memory(net: nn.Module, x: torch.Tensor) -> float:
    """Largest live activation set (KiB) in an eager forward of one image (MCU RAM bound)."""
    return peak_activation_bytes(net, tuple(x.shape[1:])) / 1024
