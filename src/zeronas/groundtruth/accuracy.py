"""Ground-truth accuracies: a CSV table, or the official NATS-Bench file via ``nats_bench``.

CSV columns (as ``shared/benchmarks/nats-tss/accuracy.csv``): ``index``, ``arch``,
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
import os
from pathlib import Path
from typing import Any, Protocol

from zeronas.errors import BenchmarkError
from zeronas.spaces.base import SearchSpace, first_mismatch

__all__ = [
    "GroundTruth",
    "CSVGroundTruth",
    "EmbeddedGroundTruth",
    "NatsBenchGroundTruth",
    "embedded_ground_truth",
    "open_ground_truth",
]

BENCHMARK_ENV = "ZERONAS_BENCHMARK"
#: The ``hp`` values (training schedules, epochs) of the official NATS-Bench files.
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
        try:
            with self.path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                self.columns = list(reader.fieldnames or [])
                rows = list(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
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


class EmbeddedGroundTruth:
    """The NATS-TSS 200-epoch test accuracies shipped with zeronas (:mod:`zeronas.embedded`):
    the default ground truth of the ``nats-tss`` space."""

    label = "test accuracy, 200-epoch schedule (NATS-TSS table shipped with zeronas)"
    hp = "200"

    def __init__(self) -> None:
        from zeronas.data.embedded import nats_tss_accuracy

        self.table, self.datasets = nats_tss_accuracy()

    def accuracy(self, index: int, dataset: str) -> float:
        if dataset not in self.datasets:
            raise BenchmarkError(
                f"the shipped NATS-TSS table has no {dataset!r}; datasets in it: "
                f"{', '.join(self.datasets)}"
            )
        if not 0 <= int(index) < len(self.table):
            last = len(self.table) - 1
            raise BenchmarkError(f"index {index} is not a NATS-TSS index (0..{last})")
        return float(self.table[int(index), self.datasets.index(dataset)])


def embedded_ground_truth(
    space: SearchSpace | None, hp: str | None, dataset: str | None = None
) -> GroundTruth | None:
    """The shipped table when it fits ``space``, ``hp`` (NATS-TSS, 200 epochs) and, if
    given, ``dataset``; else None."""
    if space is None or space.name != "nats-tss" or str(hp or "200") != "200":
        return None
    truth = EmbeddedGroundTruth()
    return truth if dataset is None or dataset in truth.datasets else None


class NatsBenchGroundTruth:
    """The official NATS-Bench file through the ``nats_bench`` API.

    ``hp``: the training schedule (TSS: ``"12"`` or ``"200"``; SSS: ``"12"`` or ``"90"``);
    ``split``: ``"test"`` or ``"valid"``. ``api`` may be any object with ``get_more_info``
    (tests use a stand-in).
    """

    def __init__(self, api: Any, hp: str = "200", split: str = "test", kind: str = "tss") -> None:
        if split not in ("test", "valid"):
            raise BenchmarkError(f"split must be 'test' or 'valid', got {split!r}")
        if kind not in SCHEDULES or str(hp) not in SCHEDULES[kind]:
            allowed = ", ".join(SCHEDULES.get(kind, ()))
            raise BenchmarkError(
                f"hp {hp!r} is not a schedule of the NATS-Bench {kind!r} file. Allowed: {allowed}"
            )
        self.api, self.hp, self.split, self.kind = api, str(hp), split, kind
        self.path: str | None = None
        name = "test" if split == "test" else "validation"
        self.label = f"{name} accuracy, {self.hp}-epoch schedule (NATS-Bench {kind} file)"

    @classmethod
    def open(
        cls, path: str | Path, space: str = "tss", hp: str = "200", split: str = "test"
    ) -> NatsBenchGroundTruth:
        try:
            from nats_bench import create
        except ImportError as exc:
            raise BenchmarkError(
                "Reading the official NATS-Bench file needs nats_bench: pip install 'zeronas[nats]'"
            ) from exc
        if not Path(path).exists():
            raise BenchmarkError(f"NATS-Bench file not found: {str(path)!r}")
        truth = cls(create(str(path), space, fast_mode=True, verbose=False), hp, split, space)
        truth.path = str(path)
        return truth

    def accuracy(self, index: int, dataset: str) -> float:
        # CIFAR-10's validation split is NATS-Bench's "cifar10-valid" (half the training set)
        query = "cifar10-valid" if self.split == "valid" and dataset == "cifar10" else dataset
        try:
            info = self.api.get_more_info(int(index), query, hp=self.hp, is_random=False)
        except (AssertionError, FileNotFoundError, KeyError, IndexError) as exc:
            raise BenchmarkError(
                f"the NATS-Bench {self.kind} file {self.path or ''!r} has no record of index "
                f"{index} ({dataset}, hp {self.hp}): a partial copy holds only some records "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        key = f"{self.split}-accuracy"
        if key not in info:
            raise BenchmarkError(f"NATS-Bench gives no {key!r} for {dataset!r} (has {list(info)})")
        value = float(info[key])
        if not math.isfinite(value):
            raise BenchmarkError(f"NATS-Bench {key} of index {index} on {dataset} is {value}")
        return value

    def check_space(self, space: SearchSpace) -> None:
        """The file's index -> arch list must be ``space``'s index order, every index."""
        archs = list(getattr(self.api, "meta_archs", []))
        if space.size is not None and archs and len(archs) != space.size:
            raise BenchmarkError(
                f"the NATS-Bench file lists {len(archs)} architectures; space {space.name!r} "
                f"has {space.size}"
            )
        bad = first_mismatch(space, enumerate(archs))
        if bad is not None:
            index, text, expected = bad
            raise BenchmarkError(
                f"index {index} of the NATS-Bench file is {text!r}, but space "
                f"{space.name!r} puts {expected!r} there"
            )


def open_ground_truth(
    path: str | Path | None,
    allow_pickle: bool = False,
    hp: str | None = None,
    space: SearchSpace | None = None,
    split: str = "test",
) -> GroundTruth:
    """A CSV table, or (with ``allow_pickle``: the official files are pickles) a NATS-Bench file.

    ``path`` defaults to the ``ZERONAS_BENCHMARK`` environment variable, then to the table
    shipped with zeronas where it fits (NATS-TSS, 200-epoch test accuracy). ``hp`` defaults
    to ``space``'s full schedule (200 without a space). With ``space``, a CSV's arch column
    is checked against the space's index order, and a NATS-Bench file is opened as that
    space's (``tss``/``sss``) and its index list checked against the space's order;
    ``split`` (``test`` or ``valid``) picks its accuracy (a CSV names its own split).
    """
    path = path or os.environ.get(BENCHMARK_ENV)
    if not path:
        shipped = embedded_ground_truth(space, hp)
        if shipped is not None:
            return shipped
        raise BenchmarkError(
            f"No ground truth for space {getattr(space, 'name', None)!r}: give a benchmark path "
            f"(--benchmark) or set {BENCHMARK_ENV}"
        )
    full = str((space.final_hp if space is not None else None) or "200")
    hp = str(hp or full)
    if str(path).endswith(".csv"):
        if hp != full:
            raise BenchmarkError(
                f"a CSV table cannot say which schedule it holds, so it is read as the full one "
                f"(hp {full}); for hp {hp} read the official NATS-Bench file (--allow-pickle)"
            )
        table = CSVGroundTruth(path, hp)
        if space is not None:
            table.check_space(space)
        return table
    if not allow_pickle:
        raise BenchmarkError(
            f"{str(path)!r} is not a .csv table. Official NATS-Bench files are Python pickles; "
            f"loading one runs code from it, so allow it (allow_pickle=True, --allow-pickle) "
            f"only if you trust it"
        )
    kind = space.benchmark_kind if space is not None else "tss"
    if kind is None:
        raise BenchmarkError(f"space {space.name!r} has no NATS-Bench file")  # type: ignore[union-attr]
    truth = NatsBenchGroundTruth.open(path, kind, hp, split)
    if space is not None:
        truth.check_space(space)
    return truth
