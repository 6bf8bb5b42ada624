"""`zeronas cache info | export | merge | clear`: the score store."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zeronas.cli.app import app, cli_errors, out
from zeronas.cli.options import CacheOpt, JsonOpt
from zeronas.cli.output import print_json
from zeronas.cli.runs import cache_path, writable_file
from zeronas.errors import ZeroNASError
from zeronas.proxies import PROXIES
from zeronas.spaces import get_space
from zeronas.store.schema import atomic_text
from zeronas.store.sqlite import ScoreStore

cache_app = typer.Typer(
    help="The score store (SQLite) every command reads first and writes as it goes.",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


def current_proxy_versions() -> dict[str, str]:
    """Every registered proxy's name -> its version, as stored."""
    return {name: str(PROXIES.get(name).version) for name in PROXIES}


def _store(cache: Path | None) -> ScoreStore:
    """The existing store these commands inspect (a mistyped path creates nothing)."""
    path: Path = cache_path(cache, no_cache=False)  # type: ignore[assignment]
    if not path.is_file():
        raise ZeroNASError(
            f"no score store at {str(path)!r}: score, correlate, search and experiment create "
            f"one; check --cache or $ZERONAS_CACHE"
        )
    return ScoreStore(path)


@cache_app.command("info")
@cli_errors
def info(cache: CacheOpt = None, json_out: JsonOpt = False) -> None:
    """Rows per space, dataset and proxy; failures; stale rows; file size."""
    store = _store(cache)
    doc = store.info()
    doc["stale_rows"] = store.stale(current_proxy_versions())
    if json_out:
        return print_json(doc)
    table = Table(
        "space",
        "dataset",
        "proxy",
        "rows",
        "errors",
        "seconds",
        title=f"{doc['path']}: {doc['rows']} rows ({doc['stale_rows']} stale: no current proxy "
        f"version reads them), {doc['bytes'] / 1e6:.1f} MB",
    )
    for g in doc["groups"]:
        table.add_row(
            g["space"],
            g["dataset"],
            escape(g["proxy"]),
            str(g["rows"]),
            str(g["errors"]),
            f"{g['seconds']:.1f}",
        )
    out.print(table)


@cache_app.command("export")
@cli_errors
def export(
    path: Annotated[
        Path, typer.Argument(help="CSV file to write (gzip-compressed if it ends in .gz).")
    ],
    cache: CacheOpt = None,
    table: Annotated[
        str | None,
        typer.Option(
            help="SPACE/DATASET: write a scores table instead (index, <proxy>_<dataset>, "
            "<proxy>_seconds_<dataset>), as `--scores` reads it.",
        ),
    ] = None,
) -> None:
    """Write every stored score to a CSV file (or one space and dataset as a scores table)."""
    store_path = cache_path(cache, False)
    writable_file(path, inputs=[store_path] if store_path is not None else [])
    if table is None:
        rows = _store(cache).export(path)
    else:
        rows = write_score_table(_store(cache), table, path)
    out.print(f"wrote {rows} rows to {path}")


def write_score_table(store: ScoreStore, table: str, path: Path) -> int:
    """The stored values of ``SPACE/DATASET`` as a scores table; returns its row count."""
    space_name, sep, dataset = table.partition("/")
    if not sep or not dataset:
        raise ZeroNASError(f"--table must be SPACE/DATASET, e.g. nats-tss/cifar10; got {table!r}")
    space = get_space(space_name)
    if space.size is None:
        raise ZeroNASError(
            f"space {space.name!r} has no index order, which a scores table is keyed by; "
            f"export every row instead (without --table)"
        )
    values = store.values_by_proxy(space.name, dataset, current_proxy_versions())
    if not values:
        raise ZeroNASError(f"the store holds no score of {space.name} on {dataset!r}")
    proxies = sorted(values)
    archs = {a for by_arch in values.values() for a in by_arch}
    indexed = sorted((space.index(space.decode(a)), a) for a in archs)
    with atomic_text(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["index", "arch", *(f"{p}_{dataset}" for p in proxies)]
            + [f"{p}_seconds_{dataset}" for p in proxies]
        )
        for index, arch in indexed:
            cells = [values[p].get(arch) for p in proxies]  # None: never computed
            writer.writerow(
                [index, arch]
                + ["" if c is None else repr(c[0]) for c in cells]
                + ["" if c is None else repr(c[1]) for c in cells]
            )
    return len(indexed)


@cache_app.command("merge")
@cli_errors
def merge(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Score stores (SQLite) or CSV files `zeronas cache export` wrote (.gz too)."
        ),
    ],
    cache: CacheOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add other machines' or runs' scores to this store: keys it lacks are added, keys it
    has keep its own row; values that differ for one key are counted."""
    path: Path = cache_path(cache, no_cache=False)  # type: ignore[assignment]
    store = ScoreStore(path)
    counts = {str(source): store.merge(source) for source in sources}
    if json_out:
        return print_json({"cache": str(path), "merged": counts})
    for source, c in counts.items():
        out.print(
            f"{escape(source)}: added {c['added']} rows, {c['present']} already present, "
            f"{c['differing']} present with another value (kept this store's)"
        )


@cache_app.command("clear")
@cli_errors
def clear(
    cache: CacheOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete every stored score.")] = False,
    stale: Annotated[
        bool,
        typer.Option("--stale", help="Delete only the rows no current proxy version reads."),
    ] = False,
) -> None:
    """Delete every stored score (needs --yes), or only the stale ones (--stale)."""
    store = _store(cache)
    if stale:
        deleted = store.clear(stale_only=current_proxy_versions())
        out.print(f"deleted {deleted} stale rows from {store.path}")
        return
    if not yes:
        rows = store.info()["rows"]
        raise ZeroNASError(f"this deletes {rows} stored scores from {store.path}: pass --yes")
    out.print(f"deleted {store.clear()} rows from {store.path}")
