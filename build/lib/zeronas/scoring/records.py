"""What a score is: one proxy's value on one architecture, and an architecture's scores.

``-inf`` is a legitimate value (NASWOT's singular kernel, SynFlow's zero flow); NaN,
``+inf`` and exceptions are failures, recorded with their error, never replaced by a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ProxyValue", "ArchScores", "invalid_value", "failure_text"]


@dataclass(frozen=True)
class ProxyValue:
    """One proxy on one architecture: mean over repeats, total seconds, error or None.

    ``-inf`` is a legitimate value (NASWOT's singular kernel, SynFlow's zero flow); NaN,
    ``+inf`` and exceptions are failures: the value is NaN and ``error`` says why.
    """

    value: float
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ArchScores:
    arch: str
    index: int | None
    values: dict[str, ProxyValue]
    build_seconds: float
    error: str | None = None

    def value(self, name: str) -> float:
        return self.values[name].value

    @property
    def seconds(self) -> float:
        """Building plus every proxy's seconds."""
        return self.build_seconds + sum(v.seconds for v in self.values.values())

    def failure(self) -> str | None:
        """Why these scores are a failure: the build's error, else every proxy's error or
        invalid value (NaN, +inf; ``name: why``, joined by ``; ``), else None."""
        errors = [
            f"{n}: {why}"
            for n, v in self.values.items()
            if (why := v.error or invalid_value(v.value))
        ]
        return self.error or ("; ".join(errors) if errors else None)


def invalid_value(value: float) -> str | None:
    """Why ``value`` is a failure rather than a score: NaN and +inf are; -inf is a value
    (NASWOT's singular kernel, SynFlow's zero flow)."""
    return f"proxy returned {value}" if math.isnan(value) or value == math.inf else None


def failure_text(exc: BaseException) -> str:
    """How a failure is recorded: the exception's type and message."""
    return f"{type(exc).__name__}: {exc}".strip()
