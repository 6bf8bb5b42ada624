"""`zeronas search` and `zeronas experiment`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
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
from zeronas.benchmarks.groundtruth import BENCHMARK_ENV, open_ground_truth
from zeronas.cli._app import (
    SEARCH_PROXIES,
    SYNTHETIC_WARNING,
    AddressOpt,
    AllowPickleOpt,
    BatchOpt,
    BenchmarkOpt,
    CacheOpt,
    CombineOpt,
    DataOpt,
    DataRootOpt,
    DatasetOpt,
    DeviceOpt,
    DownloadOpt,
    ExecutorOpt,
    HpOpt,
    InitOpt,
    JsonOpt,
    MaxFlopsOpt,
    MaxLatencyOpt,
    MaxMacsOpt,
    MaxParamsOpt,
    MaxPeakMemoryOpt,
    MaxSizeKbOpt,
    NoCacheOpt,
    OptionOpt,
    PenaltyOpt,
    ProxiesOpt,
    RepeatsOpt,
    RunIdOpt,
    ScoresOpt,
    SecondsOpt,
    SeedOpt,
    SpaceOpt,
    TargetKbOpt,
    TimeoutOpt,
    WeightsOpt,
    WidthKbOpt,
    WorkersOpt,
    app,
    cache_path,
    cli_errors,
    err,
    fmt,
    out,
    print_json,
    tracked_run,
    warn_synthetic_batch,
)
from zeronas.datasets import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.report import (
    json_number,
    search_document,
    write_history_csv,
    write_json,
)
from zeronas.search import Budget, Evaluation, Evaluator, get_searcher
from zeronas.spaces import get_space

_SETUP_OPTIONS = (
    "space", "combine", "scores", "data", "batch_size", "seed", "repeats", "init",
    "device", "data_root", "download", "max_params", "max_flops", "max_macs", "max_size_kb",
    "max_peak_memory_kb", "max_latency_ms", "penalty", "target_kb", "width_kb",
)  # fmt: skip


def _search_setup(
    params: dict[str, Any], dataset: str, proxies: str, weights: str | None
) -> api.SearchSetup:
    """The search set-up from a command's own parameters (its ``locals()``)."""
    run = api.search_setup(
        dataset=dataset,
        proxies=proxies,
        weights=weights,
        cache=cache_path(params["cache"], params["no_cache"]),
        **{k: params[k] for k in _SETUP_OPTIONS},
    )
    if run.synthetic_data:
        warn_synthetic_batch()
    return run


def _parse_options(items: list[str] | None) -> dict[str, str]:
    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ZeroNASError(f"--option must be KEY=VALUE, got {item!r}")
        options[key.strip()] = value.strip()
    return options


def _truth_lookup(
    benchmark: str | None, allow_pickle: bool, hp: str | None, space: str, dataset: str
) -> tuple[Callable[[int], float] | None, str | None]:
    """(accuracy(index), label) from --benchmark / $ZERONAS_BENCHMARK, or (None, None)."""
    if benchmark is None and not os.environ.get(BENCHMARK_ENV):
        return None, None
    truth = open_ground_truth(benchmark, allow_pickle, hp, get_space(space))
    return (lambda index: truth.accuracy(index, dataset)), truth.label


