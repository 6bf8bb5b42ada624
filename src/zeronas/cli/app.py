"""Shared pieces of the command line: the Typer app, consoles, option types, error
handling and small printing helpers."""

from __future__ import annotations

import inspect
import math
import os
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from zeronas.api import default_search_proxies
from zeronas.data.batch import DATA_SOURCES, Batch
from zeronas.data.tasks import DATASETS
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.execution.allocator import keep_freed_memory
from zeronas.fitness.combiners import COMBINERS
from zeronas.hardware.limits import Limits
from zeronas.models.init import INIT_SCHEMES
from zeronas.proxies import Proxy
from zeronas.report.jsonio import dumps_json
from zeronas.scoring.config import ScoringConfig
from zeronas.search.config import SearchConfig
from zeronas.store.sqlite import ScoreStore, default_cache_path

app = typer.Typer(
    help="Training-free neural architecture search with zero-cost proxies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


INTERRUPTED = (
    "Interrupted. Every candidate scored so far is kept in the score store (unless "
    "--no-cache): run the same command again to resume, with --run-id NAME to have the "
    "settings checked."
)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: workers closed, a message


def _show_warning(message: Warning | str, *_args: object, **_kwargs: object) -> None:
    """Warnings (a read-only store, a broken plug-in) as one line on stderr."""
    err.print(f"Warning: {message}", style="yellow", markup=False, highlight=False)


@app.callback()
def _process_setup() -> None:
    """Training-free neural architecture search with zero-cost proxies."""
    keep_freed_memory()  # this process is ours: see zeronas.allocator
    warnings.showwarning = _show_warning
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


SpaceOpt = Annotated[str, typer.Option("--space", help="Search space (see `zeronas spaces`).")]
DatasetOpt = Annotated[str, typer.Option("--dataset", help=f"Task: {', '.join(DATASETS)}.")]
ProxiesOpt = Annotated[
    str, typer.Option("--proxies", help="Comma-separated proxies (see `zeronas proxies`).")
]
SearchProxiesOpt = Annotated[
    str | None,
    typer.Option(
        "--proxies",
        help="Comma-separated proxies or a set (see `zeronas proxies`). Default: ensemble; "
        "on a space where it is known to rank badly, the space's own (nats-sss: synflow).",
    ),
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
DeviceOpt = Annotated[
    str, typer.Option("--device", help="Where networks run: cpu, cuda or cuda:N.")
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
WorkersOpt = Annotated[
    int, typer.Option("--workers", help="Scoring processes (one intra-op thread each).")
]
ExecutorOpt = Annotated[
    str, typer.Option("--executor", help="Where scoring runs: local, process or ray.")
]
AddressOpt = Annotated[
    str | None, typer.Option("--address", help="Ray cluster address (default: a local Ray).")
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout-per-arch", help="Seconds before a candidate is recorded as failed."),
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
CombineOpt = Annotated[
    str | None,
    typer.Option(
        "--combine",
        help=f"Fitness: {', '.join(COMBINERS)} (see DESIGN §4). Default: the proxy set's "
        "combiner when --proxies names one set (az_nas: logrank), else norm-sum.",
    ),
]
ScreenOpt = Annotated[
    str | None,
    typer.Option(
        "--screen",
        help="Two-stage search: propose with these cheap proxies, then score the --rerank "
        "fittest with every proxy and answer with the best of them. Default: the proxy set's "
        "own (ensemble: params).",
    ),
]
RerankOpt = Annotated[
    int | None,
    typer.Option(
        "--rerank",
        help="Candidates re-scored with every proxy after a --screen search (0: one stage). "
        "Default: the proxy set's own (ensemble: 20), else 20 with --screen.",
    ),
]
ObjectivesOpt = Annotated[
    str,
    typer.Option(
        "--objectives",
        help="Costs to minimise beside fitness (--algorithm nsga2; others record them): "
        "latency_ms (the --latency-table device's, else measured here), params, macs, flops, "
        "size_kib, peak_memory_kib. Writes pareto.csv, pareto.png and the hypervolume.",
    ),
]
PenaltyOpt = Annotated[
    str | None,
    typer.Option("--penalty", help="Size penalty of seed 002: gdf, hsdf or rdf (DESIGN §4)."),
]
TargetOpt = Annotated[
    float,
    typer.Option("--target-kparams", help="Size-penalty target μ, in thousands of parameters."),
]
WidthOpt = Annotated[
    float, typer.Option("--width-kparams", help="Size-penalty width s, in thousands of parameters.")
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
    float | None,
    typer.Option(
        "--max-params", help="Reject networks above this many M params (blocks space: 2.5)."
    ),
]
MaxFlopsOpt = Annotated[
    float | None, typer.Option("--max-flops", help="Reject above this many M FLOPs (2 per MAC).")
]
MaxMacsOpt = Annotated[
    float | None,
    typer.Option(
        "--max-macs", help="Reject above this many M MACs (NATS 'FLOPs'; blocks space: 200)."
    ),
]
MaxSizeKibOpt = Annotated[
    float | None,
    typer.Option("--max-size-kib", help="Reject above this many KiB of float32 parameters."),
]
MaxPeakMemoryOpt = Annotated[
    float | None,
    typer.Option(
        "--max-peak-memory-kib",
        help="Reject above this many KiB of live activations in one forward (MCU RAM bound).",
    ),
]
MaxLatencyOpt = Annotated[
    float | None,
    typer.Option(
        "--max-latency-ms",
        help="Reject above this latency (ms per image): measured here (median after a "
        "warm-up), or the --latency-table device's.",
    ),
]
LatencyTableOpt = Annotated[
    str | None,
    typer.Option(
        "--latency-table",
        help="PATH:COLUMN of a device latency CSV (index + one ms column per device, e.g. "
        "latency_cifar10.csv:raspi4_ms): --max-latency-ms and the latency_ms objective then "
        "read that device.",
    ),
]
DEFAULT_PROXIES = "naswot,synflow,logsynflow,relu_count,params"
SEARCH_PROXIES = None  # the space's own: zeronas.api.default_search_proxies

#: API parameter -> the flag that sets it, where the two names differ.
_FLAGS = {
    ("ExecutorConfig", "timeout"): "--timeout-per-arch",
    ("ExecutorConfig", "kind"): "--executor",
    ("Budget", "evaluations"): "--budget",
}


def flag_of(parameter: str, owner: str = "") -> str:
    """The command-line flag of an API parameter: ``batch_size`` -> ``--batch-size``."""
    return _FLAGS.get((owner, parameter), "--" + parameter.replace("_", "-"))


def error_text(exc: ZeroNASError) -> str:
    """The message of ``exc`` as a command-line user reads it: a configuration or executor
    parameter is named by its flag."""
    if isinstance(exc, ParameterError) and exc.owner in _FLAGGED_OWNERS and not exc.unknown:
        return exc.message(flag_of(exc.parameter, exc.owner))
    return str(exc)


_FLAGGED_OWNERS = {
    "ScoringConfig", "SearchConfig", "Limits", "ExecutorConfig", "SizePenalty", "Budget",
    "Fitness", "TrainConfig", "correlate",
}  # fmt: skip


def cli_errors(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn a ZeroNASError into one line on stderr and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ZeroNASError as exc:
            text = error_text(exc)
            err.print(f"Error: {text}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see _process_setup)
            err.print(INTERRUPTED, markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None

    return wrapper


#: The shared options that make a :class:`~zeronas.config.ScoringConfig`: field -> (option
#: type, default). Defined once; :func:`with_scoring_config` adds them to a command.
SCORING_OPTIONS: dict[str, tuple[Any, Any]] = {
    "space": (SpaceOpt, "nats-tss"),
    "dataset": (DatasetOpt, "cifar10"),
    "proxies": (ProxiesOpt, DEFAULT_PROXIES),
    "data": (DataOpt, "auto"),
    "data_root": (DataRootOpt, None),
    "download": (DownloadOpt, False),
    "batch_size": (BatchOpt, 128),
    "seed": (SeedOpt, 0),
    "repeats": (RepeatsOpt, 1),
    "init": (InitOpt, "kaiming"),
    "device": (DeviceOpt, "cpu"),
}


#: The options that make a :class:`~zeronas.config.SearchConfig` beyond the scoring ones
#: (combiner, size penalty, hardware limits, a score table); ``--weights`` is search's own.
SEARCH_OPTIONS: dict[str, tuple[Any, Any]] = {
    "proxies": (SearchProxiesOpt, SEARCH_PROXIES),
    "combine": (CombineOpt, None),
    "screen": (ScreenOpt, None),
    "rerank": (RerankOpt, None),
    "objectives": (ObjectivesOpt, ""),
    "scores": (ScoresOpt, None),
    "max_params": (MaxParamsOpt, None),
    "max_flops": (MaxFlopsOpt, None),
    "max_macs": (MaxMacsOpt, None),
    "max_size_kib": (MaxSizeKibOpt, None),
    "max_peak_memory_kib": (MaxPeakMemoryOpt, None),
    "max_latency_ms": (MaxLatencyOpt, None),
    "latency_table": (LatencyTableOpt, None),
    "penalty": (PenaltyOpt, None),
    "target_kparams": (TargetOpt, 200.0),
    "width_kparams": (WidthOpt, 400.0),
}


def _scoring(fields: dict[str, Any]) -> ScoringConfig:
    if fields.get("data_root") is not None:
        fields["data_root"] = str(fields["data_root"])
    return ScoringConfig(**fields)


def _search(fields: dict[str, Any]) -> SearchConfig:
    if fields.get("proxies") is None:
        fields["proxies"] = default_search_proxies(fields.get("space", SCORING_OPTIONS["space"][1]))
    scoring = _scoring({k: fields.pop(k) for k in list(fields) if k in SCORING_OPTIONS})
    limit_fields = [k for k in list(fields) if k.startswith("max_") or k == "latency_table"]
    limits = Limits(**{k: fields.pop(k) for k in limit_fields})
    if fields.get("scores") is not None:
        fields["scores"] = str(fields["scores"])
    return SearchConfig(scoring, limits=limits, **fields)


def _with_config(
    options: dict[str, tuple[Any, Any]], build: Callable[[dict[str, Any]], Any], proxies: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command ``options`` and call it with ``config = build(their values)``. A
    command that declares an option of the same name itself (a list of datasets, say) keeps
    it and derives its configurations from ``config`` with ``replace``."""

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(fn, eval_str=True)
        mine = [p for p in signature.parameters.values() if p.name != "config"]
        shared = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                default=proxies if name == "proxies" else default,
            )
            for name, (kind, default) in options.items()
            if name not in signature.parameters
        ]  # fmt: skip
        names = {p.name for p in shared}

        @wraps(fn)
        def wrapper(**kwargs: Any) -> None:
            fields = {n: kwargs.pop(n) for n in list(kwargs) if n in names}
            if "proxies" in options and "proxies" not in names:  # a command's own list
                fields["proxies"] = (kwargs.get("proxies") or [proxies])[0]
            return fn(config=build(fields), **kwargs)

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in mine + shared]
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


def with_scoring_config(
    proxies: str = DEFAULT_PROXIES,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared scoring options and call it with ``config``, the
    :class:`~zeronas.config.ScoringConfig` they make (``proxies``: the default list)."""
    return _with_config(SCORING_OPTIONS, _scoring, proxies)


def with_search_config(
    proxies: str | None = SEARCH_PROXIES,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the scoring and search options and call it with ``config``, the
    :class:`~zeronas.config.SearchConfig` they make (``proxies``: the default list)."""
    return _with_config(SCORING_OPTIONS | SEARCH_OPTIONS, _search, proxies)


def writable_folder(path: Path, flag: str = "--out") -> Path:
    """``path`` as a folder this process can write into, made if missing: checked before any
    work, so that no finished work is lost to a bad output path."""
    if path.exists() and not path.is_dir():
        raise ZeroNASError(f"{flag} {str(path)!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ZeroNASError(f"{flag} {str(path)!r} is not writable: {exc.strerror or exc}") from exc
    return path


def writable_file(path: Path, what: str = "output file") -> Path:
    """``path`` as a file that can be written: its folder exists and is writable, and it is
    not itself a folder (checked before any work)."""
    if path.is_dir():
        raise ZeroNASError(f"{what} {str(path)!r} is a folder, not a file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ZeroNASError(f"{what} {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ZeroNASError(f"{what} {str(path)!r} is not writable")
    return path


def print_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(dumps_json(doc))


SYNTHETIC_WARNING = (
    "data-dependent proxies run on a SYNTHETIC Gaussian batch with random labels, not real "
    "images; pass --data cifar|npz:PATH|imagenet16:PATH for real ones"
)


def batch_warnings(batch: Batch | None, proxies: Sequence[Proxy]) -> list[str]:
    """What a result must say about its batch: synthetic images under data-dependent proxies
    computed live, random labels under the proxies that read labels, and labels the task
    cannot use (outside its classes)."""
    if batch is None:
        return []
    live = [p for p in proxies if p.arch_fn is None]
    if batch.label_note and (labelled := [p.name for p in live if p.needs_labels]):
        return [f"{batch.label_note}, so {', '.join(labelled)} cannot be computed"]
    if not batch.synthetic:
        return []
    notes = [SYNTHETIC_WARNING] if any(p.needs_data for p in live) else []
    if labelled := [p.name for p in live if p.needs_labels]:
        notes.append(
            f"{', '.join(labelled)} read the batch's labels, which are random on the synthetic "
            "batch: their values say nothing about the task"
        )
    return notes


def show_warnings(notes: Sequence[str]) -> None:
    for warning in notes:
        err.print(f"[yellow]Warning: {escape(warning)}.[/yellow]")


def fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def cache_path(cache: Path | None, no_cache: bool) -> Path | None:
    """The score store a command uses: ``--cache``, else the default; None with --no-cache."""
    if no_cache:
        return None
    return cache if cache is not None else default_cache_path()


#: Parameters that do not change a run's results (left out when a resumed run is checked).
_NOT_SETTINGS = {"json_out", "run_id", "cache", "no_cache", "out_dir"}


def _resolved(value: Any) -> Any:
    """``value`` with every existing file path in it (alone, or after a ``kind:`` prefix as
    in ``npz:PATH``) made absolute, so that a resume may name the same file another way."""
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolved(v) for v in value]
    if isinstance(value, str | Path) and str(value):
        text = str(value)
        kind, sep, rest = text.partition(":")
        for prefix, path in ((kind + sep, rest), ("", text)) if sep else (("", text),):
            if path and Path(path).exists():
                return prefix + str(Path(path).resolve())
    return value


@contextmanager
def tracked_run(
    run_id: str | None, cache: Path | None, command: str, params: dict[str, Any]
) -> Iterator[None]:
    """Record a named run in the score store; a run of that name that was started before
    must have the same settings, and resumes (its scores are read back from the store)."""
    if run_id is None:
        yield
        return
    if cache is None:
        raise ZeroNASError("--run-id needs the score store: drop --no-cache")
    store = ScoreStore(cache)
    settings = {k: _resolved(v) for k, v in params.items() if k not in _NOT_SETTINGS}
    if store.begin_run(run_id, command, settings):
        err.print(f"resuming run {run_id!r}: stored scores are read back from {cache}")
    yield
    store.finish_run(run_id)
