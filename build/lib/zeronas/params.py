"""Typed parameters of plug-ins (searchers, proxies) given as text on the command line.

A plug-in's parameters are the keyword parameters of its constructor or function, with
their defaults (scikit-learn's "constructor = parameters"); a value typed as text is
converted to the type of the default, and a bad one is a :class:`ParameterError` naming the
parameter, its owner, what is allowed and what was received.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from zeronas.errors import ParameterError

__all__ = ["coerce", "is_int", "keyword_defaults", "require", "resolve_parameters"]

_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _kind(default: Any) -> str:
    return type(default).__name__ if default is not None else "number or none"


def coerce(key: str, value: Any, default: Any, owner: str) -> Any:
    """``value`` as the type of ``default`` (bool, int, float, str; None admits a number)."""
    if not isinstance(value, str):
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ParameterError(key, owner, "a bool", value)
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(text)
            return text.lower() in _TRUE
        if text.lower() == "none":
            return None
        if isinstance(default, int) or default is None:
            try:
                return int(text)
            except ValueError:
                if default is not None:
                    raise
                return float(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise ParameterError(key, owner, f"a {_kind(default)}", value) from None
    return text


def keyword_defaults(fn: Callable[..., Any], positional: int | None = 0) -> dict[str, Any]:
    """The parameters of ``fn`` after its first ``positional`` ones, with defaults; with
    ``positional=None``, its keyword-only parameters."""
    params = list(inspect.signature(fn).parameters.values())
    if positional is None:
        params = [p for p in params if p.kind is p.KEYWORD_ONLY]
    else:
        params = params[positional:]
    return {
        p.name: p.default
        for p in params
        if p.name != "self" and p.kind is not p.VAR_KEYWORD and p.kind is not p.VAR_POSITIONAL
    }


def resolve_parameters(
    given: Mapping[str, Any], defaults: Mapping[str, Any], owner: str, fill: bool = True
) -> dict[str, Any]:
    """``defaults`` overridden by ``given`` (converted; only ``given`` with ``fill=False``);
    an unknown key names the valid ones."""
    out = dict(defaults) if fill else {}
    for key, value in given.items():
        if key not in defaults:
            valid = ", ".join(defaults) or "none"
            raise ParameterError(key, owner, f"one of the valid parameters ({valid})", key,
                                 unknown=True)  # fmt: skip
        out[key] = coerce(key, value, defaults[key], owner)
    return out


def require(ok: bool, name: str, owner: str, allowed: str, value: object) -> None:
    """Raise a :class:`ParameterError` naming ``name`` of ``owner`` unless ``ok``."""
    if not ok:
        raise ParameterError(name, owner, allowed, value)


def is_int(value: object) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)
