"""What the score store holds: its schema, keys and records, and where it lives.

One row per (space, canonical arch, proxy, options, dataset, batch fingerprint, seed,
version): value, seconds, error, time stamp. ``proxy`` is the proxy's label (its name, plus
its options where they differ from the defaults: ``synflow[log=false]``) and ``version``
the proxy's version, bumped whenever its definition changes: a row of another version is
never served, and counts as *stale* (``cache info``; ``cache clear --stale`` drops it).
``options`` holds everything else the value depends on: the run configuration's fields
(:class:`~zeronas.scoring.config.ScoringConfig`: initialisation, repeats, device type, ...), the
space's version and parameters, and the scoring core's version. Fitness is never stored:
it depends on the set it is normalised against.

Schema 1 (zeronas before proxy versions) kept the package version in ``version``; such
rows are read by no proxy, so they are recomputed, never misread, and count as stale.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from zeronas.errors import ZeroNASError

__all__ = [
    "CACHE_ENV",
    "SCHEMA_VERSION",
    "ReadOnlyStoreWarning",
    "ScoreKey",
    "StoreError",
    "StoredScore",
    "base_name",
    "atomic_text",
    "default_cache_path",
]


SCHEMA_VERSION = 2


_MIGRATABLE = {1}  # schema 1 -> 2: same tables; its rows become stale (see above)


CACHE_ENV = "ZERONAS_CACHE"


#: The ``scores`` columns in table order: what ``export`` writes and ``merge`` reads.
_COLUMNS = ["space", "arch", "proxy", "options", "dataset", "batch", "seed", "version",
            "value", "seconds", "error", "created"]  # fmt: skip


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scores (
    space TEXT NOT NULL, arch TEXT NOT NULL, proxy TEXT NOT NULL, options TEXT NOT NULL,
    dataset TEXT NOT NULL, batch TEXT NOT NULL, seed INTEGER NOT NULL, version TEXT NOT NULL,
    value REAL, seconds REAL NOT NULL, error TEXT, created REAL NOT NULL,
    UNIQUE (space, arch, proxy, options, dataset, batch, seed, version)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, command TEXT NOT NULL, settings TEXT NOT NULL,
    started REAL NOT NULL, finished REAL
);
"""


class StoreError(ZeroNASError):
    """The score store cannot be opened, read or written."""


class ReadOnlyStoreWarning(UserWarning):
    """The store can be read but not written: values are served, new ones are not kept."""


def _open_text(path: Path, mode: str) -> IO[str]:
    """A CSV file for ``mode`` 'r' or 'w', gzip-compressed when it is (read: by its first two
    bytes) or is to be (write: by a ``.gz`` suffix)."""
    if mode == "r":
        with path.open("rb") as handle:
            packed = handle.read(2) == b"\x1f\x8b"
    else:
        packed = path.suffix == ".gz"
    if packed:
        return gzip.open(path, mode + "t", newline="")
    return path.open(mode, newline="")


@contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text file written beside ``path`` and renamed onto it only when complete (gzip
    when ``path`` ends in ``.gz``): an interrupted or failed write leaves ``path`` as it was."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=folder)
    os.close(handle)
    partial = Path(temporary)
    try:
        with _open_text(partial, "w") as stream:
            yield stream
        os.replace(partial, path)
    except OSError as exc:
        raise StoreError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def default_cache_path() -> Path:
    """``$ZERONAS_CACHE``, else ``$XDG_CACHE_HOME/zeronas/scores.sqlite`` (``~/.cache``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "zeronas" / "scores.sqlite"


def base_name(label: str) -> str:
    """The registry name of a stored proxy label: ``synflow[log=false]`` -> ``synflow``."""
    return label.partition("[")[0]


@dataclass(frozen=True)
class ScoreKey:
    """Everything a stored value depends on except the architecture and the proxy (whose
    label and version are given with each read and write)."""

    space: str
    dataset: str
    batch_fingerprint: str
    seed: int
    options: str


@dataclass(frozen=True)
class StoredScore:
    value: float
    seconds: float
    error: str | None
