"""Hardware-specific fast paths chosen by measuring them on the machine at hand.

A kernel that is fast on one CPU can be many times slower on another: ``torch._int_mm``
(int8 x int8 -> int32) beats a float32 matmul several times over with AVX-512 VNNI and
loses badly on AVX2-only CPUs. So nothing here is assumed: the first time a choice is
needed, every candidate runs on the real arguments (interleaved, best of ``rounds``), the
fastest that gives the right answer wins, and the choice is kept for the process.

``ZERONAS_KERNEL_<CHOICE>=<candidate>`` (e.g. ``ZERONAS_KERNEL_NASWOT_GRAM=float32``)
forces a candidate, for benchmarks and tests.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from zeronas.errors import ZeroNASError

__all__ = [
    "check_forced_kernels",
    "chosen_kernels",
    "declare_choice",
    "fastest",
    "forget_choices",
    "using",
]

_CHOSEN: dict[tuple[str, str], str] = {}
_TIMINGS: dict[tuple[str, str], dict[str, float]] = {}
#: choice -> its candidates' names, as the modules that measure them declare
_DECLARED: dict[str, tuple[str, ...]] = {}
_PREFIX = "ZERONAS_KERNEL_"


def declare_choice(choice: str, candidates: Mapping[str, object]) -> None:
    """Declare a choice and its candidates, so that a forced one is checked at start."""
    _DECLARED[choice] = tuple(candidates)


def check_forced_kernels() -> None:
    """Every ``$ZERONAS_KERNEL_<CHOICE>`` names a declared choice and one of its candidates
    (refused before any work, not at the first candidate)."""
    for name, forced in os.environ.items():
        if not name.startswith(_PREFIX):
            continue
        choice = name.removeprefix(_PREFIX).lower()
        if choice not in _DECLARED:
            known = ", ".join(_PREFIX + c.upper() for c in _DECLARED) or "none"
            raise ZeroNASError(f"${name} names no kernel choice: known {known}")
        if forced not in _DECLARED[choice]:
            allowed = ", ".join(_DECLARED[choice])
            raise ZeroNASError(f"${name} must be one of {allowed}, got {forced!r}")


def _forced(choice: str, candidates: Mapping[str, object]) -> str | None:
    name = f"ZERONAS_KERNEL_{choice.upper()}"
    forced = os.environ.get(name)
    if forced is None:
        return None
    if forced not in candidates:
        raise ZeroNASError(f"${name} must be one of {', '.join(candidates)}, got {forced!r}")
    return forced


def fastest(
    choice: str,
    context: str,
    candidates: Mapping[str, Callable[..., Any]],
    *args: Any,
    rounds: int = 3,
    agree: Callable[[Any, Any], bool] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> str:
    """The name of the fastest of ``candidates`` (name -> function) on ``args``, measured
    once per process for (``choice``, ``context``) (the device type, say) and then reused.
    A candidate that raises (a kernel missing from this build or device) is never chosen,
    nor one whose result ``agree(reference, result)`` rejects, the reference being the first
    candidate's result."""
    key = (choice, context)
    if key in _CHOSEN:
        return _CHOSEN[key]
    forced = _forced(choice, candidates)
    if forced is not None:
        _CHOSEN[key] = forced
        return forced
    best: dict[str, float] = {}
    reference: Any = None
    for _ in range(rounds):
        for position, (name, fn) in enumerate(candidates.items()):
            if best.get(name) == math.inf:
                continue
            t0 = clock()
            try:
                result = fn(*args)
            except (RuntimeError, NotImplementedError):
                best[name] = math.inf
                continue
            seconds = clock() - t0
            if position == 0:
                reference = result
            elif agree is not None and not agree(reference, result):
                best[name] = math.inf
                continue
            best[name] = min(best.get(name, math.inf), seconds)
    winner = min(best, key=lambda name: best[name])
    _CHOSEN[key] = winner
    _TIMINGS[key] = best
    return winner


def chosen_kernels() -> dict[str, dict[str, Any]]:
    """Every choice made in this process: ``"choice/context" -> {chosen, seconds}``."""
    return {
        f"{choice}/{context}": {"chosen": name, "seconds": _TIMINGS.get((choice, context), {})}
        for (choice, context), name in _CHOSEN.items()
    }


def forget_choices() -> None:
    """Measure again at the next use (tests; a benchmark comparing kernels)."""
    _CHOSEN.clear()
    _TIMINGS.clear()


@contextmanager
def using(choice: str, context: str, name: str) -> Iterator[None]:
    """Within the block, (``choice``, ``context``) uses candidate ``name`` (benchmarks);
    the measured choice, if any, is restored afterwards."""
    key = (choice, context)
    saved = _CHOSEN.get(key)
    _CHOSEN[key] = name
    try:
        yield
    finally:
        if saved is None:
            del _CHOSEN[key]
        else:
            _CHOSEN[key] = saved
