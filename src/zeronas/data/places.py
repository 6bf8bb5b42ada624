"""Where zeronas keeps what it derives from files once: the NAS-Bench-101 index, image
folders extracted from their archives (``$ZERONAS_INDEX_DIR``, default ``~/.cache/zeronas``)."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import warnings
from pathlib import Path

from zeronas.errors import DataError

__all__ = ["INDEX_ENV", "extracted_folder", "index_dir"]

INDEX_ENV = "ZERONAS_INDEX_DIR"
_ARCHIVES = (".tar.gz", ".tgz", ".tar")


def index_dir() -> Path:
    """``$ZERONAS_INDEX_DIR`` (``$ZERONAS_CACHE_DIR``, its old name, still read, with a
    note), else ``~/.cache/zeronas``."""
    if INDEX_ENV not in os.environ and "ZERONAS_CACHE_DIR" in os.environ:
        warnings.warn("$ZERONAS_CACHE_DIR is called $ZERONAS_INDEX_DIR now", stacklevel=2)
        return Path(os.environ["ZERONAS_CACHE_DIR"])
    return Path(os.environ.get(INDEX_ENV, Path.home() / ".cache" / "zeronas"))


def extracted_folder(path: str | Path) -> Path:
    """``path`` itself when it is a folder; an archive (``.tar.gz``, ``.tgz``, ``.tar``) is
    extracted once under the index folder (keyed by its name, size and time) and its one
    top-level folder returned."""
    path = Path(path)
    if not path.is_file() or not path.name.endswith(_ARCHIVES):
        return path
    stat = path.stat()
    target = index_dir() / "datasets" / f"{path.name}-{stat.st_size}-{int(stat.st_mtime)}"
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".extracting-", dir=target.parent))
        try:
            with tarfile.open(path) as archive:
                archive.extractall(partial, filter="data")  # no links or paths out of it
            partial.rename(target)
        except (OSError, tarfile.TarError) as exc:
            raise DataError(f"cannot extract {str(path)!r}: {exc}") from exc
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    inner = [p for p in target.iterdir() if p.is_dir()]
    return inner[0] if len(inner) == 1 and not (target / "train").is_dir() else target
