"""Train a chosen architecture (Singh's last step): one recipe for searched networks and
the MobileNetV3 baseline alike.

Recipe: SGD (momentum 0.9, Nesterov) or AdamW; cosine learning-rate decay per step to 0
(Loshchilov & Hutter 2017); cross-entropy with label smoothing (Szegedy et al. 2016);
pad-and-crop (small images) or RandomResizedCrop, and a horizontal flip, on the training
split (:mod:`zeronas.deploy.recipe`), a plain resize elsewhere; mixed precision (bfloat16
autocast) on CUDA. Before every evaluation the batch-norm statistics are recomputed exactly
over (up to ``bn_images`` of) the training split, shuffled and augmented as in training
("precise BN", Wu & Johnson 2021, arXiv:2105.07576): with few steps, running averages at a
small momentum (torchvision's MobileNetV3 uses 0.01) are still near their initial values,
and an eval-mode network then predicts one class. The model of the last epoch is tested.

Every epoch ends with an atomic checkpoint (``checkpoint.pt``: weights, optimiser, schedule,
history, RNG states), so ``resume=True`` continues a killed run from its last finished epoch
with the same result as an uninterrupted run would have had on CPU.
"""

from __future__ import annotations

import copy
import os
import pickle
import time
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from zeronas.data.tasks import DatasetSpec
from zeronas.deploy.recipe import TrainConfig
from zeronas.errors import ZeroNASError
from zeronas.models.init import check_device
from zeronas.report.jsonio import write_json
from zeronas.report.plots import figure
from zeronas.spaces.base import SearchSpace

__all__ = [
    "MEMORY_FORMATS",
    "TrainResult",
    "choose_memory_format",
    "train",
    "training_curve",
    "CHECKPOINT",
]

CHECKPOINT = "checkpoint.pt"
MEMORY_FORMATS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


@dataclass
class TrainResult:
    space: str
    arch: str
    dataset: str
    params: int
    config: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    test_accuracy: float | None = None
    test_loss: float | None = None
    seconds: float = 0.0
    resumed_from_epoch: int | None = None
    amp: bool = False
    #: the layout the steps ran in: measured at the start (:func:`choose_memory_format`),
    #: kept on resume (None until chosen)
    memory_format: str | None = None
    #: What the network was built for: a checkpoint is resumed, and weights exported, only
    #: for the same input shape and class count.
    input_shape: list[int] = field(default_factory=list)
    num_classes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _optimizer(net: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in net.parameters() if p.ndim > 1]
    no_decay = [p for p in net.parameters() if p.ndim <= 1]  # BN / LN / biases
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=0.9, nesterov=True)
    return torch.optim.AdamW(groups, lr=config.lr)


def _evaluate(net: nn.Module, loader: DataLoader, loss_fn: nn.Module, device: torch.device,
              amp: bool) -> tuple[float, float]:  # fmt: skip
    """(mean loss, accuracy %) over ``loader``."""
    net.eval()
    total, correct, loss_sum = 0, 0, 0.0
    with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=amp):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = net(x)
            loss_sum += float(loss_fn(logits.float(), y)) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            total += len(y)
    return loss_sum / max(total, 1), 100.0 * correct / max(total, 1)


def recalibrate_batch_norm(
    net: nn.Module, loader: DataLoader, device: torch.device, amp: bool
) -> None:
    """Exact BN statistics over ``loader``: running stats reset, then a cumulative average
    (momentum None) over one train-mode, no-grad pass; the momenta are restored after."""
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    try:
        with torch.no_grad(), torch.autocast(device.type, torch.bfloat16, enabled=amp):
            for x, _ in loader:
                net(x.to(device))
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum


