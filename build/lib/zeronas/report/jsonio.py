"""The one JSON writer of every file and ``--json`` document zeronas produces.

Strict JSON has no NaN or infinity: non-finite floats are written as the strings ``"nan"``,
``"inf"`` and ``"-inf"`` (``float()`` reads them back), at any depth, and the encoder is
told to refuse anything else that is not JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["json_number", "strict_json", "dumps_json", "write_json"]


def json_number(value: float) -> float | str:
    """Finite floats stay numbers; ±inf and NaN become the strings "inf", "-inf", "nan"."""
    return value if math.isfinite(value) else str(value)


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float (in dicts, lists, tuples) as its string."""
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def dumps_json(doc: Any) -> str:
    """``doc`` as strict, indented JSON text (paths and other objects as their text)."""
    return json.dumps(strict_json(doc), indent=2, allow_nan=False, default=str) + "\n"


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_json(doc))
    return path
