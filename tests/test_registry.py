import pytest

import zeronas
from zeronas.errors import UnknownNameError
from zeronas.proxies import parse_proxy_list
from zeronas.registry import Registry


def test_unknown_name_suggests_and_lists():
    with pytest.raises(UnknownNameError) as info:
        zeronas.get_proxy("synflw")
    message = str(info.value)
    assert "'synflw'" in message and "Did you mean 'synflow'?" in message
    assert "naswot" in message and "logsynflow" in message


@pytest.mark.parametrize("getter", [zeronas.get_space, zeronas.get_dataset])
def test_unknown_space_and_dataset(getter):
    with pytest.raises(UnknownNameError, match="Available"):
        getter("nope")


def test_duplicate_registration_raises():
    registry: Registry[int] = Registry("thing")
    registry.add("a", 1)
    with pytest.raises(ValueError, match="registered twice"):
        registry.add("a", 2)


def test_pattern_listing_and_case_insensitive_lookup():
    assert zeronas.list_proxies("*synflow") == ["synflow", "logsynflow"]
    assert zeronas.get_dataset("imagenet16-120").name == "ImageNet16-120"


def test_parse_proxy_list_refuses_duplicates_and_empty():
    assert [p.name for p in parse_proxy_list("naswot, params")] == ["naswot", "params"]
    with pytest.raises(zeronas.ZeroNASError, match="proxy 'naswot' is listed twice"):
        parse_proxy_list("naswot, naswot,params")
    with pytest.raises(zeronas.ZeroNASError, match="No proxy"):
        parse_proxy_list(" , ")
