"""Exceptions raised by zeronas. All derive from :class:`ZeroNASError` (a ``ValueError``)."""

from __future__ import annotations

__all__ = [
    "ZeroNASError",
    "UnknownNameError",
    "ArchError",
    "DataError",
    "BenchmarkError",
    "ParameterError",
]


class ZeroNASError(ValueError):
    """Base class: bad input that the user can fix. The CLI turns it into exit status 2."""


class UnknownNameError(ZeroNASError, KeyError):
    """A name (space, proxy, dataset, ...) that no registry knows."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ArchError(ZeroNASError):
    """A malformed or invalid architecture string."""


class DataError(ZeroNASError):
    """Images that cannot be found, read or shaped into the requested mini-batch."""


class BenchmarkError(ZeroNASError):
    """A ground-truth table or benchmark file that is missing or malformed."""


class ParameterError(ZeroNASError):
    """A bad value of a named parameter, phrased in API terms; the CLI names its flag.

    ``parameter``: the API name (``batch_size``); ``owner``: whose parameter it is
    (``ScoringConfig``, ``searcher 'rea'``, ``proxy 'synflow'``).
    """

    def __init__(
        self, parameter: str, owner: str, allowed: str, received: object, unknown: bool = False
    ) -> None:
        self.parameter, self.owner, self.allowed = parameter, owner, allowed
        self.received, self.unknown = received, unknown
        super().__init__(self.message())

    def message(self, flag: str | None = None) -> str:
        """The error text in API terms, or naming the command-line ``flag`` instead."""
        if self.unknown:
            return f"Unknown parameter {self.received!r} of {self.owner}: use {self.allowed}."
        what = flag or f"The {self.parameter!r} parameter of {self.owner}"
        return f"{what} must be {self.allowed}. Got {self.received!r} instead."
