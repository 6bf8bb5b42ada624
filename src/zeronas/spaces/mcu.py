"""A staged mobile space for microcontrollers, in the manner of MCUNet (Lin et al. 2020) and
ProxylessNAS (Cai et al. 2019): the input resolution, a width multiplier, a stem, 1-7
stages of inverted-residual or basic-residual blocks with non-decreasing widths (depth,
kernel, expansion and first stride per stage) and an optional 1x1 head
(:mod:`zeronas.models.staged`). MCUNet's finding: under a memory limit the resolution
matters as much as the network, so it is searched with it.

Arch strings: a global token ``rR_wW_cC_sS`` (resolution, width multiplier, stem channels
and stride), the stages ``ir_dD_kK_eE_cC_sS`` or ``res_dD_kK_cC_sS``, and the head ``hH``
(0: none), joined by ``-``. Channels are before the multiplier (scaled channels are
rounded to a multiple of 8, MobileNet's rule). MLPerf Tiny's ResNet-8 is
``r32_w1.00_c16_s1-res_d1_k3_c16_s1-res_d1_k3_c32_s2-res_d1_k3_c64_s2-h0``
(:data:`RESNET8`); :data:`MOBILENETV2` is MobileNetV2's stage table with CIFAR strides.

Any such string builds; the space's own draws (sample, mutate, crossover) keep to the
``standard`` schedule of ResNet (He et al. 2016: "when the feature map size is halved, the
number of filters is doubled") and MobileNetV2 (widths grow at every stride-2 stage): a
stride-2 stage is wider than the layer before it, and the last feature map is at most
:data:`FINAL_SIDE` pixels wide (ResNet / MobileNet end at 8 x 8 on CIFAR, 7 x 7 on
ImageNet). ``schedule="free"`` draws without these rules (the space until December 2026).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np
from torch import nn

from zeronas.errors import ArchError
from zeronas.models.graph import LayerGraph
from zeronas.models.staged import (
    STAGE_TYPES,
    StagedLayout,
    StagedNetwork,
    StageSpec,
    staged_graph,
)
from zeronas.spaces.base import SearchSpace, register_space

__all__ = [
    "CHANNELS", "EXPANSIONS", "FINAL_SIDE", "HEADS", "KERNELS", "MOBILENETV2", "RESNET8",
    "SCHEDULES", "WIDTHS", "StagedArch", "MCUSpace", "scaled_channels", "schedule_error",
]  # fmt: skip

KERNELS = (3, 5, 7)
EXPANSIONS = (1, 2, 3, 4, 6)
CHANNELS = (8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320)
HEADS = (0, 128, 256, 512, 1024, 1280)
WIDTHS = (0.25, 0.35, 0.5, 0.75, 1.0, 1.25, 1.5)
DEPTHS = (1, 2, 3, 4)
MIN_STAGES, MAX_STAGES = 1, 7
#: at most this many stride-2 layers (stem included): 32 -> 1 pixel
MAX_STRIDED = 5
RESOLUTION_RANGE = (8, 512)
#: the standard schedule's widest last feature map (pixels), unless 5 stride-2 layers
#: cannot get the resolution there
FINAL_SIDE = 8
SCHEDULES = ("standard", "free")

RESNET8 = "r32_w1.00_c16_s1-res_d1_k3_c16_s1-res_d1_k3_c32_s2-res_d1_k3_c64_s2-h0"
MOBILENETV2 = (
    "r32_w1.00_c32_s1-ir_d1_k3_e1_c16_s1-ir_d2_k3_e6_c24_s1-ir_d3_k3_e6_c32_s2-"
    "ir_d4_k3_e6_c64_s2-ir_d3_k3_e6_c96_s1-ir_d3_k3_e6_c160_s2-ir_d1_k3_e6_c320_s1-h1280"
)

_GLOBAL_RE = re.compile(r"^r(?P<r>\d+)_w(?P<w>\d+(?:\.\d+)?)_c(?P<c>\d+)_s(?P<s>\d+)$")
_STAGE_RE = re.compile(
    r"^(?P<t>[a-z]+)_d(?P<d>\d+)_k(?P<k>\d+)(?:_e(?P<e>\d+))?_c(?P<c>\d+)_s(?P<s>\d+)$"
)
_HEAD_RE = re.compile(r"^h(?P<h>\d+)$")


def scaled_channels(channels: int, width: float) -> int:
    """``channels x width`` rounded to a multiple of 8 (at least 8, never 10 % below)."""
    value = channels * width
    rounded = max(8, int(value + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * value else rounded


def _allowed(what: str, value: object, values: tuple, where: str) -> None:
    if value not in values:
        raise ArchError(f"{where} has {what} {value!r}; allowed: {', '.join(map(str, values))}")


@dataclass(frozen=True)
class StagedArch:
    """Resolution, width multiplier, stem (channels, stride), stages and head channels."""

    resolution: int
    width: float
    stem_channels: int
    stem_stride: int
    stages: tuple[StageSpec, ...]
    head: int

    def __post_init__(self) -> None:
        low, high = RESOLUTION_RANGE
        if not (isinstance(self.resolution, int) and low <= self.resolution <= high):
            raise ArchError(
                f"resolution must be an integer in [{low}, {high}], got {self.resolution!r}"
            )
        _allowed("width multiplier", self.width, WIDTHS, "the arch")
        _allowed("stem channels", self.stem_channels, CHANNELS, "the stem")
        _allowed("stem stride", self.stem_stride, (1, 2), "the stem")
        _allowed("head channels", self.head, HEADS, "the head")
        if not MIN_STAGES <= len(self.stages) <= MAX_STAGES:
            raise ArchError(f"an arch has {MIN_STAGES}-{MAX_STAGES} stages, got {len(self.stages)}")
        previous = self.stem_channels
        for i, stage in enumerate(self.stages, 1):
            where = f"stage {i} ({_stage_text(stage)})"
            _allowed("type", stage.type, tuple(STAGE_TYPES), where)
            _allowed("depth", stage.depth, DEPTHS, where)
            _allowed("kernel", stage.kernel, KERNELS, where)
            _allowed(
                "expansion", stage.expansion, EXPANSIONS if stage.type == "ir" else (0,), where
            )
            _allowed("channels", stage.channels, CHANNELS, where)
            _allowed("stride", stage.stride, (1, 2), where)
            if stage.channels < previous and i > 1:
                raise ArchError(
                    f"{where} narrows from {previous} to {stage.channels} channels: stage "
                    "widths never decrease"
                )
            previous = stage.channels
        strided = (self.stem_stride == 2) + sum(s.stride == 2 for s in self.stages)
        if strided > MAX_STRIDED:
            raise ArchError(f"at most {MAX_STRIDED} stride-2 layers (stem included), got {strided}")

    def __str__(self) -> str:
        head = f"r{self.resolution}_w{self.width:.2f}_c{self.stem_channels}_s{self.stem_stride}"
        return "-".join([head, *map(_stage_text, self.stages), f"h{self.head}"])

    @property
    def widths(self) -> tuple[int, ...]:
        """The stages' channels after the width multiplier."""
        return tuple(scaled_channels(s.channels, self.width) for s in self.stages)

    @property
    def stem(self) -> tuple[int, int, int]:
        """(channels after the multiplier, kernel, stride)."""
        return scaled_channels(self.stem_channels, self.width), 3, self.stem_stride

    @property
    def layout(self) -> StagedLayout:
        """The network it builds (:mod:`zeronas.models.staged`)."""
        return StagedLayout(self.resolution, self.stem, self.stages, self.widths, self.head)


