"""``local``: tasks run one after the other in this process; ``auto`` (the default): in this
process for one worker, in worker processes for more.

A timeout uses SIGALRM, so only in the main thread: it raises
:class:`~zeronas.execution.base.CandidateTimeout`, which no proxy's error handling catches,
so it ends the whole candidate, not just the proxy running at that moment.
"""

from __future__ import annotations

import signal
import threading
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from zeronas.execution.base import (
    CandidateTimeout,
    Computation,
    Executor,
    ExecutorConfig,
    Task,
    register_executor,
)

__all__ = ["AutoExecutor", "LocalExecutor"]


def _processes(computation: Computation, config: ExecutorConfig) -> Executor:
    from zeronas.execution.processes import ProcessExecutor

    return ProcessExecutor.start(computation, config)


@register_executor("local")
class LocalExecutor(Executor):
    """Tasks run one after the other in this process."""

    @classmethod
    def start(cls, computation: Computation, config: ExecutorConfig) -> Executor:
        if config.workers != 1:  # what 'local' used to mean with workers: kept, with a note
            warnings.warn(
                f"--executor local runs in this process: {config.workers} workers run as "
                "processes (say --executor process, or leave --executor out)",
                stacklevel=2,
            )
            return _processes(computation, config)
        return cls(computation, 1, config.timeout)

    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        for position, task in enumerate(tasks):
            yield position, self._run(task)

    def _run(self, task: Task) -> Any:
        if self.timeout is None or threading.current_thread() is not threading.main_thread():
            return self.computation.compute(task)

        def expire(_signum: int, _frame: object) -> None:
            raise CandidateTimeout(f"timeout after {self.timeout:g} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            return self.computation.compute(task)
        except CandidateTimeout as exc:
            return self.computation.failed(task, str(exc))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


@register_executor("auto")
class AutoExecutor(LocalExecutor):
    """In this process for one worker; ``workers`` processes for more."""

    @classmethod
    def start(cls, computation: Computation, config: ExecutorConfig) -> Executor:
        if config.workers != 1:
            return _processes(computation, config)
        return LocalExecutor(computation, 1, config.timeout)
