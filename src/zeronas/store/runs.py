"""Named runs recorded in the score store (``--run-id``): a run started again with the same
settings resumes (its scores are read back); with other settings it is refused."""

from __future__ import annotations

import json
import time
from typing import Any

from zeronas.store.schema import StoreError

__all__ = ["RunLog"]


class RunLog:
    """Named runs of :class:`~zeronas.store.sqlite.ScoreStore` (a part of it: it reads the
    store's connection ``_db``, ``_transaction`` and ``path``)."""

    def begin_run(self, run_id: str, command: str, settings: dict[str, Any]) -> bool:
        """Record run ``run_id`` of ``command`` with its ``settings``; True when it already
        existed (a resume). Resuming with other settings raises, naming what changed."""
        if self.read_only:
            raise StoreError(f"a named run (--run-id) needs a writable store: {self.path} is not")
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
            raise StoreError(
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
