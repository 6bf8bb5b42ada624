"""The score store: every raw proxy value ever computed, in SQLite (WAL), shared by all runs.

One row per (space, canonical arch, proxy, options, dataset, batch fingerprint, seed,
version): value, seconds, error, time stamp. ``proxy`` is the proxy's label (its name, plus
its options where they differ from the defaults: ``synflow[log=false]``) and ``version``
the proxy's version, bumped whenever its definition changes: a row of another version is
never served, and counts as *stale* (``cache info``; ``cache clear --stale`` drops it).
``options`` holds everything else the value depends on: the run configuration's fields
(:class:`~zeronas.config.ScoringConfig`: initialisation, repeats, device type, ...), the
space's version and parameters, and the scoring core's version. Fitness is never stored:
it depends on the set it is normalised against (DESIGN §3, §8).

Schema 1 (zeronas before proxy versions) kept the package version in ``version``; such
rows are read by no proxy, so they are recomputed, never misread, and count as stale.

Writes are ``INSERT ... ON CONFLICT DO NOTHING``: the first value computed for a key stays,
so retried or parallel writes of the same key are no-ops; each write commits, so a killed
process loses at most the candidate in flight. Several processes may read and write one
store at once (WAL, a busy timeout). ``-inf`` is stored as SQLite's -Inf; NaN (a failure)
as NULL with its error.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import os
import sqlite3
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from zeronas.errors import ZeroNASError

__all__ = [
    "CacheError",
    "ScoreKey",
    "StoredScore",
    "ScoreStore",
    "default_cache_path",
    "package_version",
    "base_name",
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


class CacheError(ZeroNASError):
    """The score store cannot be opened, read or written."""


class ReadOnlyStoreWarning(UserWarning):
    """The store can be read but not written: values are served, new ones are not kept."""


def _writable(path: Path) -> bool:
    """This process can write ``path`` and make the journal files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


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


def package_version() -> str:
    """The installed zeronas version: part of every key, so a new release recomputes."""
    try:
        return metadata.version("zeronas")
    except metadata.PackageNotFoundError:
        return "0+unknown"


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
    batch: str
    seed: int
    options: str


@dataclass(frozen=True)
class StoredScore:
    value: float
    seconds: float
    error: str | None


