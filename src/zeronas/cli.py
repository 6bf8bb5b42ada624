"""The ``zeronas`` command line (Typer + Rich). Thin: parse, call :mod:`zeronas.api`, render.

Bad input exits with status 2 and one line naming the bad value and what is allowed.
``--json`` prints one JSON document on stdout; progress and warnings go to stderr.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from zeronas.benchmarks.groundtruth import BENCHMARK_ENV, open_ground_truth
from zeronas.data import DATA_SOURCES
from zeronas.datasets import DATASETS, get_dataset
from zeronas.errors import ZeroNASError
from zeronas.fitness import COMBINERS
from zeronas.init import INIT_SCHEMES
from zeronas.proxies import PROXIES
from zeronas.report import (
    json_number,
    scatter_plot,
    search_document,
    write_history_csv,
    write_json,
    write_scores_csv,
)
from zeronas.search import SEARCHERS, Budget, Evaluation, Evaluator, get_searcher
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
BenchmarkOpt = Annotated[
    str | None,
    typer.Option(
        "--benchmark",
        help="Ground truth: CSV table or NATS-Bench file (default: $ZERONAS_BENCHMARK).",
    ),
]
AllowPickleOpt = Annotated[
    bool, typer.Option("--allow-pickle", help="Trust a pickled NATS-Bench file.")
]
CombineOpt = Annotated[
    str, typer.Option("--combine", help=f"Fitness: {', '.join(COMBINERS)} (see DESIGN §4).")
]
WeightsOpt = Annotated[
    str | None, typer.Option("--weights", help="One weight per proxy, e.g. 1,0.5.")
]
ScoresOpt = Annotated[
    Path | None,
    typer.Option(
        "--scores",
        help="Precomputed proxy values (CSV: index, <proxy>_<dataset>, "
        "<proxy>_seconds_<dataset>); missing proxies are computed live.",
    ),
]
SecondsOpt = Annotated[
    float | None, typer.Option("--seconds", help="Time budget (search seconds, accounted).")
]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option("--option", "-o", help="Algorithm parameter KEY=VALUE (repeatable)."),
]
MaxParamsOpt = Annotated[
    float | None, typer.Option("--max-params", help="Reject networks above this many M params.")
]
MaxFlopsOpt = Annotated[
    float | None, typer.Option("--max-flops", help="Reject above this many M FLOPs (2 per MAC).")
]
MaxMacsOpt = Annotated[
    float | None, typer.Option("--max-macs", help="Reject above this many M MACs (NATS 'FLOPs').")
]
DEFAULT_PROXIES = "naswot,synflow,logsynflow,relu_count,params"
SEARCH_PROXIES = "naswot,logsynflow"


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
        _warn_synthetic_batch()


SYNTHETIC_WARNING = (
    "data-dependent proxies run on a SYNTHETIC Gaussian batch, not real images; pass "
    "--data cifar|npz:PATH|imagenet16:PATH for real ones"
)


def _warn_synthetic_batch() -> None:
    err.print(f"[yellow]Warning: {SYNTHETIC_WARNING}.[/yellow]")


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
    benchmark: BenchmarkOpt = None,
    allow_pickle: AllowPickleOpt = False,
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


@app.command()
def algorithms(json_out: JsonOpt = False) -> None:
    """List the search algorithms and their default parameters."""
    rows = []
    for name in SEARCHERS:
        factory = SEARCHERS.get(name)
        searcher = factory()
        doc = (factory.__doc__ or "").strip().splitlines()[0]
        rows.append({"name": name, "params": searcher.params(), "description": doc})
    if json_out:
        return _print_json({"algorithms": rows})
    table = Table("name", "parameters", "description")
    for row in rows:
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        table.add_row(row["name"], params or "-", row["description"])
    out.print(table)


def _parse_options(items: list[str] | None) -> dict[str, str]:
    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ZeroNASError(f"--option must be KEY=VALUE, got {item!r}")
        options[key.strip()] = value.strip()
    return options


def _truth_lookup(benchmark: str | None, allow_pickle: bool, dataset: str, required: bool):
    """(accuracy(index), label) from --benchmark / $ZERONAS_BENCHMARK, or (None, None)."""
    if benchmark is None and not required and not os.environ.get(BENCHMARK_ENV):
        return None, None
    truth = open_ground_truth(benchmark, allow_pickle)
    return (lambda index: truth.accuracy(index, dataset)), truth.label


@app.command()
@_cli_errors
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
    max_params: MaxParamsOpt = None,
    max_flops: MaxFlopsOpt = None,
    max_macs: MaxMacsOpt = None,
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
    json_out: JsonOpt = False,
) -> None:
    """Search a space for the fittest architecture under a budget.

    Example: zeronas search --algorithm rea --proxies naswot,logsynflow --budget 1000
    --scores reference_scores.csv --benchmark accuracy.csv
    """
    options = _parse_options(option)
    get_searcher(algorithm, **options)  # validate names before any work
    if budget is None:
        budget = None if seconds is not None else 100
    budget = budget or None
    Budget(budget, seconds)
    accuracy, label = _truth_lookup(benchmark, allow_pickle, get_dataset(dataset).name, False)
    run = api.search_setup(
        space,
        dataset,
        proxies,
        combine,
        weights,
        scores,
        data,
        batch_size,
        seed,
        repeats,
        init,
        data_root,
        download,
        max_params,
        max_flops,
        max_macs,
    )
    if run.synthetic_data:
        _warn_synthetic_batch()
    with _search_progress(budget, seconds, accuracy, json_out) as on_eval:
        result = api.search(run, algorithm, budget, seconds, seed, options, on_eval)
    doc = search_document(result, run.describe(), accuracy, label)
    doc["warnings"] = [SYNTHETIC_WARNING] if run.synthetic_data else []
    files = [write_history_csv(out_dir / "history.csv", result, accuracy)]
    files.insert(0, out_dir / "run.json")
    doc["files"] = [str(f) for f in files]
    write_json(files[0], doc)
    if json_out:
        return _print_json(doc)
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
            table.add_row(name, _fmt(float(value)))
        table.add_row(f"fitness ({doc['fitness']['combine']})", _fmt(float(best["fitness"])))
        if best["accuracy"] is not None:
            table.add_row("accuracy", f"{best['accuracy']:.2f}  ({doc['ground_truth']})")
    table.add_row("failed / rejected", f"{doc['failed']} / {doc['rejected']}")
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
@_cli_errors
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
    max_params: MaxParamsOpt = None,
    max_flops: MaxFlopsOpt = None,
    max_macs: MaxMacsOpt = None,
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
    json_out: JsonOpt = False,
) -> None:
    """Seed 001 Tables I-V / seed 002 Table 5: R seeded runs per algorithm and budget N.

    Example: zeronas experiment --scores reference_scores.csv --benchmark accuracy.csv
    --proxies naswot,logsynflow --proxies naswot,logsynflow,skip --runs 30
    """
    from zeronas.benchmarks.experiment import run_experiment, write_experiment

    algos, budgets = _split(algorithms, "--algorithms"), _budgets(n)
    if runs < 1:
        raise ZeroNASError(f"--runs must be >= 1, got {runs}")
    if seconds is None and None in budgets:
        raise ZeroNASError("--n 0 (no evaluation cap) needs a --seconds budget")
    options = _parse_options(option)
    for algorithm in algos:
        get_searcher(algorithm, **options)
    truth = open_ground_truth(benchmark, allow_pickle)
    setups = {}
    for ds in _split(dataset, "--dataset"):
        for proxy_set in proxies or [SEARCH_PROXIES]:
            run = api.search_setup(
                space,
                ds,
                proxy_set,
                combine,
                None,
                scores,
                data,
                batch_size,
                seed,
                repeats,
                init,
                data_root,
                download,
                max_params,
                max_flops,
                max_macs,
            )
            if run.synthetic_data:
                _warn_synthetic_batch()
            names = "+".join(run.fitness.names)
            setups[f"{run.dataset.name} {names}"] = run
    total = len(setups) * len(algos) * len(budgets) * runs
    columns = (TextColumn("[bold]experiment"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=json_out) as progress:
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
        )
    files = write_experiment(exp, out_dir)
    if json_out:
        rows = [
            {k: json_number(v) if isinstance(v, float) else v for k, v in vars(r).items()}
            for r in exp.rows
        ]
        return _print_json(
            {"settings": exp.settings, "rows": rows, "files": [str(f) for f in files]}
        )
    out.print(files[0].read_text(), markup=False, highlight=False, soft_wrap=True)
    out.print(f"wrote {', '.join(str(f) for f in files)}")


if __name__ == "__main__":
    app()
