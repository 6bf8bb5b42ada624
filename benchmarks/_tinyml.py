"""Training and int8 runs of the MCU benchmarks, each in its own folder and resumable: a
finished run is read back, a killed one continues from its last epoch."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import torch
from _shared import shared_path

from zeronas.data.tasks import DatasetSpec, get_dataset
from zeronas.deploy.loaders import image_folder_loaders
from zeronas.deploy.recipe import CIFAR_RECIPE, TrainConfig
from zeronas.deploy.training import CHECKPOINT, train
from zeronas.hardware.costs import int8_graph
from zeronas.hardware.int8_memory import int8_footprint
from zeronas.hardware.limits import Limits
from zeronas.spaces import get_space
from zeronas.testing import write_archive_subset

SPACE = get_space("mcu")
CIFAR10: DatasetSpec = get_dataset("cifar10")


def footprint(arch: str) -> dict[str, float]:
    """MACs (M), params, and the int8 arena / flash estimate (bytes) of an mcu arch."""
    graph = int8_graph(SPACE, SPACE.decode(arch), CIFAR10)
    estimate = int8_footprint(graph)
    return {"macs_m": graph.macs / 1e6, "params": graph.params,
            "arena_bytes": estimate.arena, "flash_bytes": estimate.flash}  # fmt: skip


def use_threads(threads: int | None) -> None:
    """Torch and OpenMP on ``threads`` threads (None: leave them)."""
    if threads:
        torch.set_num_threads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)


def tuning_subset(out: Path) -> Path:
    """``out/cifar10-subset``: the seeded 1,000-per-class subset of the shared CIFAR-10
    archive the short-training studies use (written once)."""
    folder = out / "cifar10-subset"
    if not (folder / "test").is_dir():
        write_archive_subset(shared_path("datasets/cifar10-jpeg.tar.gz"), folder, 1000, seed=0)
    return folder


def recipe(epochs: int, seed: int) -> TrainConfig:
    return dataclasses.replace(CIFAR_RECIPE, epochs=epochs, seed=seed)


def train_run(folder: str, arch: str, config: TrainConfig, run_dir: Path) -> dict[str, Any]:
    """``summary.json`` of training ``arch`` into ``run_dir`` (trained now if missing)."""
    summary = run_dir / "summary.json"
    if summary.is_file():
        return json.loads(summary.read_text())
    loaders = image_folder_loaders(folder, CIFAR10, config)
    resume = (run_dir / CHECKPOINT).is_file()

    def on_epoch(row: dict[str, float]) -> None:
        print(f"  {run_dir.name} epoch {row['epoch']}: val {row['val_accuracy']:.2f}%", flush=True)

    result = train(SPACE, SPACE.decode(arch), CIFAR10, loaders, config, run_dir, resume, on_epoch)
    return result.to_json()


def int8_run(folder: str, arch: str, run_dir: Path, limits: Limits) -> dict[str, Any]:
    """The ``zeronas export --int8`` report of the trained ``run_dir`` (made if missing): all
    test images through TFLite Micro."""
    from zeronas.deploy.int8 import export_int8

    path = run_dir / "int8" / "report.json"
    if path.is_file():
        return json.loads(path.read_text())
    net = SPACE.build(SPACE.decode(arch), CIFAR10.num_classes, CIFAR10.input_shape)
    net.load_state_dict(torch.load(run_dir / "model_state.pt", weights_only=True))
    report = export_int8(net.eval(), SPACE, SPACE.decode(arch), CIFAR10, folder,
                         run_dir / "int8", limits)  # fmt: skip
    path.write_text(json.dumps(report, indent=1))
    return report
