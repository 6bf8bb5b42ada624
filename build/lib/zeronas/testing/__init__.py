"""Reusable checks and fixtures for tests of zeronas and of plug-ins built on it."""

from zeronas.testing.fixtures import write_damaged_npz

__all__ = ["write_damaged_npz"]
