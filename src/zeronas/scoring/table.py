"""Scores from a precomputed table (FreeREA's cached-metrics protocol); proxies the table
lacks are computed live."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence

from zeronas.errors import BenchmarkError
from zeronas.execution.base import Computation, Executor
from zeronas.proxies.base import Proxy
from zeronas.scoring.records import ArchScores, ProxyValue, invalid_value
from zeronas.scoring.sources import ScoreSource
from zeronas.spaces.base import SearchSpace
from zeronas.store.tables import ScoreTable

__all__ = ["TableScorer"]


class TableScorer(ScoreSource):
    """Scores from a :class:`ScoreTable` where it has the proxy, else from ``live``."""

    def __init__(
        self,
        space: SearchSpace,
        table: ScoreTable,
        proxies: Sequence[Proxy],
        live: ScoreSource | None = None,
    ) -> None:
        if space.size is None:
            raise BenchmarkError(
                f"a score table needs a space with an index order, not {space.name!r}"
            )
        table.check_space(space)
        self.space, self.table, self.proxies, self.live = space, table, list(proxies), live
        missing = [p.name for p in self.proxies if p.name not in table.values]
        have = set() if live is None else {p.name for p in live.proxies}
        if set(missing) - have:
            raise BenchmarkError(
                f"Scores table {str(table.path)!r} has no column for "
                f"{', '.join(sorted(set(missing) - have))} on {table.dataset}"
            )

    @property
    def computing(self) -> Computation | None:
        return None if self.live is None else self.live.computing

    def _lookup(self, proxy: str, index: int) -> ProxyValue:
        """The recorded value and seconds; NaN/+inf and missing rows are errors, as live."""
        value = self.table.values[proxy].get(index)
        if value is None:
            return ProxyValue(math.nan, 0.0, f"index {index} is not in {self.table.path.name}")
        seconds = self.table.seconds[proxy].get(index, 0.0)
        if invalid_value(value):
            return ProxyValue(math.nan, seconds, f"table value is {value}")
        return ProxyValue(value, seconds)

    def _from_table(self, arch: Hashable, live: ArchScores | None) -> ArchScores:
        index = self.space.index(arch)
        values = {
            p.name: self._lookup(p.name, index) for p in self.proxies if p.name in self.table.values
        }
        build_seconds, error = 0.0, None
        if live is not None:
            values |= live.values
            build_seconds, error = live.build_seconds, live.error
        ordered = {p.name: values[p.name] for p in self.proxies}
        return ArchScores(self.space.encode(arch), index, ordered, build_seconds, error)

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """Table values at once; the proxies the table lacks from ``live`` (on ``executor``)."""
        if self.live is None:
            for position, arch in enumerate(archs):
                yield position, self._from_table(arch, None)
            return
        for position, live in self.live.score_many(archs, executor):
            yield position, self._from_table(archs[position], live)
