"""Ground-truth accuracies: a CSV table, or the official NATS-Bench file via ``nats_bench``.

CSV columns (as NATS-Bench's exported ``accuracy.csv``): ``index``, ``arch``,
``test_acc_<dataset>`` (%, test split) and optionally ``params_m_<dataset>``. Every accuracy
carries a ``label`` naming its schedule and split. A CSV cannot say which schedule it holds:
its label states the ``hp`` it is opened with (default: the space's full schedule, NATS-TSS
200 epochs, NATS-SSS 90). The official NATS-Bench files are read with ``hp`` explicit and
checked against the space (TSS: 12 or 200; SSS: 01, 12 or 90), so 12-epoch numbers are never
taken for final ones.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Protocol

from zeronas.errors import BenchmarkError
from zeronas.spaces.base import SearchSpace, first_mismatch

__all__ = [
    "GroundTruth",
    "CSVGroundTruth",
]

BENCHMARK_ENV = "ZERONAS_BENCHMARK"
#: The ``hp`` values (training schedules, epochs) of the official NATS-Bench files.
#: the largest benchmark table read (NAS-Bench-101's 423,624 rows are 11 MiB)
MAX_TABLE_BYTES = 512 * 2**20

SCHEDULES = {"tss": ("12", "200"), "sss": ("01", "12", "90")}


class GroundTruth(Protocol):
    label: str

    def accuracy(self, index: int, dataset: str) -> float:
        """Accuracy (%) of the architecture with official ``index`` on ``dataset``."""
        ...


class CSVGroundTruth:
    """A ground-truth table read from CSV (rows keyed by official index).

    Accuracy columns are ``test_acc_<dataset>`` or ``valid_acc_<dataset>`` (the split is named
    in the label; a table with both is read as test). Every accuracy and parameter count is
    checked when the table is opened: numbers, finite, accuracies within [0, 100], one row
    per index; a table that breaks any of these is refused, naming the row and column.
    """

    def __init__(self, path: str | Path, hp: str = "200") -> None:
        self.path = Path(path)
        self.hp = str(hp)
        if not self.path.is_file():
            raise BenchmarkError(f"Benchmark file not found: {str(self.path)!r}")
        size = self.path.stat().st_size
        if size > MAX_TABLE_BYTES:  # refused before reading: no table of a space is this big
            raise BenchmarkError(
                f"{str(self.path)!r} holds {size / 2**30:.1f} GiB: too large for a benchmark "
                f"table (at most {MAX_TABLE_BYTES // 2**20} MiB; NAS-Bench-101's is 11 MiB)"
            )
        try:
            with self.path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                self.columns = list(reader.fieldnames or [])
                # no index column: refused below, before the rows are read
                rows = list(reader) if "index" in self.columns else []
        except (OSError, UnicodeDecodeError, csv.Error) as exc:  # unreadable: permission, ...
            raise BenchmarkError(f"Malformed benchmark table {str(self.path)!r}: {exc}") from exc
        missing = {"index"} - set(self.columns)
        if missing:
            raise BenchmarkError(
                f"Benchmark table {str(self.path)!r} lacks column(s) "
                f"{', '.join(sorted(missing))}; expected index, arch, test_acc_<dataset>"
            )
        if not rows:
            raise BenchmarkError(f"Benchmark table {str(self.path)!r} has no rows")
        has_test = any(c.startswith("test_acc_") for c in self.columns)
        self.split = (
            "test"
            if has_test or not any(c.startswith("valid_acc_") for c in self.columns)
            else "valid"
        )
        self.prefix = f"{self.split}_acc_"
        self.datasets = [
            c.removeprefix(self.prefix) for c in self.columns if c.startswith(self.prefix)
        ]
        split = "test" if self.split == "test" else "validation"
        self.label = f"{split} accuracy, {self.hp}-epoch schedule (CSV table)"
        self.rows: dict[int, dict[str, str]] = {}
        self.numbers: dict[int, dict[str, float]] = {}
        checked = [
            c for c in self.columns if c.startswith(("test_acc_", "valid_acc_", "params_m_"))
        ]
        for line, row in enumerate(rows, start=2):
            if None in row or None in row.values():  # more or fewer fields than the header
                raise BenchmarkError(
                    f"line {line} of {str(self.path)!r} has another number of fields than its "
                    f"header ({len(self.columns)})"
                )
            index = self._index(row, line)
            if index in self.rows:
                raise BenchmarkError(
                    f"index {index} appears twice in {str(self.path)!r} (line {line} again)"
                )
            self.rows[index] = row
            self.numbers[index] = {c: self._checked(row, c, line) for c in checked}

    def _index(self, row: dict[str, str], line: int) -> int:
        try:
            index = int(row["index"])
        except (TypeError, ValueError) as exc:
            raise BenchmarkError(
                f"Malformed index {row['index']!r} on line {line} of {str(self.path)!r}"
            ) from exc
        if index < 0:
            raise BenchmarkError(f"negative index {index} on line {line} of {str(self.path)!r}")
        return index

    def _checked(self, row: dict[str, str], column: str, line: int) -> float:
        text = row.get(column)
        try:
            value = float(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            value = math.nan
        low, high = (0.0, 100.0) if "_acc_" in column else (0.0, math.inf)
        if not (math.isfinite(value) and low <= value <= high):
            allowed = "a number in [0, 100]" if "_acc_" in column else "a finite number >= 0"
            raise BenchmarkError(
                f"Malformed value {text!r} in column {column!r} on line {line} (index "
                f"{row.get('index')}) of {str(self.path)!r}: must be {allowed}"
            )
        return value

    def _column(self, prefix: str, dataset: str) -> str:
        column = f"{prefix}{dataset}"
        if column not in self.columns:
            raise BenchmarkError(
                f"Benchmark table {str(self.path)!r} has no column {column!r}; "
                f"datasets in it: {', '.join(self.datasets) or 'none'}"
            )
        return column

    def _number(self, index: int, column: str) -> float:
        numbers = self.numbers.get(int(index))
        if numbers is None:
            raise BenchmarkError(f"index {index} is not in {str(self.path)!r}")
        return numbers[column]

    def accuracy(self, index: int, dataset: str) -> float:
        return self._number(index, self._column(self.prefix, dataset))

    def params(self, index: int, dataset: str) -> float:
        """Parameters in millions, when the table has ``params_m_<dataset>``."""
        return self._number(index, self._column("params_m_", dataset))

    def arch(self, index: int) -> str:
        if "arch" not in self.columns:
            raise BenchmarkError(f"{str(self.path)!r} has no arch column")
        return self.rows[int(index)]["arch"]

    def check_space(self, space: SearchSpace) -> None:
        """Refuse a table whose ``arch`` column disagrees with ``space``'s index order on any
        row (a table of another space, or another order), naming the first bad row."""
        if space.size is None:
            raise BenchmarkError(f"space {space.name!r} has no index order to look rows up by")
        if "arch" not in self.columns:  # NAS-Bench-101's table: rows by hash rank only
            if sorted(self.rows) != list(range(space.size)):
                raise BenchmarkError(
                    f"{str(self.path)!r} has {len(self.rows)} rows without an arch column, but "
                    f"space {space.name!r} has {space.size} indices: is it a table of another "
                    f"space?"
                )
            return
        bad = first_mismatch(space, ((i, self.rows[i]["arch"]) for i in sorted(self.rows)))
        if bad is not None:
            index, text, expected = bad
            raise BenchmarkError(
                f"Row index {index} of {str(self.path)!r} has arch {text!r}, but index "
                f"{index} of space {space.name!r} is {expected!r}: is it a table of "
                f"another space?"
            )
