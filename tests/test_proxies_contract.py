"""What the proxies declare (the generic contract is zeronas.testing.check_proxy, run on
every proxy in test_plugin_contracts.py)."""

from zeronas.proxies import get_proxy
from zeronas.spaces import get_space

SPACE = get_space("nats-tss")


def test_data_flags():
    assert get_proxy("naswot").needs_data
    assert not any(get_proxy(n).needs_data for n in ("relu_count", "synflow", "logsynflow"))
