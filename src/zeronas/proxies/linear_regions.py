"""Number of linear regions: Chen, Gong & Wang, TE-NAS (ICLR 2021, arXiv:2102.11535) §3.2.
NATS-TSS only: this is TE-NAS's **thin-network variant**.

A ReLU network is piecewise linear; each input x falls in the region fixed by the on/off
pattern of every ReLU, ``c(x) = [ReLU_l(x) > 0]_l``. Over a sample X the proxy counts the
regions it visits:

.. math::

    R = |\\{ c(x) : x \\in X \\}|        \\qquad \\text{(higher is better)}

as TE-NAS counts them (``LinearRegionCount``, Σ over samples of 1 / multiplicity of its
pattern), on what TE-NAS counts them on (``prune_tenas.py``, ``model_config_thin``):

- the network is one cell of the architecture at width C = 1, no stem, then BN-ReLU, global
  pooling and the classifier; Kaiming-normal fan_in weights, BN γ = 1, β = 0, train mode;
- X is 3 batches of 1,000 one-channel 3 x 3 crops of the images (random image, channel and
  position), patterns pooled over the 3,000 samples;
- the patterns are the outputs of every ``nn.ReLU`` module fed a 4-d map (each conv op's
  ReLU and the final BN-ReLU);
- averaged over 3 draws of weights and crops (TE-NAS ``--repeat 3``), seeds 0, 1, 2.

The value does not depend on the full network's initialisation, only on its architecture
and the images.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from zeronas.errors import ZeroNASError
from zeronas.models.nb201 import CellNetwork
from zeronas.proxies.base import proxy

__all__ = ["thin_network", "random_crops", "count_linear_regions", "linear_regions"]

CROP, SAMPLES, BATCHES, REPEATS = 3, 1000, 3, 3


def thin_network(arch: Any, num_classes: int) -> CellNetwork:
    """TE-NAS's thin network: one cell of ``arch`` at C = 1 on a 1-channel input, no stem."""
    if not callable(getattr(arch, "node_edges", None)):
        raise ZeroNASError(
            f"proxy 'linear_regions' (TE-NAS thin-network variant) needs a NATS-TSS cell, "
            f"got arch {arch!r}"
        )
    return CellNetwork(1, [[(arch.node_edges(), 1, 1)]], [], num_classes, in_channels=1, stem=False)


def _init_fan_in(net: nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(
                    module.weight, mode="fan_in", nonlinearity="relu", generator=generator
                )
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, _BatchNorm) and module.affine:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)


def random_crops(x: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """``count`` one-channel CROP x CROP patches of the images ``x`` (N x C x H x W): random
    image, channel and top-left corner each; shape count x 1 x CROP x CROP."""
    n, c, h, w = x.shape
    if h < CROP or w < CROP:
        raise ZeroNASError(f"linear_regions needs images of at least {CROP}x{CROP}, got {h}x{w}")
    image = torch.randint(n, (count,), generator=generator)
    channel = torch.randint(c, (count,), generator=generator)
    top = torch.randint(h - CROP + 1, (count,), generator=generator)
    left = torch.randint(w - CROP + 1, (count,), generator=generator)
    offsets = torch.arange(CROP)
    rows = (top[:, None] + offsets)[:, :, None].expand(count, CROP, CROP)
    cols = (left[:, None] + offsets)[:, None, :].expand(count, CROP, CROP)
    images = x.detach().cpu().float()
    patches = images[image[:, None, None], channel[:, None, None], rows, cols]
    return patches.unsqueeze(1)


def count_linear_regions(net: nn.Module, batches: list[torch.Tensor]) -> int:
    """Distinct sign patterns of the ``nn.ReLU`` outputs over all samples of ``batches``
    (one train-mode forward per batch, as TE-NAS's collector)."""
    outputs: list[torch.Tensor] = []

    def keep(_module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        if args[0].dim() == 4:
            outputs.append((output > 0).flatten(1))

    handles = [m.register_forward_hook(keep) for m in net.modules() if isinstance(m, nn.ReLU)]
    patterns = []
    was_training = net.training
    net.train()
    try:
        with torch.no_grad():
            for batch in batches:
                outputs.clear()
                net(batch)
                if outputs:
                    patterns.append(torch.cat(outputs, dim=1))
    finally:
        net.train(was_training)
        for handle in handles:
            handle.remove()
    if not patterns:  # no ReLU at all: the network is linear, one region
        return 1
    return int(torch.unique(torch.cat(patterns), dim=0).shape[0])


def linear_regions_score(arch: Any, num_classes: int, x: torch.Tensor, seed: int) -> int:
    """R for one draw (thin-network weights and crops) from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    net = thin_network(arch, num_classes)
    _init_fan_in(net, generator)
    crops = random_crops(x, SAMPLES * BATCHES, generator)
    return count_linear_regions(net, list(crops.split(SAMPLES)))


@proxy(
    "linear_regions", needs_data=True, init_dependent=False,
    images="3,000 3x3 crops", spaces=("nats-tss",),
)  # fmt: skip
def linear_regions(net: nn.Module, x: torch.Tensor) -> float:
    """Distinct ReLU patterns of 3,000 3x3 crops on the 1-cell C=1 network (TE-NAS)."""
    arch = getattr(net, "arch", None)
    classes = net.classifier.out_features if isinstance(net, CellNetwork) else 1
    counts = [linear_regions_score(arch, classes, x, seed) for seed in range(REPEATS)]
    return sum(counts) / len(counts)
