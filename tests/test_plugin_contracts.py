"""Every registered plug-in of zeronas passes the contract checks it ships to plug-in
authors (zeronas.testing), parametrized over the registries: a new plug-in is checked
without being listed."""

import pytest

from zeronas.execution import EXECUTORS
from zeronas.proxies import list_proxies
from zeronas.search import list_searchers
from zeronas.spaces import list_spaces
from zeronas.testing import check_executor, check_proxy, check_searcher, check_space


@pytest.mark.parametrize("name", list_proxies())
def test_every_proxy_keeps_the_proxy_contract(name):
    check_proxy(name)


@pytest.mark.parametrize("name", list_spaces())
def test_every_space_keeps_the_space_contract(name):
    # NAS-Bench-101's index enumerates 1.3 M graphs (test_nb101 checks it on its anchors)
    check_space(name, check_index=name != "nas-bench-101")


@pytest.mark.parametrize("name", list_searchers())
def test_every_searcher_keeps_the_searcher_contract(name):
    check_searcher(name)


@pytest.mark.parametrize("kind", list(EXECUTORS))
def test_every_executor_keeps_the_executor_contract(kind):
    if kind == "ray":
        ray = pytest.importorskip("ray", reason="Ray is an optional extra: zeronas[ray]")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            check_executor(kind)
        finally:
            ray.shutdown()
    else:
        check_executor(kind)


def test_the_checks_fail_on_a_broken_plugin():
    """The checks can fail: an impure proxy and a searcher that ignores its seed."""
    from zeronas.proxies.base import Proxy

    def impure(net, x):
        next(net.parameters()).data.add_(1.0)
        return 0.0

    broken = Proxy("impure", impure, True, False, False, "changes its network", reads="own")
    with pytest.raises(AssertionError, match="changed the weights"):
        check_proxy(broken)
