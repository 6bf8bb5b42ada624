"""The command-line options: those of the configurations, derived from their declared
fields (flag, help, default: :func:`zeronas.params.setting`), and the few that belong to
the command line alone (``--json``, ``--cache``, ``--run-id``, ...), each defined once.

A command gets a configuration's options with a decorator (:func:`with_scoring_config`,
:func:`with_search_config`, :func:`with_execution`): they are added to its signature, and it
is called with the configuration they make (``config``, ``execution``). Typer has no option
groups; this is the one place that stands in for them.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer

from zeronas.cli.runs import cache_path
from zeronas.errors import ZeroNASError
from zeronas.execution.base import ExecutorConfig
from zeronas.groundtruth.accuracy import GroundTruth
from zeronas.groundtruth.sources import open_ground_truth
from zeronas.hardware.limits import Limits
from zeronas.params import default_of, settings
from zeronas.scoring.config import ScoringConfig
from zeronas.search.config import SearchConfig, search_config

__all__ = [
    "AllowPickleOpt",
    "BenchmarkOpt",
    "CacheOpt",
    "HpOpt",
    "JsonOpt",
    "NoCacheOpt",
    "OptionOpt",
    "RunIdOpt",
    "SecondsOpt",
    "StoreChoice",
    "TruthChoice",
    "option_of",
    "with_execution",
    "with_scoring_config",
    "with_ground_truth",
    "with_search_config",
    "with_store",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
BenchmarkOpt = Annotated[
    str | None,
    typer.Option(
        "--benchmark",
        help="Ground truth: CSV table or NATS-Bench file (default: $ZERONAS_BENCHMARK).",
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache", help="Score store (SQLite); default $ZERONAS_CACHE or ~/.cache/zeronas."
    ),
]
RunIdOpt = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        help="Name this run: run it again with the same settings to resume it after a kill.",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the store.")]
HpOpt = Annotated[
    str | None,
    typer.Option(
        "--hp",
        help="Schedule (epochs) of the ground truth: NATS-TSS 12|200, NATS-SSS 01|12|90 "
        "(default: the full one, 200 / 90).",
    ),
]
AllowPickleOpt = Annotated[
    bool, typer.Option("--allow-pickle", help="Trust a pickled NATS-Bench file.")
]
SecondsOpt = Annotated[
    float | None, typer.Option("--seconds", help="Time budget (search seconds, accounted).")
]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option("--option", "-o", help="Algorithm parameter KEY=VALUE (repeatable)."),
]

#: What a search's ``--proxies`` says (its default depends on the space).
_SEARCH_PROXIES_HELP = (
    "Comma-separated proxies or a set (see `zeronas proxies`). Default: ensemble; on a space "
    "where it is known to rank badly, the space's own (nats-sss: synflow)."
)


def _cli_default(value: Any) -> Any:
    """A field's default as the command line shows it (a tuple as comma-separated text)."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return value


def option_of(cls: type, name: str, **changes: Any) -> tuple[Any, Any]:
    """(Typer annotation, default) of the declared field ``name`` of ``cls``; ``changes``
    override the setting's ``help`` or the ``default``."""
    field, declared = settings(cls)[name]
    hints = typing.get_type_hints(cls)
    kind = declared.cli_type if declared.cli_type is not None else hints[field.name]
    default = changes.get("default", _cli_default(default_of(cls, name)))
    if default == "" and kind is str:  # an empty list: unset on the command line
        kind, default = str | None, None
    if default is None and kind in (str, int, float):
        kind = kind | None
    option = typer.Option(declared.flag, help=changes.get("help", declared.help))
    return Annotated[kind, option], default


def _options(cls: type, prefix: str = "", skip: Iterable[str] = ()) -> dict[str, tuple]:
    """``parameter name -> (annotation, default)`` of every flagged field of ``cls``."""
    return {
        prefix + name: option_of(cls, name)
        for name, (_, declared) in settings(cls).items()
        if declared.flag is not None and name not in skip
    }


