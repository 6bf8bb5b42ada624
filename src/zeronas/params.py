"""Typed, checked parameters: of plug-ins (searchers, proxies) and of configurations.

A plug-in's parameters are the keyword parameters of its constructor or function, with
their defaults (scikit-learn's "constructor = parameters"); a value typed as text is
converted to the type of the default. A configuration's fields are declared once with
:func:`setting`: the default, what is allowed and its check, and the command-line flag and
help that the CLI derives its options from. A bad value is a :class:`ParameterError` naming
the parameter, its owner, what is allowed and what was received.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeronas.errors import ParameterError

__all__ = [
    "Check",
    "Setting",
    "at_least",
    "check_values",
    "in_range",
    "one_of",
    "positive",
    "check_settings",
    "coerce",
    "default_of",
    "int_at_least",
    "is_int",
    "keyword_defaults",
    "positive_or_none",
    "renamed_keys",
    "require",
    "resolve_parameters",
    "setting",
    "settings",
]

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


@dataclass(frozen=True)
class Setting:
    """A configuration field as declared once: what it allows (said in errors and help), the
    check of a value, and the command-line flag and help (``flag=None``: API only).
    ``cli_type`` is the type the command line reads when it differs from the field's (a
    proxy list is typed as text)."""

    allowed: str = ""
    check: Callable[[Any], bool] | None = None
    flag: str | None = None
    help: str = ""
    cli_type: Any = None


def setting(
    default: Any = dataclasses.MISSING,
    *,
    allowed: str = "",
    check: Callable[[Any], bool] | None = None,
    flag: str | None = None,
    help: str = "",  # noqa: A002 -- the word the command line uses
    cli_type: Any = None,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field declared with its :class:`Setting` (its one default and check)."""
    metadata = {"setting": Setting(allowed, check, flag, help, cli_type)}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def settings(cls: type) -> dict[str, tuple[dataclasses.Field, Setting]]:
    """The declared fields of a configuration class: name -> (field, setting)."""
    return {
        f.name: (f, f.metadata["setting"])
        for f in dataclasses.fields(cls)
        if "setting" in f.metadata
    }


def check_settings(config: Any) -> None:
    """Every declared check of ``config``'s fields holds, else a :class:`ParameterError`
    naming the first field that fails, its owner, what is allowed and what was received."""
    owner = type(config).__name__
    for name, (_, declared) in settings(type(config)).items():
        value = getattr(config, name)
        if declared.check is not None and not declared.check(value):
            raise ParameterError(name, owner, declared.allowed, value)


def default_of(cls: type, name: str) -> Any:
    """The declared default of field ``name`` of ``cls``."""
    field = {f.name: f for f in dataclasses.fields(cls)}[name]
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def int_at_least(low: int) -> Callable[[Any], bool]:
    """A check: an int (not a bool) >= ``low``."""
    return lambda value: is_int(value) and value >= low


def positive_or_none(value: Any) -> bool:
    """A check: None, or a finite number > 0."""
    if value is None:
        return True
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (math.isfinite(value) and value > 0)
    )


def renamed_keys(
    given: Mapping[str, Any], renamed: Mapping[str, str], owner: str
) -> dict[str, Any]:
    """``given`` with each old key of ``renamed`` (old -> new) under its new name, and a
    warning saying what it is called now (the old spelling keeps working)."""
    out = dict(given)
    for old, new in renamed.items():
        if old in out:
            warnings.warn(f"the {old!r} parameter of {owner} is called {new!r} now", stacklevel=3)
            out[new] = out.pop(old)
    return out


#: (what is allowed, check) of one option or parameter
Check = tuple[str, Callable[[Any], bool]]


def at_least(low: float) -> Check:
    """A declared range: a number >= ``low`` (an int where ``low`` is one)."""
    kind = "an integer" if isinstance(low, int) else "a number"
    return f"{kind} >= {low}", lambda v: _number(v) and v >= low


def in_range(low: float, high: float) -> Check:
    """A declared range: a number in [``low``, ``high``]."""
    kind = "an integer" if isinstance(low, int) else "a number"
    return f"{kind} in [{low}, {high}]", lambda v: _number(v) and low <= v <= high


def positive() -> Check:
    return "a positive number", lambda v: _number(v) and v > 0


def one_of(values: Sequence[Any]) -> Check:
    return f"one of {', '.join(map(str, values))}", lambda v: v in values


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_values(values: Mapping[str, Any], checks: Mapping[str, Check], owner: str) -> None:
    """Every value meets its declared check; a float must be finite even without one."""
    for key, value in values.items():
        if key in checks:
            allowed, ok = checks[key]
            if not ok(value):
                raise ParameterError(key, owner, allowed, value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(key, owner, "a finite number", value)
