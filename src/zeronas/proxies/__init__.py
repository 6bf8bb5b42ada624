"""Zero-cost proxies; importing this package registers every built-in proxy."""

from zeronas.proxies import cost, naswot, relu_count, skip, synflow  # noqa: F401  (registers)
from zeronas.proxies.base import (
    PROXIES,
    Proxy,
    get_proxy,
    list_proxies,
    parse_proxy_list,
    proxy,
)

__all__ = ["PROXIES", "Proxy", "get_proxy", "list_proxies", "parse_proxy_list", "proxy"]
