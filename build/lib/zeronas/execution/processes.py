"""``process``: ``workers`` spawned processes, one intra-op thread each; a task past its
timeout or a dead worker (out of memory) is recorded as a failure and its worker replaced."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from zeronas.errors import ZeroNASError
from zeronas.execution.base import (
    Computation,
    Executor,
    Task,
    _time_left,
    one_core,
    register_executor,
)

__all__ = ["ProcessExecutor"]

#: seconds a new worker may take to import and report ready
_BOOT_SECONDS = 300


def _exit_with_parent(parent: int) -> None:
    """End this worker, quietly, once the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _worker_main(connection: Connection, computation: Computation, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    one_core()
    try:
        connection.send("ready")  # imports done: timeouts count from here
        while True:
            task = connection.recv()
            if task is None:
                return
            connection.send(computation.compute(task))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the driver is gone: nothing to report to


@register_executor("process")
class ProcessExecutor(Executor):
    """``workers`` spawned processes; a task past ``timeout`` or a dead worker is recorded
    as a failure and its worker replaced."""

    def __init__(
        self, computation: Computation, workers: int = 2, timeout: float | None = None
    ) -> None:
        super().__init__(computation, workers, timeout)
        self._context = multiprocessing.get_context("spawn")
        self._pool = [self._start() for _ in range(workers)]

    def _start(self) -> tuple[Any, Connection]:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(theirs, self.computation, os.getpid()), daemon=True
        )
        process.start()
        theirs.close()
        if not ours.poll(_BOOT_SECONDS) or ours.recv() != "ready":
            process.kill()
            raise ZeroNASError(f"a scoring worker did not start within {_BOOT_SECONDS} s")
        return process, ours

    def _replace(self, slot: int) -> None:
        process, connection = self._pool[slot]
        process.kill()
        process.join()
        connection.close()
        self._pool[slot] = self._start()

    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        pending = list(enumerate(tasks))[::-1]
        busy: dict[int, tuple[int, float]] = {}  # slot -> (position, started)
        while pending or busy:
            for slot in range(len(self._pool)):
                if slot not in busy and pending:
                    position, task = pending.pop()
                    self._pool[slot][1].send(task)
                    busy[slot] = (position, time.monotonic())
            connections = {self._pool[slot][1]: slot for slot in busy}
            ready = wait(list(connections), timeout=_time_left(self.timeout, busy.values()))
            for connection in ready:
                slot = connections[connection]  # type: ignore[index]
                position, _ = busy.pop(slot)
                try:
                    yield position, connection.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    self._pool[slot][0].join(5)
                    code = self._pool[slot][0].exitcode
                    self._replace(slot)
                    yield (
                        position,
                        self.computation.failed(tasks[position], f"worker died (exit {code})"),
                    )
            for slot in self._overdue(busy):
                position, _ = busy.pop(slot)
                self._replace(slot)
                yield position, self._timed_out(tasks[position])

    def close(self) -> None:
        for _process, connection in self._pool:
            with contextlib.suppress(OSError):
                connection.send(None)
        for process, connection in self._pool:
            process.join(5)
            if process.is_alive():
                process.kill()
            connection.close()
        self._pool = []
