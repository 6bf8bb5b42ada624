"""Zero-cost proxies; importing this package registers every built-in proxy."""

from zeronas.proxies import (  # noqa: F401  (registers)
    cost,
    entropy,
    linear_regions,
    memory,
    naswot,
    noise,
    ntk,
    relu_count,
    skip,
    synflow,
)
from zeronas.proxies.base import (
    PROXIES,
    Proxy,
    get_proxy,
    list_proxies,
    parse_proxy_list,
    proxy,
)

__all__ = ["PROXIES", "Proxy", "get_proxy", "list_proxies", "parse_proxy_list", "proxy"]
