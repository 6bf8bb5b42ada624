"""Shared fixtures. Data from ``../shared`` (or $ZERONAS_SHARED); tests that need it skip
with the reason when it is absent (CI always has it)."""

from __future__ import annotations

import os
import sqlite3
import textwrap
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ZERONAS_SHARED", REPO.parent / "shared"))

# One intra-op thread, here and in every subprocess a test starts: the tests' networks are
# tiny (threads cost more than they give), and a test's subprocesses run beside each other.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
#: The environment of a subprocess that runs beside others: one thread, whatever was set.
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(autouse=True, scope="session")
def _private_score_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands use the default score store: point it at a temporary file for the tests."""
    os.environ["ZERONAS_CACHE"] = str(tmp_path_factory.mktemp("store") / "scores.sqlite")


def write_plugin(root: Path, module: str, source: str, entry_points: str) -> dict[str, str]:
    """Install-free plug-in distribution under ``root``: package ``module`` (``source``) and
    a dist-info declaring ``entry_points``. Returns the environment of a subprocess (and of
    the workers it spawns) that sees it."""
    (root / module).mkdir(parents=True)
    (root / module / "__init__.py").write_text(textwrap.dedent(source))
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    return {**ONE_THREAD, "PYTHONPATH": str(root)}


def stored_rows(store: Path, proxy: str | None = None) -> int:
    """Rows in a score store's ``scores`` table (of one proxy if given); 0 while the file is
    not there yet."""
    if not Path(store).exists():
        return 0  # connecting would create it under the run that is about to
    where, args = ("WHERE proxy = ?", (proxy,)) if proxy else ("", ())
    try:
        with sqlite3.connect(store) as db:
            return db.execute(f"SELECT COUNT(*) FROM scores {where}", args).fetchone()[0]
    except sqlite3.Error:
        return 0


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not found: set ZERONAS_SHARED to the shared/ folder")
    return path


@pytest.fixture(scope="session")
def accuracy_csv() -> Path:
    return shared_file("benchmarks/nats-tss/accuracy.csv")


@pytest.fixture(scope="session")
def reference_csv() -> Path:
    return shared_file("benchmarks/nats-tss/reference_scores.csv")


@pytest.fixture(scope="session")
def cifar10_npz() -> Path:
    return shared_file("images/cifar10_960_augtrain_uint8.npz")
