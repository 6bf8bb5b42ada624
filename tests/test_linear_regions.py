"""TE-NAS linear regions (thin-network variant) against hand-counted patterns."""

import pytest
import torch

from zeronas.errors import ZeroNASError
from zeronas.proxies import get_proxy
from zeronas.proxies.linear_regions import (
    CROP,
    count_linear_regions,
    random_crops,
    thin_network,
)
from zeronas.spaces import get_space

SPACE = get_space("nats-tss")
SKIP_ONLY = SPACE.decode("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
ALL_NONE = SPACE.decode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
ALL_CONV = SPACE.decode(
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)


def test_thin_network_is_one_cell_at_width_one_without_stem():
    net = thin_network(ALL_CONV, 10)
    # 6 convs 1x1x3x3 + 6 BN (γ, β) + final BN + classifier 1 -> 10
    assert sum(p.numel() for p in net.parameters()) == 6 * 9 + 6 * 2 + 2 + (10 + 10)
    assert isinstance(net.stem, torch.nn.Identity)
    assert net(torch.randn(5, 1, CROP, CROP)).shape == (5, 10)


def test_skip_only_cell_counts_the_patterns_of_x_above_the_batch_mean():
    # The cell is the identity, so the only ReLU (after the final train-mode BN) is on where
    # x > mean of the batch (2/36 > 0 here): patterns all-on, all-off, first-pixel-only.
    on = torch.ones(1, 1, 3, 3)
    first = -torch.ones(1, 1, 3, 3)
    first[0, 0, 0, 0] = 1
    batch = torch.cat([on, -on, first, on])
    net = thin_network(SKIP_ONLY, 10)
    assert count_linear_regions(net, [batch]) == 3
    # patterns are pooled over batches: a second batch of the same samples adds none
    assert count_linear_regions(net, [batch, batch]) == 3


def test_a_cell_of_none_edges_has_one_region():
    x = torch.randn(4, 3, 8, 8)
    assert get_proxy("linear_regions")(SPACE.build(ALL_NONE, 10), x) == 1.0


def test_count_matches_a_brute_force_count_of_relu_patterns():
    torch.manual_seed(0)
    net = thin_network(ALL_CONV, 10)
    batch = torch.randn(200, 1, 3, 3)
    seen = []
    hooks = [
        m.register_forward_hook(lambda m, a, o: seen.append((o > 0).flatten(1)))
        for m in net.modules()
        if isinstance(m, torch.nn.ReLU)
    ]
    net.train()
    with torch.no_grad():
        net(batch)
    for h in hooks:
        h.remove()
    rows = {tuple(r.tolist()) for r in torch.cat(seen, dim=1)}
    assert count_linear_regions(net, [batch]) == len(rows) > 1


def test_crops_are_windows_of_one_channel_of_one_image():
    n, c, h, w = 2, 3, 6, 7
    x = torch.arange(n * c * h * w, dtype=torch.float32).reshape(n, c, h, w)
    crops = random_crops(x, 50, torch.Generator().manual_seed(0))
    assert crops.shape == (50, 1, CROP, CROP)
    for crop in crops[:, 0]:
        flat = int(crop[0, 0])
        image, rest = divmod(flat, c * h * w)
        channel, rest = divmod(rest, h * w)
        top, left = divmod(rest, w)
        assert torch.equal(crop, x[image, channel, top : top + CROP, left : left + CROP])


def test_linear_regions_is_reproducible_and_rejects_other_spaces():
    x = torch.randn(8, 3, 8, 8)
    net = SPACE.build(ALL_CONV, 10)
    value = get_proxy("linear_regions")(net, x)
    assert value == get_proxy("linear_regions")(SPACE.build(ALL_CONV, 10), x) > 1
    sss = get_space("nats-sss")
    with pytest.raises(ZeroNASError, match="NATS-TSS cell"):
        get_proxy("linear_regions")(sss.build(sss.arch(0), 10), x)
    with pytest.raises(ZeroNASError, match="at least 3x3"):
        get_proxy("linear_regions")(net, torch.randn(2, 3, 2, 2))