class ScoreStore:
    """An SQLite file of raw proxy values (see the module docstring)."""

    def __init__(self, path: str | Path, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.read_only = False
        try:
            if self.path.exists() and not self.path.is_file():
                raise CacheError(f"score store {str(self.path)!r} is not a file")
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
            raise CacheError(f"cannot open score store {str(self.path)!r}: {exc}") from exc
        if int(found) != SCHEMA_VERSION:
            raise CacheError(
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
            raise CacheError(
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

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise CacheError(f"score store {str(self.path)!r}: {exc}") from exc

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
        params = (key.space, arch, key.options, key.dataset, key.batch, key.seed)
        try:
            rows = self._db.execute(query, (*params, *versions)).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"score store {str(self.path)!r}: {exc}") from exc
        return {
            proxy: StoredScore(math.nan if value is None else value, seconds, error)
            for proxy, version, value, seconds, error in rows
            if versions[proxy] == version
        }

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
                key.batch,
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
            db.executemany(
                "INSERT INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING", rows
            )

    def begin_run(self, run_id: str, command: str, settings: dict[str, Any]) -> bool:
        """Record run ``run_id`` of ``command`` with its ``settings``; True when it already
        existed (a resume). Resuming with other settings raises, naming what changed."""
        if self.read_only:
            raise CacheError(f"a named run (--run-id) needs a writable store: {self.path} is not")
        text = json.dumps(settings, sort_keys=True, default=str)
        with self._transaction() as db:
            row = db.execute(
                "SELECT command, settings FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, NULL)",
                    (run_id, command, text, time.time()),
                )
                return False
        old_command, old_text = row
        old = json.loads(old_text)
        new = json.loads(text)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if old_command != command or changed:
            what = (
                f"command {old_command!r}"
                if old_command != command
                else ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed)
            )
            raise CacheError(
                f"run {run_id!r} was started with other settings ({what}); resume it with the "
                f"same ones or choose another --run-id"
            )
        return True

    def finish_run(self, run_id: str) -> None:
        if self.read_only:
            return
        with self._transaction() as db:
            db.execute("UPDATE runs SET finished = ? WHERE run_id = ?", (time.time(), run_id))

    def runs(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT run_id, command, started, finished FROM runs ORDER BY started"
        ).fetchall()
        return [
            dict(zip(("run_id", "command", "started", "finished"), r, strict=True)) for r in rows
        ]

    def info(self) -> dict[str, Any]:
        """Row counts per (space, dataset, proxy), failures, file size."""
        try:
            groups = self._db.execute(
                "SELECT space, dataset, proxy, COUNT(*), SUM(error IS NOT NULL), SUM(seconds) "
                "FROM scores GROUP BY space, dataset, proxy ORDER BY space, dataset, proxy"
            ).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"score store {str(self.path)!r}: {exc}") from exc
        return {
            "path": str(self.path),
            "bytes": self.path.stat().st_size if self.path.exists() else 0,
            "rows": sum(g[3] for g in groups),
            "groups": [
                {"space": s, "dataset": d, "proxy": p, "rows": n, "errors": e, "seconds": t}
                for s, d, p, n, e, t in groups
            ],
            "runs": self.runs(),
        }

    def export(self, path: str | Path) -> int:
        """Write every row to a CSV file (gzip-compressed when ``path`` ends in ``.gz``);
        returns the number of rows."""
        try:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM scores").fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"score store {str(self.path)!r}: {exc}") from exc
        with _open_text(Path(path), "w") as handle:
            writer = csv.writer(handle)
            writer.writerow(_COLUMNS)
            for row in rows:
                row = list(row)
                row[8] = "nan" if row[8] is None else repr(row[8])
                writer.writerow(row)
        return len(rows)

    def merge(self, source: str | Path) -> dict[str, int]:
        """Add every row of another store (an SQLite store, or a CSV file ``export`` wrote,
        gzip-compressed or not) whose key this one lacks; a key present in both keeps this
        store's row. Returns the counts ``added``, ``present`` (same key, same value) and
        ``differing`` (same key, another value: a scoring that is not deterministic, or
        another machine's numerics)."""
        if self.read_only:
            raise CacheError(f"cannot merge into {str(self.path)!r}: it is read-only here")
        source = Path(source)
        if not source.is_file():
            raise CacheError(f"nothing to merge: {str(source)!r} is not a file")
        rows = self._source_rows(source)
        key = "space, arch, proxy, options, dataset, batch, seed, version"
        with self._transaction() as db:
            db.execute("CREATE TEMP TABLE incoming AS SELECT * FROM scores WHERE 0")
            db.executemany("INSERT INTO incoming VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            same, differing = db.execute(
                "SELECT SUM(s.value IS i.value), SUM(s.value IS NOT i.value) FROM incoming i "
                f"JOIN scores s USING ({key})"
            ).fetchone()
            before = db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
            db.execute("INSERT INTO scores SELECT * FROM incoming WHERE 1 ON CONFLICT DO NOTHING")
            after = db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
            db.execute("DROP TABLE incoming")
        return {"added": after - before, "present": same or 0, "differing": differing or 0}

    def _source_rows(self, source: Path) -> list[tuple]:
        """The rows of a store file or of an ``export`` CSV, in the ``scores`` column order."""
        with source.open("rb") as handle:
            is_sqlite = handle.read(16) == b"SQLite format 3\x00"
        if is_sqlite:
            other = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
            try:
                schema = other.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'"
                ).fetchone()
                if schema is None or int(schema[0]) != SCHEMA_VERSION:
                    raise CacheError(
                        f"{str(source)!r} is a score store of schema {schema and schema[0]}; "
                        f"this zeronas merges schema {SCHEMA_VERSION}"
                    )
                return other.execute("SELECT * FROM scores").fetchall()
            except sqlite3.Error as exc:
                raise CacheError(f"cannot read {str(source)!r} as a score store: {exc}") from exc
            finally:
                other.close()
        with _open_text(source, "r") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != _COLUMNS:
                raise CacheError(
                    f"{str(source)!r} is neither a score store nor a CSV file `zeronas cache "
                    f"export` wrote (its header: {header})"
                )
            rows = []
            for line, row in enumerate(reader, start=2):
                try:
                    value = float(row[8])
                    rows.append(
                        (*row[:6], int(row[6]), row[7], None if math.isnan(value) else value,
                         float(row[9]), row[10] or None, float(row[11]))
                    )  # fmt: skip
                except (ValueError, IndexError) as exc:
                    raise CacheError(f"{str(source)!r}, line {line}: {exc}") from exc
        return rows

    def values_by_proxy(
        self, space: str, dataset: str, current: Mapping[str, str] | None = None
    ) -> dict[str, dict[str, tuple[float, float]]]:
        """proxy -> arch -> (value, seconds) of ``space`` on ``dataset`` (NaN for a failure),
        only of the ``current`` proxy versions (name -> version) when given.

        A proxy stored under more than one setting (options, batch, seed, version) would mix
        incomparable values: that is a CacheError naming it.
        """
        query = (
            "SELECT proxy, arch, value, seconds, options || batch || seed || version, version "
            "FROM scores WHERE space = ? AND dataset = ?"
        )
        try:
            rows = self._db.execute(query, (space, dataset)).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"score store {str(self.path)!r}: {exc}") from exc
        values: dict[str, dict[str, tuple[float, float]]] = {}
        settings: dict[str, set[str]] = {}
        for proxy, arch, value, seconds, setting, version in rows:
            if current is not None and current.get(base_name(proxy)) != version:
                continue  # stale: no current proxy version reads it
            settings.setdefault(proxy, set()).add(setting)
            values.setdefault(proxy, {})[arch] = (math.nan if value is None else value, seconds)
        mixed = sorted(p for p, s in settings.items() if len(s) > 1)
        if mixed:
            raise CacheError(
                f"score store {str(self.path)!r} holds {', '.join(mixed)} on {space}/{dataset} "
                "under several settings (batch, options, seed or version): export from a store "
                "of one run's settings"
            )
        return values

    def _stale_pairs(self, current: Mapping[str, str]) -> list[tuple[str, str, int]]:
        """(proxy label, version, rows) of every stored group no current proxy reads:
        ``current`` maps each registered proxy name to its version."""
        try:
            groups = self._db.execute(
                "SELECT proxy, version, COUNT(*) FROM scores GROUP BY proxy, version"
            ).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"score store {str(self.path)!r}: {exc}") from exc
        return [(p, v, n) for p, v, n in groups if current.get(base_name(p)) != v]

    def stale(self, current: Mapping[str, str]) -> int:
        """How many rows no current proxy version can read (see :meth:`_stale_pairs`)."""
        return sum(n for _, _, n in self._stale_pairs(current))

    def clear(self, stale_only: Mapping[str, str] | None = None) -> int:
        """Delete every stored score, or with ``stale_only`` (the current proxy versions)
        only the stale ones; returns how many were deleted."""
        with self._transaction() as db:
            if stale_only is None:
                count = db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
                db.execute("DELETE FROM scores")
                return count
        pairs = self._stale_pairs(stale_only)
        with self._transaction() as db:
            for proxy, version, _ in pairs:
                db.execute("DELETE FROM scores WHERE proxy = ? AND version = ?", (proxy, version))
        return sum(n for _, _, n in pairs)

    def close(self) -> None:
        self._db.close()
