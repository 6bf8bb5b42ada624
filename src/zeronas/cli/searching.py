"""`zeronas search`."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

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
    OptionOpt,
    SecondsOpt,
    StoreChoice,
    TruthChoice,
    with_execution,
    with_ground_truth,
    with_search_config,
    with_store,
)
from zeronas.cli.output import fmt, print_json, show_warnings
from zeronas.cli.runs import tracked_run, writable_folder
from zeronas.errors import ZeroNASError
from zeronas.execution.base import ExecutorConfig
from zeronas.groundtruth.accuracy import BENCHMARK_ENV
from zeronas.groundtruth.sources import embedded_ground_truth
from zeronas.report.documents import search_document, write_history_csv
from zeronas.report.jsonio import write_json
from zeronas.report.pareto import pareto_files
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.notes import batch_warnings
from zeronas.search.base import get_searcher
from zeronas.search.config import DEFAULT_SEARCH, SearchConfig
from zeronas.search.evaluator import Evaluator
from zeronas.search.problem import Budget
from zeronas.search.result import Evaluation


def search_setup_here(config: SearchConfig, store: StoreChoice) -> api.SearchSetup:
    run = api.search_setup(config, cache=store.path)
    show_warnings(batch_warnings(run.batch, run.proxies))
    return run


def parse_options(items: list[str] | None) -> dict[str, str]:
    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ZeroNASError(f"--option must be KEY=VALUE, got {item!r}")
        if key.strip() in options:
            raise ZeroNASError(f"--option {key.strip()} is given twice ({item!r})")
        options[key.strip()] = value.strip()
    return options


def _truth_lookup(
    choice: TruthChoice, config: ScoringConfig
) -> tuple[Callable[[int], float] | None, str | None]:
    """(accuracy(index), label) from --benchmark / $ZERONAS_BENCHMARK, else from the table
    shipped with zeronas where it fits the space, else (None, None)."""
    space = config.space_object()
    if choice.benchmark is None and not os.environ.get(BENCHMARK_ENV):
        truth = embedded_ground_truth(space, choice.hp, config.dataset)
        if truth is None:
            if choice.hp is not None:
                raise ZeroNASError(
                    f"--hp {choice.hp} needs a --benchmark to read that schedule from"
                )
            return None, None
    else:
        truth = choice.open(space)
    dataset = config.dataset_spec().name
    return (lambda index: truth.accuracy(index, dataset)), truth.label


@app.command()
@cli_errors
@with_search_config()
@with_execution()
@with_ground_truth()
@with_store()
def search(
    config: SearchConfig,
    execution: ExecutorConfig,
    truth: TruthChoice,
    store: StoreChoice,
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="Search algorithm (see `zeronas algorithms`).")
    ] = DEFAULT_SEARCH["algorithm"],
    budget: Annotated[
        int | None,
        typer.Option(
            "--budget",
            help=f"Evaluations (distinct candidates scored); default "
            f"{DEFAULT_SEARCH['budget']}, or no cap when --seconds is given; 0 = no cap. "
            "With --rerank, the first stage's.",
        ),
    ] = None,
    seconds: SecondsOpt = None,
    option: OptionOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for run.json, history.csv.")] = (
        Path("zeronas-search")
    ),
    json_out: JsonOpt = False,
    pick_under_latency_ms: Annotated[
        float | None,
        typer.Option(
            "--pick-under-latency-ms",
            help="Answer with the fittest member of the Pareto front whose latency is at most "
            "this (needs --objectives with latency_ms).",
        ),
    ] = None,
) -> None:
    """Search a space for the fittest architecture under a budget.

    Example: zeronas search --algorithm rea --proxies naswot,logsynflow --budget 1000
    --scores reference_scores.csv --benchmark accuracy.csv
    """
    options = parse_options(option)
    get_searcher(algorithm, **options)  # validate names before any work
    writable_folder(out_dir)
    if budget == 0 and seconds is None:
        raise ZeroNASError("--budget 0 means no cap on evaluations: give a --seconds budget too")
    if budget is None:
        budget = None if seconds is not None else DEFAULT_SEARCH["budget"]
    budget = budget or None
    Budget(budget, seconds)
    if pick_under_latency_ms is not None and "latency_ms" not in config.objectives:
        raise ZeroNASError(
            "--pick-under-latency-ms picks from the latency front: add latency_ms to --objectives"
        )
    accuracy, label = _truth_lookup(truth, config.scoring)
    run = search_setup_here(config, store)
    settings = {
        "config": config.describe(), "algorithm": algorithm, "options": options,
        "budget": budget, "seconds": seconds, "benchmark": truth.benchmark, "hp": truth.hp,
    }  # fmt: skip
    with (
        tracked_run(store.run_id, store.path, "search", settings),
        _search_progress(budget, seconds, accuracy, json_out) as (on_eval, on_rerank),
    ):
        result = api.search(
            run, algorithm, budget, seconds, config.scoring.seed, options, on_eval,
            execution, on_rerank,
        )  # fmt: skip
    if pick_under_latency_ms is not None:
        result = dataclasses.replace(result, pick=("latency_ms", pick_under_latency_ms))
    doc = search_document(result, run.describe(), accuracy, label)
    doc["pick"] = result.pick
    doc["warnings"] = batch_warnings(run.batch, run.proxies)
    if result.best is not None:  # what the answer costs, under every limit in force
        doc["best"]["costs"] = result.best_costs()
    files = [out_dir / "run.json", write_history_csv(out_dir / "history.csv", result, accuracy)]
    if result.objectives:
        doc["pareto"] = pareto_files(out_dir, result, accuracy, run.space.size)
        files += [Path(f) for f in doc["pareto"].get("files", [])]
    doc["files"] = [str(f) for f in files]
    write_json(files[0], doc)
    if doc["best"] is None:  # nothing to answer with: an error, not a quiet exit 0
        failure = next((e.error for e in result.history if e.error), None)
        raise ZeroNASError(
            f"no candidate was scored ({doc['stopped']}"
            + (f"; first failure: {failure}" if failure else "")
            + f"); every proposal is in {files[1]}"
        )
    if json_out:
        return print_json(doc)
    _print_search(doc)


@contextmanager
def _search_progress(
    budget: int | None,
    seconds: float | None,
    accuracy: Callable[[int], float] | None,
    quiet: bool,
) -> Iterator[tuple[Callable[[Evaluation, Evaluator], None], Callable[[int, int], None]]]:
    """A Rich progress bar (evaluations, or seconds when only a time budget is given) whose
    text shows the best fitness and, with ground truth, the best's accuracy; then one for
    the second stage of a two-stage search."""
    columns = (
        TextColumn("[bold]search"),
        BarColumn(),
        MofNCompleteColumn() if budget else TextColumn("{task.completed:.0f}/{task.total:.0f}s"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("", total=budget or seconds)

        def on_eval(record: Evaluation, evaluator: Evaluator) -> None:
            best = evaluator.best()
            text = f"best {best.arch}" if best is not None else "no scored candidate yet"
            if best is not None and accuracy is not None and best.index is not None:
                text = f"best acc {accuracy(best.index):.2f} (index {best.index})"
            done = evaluator.evaluations if budget else evaluator.elapsed
            progress.update(task, completed=done, description=text)

        second: list[Any] = []

        def on_rerank(done: int, total: int) -> None:
            if not second:
                second.append(progress.add_task("second stage: re-scoring", total=total))
            progress.update(second[0], completed=done)

        yield on_eval, on_rerank


def _print_search(doc: dict[str, Any]) -> None:
    best = doc["best"]
    title = (
        f"{doc['algorithm']} on {doc['space']} / {doc['dataset']}: {doc['evaluations']} "
        f"evaluations, {doc['search_seconds']:.1f} s ({doc['stopped']})"
    )
    table = Table(title=title, show_header=False)
    table.add_column()
    table.add_column(overflow="fold")
    if best is None:
        table.add_row("best", "none: every candidate failed or was rejected")
    else:
        table.add_row("best arch", best["arch"])
        table.add_row("index", str(best["index"]))
        for name, value in best["values"].items():
            table.add_row(escape(name), fmt(float(value)))
        table.add_row(f"fitness ({doc['fitness']['combine']})", fmt(float(best["fitness"])))
        if best["accuracy"] is not None:
            table.add_row("accuracy", f"{best['accuracy']:.2f}  ({doc['ground_truth']})")
        costs = ", ".join(f"{k} {v:.4g}" for k, v in best.get("costs", {}).items())
        table.add_row("costs", costs)
    if doc.get("pick"):
        table.add_row("picked", f"fittest front member with {doc['pick'][0]} <= {doc['pick'][1]:g}")
    if doc.get("pareto"):
        front = doc["pareto"]
        text = f"{front['size']} members over {', '.join(front['objectives'])}; hypervolume "
        text += f"{front.get('hypervolume', math.nan):.3f} (scaled)"
        if "hypervolume_fraction" in front:
            text += f", {front['hypervolume_fraction']:.3f} of the true front's (accuracy)"
        table.add_row("pareto front", text)
    if doc["reranked"]:
        stage = doc["rerank"]["fitness"]
        table.add_row(
            "second stage",
            f"the {len(doc['reranked'])} fittest by {', '.join(doc['fitness']['proxies'])} "
            f"re-scored with {', '.join(stage['proxies'])} ({stage['combine']} over them)",
        )
    table.add_row("failed / rejected", f"{doc['failed']} / {doc['rejected']}")
    checks = doc.get("limit_checks")
    if checks:
        reasons = ", ".join(f"{k} {v}" for k, v in checks["reasons"].items()) or "none"
        table.add_row(
            "limit checks",
            f"{checks['rejected']} of {checks['checked']} proposals rejected "
            f"({100 * checks['rejection_rate']:.1f}%; by limit: {reasons})",
        )
    out.print(table)
    out.print(f"wrote {', '.join(doc['files'])}")
