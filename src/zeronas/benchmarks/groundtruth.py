"""Ground-truth accuracies: a CSV table, or the official NATS-Bench file via ``nats_bench``.

CSV columns (as ``shared/benchmarks/nats-tss/accuracy.csv``): ``index``, ``arch``,
``test_acc_<dataset>`` (%, 200-epoch schedule, test split) and optionally
``params_m_<dataset>``. Every accuracy carries a ``label`` naming its schedule and split.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any, Protocol

from zeronas.errors import BenchmarkError

__all__ = ["GroundTruth", "CSVGroundTruth", "NatsBenchGroundTruth", "open_ground_truth"]

BENCHMARK_ENV = "ZERONAS_BENCHMARK"


class GroundTruth(Protocol):
    label: str

    def accuracy(self, index: int, dataset: str) -> float:
        """Accuracy (%) of the architecture with official ``index`` on ``dataset``."""
        ...


class CSVGroundTruth:
    """A ground-truth table read from CSV (rows keyed by official index)."""

    label = "test accuracy, 200-epoch schedule (CSV table)"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise BenchmarkError(f"Benchmark file not found: {str(self.path)!r}")
        try:
            with self.path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                self.columns = list(reader.fieldnames or [])
                rows = list(reader)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise BenchmarkError(f"Malformed benchmark table {str(self.path)!r}: {exc}") from exc
        missing = {"index", "arch"} - set(self.columns)
        if missing:
            raise BenchmarkError(
                f"Benchmark table {str(self.path)!r} lacks column(s) "
                f"{', '.join(sorted(missing))}; expected index, arch, test_acc_<dataset>"
            )
        try:
            self.rows = {int(row["index"]): row for row in rows}
        except (TypeError, ValueError) as exc:
            raise BenchmarkError(f"Malformed index in {str(self.path)!r}: {exc}") from exc
        if not self.rows:
            raise BenchmarkError(f"Benchmark table {str(self.path)!r} has no rows")
        self.datasets = [
            c.removeprefix("test_acc_") for c in self.columns if c.startswith("test_acc_")
        ]

    def _column(self, prefix: str, dataset: str) -> str:
        column = f"{prefix}{dataset}"
        if column not in self.columns:
            raise BenchmarkError(
                f"Benchmark table {str(self.path)!r} has no column {column!r}; "
                f"datasets in it: {', '.join(self.datasets) or 'none'}"
            )
        return column

    def _number(self, index: int, column: str) -> float:
        row = self.rows.get(int(index))
        if row is None:
            raise BenchmarkError(f"index {index} is not in {str(self.path)!r}")
        try:
            return float(row[column])
        except (TypeError, ValueError) as exc:
            raise BenchmarkError(
                f"Malformed value {row[column]!r} in column {column!r}, index {index} of "
                f"{str(self.path)!r}"
            ) from exc

    def accuracy(self, index: int, dataset: str) -> float:
        return self._number(index, self._column("test_acc_", dataset))

    def params(self, index: int, dataset: str) -> float:
        """Parameters in millions, when the table has ``params_m_<dataset>``."""
        return self._number(index, self._column("params_m_", dataset))

    def arch(self, index: int) -> str:
        return self.rows[int(index)]["arch"]


class NatsBenchGroundTruth:
    """The official NATS-Bench file through the ``nats_bench`` API.

    ``hp``: the training schedule (TSS: ``"12"`` or ``"200"``; SSS: ``"12"`` or ``"90"``);
    ``split``: ``"test"`` or ``"valid"``. ``api`` may be any object with ``get_more_info``
    (tests use a stand-in).
    """

    def __init__(self, api: Any, hp: str = "200", split: str = "test") -> None:
        if split not in ("test", "valid"):
            raise BenchmarkError(f"split must be 'test' or 'valid', got {split!r}")
        self.api, self.hp, self.split = api, str(hp), split
        self.label = f"{split} accuracy, {self.hp}-epoch schedule (NATS-Bench file)"

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
        return cls(create(str(path), space, fast_mode=True, verbose=False), hp, split)

    def accuracy(self, index: int, dataset: str) -> float:
        info = self.api.get_more_info(int(index), dataset, hp=self.hp, is_random=False)
        key = f"{self.split}-accuracy"
        if key not in info:
            raise BenchmarkError(f"NATS-Bench gives no {key!r} for {dataset!r} (has {list(info)})")
        value = float(info[key])
        if not math.isfinite(value):
            raise BenchmarkError(f"NATS-Bench {key} of index {index} on {dataset} is {value}")
        return value


def open_ground_truth(
    path: str | Path | None, allow_pickle: bool = False, hp: str = "200"
) -> GroundTruth:
    """A CSV table, or (with ``allow_pickle``: the official files are pickles) a NATS-Bench file.

    ``path`` defaults to the ``ZERONAS_BENCHMARK`` environment variable.
    """
    path = path or os.environ.get(BENCHMARK_ENV)
    if not path:
        raise BenchmarkError(f"No benchmark given: pass --benchmark PATH or set {BENCHMARK_ENV}")
    if str(path).endswith(".csv"):
        return CSVGroundTruth(path)
    if not allow_pickle:
        raise BenchmarkError(
            f"{str(path)!r} is not a .csv table. Official NATS-Bench files are Python pickles; "
            f"loading one runs code from it, so pass --allow-pickle if you trust it"
        )
    return NatsBenchGroundTruth.open(path, hp=hp)
