"""`zeronas latency`: a network's latency as it will run (ONNX Runtime on this machine), and
`zeronas latency build-table`: the ``blocks`` space's per-block lookup table, measured here
(run it on the target device), with the error of its summed predictions."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zeronas.cli.app import app, cli_errors, err, out
from zeronas.cli.deploy import ArchOpt, DatasetArg, FromOpt, SpaceArg, chosen_arch
from zeronas.cli.options import JsonOpt
from zeronas.cli.output import print_json
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.hardware.block_latency import BlockLatencyTable, build_table, check_table, table_parts
from zeronas.hardware.latency import measure_onnx_ms
from zeronas.hardware.latency_table import open_latency_table
from zeronas.report.jsonio import write_json
from zeronas.spaces import get_space
from zeronas.spaces.blocks import BlockSpace

latency_app = typer.Typer(
    help="Latency as a network will run: ONNX Runtime on this machine, batch 1.",
    no_args_is_help=False,
)
app.add_typer(latency_app, name="latency")

ThreadsOpt = Annotated[int, typer.Option("--threads", help="ONNX Runtime intra-op threads.")]
RunsOpt = Annotated[int | None, typer.Option("--runs", help="Timed runs (median reported).")]
#: ``--repeats`` is the scoring word for initialisations averaged: here it was the timed runs
OldRepeatsOpt = Annotated[int | None, typer.Option("--repeats", hidden=True)]


def _runs(runs: int | None, repeats: int | None, default: int) -> int:
    """``--runs``, or the old ``--repeats`` with a note that it is called ``--runs`` now."""
    if repeats is not None:
        warnings.warn("--repeats of `zeronas latency` is called --runs now", stacklevel=2)
        runs = repeats if runs is None else runs
    return default if runs is None else runs


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err,
    )  # fmt: skip


def _check_counts(threads: int, repeats: int, warmup: int = 0) -> None:
    if threads < 1:
        raise ZeroNASError(f"--threads must be >= 1, got {threads}")
    if warmup < 0:
        raise ZeroNASError(f"--warmup must be >= 0, got {warmup}")
    if repeats < 1:
        raise ZeroNASError(f"--runs must be >= 1, got {repeats}")


@latency_app.callback(invoke_without_command=True)
@cli_errors
def latency(
    ctx: typer.Context,
    run_file: FromOpt = None,
    arch: ArchOpt = None,
    space: SpaceArg = None,
    dataset: DatasetArg = None,
    threads: ThreadsOpt = 1,
    runs: RunsOpt = None,
    repeats: OldRepeatsOpt = None,
    warmup: Annotated[int, typer.Option("--warmup", help="Untimed runs first.")] = 10,
    table: Annotated[
        str | None,
        typer.Option("--table", help="PATH:COLUMN of a latency table: its prediction beside."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure one network (--arch, or a search's --from run.json): ONNX Runtime, batch 1,
    warm-up, median of --runs timed runs (default 50).

    Example: zeronas latency --space blocks --arch ir_k3_s2_e6_c32-ds_k5_s1_c64-... --threads 1
    """
    if ctx.invoked_subcommand is not None:
        return
    repeats = _runs(runs, repeats, 50)
    _check_counts(threads, repeats, warmup)
    space_obj, genome, dataset_name = chosen_arch(run_file, space, arch, dataset)
    spec = get_dataset(dataset_name)
    net = space_obj.build(genome, spec.num_classes, spec.input_shape)
    measured = measure_onnx_ms(net, spec.input_shape, threads, warmup, repeats)
    doc = {
        "space": space_obj.name, "arch": space_obj.encode(genome), "dataset": spec.name,
        "input_shape": list(spec.input_shape), "runtime": "onnxruntime", "threads": threads,
        "repeats": repeats, "median_ms": measured.median_ms, "p90_ms": measured.p90_ms,
    }  # fmt: skip
    if table is not None:
        lookup = open_latency_table(table)
        lookup.check_space(space_obj)
        doc["table"] = table
        doc["table_ms"] = lookup.latency(space_obj, genome, spec)
    if json_out:
        return print_json(doc)
    grid = Table(title=f"{space_obj.name} / {spec.name}: ONNX Runtime, {threads} thread(s)")
    grid.add_column("median ms")
    grid.add_column("p90 ms")
    cells = [f"{measured.median_ms:.3f}", f"{measured.p90_ms:.3f}"]
    if table is not None:
        grid.add_column("table ms")
        cells.append(f"{doc['table_ms']:.3f}")
    grid.add_row(*cells)
    out.print(grid)


