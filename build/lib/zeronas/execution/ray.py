"""``ray``: Ray tasks of one CPU each (``pip install 'zeronas[ray]'``), on a local Ray with
``workers`` CPUs or on the cluster at ``address``; results come back in completion order."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from zeronas.errors import ZeroNASError
from zeronas.execution.base import (
    Computation,
    Executor,
    ExecutorConfig,
    Task,
    _time_left,
    one_core,
    register_executor,
)

__all__ = ["RayExecutor"]


def _ray_compute(computation: Computation, task: Task) -> Any:
    one_core()
    return computation.compute(task)


@register_executor("ray")
class RayExecutor(Executor):
    """Ray tasks of one CPU each; results come back to the driver in completion order."""

    def __init__(
        self,
        computation: Computation,
        workers: int = 2,
        timeout: float | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(computation, workers, timeout)
        try:
            import ray
        except ImportError as exc:
            raise ZeroNASError("the 'ray' executor needs Ray: pip install 'zeronas[ray]'") from exc
        self._ray = ray
        if not ray.is_initialized():
            options = {"address": address} if address else {"num_cpus": workers}
            ray.init(include_dashboard=False, log_to_driver=False, **options)
        self._shared = ray.put(computation)
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_ray_compute)

    @classmethod
    def start(cls, computation: Computation, config: ExecutorConfig) -> Executor:
        return cls(computation, config.workers, config.timeout, config.address)

    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        ray = self._ray
        pending = list(enumerate(tasks))[::-1]
        running: dict[Any, tuple[int, float]] = {}
        while pending or running:
            while pending and len(running) < self.workers:
                position, task = pending.pop()
                running[self._remote.remote(self._shared, task)] = (position, time.monotonic())
            left = _time_left(self.timeout, running.values())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=left)
            for ref in ready:
                position, _ = running.pop(ref)
                try:
                    yield position, ray.get(ref)
                except Exception as exc:  # noqa: BLE001 -- a dead worker, a cancelled task
                    yield position, self.computation.failed(tasks[position], f"ray: {exc}")
            for ref in self._overdue(running):
                position, _ = running.pop(ref)
                ray.cancel(ref, force=True)
                yield position, self._timed_out(tasks[position])
