"""Small printing helpers every command shares."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

from rich.markup import escape

from zeronas.cli.app import err
from zeronas.report.jsonio import dumps_json

__all__ = ["fmt", "print_json", "show_warnings"]


def print_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(dumps_json(doc))


def show_warnings(notes: Sequence[str]) -> None:
    for warning in notes:
        err.print(f"[yellow]Warning: {escape(warning)}.[/yellow]")


def fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)
