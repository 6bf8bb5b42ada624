"""Words that had two meanings were renamed (docs/glossary.md); each old spelling still
works, with a note saying what it is called now, or is refused naming the new name."""

import pytest
import torch

from zeronas import api
from zeronas.errors import ParameterError
from zeronas.execution import ExecutorConfig, make_executor
from zeronas.models.init import initialise
from zeronas.proxies import get_proxy
from zeronas.search import get_searcher
from zeronas.spaces import get_space
from zeronas.testing.checks import Square


def test_the_tournament_of_rea_was_called_sample():
    with pytest.warns(UserWarning, match="'sample' parameter of searcher 'rea' is called"):
        old = get_searcher("rea", sample="5")
    assert old.params() == get_searcher("rea", tournament=5).params()


def test_proxy_options_named_like_the_batch_were_renamed():
    with pytest.warns(UserWarning, match="'batch' parameter of proxy 'zen' is called 'images'"):
        old = get_proxy("zen[batch=8]")
    assert old.name == get_proxy("zen[images=8]").name == "zen[images=8]"
    space = get_space("nats-tss")
    net = initialise(space.build(space.arch(3), 10, (3, 16, 16)), "kaiming", 0)
    x = torch.zeros(2, 3, 16, 16)
    assert old(net, x) == get_proxy("zen", images=8)(net, x)
    with pytest.warns(UserWarning, match="'batches' parameter of proxy 'zico' is called"):
        assert get_proxy("zico[batches=4]").name == "zico[splits=4]"


def test_the_zscore_reference_was_called_reference():
    with pytest.raises(ParameterError, match="'reference'.*called 'zscore_reference' now"):
        api.search_setup(proxies="params", reference=10)


def test_local_means_this_process_and_auto_is_the_default():
    assert ExecutorConfig().kind == "auto" and not ExecutorConfig().wanted
    assert ExecutorConfig(workers=2).wanted and ExecutorConfig("local", timeout=5).wanted
    with (
        pytest.warns(UserWarning, match="--executor local runs in this process: 2 workers"),
        make_executor(ExecutorConfig("local", 2), Square()) as pool,
    ):
        assert type(pool).__name__ == "ProcessExecutor"
        assert pool.map([(3, ())]) == [9.0]


def test_the_index_folder_was_called_the_cache_dir(monkeypatch, tmp_path):
    from zeronas.data.places import index_dir as _index_dir

    monkeypatch.delenv("ZERONAS_INDEX_DIR", raising=False)
    monkeypatch.setenv("ZERONAS_CACHE_DIR", str(tmp_path))
    with pytest.warns(UserWarning, match=r"\$ZERONAS_CACHE_DIR is called \$ZERONAS_INDEX_DIR"):
        assert _index_dir() == tmp_path
