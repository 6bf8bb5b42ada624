"""Latency read from a table of a device: ``PATH:COLUMN``, a CSV with an ``index``
column (the space's index order) and numeric columns, one per device, in milliseconds, e.g.
``latency_cifar10.csv:raspi4_ms`` (HW-NAS-Bench: Raspberry Pi
4, Pixel 3, Edge TPU, Eyeriss, FPGA) or ``latency_devices.csv:pixel2_ms`` (HELP).

A table of another space is refused: its ``arch`` column, when it has one, must match the
space's index order, else it must hold exactly one row per index of the space.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zeronas.errors import ZeroNASError
from zeronas.spaces.base import SearchSpace, first_mismatch

if TYPE_CHECKING:
    from zeronas.hardware.block_latency import BlockLatencyTable

__all__ = ["LatencyTable", "open_latency_table", "split_table_spec"]


def split_table_spec(spec: str) -> tuple[Path, str]:
    """``"PATH:COLUMN"`` -> (path, column); the column is after the last ``:``."""
    path, sep, column = str(spec).rpartition(":")
    if not sep or not path or not column:
        raise ZeroNASError(
            f"a latency table is PATH:COLUMN (e.g. latency_cifar10.csv:raspi4_ms), got {spec!r}"
        )
    return Path(path), column


class LatencyTable:
    """Milliseconds per index from one column of a CSV (module docstring)."""

    def __init__(self, spec: str) -> None:
        self.spec = str(spec)
        self.path, self.column = split_table_spec(spec)
        if not self.path.is_file():
            raise ZeroNASError(f"latency table not found: {str(self.path)!r}")
        with self.path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
        if "index" not in columns:
            raise ZeroNASError(f"latency table {str(self.path)!r} has no 'index' column")
        numeric = [c for c in columns if c not in ("index", "arch")]
        if self.column not in columns:
            raise ZeroNASError(
                f"latency table {str(self.path)!r} has no column {self.column!r}. "
                f"Columns: {', '.join(numeric)}"
            )
        self.archs: dict[int, str] = {}
        values: dict[int, float] = {}
        for line, row in enumerate(rows, start=2):
            try:
                index, value = int(row["index"]), float(row[self.column])
            except (TypeError, ValueError):
                raise ZeroNASError(
                    f"line {line} of {str(self.path)!r}: index {row.get('index')!r} and "
                    f"{self.column} {row.get(self.column)!r} must be numbers"
                ) from None
            if not math.isfinite(value) or value < 0:
                raise ZeroNASError(f"line {line} of {str(self.path)!r}: {self.column} is {value}")
            values[index] = value
            if "arch" in row:
                self.archs[index] = row["arch"]
        self.values = np.full(max(values, default=-1) + 1, np.nan)
        for index, value in values.items():
            self.values[index] = value
        self.device = self.column.removesuffix("_ms")

    def check_space(self, space: SearchSpace) -> None:
        if space.size is None:
            raise ZeroNASError(
                f"a latency table looks cells up by index; space {space.name!r} has no index order"
            )
        bad = first_mismatch(space, sorted(self.archs.items()))
        if bad is not None:
            raise ZeroNASError(
                f"latency table {str(self.path)!r} row {bad[0]} is {bad[1]!r}, not index "
                f"{bad[0]} of space {space.name!r}: a table of another space?"
            )
        if len(self.values) != space.size or np.isnan(self.values).any():
            raise ZeroNASError(
                f"latency table {str(self.path)!r} covers {int((~np.isnan(self.values)).sum())} "
                f"indices; space {space.name!r} has {space.size}: a table of another space?"
            )

    def __call__(self, index: int) -> float:
        return float(self.values[index])

    def latency(self, space: SearchSpace, arch: Hashable, dataset: object = None) -> float:
        """``arch``'s latency on the table's device, looked up by its index in ``space``."""
        return self(space.index(arch))


def open_latency_table(spec: str) -> LatencyTable | BlockLatencyTable:
    """The table ``PATH:COLUMN`` names: by index (a CSV with an ``index`` column) or per
    block (the ``blocks`` space's lookup table, :mod:`zeronas.block_latency`)."""
    from zeronas.hardware.block_latency import BlockLatencyTable

    path, column = split_table_spec(spec)
    if not path.is_file():
        raise ZeroNASError(f"latency table not found: {str(path)!r}")
    with path.open(newline="") as handle:
        columns = next(csv.reader(handle), [])
    if "index" not in columns and "part" in columns:
        if column not in columns:
            raise ZeroNASError(f"latency table {str(path)!r} has no column {column!r}")
        return BlockLatencyTable(path, column, str(spec))
    return LatencyTable(spec)
