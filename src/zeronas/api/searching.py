"""Searching through the API: from one :class:`~zeronas.search.config.SearchConfig`, a
ready search (fitness, score sources, limits, the second stage) and a run of an algorithm
on it, scored where an :class:`~zeronas.execution.base.ExecutorConfig` says."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeronas.api.scoring import behind_store, load_config_batch
from zeronas.data.batch import Batch
from zeronas.data.tasks import DatasetSpec
from zeronas.errors import ParameterError
from zeronas.execution.base import Executor, ExecutorConfig, make_executor
from zeronas.fitness.combiners import Fitness
from zeronas.fitness.penalties import SizePenalty
from zeronas.hardware.latency_table import open_latency_table
from zeronas.hardware.limits import Limits
from zeronas.proxies import Proxy, get_proxy
from zeronas.scoring.notes import check_labels
from zeronas.scoring.reference import reference_archs
from zeronas.scoring.scorer import Scorer
from zeronas.scoring.sources import MemoScorer, ScoreSource
from zeronas.scoring.table import TableScorer
from zeronas.search.base import get_searcher
from zeronas.search.config import (
    DEFAULT_SEARCH,
    SearchConfig,
    search_config,
)
from zeronas.search.evaluator import OnEval
from zeronas.search.problem import Budget, SearchProblem
from zeronas.search.rerank import Rerank, rerank
from zeronas.search.result import SearchResult
from zeronas.spaces import SearchSpace
from zeronas.store.tables import open_score_table

__all__ = [
    "DEFAULT_SEARCH_RUN",
    "SearchSetup",
    "scoring_pool",
    "search",
    "search_setup",
]

#: The run arguments of :func:`search` that plain ``zeronas search`` uses.
DEFAULT_SEARCH_RUN: dict[str, Any] = {
    "algorithm": DEFAULT_SEARCH["algorithm"],
    "budget": DEFAULT_SEARCH["budget"],
}


def _search_config(config: SearchConfig | None, fields: Mapping[str, Any]) -> SearchConfig:
    """``config``, or one made of ``fields`` split among scoring, search and limit fields."""
    if config is not None:
        if fields:
            raise ParameterError("config", "search_setup", "given alone", "with fields")
        return config
    return search_config(**fields)


@dataclass(frozen=True)
class SearchSetup:
    """Everything a search run needs besides the algorithm, budget and seed."""

    config: SearchConfig
    space: SearchSpace
    dataset: DatasetSpec
    fitness: Fitness
    score_fn: ScoreSource
    limits: Limits
    batch: Batch | None
    reference_seconds: float = 0.0
    #: The second stage of a two-stage search (None: one stage).
    rerank: Rerank | None = None

    @property
    def scores(self) -> str | None:
        return self.config.scores

    @property
    def problem(self) -> SearchProblem:
        """What the first stage's searcher is asked (:class:`~zeronas.search.SearchProblem`)."""
        return SearchProblem(self.space, self.score_fn, self.fitness, self.dataset,
                             self.limits, self.config.objectives)  # fmt: skip

    @property
    def proxies(self) -> tuple[Proxy, ...]:
        """Every proxy the search reads: the proposing fitness's, then the second stage's."""
        names = dict.fromkeys(p.name for p in self.fitness.proxies)
        extra = self.rerank.fitness.proxies if self.rerank is not None else ()
        return (*self.fitness.proxies, *(p for p in extra if p.name not in names))

    def memoised(self) -> SearchSetup:
        """This setup with every score source kept in memory (repeated seeded runs)."""
        stage = self.rerank
        if stage is not None:
            stage = stage.with_source(MemoScorer(stage.score_fn))
        return dataclasses.replace(self, score_fn=MemoScorer(self.score_fn), rerank=stage)

    def describe(self) -> dict[str, Any]:
        return {
            "space": self.space.name,
            "dataset": self.dataset.name,
            "fitness": self.fitness.describe(),
            "limits": self.limits.describe(),
            "scores": self.scores,
            "data": self.batch.describe() if self.batch is not None else None,
            "config": self.config.describe(),
            "reference_seconds": self.reference_seconds,
            "rerank": self.rerank.describe() if self.rerank is not None else None,
        }