def _ints(text: str | None, name: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ZeroNASError(f"{name} must be comma-separated integers, got {text!r}") from None


@latency_app.command("build-table")
@cli_errors
def build_table_command(
    out_path: Annotated[Path, typer.Option("--out", help="The table (CSV); resumed if it exists.")],
    space: Annotated[str, typer.Option("--space", help="Space (only 'blocks').")] = "blocks",
    dataset: Annotated[str, typer.Option("--dataset", help="Task (input size, classes).")] = "vww",
    threads: ThreadsOpt = 1,
    runs: RunsOpt = None,
    repeats: OldRepeatsOpt = None,
    check_networks: Annotated[
        int,
        typer.Option("--check-networks", help="Random whole networks to check the sum on."),
    ] = 50,
    types: Annotated[str | None, typer.Option("--types", help="Only these block types.")] = None,
    kernels: Annotated[str | None, typer.Option("--kernels", help="Only these kernels.")] = None,
    expansions: Annotated[
        str | None, typer.Option("--expansions", help="Only these expansions.")
    ] = None,
    channels: Annotated[str | None, typer.Option("--channels", help="Only these widths.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the check networks.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Measure every block type x kernel x expansion x stride x channel pair x input size
    the space can produce, on this machine (run it on the target), as a lookup table; then
    the relative error of its sums against measured whole networks.

    Example: zeronas latency build-table --space blocks --dataset vww --out pi4.csv
    """
    repeats = _runs(runs, repeats, 30)
    _check_counts(threads, repeats)
    space_obj = get_space(space)
    if not isinstance(space_obj, BlockSpace):
        raise ZeroNASError(f"build-table measures the 'blocks' space's parts; got {space!r}")
    spec = get_dataset(dataset)
    grid = {
        k: v
        for k, v in {
            "types": tuple(types.split(",")) if types else None,
            "kernels": _ints(kernels, "--kernels"),
            "expansions": _ints(expansions, "--expansions"),
            "channels": _ints(channels, "--channels"),
        }.items()
        if v is not None
    }
    parts = table_parts(space_obj, spec, **grid)  # type: ignore[arg-type]
    with _progress("measuring parts") as progress:
        task = progress.add_task("", total=len(parts))
        measured = build_table(
            out_path, space_obj, parts, threads, repeats,
            lambda done, total: progress.update(task, completed=done),
        )  # fmt: skip
    doc = {"table": str(out_path), "parts": len(parts), "measured_now": measured,
           "dataset": spec.name, "threads": threads, "check": None}  # fmt: skip
    if check_networks > 0:
        if grid:
            raise ZeroNASError("--check-networks needs the full grid (drop --types/--kernels/...)")
        lookup = BlockLatencyTable(out_path, "latency_ms", f"{out_path}:latency_ms")
        with _progress("checking networks") as progress:
            task = progress.add_task("", total=check_networks)
            doc["check"] = check_table(
                lookup, space_obj, spec, check_networks, seed, threads, repeats,
                on_network=lambda done, total: progress.update(task, completed=done),
            )  # fmt: skip
        write_json(out_path.with_suffix(".check.json"), doc)
    if json_out:
        return print_json(doc)
    out.print(f"{out_path}: {len(parts)} parts ({measured} measured now)")
    if doc["check"]:
        check = doc["check"]
        out.print(
            f"sum of parts vs measured, {check['networks']} random networks: relative error "
            f"median {check['median_relative_error']:.1%}, 90th percentile "
            f"{check['p90_relative_error']:.1%} (mean signed {check['mean_signed_error']:+.1%})"
        )
