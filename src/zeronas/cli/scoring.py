"""`zeronas score` and `zeronas correlate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
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
from zeronas.cli.app import app, cli_errors, err, out
from zeronas.cli.options import (
    JsonOpt,
    StoreChoice,
    TruthChoice,
    with_execution,
    with_ground_truth,
    with_scoring_config,
    with_store,
)
from zeronas.cli.output import fmt, print_json, show_warnings
from zeronas.cli.runs import tracked_run, writable_folder
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.execution.base import ExecutorConfig
from zeronas.report.documents import write_scores_csv
from zeronas.report.jsonio import json_number
from zeronas.report.plots import scatter_plot
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.notes import batch_warnings


def _sample_count(text: str) -> int | None:
    """``--sample``: a count, or None for all cells (``all`` or 0)."""
    if text.strip().lower() in ("all", "0"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ParameterError("sample", "correlate", "a number of cells or 'all'", text) from None


def _scoring_setup(config: ScoringConfig, store: StoreChoice) -> api.ScoringSetup:
    run = api.setup(config, cache=store.path)
    show_warnings(batch_warnings(run.batch, run.proxies))
    return run


@app.command()
@cli_errors
@with_scoring_config()
@with_store(named_runs=False)
def score(
    config: ScoringConfig,
    store: StoreChoice,
    arch: Annotated[str | None, typer.Option("--arch", help="Architecture string.")] = None,
    index: Annotated[int | None, typer.Option("--index", help="Official index.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Score one architecture with the given proxies.

    Example: zeronas score --index 1 --proxies 'naswot,synflow[log=false]' --data npz:c10.npz
    """
    target = _resolve(config, arch, index)  # validate before loading data
    run = _scoring_setup(config, store)
    result = run.scorer(target)
    doc = {
        "space": run.space.name,
        "dataset": run.dataset.name,
        "arch": result.arch,
        "index": result.index,
        "data": run.batch.describe(),
        "warnings": batch_warnings(run.batch, run.proxies),
        "config": config.describe(),
        "seed": config.seed,
        "repeats": config.repeats,
        "init": config.init,
        "scores": {n: json_number(v.value) for n, v in result.values.items()},
        "seconds": {n: v.seconds for n, v in result.values.items()},
        "errors": {n: v.error for n, v in result.values.items() if v.error},
    }
    if json_out:
        return print_json(doc)
    table = Table(
        "proxy", "value", "seconds", "error", title=f"{result.arch} (index {result.index})"
    )
    for name, v in result.values.items():
        table.add_row(escape(name), fmt(v.value), f"{v.seconds:.3f}", escape(v.error or ""))
    out.print(table)


def _resolve(config: ScoringConfig, arch: str | None, index: int | None) -> object:
    if (arch is None) == (index is None):
        raise ZeroNASError("Give exactly one of --arch STRING or --index I")
    return api.resolve_arch(config.space_object(), arch, index)


@app.command()
@cli_errors
@with_scoring_config()
@with_execution()
@with_ground_truth()
@with_store()
def correlate(
    config: ScoringConfig,
    execution: ExecutorConfig,
    truth: TruthChoice,
    store: StoreChoice,
    sample: Annotated[
        str,
        typer.Option(
            "--sample",
            help="Cells to sample, or 'all' (also 0) for every cell of the space; resumable: "
            "stored values are read back, so a killed run continues where it stopped.",
        ),
    ] = "1000",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for CSV and plots.")] = Path(
        "zeronas-correlate"
    ),
    json_out: JsonOpt = False,
) -> None:
    """Kendall τ and Spearman ρ of each proxy against ground-truth accuracy.

    Example: zeronas correlate --benchmark accuracy.csv --sample 1000 --data npz:c10.npz
    """
    writable_folder(out_dir)
    space = config.space_object()
    count = _sample_count(sample)
    indices = api.correlation_indices(space, count, config.seed)  # checks --sample
    total = len(indices)
    ground_truth = truth.open(space)
    for index in indices:  # a table without these cells or this task is refused before work
        ground_truth.accuracy(index, config.dataset)
    run = _scoring_setup(config, store)
    columns = (
        TextColumn("[bold]correlate"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with (
        tracked_run(
            store.run_id,
            store.path,
            "correlate",
            {
                "config": config.describe(),
                "sample": sample,
                "benchmark": truth.benchmark,
                "hp": truth.hp,
            },
        ),  # fmt: skip
        Progress(*columns, console=err, transient=True) as progress,
    ):
        task = progress.add_task("cells", total=total)
        result = api.run_correlation(
            run,
            ground_truth,
            count,
            config.seed,
            lambda _r: progress.advance(task),
            execution,
        )
    names = [p.name for p in run.proxies]
    files = [write_scores_csv(out_dir / "scores.csv", result.records, names, result.accuracies)]
    for row in result.rows:
        title = (
            f"{run.space.name} {run.dataset.name}: {row.proxy}  τ={row.kendall_tau:.3f} "
            f"ρ={row.spearman_rho:.3f}  n={row.n} (excluded {row.excluded})"
        )
        values = result.values(row.proxy)
        path = out_dir / f"scatter_{row.proxy}.png"
        files.append(
            scatter_plot(path, values, result.accuracies, row.proxy, title, ground_truth.label)
        )
    doc = {
        "space": run.space.name,
        "dataset": run.dataset.name,
        "ground_truth": ground_truth.label,
        "sample": total,
        "config": config.describe(),
        "seed": config.seed,
        "repeats": config.repeats,
        "init": config.init,
        "data": run.batch.describe(),
        "warnings": batch_warnings(run.batch, run.proxies),
        "rows": [
            {k: json_number(v) if isinstance(v, float) else v for k, v in row.as_dict().items()}
            for row in result.rows
        ],
        "files": [str(f) for f in files],
    }
    if json_out:
        return print_json(doc)
    table = Table(
        "proxy",
        "dir",
        "n",
        "excl",
        "τ",
        "ρ",
        "ρ all",
        "top-1",
        "top-10",
        "rec 1%",
        "nDCG",
        "s/cell",
        title=f"{run.space.name} / {run.dataset.name}: {total} cells vs {ground_truth.label}",
        caption="τ, ρ: Kendall, Spearman; top-1, top-10: accuracy of the best-scored cell and "
        "mean of the 10 best; rec 1%: share of the true top 1% in the proxy's top 1%; nDCG: "
        "nDCG@100 (docs/metrics.md); excl: cells without a finite value, left out of τ, ρ; "
        "ρ all: over every cell, the excluded ones ranked last",
    )
    for row in result.rows:
        table.add_row(
            escape(row.proxy),
            "↑" if row.higher_is_better else "↓",
            str(row.n),
            str(row.excluded),
            f"{row.kendall_tau:.3f}",
            f"{row.spearman_rho:.3f}",
            f"{row.spearman_rho_all:.3f}",
            f"{row.top1:.2f}",
            f"{row.top10:.2f}",
            f"{row.recall_1pct:.2f}",
            f"{row.ndcg100:.3f}",
            f"{row.seconds_per_cell:.4f}",
        )
    out.print(table)
    out.print(f"batch: {run.batch.source} ({run.batch.x.shape[0]} images); wrote {out_dir}/")