def _stage_text(s: StageSpec) -> str:
    expansion = f"_e{s.expansion}" if s.type == "ir" else ""
    return f"{s.type}_d{s.depth}_k{s.kernel}{expansion}_c{s.channels}_s{s.stride}"


def min_strided(resolution: int) -> int:
    """The fewest stride-2 layers that bring ``resolution`` to :data:`FINAL_SIDE` or below
    (at most :data:`MAX_STRIDED`)."""
    return next(
        (n for n in range(MAX_STRIDED + 1) if math.ceil(resolution / 2**n) <= FINAL_SIDE),
        MAX_STRIDED,
    )


def schedule_error(arch: StagedArch) -> str | None:
    """Why ``arch`` leaves the standard schedule (module docstring), or None."""
    previous = arch.stem_channels
    for i, stage in enumerate(arch.stages, 1):
        if stage.stride == 2 and stage.channels <= previous:
            return (
                f"stage {i} ({_stage_text(stage)}) halves the feature map without widening "
                f"({previous} -> {stage.channels} channels)"
            )
        previous = stage.channels
    strided = (arch.stem_stride == 2) + sum(s.stride == 2 for s in arch.stages)
    if strided < min_strided(arch.resolution):
        side = math.ceil(arch.resolution / 2**strided)
        return (
            f"the last feature map is {side} x {side} (resolution {arch.resolution}, "
            f"{strided} stride-2 layers); the standard schedule ends at {FINAL_SIDE} x "
            f"{FINAL_SIDE} or below"
        )
    return None


