"""Where benchmark scripts find ../shared (override with $ZERONAS_SHARED)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SHARED = Path(os.environ.get("ZERONAS_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def shared_path(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        sys.exit(f"{path} not found: set ZERONAS_SHARED to the shared/ folder")
    return path
