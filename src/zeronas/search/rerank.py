"""The second stage of a two-stage search: re-score the fittest candidates with costlier
proxies and answer with the best of them.

A search proposes with cheap *screen* proxies (fitness over its whole history, as usual);
then its ``k`` fittest candidates are scored with the remaining proxies and ranked by the
full fitness *over those k* (the set being compared, as AZ-NAS ranks). Proxies fail at the
top of their ranking, which is where a search picks (docs/metrics.md); screening many
candidates cheaply and spending the costly proxies on the few best is successive halving
with two rungs (Jamieson & Talwalkar 2016).

Time: the second stage is scored in this process and its seconds (measured, or recorded by
the store) are added to the search time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from zeronas.execution.base import Executor
from zeronas.fitness.combiners import Fitness
from zeronas.scoring.records import ArchScores
from zeronas.scoring.sources import ScoreSource
from zeronas.search.result import Evaluation, SearchResult, top_k

__all__ = ["Rerank", "rerank"]


@dataclass(frozen=True)
class Rerank:
    """The second stage: ``k`` candidates, scored with ``score_fn`` (the proxies the screen
    lacks), ranked by ``fitness`` (every proxy)."""

    k: int
    fitness: Fitness
    score_fn: ScoreSource

    def describe(self) -> dict[str, Any]:
        return {"k": self.k, "fitness": self.fitness.describe()}

    def with_source(self, score_fn: ScoreSource) -> Rerank:
        return dataclasses.replace(self, score_fn=score_fn)


def _merged(first: Evaluation, scores: ArchScores, step: int, elapsed: float) -> Evaluation:
    """``first`` (the first stage's record, valid values) with the second stage's values."""
    values = {**first.values, **{n: v.value for n, v in scores.values.items()}}
    error = scores.failure()
    return Evaluation(
        step, first.arch, first.index, "failed" if error else "ok", values, scores.seconds,
        elapsed, error, first.genome, first.costs,
    )  # fmt: skip


def rerank(
    result: SearchResult,
    stage: Rerank,
    on_scored: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> SearchResult:
    """``result`` with its ``stage.k`` fittest candidates re-scored and ``best`` the fittest
    of them by ``stage.fitness``; search and wall seconds include the second stage (search
    seconds as the evaluator's rule: each candidate's seconds / the executor's workers).
    ``on_scored(done, total)`` is called as each candidate is scored (progress);
    ``executor``: scores them in parallel (its workers run ``stage.score_fn``)."""
    if not result.scored:
        return dataclasses.replace(result, rerank_fitness=stage.fitness)
    top = top_k(result.fitness, result.scored, stage.k)
    t0 = time.perf_counter()
    genomes: list[Hashable] = [e.genome for e in top]
    scored = {}
    for position, scores in stage.score_fn.score_many(genomes, executor):
        scored[position] = scores
        if on_scored is not None:
            on_scored(len(scored), len(genomes))
    wall = time.perf_counter() - t0
    records, elapsed = [], result.seconds
    workers = executor.workers if executor is not None else 1
    for position, first in enumerate(top):
        record = _merged(first, scored[position], len(result.history) + position, elapsed)
        elapsed += record.seconds / workers
        records.append(dataclasses.replace(record, elapsed=elapsed))
    return dataclasses.replace(
        result,
        reranked=tuple(records),
        rerank_fitness=stage.fitness,
        seconds=elapsed,
        wall_seconds=result.wall_seconds + wall,
    )
