"""Score sources: where searches and correlations get an architecture's scores. Layers wrap
one another (the store over the live scorer, memory over either); each scores many
architectures at once, on an executor when given one."""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Hashable, Iterator, Sequence

from zeronas.execution.base import Computation, Executor
from zeronas.proxies.base import Proxy
from zeronas.scoring.records import ArchScores, ProxyValue, failure_text
from zeronas.spaces.base import SearchSpace

__all__ = ["ScoreSource", "FunctionSource", "MemoScorer", "as_source", "failed_scores"]


def failed_scores(
    space: SearchSpace, arch: Hashable, error: str, names: Sequence[str] = ()
) -> ArchScores:
    """The record of a candidate that failed as a whole (``names``: its proxies, each NaN
    with the same error)."""
    index = space.known_index(arch)
    values = {n: ProxyValue(math.nan, 0.0, error) for n in names}
    return ArchScores(space.encode(arch), index, values, 0.0, error)


class ScoreSource(abc.ABC):
    """Where searches and correlations get scores: computed live
    (:class:`~zeronas.scoring.scorer.Scorer`), from the score store
    (:class:`~zeronas.scoring.cached.CachedScorer`), from memory (:class:`MemoScorer`) or from
    a precomputed table (:class:`~zeronas.scoring.table.TableScorer`). Layers wrap one
    another; every layer scores many architectures at once, on an executor when given one,
    and names the live computation beneath it that an executor runs (``computing``)."""

    space: SearchSpace
    proxies: Sequence[Proxy]

    @property
    @abc.abstractmethod
    def computing(self) -> Computation | None:
        """The live scorer that computes for this source; None when nothing is live."""

    @abc.abstractmethod
    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """(position, scores) of each of ``archs`` as they finish, on ``executor`` if given."""

    def __call__(self, arch: Hashable) -> ArchScores:
        return next(iter(self.score_many([arch])))[1]


class FunctionSource(ScoreSource):
    """A plain function ``arch -> ArchScores`` as a score source (tests, custom scorers); an
    exception it raises is that candidate's failure."""

    proxies: Sequence[Proxy] = ()

    def __init__(self, space: SearchSpace, fn: Callable[[Hashable], ArchScores]) -> None:
        self.space, self.fn = space, fn

    @property
    def computing(self) -> None:
        return None

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        for position, arch in enumerate(archs):
            try:
                yield position, self.fn(arch)
            except Exception as exc:  # noqa: BLE001 -- a candidate's failure is its own
                yield position, failed_scores(self.space, arch, failure_text(exc))


def as_source(
    space: SearchSpace, score_fn: ScoreSource | Callable[[Hashable], ArchScores]
) -> ScoreSource:
    """``score_fn`` if it is a :class:`ScoreSource`, else a :class:`FunctionSource` of it."""
    return score_fn if isinstance(score_fn, ScoreSource) else FunctionSource(space, score_fn)


class MemoScorer(ScoreSource):
    """Every result of ``source`` kept in memory, so repeated runs over the same candidates
    (an experiment's seeds) score each once."""

    def __init__(self, source: ScoreSource) -> None:
        self.source = source
        self.space, self.proxies = source.space, source.proxies
        self._memo: dict[Hashable, ArchScores] = {}

    @property
    def computing(self) -> Computation | None:
        return self.source.computing

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        missing = [(p, a) for p, a in enumerate(archs) if a not in self._memo]
        yield from ((p, self._memo[a]) for p, a in enumerate(archs) if a in self._memo)
        for k, result in self.source.score_many([arch for _, arch in missing], executor):
            position, arch = missing[k]
            self._memo[arch] = result
            yield position, result
