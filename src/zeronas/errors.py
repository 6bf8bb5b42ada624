"""Exceptions raised by zeronas. All derive from :class:`ZeroNASError` (a ``ValueError``)."""

from __future__ import annotations

__all__ = [
    "ZeroNASError",
    "UnknownNameError",
    "ArchError",
    "DataError",
    "BenchmarkError",
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
