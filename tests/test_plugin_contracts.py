"""Every registered plug-in of zeronas passes the contract checks it ships to plug-in
authors (zeronas.testing), parametrized over the registries: a new plug-in is checked
without being listed."""

import pickle

import numpy as np
import pytest

from zeronas.data import DATA_SOURCES
from zeronas.execution import EXECUTORS
from zeronas.proxies import list_proxies
from zeronas.search import list_searchers
from zeronas.spaces import list_spaces
from zeronas.testing import (
    check_data_source,
    check_executor,
    check_proxy,
    check_searcher,
    check_space,
    write_damaged_npz,
    write_lfw_subset,
)


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


def _cifar_files(root):
    """Six images in each of CIFAR-10's python batches (torchvision's layout)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (6, 3072), dtype=np.uint8)
        with (folder / name).open("wb") as handle:
            pickle.dump({"data": data, "labels": list(range(6))}, handle)
    with (folder / "batches.meta").open("wb") as handle:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, handle)
    return {"data_root": str(root)}


def _imagenet16_files(root):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (40, 3 * 16 * 16), dtype=np.uint8)
    with (root / "train_data_batch_1").open("wb") as handle:
        pickle.dump({"data": data, "labels": list(range(1, 41))}, handle)
    return {"path": str(root), "dataset": "ImageNet16-120"}


#: how each built-in source is given files of its own format
_SOURCE_FILES = {
    "npz": lambda root: {"path": str(write_damaged_npz(root)["ok.npz"])},
    "imagefolder": lambda root: {"path": str(write_lfw_subset(root / "lfw")), "dataset": "vww"},
    "imagenet16": _imagenet16_files,
    "cifar": _cifar_files,
}


@pytest.mark.parametrize("name", list(DATA_SOURCES))
def test_every_data_source_keeps_the_data_source_contract(name, tmp_path, monkeypatch):
    import torchvision.datasets.cifar as tv_cifar

    # tiny CIFAR files cannot match torchvision's MD5 list for the real archive
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda *args, **kwargs: True)
    given = _SOURCE_FILES.get(name, lambda _root: {})(tmp_path)
    check_data_source(name, **given)


def test_the_checks_fail_on_a_broken_plugin():
    """The checks can fail: an impure proxy and a searcher that ignores its seed."""
    from zeronas.proxies.base import Proxy

    def impure(net, x):
        next(net.parameters()).data.add_(1.0)
        return 0.0

    broken = Proxy("impure", impure, True, False, False, "changes its network", reads="own")
    with pytest.raises(AssertionError, match="changed the weights"):
        check_proxy(broken)
