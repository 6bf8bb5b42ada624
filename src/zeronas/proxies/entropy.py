"""MAE-DET entropy, classification variant: Sun et al., "MAE-DET: Revisiting Maximum
Entropy Principle in Zero-Shot NAS for Efficient Object Detection", ICML 2022
(arXiv:2111.13336); used by Hsieh's hybrid.

The network is scored as a linear Gaussian map: conv and linear weights ~ N(0, 1), biases 0,
every BatchNorm and every activation skipped (identity), input ~ N(0, 1) of B = 32 images.
Each convolution's output is divided by its standard deviation σ_l as it is computed, so the
log-product of the σ_l accumulates without overflow:

.. math::

    \\text{entropy} = \\sum_l \\log \\sigma_l + \\log C_{final}

summed over every convolution up to the final pre-pooling feature map, C_final its channel
count (MAE-DET's classification weights [0, 0, 0, 0, 1]: only the last stage counts, and
its cumulative sum covers every earlier layer). Averaged over 4 draws of weights and input
(seeds 0-3), so the value does not depend on the scorer's initialisation. A convolution that
receives no signal (a branch fed only by ``none`` edges) adds nothing; a network whose output
does not depend on its input scores −inf.

Adaptation, not the reference: MAE-DET re-normalises per block of its own block API; on
NAS-Bench-201 the "layers" are every ``nn.Conv2d`` (each nor_conv, the reduction blocks'
convs and their shortcut conv), and cell sums, pooling and skips pass through unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.proxies._hooks import identity_forward
from zeronas.proxies.base import proxy

__all__ = ["ACTIVATIONS", "entropy_score", "entropy"]

#: Activations skipped in the scoring pass.
ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.Hardsigmoid)
BATCH, REPEATS = 32, 4


def entropy_score(net: nn.Module, input_shape: tuple[int, ...], seed: int = 0) -> float:
    """Σ log σ_l + log C_final for one draw of Gaussian weights and input from ``seed``."""
    param = next(iter(net.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, module in net.named_modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            prefix = f"{name}." if name else ""
            weight = torch.randn(module.weight.shape, generator=generator)
            state[prefix + "weight"] = weight.to(device)
            if module.bias is not None:
                state[prefix + "bias"] = torch.zeros_like(module.bias)
    x = torch.randn((BATCH, *input_shape), generator=generator).to(device)
    log_std = 0.0
    channels = 0

    def renormalise(module: nn.Module, _args: tuple, output: torch.Tensor) -> torch.Tensor:
        nonlocal log_std, channels
        std = float(output.std())
        if not std > 0:  # a dead branch (fed only by `none` edges): it adds nothing
            return output
        log_std += math.log(std)
        channels = output.shape[1]
        return output / std

    skipped = [m for m in net.modules() if isinstance(m, (_BatchNorm, *ACTIVATIONS))]
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    handles = [conv.register_forward_hook(renormalise) for conv in convs]
    try:
        with identity_forward(skipped), torch.no_grad():
            output = functional_call(net, state, (x,), strict=False)
    finally:
        for handle in handles:
            handle.remove()
    if not channels or not float(output.std()) > 0:  # the output ignores the input
        return -math.inf
    return log_std + math.log(channels)


# version 2: dead branches add nothing and a cut network scores -inf (commit 794cb30)
@proxy(
    "entropy", needs_data=False, init_dependent=False, version=2,
    images=f"own {BATCH} N(0,1)",
)  # fmt: skip
def entropy(net: nn.Module, x: torch.Tensor) -> float:
    """MAE-DET: Σ log σ of each conv output in a BN-free, activation-free Gaussian pass."""
    values = [entropy_score(net, tuple(x.shape[1:]), seed) for seed in range(REPEATS)]
    return sum(values) / len(values)
