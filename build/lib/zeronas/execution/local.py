"""``local``: tasks run one after the other in this process.

A timeout uses SIGALRM, so only in the main thread: it raises
:class:`~zeronas.execution.base.CandidateTimeout`, which no proxy's error handling catches,
so it ends the whole candidate, not just the proxy running at that moment.
"""

from __future__ import annotations

import signal
import threading
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

__all__ = ["LocalExecutor"]


@register_executor("local")
class LocalExecutor(Executor):
    """Tasks run one after the other in this process (more than one worker: processes)."""

    @classmethod
    def start(cls, computation: Computation, config: ExecutorConfig) -> Executor:
        if config.workers != 1:
            from zeronas.execution.processes import ProcessExecutor

            return ProcessExecutor.start(computation, config)
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
