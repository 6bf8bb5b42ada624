"""Looking after a store: what it holds, which rows are stale (of another proxy version),
and clearing them."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from zeronas.store.schema import StoreError, base_name

__all__ = ["Upkeep"]


class Upkeep:
    """Info, stale rows and clearing of :class:`~zeronas.store.sqlite.ScoreStore` (a part
    of it: it reads the store's connection ``_db``, ``_transaction`` and ``path``)."""

    def info(self) -> dict[str, Any]:
        """Row counts per (space, dataset, proxy), failures, file size."""
        try:
            groups = self._db.execute(
                "SELECT space, dataset, proxy, COUNT(*), SUM(error IS NOT NULL), SUM(seconds) "
                "FROM scores GROUP BY space, dataset, proxy ORDER BY space, dataset, proxy"
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"score store {str(self.path)!r}: {exc}") from exc
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

    def _stale_pairs(self, current: Mapping[str, str]) -> list[tuple[str, str, int]]:
        """(proxy label, version, rows) of every stored group no current proxy reads:
        ``current`` maps each registered proxy name to its version."""
        try:
            groups = self._db.execute(
                "SELECT proxy, version, COUNT(*) FROM scores GROUP BY proxy, version"
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"score store {str(self.path)!r}: {exc}") from exc
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