def _with_options(
    options: dict[str, tuple[Any, Any]], build: Callable[[dict[str, Any]], Any], into: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command ``options`` and call it with ``into = build(their values)``. A command
    that declares an option of the same name itself (a list of datasets, say) keeps it and
    derives what it needs from the configuration with ``replace``."""

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(fn, eval_str=True)
        mine = [p for p in signature.parameters.values() if p.name != into]
        shared = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default
            )  # fmt: skip
            for name, (kind, default) in options.items()
            if name not in signature.parameters
        ]
        names = {p.name for p in shared}

        @wraps(fn)
        def wrapper(**kwargs: Any) -> None:
            fields = {n: kwargs.pop(n) for n in list(kwargs) if n in names}
            return fn(**{into: build(fields)}, **kwargs)

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in mine + shared]
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


def _text(fields: dict[str, Any]) -> dict[str, Any]:
    """Paths as text, as the configurations store them."""
    return {k: str(v) if isinstance(v, Path) else v for k, v in fields.items()}


def with_scoring_config() -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the :class:`~zeronas.scoring.config.ScoringConfig` options and call it
    with ``config``, the configuration they make."""
    return _with_options(_options(ScoringConfig), lambda f: ScoringConfig(**_text(f)), "config")


def with_search_config(
    skip: Iterable[str] = (),
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the scoring, search and limit options (but ``skip``) and call it with
    ``config``, the :class:`~zeronas.search.config.SearchConfig` they make (a search's
    ``--proxies`` defaults to the space's search proxies)."""
    options = _options(ScoringConfig) | _options(SearchConfig, skip=skip) | _options(Limits)
    options["proxies"] = option_of(ScoringConfig, "proxies", default=None,
                                   help=_SEARCH_PROXIES_HELP)  # fmt: skip

    def build(fields: dict[str, Any]) -> SearchConfig:
        fields = _text(fields)
        for name in ("weights", "screen"):  # text lists: empty means unset
            if fields.get(name) == "":
                fields[name] = None if name == "weights" else ()
        if fields.get("objectives") is None:  # unset: none; an empty one given is refused
            fields.pop("objectives", None)
        if isinstance(fields.get("weights"), str):
            fields["weights"] = tuple(fields["weights"].split(","))
        return search_config(**fields)

    return _with_options(options, build, "config")


_EXECUTION = "executor_"


def with_execution() -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the :class:`~zeronas.execution.base.ExecutorConfig` options and call
    it with ``execution``, the configuration they make (checked before any work)."""

    def build(fields: dict[str, Any]) -> ExecutorConfig:
        return ExecutorConfig(**{k.removeprefix(_EXECUTION): v for k, v in fields.items()})

    return _with_options(_options(ExecutorConfig, prefix=_EXECUTION), build, "execution")


@dataclass(frozen=True)
class StoreChoice:
    """``--cache`` / ``--no-cache`` / ``--run-id``: the score store a command reads and
    writes (None with ``--no-cache``) and the name of its run (None: not tracked)."""

    path: Path | None
    run_id: str | None = None


def with_store(
    named_runs: bool = True,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the score-store options (``--run-id`` too with ``named_runs``) and
    call it with ``store``, the :class:`StoreChoice` they make."""
    options = {"cache": (CacheOpt, None), "no_cache": (NoCacheOpt, False)}
    if named_runs:
        options["run_id"] = (RunIdOpt, None)

    def build(fields: dict[str, Any]) -> StoreChoice:
        run_id = fields.get("run_id")
        if run_id is not None and not run_id.strip():
            raise ZeroNASError("--run-id is empty: name the run, or leave --run-id out")
        return StoreChoice(cache_path(fields["cache"], fields["no_cache"]), run_id)

    return _with_options(options, build, "store")


@dataclass(frozen=True)
class TruthChoice:
    """``--benchmark`` / ``--allow-pickle`` / ``--hp``: where ground truth is read from."""

    benchmark: str | None
    allow_pickle: bool
    hp: str | None

    def open(self, space: Any) -> GroundTruth:
        """The ground truth of ``space`` these options name (a missing file is refused)."""
        return open_ground_truth(self.benchmark, self.allow_pickle, self.hp, space)


def with_ground_truth() -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the ground-truth options and call it with ``truth``, the
    :class:`TruthChoice` they make."""
    options = {
        "benchmark": (BenchmarkOpt, None),
        "allow_pickle": (AllowPickleOpt, False),
        "hp": (HpOpt, None),
    }
    return _with_options(options, lambda f: TruthChoice(**f), "truth")
