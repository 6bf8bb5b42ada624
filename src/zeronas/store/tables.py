"""Precomputed proxy values read from a CSV, so search algorithms can be studied on a whole
benchmark space in seconds (FreeREA's cached-metrics protocol).

Columns (as FreeREA's ``reference_scores.csv``): ``index`` (the space's
official index), ``<proxy>_<dataset>`` (the value) and optionally
``<proxy>_seconds_<dataset>`` (the seconds it took when it was computed: search time is
accounted from these). Values may be ``-inf``; an empty value means not computed. Proxies
the table lacks are computed live.
"""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING

from zeronas.errors import BenchmarkError
from zeronas.spaces.base import SearchSpace

if TYPE_CHECKING:
    pass

__all__ = ["ScoreTable", "open_score_table"]


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
        except (OSError, UnicodeDecodeError, csv.Error) as exc:  # unreadable: permission, ...
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
                        seconds = float(row[seconds_cols[proxy]])
                        if not (math.isfinite(seconds) and seconds >= 0):
                            raise ValueError(f"{proxy} took {seconds} s: seconds are >= 0")
                        self.seconds[proxy][index] = seconds
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


@functools.lru_cache(maxsize=8)
def open_score_table(path: str, dataset: str) -> ScoreTable:
    """A :class:`ScoreTable`, read once per (path, dataset) per process."""
    return ScoreTable(path, dataset)
