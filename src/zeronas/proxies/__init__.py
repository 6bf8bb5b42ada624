"""Zero-cost proxies. Every module of this package is a proxy plug-in, found at first use of
the registry (:class:`~zeronas.registry.Registry`): adding one is one new file."""

from zeronas.proxies.base import (
    PROXIES,
    Proxy,
    get_proxy,
    list_proxies,
    parse_proxy_list,
    proxy,
)

__all__ = ["PROXIES", "Proxy", "get_proxy", "list_proxies", "parse_proxy_list", "proxy"]
