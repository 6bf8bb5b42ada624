"""The ``zeronas`` command line (Typer + Rich). Thin: parse, call :mod:`zeronas.api`, render.

Bad input exits with status 2 and one line naming the bad value and what is allowed.
``--json`` prints one JSON document on stdout; progress and warnings go to stderr.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from zeronas import api
from zeronas.benchmarks.groundtruth import open_ground_truth
from zeronas.data import DATA_SOURCES
from zeronas.datasets import DATASETS
from zeronas.errors import ZeroNASError
from zeronas.init import INIT_SCHEMES
from zeronas.proxies import PROXIES
from zeronas.report import json_number, scatter_plot, write_scores_csv
from zeronas.spaces import SPACES, get_space

app = typer.Typer(
    help="Training-free neural architecture search with zero-cost proxies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

SpaceOpt = Annotated[str, typer.Option("--space", help="Search space (see `zeronas spaces`).")]
DatasetOpt = Annotated[str, typer.Option("--dataset", help=f"Task: {', '.join(DATASETS)}.")]
ProxiesOpt = Annotated[
    str, typer.Option("--proxies", help="Comma-separated proxies (see `zeronas proxies`).")
]
DataOpt = Annotated[str, typer.Option("--data", help=f"Images: {', '.join(DATA_SOURCES)}.")]
DataRootOpt = Annotated[
    Path | None, typer.Option("--data-root", help="Folder of the `cifar` files.")
]
DownloadOpt = Annotated[
    bool, typer.Option("--download", help="Let torchvision download CIFAR (needs internet).")
]
BatchOpt = Annotated[int, typer.Option("--batch-size", help="Images in the fixed mini-batch.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the batch, sampling and inits.")]
RepeatsOpt = Annotated[int, typer.Option("--repeats", help="Initialisations averaged per proxy.")]
InitOpt = Annotated[str, typer.Option("--init", help=f"Weight init: {', '.join(INIT_SCHEMES)}.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DEFAULT_PROXIES = "naswot,synflow,logsynflow,relu_count,params"


def _cli_errors(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn a ZeroNASError into one line on stderr and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ZeroNASError as exc:
            err.print(f"Error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def _print_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


def _warn_synthetic(run: api.ScoringSetup) -> None:
    if run.batch.synthetic and any(p.needs_data for p in run.proxies):
        err.print(
            "[yellow]Warning: data-dependent proxies run on a SYNTHETIC Gaussian batch, not real "
            "images; pass --data cifar|npz:PATH|imagenet16:PATH for real ones.[/yellow]"
        )


def _fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


@app.command()
def spaces(json_out: JsonOpt = False) -> None:
    """List the search spaces."""
    rows = [
        {"name": n, "size": SPACES.get(n).size, "description": SPACES.get(n).description}
        for n in SPACES
    ]
    if json_out:
        return _print_json({"spaces": rows})
    table = Table("name", "size", "description")
    for row in rows:
        table.add_row(row["name"], str(row["size"] or "-"), row["description"])
    out.print(table)


@app.command()
def proxies(json_out: JsonOpt = False) -> None:
    """List the proxies: direction, whether they need data, what they compute."""
    rows = [
        {
            "name": p.name,
            "higher_is_better": p.higher_is_better,
            "needs_data": p.needs_data,
            "description": p.description,
        }
        for p in (PROXIES.get(n) for n in PROXIES)
    ]
    if json_out:
        return _print_json({"proxies": rows})
    table = Table("name", "better", "needs data", "description")
    for row in rows:
        better = "higher" if row["higher_is_better"] else "lower"
        table.add_row(row["name"], better, "yes" if row["needs_data"] else "no", row["description"])
    out.print(table)


@app.command()
def datasets(json_out: JsonOpt = False) -> None:
    """List the tasks (class count, input shape)."""
    rows = [
        {"name": d.name, "num_classes": d.num_classes, "input_shape": list(d.input_shape)}
        for d in (DATASETS.get(n) for n in DATASETS)
    ]
    if json_out:
        return _print_json({"datasets": rows})
    table = Table("name", "classes", "input (C, H, W)")
    for row in rows:
        table.add_row(row["name"], str(row["num_classes"]), str(tuple(row["input_shape"])))
    out.print(table)


@app.command()
@_cli_errors
def score(
    arch: Annotated[str | None, typer.Option("--arch", help="Architecture string.")] = None,
    index: Annotated[int | None, typer.Option("--index", help="Official index.")] = None,
    space: SpaceOpt = "nats-tss",
    dataset: DatasetOpt = "cifar10",
    proxies: ProxiesOpt = DEFAULT_PROXIES,
    data: DataOpt = "synthetic",
    data_root: DataRootOpt = None,
    download: DownloadOpt = False,
    batch_size: BatchOpt = 128,
    seed: SeedOpt = 0,
    repeats: RepeatsOpt = 1,
    init: InitOpt = "kaiming",
    json_out: JsonOpt = False,
) -> None:
    """Score one architecture with the given proxies.

    Example: zeronas score --index 1 --proxies naswot,synflow --data npz:cifar10.npz
    """
    space_obj = get_space(space)
    target = api.resolve_arch(space_obj, arch, index)  # validate before loading data
    run = api.setup(
        space, dataset, proxies, data, batch_size, seed, repeats, init, data_root, download
    )
    _warn_synthetic(run)
    result = run.scorer(target)
    doc = {
        "space": space_obj.name,
        "dataset": run.dataset.name,
        "arch": result.arch,
        "index": result.index,
        "data": run.batch.describe(),
        "seed": seed,
        "repeats": repeats,
        "init": init,
        "scores": {n: json_number(v.value) for n, v in result.values.items()},
        "seconds": {n: v.seconds for n, v in result.values.items()},
        "errors": {n: v.error for n, v in result.values.items() if v.error},
    }
    if json_out:
        return _print_json(doc)
    table = Table(
        "proxy", "value", "seconds", "error", title=f"{result.arch} (index {result.index})"
    )
    for name, v in result.values.items():
        table.add_row(name, _fmt(v.value), f"{v.seconds:.3f}", v.error or "")
    out.print(table)


@app.command()
@_cli_errors
def correlate(
    space: SpaceOpt = "nats-tss",
    dataset: DatasetOpt = "cifar10",
    proxies: ProxiesOpt = DEFAULT_PROXIES,
    sample: Annotated[int, typer.Option("--sample", help="Cells to sample (0 = all).")] = 1000,
    benchmark: Annotated[
        str | None,
        typer.Option(
            "--benchmark",
            help="Ground truth: CSV table or NATS-Bench file (default: $ZERONAS_BENCHMARK).",
        ),
    ] = None,
    allow_pickle: Annotated[
        bool, typer.Option("--allow-pickle", help="Trust a pickled NATS-Bench file.")
    ] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for CSV and plots.")] = Path(
        "zeronas-correlate"
    ),
    data: DataOpt = "synthetic",
    data_root: DataRootOpt = None,
    download: DownloadOpt = False,
    batch_size: BatchOpt = 128,
    seed: SeedOpt = 0,
    repeats: RepeatsOpt = 1,
    init: InitOpt = "kaiming",
    json_out: JsonOpt = False,
) -> None:
    """Kendall τ and Spearman ρ of each proxy against ground-truth accuracy.

    Example: zeronas correlate --benchmark accuracy.csv --sample 1000 --data npz:c10.npz
    """
    truth = open_ground_truth(benchmark, allow_pickle)
    run = api.setup(
        space, dataset, proxies, data, batch_size, seed, repeats, init, data_root, download
    )
    _warn_synthetic(run)
    size = run.space.size or 0
    total = size if sample == 0 else min(sample, size)
    columns = (
        TextColumn("[bold]correlate"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=json_out) as progress:
        task = progress.add_task("cells", total=total)
        result = api.run_correlation(
            run, truth, sample or None, seed, lambda _r: progress.advance(task)
        )
    names = [p.name for p in run.proxies]
    files = [write_scores_csv(out_dir / "scores.csv", result.records, names, result.accuracies)]
    for row in result.rows:
        title = (
            f"{run.space.name} {run.dataset.name}: {row.proxy}  τ={row.kendall_tau:.3f} "
            f"ρ={row.spearman_rho:.3f}  n={row.n} (excluded {row.excluded})"
        )
        values = [r.value(row.proxy) for r in result.records]
        path = out_dir / f"scatter_{row.proxy}.png"
        files.append(scatter_plot(path, values, result.accuracies, row.proxy, title, truth.label))
    doc = {
        "space": run.space.name,
        "dataset": run.dataset.name,
        "ground_truth": truth.label,
        "sample": total,
        "seed": seed,
        "repeats": repeats,
        "init": init,
        "data": run.batch.describe(),
        "rows": [
            {k: json_number(v) if isinstance(v, float) else v for k, v in row.as_dict().items()}
            for row in result.rows
        ],
        "files": [str(f) for f in files],
    }
    if json_out:
        return _print_json(doc)
    table = Table(
        "proxy",
        "better",
        "n",
        "excluded",
        "Kendall τ",
        "Spearman ρ",
        "s/cell",
        title=f"{run.space.name} / {run.dataset.name}: {total} cells vs {truth.label}",
    )
    for row in result.rows:
        table.add_row(
            row.proxy,
            "higher" if row.higher_is_better else "lower",
            str(row.n),
            str(row.excluded),
            f"{row.kendall_tau:.3f}",
            f"{row.spearman_rho:.3f}",
            f"{row.seconds_per_cell:.4f}",
        )
    out.print(table)
    out.print(f"batch: {run.batch.source} ({run.batch.x.shape[0]} images); wrote {out_dir}/")


if __name__ == "__main__":
    app()
