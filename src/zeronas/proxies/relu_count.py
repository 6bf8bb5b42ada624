"""ReLU count: Fernandes' proposed metric, trace(K_H) = N_A · K.

K_H's diagonal is N_A (a code agrees with itself everywhere), so its trace is N_A times the
batch size K. N_A -- the code length per sample over exactly the activation calls that
:mod:`naswot` hooks -- depends only on shapes, so it is read off one forward of a single
all-zeros image in which every convolution only computes its output shape: no data, no
K x K matrix, no determinant.
"""

from __future__ import annotations

import torch
from torch import nn

from zeronas.hardware.counting import probe_forward
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS, activation_hooks, shapes_only_convs
from zeronas.proxies.base import proxy

__all__ = ["count_activations", "relu_count"]


def count_activations(
    net: nn.Module,
    input_shape: tuple[int, int, int],
    types: tuple[type[nn.Module], ...] = HOOKED_ACTIVATIONS,
) -> int:
    """N_A: elements per sample over all calls of the hooked activations."""
    counted = 0

    def on_input(inp: torch.Tensor) -> None:
        nonlocal counted
        counted += inp[0].numel()

    with activation_hooks(net, on_input, types), shapes_only_convs(net):
        probe_forward(net, (1, *input_shape))
    return counted


@proxy("relu_count", needs_data=False, init_dependent=False, reads="shapes")
def relu_count(net: nn.Module, x: torch.Tensor) -> float:
    """trace(K_H) = N_A x batch size, from shapes alone (Fernandes)."""
    return float(count_activations(net, tuple(x.shape[1:])) * x.shape[0])
