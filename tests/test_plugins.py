"""Plug-ins: built-ins are found by scanning their package (one new file, no edit elsewhere);
other packages register proxies, spaces and searchers through entry points."""

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest
from conftest import write_plugin

from zeronas.proxies import PROXIES, PROXY_SETS
from zeronas.registry import Registry
from zeronas.search import SEARCHERS
from zeronas.spaces import SPACES

PLUGIN = '''
"""A proxy, a space and a searcher from another package."""
from torch import nn

from zeronas.proxies import proxy
from zeronas.search.algorithms.random import RandomSearch
from zeronas.search.base import register_searcher
from zeronas.spaces.base import register_space
from zeronas.spaces.nats_tss import NatsTSS


@proxy("conv_count", needs_data=False, init_dependent=False, reads="shapes", version=3)
def conv_count(net, x, *, kernel: int = 3):
    """Convolutions with a kernel of the given size."""
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    return float(sum(m.kernel_size[0] == kernel for m in convs))


@register_space
class SmallTSS(NatsTSS):
    name = "my-tss"


@register_searcher("my-random")
class MyRandom(RandomSearch):
    pass
'''


@pytest.mark.parametrize(
    ("package", "registry"),
    [
        ("zeronas.proxies", PROXIES),
        ("zeronas.spaces", SPACES),
        ("zeronas.search.algorithms", SEARCHERS),
    ],
)
def test_every_module_of_a_plugin_package_is_found(package, registry):
    package = importlib.import_module(package)
    registry.names()  # discovery runs at first use
    modules = {f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)}
    framework = {
        f"{package.__name__}.{name}" for name in ("base", "lists", "passes")
    }  # the protocol
    modules -= framework | {m for m in modules if m.rsplit(".")[-1][0] == "_"}
    registering = {registry.module(name) for name in registry.names()}
    if registry is PROXIES:  # a proxies module may register proxy sets only (ensemble)
        registering |= {PROXY_SETS.module(name) for name in PROXY_SETS.names()}
    assert modules <= registering  # each plug-in file registered something, unlisted


def test_a_registry_scans_a_package_it_is_given(tmp_path, monkeypatch):
    package = tmp_path / "scanned"
    package.mkdir()
    (package / "__init__.py").write_text("from registry_home import REG\n")
    for name in ("alpha", "beta"):
        (package / f"{name}.py").write_text(
            f"from registry_home import REG\nREG.add({name!r}, 1)\n"
        )
    (package / "_private.py").write_text("raise RuntimeError('never imported')\n")
    (tmp_path / "registry_home.py").write_text(
        "from zeronas.registry import Registry\nREG = Registry('thing', 'scanned')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import registry_home

    assert isinstance(registry_home.REG, Registry)
    assert registry_home.REG.names() == ["alpha", "beta"]
    assert registry_home.REG.module("beta") == "scanned.beta"


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "zeronas.cli", *args], env=env, capture_output=True, text=True
    )


def test_another_package_registers_through_entry_points(tmp_path):
    env = write_plugin(
        tmp_path,
        "my_plugin",
        PLUGIN,
        """
        [zeronas.proxies]
        conv_count = my_plugin
        [zeronas.spaces]
        my_tss = my_plugin
        [zeronas.searchers]
        my_random = my_plugin
        """,
    )
    listed = _cli(env, "proxies", "--json")
    rows = {r["name"]: r for r in json.loads(listed.stdout)["proxies"]}
    assert rows["conv_count"]["version"] == 3
    assert rows["conv_count"]["options"] == {"kernel": {"default": 3, "type": "int"}}
    assert "my-tss" in _cli(env, "spaces", "--json").stdout
    scored = _cli(
        env, "score", "--space", "my-tss", "--index", "1", "--proxies",
        "conv_count,conv_count[kernel=1]", "--data", "synthetic", "--no-cache", "--json",
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    scores = json.loads(scored.stdout)["scores"]
    # index 1 has three 3x3-conv edges and no 1x1 edge, in each of 15 cells; the stem and
    # the two residual blocks add five 3x3 convs and two 1x1 shortcut convs
    assert scores == {"conv_count": 3 * 15 + 5.0, "conv_count[kernel=1]": 2.0}
    searched = _cli(
        env, "search", "--algorithm", "my-random", "--proxies", "conv_count",
        "--budget", "3", "--no-cache", "--out", str(tmp_path / "run"), "--json",
    )  # fmt: skip
    assert searched.returncode == 0, searched.stderr
    assert json.loads(searched.stdout)["evaluations"] == 3


def test_a_broken_plugin_is_skipped_with_a_warning(tmp_path):
    broken = "[zeronas.proxies]\nbroken = my_plugin_missing\n"
    env = write_plugin(tmp_path, "my_plugin", PLUGIN, broken)
    listed = _cli(env, "proxies", "--json")
    assert listed.returncode == 0
    assert "plug-in 'broken' (my_plugin_missing) failed to load" in listed.stderr
    assert "naswot" in listed.stdout
