"""Scores from the score store where it has them; the rest computed live and written back."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence

from zeronas.execution.base import Executor
from zeronas.proxies.lists import proxy_versions
from zeronas.scoring.records import ArchScores, ProxyValue
from zeronas.scoring.scorer import Scorer
from zeronas.scoring.sources import ScoreSource
from zeronas.store.schema import StoredScore
from zeronas.store.sqlite import ScoreStore

__all__ = ["CachedScorer"]


class CachedScorer(ScoreSource):
    """A :class:`Scorer` behind a :class:`~zeronas.store.sqlite.ScoreStore`: stored values are read
    first (with the seconds they took when computed), missing ones computed and written as
    they come, each under its proxy's version. Failures are not stored: they are retried next
    time (an out-of-memory error may not recur)."""

    def __init__(self, scorer: Scorer, store: ScoreStore) -> None:
        self.scorer, self.store = scorer, store
        self.space, self.dataset, self.proxies = scorer.space, scorer.dataset, scorer.proxies
        self.key = scorer.store_key()
        self.versions = proxy_versions(list(self.proxies))
        self.hits = self.misses = 0

    @property
    def computing(self) -> Scorer:
        return self.scorer

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """(position, scores) of each of ``archs`` as they finish: stored ones at once, the
        missing proxies computed (on ``executor`` if given) and written as they arrive."""
        names = [p.name for p in self.proxies]
        tasks: list[tuple[Hashable, tuple[str, ...]]] = []
        waiting: list[tuple[int, dict[str, ProxyValue]]] = []
        for position, arch in enumerate(archs):
            stored = self.store.get(self.key, self.space.encode(arch), self.versions)
            values = {n: ProxyValue(s.value, s.seconds, s.error) for n, s in stored.items()}
            missing = tuple(n for n in names if n not in stored)
            self.hits += len(names) - len(missing)
            self.misses += len(missing)
            if missing:
                tasks.append((arch, missing))
                waiting.append((position, values))
            else:
                yield position, self._assemble(arch, values, None)
        if executor is not None:
            results = executor.imap(tasks)
        else:
            results = (
                (k, self.scorer.score(arch, [p for p in self.proxies if p.name in missing]))
                for k, (arch, missing) in enumerate(tasks)
            )
        for k, fresh in results:
            position, values = waiting[k]
            good = {
                n: StoredScore(v.value, v.seconds, None) for n, v in fresh.values.items() if v.ok
            }
            if good:
                self.store.put(self.key, fresh.arch, good, self.versions)
            yield position, self._assemble(tasks[k][0], values | fresh.values, fresh)

    def _assemble(
        self, arch: Hashable, values: dict[str, ProxyValue], fresh: ArchScores | None
    ) -> ArchScores:
        index = self.space.known_index(arch)
        ordered = {p.name: values[p.name] for p in self.proxies}
        build = fresh.build_seconds if fresh is not None else 0.0
        error = fresh.error if fresh is not None else None
        return ArchScores(self.space.encode(arch), index, ordered, build, error)
