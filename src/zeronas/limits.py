"""Hardware limits (DESIGN §2, seed 004): hard limits checked before any proxy runs, cheapest
first, and a space wrapper that only proposes architectures within them.

Order of the checks, each only when its limit is set: parameters and multiply-accumulates
(from the space's ``costs`` formula when it has one, e.g. the block space: microseconds, no
module built; else from a module built on the ``meta`` device, shapes only), model size
(float32 parameter bytes), peak activation memory (one eager forward of one image, see
:mod:`zeronas.proxies.memory`) and latency (measured here: a warm-up, then the median of
several single-image forwards), or, with a latency table, the table's value for the
device (looked up by index, right after the size checks).
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from zeronas.datasets import DatasetSpec
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.latency_table import LatencyTable
from zeronas.proxies.cost import count_flops, count_params
from zeronas.proxies.memory import peak_activation_bytes
from zeronas.spaces.base import SearchSpace

__all__ = [
    "Limits",
    "LimitChecker",
    "LimitedSpace",
    "NoArchitectureWithinLimits",
    "measure_latency_ms",
]

_LIMITS = (
    "max_params",
    "max_flops",
    "max_macs",
    "max_size_kib",
    "max_peak_memory_kib",
    "max_latency_ms",
)


@dataclass(frozen=True)
class Limits:
    """Hard limits, ``None`` = no limit: parameters (M), FLOPs (M, 2 per MAC as
    ``torch.utils.flop_counter`` counts), multiply-accumulates (M, NATS-Bench's and thop's
    "FLOPs"), model size (KiB of float32 parameters), peak activation memory (KiB, the MCU RAM
    bound) and latency (ms per image, measured on this machine)."""

    max_params: float | None = None
    max_flops: float | None = None
    max_macs: float | None = None
    max_size_kib: float | None = None
    max_peak_memory_kib: float | None = None
    max_latency_ms: float | None = None
    #: ``PATH:COLUMN`` of a device's latency table (:mod:`zeronas.latency_table`): then
    #: ``max_latency_ms`` applies to that device, looked up by index instead of measured.
    latency_table: str | None = None

    def __post_init__(self) -> None:
        for name in _LIMITS:
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ParameterError(name, "Limits", "a positive number", value)
        if self.latency_table is not None:
            if self.max_latency_ms is None:
                raise ParameterError("max_latency_ms", "Limits", "set with a latency table",
                                     None)  # fmt: skip
            object.__setattr__(self, "latency_table", str(self.latency_table))

    @property
    def active(self) -> bool:
        return any(getattr(self, n) is not None for n in _LIMITS)

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
        return Limits(**filled, latency_table=self.latency_table)

    def describe(self) -> dict[str, float | str | None]:
        return {**{n: getattr(self, n) for n in _LIMITS}, "latency_table": self.latency_table}


def measure_latency_ms(
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


class LimitChecker:
    """``checker(arch)`` -> why ``arch`` breaks the limits, or None; remembered per arch.

    ``checked`` / ``rejected`` count distinct architectures; ``reasons`` counts rejections
    by the limit that failed first.
    """

    def __init__(self, limits: Limits, space: SearchSpace, dataset: DatasetSpec):
        self.limits, self.space, self.dataset = limits, space, dataset
        self.table: LatencyTable | None = None
        if limits.latency_table is not None:
            self.table = LatencyTable(limits.latency_table)
            self.table.check_space(space)
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
        c, shape, classes = self.limits, self.dataset.input_shape, self.dataset.num_classes
        if not c.active:
            return None
        costs = getattr(self.space, "costs", None)
        if costs is not None:
            params, macs = costs(arch, classes, shape)
        else:
            with torch.device("meta"):
                net = self.space.build(arch, classes, shape)
            params = count_params(net)
            macs = count_flops(net, shape) // 2 if c.needs_macs else None
        reason = c.violation(params / 1e6, None if macs is None else macs / 1e6)
        if reason is None and self.table is not None:  # a lookup: cheaper than any build
            latency = self.table(self.space.index(arch))
            if latency > c.max_latency_ms:  # type: ignore[operator]
                return (
                    f"latency {latency:.2f} ms > max {c.max_latency_ms:g} ms "
                    f"({self.table.device}, table)"
                )
        measured = c.max_latency_ms is not None and self.table is None
        if reason is not None or (c.max_peak_memory_kib is None and not measured):
            return reason
        net = self.space.build(arch, classes, shape)
        if c.max_peak_memory_kib is not None:
            peak_kib = peak_activation_bytes(net, shape) / 1024
            if peak_kib > c.max_peak_memory_kib:
                return f"peak-memory {peak_kib:.1f} KiB > max {c.max_peak_memory_kib:g} KiB"
        if measured:
            latency = measure_latency_ms(net, shape)
            if latency > c.max_latency_ms:
                return f"latency {latency:.2f} ms > max {c.max_latency_ms:g} ms"
        return None

    def costs(self, arch: Hashable) -> dict[str, float]:
        """What ``arch`` costs under these limits: parameters (M), MACs (M) and size (KiB)
        always; peak memory (KiB) and latency (ms; the table's device, or measured here)
        when a limit on them is in force."""
        shape, classes, c = self.dataset.input_shape, self.dataset.num_classes, self.limits
        costs = getattr(self.space, "costs", None)
        net = None
        if costs is not None:
            params, macs = costs(arch, classes, shape)
        else:
            net = self.space.build(arch, classes, shape)
            params, macs = count_params(net), count_flops(net, shape) // 2
        out = {"params_m": params / 1e6, "macs_m": macs / 1e6, "size_kib": params * 4 / 1024}
        if c.max_peak_memory_kib is not None or (c.max_latency_ms is not None and not self.table):
            net = net if net is not None else self.space.build(arch, classes, shape)
        if c.max_peak_memory_kib is not None:
            out["peak_memory_kib"] = peak_activation_bytes(net, shape) / 1024
        if self.table is not None:
            out[f"latency_ms_{self.table.device}"] = self.table(self.space.index(arch))
        elif c.max_latency_ms is not None:
            out["latency_ms"] = measure_latency_ms(net, shape)
        return out

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

    def index(self, arch: Hashable) -> int:
        return self.inner.index(arch)

    def arch(self, index: int) -> Hashable:
        return self.inner.arch(index)
