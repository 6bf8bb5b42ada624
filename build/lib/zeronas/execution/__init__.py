"""Where candidate scoring runs: in this process, in worker processes, or on Ray (one
protocol, :class:`~zeronas.execution.base.Executor`; plug-ins through a registry)."""

from zeronas.execution.base import (
    EXECUTORS,
    CandidateTimeout,
    Computation,
    Executor,
    ExecutorConfig,
    Task,
    make_executor,
    register_executor,
)

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
