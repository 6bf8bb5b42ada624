"""The score store: every raw proxy value ever computed, in SQLite (WAL), shared by all runs.

The schema and its keys are in :mod:`zeronas.store.schema`.

Writes are ``INSERT ... ON CONFLICT DO NOTHING``: the first value computed for a key stays,
so retried or parallel writes of the same key are no-ops; each write commits, so a killed
process loses at most the candidate in flight. Several processes may read and write one
store at once (WAL, a busy timeout). ``-inf`` is stored as SQLite's -Inf; NaN (a failure)
as NULL with its error.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from zeronas.store.runs import RunLog
from zeronas.store.schema import (
    _MIGRATABLE,
    _SCHEMA,
    SCHEMA_VERSION,
    ReadOnlyStoreWarning,
    ScoreKey,
    StoredScore,
    StoreError,
)
from zeronas.store.transfer import Transfer
from zeronas.store.upkeep import Upkeep

__all__ = ["ScoreStore"]


def _writable(path: Path) -> bool:
    """This process can write ``path`` and make the journal files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


#: a key already present keeps its first value, unless that row is no stored value (a text,
#: negative seconds: see ``_valid_row``), which the new one replaces
_INSERT = """
INSERT INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (space, arch, proxy, options, dataset, batch, seed, version) DO UPDATE SET
    value = excluded.value, seconds = excluded.seconds, error = excluded.error,
    created = excluded.created
WHERE typeof(scores.value) NOT IN ('real', 'integer', 'null') OR scores.seconds < 0
    OR typeof(scores.seconds) NOT IN ('real', 'integer')
    OR (scores.value IS NULL AND scores.error IS NULL)
"""


#: seconds to wait for another process's write lock
TIMEOUT_ENV = "ZERONAS_STORE_TIMEOUT"


def store_timeout() -> float:
    """``$ZERONAS_STORE_TIMEOUT`` (seconds a write waits for the store's lock), else 60."""
    text = os.environ.get(TIMEOUT_ENV)
    if text is None:
        return 60.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise StoreError(f"${TIMEOUT_ENV} must be a positive number of seconds, got {text!r}")
    return value


def _valid_row(value: object, seconds: object, error: object) -> bool:
    """A stored row is a real (or NULL with its error) value and finite, non-negative
    seconds."""
    is_real = isinstance(value, float | int) and not isinstance(value, bool)
    if value is None:
        ok_value = isinstance(error, str) and bool(error)
    else:
        ok_value = is_real and not math.isnan(value)  # type: ignore[arg-type]
    finite = isinstance(seconds, float | int) and math.isfinite(seconds) and seconds >= 0
    return ok_value and finite


