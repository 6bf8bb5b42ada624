"""`zeronas cache info | export | clear`: the score store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zeronas.cache import ScoreStore
from zeronas.cli._app import CacheOpt, JsonOpt, app, cache_path, cli_errors, out, print_json
from zeronas.errors import ZeroNASError

cache_app = typer.Typer(
    help="The score store (SQLite) every command reads first and writes as it goes.",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


def _store(cache: Path | None) -> ScoreStore:
    return ScoreStore(cache_path(cache, no_cache=False))  # type: ignore[arg-type]


@cache_app.command("info")
@cli_errors
def info(cache: CacheOpt = None, json_out: JsonOpt = False) -> None:
    """Rows per space, dataset and proxy; failures; file size."""
    doc = _store(cache).info()
    if json_out:
        return print_json(doc)
    table = Table(
        "space",
        "dataset",
        "proxy",
        "rows",
        "errors",
        "seconds",
        title=f"{doc['path']}: {doc['rows']} rows, {doc['bytes'] / 1e6:.1f} MB",
    )
    for g in doc["groups"]:
        table.add_row(
            g["space"],
            g["dataset"],
            g["proxy"],
            str(g["rows"]),
            str(g["errors"]),
            f"{g['seconds']:.1f}",
        )
    out.print(table)


@cache_app.command("export")
@cli_errors
def export(
    path: Annotated[Path, typer.Argument(help="CSV file to write.")],
    cache: CacheOpt = None,
) -> None:
    """Write every stored score to a CSV file."""
    rows = _store(cache).export(path)
    out.print(f"wrote {rows} rows to {path}")


@cache_app.command("clear")
@cli_errors
def clear(
    cache: CacheOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete every stored score.")] = False,
) -> None:
    """Delete every stored score (needs --yes)."""
    store = _store(cache)
    if not yes:
        rows = store.info()["rows"]
        raise ZeroNASError(f"this deletes {rows} stored scores from {store.path}: pass --yes")
    out.print(f"deleted {store.clear()} rows from {store.path}")
