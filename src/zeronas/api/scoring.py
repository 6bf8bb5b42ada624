"""Scoring through the API: from one :class:`~zeronas.scoring.config.ScoringConfig`, a
ready scoring run (its batch, its scorer behind the store), one architecture's scores, and
a correlation with ground truth over a space's cells."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeronas.data.batch import Batch
from zeronas.data.sources import load_batch
from zeronas.data.tasks import DatasetSpec
from zeronas.errors import ArchError, ParameterError
from zeronas.execution.base import ExecutorConfig, make_executor
from zeronas.groundtruth.accuracy import GroundTruth
from zeronas.groundtruth.correlation import CorrelationResult, correlate, sample_indices
from zeronas.proxies import Proxy
from zeronas.scoring.cached import CachedScorer
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.notes import check_labels
from zeronas.scoring.records import ArchScores
from zeronas.scoring.scorer import Scorer
from zeronas.scoring.sources import ScoreSource
from zeronas.spaces import SearchSpace
from zeronas.store.sqlite import ScoreStore

__all__ = [
    "ScoringSetup",
    "behind_store",
    "correlation_indices",
    "load_config_batch",
    "resolve_arch",
    "run_correlation",
    "score",
    "setup",
]


_SCORING_FIELDS = {f.name for f in dataclasses.fields(ScoringConfig)}


def _scoring_config(config: ScoringConfig | None, fields: Mapping[str, Any]) -> ScoringConfig:
    """``config``, or one made of ``fields`` (not both); unknown fields are named."""
    unknown = sorted(set(fields) - _SCORING_FIELDS)
    if unknown:
        valid = ", ".join(sorted(_SCORING_FIELDS))
        raise ParameterError(unknown[0], "ScoringConfig", f"one of ({valid})", unknown[0],
                             unknown=True)  # fmt: skip
    if config is not None and fields:
        raise ParameterError("config", "setup", "given alone or replaced by fields", "both")
    return config if config is not None else ScoringConfig(**fields)


@dataclass(frozen=True)
class ScoringSetup:
    """A scoring run, ready: its configuration, what it names, the batch and the scorer."""

    config: ScoringConfig
    space: SearchSpace
    dataset: DatasetSpec
    proxies: list[Proxy]
    batch: Batch
    scorer: ScoreSource


def load_config_batch(config: ScoringConfig) -> Batch:
    """The one fixed, seeded mini-batch of ``config``."""
    return load_batch(
        config.data, config.dataset_spec(), config.batch_size, config.seed, config.data_root,
        config.download,
    )  # fmt: skip


def setup(
    config: ScoringConfig | None = None, *, cache: str | Path | None = None, **fields: Any
) -> ScoringSetup:
    """Validate ``config`` (or the :class:`ScoringConfig` made of ``fields``), then load its
    batch. With ``cache`` (a score-store path), stored values are reused and new ones
    written as they come."""
    config = _scoring_config(config, fields)
    batch = load_config_batch(config)
    check_labels(batch, config.proxies)
    live = Scorer(config, batch)
    scorer = behind_store(live, cache)
    return ScoringSetup(config, live.space, live.dataset, list(live.proxies), batch, scorer)


def behind_store(scorer: Scorer, cache: str | Path | None) -> ScoreSource:
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
        raise ArchError("Give exactly one of an arch string (arch) or an index (index)")
    return space.decode(arch) if arch is not None else space.arch(index)


def score(
    arch: str | None = None,
    index: int | None = None,
    config: ScoringConfig | None = None,
    *,
    cache: str | Path | None = None,
    **fields: Any,
) -> ArchScores:
    """Score one architecture (an arch string or an index) under ``config`` or ``fields``."""
    config = _scoring_config(config, fields)
    target = resolve_arch(config.space_object(), arch, index)  # before loading data
    return setup(config, cache=cache).scorer(target)


def correlation_indices(space: SearchSpace, sample: int | None, seed: int) -> list[int]:
    """The ``sample`` seeded indices (all with None) a correlation of ``space`` scores; a
    space without an index order or a bad ``sample`` is refused."""
    if space.size is None:
        raise ArchError(f"space {space.name!r} is not finite: correlate needs an index order")
    return sample_indices(space.size, sample, seed)


def run_correlation(
    run: ScoringSetup,
    truth: GroundTruth,
    sample: int | None = 1000,
    seed: int = 0,
    on_result: Callable[[ArchScores], None] | None = None,
    execution: ExecutorConfig | None = None,
    subset: int | None = None,
) -> CorrelationResult:
    """Correlate ``run``'s proxies with ``truth`` on ``sample`` seeded cells of a finite
    space (all with None), scoring where ``execution`` says (:mod:`zeronas.execution`;
    default in this process). ``subset``: only the first ``subset`` of those cells (a seeded
    subset of the same cells, for proxies too costly for all of them)."""
    execution = execution or ExecutorConfig()
    indices = correlation_indices(run.space, sample, seed)
    if subset is not None:
        if not 2 <= subset <= len(indices):
            raise ParameterError("subset", "run_correlation", f"in [2, {len(indices)}]", subset)
        indices = indices[:subset]
    computing = run.scorer.computing
    if computing is None:
        return correlate(run.scorer, truth, indices, on_result, None)
    with make_executor(execution, computing) as pool:
        return correlate(run.scorer, truth, indices, on_result, pool)