class ScoreStore(RunLog, Transfer, Upkeep):
    """An SQLite file of raw proxy values (see the module docstring)."""

    def __init__(self, path: str | Path, timeout: float | None = None) -> None:
        self.path = Path(path)
        self.timeout = store_timeout() if timeout is None else timeout
        timeout = self.timeout
        self.read_only = False
        self._warned = False  # a row that is no stored value was seen
        try:
            if self.path.exists() and not self.path.is_file():
                raise StoreError(f"score store {str(self.path)!r} is not a file")
            if self.path.is_file() and not _writable(self.path):
                self._open_read_only(timeout)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
                self._refuse_foreign()  # before anything is written to it
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._create_or_migrate()
            found = self._db.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()[0]
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open score store {str(self.path)!r}: {exc}") from exc
        if int(found) != SCHEMA_VERSION:
            raise StoreError(
                f"score store {str(self.path)!r} was written by another zeronas (schema {found}; "
                f"this one reads {SCHEMA_VERSION}): use that version, or pass another --cache"
            )

    def _open_read_only(self, timeout: float) -> None:
        """Serve the stored values of a store this process may not write; writes are off."""
        uri = f"file:{self.path.resolve()}?mode=ro"
        self._db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        try:
            self._db.execute("SELECT name FROM sqlite_master").fetchall()
        except sqlite3.OperationalError:  # a WAL store without its -shm file: read as is
            self._db.close()
            self._db = sqlite3.connect(
                f"file:{self.path.resolve()}?immutable=1", uri=True, isolation_level=None
            )
        self._refuse_foreign()
        self.read_only = True
        warnings.warn(
            f"score store {str(self.path)!r} is read-only here: stored values are served, new "
            f"ones are not written",
            ReadOnlyStoreWarning,
            stacklevel=3,
        )

    def _refuse_foreign(self) -> None:
        """An SQLite database with tables but no zeronas ``meta`` table is someone else's."""
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        tables = {t for t in tables if not t.startswith("sqlite_")}
        if tables and "meta" not in tables:
            raise StoreError(
                f"{str(self.path)!r} is an SQLite database but not a zeronas score store "
                f"(tables: {', '.join(sorted(tables))}); pass another --cache"
            )

    def _create_or_migrate(self) -> None:
        with self._transaction() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            found = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if int(found[0]) in _MIGRATABLE:
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,)
                )

    def _begin(self) -> None:
        """Take the write lock: at once if it is free, else say so and wait, up to
        ``timeout`` seconds (``$ZERONAS_STORE_TIMEOUT``), for the process holding it."""
        self._db.execute("PRAGMA busy_timeout = 200")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
        warnings.warn(
            f"score store {str(self.path)!r} is locked by another process: waiting up to "
            f"{self.timeout:g} s (${TIMEOUT_ENV}) for it",
            stacklevel=4,
        )
        self._db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"score store {str(self.path)!r} stayed locked by another process for "
                f"{self.timeout:g} s (${TIMEOUT_ENV} to wait longer)"
            ) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._begin()
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise StoreError(f"score store {str(self.path)!r}: {exc}") from exc

    def get(self, key: ScoreKey, arch: str, versions: Mapping[str, str]) -> dict[str, StoredScore]:
        """The stored values for ``arch`` of the proxies in ``versions`` (label -> version),
        those present at exactly that version."""
        if not versions:
            return {}
        marks = ",".join("?" * len(versions))
        query = (
            "SELECT proxy, version, value, seconds, error FROM scores WHERE space = ? AND "
            "arch = ? AND options = ? AND dataset = ? AND batch = ? AND seed = ? AND "
            f"proxy IN ({marks})"
        )
        params = (key.space, arch, key.options, key.dataset, key.batch_fingerprint, key.seed)
        try:
            rows = self._db.execute(query, (*params, *versions)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"score store {str(self.path)!r}: {exc}") from exc
        out = {}
        for proxy, version, value, seconds, error in rows:
            if versions[proxy] != version:
                continue
            if not _valid_row(value, seconds, error):
                self._warn_bad_row(proxy, arch, value, seconds)
                continue  # ignored: the value is computed again
            out[proxy] = StoredScore(math.nan if value is None else float(value), seconds, error)
        return out

    def _warn_bad_row(self, proxy: str, arch: str, value: object, seconds: object) -> None:
        """One warning per store for rows that cannot be a stored value."""
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"score store {str(self.path)!r} holds a row that is no stored value "
                f"({proxy} of {arch}: value {value!r}, seconds {seconds!r}); such rows are "
                "ignored and computed again",
                UserWarning,
                stacklevel=3,
            )

    def put(
        self,
        key: ScoreKey,
        arch: str,
        values: dict[str, StoredScore],
        versions: Mapping[str, str],
    ) -> None:
        """Store ``values`` (proxy label -> score) of ``arch``, each under its version in
        ``versions``, in one transaction; a key already present keeps its first value. A
        read-only store writes nothing (it said so when opened)."""
        if self.read_only:
            return
        now = time.time()
        rows = [
            (
                key.space,
                arch,
                proxy,
                key.options,
                key.dataset,
                key.batch_fingerprint,
                key.seed,
                versions[proxy],
                None if math.isnan(s.value) else s.value,
                s.seconds,
                s.error,
                now,
            )
            for proxy, s in values.items()
        ]
        with self._transaction() as db:
            db.executemany(_INSERT, rows)

    def close(self) -> None:
        self._db.close()
