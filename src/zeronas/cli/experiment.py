"""`zeronas experiment`: repeated seeded searches per algorithm, budget and proxy list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

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
from zeronas.cli.output import print_json
from zeronas.cli.runs import tracked_run, writable_folder
from zeronas.cli.searching import parse_options, search_setup_here
from zeronas.errors import ZeroNASError
from zeronas.execution.base import ExecutorConfig
from zeronas.report.jsonio import json_number
from zeronas.search.base import get_searcher
from zeronas.search.config import SearchConfig


def _split(text: str, what: str) -> list[str]:
    """A comma-separated list: no empty item, none twice."""
    items = [t.strip() for t in text.split(",")]
    if not any(items):
        raise ZeroNASError(f"{what} is empty")
    if not all(items):
        raise ZeroNASError(f"{what} {text!r} has an empty item")
    twice = sorted({i for i in items if items.count(i) > 1})
    if twice:
        raise ZeroNASError(f"{what} {text!r} names {', '.join(twice)} twice")
    return items


def _budgets(text: str) -> list[int | None]:
    try:
        budgets = [int(t) for t in _split(text, "--n")]
    except ValueError as exc:
        raise ZeroNASError(f"--n must be comma-separated integers, got {text!r}") from exc
    if any(b < 0 for b in budgets):
        raise ZeroNASError(f"--n values must be >= 0 (0 = no evaluation cap), got {text!r}")
    return [b or None for b in budgets]


@app.command()
@cli_errors
@with_search_config(skip=("weights",))
@with_execution()
@with_ground_truth()
@with_store()
def experiment(
    config: SearchConfig,
    execution: ExecutorConfig,
    truth: TruthChoice,
    store: StoreChoice,
    dataset: Annotated[
        str, typer.Option("--dataset", help="Comma-separated tasks.")
    ] = "cifar10,cifar100,ImageNet16-120",
    algorithms: Annotated[
        str, typer.Option("--algorithms", help="Comma-separated algorithms.")
    ] = "random,rea,ga",
    n: Annotated[
        str, typer.Option("--n", help="Comma-separated evaluation budgets (0 = none).")
    ] = "10,100,1000",
    runs: Annotated[int, typer.Option("--runs", help="Seeded runs per row.")] = 30,
    proxies: Annotated[
        list[str] | None,
        typer.Option("--proxies", help="Proxy set, e.g. naswot,logsynflow (repeat to compare)."),
    ] = None,
    seconds: SecondsOpt = None,
    option: OptionOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for tables and plots.")] = Path(
        "zeronas-experiment"
    ),
    json_out: JsonOpt = False,
) -> None:
    """Cossu et al. Tables I-V / Fernandes Table 5: R seeded runs per algorithm and budget N.

    Example: zeronas experiment --scores reference_scores.csv --benchmark accuracy.csv
    --proxies naswot,logsynflow --proxies naswot,logsynflow,skip --runs 30
    """
    from zeronas.studies.experiment import run_experiment, write_experiment

    algos, budgets = _split(algorithms, "--algorithms"), _budgets(n)
    if runs < 1:
        raise ZeroNASError(f"--runs must be >= 1, got {runs}")
    if seconds is None and None in budgets:
        raise ZeroNASError("--n 0 (no evaluation cap) needs a --seconds budget")
    options = parse_options(option)
    for algorithm in algos:
        get_searcher(algorithm, **options)
    writable_folder(out_dir)
    ground_truth = truth.open(config.scoring.space_object())
    setups, configs = {}, []
    for ds in _split(dataset, "--dataset"):
        for proxy_set in proxies or [config.scoring.proxies]:
            scoring = config.scoring.replace(dataset=ds, proxies=proxy_set)
            search_config = config.replace(scoring=scoring)
            run = search_setup_here(search_config, store)
            names = "+".join(run.fitness.names)
            setups[f"{run.dataset.name} {names}"] = run
            configs.append(search_config.describe())
    total = len(setups) * len(algos) * len(budgets) * runs
    columns = (TextColumn("[bold]experiment"), BarColumn(), MofNCompleteColumn())
    settings = {
        "configs": configs, "algorithms": algos, "n": budgets, "runs": runs,
        "seconds": seconds, "options": options, "benchmark": truth.benchmark, "hp": truth.hp,
    }  # fmt: skip
    with (
        tracked_run(store.run_id, store.path, "experiment", settings),
        Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as progress,
    ):
        task = progress.add_task("runs", total=total)
        exp = run_experiment(
            setups,
            algos,
            budgets,
            runs,
            ground_truth,
            seconds,
            config.scoring.seed,
            dict.fromkeys(algos, options),
            lambda _r: progress.advance(task),
            execution,
        )
    files = write_experiment(exp, out_dir)
    if json_out:
        rows = [
            {k: json_number(v) if isinstance(v, float) else v for k, v in vars(r).items()}
            for r in exp.rows
        ]
        return print_json(
            {"settings": exp.settings, "rows": rows, "files": [str(f) for f in files]}
        )
    out.print(files[0].read_text(), markup=False, highlight=False, soft_wrap=True)
    out.print(f"wrote {', '.join(str(f) for f in files)}")
