"""Hardware limits (Singh): hard limits checked before any proxy runs, cheapest
first, and a space wrapper that only proposes architectures within them.

Order of the checks, each only when its limit is set: parameters and multiply-accumulates
(from the space's ``costs`` formula when it has one, e.g. the block space: microseconds, no
module built; else from a module built on the ``meta`` device, shapes only), model size
(float32 parameter bytes), the int8 network's TFLite Micro arena and flash (from the
space's layer graph, :mod:`zeronas.hardware.int8_memory`: about 0.1 ms), peak activation
memory (one eager forward of one image, see
:mod:`zeronas.proxies.memory`) and latency (measured here: a warm-up, then the median of
several single-image forwards), or, with a latency table, the table's value for the
device (looked up by index, right after the size checks).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from zeronas.data.tasks import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.hardware.costs import CostModel, measure_eager_ms
from zeronas.hardware.mcus import MCUS, get_mcu
from zeronas.params import check_settings, positive_or_none, setting
from zeronas.spaces.base import SearchSpace

__all__ = [
    "Limits",
    "LimitChecker",
    "LimitedSpace",
    "NoArchitectureWithinLimits",
    "measure_eager_ms",
]

_LIMITS = (
    "max_params",
    "max_flops",
    "max_macs",
    "max_size_kib",
    "max_peak_memory_kib",
    "max_sram_kib",
    "max_flash_kib",
    "max_latency_ms",
)


def _known_mcu(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in MCUS)


def _limit(flag: str, help: str) -> float | None:  # noqa: A002 -- the command line's word
    """A limit's declaration: unset by default, else a positive number."""
    return setting(None, allowed="a positive number", check=positive_or_none, flag=flag, help=help)


