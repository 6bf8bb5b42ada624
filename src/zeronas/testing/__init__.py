"""Reusable checks and fixtures for tests of zeronas and of plug-ins built on it:
contract checks per plug-in kind (:mod:`zeronas.testing.checks`) and files a user may pass
that zeronas must handle (:mod:`zeronas.testing.fixtures`)."""

from zeronas.testing.checks import (
    check_data_source,
    check_executor,
    check_proxy,
    check_searcher,
    check_space,
)
from zeronas.testing.fixtures import (
    trained_like,
    write_archive_subset,
    write_damaged_npz,
    write_lfw_subset,
)

__all__ = [
    "check_data_source",
    "check_executor",
    "check_proxy",
    "check_searcher",
    "check_space",
    "trained_like",
    "write_archive_subset",
    "write_damaged_npz",
    "write_lfw_subset",
]
