"""Where a command writes and what it resumes: output paths checked before any work, the
score store a command uses, and named runs recorded in it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zeronas.cli.app import err
from zeronas.errors import ZeroNASError
from zeronas.store.schema import default_cache_path
from zeronas.store.sqlite import ScoreStore

__all__ = ["cache_path", "tracked_run", "writable_file", "writable_folder"]


def writable_folder(path: Path, flag: str = "--out") -> Path:
    """``path`` as a folder this process can write into, made if missing: checked before any
    work, so that no finished work is lost to a bad output path."""
    if not str(path).strip() or str(path) == ".":
        raise ZeroNASError(f"{flag} is empty or the current folder: name a folder for the results")
    if path.exists() and not path.is_dir():
        raise ZeroNASError(f"{flag} {str(path)!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ZeroNASError(f"{flag} {str(path)!r} is not writable: {exc.strerror or exc}") from exc
    return path


#: how the first line of a file zeronas exports starts (an existing one may be replaced)
_EXPORT_HEADERS = ("space,arch,proxy,", "index,arch,", "index,")


def _is_export(path: Path) -> bool:
    import gzip

    try:
        with path.open("rb") as raw:
            packed = raw.read(2) == b"\x1f\x8b"
        opener = gzip.open if packed else open
        with opener(path, "rt", errors="replace") as handle:  # type: ignore[operator]
            return handle.readline().startswith(_EXPORT_HEADERS)
    except (OSError, EOFError):
        return False


def writable_file(path: Path, what: str = "output file", inputs: Sequence[Path] = ()) -> Path:
    """``path`` as a file that can be written, checked before anything is opened: not empty,
    not a folder or a device, not one of the command's ``inputs`` (the store it reads, say),
    not an existing file other than an earlier export; its folder exists and is writable."""
    if not str(path).strip():
        raise ZeroNASError(f"{what} is empty: give a file name")
    if path.is_dir():
        raise ZeroNASError(f"{what} {str(path)!r} is a folder, not a file")
    if path.exists() and not path.is_file():
        raise ZeroNASError(f"{what} {str(path)!r} is not a regular file (a device?)")
    for given in inputs:
        if path.exists() and given.exists() and path.resolve() == given.resolve():
            raise ZeroNASError(f"{what} {str(path)!r} is the file this command reads")
    if path.is_file() and not _is_export(path):
        raise ZeroNASError(
            f"{what} {str(path)!r} exists and is not a zeronas export: remove it or pick "
            "another name"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ZeroNASError(f"{what} {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ZeroNASError(f"{what} {str(path)!r} is not writable")
    return path


def cache_path(cache: Path | None, no_cache: bool) -> Path | None:
    """The score store a command uses: ``--cache``, else the default; None with --no-cache."""
    if no_cache:
        return None
    return cache if cache is not None else default_cache_path()


#: Parameters that do not change a run's results (left out when a resumed run is checked).
_NOT_SETTINGS = {"json_out", "run_id", "cache", "no_cache", "out_dir"}


def _resolved(value: Any) -> Any:
    """``value`` with every existing file path in it (alone, or after a ``kind:`` prefix as
    in ``npz:PATH``) made absolute, so that a resume may name the same file another way."""
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolved(v) for v in value]
    if isinstance(value, str | Path) and str(value):
        text = str(value)
        kind, sep, rest = text.partition(":")
        for prefix, path in ((kind + sep, rest), ("", text)) if sep else (("", text),):
            if path and Path(path).exists():
                return prefix + str(Path(path).resolve())
    return value


@contextmanager
def tracked_run(
    run_id: str | None, cache: Path | None, command: str, params: dict[str, Any]
) -> Iterator[None]:
    """Record a named run in the score store; a run of that name that was started before
    must have the same settings, and resumes (its scores are read back from the store)."""
    if run_id is None:
        yield
        return
    if cache is None:
        raise ZeroNASError("--run-id needs the score store: drop --no-cache")
    store = ScoreStore(cache)
    settings = {k: _resolved(v) for k, v in params.items() if k not in _NOT_SETTINGS}
    if store.begin_run(run_id, command, settings):
        err.print(f"resuming run {run_id!r}: stored scores are read back from {cache}")
    yield
    store.finish_run(run_id)
