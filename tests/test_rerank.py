"""Two-stage search: propose with screen proxies, re-score the k fittest with every proxy,
answer with the best of them (zeronas.rerank)."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from zeronas import api
from zeronas.cli import app
from zeronas.errors import ZeroNASError
from zeronas.execution import ExecutorConfig
from zeronas.fitness.combiners import Fitness
from zeronas.proxies import Proxy
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.records import ArchScores, ProxyValue
from zeronas.scoring.sources import FunctionSource
from zeronas.search import SEARCHERS, Budget, SearchProblem, get_searcher, list_searchers
from zeronas.search.config import DEFAULT_RERANK, SearchConfig
from zeronas.search.rerank import Rerank, rerank
from zeronas.spaces import get_space

SPACE = get_space("nats-tss")
#: one registered name per searcher class (presets such as rea-cossu share the loop)
UNPRESET = [n for n in list_searchers() if not SEARCHERS.get(n).preset]
CONV = Proxy("convs", lambda n, x: 0.0, True, False, False, "conv ops")
POOL = Proxy("pools", lambda n, x: 0.0, False, False, False, "pool ops (lower is better)")


def _screen(arch) -> ArchScores:
    convs = float(sum(op.startswith("nor_conv") for op in arch.ops))
    return ArchScores(SPACE.encode(arch), SPACE.index(arch), {"convs": ProxyValue(convs, 0.5)}, 0)


def _second(arch) -> ArchScores:
    pools = float(arch.ops.count("avg_pool_3x3"))
    if arch.ops.count("nor_conv_3x3") == 3:
        pools = math.nan  # a failure inside one candidate of the second stage
    return ArchScores(SPACE.encode(arch), SPACE.index(arch), {"pools": ProxyValue(pools, 2.0)}, 0)


def test_the_answer_is_the_best_of_the_k_fittest_by_the_full_fitness():
    screen, full = Fitness((CONV,), "rank"), Fitness((CONV, POOL), "rank")
    first = get_searcher("random").run(SearchProblem(SPACE, _screen, screen), Budget(60), seed=1)
    stage = Rerank(8, full, FunctionSource(SPACE, _second))
    result = rerank(first, stage)

    convs = np.array([e.values["convs"] for e in first.scored])
    expected_top = {first.scored[i].arch for i in np.argsort(-convs, kind="stable")[:8]}
    assert {e.arch for e in result.reranked} == expected_top
    failed = [e for e in result.reranked if not e.ok]
    for record in failed:
        assert "pools: proxy returned nan" in record.error
    ok = [e for e in result.reranked if e.ok]
    values = full([e.values for e in ok])
    assert result.best is ok[int(np.argmax(values))]
    assert result.best_fitness() == pytest.approx(values.max())
    assert result.best.values.keys() == {"convs", "pools"}
    # search time: stage one, then 2 s recorded per re-scored candidate
    assert result.seconds == pytest.approx(first.seconds + 2.0 * 8)
    assert result.history == first.history  # the first stage's record is untouched


def _two_stage(config):
    screen, rerank = config.two_stage()
    return tuple(p.name for p in screen), rerank


def test_a_search_over_the_ensemble_screens_and_reranks_by_default():
    config = SearchConfig(ScoringConfig(proxies="ensemble"))
    assert _two_stage(config) == (("params",), 20) and config.fitness_combine() == "logrank"
    assert SearchConfig(ScoringConfig(proxies="ensemble"), rerank=0).two_stage() == ((), 0)
    assert SearchConfig(ScoringConfig(proxies="ensemble"), rerank=5).two_stage()[1] == 5
    one_stage = SearchConfig(ScoringConfig(proxies="naswot,logsynflow"))
    assert one_stage.two_stage() == ((), 0)
    # a configuration derived for another proxy list takes that list's defaults
    derived = one_stage.replace(scoring=ScoringConfig(proxies="ensemble"))
    assert derived.two_stage()[1] == 20 and derived.fitness_combine() == "logrank"
    given = SearchConfig(ScoringConfig(proxies="naswot,logsynflow"), screen="logsynflow")
    assert _two_stage(given) == (("logsynflow",), DEFAULT_RERANK)
    assert given.describe()["screen"] == ["logsynflow"]
    with pytest.raises(ZeroNASError, match="'screen' parameter of SearchConfig must be"):
        SearchConfig(ScoringConfig(proxies="naswot,logsynflow"), rerank=3)
    with pytest.raises(ZeroNASError, match="'rerank' parameter of SearchConfig must be"):
        SearchConfig(ScoringConfig(proxies="ensemble"), rerank=-1)


def test_a_table_search_reranks_with_the_table_and_reports_both_stages(reference_csv, accuracy_csv):
    setup = api.search_setup(
        proxies="naswot,logsynflow,skip", scores=reference_csv, screen="logsynflow", rerank=5
    )
    assert setup.fitness.names == ["logsynflow"]
    assert [p.name for p in setup.proxies] == ["logsynflow", "naswot", "skip"]
    assert setup.describe()["rerank"]["k"] == 5
    result = api.search(setup, "rea", 40, seed=2)
    assert len(result.reranked) == 5 and all(e.ok for e in result.reranked)
    full = Fitness(setup.rerank.fitness.proxies, "norm-sum")
    values = full([e.values for e in result.reranked])
    assert result.best.arch == result.reranked[int(np.argmax(values))].arch
    assert result.seconds > result.history[-1].elapsed  # the second stage is charged


@pytest.mark.parametrize("algorithm", UNPRESET)
def test_every_algorithm_searches_with_the_ensemble_in_two_stages(tmp_path, algorithm):
    args = ["search", "--proxies", "ensemble", "--algorithm", algorithm, "--budget", "8"]
    args += ["--rerank", "2", "--batch-size", "8", "--data", "synthetic", "--no-cache"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["fitness"]["proxies"] == ["params"] and doc["evaluations"] == 8
    assert len(doc["reranked"]) == 2 and doc["best"]["fitness"] is not None
    assert doc["rerank"]["fitness"]["combine"] == "logrank"
    assert {"flops", "az_trainability", "logsynflow", "jacob_cov"} <= set(doc["best"]["values"])


def test_the_second_stage_runs_on_the_workers_and_answers_the_same():
    run = api.search_setup(
        proxies="logsynflow,params", screen="params", rerank=4, data="synthetic", batch_size=8
    )
    serial = api.search(run, "random", budget=20, seed=3)
    parallel = api.search(run, "random", budget=20, seed=3, execution=ExecutorConfig(workers=2))
    assert [e.arch for e in parallel.reranked] == [e.arch for e in serial.reranked]
    assert parallel.best.arch == serial.best.arch
    for one, two in zip(serial.reranked, parallel.reranked, strict=True):
        assert two.values["logsynflow"] == pytest.approx(one.values["logsynflow"], rel=1e-5)
