"""Zero-cost proxies. Every module of this package is a proxy plug-in, found at first use of
the registry (:class:`~zeronas.registry.Registry`): adding one is one new file. Proxy sets
(``az_nas``) name several proxies and the combiner that makes one score of them."""

from zeronas.proxies._fastpath import check_forced_kernels
from zeronas.proxies.base import PROXIES, Proxy, get_proxy, list_proxies, proxy
from zeronas.proxies.lists import (
    PROXY_SETS,
    ProxySet,
    named_set,
    parse_proxy_list,
    proxy_set,
    sets_in,
)

__all__ = [
    "check_forced_kernels",
    "PROXIES",
    "PROXY_SETS",
    "Proxy",
    "ProxySet",
    "get_proxy",
    "list_proxies",
    "named_set",
    "parse_proxy_list",
    "proxy",
    "proxy_set",
    "sets_in",
]
