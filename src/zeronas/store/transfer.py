"""Moving scores between stores: export every row (or one table of one run's settings,
in the ``--scores`` format) to CSV, and merge a CSV or another store in."""

from __future__ import annotations

import csv
import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from zeronas.store.schema import (
    _COLUMNS,
    SCHEMA_VERSION,
    StoreError,
    _open_text,
    atomic_text,
    base_name,
)

__all__ = ["Transfer"]


class Transfer:
    """Export and merge of :class:`~zeronas.store.sqlite.ScoreStore` (a part of it: it reads the
    store's connection ``_db``, ``_transaction`` and ``path``)."""

    def export(self, path: str | Path) -> int:
        """Write every row to a CSV file (gzip-compressed when ``path`` ends in ``.gz``);
        returns the number of rows."""
        try:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM scores").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"score store {str(self.path)!r}: {exc}") from exc
        with atomic_text(Path(path)) as handle:
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
            raise StoreError(f"cannot merge into {str(self.path)!r}: it is read-only here")
        source = Path(source)
        if not source.is_file():
            raise StoreError(f"nothing to merge: {str(source)!r} is not a file")
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
                    raise StoreError(
                        f"{str(source)!r} is a score store of schema {schema and schema[0]}; "
                        f"this zeronas merges schema {SCHEMA_VERSION}"
                    )
                return other.execute("SELECT * FROM scores").fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {str(source)!r} as a score store: {exc}") from exc
            finally:
                other.close()
        try:
            return self._csv_rows(source)
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:  # a cut .gz file
            raise StoreError(f"cannot read {str(source)!r} (cut short or damaged?): {exc}") from exc

    def _csv_rows(self, source: Path) -> list[tuple]:
        with _open_text(source, "r") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != _COLUMNS:
                raise StoreError(
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
                    raise StoreError(f"{str(source)!r}, line {line}: {exc}") from exc
        return rows

    def values_by_proxy(
        self, space: str, dataset: str, current: Mapping[str, str] | None = None
    ) -> dict[str, dict[str, tuple[float, float]]]:
        """proxy -> arch -> (value, seconds) of ``space`` on ``dataset`` (NaN for a failure),
        only of the ``current`` proxy versions (name -> version) when given.

        A proxy stored under more than one setting (options, batch, seed, version) would mix
        incomparable values: that is a StoreError naming it.
        """
        query = (
            "SELECT proxy, arch, value, seconds, options || batch || seed || version, version "
            "FROM scores WHERE space = ? AND dataset = ?"
        )
        try:
            rows = self._db.execute(query, (space, dataset)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"score store {str(self.path)!r}: {exc}") from exc
        values: dict[str, dict[str, tuple[float, float]]] = {}
        settings: dict[str, set[str]] = {}
        for proxy, arch, value, seconds, setting, version in rows:
            if current is not None and current.get(base_name(proxy)) != version:
                continue  # stale: no current proxy version reads it
            settings.setdefault(proxy, set()).add(setting)
            values.setdefault(proxy, {})[arch] = (math.nan if value is None else value, seconds)
        mixed = sorted(p for p, s in settings.items() if len(s) > 1)
        if mixed:
            raise StoreError(
                f"score store {str(self.path)!r} holds {', '.join(mixed)} on {space}/{dataset} "
                "under several settings (batch, options, seed or version): export from a store "
                "of one run's settings"
            )
        return values
