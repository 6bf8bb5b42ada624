"""Where ground truth comes from: a CSV table or an official NATS-Bench file
(``--benchmark`` or ``$ZERONAS_BENCHMARK``), else the NATS-TSS table shipped with zeronas."""

from __future__ import annotations

import os
from pathlib import Path

from zeronas.data.embedded import nats_tss_accuracy
from zeronas.errors import BenchmarkError, ParameterError
from zeronas.groundtruth.accuracy import BENCHMARK_ENV, SCHEDULES, CSVGroundTruth, GroundTruth
from zeronas.groundtruth.natsbench import NatsBenchGroundTruth
from zeronas.spaces.base import SearchSpace

__all__ = ["EmbeddedGroundTruth", "embedded_ground_truth", "open_ground_truth"]


class EmbeddedGroundTruth:
    """The NATS-TSS 200-epoch test accuracies shipped with zeronas (:mod:`zeronas.embedded`):
    the default ground truth of the ``nats-tss`` space."""

    label = "test accuracy, 200-epoch schedule (NATS-TSS table shipped with zeronas)"
    hp = "200"

    def __init__(self) -> None:

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


def _check_hp(hp: str | None, space: SearchSpace | None) -> None:
    """``hp`` is one of the schedules NATS-Bench trained ``space`` with (before any file)."""
    kind = {"nats-tss": "tss", "nats-sss": "sss"}.get(getattr(space, "name", ""))
    if hp is not None and kind is not None and str(hp) not in SCHEDULES[kind]:
        allowed = f"one of {', '.join(SCHEDULES[kind])} (the epochs of {space.name}'s schedules)"
        raise ParameterError("hp", "correlate", allowed, str(hp))


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
    _check_hp(hp, space)
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
