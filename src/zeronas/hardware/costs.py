"""What an architecture costs on hardware: the objectives of a multi-objective search and the
costs reported for a search's answer.

Cost names (all lower is better): ``params`` (M parameters), ``macs`` (M multiply-
accumulates), ``flops`` (M FLOPs, 2 per MAC), ``size_kib`` (KiB of float32 parameters),
``peak_memory_kib`` (KiB of float32 activations alive at once in an eager PyTorch forward,
:mod:`zeronas.proxies.memory`: not a microcontroller's arena), ``sram_kib`` and
``flash_kib`` (KiB of TFLite Micro arena and of ``.tflite`` of the int8 network, from the
space's layer graph: :mod:`zeronas.hardware.int8_memory`) and ``latency_ms``:
a device's table value looked up by index (:mod:`zeronas.latency_table`) when a table is
given (by index, or summed per block: :mod:`zeronas.block_latency`), else measured on this
machine (:func:`measure_eager_ms`: eager PyTorch, one image, median of 10 after 3
warm-ups). Parameters and MACs come from the space's
exact ``costs`` formula when it has one (no module built), else from a module built on the
``meta`` device (shapes only).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING

import torch
from torch import nn

from zeronas.data.tasks import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.hardware.counting import count_flops, count_params, peak_activation_bytes
from zeronas.hardware.int8_memory import int8_footprint
from zeronas.hardware.latency_table import LatencyTable, open_latency_table
from zeronas.models.graph import LayerGraph
from zeronas.spaces.base import SearchSpace

if TYPE_CHECKING:
    from zeronas.hardware.block_latency import BlockLatencyTable

__all__ = ["COSTS", "INT8_COSTS", "CostModel", "check_costs", "int8_graph", "measure_eager_ms"]

#: cost name -> unit, for tables and axis labels
COSTS = {
    "params": "M",
    "macs": "M",
    "flops": "M",
    "size_kib": "KiB",
    "peak_memory_kib": "KiB",
    "sram_kib": "KiB",
    "flash_kib": "KiB",
    "latency_ms": "ms",
}
#: the costs read from a space's int8 layer graph
INT8_COSTS = ("sram_kib", "flash_kib")


#: short names accepted for costs
ALIASES = {
    "latency": "latency_ms", "peak_memory": "peak_memory_kib", "size": "size_kib",
    "sram": "sram_kib", "arena_kib": "sram_kib", "flash": "flash_kib",
}  # fmt: skip


def check_costs(names: Iterable[str] | str) -> tuple[str, ...]:
    """``names`` (a tuple, or comma-separated) as a tuple of known costs, short names
    (:data:`ALIASES`) made full; an unknown one is refused, listing the known ones."""
    if isinstance(names, str):
        if not names.strip():
            raise ZeroNASError("the cost list is empty: name costs, e.g. latency_ms,params")
        items = [n.strip() for n in names.split(",")]
        if not all(items):
            raise ZeroNASError(f"the cost list {names!r} has an empty item")
        names = items
    names = tuple(ALIASES.get(n, n) for n in names)
    for name in names:
        if name not in COSTS:
            raise ZeroNASError(f"unknown cost {name!r}. Known: {', '.join(COSTS)}")
    if len(set(names)) != len(names):
        raise ZeroNASError(f"a cost is named twice in {', '.join(names)}")
    return names


def measure_eager_ms(
    net: nn.Module, input_shape: tuple[int, ...], warmup: int = 3, repeats: int = 10
) -> float:
    """Median milliseconds of an eval-mode, inference-mode forward of one image."""
    was_training = net.training
    net.eval()
    x = torch.zeros((1, *input_shape))
    times = []
    try:
        with torch.inference_mode():
            for i in range(warmup + repeats):
                t0 = time.perf_counter()
                net(x)
                if i >= warmup:
                    times.append((time.perf_counter() - t0) * 1000)
    finally:
        net.train(was_training)
    return statistics.median(times)


def int8_graph(space: SearchSpace, arch: Hashable, dataset: DatasetSpec) -> LayerGraph:
    """``arch``'s int8 layer graph; a space without one is refused, naming those that have."""
    graph = getattr(space, "graph", None)
    if graph is None:
        from zeronas.spaces import SPACES, get_space

        having = [n for n in SPACES.names() if hasattr(get_space(n), "graph")]
        raise ZeroNASError(
            f"int8 SRAM and flash need a space that lays out its int8 graph; {space.name!r} "
            f"does not (spaces that do: {', '.join(having)})"
        )
    return graph(arch, dataset.num_classes, dataset.input_shape)


class CostModel:
    """``model(arch, names)`` -> {name: cost} for the cost ``names`` (module docstring);
    every value is remembered per architecture, so a cost is computed (or measured) once."""

    def __init__(
        self, space: SearchSpace, dataset: DatasetSpec, latency_table: str | None = None
    ) -> None:
        self.space, self.dataset = space, dataset
        self.table: LatencyTable | BlockLatencyTable | None = None
        if latency_table is not None:
            self.table = open_latency_table(latency_table)
            self.table.check_space(space)
        self._known: dict[Hashable, dict[str, float]] = {}
        self._graph: tuple[Hashable, LayerGraph] | None = None  # the last arch's int8 graph

    def __call__(self, arch: Hashable, names: Iterable[str]) -> dict[str, float]:
        known = self._known.setdefault(arch, {})
        missing = [n for n in check_costs(names) if n not in known]
        if missing:
            known.update(self._compute(arch, missing))
        return {n: known[n] for n in names}

    def _int8_graph(self, arch: Hashable) -> LayerGraph:
        """``arch``'s layer graph, built once for its size and its int8 costs (a limit
        checker asks for those one after the other)."""
        if self._graph is None or self._graph[0] != arch:
            self._graph = arch, int8_graph(self.space, arch, self.dataset)
        return self._graph[1]

    def _compute(self, arch: Hashable, names: list[str]) -> dict[str, float]:
        shape, classes = self.dataset.input_shape, self.dataset.num_classes
        out: dict[str, float] = {}
        formula = getattr(self.space, "costs", None)
        net: nn.Module | None = None
        if {"params", "macs", "flops", "size_kib"} & set(names):
            compute = {"macs", "flops"} & set(names)
            if getattr(self.space, "graph", None) is not None:  # its counts are the module's
                graph = self._int8_graph(arch)
                params, macs = graph.params, graph.macs
            elif formula is not None:
                params, macs = formula(arch, classes, shape)
            else:  # shapes only; FLOPs counted only when asked for
                with torch.device("meta"):
                    meta = self.space.build(arch, classes, shape)
                params = count_params(meta)
                macs = count_flops(meta, shape) // 2 if compute else None
            out |= {"params": params / 1e6, "size_kib": params * 4 / 1024}
            if macs is not None:
                out |= {"macs": macs / 1e6, "flops": 2 * macs / 1e6}
        if "latency_ms" in names and self.table is not None:
            out["latency_ms"] = self.table.latency(self.space, arch, self.dataset)
        elif "latency_ms" in names:
            net = self.space.build(arch, classes, shape)
            out["latency_ms"] = measure_eager_ms(net, shape)
        if set(INT8_COSTS) & set(names):
            footprint = int8_footprint(self._int8_graph(arch))
            out |= {"sram_kib": footprint.arena / 1024, "flash_kib": footprint.flash / 1024}
        if "peak_memory_kib" in names:
            net = net if net is not None else self.space.build(arch, classes, shape)
            out["peak_memory_kib"] = peak_activation_bytes(net, shape) / 1024
        return out
