"""Where candidate scoring runs: in this process, in local worker processes, or as Ray tasks.

A task is (architecture, names of the proxies to compute); the result is the
:class:`~zeronas.scoring.ArchScores` a :class:`~zeronas.scoring.Scorer` returns. Scorers are
pure and picklable, so each worker holds one copy of the run's scorer (its fixed batch
included) and computes what it is sent. Results flow back to the driver, which alone
touches the score store. A task that raises, exceeds ``timeout`` seconds or kills its worker
(out of memory) comes back as a failure with its error; the worker is replaced and the run
goes on.

``local``   in this process (a timeout uses SIGALRM, so only in the main thread; it raises
            :class:`CandidateTimeout`, which no proxy's error handling catches, so it ends
            the whole candidate, not just the proxy running at that moment).
``process`` ``workers`` spawned processes, one intra-op thread each.
``ray``     Ray tasks (``pip install 'zeronas[ray]'``), on a local Ray with ``workers`` CPUs or
            on the cluster at ``address``.
"""

from __future__ import annotations

import abc
import contextlib
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Hashable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from zeronas.allocator import keep_freed_memory
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.scoring import ArchScores, Scorer, failed_scores

__all__ = ["EXECUTORS", "CandidateTimeout", "Executor", "Task", "check_executor", "make_executor"]

Task = tuple[Hashable, tuple[str, ...]]
EXECUTORS = ("local", "process", "ray")
_BOOT_SECONDS = 300


class CandidateTimeout(BaseException):  # noqa: N818 -- a stop signal, like KeyboardInterrupt
    """A candidate ran past its time. A ``BaseException``, so that the per-proxy ``except
    Exception`` that records a proxy's failure lets it through and the candidate stops."""


def _failed(scorer: Scorer, task: Task, error: str) -> ArchScores:
    arch, names = task
    return failed_scores(scorer.space, arch, error, names)


def _time_left(timeout: float | None, started: Iterable[tuple[int, float]]) -> float | None:
    """Seconds until the first of the running tasks (position, start time) times out."""
    if timeout is None:
        return None
    now = time.monotonic()
    return max(0.0, min(timeout - (now - start) for _, start in started))


def _score(scorer: Scorer, task: Task) -> ArchScores:
    arch, names = task
    chosen = [p for p in scorer.proxies if p.name in names]
    try:
        return scorer.score(arch, chosen)
    except Exception as exc:  # noqa: BLE001 -- a candidate's failure is its own
        return _failed(scorer, task, f"{type(exc).__name__}: {exc}")


class Executor(abc.ABC):
    """Runs scoring tasks; :meth:`imap` yields (position, result) as tasks finish."""

    workers: int = 1

    def __init__(self, scorer: Scorer, workers: int = 1, timeout: float | None = None) -> None:
        _check_pool(workers, timeout)
        self.scorer, self.workers, self.timeout = scorer, workers, timeout

    @abc.abstractmethod
    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, ArchScores]]:
        """Results of ``tasks`` as they finish, each with its position in ``tasks``."""

    def _overdue(self, running: dict[Any, tuple[int, float]]) -> list[Any]:
        """The keys of ``running`` tasks (key -> (position, start time)) past the timeout."""
        if self.timeout is None:
            return []
        now = time.monotonic()
        return [key for key, (_, start) in running.items() if now - start > self.timeout]

    def _timed_out(self, task: Task) -> ArchScores:
        return _failed(self.scorer, task, f"timeout after {self.timeout:g} s")

    def map(self, tasks: Sequence[Task]) -> list[ArchScores]:
        out: list[ArchScores | None] = [None] * len(tasks)
        for position, result in self.imap(tasks):
            out[position] = result
        return out  # type: ignore[return-value]

    def close(self) -> None:  # noqa: B027 -- nothing to release by default
        """Release workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """Tasks run one after the other in this process."""

    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, ArchScores]]:
        for position, task in enumerate(tasks):
            yield position, self._run(task)

    def _run(self, task: Task) -> ArchScores:
        if self.timeout is None or threading.current_thread() is not threading.main_thread():
            return _score(self.scorer, task)

        def expire(_signum: int, _frame: object) -> None:
            raise CandidateTimeout(f"timeout after {self.timeout:g} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            return _score(self.scorer, task)
        except CandidateTimeout as exc:
            return _failed(self.scorer, task, str(exc))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _one_core() -> None:
    """A worker's set-up: one intra-op thread, freed activation memory kept for reuse."""
    import torch

    torch.set_num_threads(1)
    keep_freed_memory()