def search_setup(
    config: SearchConfig | None = None, *, cache: str | Path | None = None, **fields: Any
) -> SearchSetup:
    """Validate ``config`` (or the :class:`SearchConfig` made of ``fields``: scoring fields,
    search fields and limits such as ``max_params``), then prepare scoring: live on one fixed
    batch, or from a precomputed ``scores`` table (proxies it lacks are computed live; the
    batch is loaded only when a live proxy needs a network). ``zscore`` fitness takes its
    (μ, σ) from ``zscore_reference`` random architectures, scored with the same seed. ``cache``: a
    score-store path for the live scoring. Limits left unset take the space's defaults
    (the blocks space: 2.5 M parameters, 200 M MACs); see :mod:`zeronas.hardware.limits`.
    With ``screen`` proxies the search proposes with those and ``rerank`` prepares the
    second stage (:mod:`zeronas.search.rerank`)."""
    config = _search_config(config, fields)
    scoring = config.scoring
    space, spec = scoring.space_object(), scoring.dataset_spec()
    size_penalty = None
    if config.penalty:
        size_penalty = SizePenalty(config.penalty, config.target_kparams, config.width_kparams)
    combine = config.fitness_combine()
    fitness = Fitness(scoring.proxies, combine, config.weights, penalty=size_penalty)
    screen_proxies, rerank_count = config.two_stage()
    screen = None
    if rerank_count:
        screen = Fitness(screen_proxies, combine, penalty=size_penalty)
    proposing = screen or fitness
    proxy_list = list(proposing.proxies)
    if size_penalty is not None and "params" not in proposing.names:
        proxy_list.append(get_proxy("params"))  # the penalty reads it
    limits = config.limits.with_defaults(space.default_limits)
    if limits.latency_table is not None:  # a bad table is refused before any candidate
        open_latency_table(limits.latency_table).check_space(space)
    table = open_score_table(config.scores, spec.name) if config.scores else None
    sources = _ScoreSources(config, space, spec, table, cache)
    score_fn = sources(proxy_list)
    reference_seconds = 0.0
    if combine == "zscore":
        t0 = time.perf_counter()
        proposing = _with_reference(
            proposing, space, score_fn, config.zscore_reference, scoring.seed
        )
        reference_seconds = time.perf_counter() - t0
    stage = None
    if screen is not None:
        extra = [p for p in fitness.proxies if p.name not in proposing.names]
        final = fitness
        if combine == "zscore":
            final = _with_reference(fitness, space, sources([*proxy_list, *extra]),
                                    config.zscore_reference, scoring.seed)  # fmt: skip
        stage = Rerank(rerank_count, final, sources(extra))
    return SearchSetup(config, space, spec, proposing, score_fn, limits, sources.batch,
                       reference_seconds, stage)  # fmt: skip


class _ScoreSources:
    """Score sources of one search configuration for any list of proxies: from the table
    where it has them, else live on the configuration's batch (loaded once, only when a
    live proxy needs a network), behind the store at ``cache``."""

    def __init__(self, config: SearchConfig, space: SearchSpace, spec: DatasetSpec,
                 table: Any, cache: str | Path | None) -> None:  # fmt: skip
        self.config, self.space, self.spec, self.table, self.cache = (
            config, space, spec, table, cache,
        )  # fmt: skip
        self.batch: Batch | None = None

    def __call__(self, proxies: list[Proxy]) -> ScoreSource:
        table = self.table
        live = [p for p in proxies if table is None or p.name not in table.values]
        if any(p.arch_fn is None for p in live) and self.batch is None:
            self.batch = load_config_batch(self.config.scoring)
            check_labels(self.batch, self.config.scoring.proxies)
        scorer = None
        if live:
            batch = _dummy_batch(self.spec) if self.batch is None else self.batch
            scorer = behind_store(Scorer(self.config.scoring, batch, live), self.cache)
        if table is not None:
            return TableScorer(self.space, table, proxies, scorer)
        return scorer  # type: ignore[return-value]


def _dummy_batch(spec: DatasetSpec) -> Batch:
    """A one-image zero batch for scorers whose proxies read only the architecture."""
    import torch

    return Batch(torch.zeros((1, *spec.input_shape)), None, "none", False)


def _with_reference(
    fitness: Fitness, space: SearchSpace, score_fn: ScoreSource, count: int, seed: int
) -> Fitness:
    archs = reference_archs(space, count, seed)
    scored = dict(score_fn.score_many(archs))
    rows = [{n: v.value for n, v in scored[k].values.items()} for k in range(len(archs))]
    return fitness.with_reference(rows)


def search(
    run: SearchSetup,
    algorithm: str = DEFAULT_SEARCH["algorithm"],
    budget: int | None = DEFAULT_SEARCH["budget"],
    seconds: float | None = None,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    on_eval: OnEval | None = None,
    execution: ExecutorConfig | Executor | None = None,
    on_rerank: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Run ``algorithm`` (with ``options`` overriding its defaults) on ``run``, stopping after
    ``budget`` evaluations and/or ``seconds`` of search time. Live scoring runs where
    ``execution`` says when that is asked for (more than one worker, Ray, or a per-candidate
    timeout), or on ``execution`` itself when it is a started
    :class:`~zeronas.execution.base.Executor`. A two-stage setup then re-ranks
    (``on_rerank``: its progress, done and total)."""
    searcher = get_searcher(algorithm, **dict(options or {}))
    budget_ = Budget(budget, seconds)
    execution = execution if execution is not None else ExecutorConfig()
    with scoring_pool(run, execution) as executor:
        result = searcher.run(run.problem, budget_, seed, on_eval=on_eval, executor=executor)
    if run.rerank is None:
        return result
    if isinstance(execution, Executor):  # it runs the first stage's scorer: score here
        return rerank(result, run.rerank, on_rerank)
    with _pool(run.rerank.score_fn, execution) as second:
        return rerank(result, run.rerank, on_rerank, second)


def scoring_pool(
    run: SearchSetup, execution: ExecutorConfig | Executor | None = None
) -> contextlib.AbstractContextManager[Executor | None]:
    """The executor for ``run``'s live scoring: ``execution`` itself if it is one, a new one
    when more than one worker, Ray or a timeout is asked for, else none (in-process)."""
    if isinstance(execution, Executor):
        return contextlib.nullcontext(execution)
    return _pool(run.score_fn, execution or ExecutorConfig())


def _pool(
    score_fn: ScoreSource, execution: ExecutorConfig
) -> contextlib.AbstractContextManager[Executor | None]:
    """A new executor running ``score_fn``'s live scoring when ``execution`` asks for one,
    else none (in-process)."""
    computing = score_fn.computing
    if execution.wanted and computing is not None:
        return make_executor(execution, computing)
    return contextlib.nullcontext()
