"""Ground truth from the official NATS-Bench files, read through the ``nats_bench`` package
(``pip install 'zeronas[nats]'``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from zeronas.errors import BenchmarkError
from zeronas.groundtruth.accuracy import SCHEDULES
from zeronas.spaces.base import SearchSpace, first_mismatch

__all__ = ["NatsBenchGroundTruth"]


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
