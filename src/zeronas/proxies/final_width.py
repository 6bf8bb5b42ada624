"""``final_width``: the channels of the last stage of an ``mcu`` network (after the width
multiplier): the features its last spatial layers compute before the optional 1x1 head
and the pool. Higher is better. A size statistic like ``params``, exact and free (it
reads the architecture, ``net.arch``).

Tested as a hypothesis and refuted: across 81 networks of the space trained 5 epochs on
9,000 CIFAR-10 images it ranked them with Kendall τ .50, but as the re-ranker of a MACs
search's 20 fittest its picks averaged 50.5 % against 53.8 % for the default
(docs/mcu-defaults.md). Kept so that row can be reproduced.
"""

from __future__ import annotations

from collections.abc import Hashable

import torch
from torch import nn

from zeronas.errors import ZeroNASError
from zeronas.proxies.base import proxy

__all__ = ["final_width", "final_stage_width"]


def final_stage_width(arch: Hashable) -> float:
    """The last stage's channels after the multiplier (an ``mcu`` arch: ``widths``)."""
    widths = getattr(arch, "widths", None)
    if not widths:
        raise ZeroNASError(f"proxy 'final_width' needs an mcu arch, got {arch!r}")
    return float(widths[-1])


@proxy(
    "final_width", init_dependent=False, reads="arch", arch_fn=final_stage_width,
    spaces=("mcu",),
)  # fmt: skip
def final_width(net: nn.Module, x: torch.Tensor) -> float:
    """Channels of the last stage, after the width multiplier (mcu space only)."""
    return final_stage_width(getattr(net, "arch", None))
