"""The public API behind the CLI: resolve names, load the batch, score, correlate, search."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeronas.benchmarks.correlation import CorrelationResult, correlate, sample_indices
from zeronas.benchmarks.groundtruth import GroundTruth
from zeronas.benchmarks.scores import TableScorer, open_score_table
from zeronas.budgets import Constraints
from zeronas.cache import ScoreStore
from zeronas.data import Batch, load_batch
from zeronas.datasets import DatasetSpec, get_dataset
from zeronas.errors import ArchError
from zeronas.executors import Executor, make_executor
from zeronas.fitness import Fitness, SizePenalty, parse_weights
from zeronas.init import check_device
from zeronas.proxies import Proxy, get_proxy, parse_proxy_list
from zeronas.scoring import ArchScores, CachedScorer, MemoScorer, Scorer, reference_archs
from zeronas.search import Budget, SearchResult, get_searcher
from zeronas.search.base import OnEval, ScoreFn
from zeronas.spaces import SearchSpace, get_space

__all__ = [
    "ScoringSetup",
    "SearchSetup",
    "setup",
    "search_setup",
    "resolve_arch",
    "score",
    "search",
    "run_correlation",
    "scoring_pool",
]


@dataclass(frozen=True)
class ScoringSetup:
    space: SearchSpace
    dataset: DatasetSpec
    proxies: list[Proxy]
    batch: Batch
    scorer: Scorer | CachedScorer


def setup(
    space: str = "nats-tss",
    dataset: str = "cifar10",
    proxies: str | Sequence[str] = "naswot",
    data: str = "synthetic",
    batch_size: int = 128,
    seed: int = 0,
    repeats: int = 1,
    init: str = "kaiming",
    data_root: str | Path | None = None,
    download: bool = False,
    cache: str | Path | None = None,
    device: str = "cpu",
) -> ScoringSetup:
    """Validate every name first, then load the run's one fixed mini-batch. With ``cache``
    (a score-store path), stored values are reused and new ones written as they come.
    ``device``: where networks run (``cpu``, ``cuda``, ``cuda:N``)."""
    space_obj = get_space(space)
    dataset_spec = get_dataset(dataset)
    proxy_list = parse_proxy_list(proxies)
    check_device(device)
    batch = load_batch(data, dataset_spec, batch_size, seed, data_root, download)
    scorer = Scorer(space_obj, dataset_spec, proxy_list, batch, seed, repeats, init, device=device)
    scorer = _cached(scorer, cache)
    return ScoringSetup(space_obj, dataset_spec, proxy_list, batch, scorer)


def _cached(scorer: Scorer, cache: str | Path | None) -> Scorer | CachedScorer:
    """``scorer`` behind the score store at ``cache`` (if any). The reference sample of its
    derived proxies is scored now, through the store, so that worker processes receive it."""
    if cache is None:
        scorer.fit_references()
        return scorer
    store = ScoreStore(cache)
    if parts := scorer.reference_parts():
        stored_parts = CachedScorer(dataclasses.replace(scorer, proxies=parts), store)
        scorer.fit_references(lambda arch, _parts: stored_parts(arch))
    return CachedScorer(scorer, store)


def resolve_arch(space: SearchSpace, arch: str | None, index: int | None) -> Hashable:
    """Exactly one of an arch string or an index."""
    if (arch is None) == (index is None):
        raise ArchError("Give exactly one of --arch STRING or --index I")
    return space.decode(arch) if arch is not None else space.arch(index)


def score(arch: str | None = None, index: int | None = None, **options: object) -> ArchScores:
    """Score one architecture; ``options`` as for :func:`setup`."""
    run = setup(**options)
    return run.scorer(resolve_arch(run.space, arch, index))


def run_correlation(
    run: ScoringSetup,
    truth: GroundTruth,
    sample: int | None = 1000,
    seed: int = 0,
    on_result: Callable[[ArchScores], None] | None = None,
    executor: str = "local",
    workers: int = 1,
    timeout: float | None = None,
    address: str | None = None,
) -> CorrelationResult:
    """Correlate ``run``'s proxies with ``truth`` on ``sample`` seeded cells of a finite
    space, scoring on ``executor`` with ``workers`` (see :mod:`zeronas.executors`)."""
    if run.space.size is None:
        raise ArchError(f"space {run.space.name!r} is not finite: correlate needs an index order")
    indices = sample_indices(run.space.size, sample, seed)
    with make_executor(executor, _plain(run.scorer), workers, timeout, address) as pool:
        return correlate(run.scorer, truth, indices, on_result, pool)


def _plain(score_fn: object) -> object:
    """The :class:`Scorer` that computes for ``score_fn`` (behind a score store or an
    in-memory memo, if any)."""
    while isinstance(score_fn, CachedScorer | MemoScorer):
        score_fn = score_fn.scorer if isinstance(score_fn, CachedScorer) else score_fn.score_fn
    return score_fn


@dataclass(frozen=True)
class SearchSetup:
    """Everything a search run needs besides the algorithm, budget and seed."""

    space: SearchSpace
    dataset: DatasetSpec
    fitness: Fitness
    score_fn: ScoreFn
    constraints: Constraints
    batch: Batch | None
    scores: str | None
    reference_seconds: float = 0.0

    @property
    def synthetic_data(self) -> bool:
        """True when a data-dependent proxy is computed live on the synthetic batch."""
        return (
            self.batch is not None
            and self.batch.synthetic
            and any(p.needs_data for p in self.fitness.proxies if p.arch_fn is None)
        )

    def describe(self) -> dict[str, Any]:
        return {
            "space": self.space.name,
            "dataset": self.dataset.name,
            "fitness": self.fitness.describe(),
            "constraints": self.constraints.describe(),
            "scores": self.scores,
            "data": self.batch.describe() if self.batch is not None else None,
            "reference_seconds": self.reference_seconds,
        }


def search_setup(
    space: str = "nats-tss",
    dataset: str = "cifar10",
    proxies: str | Sequence[str] = "naswot,logsynflow",
    combine: str = "norm-sum",
    weights: str | Sequence[float] | None = None,
    scores: str | Path | None = None,
    data: str = "synthetic",
    batch_size: int = 128,
    seed: int = 0,
    repeats: int = 1,
    init: str = "kaiming",
    data_root: str | Path | None = None,
    download: bool = False,
    max_params: float | None = None,
    max_flops: float | None = None,
    max_macs: float | None = None,
    max_size_kb: float | None = None,
    max_peak_memory_kb: float | None = None,
    max_latency_ms: float | None = None,
    reference: int = 50,
    cache: str | Path | None = None,
    device: str = "cpu",
    penalty: str | None = None,
    target_kb: float = 200.0,
    width_kb: float = 400.0,
) -> SearchSetup:
    """Validate every name, then prepare scoring: live on one fixed batch, or from a
    precomputed ``scores`` table (proxies it lacks are computed live; the batch is loaded
    only when a live proxy needs a network). ``zscore`` fitness takes its (μ, σ) from
    ``reference`` random architectures, scored with the same ``seed``. ``cache``: a
    score-store path for the live scoring. ``penalty``: seed 002's size penalty (``gdf``,
    ``hsdf``, ``rdf``) with its target and width in kB (:class:`~zeronas.fitness.SizePenalty`);
    ``params`` is then scored too. Limits left unset take the space's default budgets (the
    blocks space: 2.5 M parameters, 200 M MACs); see :mod:`zeronas.budgets`."""
    space_obj, spec = get_space(space), get_dataset(dataset)
    proxy_list = parse_proxy_list(proxies)
    size_penalty = SizePenalty(penalty, target_kb, width_kb) if penalty else None
    weights_ = parse_weights(weights, proxy_list)
    fitness = Fitness(tuple(proxy_list), combine, weights_, penalty=size_penalty)
    if size_penalty is not None and "params" not in fitness.names:
        proxy_list = [*proxy_list, get_proxy("params")]  # the penalty reads it
    constraints = Constraints(
        max_params, max_flops, max_macs, max_size_kb, max_peak_memory_kb, max_latency_ms
    ).with_defaults(space_obj.default_budgets)
    check_device(device)
    table = open_score_table(str(scores), spec.name) if scores is not None else None
    live = [p for p in proxy_list if table is None or p.name not in table.values]
    batch = None
    if any(p.arch_fn is None for p in live):
        batch = load_batch(data, spec, batch_size, seed, data_root, download)
    scorer = None
    if live:
        live_batch = _dummy_batch(spec) if batch is None else batch
        scorer = Scorer(space_obj, spec, live, live_batch, seed, repeats, init, device=device)
        scorer = _cached(scorer, cache)
    score_fn: ScoreFn = scorer  # type: ignore[assignment]
    if table is not None:
        score_fn = TableScorer(space_obj, table, proxy_list, scorer)
    reference_seconds = 0.0
    if fitness.combine == "zscore":
        t0 = time.perf_counter()
        fitness = _with_reference(fitness, space_obj, score_fn, reference, seed)
        reference_seconds = time.perf_counter() - t0
    return SearchSetup(
        space_obj,
        spec,
        fitness,
        score_fn,
        constraints,
        batch,
        str(scores) if scores is not None else None,
        reference_seconds,
    )


def _dummy_batch(spec: DatasetSpec) -> Batch:
    """A one-image zero batch for scorers whose proxies read only the architecture."""
    import torch

    return Batch(torch.zeros((1, *spec.input_shape)), None, "none", False)


def _with_reference(
    fitness: Fitness, space: SearchSpace, score_fn: ScoreFn, count: int, seed: int
) -> Fitness:
    if count < 2:
        raise ArchError(f"the zscore reference needs >= 2 architectures, got {count}")
    rows = [
        {n: v.value for n, v in score_fn(arch).values.items()}
        for arch in reference_archs(space, count, seed)
    ]
    return fitness.with_reference(rows)


def search(
    run: SearchSetup,
    algorithm: str = "rea",
    budget: int | None = 100,
    seconds: float | None = None,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    on_eval: OnEval | None = None,
    executor: str | Executor = "local",
    workers: int = 1,
    timeout: float | None = None,
    address: str | None = None,
) -> SearchResult:
    """Run ``algorithm`` (with ``options`` overriding its defaults) on ``run``. Live scoring
    runs on ``executor`` with ``workers`` when that is asked for (more than one worker, Ray,
    or a per-candidate ``timeout``), or on ``executor`` itself when it is a started
    :class:`~zeronas.executors.Executor`; precomputed scores are always read in this
    process."""
    searcher = get_searcher(algorithm, **dict(options or {}))
    budget_ = Budget(budget, seconds)
    with scoring_pool(run, executor, workers, timeout, address) as executor_:
        return searcher.run(
            run.space, run.score_fn, run.fitness, budget_, seed, run.constraints, run.dataset,
            on_eval, executor_,
        )  # fmt: skip


def scoring_pool(
    run: SearchSetup,
    executor: str | Executor = "local",
    workers: int = 1,
    timeout: float | None = None,
    address: str | None = None,
) -> contextlib.AbstractContextManager[Executor | None]:
    """The executor for ``run``'s live scoring: ``executor`` itself if it is one, a new one
    when more than one worker, Ray or a timeout is asked for, else none (in-process)."""
    if isinstance(executor, Executor):
        return contextlib.nullcontext(executor)
    base = _plain(run.score_fn)
    wanted = workers > 1 or executor != "local" or timeout is not None
    if wanted and isinstance(base, Scorer):
        return make_executor(executor, base, workers, timeout, address)
    return contextlib.nullcontext()
