"""Generic checks run on every registered proxy."""

import math

import pytest
import torch

from zeronas.models.init import initialise
from zeronas.proxies import get_proxy, list_proxies
from zeronas.spaces import get_space

SPACE = get_space("nats-tss")


@pytest.mark.parametrize("name", [n for n in list_proxies() if not get_proxy(n).parts])
def test_proxy_is_pure_deterministic_and_finite(name):
    proxy = get_proxy(name)
    net = initialise(SPACE.build(SPACE.arch(1), 10, (3, 16, 16)), "kaiming", 0)
    x = torch.randn(8, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    y = torch.randint(10, (8,), generator=torch.Generator().manual_seed(0))
    weights = {k: v.clone() for k, v in net.named_parameters()}
    first, second = proxy(net, x, y), proxy(net, x, y)
    assert isinstance(first, float) and math.isfinite(first)
    assert first == second
    assert all(torch.equal(weights[k], v) for k, v in net.named_parameters())
    assert all(v.grad is None for v in net.parameters())  # no gradient left behind
    assert proxy.description and isinstance(proxy.higher_is_better, bool)


def test_data_flags():
    assert get_proxy("naswot").needs_data
    assert not any(get_proxy(n).needs_data for n in ("relu_count", "synflow", "logsynflow"))