def choose_memory_format(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module, repeats: int = 3
) -> str:
    """The faster layout of a training step (forward and backward) of ``net`` on ``(x, y)``,
    measured on a copy: one warm-up and ``repeats`` timed steps each, the median compared.
    Channels-last is often faster on CPU (oneDNN), and much faster for depthwise convs, but
    not on every CPU and network, so it is measured, never assumed."""
    seconds = {}
    for name, layout in MEMORY_FORMATS.items():
        trial = copy.deepcopy(net).to(memory_format=layout).train()
        inputs = x.contiguous(memory_format=layout)
        times = []
        for i in range(repeats + 1):
            started = time.perf_counter()
            loss_fn(trial(inputs).float(), y).backward()
            if x.device.type == "cuda":
                torch.cuda.synchronize(x.device)
            if i:
                times.append(time.perf_counter() - started)
        seconds[name] = sorted(times)[len(times) // 2]
    return min(seconds, key=seconds.get)


def _save_atomically(state: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(
    space: SearchSpace,
    arch: Hashable,
    spec: DatasetSpec,
    loaders: dict[str, DataLoader],
    config: TrainConfig,
    out_dir: Path,
    resume: bool = False,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    on_step: Callable[[int, int, float], None] | None = None,
    memory_format: str = "auto",
) -> TrainResult:
    """Train ``arch`` for ``config.epochs`` epochs, checkpointing into ``out_dir`` after every
    epoch; ``resume`` continues from ``out_dir``'s checkpoint (an error if there is none or
    it belongs to another arch or settings). ``memory_format``: ``auto`` (the faster layout,
    measured; a resumed run keeps its checkpoint's), ``contiguous`` or ``channels_last``."""
    if memory_format not in ("auto", *MEMORY_FORMATS):
        raise ZeroNASError(
            f"memory_format must be auto, {' or '.join(MEMORY_FORMATS)}, got {memory_format!r}"
        )
    device = check_device(config.device)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    net = space.build(arch, spec.num_classes, spec.input_shape).to(device)
    optimizer = _optimizer(net, config)
    steps = config.epochs * len(loaders["train"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    amp = device.type == "cuda"
    result = TrainResult(
        space.name, space.encode(arch), spec.name, sum(p.numel() for p in net.parameters()),
        asdict(config), amp=amp, input_shape=list(spec.input_shape),
        num_classes=spec.num_classes,
    )  # fmt: skip
    checkpoint = out_dir / CHECKPOINT
    start_epoch = 0
    if resume:
        start_epoch = _restore(checkpoint, net, optimizer, schedule, result, loaders["train"])
    if memory_format != "auto":
        result.memory_format = memory_format
    elif result.memory_format is None:  # a new run, or a checkpoint from before layouts
        x, y = next(iter(loaders["calibration"]))
        result.memory_format = choose_memory_format(net, x.to(device), y.to(device), loss_fn)
    layout = MEMORY_FORMATS[result.memory_format]
    net = net.to(memory_format=layout)
    started = time.perf_counter() - result.seconds
    for epoch in range(start_epoch, config.epochs):
        net.train()
        seen, correct, loss_sum = 0, 0, 0.0
        for step, (x, y) in enumerate(loaders["train"]):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            x = x.contiguous(memory_format=layout)
            with torch.autocast(device.type, torch.bfloat16, enabled=amp):
                logits = net(x)
                loss = loss_fn(logits.float(), y)
            if not torch.isfinite(loss):
                raise ZeroNASError(f"training diverged at epoch {epoch + 1}: loss {float(loss)}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += float(loss.detach()) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            if on_step is not None:
                on_step(epoch, step, float(loss.detach()))
        recalibrate_batch_norm(net, loaders["calibration"], device, amp)
        val_loss, val_acc = _evaluate(net, loaders["val"], loss_fn, device, amp)
        row = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / seen,
            "train_accuracy": 100.0 * correct / seen,
            "val_loss": val_loss,
            "val_accuracy": val_acc,
            "lr": schedule.get_last_lr()[0],
        }
        result.history.append(row)
        result.seconds = time.perf_counter() - started
        _save_atomically(
            {
                "epoch": epoch + 1,
                "space": space.name,
                "arch": result.arch,
                "input_shape": result.input_shape,
                "num_classes": result.num_classes,
                "config": asdict(config),
                "model": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "history": result.history,
                "seconds": result.seconds,
                "memory_format": result.memory_format,
                "torch_rng": torch.get_rng_state(),
                "loader_rng": loaders["train"].generator.get_state(),
            },
            checkpoint,
        )
        if on_epoch is not None:
            on_epoch(row)
    result.test_loss, result.test_accuracy = _evaluate(net, loaders["test"], loss_fn, device, amp)
    result.seconds = time.perf_counter() - started
    torch.save(net.state_dict(), out_dir / "model_state.pt")
    write_json(out_dir / "summary.json", result.to_json())
    return result


def _restore(
    path: Path,
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule: Any,
    result: TrainResult,
    train_loader: DataLoader,
) -> int:
    if not path.is_file():
        raise ZeroNASError(f"resume: no checkpoint at {str(path)!r}")
    try:  # tensors and plain values only: a checkpoint is untrusted input (no code runs)
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ZeroNASError(
            f"resume: cannot load {str(path)!r} as a checkpoint of tensors and plain values "
            f"(it is damaged, or holds other objects, which are refused): {first}"
        ) from exc
    if state["arch"] != result.arch or state["space"] != result.space:
        raise ZeroNASError(
            f"resume: {str(path)!r} trains {state['space']} {state['arch']!r}, "
            f"not {result.space} {result.arch!r}"
        )
    built = (list(state.get("input_shape", [])), state.get("num_classes"))
    if built != (result.input_shape, result.num_classes):
        raise ZeroNASError(
            f"resume: {str(path)!r} trains inputs {built[0]} with {built[1]} classes, not "
            f"{result.input_shape} with {result.num_classes} (check --image-size and --dataset)"
        )
    if state["config"] != result.config:
        changed = sorted(k for k in state["config"] if state["config"][k] != result.config.get(k))
        raise ZeroNASError(f"resume: settings differ from the checkpoint's: {', '.join(changed)}")
    net.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["torch_rng"])
    train_loader.generator.set_state(state["loader_rng"])
    result.history = list(state["history"])
    result.seconds = float(state["seconds"])
    result.memory_format = state.get("memory_format")  # None: measure (older checkpoints)
    result.resumed_from_epoch = int(state["epoch"])
    return int(state["epoch"])


def training_curve(result: TrainResult, path: Path) -> Path:
    """Loss and accuracy per epoch (train and val) as a PNG."""
    epochs = [r["epoch"] for r in result.history]
    with figure(path, (9, 3.5), ncols=2) as axes:
        for key, axis in zip(("loss", "accuracy"), axes, strict=True):
            axis.plot(epochs, [r[f"train_{key}"] for r in result.history], label="train")
            axis.plot(epochs, [r[f"val_{key}"] for r in result.history], label="val")
            axis.set_xlabel("epoch")
            axis.set_ylabel(key + (" (%)" if key == "accuracy" else ""))
            axis.legend()
        title = f"{result.space} {result.arch[:60]} on {result.dataset}"
        if result.test_accuracy is not None:
            title += f": test {result.test_accuracy:.1f}%"
        axes[0].figure.suptitle(title, fontsize=9)
    return path