@dataclass(frozen=True)
class Limits:
    """Hard limits, ``None`` = no limit: parameters (M), FLOPs (M, 2 per MAC as
    ``torch.utils.flop_counter`` counts), multiply-accumulates (M, NATS-Bench's and thop's
    "FLOPs"), model size (KiB of float32 parameters), peak activation memory (KiB, the MCU RAM
    bound) and latency (ms per image, measured on this machine)."""

    max_params: float | None = _limit(
        "--max-params",
        "Reject networks above this many M params (blocks space: 2.5).",
    )  # fmt: skip
    max_flops: float | None = _limit(
        "--max-flops",
        "Reject above this many M FLOPs (2 per MAC).",
    )  # fmt: skip
    max_macs: float | None = _limit(
        "--max-macs",
        "Reject above this many M MACs (NATS 'FLOPs'; blocks space: 200).",
    )  # fmt: skip
    max_size_kib: float | None = _limit(
        "--max-size-kib",
        "Reject above this many KiB of float32 parameters.",
    )  # fmt: skip
    max_peak_memory_kib: float | None = _limit(
        "--max-peak-memory-kib",
        "Reject above this many KiB of live float32 activations in one eager forward.",
    )  # fmt: skip
    max_sram_kib: float | None = _limit(
        "--max-sram-kib",
        "Reject above this many KiB of TFLite Micro arena for the int8 network (planned "
        "as its runtime plans it, from the layer graph: spaces with one, e.g. mcu).",
    )  # fmt: skip
    max_flash_kib: float | None = _limit(
        "--max-flash-kib",
        "Reject above this many KiB of int8 .tflite (weights, int32 biases, scales, format).",
    )  # fmt: skip
    #: a preset of :mod:`zeronas.hardware.mcus`: its budgets fill the SRAM and flash limits
    #: left unset
    mcu: str | None = setting(
        None, allowed=f"one of {', '.join(MCUS)}", check=_known_mcu, flag="--mcu",
        help="A microcontroller preset (zeronas mcus): its SRAM and flash less reserves "
        "become --max-sram-kib / --max-flash-kib where those are unset.",
    )  # fmt: skip
    max_latency_ms: float | None = _limit(
        "--max-latency-ms",
        "Reject above this latency (ms per image): measured here (median after a "
        "warm-up), or the --latency-table device's.",
    )  # fmt: skip
    #: ``PATH:COLUMN`` of a device's latency table (:mod:`zeronas.hardware.latency_table`):
    #: then ``max_latency_ms`` applies to that device, looked up by index instead of measured.
    latency_table: str | None = setting(
        None, flag="--latency-table",
        help="PATH:COLUMN of a device latency CSV (index + one ms column per device, e.g. "
        "latency_cifar10.csv:raspi4_ms): --max-latency-ms and the latency_ms objective then "
        "read that device.",
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_settings(self)
        if self.mcu is not None:
            preset = get_mcu(self.mcu)
            object.__setattr__(self, "mcu", preset.name)
            if self.max_sram_kib is None:
                object.__setattr__(self, "max_sram_kib", float(preset.max_sram_kib))
            if self.max_flash_kib is None:
                object.__setattr__(self, "max_flash_kib", float(preset.max_flash_kib))
        if self.latency_table is not None:  # alone, it gives a latency cost objective
            object.__setattr__(self, "latency_table", str(self.latency_table))

    @property
    def active(self) -> bool:
        return any(getattr(self, n) is not None for n in _LIMITS)

    @property
    def needs_int8(self) -> bool:
        return self.max_sram_kib is not None or self.max_flash_kib is not None

    @property
    def needs_macs(self) -> bool:
        return self.max_flops is not None or self.max_macs is not None

    def violation(self, params_m: float, macs_m: float | None) -> str | None:
        """Why a network of ``params_m`` M parameters and ``macs_m`` M MACs is rejected."""
        if self.max_params is not None and params_m > self.max_params:
            return f"params {params_m:.4f} M > max {self.max_params:g} M"
        if self.max_size_kib is not None and params_m * 4000 / 1.024 > self.max_size_kib:
            return f"size {params_m * 4000 / 1.024:.1f} KiB > max {self.max_size_kib:g} KiB"
        if macs_m is not None and self.max_macs is not None and macs_m > self.max_macs:
            return f"MACs {macs_m:.3f} M > max {self.max_macs:g} M"
        if macs_m is not None and self.max_flops is not None and 2 * macs_m > self.max_flops:
            return f"FLOPs {2 * macs_m:.3f} M > max {self.max_flops:g} M"
        return None

    def with_defaults(self, defaults: dict[str, float]) -> Limits:
        """A copy where every limit left unset takes its value from ``defaults``."""
        values = {n: getattr(self, n) for n in _LIMITS}
        filled = {n: defaults.get(n) if v is None else v for n, v in values.items()}
        return Limits(**filled, latency_table=self.latency_table, mcu=self.mcu)

    def cost_names(self) -> list[str]:
        """The costs reported for an answer under these limits: parameters, MACs and size
        always; peak memory and latency when a limit on them is in force (or a table)."""
        names = ["params", "macs", "size_kib"]
        if self.max_peak_memory_kib is not None:
            names.append("peak_memory_kib")
        if self.needs_int8:
            names += ["sram_kib", "flash_kib"]
        if self.max_latency_ms is not None or self.latency_table is not None:
            names.append("latency_ms")
        return names

    def describe(self) -> dict[str, float | str | None]:
        limits = {n: getattr(self, n) for n in _LIMITS}
        return {**limits, "latency_table": self.latency_table, "mcu": self.mcu}


class LimitChecker:
    """``checker(arch)`` -> why ``arch`` breaks the limits, or None; remembered per arch.

    ``checked`` / ``rejected`` count distinct architectures; ``reasons`` counts rejections
    by the limit that failed first.
    """

    def __init__(self, limits: Limits, space: SearchSpace, dataset: DatasetSpec):
        self.limits, self.space, self.dataset = limits, space, dataset
        self.model = CostModel(space, dataset, limits.latency_table)
        self.table = self.model.table
        self._verdicts: dict[Hashable, str | None] = {}
        self.reasons: Counter[str] = Counter()

    @property
    def checked(self) -> int:
        return len(self._verdicts)

    @property
    def rejected(self) -> int:
        return sum(self.reasons.values())

    def __call__(self, arch: Hashable) -> str | None:
        if arch not in self._verdicts:
            try:
                verdict = self._check(arch)
            except Exception as exc:  # noqa: BLE001 -- recorded as this arch's rejection
                verdict = f"constraint check failed: {type(exc).__name__}: {exc}"
            self._verdicts[arch] = verdict
            if verdict is not None:
                self.reasons[verdict.split(" ", 1)[0]] += 1
        return self._verdicts[arch]

    def _check(self, arch: Hashable) -> str | None:
        c = self.limits
        if not c.active:
            return None
        sizes = ["params", "macs"] if c.needs_macs else ["params"]
        cost = self.model(arch, sizes)
        reason = c.violation(cost["params"], cost.get("macs"))
        if reason is None and self.table is not None and c.max_latency_ms is not None:
            latency = self.model(arch, ["latency_ms"])["latency_ms"]
            if latency > c.max_latency_ms:
                return (
                    f"latency {latency:.2f} ms > max {c.max_latency_ms:g} ms "
                    f"({self.table.device}, table)"
                )
        if reason is not None:
            return reason
        if c.needs_int8:
            int8 = self.model(arch, ["sram_kib", "flash_kib"])
            if c.max_sram_kib is not None and int8["sram_kib"] > c.max_sram_kib:
                return f"sram {int8['sram_kib']:.1f} KiB > max {c.max_sram_kib:g} KiB (int8 arena)"
            if c.max_flash_kib is not None and int8["flash_kib"] > c.max_flash_kib:
                return f"flash {int8['flash_kib']:.1f} KiB > max {c.max_flash_kib:g} KiB (int8)"
        if c.max_peak_memory_kib is not None:
            peak_kib = self.model(arch, ["peak_memory_kib"])["peak_memory_kib"]
            if peak_kib > c.max_peak_memory_kib:
                return f"peak-memory {peak_kib:.1f} KiB > max {c.max_peak_memory_kib:g} KiB"
        if c.max_latency_ms is not None and self.table is None:
            latency = self.model(arch, ["latency_ms"])["latency_ms"]
            if latency > c.max_latency_ms:
                return f"latency {latency:.2f} ms > max {c.max_latency_ms:g} ms"
        return None

    def describe(self) -> dict[str, object]:
        rate = self.rejected / self.checked if self.checked else 0.0
        return {
            "checked": self.checked,
            "rejected": self.rejected,
            "rejection_rate": rate,
            "reasons": dict(self.reasons),
        }


class NoArchitectureWithinLimits(ZeroNASError):
    """Sampling found no architecture within the limits."""


class LimitedSpace(SearchSpace):
    """``space`` proposing only architectures within ``checker``'s limits: ``sample``,
    ``mutate`` and ``crossover`` draw again until the checker accepts (``sample`` gives up
    after ``max_tries`` draws or ``max_seconds`` with :class:`NoArchitectureWithinLimits`;
    ``mutate`` and ``crossover`` fall back to ``sample`` after 100). Everything else is
    ``space``'s."""

    def __init__(
        self,
        space: SearchSpace,
        checker: LimitChecker,
        max_tries: int = 10_000,
        max_seconds: float = 60.0,
    ) -> None:
        self.inner, self.checker = space, checker
        self.max_tries, self.max_seconds = max_tries, max_seconds
        self.name, self.description, self.size = space.name, space.description, space.size
        self.benchmark_kind, self.final_hp = space.benchmark_kind, space.final_hp
        self.activations, self.default_limits = space.activations, space.default_limits

    def sample(self, rng: np.random.Generator) -> Hashable:
        start, tries = time.perf_counter(), 0
        while tries < self.max_tries and time.perf_counter() - start <= self.max_seconds:
            tries += 1
            arch = self.inner.sample(rng)
            if self.checker(arch) is None:
                return arch
        reasons = ", ".join(f"{k} {v}" for k, v in self.checker.reasons.most_common())
        raise NoArchitectureWithinLimits(
            f"no architecture of {self.name!r} within the limits "
            f"({self.checker.limits.describe()}) in {tries} samples; "
            f"rejections by limit: {reasons}. Loosen a limit."
        )

    def mutate(self, arch: Hashable, rng: np.random.Generator) -> Hashable:
        return self._retry(lambda: self.inner.mutate(arch, rng), rng)

    def crossover(self, a: Hashable, b: Hashable, rng: np.random.Generator) -> Hashable:
        return self._retry(lambda: self.inner.crossover(a, b, rng), rng)

    def _retry(self, propose, rng: np.random.Generator) -> Hashable:
        for _ in range(100):
            arch = propose()
            if self.checker(arch) is None:
                return arch
        return self.sample(rng)

    def encode(self, arch: Hashable) -> str:
        return self.inner.encode(arch)

    def decode(self, text: str) -> Hashable:
        return self.inner.decode(text)

    def build(self, arch: Hashable, num_classes: int, input_shape: tuple[int, int, int]):
        return self.inner.build(arch, num_classes, input_shape)

    def known_index(self, arch: Hashable) -> int | None:
        return self.inner.known_index(arch)

    def index(self, arch: Hashable) -> int:
        return self.inner.index(arch)

    def arch(self, index: int) -> Hashable:
        return self.inner.arch(index)
