"""The executor protocol, its configuration and its registry.

An executor runs *tasks* of a :class:`Computation` and yields each result with the task's
position as it finishes. Scoring is the computation zeronas runs (a task is an
architecture and the names of the proxies to compute; the result its
:class:`~zeronas.scoring.records.ArchScores`), but an executor knows only the protocol: the
computation is pure and picklable, so each worker holds one copy of it (the run's fixed
batch included) and computes what it is sent. Results flow back to the driver, which alone
touches the score store. A task that raises, exceeds ``timeout`` seconds or kills its worker
(out of memory) comes back as the computation's failure record; the worker is replaced and
the run goes on.

Executors are plug-ins (``@register_executor``; entry points ``zeronas.executors``). Built
in: ``auto`` (the default: this process for one worker, else processes), ``local`` (this
process), ``process`` (spawned worker processes), ``ray`` (Ray tasks).
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zeronas.errors import ParameterError
from zeronas.execution.allocator import keep_freed_memory
from zeronas.params import check_settings, int_at_least, positive_or_none, setting
from zeronas.registry import Registry

__all__ = [
    "EXECUTORS",
    "CandidateTimeout",
    "Computation",
    "Executor",
    "ExecutorConfig",
    "Task",
    "make_executor",
    "register_executor",
]

#: (architecture, names of the proxies to compute)
Task = tuple[Hashable, tuple[str, ...]]


class Computation(Protocol):
    """What an executor runs: picklable, pure, and never raising for one task's failure."""

    def compute(self, task: Task) -> Any:
        """The result of ``task``; a failure of the task itself is returned, not raised."""

    def failed(self, task: Task, error: str) -> Any:
        """The record of ``task`` failing with ``error`` (a timeout, a dead worker)."""


class CandidateTimeout(BaseException):  # noqa: N818 -- a stop signal, like KeyboardInterrupt
    """A candidate ran past its time. A ``BaseException``, so that the per-proxy ``except
    Exception`` that records a proxy's failure lets it through and the candidate stops."""


def _time_left(timeout: float | None, started: Iterable[tuple[int, float]]) -> float | None:
    """Seconds until the first of the running tasks (position, start time) times out."""
    if timeout is None:
        return None
    now = time.monotonic()
    return max(0.0, min(timeout - (now - start) for _, start in started))


def one_core() -> None:
    """A worker's set-up: one intra-op thread, freed activation memory kept for reuse."""
    import torch

    torch.set_num_threads(1)
    keep_freed_memory()


@dataclass(frozen=True)
class ExecutorConfig:
    """Where and how candidates are scored: ``kind`` (a registered executor: ``local``,
    ``process``, ``ray``; ``auto``: in this process for one worker, else processes),
    ``workers`` (processes or Ray CPUs, one intra-op thread each),
    ``timeout`` (seconds before a candidate is recorded as failed) and ``address`` (a Ray
    cluster; default a local Ray)."""

    kind: str = setting(
        "auto", flag="--executor",
        help="Where scoring runs: auto (here for one worker, else processes), local (here), "
        "process or ray.",
    )  # fmt: skip
    workers: int = setting(
        1, allowed="an integer >= 1", check=int_at_least(1), flag="--workers",
        help="Scoring processes (one intra-op thread each).",
    )  # fmt: skip
    timeout: float | None = setting(
        None, allowed="a positive number", check=positive_or_none, flag="--timeout-per-arch",
        help="Seconds before a candidate is recorded as failed.",
    )  # fmt: skip
    address: str | None = setting(
        None, flag="--address", help="Ray cluster address (default: a local Ray)."
    )

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in EXECUTORS:
            raise ParameterError(
                "kind", "ExecutorConfig", f"one of {', '.join(EXECUTORS)}", self.kind
            )
        check_settings(self)

    @property
    def wanted(self) -> bool:
        """Whether scoring leaves the in-process loop: more than one worker, another
        executor, or a per-candidate timeout."""
        in_process = self.kind in ("auto", "local") and self.workers == 1
        return not in_process or self.timeout is not None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "timeout": self.timeout,
                "address": self.address}  # fmt: skip


class Executor(abc.ABC):
    """Runs tasks of a computation; :meth:`imap` yields (position, result) as they finish."""

    workers: int = 1

    def __init__(
        self, computation: Computation, workers: int = 1, timeout: float | None = None
    ) -> None:
        ExecutorConfig("auto", workers, timeout)  # the same checks as any configuration
        self.computation, self.workers, self.timeout = computation, workers, timeout

    @classmethod
    def start(cls, computation: Computation, config: ExecutorConfig) -> Executor:
        """An executor of this kind for ``computation`` as ``config`` sets it."""
        return cls(computation, config.workers, config.timeout)

    @abc.abstractmethod
    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        """Results of ``tasks`` as they finish, each with its position in ``tasks``."""

    def _overdue(self, running: dict[Any, tuple[int, float]]) -> list[Any]:
        """The keys of ``running`` tasks (key -> (position, start time)) past the timeout."""
        if self.timeout is None:
            return []
        now = time.monotonic()
        return [key for key, (_, start) in running.items() if now - start > self.timeout]

    def _timed_out(self, task: Task) -> Any:
        return self.computation.failed(task, f"timeout after {self.timeout:g} s")

    def map(self, tasks: Sequence[Task]) -> list[Any]:
        out: list[Any] = [None] * len(tasks)
        for position, result in self.imap(tasks):
            out[position] = result
        return out

    def close(self) -> None:  # noqa: B027 -- nothing to release by default
        """Release workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


EXECUTORS: Registry[type[Executor]] = Registry("executor", "zeronas.execution", "zeronas.executors")


def register_executor(name: str) -> Callable[[type[Executor]], type[Executor]]:
    """Class decorator: register an :class:`Executor` subclass as ``name``."""
    return EXECUTORS.register(name)


def make_executor(config: ExecutorConfig, computation: Computation) -> Executor:
    """A started executor of ``config.kind`` for ``computation``."""
    return EXECUTORS.get(config.kind).start(computation, config)
