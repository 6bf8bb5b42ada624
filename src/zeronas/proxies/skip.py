"""FreeREA's skip prior (Cavagnero et al. 2022, ``nas_spaces/nats.py``), NATS-TSS only.

For every ``skip_connect`` edge i -> j it counts the nodes the edge bypasses, j − i − 1
(0 for adjacent nodes, 2 for 0 -> 3), and returns their mean; 0 when the cell has no skip
edge. Higher is better. It reads the architecture the network was built from (``net.arch``).
"""

from __future__ import annotations

from collections.abc import Hashable

import torch
from torch import nn

from zeronas.errors import ZeroNASError
from zeronas.proxies.base import proxy

__all__ = ["skip_score", "skip"]


def skip_score(arch: Hashable) -> float:
    """The mean span of ``arch``'s skip edges (a NATS-TSS cell: ``node_edges()``)."""
    if not callable(getattr(arch, "node_edges", None)):
        raise ZeroNASError(f"proxy 'skip' needs a NATS-TSS cell, got arch {arch!r}")
    spans = [
        target - source - 1
        for target, pairs in enumerate(arch.node_edges(), start=1)
        for op, source in pairs
        if op == "skip_connect"
    ]
    return sum(spans) / len(spans) if spans else 0.0


@proxy("skip", init_dependent=False, reads="arch", arch_fn=skip_score, spaces=("nats-tss",))
def skip(net: nn.Module, x: torch.Tensor) -> float:
    """Mean number of nodes bypassed by skip edges, 0 without any (FreeREA, NATS-TSS only)."""
    return skip_score(getattr(net, "arch", None))
