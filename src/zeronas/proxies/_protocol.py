"""What the reference protocols of the 2021-2025 proxies share: their own Gaussian input and
the network's block outputs."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["gaussian_input", "block_modules", "layout_of", "pre_pool_module", "repeat_seed"]


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed of repeat ``repeat`` of a proxy seeded ``seed`` (distinct for repeats below
    a million)."""
    return seed * 1_000_003 + repeat


def gaussian_input(x: torch.Tensor, batch: int, seed: int) -> torch.Tensor:
    """N(0, 1) images of ``x``'s channels and size, ``batch`` of them, drawn on the CPU from
    ``seed`` (so a seed gives the same input on every device), in ``x``'s device and layout."""
    if batch < 1:
        raise ValueError(f"the Gaussian batch needs at least one image, got {batch}")
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn((batch, *x.shape[1:]), generator=generator, dtype=x.dtype)
    return images.to(x.device).contiguous(memory_format=layout_of(x))


def layout_of(t: torch.Tensor) -> torch.memory_format:
    """``t``'s memory format: channels-last for a non-contiguous 4-D tensor (NHWC), else the
    standard one."""
    nhwc = t.dim() == 4 and not t.is_contiguous()
    return torch.channels_last if nhwc else torch.contiguous_format


def block_modules(net: nn.Module) -> list[nn.Module]:
    """The stem and every block after it, in order: the modules whose outputs are the
    network's successive feature maps (AZ-NAS's ``extract_cell_features``). Networks with a
    ``stem`` and a ``cells`` or ``blocks`` sequence (NATS-TSS/SSS, the ``blocks`` space) or a
    torchvision-style ``features`` sequence are understood."""
    stem = getattr(net, "stem", None)
    body = getattr(net, "cells", None) or getattr(net, "blocks", None)
    if isinstance(stem, nn.Module) and isinstance(body, nn.Sequential):
        return [stem, *body]
    features = getattr(net, "features", None)
    if isinstance(features, nn.Sequential) and len(features) > 1:
        return list(features)
    raise ValueError(
        f"{type(net).__name__} has no stem followed by a sequence of blocks "
        "(attributes stem + cells/blocks, or features) to read feature maps from"
    )


def pre_pool_module(net: nn.Module) -> nn.AdaptiveAvgPool2d:
    """The global pooling whose input is the network's final feature map (Zen-NAS's
    ``forward_pre_GAP`` reads that input)."""
    pools = [m for m in net.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    if not pools:
        raise ValueError(f"{type(net).__name__} has no global pooling (nn.AdaptiveAvgPool2d)")
    return pools[-1]