@app.command()
@cli_errors
def search(
    space: SpaceOpt = "nats-tss",
    dataset: DatasetOpt = "cifar10",
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="Search algorithm (see `zeronas algorithms`).")
    ] = "rea",
    proxies: ProxiesOpt = SEARCH_PROXIES,
    combine: CombineOpt = "norm-sum",
    weights: WeightsOpt = None,
    budget: Annotated[
        int | None,
        typer.Option(
            "--budget",
            help="Evaluations (distinct candidates scored); default 100, or no cap when "
            "--seconds is given; 0 = no cap.",
        ),
    ] = None,
    seconds: SecondsOpt = None,
    option: OptionOpt = None,
    scores: ScoresOpt = None,
    benchmark: BenchmarkOpt = None,
    allow_pickle: AllowPickleOpt = False,
    hp: HpOpt = None,
    max_params: MaxParamsOpt = None,
    max_flops: MaxFlopsOpt = None,
    max_macs: MaxMacsOpt = None,
    max_size_kb: MaxSizeKbOpt = None,
    max_peak_memory_kb: MaxPeakMemoryOpt = None,
    max_latency_ms: MaxLatencyOpt = None,
    penalty: PenaltyOpt = None,
    target_kb: TargetKbOpt = 200.0,
    width_kb: WidthKbOpt = 400.0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for run.json, history.csv.")] = (
        Path("zeronas-search")
    ),
    data: DataOpt = "synthetic",
    data_root: DataRootOpt = None,
    download: DownloadOpt = False,
    batch_size: BatchOpt = 128,
    seed: SeedOpt = 0,
    repeats: RepeatsOpt = 1,
    init: InitOpt = "kaiming",
    device: DeviceOpt = "cpu",
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    run_id: RunIdOpt = None,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    timeout_per_arch: TimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Search a space for the fittest architecture under a budget.

    Example: zeronas search --algorithm rea --proxies naswot,logsynflow --budget 1000
    --scores reference_scores.csv --benchmark accuracy.csv
    """
    params = dict(locals())
    options = _parse_options(option)
    get_searcher(algorithm, **options)  # validate names before any work
    if budget is None:
        budget = None if seconds is not None else 100
    budget = budget or None
    Budget(budget, seconds)
    accuracy, label = _truth_lookup(benchmark, allow_pickle, hp, space, get_dataset(dataset).name)
    run = _search_setup(params, dataset, proxies, weights)
    with (
        tracked_run(run_id, cache_path(cache, no_cache), "search", params),
        _search_progress(budget, seconds, accuracy, json_out) as on_eval,
    ):
        result = api.search(
            run, algorithm, budget, seconds, seed, options, on_eval,
            executor, workers, timeout_per_arch, address,
        )  # fmt: skip
    doc = search_document(result, run.describe(), accuracy, label)
    doc["warnings"] = [SYNTHETIC_WARNING] if run.synthetic_data else []
    files = [out_dir / "run.json", write_history_csv(out_dir / "history.csv", result, accuracy)]
    doc["files"] = [str(f) for f in files]
    write_json(files[0], doc)
    if json_out:
        return print_json(doc)
    _print_search(doc)


@contextmanager
def _search_progress(
    budget: int | None,
    seconds: float | None,
    accuracy: Callable[[int], float] | None,
    quiet: bool,
) -> Iterator[Callable[[Evaluation, Evaluator], None]]:
    """A Rich progress bar (evaluations, or seconds when only a time budget is given) whose
    text shows the best fitness and, with ground truth, the best's accuracy."""
    columns = (
        TextColumn("[bold]search"),
        BarColumn(),
        MofNCompleteColumn() if budget else TextColumn("{task.completed:.0f}/{task.total:.0f}s"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=quiet, disable=quiet) as progress:
        task = progress.add_task("", total=budget or seconds)

        def on_eval(record: Evaluation, evaluator: Evaluator) -> None:
            best = evaluator.best()
            text = f"best {best.arch}" if best is not None else "no scored candidate yet"
            if best is not None and accuracy is not None and best.index is not None:
                text = f"best acc {accuracy(best.index):.2f} (index {best.index})"
            done = evaluator.evaluations if budget else evaluator.elapsed
            progress.update(task, completed=done, description=text)

        yield on_eval


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
            table.add_row(name, fmt(float(value)))
        table.add_row(f"fitness ({doc['fitness']['combine']})", fmt(float(best["fitness"])))
        if best["accuracy"] is not None:
            table.add_row("accuracy", f"{best['accuracy']:.2f}  ({doc['ground_truth']})")
    table.add_row("failed / rejected", f"{doc['failed']} / {doc['rejected']}")
    budgets = doc.get("budgets")
    if budgets:
        reasons = ", ".join(f"{k} {v}" for k, v in budgets["reasons"].items()) or "none"
        table.add_row(
            "budget checks",
            f"{budgets['rejected']} of {budgets['checked']} proposals rejected "
            f"({100 * budgets['rejection_rate']:.1f}%; by limit: {reasons})",
        )
    out.print(table)
    out.print(f"wrote {', '.join(doc['files'])}")


def _split(text: str, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise ZeroNASError(f"{what} is empty")
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
def experiment(
    space: SpaceOpt = "nats-tss",
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
    combine: CombineOpt = "norm-sum",
    seconds: SecondsOpt = None,
    option: OptionOpt = None,
    scores: ScoresOpt = None,
    benchmark: BenchmarkOpt = None,
    allow_pickle: AllowPickleOpt = False,
    hp: HpOpt = None,
    max_params: MaxParamsOpt = None,
    max_flops: MaxFlopsOpt = None,
    max_macs: MaxMacsOpt = None,
    max_size_kb: MaxSizeKbOpt = None,
    max_peak_memory_kb: MaxPeakMemoryOpt = None,
    max_latency_ms: MaxLatencyOpt = None,
    penalty: PenaltyOpt = None,
    target_kb: TargetKbOpt = 200.0,
    width_kb: WidthKbOpt = 400.0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for tables and plots.")] = Path(
        "zeronas-experiment"
    ),
    data: DataOpt = "synthetic",
    data_root: DataRootOpt = None,
    download: DownloadOpt = False,
    batch_size: BatchOpt = 128,
    seed: SeedOpt = 0,
    repeats: RepeatsOpt = 1,
    init: InitOpt = "kaiming",
    device: DeviceOpt = "cpu",
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    timeout_per_arch: TimeoutOpt = None,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    run_id: RunIdOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Seed 001 Tables I-V / seed 002 Table 5: R seeded runs per algorithm and budget N.

    Example: zeronas experiment --scores reference_scores.csv --benchmark accuracy.csv
    --proxies naswot,logsynflow --proxies naswot,logsynflow,skip --runs 30
    """
    params = dict(locals())
    from zeronas.benchmarks.experiment import run_experiment, write_experiment

    algos, budgets = _split(algorithms, "--algorithms"), _budgets(n)
    if runs < 1:
        raise ZeroNASError(f"--runs must be >= 1, got {runs}")
    if seconds is None and None in budgets:
        raise ZeroNASError("--n 0 (no evaluation cap) needs a --seconds budget")
    options = _parse_options(option)
    for algorithm in algos:
        get_searcher(algorithm, **options)
    truth = open_ground_truth(benchmark, allow_pickle, hp, get_space(space))
    setups = {}
    for ds in _split(dataset, "--dataset"):
        for proxy_set in proxies or [SEARCH_PROXIES]:
            run = _search_setup(params, ds, proxy_set, None)
            names = "+".join(run.fitness.names)
            setups[f"{run.dataset.name} {names}"] = run
    total = len(setups) * len(algos) * len(budgets) * runs
    columns = (TextColumn("[bold]experiment"), BarColumn(), MofNCompleteColumn())
    with (
        tracked_run(run_id, cache_path(cache, no_cache), "experiment", params),
        Progress(*columns, TimeElapsedColumn(), console=err, transient=json_out) as progress,
    ):
        task = progress.add_task("runs", total=total)
        exp = run_experiment(
            setups,
            algos,
            budgets,
            runs,
            truth,
            seconds,
            seed,
            dict.fromkeys(algos, options),
            lambda _r: progress.advance(task),
            executor,
            workers,
            timeout_per_arch,
            address,
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