def _exit_with_parent(parent: int) -> None:
    """End this worker, quietly, once the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _worker_main(connection: Connection, scorer: Scorer, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _one_core()
    try:
        connection.send("ready")  # imports done: timeouts count from here
        while True:
            task = connection.recv()
            if task is None:
                return
            connection.send(_score(scorer, task))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the driver is gone: nothing to report to


class ProcessExecutor(Executor):
    """``workers`` spawned processes; a task past ``timeout`` or a dead worker is recorded
    as a failure and its worker replaced."""

    def __init__(self, scorer: Scorer, workers: int = 2, timeout: float | None = None) -> None:
        super().__init__(scorer, workers, timeout)
        self._context = multiprocessing.get_context("spawn")
        self._pool = [self._start() for _ in range(workers)]

    def _start(self) -> tuple[Any, Connection]:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(theirs, self.scorer, os.getpid()), daemon=True
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

    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, ArchScores]]:
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
                        _failed(self.scorer, tasks[position], f"worker died (exit {code})"),
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


def _ray_score(scorer: Scorer, task: Task) -> ArchScores:
    _one_core()
    return _score(scorer, task)


class RayExecutor(Executor):
    """Ray tasks of one CPU each; results come back to the driver in completion order."""

    def __init__(
        self,
        scorer: Scorer,
        workers: int = 2,
        timeout: float | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(scorer, workers, timeout)
        try:
            import ray
        except ImportError as exc:
            raise ZeroNASError("the 'ray' executor needs Ray: pip install 'zeronas[ray]'") from exc
        self._ray = ray
        if not ray.is_initialized():
            options = {"address": address} if address else {"num_cpus": workers}
            ray.init(include_dashboard=False, log_to_driver=False, **options)
        self._scorer = ray.put(scorer)
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_ray_score)

    def imap(self, tasks: Sequence[Task]) -> Iterator[tuple[int, ArchScores]]:
        ray = self._ray
        pending = list(enumerate(tasks))[::-1]
        running: dict[Any, tuple[int, float]] = {}
        while pending or running:
            while pending and len(running) < self.workers:
                position, task = pending.pop()
                running[self._remote.remote(self._scorer, task)] = (position, time.monotonic())
            left = _time_left(self.timeout, running.values())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=left)
            for ref in ready:
                position, _ = running.pop(ref)
                try:
                    yield position, ray.get(ref)
                except Exception as exc:  # noqa: BLE001 -- a dead worker, a cancelled task
                    yield position, _failed(self.scorer, tasks[position], f"ray: {exc}")
            for ref in self._overdue(running):
                position, _ = running.pop(ref)
                ray.cancel(ref, force=True)
                yield position, self._timed_out(tasks[position])


def check_executor(kind: str, workers: int, timeout: float | None) -> None:
    """The executor settings are valid (before any work, whether or not one is started)."""
    if kind not in EXECUTORS:
        raise ParameterError("executor", "the executor", f"one of {', '.join(EXECUTORS)}", kind)
    _check_pool(workers, timeout)


def _check_pool(workers: int, timeout: float | None) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError("workers", "the executor", "an integer >= 1", workers)
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise ParameterError("timeout", "the executor", "a positive number", timeout)


def make_executor(
    kind: str,
    scorer: Scorer,
    workers: int = 1,
    timeout: float | None = None,
    address: str | None = None,
) -> Executor:
    """An executor of ``kind`` (one of :data:`EXECUTORS`) for ``scorer``."""
    check_executor(kind, workers, timeout)
    if kind == "local":
        if workers != 1:
            return ProcessExecutor(scorer, workers, timeout)
        return LocalExecutor(scorer, 1, timeout)
    if kind == "process":
        return ProcessExecutor(scorer, workers, timeout)
    if kind == "ray":
        return RayExecutor(scorer, workers, timeout, address)
    raise AssertionError(kind)  # check_executor admits only the kinds above
