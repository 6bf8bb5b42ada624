"""A per-block latency lookup table of the ``blocks`` space, measured on the
machine where it is built (the user builds it on the target device) with ONNX Runtime
(:mod:`zeronas.latency`), and a network's latency predicted as the sum of its parts, as
Once-for-All's and ProxylessNAS's lookup tables do.

Parts: the stem (conv 3x3 stride 2, BN, ReLU6 on the image), every block type x kernel x
stride x expansion x (input, output) channel pair x input size that the space can produce
(input sizes: the stem's output halved by up to 4 stride-2 blocks) and the head (conv 1x1,
BN, ReLU6, pool, linear) at every size. One CSV row per part:
``part, type, kernel, stride, expansion, c_in, c_out, height, width, classes, latency_ms``;
building appends row by row and skips rows already there, so a killed build resumes.

A plain sum counts the runtime's fixed cost of one call (binding inputs, launching the
graph: tens of microseconds, as much as a small block) once per part; the table therefore
also holds that cost (``part`` = ``overhead``: an identity model on the image), and the
prediction is Σ (part − overhead) + overhead. What a whole network's run shares beyond that
(caches warm from the previous layer, fused boundaries) is not modelled, so predictions are
checked against measured whole networks (:func:`check_table`: median and 90th-percentile
relative error).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path

import numpy as np
from torch import nn

from zeronas.data.tasks import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.hardware.latency import measure_onnx_ms
from zeronas.models.blocks import _BLOCKS, BlockSpec, ConvBNAct
from zeronas.spaces.base import SearchSpace
from zeronas.spaces.blocks import (
    CHANNELS,
    EXPANSIONS,
    KERNELS,
    MAX_STRIDED,
    STRIDES,
    BlockArch,
    BlockSpace,
    _out_size,
)

__all__ = ["COLUMNS", "BlockLatencyTable", "table_parts", "build_table", "check_table"]

COLUMNS = ("part", "type", "kernel", "stride", "expansion", "c_in", "c_out", "height",
           "width", "classes")  # fmt: skip
Key = tuple  # one row's COLUMNS values (strings and ints)


def _sizes(height: int, width: int, halvings: int) -> list[tuple[int, int]]:
    sizes = [(_out_size(height, 2), _out_size(width, 2))]
    for _ in range(halvings):
        h, w = sizes[-1]
        sizes.append((_out_size(h, 2), _out_size(w, 2)))
    return sizes


def _block_key(spec: BlockSpec, c_in: int, size: tuple[int, int]) -> Key:
    return ("block", spec.type, spec.kernel, spec.stride, spec.expansion, c_in, spec.channels,
            *size, 0)  # fmt: skip


def _overhead_key(shape: tuple[int, int, int]) -> Key:
    return ("overhead", "", 0, 0, 0, shape[0], shape[0], shape[1], shape[2], 0)


def _stem_key(space: BlockSpace, shape: tuple[int, int, int]) -> Key:
    return ("stem", "", 3, 2, 0, shape[0], space.stem_channels, shape[1], shape[2], 0)


def _head_key(space: BlockSpace, width: int, size: tuple[int, int], classes: int) -> Key:
    return ("head", "", 1, 1, 0, width, space.head_channels, *size, classes)


def table_parts(
    space: BlockSpace,
    dataset: DatasetSpec,
    types: tuple[str, ...] = ("ir", "ds", "cn"),
    kernels: tuple[int, ...] = KERNELS,
    expansions: tuple[int, ...] = EXPANSIONS,
    channels: tuple[int, ...] = CHANNELS,
) -> list[Key]:
    """Every part a network of ``space`` on ``dataset`` can contain (restricted to the given
    types, kernels, expansions and channels: a smaller table for tests or a narrowed
    space)."""
    grid = {"types": (types, ("ir", "ds", "cn")), "kernels": (kernels, KERNELS),
            "expansions": (expansions, EXPANSIONS), "channels": (channels, CHANNELS)}  # fmt: skip
    for name, (given, allowed) in grid.items():
        unknown = [v for v in given if v not in allowed]
        if unknown or not given:
            raise ZeroNASError(
                f"--{name} must be some of {', '.join(map(str, allowed))}; got "
                f"{', '.join(map(str, given)) or 'none'}"
            )
    shape, classes = dataset.input_shape, dataset.num_classes
    sizes = _sizes(shape[1], shape[2], MAX_STRIDED)
    inputs = sorted({space.stem_channels, *channels})
    parts: list[Key] = [_overhead_key(shape), _stem_key(space, shape)]
    for kind, kernel, stride in itertools.product(types, kernels, STRIDES):
        reachable = sizes if stride == 1 else sizes[:MAX_STRIDED]
        for expansion in (0,) if kind == "ds" else expansions:
            for c_in, c_out, size in itertools.product(inputs, channels, reachable):
                spec = BlockSpec(kind, kernel, stride, expansion, c_out)
                parts.append(_block_key(spec, c_in, size))
    parts += [_head_key(space, c, size, classes) for c in inputs for size in sizes]
    return parts


def _module(space: BlockSpace, key: Key) -> tuple[nn.Module, tuple[int, int, int]]:
    part, kind, kernel, stride, expansion, c_in, c_out, height, width, classes = key
    if part == "overhead":
        return nn.Identity(), (c_in, height, width)
    if part == "stem":
        return ConvBNAct(c_in, c_out, 3, 2), (c_in, height, width)
    if part == "head":
        head = nn.Sequential(
            ConvBNAct(c_in, c_out), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_out, classes)
        )
        return head, (c_in, height, width)
    spec = BlockSpec(kind, kernel, stride, expansion, c_out)
    return _BLOCKS[kind](c_in, spec), (c_in, height, width)


def _read(path: Path, column: str) -> dict[Key, float]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (*COLUMNS, column) if c not in (reader.fieldnames or [])]
        if missing:
            raise ZeroNASError(
                f"{str(path)!r} is not a block latency table: no column {', '.join(missing)}"
            )
        rows = {}
        for line, row in enumerate(reader, start=2):
            try:
                key = tuple(row[c] if c in ("part", "type") else int(row[c]) for c in COLUMNS)
                rows[key] = float(row[column])
            except ValueError:
                raise ZeroNASError(f"line {line} of {str(path)!r} has a non-number") from None
    return rows


def build_table(
    path: Path,
    space: BlockSpace,
    parts: list[Key],
    threads: int = 1,
    repeats: int = 30,
    on_part: Callable[[int, int], None] | None = None,
) -> int:
    """Measure every part of ``parts`` not yet in the CSV at ``path`` (column
    ``latency_ms``) and append it; returns how many were measured. ``on_part(done, total)``
    reports progress."""
    done = _read(path, "latency_ms") if path.exists() else {}
    todo = [p for p in parts if p not in done]
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow([*COLUMNS, "latency_ms"])
        for count, key in enumerate(todo, start=1):
            module, shape = _module(space, key)
            measured = measure_onnx_ms(module, shape, threads, 5, repeats)
            writer.writerow([*key, f"{measured.median_ms:.6f}"])
            handle.flush()
            if on_part is not None:
                on_part(len(parts) - len(todo) + count, len(parts))
    return len(todo)


class BlockLatencyTable:
    """``PATH:COLUMN`` of a per-block table: a ``blocks`` network's latency is the sum of
    its stem, blocks and head entries (module docstring)."""

    def __init__(self, path: Path, column: str, spec: str) -> None:
        self.path, self.column, self.spec = path, column, spec
        self.rows = _read(path, column)
        self.device = column.removesuffix("_ms")

    def check_space(self, space: SearchSpace) -> None:
        if not isinstance(space, BlockSpace):
            raise ZeroNASError(
                f"{str(self.path)!r} is a per-block table of the 'blocks' space; space "
                f"{space.name!r} needs a table with an 'index' column"
            )

    def parts(self, space: BlockSpace, arch: BlockArch, dataset: DatasetSpec) -> Iterator[Key]:
        shape = dataset.input_shape
        yield _stem_key(space, shape)
        size, width = (_out_size(shape[1], 2), _out_size(shape[2], 2)), space.stem_channels
        for spec in arch.blocks:
            yield _block_key(spec, width, size)
            size = (_out_size(size[0], spec.stride), _out_size(size[1], spec.stride))
            width = spec.channels
        yield _head_key(space, width, size, dataset.num_classes)

    def latency(self, space: SearchSpace, arch: Hashable, dataset: DatasetSpec) -> float:
        """Σ (part − overhead) + overhead over ``arch``'s parts on ``dataset``'s input."""
        overhead = self._entry(_overhead_key(dataset.input_shape))
        parts = list(self.parts(space, arch, dataset))  # type: ignore[arg-type]
        return sum(self._entry(key) - overhead for key in parts) + overhead

    def _entry(self, key: Key) -> float:
        if key not in self.rows:
            part = dict(zip(COLUMNS, key, strict=True))
            raise ZeroNASError(
                f"block latency table {str(self.path)!r} has no entry for {part}: build it "
                "for this space and dataset (zeronas latency build-table)"
            )
        return self.rows[key]


def check_table(
    table: BlockLatencyTable,
    space: BlockSpace,
    dataset: DatasetSpec,
    networks: int = 50,
    seed: int = 0,
    threads: int = 1,
    repeats: int = 30,
    on_network: Callable[[int, int], None] | None = None,
    archs: list[BlockArch] | None = None,
) -> dict[str, float]:
    """Relative error |prediction − measured| / measured over ``networks`` random networks
    (the space's sampler, seeded; or the given ``archs``) measured whole: median, 90th
    percentile, and the mean signed error (prediction / measured − 1)."""
    rng = np.random.default_rng(seed)
    if archs is None:
        archs = [space.sample(rng) for _ in range(networks)]
    errors, signed = [], []
    networks = len(archs)
    for i, arch in enumerate(archs):
        predicted = table.latency(space, arch, dataset)
        net = space.build(arch, dataset.num_classes, dataset.input_shape)
        measured = measure_onnx_ms(net, dataset.input_shape, threads, 5, repeats).median_ms
        errors.append(abs(predicted - measured) / measured)
        signed.append(predicted / measured - 1)
        if on_network is not None:
            on_network(i + 1, networks)
    return {
        "networks": networks,
        "median_relative_error": float(np.median(errors)),
        "p90_relative_error": float(np.percentile(errors, 90)),
        "mean_signed_error": float(np.mean(signed)),
    }