def parse_staged(text: str) -> StagedArch:
    """An arch string (module docstring), naming the first bad part."""
    if not isinstance(text, str) or not text.strip():
        raise ArchError(f"empty mcu arch string: {text!r}")
    parts = text.strip().split("-")
    if len(parts) < 3:
        raise ArchError(
            f"mcu arch {text!r} needs a global token, 1-7 stages and a head, e.g. {RESNET8}"
        )
    top, head = _GLOBAL_RE.match(parts[0]), _HEAD_RE.match(parts[-1])
    if top is None:
        raise ArchError(
            f"malformed global token {parts[0]!r}: expected rR_wW_cC_sS, e.g. r32_w1.00_c16_s1"
        )
    if head is None:
        raise ArchError(f"malformed head {parts[-1]!r}: expected hH (h0: no head), e.g. h1280")
    stages = []
    for part in parts[1:-1]:
        match = _STAGE_RE.match(part)
        if match is None:
            raise ArchError(
                f"malformed stage {part!r}: expected ir_dD_kK_eE_cC_sS or res_dD_kK_cC_sS"
            )
        if match["t"] not in STAGE_TYPES:
            raise ArchError(f"unknown stage type {match['t']!r} in {part!r}; allowed: ir, res")
        if (match["e"] is None) != (match["t"] == "res"):
            raise ArchError(f"stage {part!r}: ir stages have an expansion _eE, res stages none")
        expansion = int(match["e"]) if match["e"] is not None else 0
        stages.append(
            StageSpec(
                match["t"],
                int(match["d"]),
                int(match["k"]),
                expansion,
                int(match["c"]),
                int(match["s"]),
            )  # fmt: skip
        )
    width = float(top["w"])
    return StagedArch(
        int(top["r"]), width, int(top["c"]), int(top["s"]), tuple(stages), int(head["h"])
    )


