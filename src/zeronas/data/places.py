"""Where zeronas keeps what it derives from files once: the NAS-Bench-101 index, image
folders extracted from their archives (``$ZERONAS_INDEX_DIR``, default ``~/.cache/zeronas``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import warnings
from pathlib import Path

from zeronas.errors import DataError

__all__ = ["INDEX_ENV", "archive_key", "extracted_folder", "index_dir"]

INDEX_ENV = "ZERONAS_INDEX_DIR"
_ARCHIVES = (".tar.gz", ".tgz", ".tar")


def index_dir() -> Path:
    """``$ZERONAS_INDEX_DIR`` (``$ZERONAS_CACHE_DIR``, its old name, still read, with a
    note), else ``~/.cache/zeronas``."""
    if INDEX_ENV not in os.environ and "ZERONAS_CACHE_DIR" in os.environ:
        warnings.warn("$ZERONAS_CACHE_DIR is called $ZERONAS_INDEX_DIR now", stacklevel=2)
        return Path(os.environ["ZERONAS_CACHE_DIR"])
    return Path(os.environ.get(INDEX_ENV, Path.home() / ".cache" / "zeronas"))


def archive_key(path: Path, sample: int = 1 << 20) -> str:
    """The archive's size and a BLAKE2 digest of its first and last ``sample`` bytes: the
    same for a copy of the same file (a modification time is not: shared copies are
    re-made), different for another archive, cheap for a large one."""
    size = path.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=8)
    with path.open("rb") as file:
        digest.update(file.read(sample))
        if size > sample:
            file.seek(max(sample, size - sample))
            digest.update(file.read(sample))
    return f"{size}-{digest.hexdigest()}"


def extracted_folder(path: str | Path) -> Path:
    """``path`` itself when it is a folder; an archive (``.tar.gz``, ``.tgz``, ``.tar``) is
    extracted once under the index folder (keyed by its name and :func:`archive_key`) and
    its one top-level folder returned. Processes extracting the same archive at once each
    extract into their own temporary folder; the first rename wins, the others use it."""
    path = Path(path)
    if not path.is_file() or not path.name.endswith(_ARCHIVES):
        return path
    target = index_dir() / "datasets" / f"{path.name}-{archive_key(path)}"
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".extracting-", dir=target.parent))
        try:
            with tarfile.open(path) as archive:
                archive.extractall(partial, filter="data")  # no links or paths out of it
            partial.rename(target)
        except (OSError, tarfile.TarError) as exc:
            if not target.is_dir():  # else another process finished the same extraction
                raise DataError(f"cannot extract {str(path)!r}: {exc}") from exc
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    inner = [p for p in target.iterdir() if p.is_dir()]
    return inner[0] if len(inner) == 1 and not (target / "train").is_dir() else target
