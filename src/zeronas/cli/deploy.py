"""`zeronas train` and `zeronas export`: the chosen network, trained and exported."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Any

import torch
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zeronas.cli.app import app, cli_errors, err, out
from zeronas.cli.options import JsonOpt, option_of
from zeronas.cli.output import print_json
from zeronas.data.tasks import DatasetSpec, get_dataset
from zeronas.errors import DataError, ZeroNASError
from zeronas.hardware.limits import LimitChecker, Limits
from zeronas.report.jsonio import write_json
from zeronas.scoring.config import ScoringConfig
from zeronas.spaces import get_space
from zeronas.spaces.base import SearchSpace

MaxParamsOpt = option_of(Limits, "max_params")[0]
MaxMacsOpt = option_of(Limits, "max_macs")[0]
MaxSramOpt = option_of(Limits, "max_sram_kib")[0]
MaxFlashOpt = option_of(Limits, "max_flash_kib")[0]
McuOpt = option_of(Limits, "mcu")[0]
DeviceOpt = option_of(ScoringConfig, "device")[0]

FromOpt = Annotated[
    Path | None,
    typer.Option("--from", help="A search's run.json: train / export its best architecture."),
]
ArchOpt = Annotated[str | None, typer.Option("--arch", help="Architecture string.")]
SpaceArg = Annotated[
    str | None, typer.Option("--space", help="Search space of --arch (default: nats-tss).")
]
DatasetArg = Annotated[
    str | None, typer.Option("--dataset", help="Task (default: the run's, else vww).")
]
ImageSizeOpt = Annotated[
    int | None, typer.Option("--image-size", help="Square input size (default: the task's).")
]


def chosen_arch(
    run_file: Path | None, space: str | None, arch: str | None, dataset: str | None
) -> tuple[SearchSpace, Hashable, str]:
    """(space, arch, dataset name) from a run.json or from --space/--arch."""
    if (run_file is None) == (arch is None):
        raise ZeroNASError("give either --from RUN.json (a search result) or --arch ARCH")
    if run_file is not None:
        try:
            doc = json.loads(run_file.read_text())
            best, run_space, run_dataset = doc["best"], doc["space"], doc["dataset"]
            arch_text = None if best is None else best["arch"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ZeroNASError(
                f"cannot read a search result from {str(run_file)!r}: {exc}"
            ) from exc
        if arch_text is None:
            raise ZeroNASError(f"{str(run_file)!r} has no best architecture (nothing was scored)")
        space_obj = get_space(str(space or run_space))
        return space_obj, space_obj.decode(str(arch_text)), str(dataset or run_dataset)
    space_obj = get_space(space or "nats-tss")
    return space_obj, space_obj.decode(arch), dataset or "vww"  # type: ignore[arg-type]


def check_within_budgets(
    space: SearchSpace,
    arch: Hashable,
    spec: DatasetSpec,
    max_params: float | None,
    max_macs: float | None,
) -> None:
    """A ZeroNASError naming the limit ``arch`` breaks (the space's default budgets unless
    --max-params / --max-macs are given)."""
    limits = Limits(max_params=max_params, max_macs=max_macs)
    limits = limits.with_defaults(space.default_limits)
    reason = LimitChecker(limits, space, spec)(arch)
    if reason is not None:
        raise ZeroNASError(
            f"{space.name} arch {space.encode(arch)!r} breaks the budget: {reason} "
            "(set --max-params / --max-macs to change the limits)"
        )


def _task(name: str, image_size: int | None) -> DatasetSpec:
    spec = get_dataset(name)
    if image_size is None:
        return spec
    if image_size < 8:
        raise ZeroNASError(f"--image-size must be >= 8, got {image_size}")
    return dataclasses.replace(spec, input_shape=(spec.input_shape[0], image_size, image_size))


def _folder(data: str) -> str:
    kind, _, path = data.partition(":")
    if kind != "imagefolder" or not path:
        raise DataError(
            "training reads --data imagefolder:PATH (PATH/train|val|test/<class>/...), "
            f"got {data!r}"
        )
    return path


@app.command("train")
@cli_errors
def train_command(
    data: Annotated[str, typer.Option("--data", help="imagefolder:PATH (train/val/test).")],
    run_file: FromOpt = None,
    arch: ArchOpt = None,
    space: SpaceArg = None,
    dataset: DatasetArg = None,
    image_size: ImageSizeOpt = None,
    max_params: MaxParamsOpt = None,
    max_macs: MaxMacsOpt = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 40,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Images per step.")] = 64,
    optimizer: Annotated[str, typer.Option("--optimizer", help="sgd or adamw.")] = "sgd",
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate (cosine decay).")] = 0.05,
    weight_decay: Annotated[float, typer.Option("--weight-decay", help="On weights.")] = 4e-5,
    label_smoothing: Annotated[float, typer.Option("--label-smoothing")] = 0.1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of init and shuffling.")] = 0,
    device: DeviceOpt = "cpu",
    workers: Annotated[int, typer.Option("--workers", help="Data-loading processes.")] = 0,
    augment: Annotated[
        str,
        typer.Option(
            "--augment",
            help="auto (pad-and-crop up to 64 px, else RandomResizedCrop), crop or "
            "resized-crop; a flip always.",
        ),
    ] = "auto",
    bn_images: Annotated[
        int, typer.Option("--bn-images", help="Train images that set BN statistics.")
    ] = 4096,
    out_dir: Annotated[Path, typer.Option("--out", help="Checkpoints, curve, summary.")] = Path(
        "zeronas-train"
    ),
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from --out's last finished epoch.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Train an architecture (a search's best, or --arch) on an image folder: SGD/AdamW,
    cosine schedule, label smoothing, flips and crops, AMP on GPU, a checkpoint every epoch.

    Example: zeronas train --from zeronas-search/run.json --data imagefolder:vww --epochs 40
    """
    from zeronas.deploy.loaders import image_folder_loaders
    from zeronas.deploy.recipe import TrainConfig
    from zeronas.deploy.training import CHECKPOINT, train, training_curve

    space_obj, arch_value, task = chosen_arch(run_file, space, arch, dataset)
    spec = _task(task, image_size)
    check_within_budgets(space_obj, arch_value, spec, max_params, max_macs)
    config = TrainConfig(
        epochs, batch_size, optimizer, lr, weight_decay, label_smoothing, seed, device, workers,
        augment, bn_images,
    )  # fmt: skip
    if not resume and (out_dir / CHECKPOINT).exists():
        raise ZeroNASError(
            f"{str(out_dir)!r} already holds a checkpoint: pass --resume to continue it, "
            "or choose another --out"
        )
    loaders = image_folder_loaders(_folder(data), spec, config)
    steps = len(loaders["train"])
    columns = (
        TextColumn("[bold]train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=json_out, transient=json_out) as progress:
        bar = progress.add_task("", total=epochs * steps)

        def on_step(epoch: int, step: int, loss: float) -> None:
            progress.update(bar, completed=epoch * steps + step + 1,
                            description=f"epoch {epoch + 1}/{epochs} loss {loss:.3f}")  # fmt: skip

        def on_epoch(row: dict[str, float]) -> None:
            progress.console.print(
                f"epoch {row['epoch']:>3}: train loss {row['train_loss']:.3f} "
                f"acc {row['train_accuracy']:.1f}% | val loss {row['val_loss']:.3f} "
                f"acc {row['val_accuracy']:.1f}%"
            )

        result = train(space_obj, arch_value, spec, loaders, config, out_dir, resume,
                       on_epoch, on_step)  # fmt: skip
    curve = training_curve(result, out_dir / "curve.png")
    doc = result.to_json() | {"data": data, "files": [str(out_dir / "summary.json"), str(curve)]}
    write_json(out_dir / "summary.json", doc)
    if json_out:
        return print_json(doc)
    _print_training(doc)


def _print_training(doc: dict[str, Any]) -> None:
    table = Table(title=f"{doc['space']} on {doc['dataset']}", show_header=False)
    table.add_column()
    table.add_column(overflow="fold")
    table.add_row("arch", doc["arch"])
    table.add_row("params", f"{doc['params']:,}")
    table.add_row("epochs", str(len(doc["history"])))
    if doc["resumed_from_epoch"] is not None:
        table.add_row("resumed after epoch", str(doc["resumed_from_epoch"]))
    table.add_row("final val accuracy", f"{doc['history'][-1]['val_accuracy']:.2f}%")
    table.add_row("test accuracy", f"{doc['test_accuracy']:.2f}%")
    table.add_row("AMP", "on (bfloat16)" if doc["amp"] else "off (CPU)")
    table.add_row("layout", f"{doc['memory_format']} (the faster, measured)")
    table.add_row("seconds", f"{doc['seconds']:.1f}")
    out.print(table)
    out.print(f"wrote {', '.join(doc['files'])}")


@app.command("export")
@cli_errors
def export_command(
    run_file: FromOpt = None,
    arch: ArchOpt = None,
    space: SpaceArg = None,
    dataset: DatasetArg = None,
    image_size: ImageSizeOpt = None,
    max_params: MaxParamsOpt = None,
    max_macs: MaxMacsOpt = None,
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="A `zeronas train` output folder (its trained weights)."),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the exports.")] = Path(
        "zeronas-export"
    ),
    tolerance: Annotated[float, typer.Option("--tolerance")] = 1e-4,
    int8: Annotated[
        bool,
        typer.Option(
            "--int8",
            help="Also write a full-integer .tflite and its C array, and run "
            "it in TFLite Micro on --calibration's test split (needs zeronas[mcu]).",
        ),
    ] = False,
    calibration: Annotated[
        str | None,
        typer.Option(
            "--calibration",
            help="imagefolder:PATH for --int8: calibrated on its train "
            "split, checked on its test split (default: the training run's --data).",
        ),
    ] = None,
    calibration_images: Annotated[
        int, typer.Option("--calibration-images", help="Train images that set the int8 scales.")
    ] = 256,
    test_images: Annotated[
        int | None,
        typer.Option("--test-images", help="Test images run in TFLite Micro (default: all)."),
    ] = None,
    mcu: McuOpt = None,
    max_sram_kib: MaxSramOpt = None,
    max_flash_kib: MaxFlashOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export an architecture (trained weights with --weights, else a seeded random init) to
    ONNX, checked against PyTorch with onnxruntime, and to a state-dict bundle that rebuilds it;
    with --int8 also to an int8 .tflite run in TFLite Micro: int8 and fp32 test accuracy, the
    arena and flash it needs and whether they fit --mcu.

    Example: zeronas export --weights zeronas-train --int8 --mcu stm32f412
    """
    from zeronas.deploy.export import check_onnx, export_onnx, load_bundle, save_bundle

    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise ZeroNASError(f"--tolerance must be a number >= 0, got {tolerance}")
    limits = Limits(max_sram_kib=max_sram_kib, max_flash_kib=max_flash_kib, mcu=mcu)
    if int8:
        from zeronas.deploy.tflite import require_mcu_extra

        require_mcu_extra()  # before any work
    trained: list[int] | None = None  # the input shape the weights were trained for
    if weights is not None and weights.is_dir():
        summary = _read_summary(weights)
        trained = summary.get("input_shape") or None
        calibration = calibration or summary.get("data")
        if run_file is None and arch is None:
            space, arch, dataset = (
                space or summary["space"],
                summary["arch"],
                dataset or summary["dataset"],
            )
    if trained is not None and image_size is not None and trained[1:] != [image_size] * 2:
        raise ZeroNASError(
            f"--image-size {image_size} differs from the {trained[1]}x{trained[2]} inputs the "
            f"weights in {str(weights)!r} were trained on"
        )
    space_obj, arch_value, task = chosen_arch(run_file, space, arch, dataset)
    spec = _task(task, image_size if trained is None else trained[1])
    check_within_budgets(space_obj, arch_value, spec, max_params, max_macs)
    torch.manual_seed(0)
    net = space_obj.build(arch_value, spec.num_classes, spec.input_shape)
    if weights is not None:
        state = weights / "model_state.pt" if weights.is_dir() else weights
        if not state.is_file():
            raise ZeroNASError(f"no trained weights at {str(state)!r} (run `zeronas train` first)")
        try:
            loaded = torch.load(state, map_location="cpu", weights_only=True)
            net.load_state_dict(loaded)
        except (RuntimeError, pickle.UnpicklingError, EOFError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ZeroNASError(
                f"the weights in {str(state)!r} are not those of {space_obj.encode(arch_value)!r} "
                f"({first})"
            ) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(net, spec.input_shape, out_dir / "model.onnx")
    error = check_onnx(net, onnx_path, spec.input_shape)
    if not error <= tolerance:
        raise ZeroNASError(f"ONNX outputs differ from PyTorch by {error:.3g} > {tolerance:g}")
    bundle = save_bundle(net, space_obj, arch_value, spec.num_classes, spec.input_shape,
                         out_dir / "model.pt")  # fmt: skip
    rebuilt, _ = load_bundle(bundle)
    x = torch.randn((2, *spec.input_shape))
    with torch.inference_mode():
        same = torch.equal(rebuilt(x), net.eval()(x))
    if not same:
        raise ZeroNASError("the rebuilt bundle does not reproduce the network's outputs")
    doc = {
        "space": space_obj.name,
        "arch": space_obj.encode(arch_value),
        "dataset": spec.name,
        "input_shape": list(spec.input_shape),
        "weights": str(weights) if weights is not None else "random init (seed 0)",
        "onnx": str(onnx_path),
        "onnx_max_abs_error": error,
        "bundle": str(bundle),
    }
    if int8:
        if calibration is None:
            raise ZeroNASError("--int8 needs --calibration imagefolder:PATH (real images)")
        images = (calibration_images, test_images)
        doc["int8"] = _export_int8(
            net,
            space_obj,
            arch_value,
            spec,
            _folder(calibration),
            out_dir,
            limits,
            images,
            json_out,
        )
    if json_out:
        return print_json(doc)
    out.print(f"wrote {onnx_path} (onnxruntime vs PyTorch: max |Δ| {error:.2e}) and {bundle}")
    if int8:
        _print_int8(doc["int8"])


def _export_int8(net, space, arch, spec, folder, out_dir, limits, images, quiet) -> dict[str, Any]:
    """Convert, then check in TFLite Micro; ``images`` = (calibration, test) counts."""
    from zeronas.deploy.int8 import export_int8

    columns = (TextColumn("[bold]TFLite Micro"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, disable=quiet, transient=True) as progress:
        bar = progress.add_task("", total=None)
        return export_int8(
            net, space, arch, spec, folder, out_dir, limits, *images,
            on_progress=lambda done, total: progress.update(bar, completed=done, total=total),
        )  # fmt: skip


def _print_int8(report: dict[str, Any]) -> None:
    table = Table(title="int8 in TFLite Micro", show_header=False)
    table.add_column()
    table.add_column(overflow="fold")
    images = report["test_images"]
    table.add_row("test accuracy", f"int8 {report['int8_accuracy']:.2f}% | fp32 "
                  f"{report['fp32_accuracy']:.2f}% ({images} images)")  # fmt: skip
    table.add_row("int8 = fp32 top-1", f"{report['int8_fp32_agreement']:.2f}%")
    estimate = report.get("estimate")
    for name, key in (("arena", "arena_bytes"), ("flash (.tflite)", "flash_bytes")):
        measured = report[key]
        text = f"{measured / 1024:.1f} KiB ({measured:,} bytes)"
        if estimate is not None:
            text += f"; estimated {estimate[key] / 1024:.1f} KiB"
        table.add_row(name, text)
    if "fits" in report:
        limits = report["limits"]
        target = limits["mcu"] or "the limits"
        budget = (
            f"arena <= {limits['max_sram_kib']:g} KiB, flash <= {limits['max_flash_kib']:g} KiB"
        )
        table.add_row("fits " + target, ("yes" if report["fits"] else "NO") + f" ({budget})")
    table.add_row("TFLite Micro", f"{report['tflm_ms_per_image']:.2f} ms per image here")
    out.print(table)
    out.print(f"wrote {report['tflite']} and {report['c_source']}")


def _read_summary(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise ZeroNASError(f"{str(folder)!r} has no readable summary.json: {exc}") from exc
