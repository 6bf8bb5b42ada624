"""Precomputed proxy values read from a CSV, so search algorithms can be studied on a whole
benchmark space in seconds (FreeREA's cached-metrics protocol).

Columns (as ``shared/benchmarks/nats-tss/reference_scores.csv``): ``index`` (the space's
official index), ``<proxy>_<dataset>`` (the value) and optionally
``<proxy>_seconds_<dataset>`` (the seconds it took when it was computed: search time is
accounted from these). Values may be ``-inf``; an empty value means not computed. Proxies
the table lacks are computed live.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zeronas.errors import BenchmarkError
from zeronas.proxies.base import Proxy
from zeronas.scoring import ArchScores, ProxyValue, Scorer, ScoreSource, invalid_value
from zeronas.spaces.base import SearchSpace

if TYPE_CHECKING:
    from zeronas.executors import Executor

__all__ = ["ScoreTable", "TableScorer", "open_score_table"]


class ScoreTable:
    """The values and seconds of every proxy of one dataset in a scores CSV, by index."""

    def __init__(self, path: str | Path, dataset: str) -> None:
        self.path, self.dataset = Path(path), dataset
        if not self.path.is_file():
            raise BenchmarkError(f"Scores file not found: {str(self.path)!r}")
        try:
            with self.path.open(newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                rows = list(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise BenchmarkError(f"Malformed scores table {str(self.path)!r}: {exc}") from exc
        if not header or "index" not in header:
            raise BenchmarkError(
                f"Scores table {str(self.path)!r} needs an 'index' column and "
                f"'<proxy>_<dataset>' columns"
            )
        suffix = f"_{dataset}"
        value_cols = {
            c.removesuffix(suffix): i
            for i, c in enumerate(header)
            if c.endswith(suffix) and "_seconds_" not in c
        }
        if not value_cols:
            found = sorted({c.rsplit("_", 1)[-1] for c in header if c != "index"})
            raise BenchmarkError(
                f"Scores table {str(self.path)!r} has no '<proxy>_{dataset}' column "
                f"(dataset suffixes in it: {', '.join(found) or 'none'})"
            )
        col = header.index("index")
        seconds_cols = {
            p: header.index(f"{p}_seconds{suffix}")
            for p in value_cols
            if f"{p}_seconds{suffix}" in header
        }
        self.values: dict[str, dict[int, float]] = {p: {} for p in value_cols}
        self.seconds: dict[str, dict[int, float]] = {p: {} for p in value_cols}
        self.archs: dict[int, str] = {}  # from an optional 'arch' column
        arch_col = header.index("arch") if "arch" in header else None
        self.indices: set[int] = set()
        for line, row in enumerate(rows, start=2):
            try:
                index = int(row[col])
                if index in self.indices:
                    raise ValueError(f"index {index} appears twice")
                self.indices.add(index)
                if arch_col is not None:
                    self.archs[index] = row[arch_col]
                for proxy, i in value_cols.items():
                    if row[i] == "":  # not computed: the cell is missing for this proxy
                        continue
                    self.values[proxy][index] = float(row[i])
                    if proxy in seconds_cols:
                        self.seconds[proxy][index] = float(row[seconds_cols[proxy]])
            except (ValueError, IndexError) as exc:
                raise BenchmarkError(
                    f"Malformed row {line} of scores table {str(self.path)!r}: {exc}"
                ) from exc

    @property
    def proxies(self) -> list[str]:
        return list(self.values)

    def check_space(self, space: SearchSpace) -> None:
        """Refuse a table of another space: with an ``arch`` column every row's arch must be
        the space's at that index; without one the table must list every index of the space
        exactly (as a whole-space table such as FreeREA's does)."""
        for index, text in self.archs.items():
            expected = space.encode(space.arch(index)) if 0 <= index < space.size else None  # type: ignore[operator]
            if text != expected:
                raise BenchmarkError(
                    f"Scores table {str(self.path)!r}: row index {index} has arch {text!r}, but "
                    f"index {index} of space {space.name!r} is {expected!r}: a table of another "
                    f"space?"
                )
        if not self.archs and self.indices != set(range(space.size or 0)):
            raise BenchmarkError(
                f"Scores table {str(self.path)!r} has {len(self.indices)} rows and no 'arch' "
                f"column, so it cannot show it is a table of space {space.name!r} "
                f"({space.size} architectures): give every index of the space, or an 'arch' "
                f"column (zeronas cache export --table writes one)"
            )

    def lookup(self, proxy: str, index: int) -> ProxyValue:
        """The recorded value and seconds; NaN/+inf and missing rows are errors, as live."""
        value = self.values[proxy].get(index)
        if value is None:
            return ProxyValue(math.nan, 0.0, f"index {index} is not in {self.path.name}")
        seconds = self.seconds[proxy].get(index, 0.0)
        if invalid_value(value):
            return ProxyValue(math.nan, seconds, f"table value is {value}")
        return ProxyValue(value, seconds)


@functools.lru_cache(maxsize=8)
def open_score_table(path: str, dataset: str) -> ScoreTable:
    """A :class:`ScoreTable`, read once per (path, dataset) per process."""
    return ScoreTable(path, dataset)


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
    def computing(self) -> Scorer | None:
        return None if self.live is None else self.live.computing

    def _from_table(self, arch: Hashable, live: ArchScores | None) -> ArchScores:
        index = self.space.index(arch)
        values = {
            p.name: self.table.lookup(p.name, index)
            for p in self.proxies
            if p.name in self.table.values
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