@register_space
class MCUSpace(SearchSpace):
    """MCUNet-style staged space: resolution, width, stages of ir / res blocks, head."""

    name = "mcu"
    description = (
        "Microcontroller: resolution, width x, 1-7 stages of ir / res blocks (depth 1-4, "
        "k 3/5/7, e 1-6), non-decreasing widths that grow at each stride 2, optional head"
    )
    size = None
    activations = (nn.ReLU,)
    #: chosen on this space by the picks of short-trained searches (zeronas.proxies.mcu_size)
    search_proxies = "mcu_jacob_params"

    def __init__(self, resolutions: str = "24,28,32,40,48", schedule: str = "standard") -> None:
        if schedule not in SCHEDULES:
            raise ArchError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
        self.resolutions, self.schedule = resolutions, schedule
        try:
            self._resolutions = tuple(sorted({int(r) for r in str(resolutions).split(",")}))
        except ValueError as exc:
            raise ArchError(
                f"resolutions must be integers joined by commas, got {resolutions!r}"
            ) from exc
        for r in self._resolutions:
            StagedArch(r, 1.0, 16, 1, (StageSpec("res", 1, 3, 0, 16, 1),), 0)  # checks r

    # -- sampling -------------------------------------------------------------------------
    def _stage(self, rng: np.random.Generator, channels: int, stride: int) -> StageSpec:
        kind = str(rng.choice(list(STAGE_TYPES)))
        expansion = int(rng.choice(EXPANSIONS)) if kind == "ir" else 0
        depth, kernel = int(rng.choice(DEPTHS)), int(rng.choice(KERNELS))
        return StageSpec(kind, depth, kernel, expansion, channels, stride)

    def sample(self, rng: np.random.Generator) -> StagedArch:
        """Every field uniform; the stage count uniform in 1-7, their widths a sorted
        uniform draw, the stride-2 layers a uniform subset of at most 5 (stem included).
        The standard schedule draws the resolution first, then the count and the stride-2
        layers from those that reach :data:`FINAL_SIDE`, and the widths again until each
        stride-2 stage widens."""
        if self.schedule == "free":
            return self._free_sample(rng)
        resolution = int(rng.choice(self._resolutions))
        fewest = min_strided(resolution)
        count = int(rng.integers(max(MIN_STAGES, fewest - 1), MAX_STAGES + 1))
        strided = int(rng.integers(fewest, min(MAX_STRIDED, count + 1) + 1))
        where = set(rng.choice(count + 1, size=strided, replace=False).tolist())
        while True:  # a strict rise is needed at <= 5 of 8 places among 14 values: ~2 tries
            channels = sorted(int(c) for c in rng.choice(CHANNELS, size=count + 1))
            if all(channels[i] > channels[i - 1] for i in where if i > 0):
                break
        stages = tuple(
            self._stage(rng, channels[i + 1], 2 if i + 1 in where else 1) for i in range(count)
        )
        return StagedArch(
            resolution, float(rng.choice(WIDTHS)), channels[0], 2 if 0 in where else 1,
            stages, int(rng.choice(HEADS)),
        )  # fmt: skip

    def _free_sample(self, rng: np.random.Generator) -> StagedArch:
        count = int(rng.integers(MIN_STAGES, MAX_STAGES + 1))
        channels = sorted(int(c) for c in rng.choice(CHANNELS, size=count + 1))
        strided = int(rng.integers(0, min(MAX_STRIDED, count + 1) + 1))
        where = set(rng.choice(count + 1, size=strided, replace=False).tolist())
        stages = tuple(
            self._stage(rng, channels[i + 1], 2 if i + 1 in where else 1) for i in range(count)
        )
        return StagedArch(
            int(rng.choice(self._resolutions)), float(rng.choice(WIDTHS)), channels[0],
            2 if 0 in where else 1, stages, int(rng.choice(HEADS)),
        )  # fmt: skip

    def _kept(self, arch: StagedArch) -> StagedArch:
        """``arch``, or an ArchError when the space's schedule excludes it."""
        reason = schedule_error(arch) if self.schedule == "standard" else None
        if reason is not None:
            raise ArchError(f"{arch} leaves the standard schedule: {reason}")
        return arch

    def mutate(self, arch: StagedArch, rng: np.random.Generator) -> StagedArch:
        """One change: the resolution, the width, the stem, the head, one field of one
        stage, a stage added (a copy of a neighbour) or a stage removed; drawn until the
        child is valid and differs."""
        for _ in range(200):
            try:
                child = self._kept(self._mutation(arch, rng))
            except ArchError:
                continue
            if child != arch:
                return child
        raise ArchError(f"no valid mutation of {arch} found in 200 tries")

    def _mutation(self, arch: StagedArch, rng: np.random.Generator) -> StagedArch:
        move = str(rng.choice(["resolution", "width", "stem", "head", "stage", "add", "drop"]))
        stages = list(arch.stages)
        if move == "resolution":
            return replace(arch, resolution=int(rng.choice(self._resolutions)))
        if move == "width":
            return replace(arch, width=float(rng.choice(WIDTHS)))
        if move == "stem":
            if rng.random() < 0.5:
                return replace(arch, stem_channels=int(rng.choice(CHANNELS)))
            return replace(arch, stem_stride=3 - arch.stem_stride)
        if move == "head":
            return replace(arch, head=int(rng.choice(HEADS)))
        i = int(rng.integers(len(stages)))
        if move == "add":
            stages.insert(i + 1, replace(stages[i], stride=1))
        elif move == "drop":
            del stages[i]
        else:
            stages[i] = self._change_stage(stages[i], rng)
        return replace(arch, stages=tuple(stages))

    def _change_stage(self, stage: StageSpec, rng: np.random.Generator) -> StageSpec:
        field = str(rng.choice(["type", "depth", "kernel", "expansion", "channels", "stride"]))
        if field == "type":
            kind = "res" if stage.type == "ir" else "ir"
            return replace(
                stage, type=kind, expansion=0 if kind == "res" else int(rng.choice(EXPANSIONS))
            )
        if field == "expansion" and stage.type == "res":
            field = "kernel"
        options = {"depth": DEPTHS, "kernel": KERNELS, "expansion": EXPANSIONS,
                   "channels": CHANNELS, "stride": (1, 2)}[field]  # fmt: skip
        return replace(stage, **{field: int(rng.choice(options))})

    def crossover(self, a: StagedArch, b: StagedArch, rng: np.random.Generator) -> StagedArch:
        """Each global field from ``a`` or ``b``; the stages one-point crossed (a's head,
        b's tail); drawn until the child is valid, else ``a``."""
        for _ in range(100):
            pick = [a if rng.random() < 0.5 else b for _ in range(5)]
            cut_a = int(rng.integers(1, len(a.stages) + 1))
            cut_b = int(rng.integers(0, len(b.stages)))
            try:
                return self._kept(
                    StagedArch(
                        pick[0].resolution,
                        pick[1].width,
                        pick[2].stem_channels,
                        pick[3].stem_stride,
                        a.stages[:cut_a] + b.stages[cut_b:],
                        pick[4].head,
                    )  # fmt: skip
                )
            except ArchError:
                continue
        return a

    # -- strings, networks, costs ---------------------------------------------------------
    def encode(self, arch: StagedArch) -> str:
        return str(arch)

    def decode(self, text: str) -> StagedArch:
        return parse_staged(text)

    def _check(self, arch: object) -> StagedArch:
        if not isinstance(arch, StagedArch):
            raise ArchError(f"space 'mcu' builds StagedArch values, got {arch!r}")
        return arch

    def build(
        self, arch: StagedArch, num_classes: int, input_shape: tuple[int, int, int] = (3, 32, 32)
    ) -> nn.Module:
        arch = self._check(arch)
        net = StagedNetwork(arch.layout, num_classes, input_shape[0])
        net.arch = arch
        return net

    def graph(
        self, arch: StagedArch, num_classes: int, input_shape: tuple[int, int, int]
    ) -> LayerGraph:
        """The network's layers as the int8 TFLite converter lays them out (NHWC tensors,
        ops in execution order, constants), with the module's parameters and MACs."""
        arch = self._check(arch)
        return staged_graph(arch.layout, num_classes, input_shape)

    def costs(
        self, arch: StagedArch, num_classes: int, input_shape: tuple[int, int, int]
    ) -> tuple[int, int]:
        """(parameters, MACs) from the layer graph (microseconds, no module built)."""
        graph = self.graph(arch, num_classes, input_shape)
        return graph.params, graph.macs
