"""One network's proxies over its initialisations: each pass that a due proxy reads
(:mod:`zeronas.proxies.passes`) runs once for all its readers, then each proxy with a pass
of its own; values, seconds and errors are tallied per proxy."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from zeronas.proxies.base import Proxy
from zeronas.proxies.passes import COMPUTED_PASSES, forward_pass
from zeronas.scoring.records import ProxyValue, failure_text, invalid_value

__all__ = ["PassTally"]


def _run_forward(
    net: nn.Module, x: torch.Tensor, readers: Sequence[Proxy]
) -> list[Callable[[], float]]:
    return forward_pass(net, x, [p.make_reader(x) for p in readers])


def _computed(
    compute: Callable[..., object],
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    readers: Sequence[Proxy],
) -> list[Callable[[], float]]:
    result = compute(net, x, y)
    return [lambda p=p: p.read(result) for p in readers]


class PassTally:
    """Values, seconds and errors of one network's proxies over its initialisations. A shared
    pass's seconds are split evenly among its readers; each reader's own work is its own."""

    def __init__(self, names: Sequence[str]) -> None:
        self.samples: dict[str, list[float]] = {n: [] for n in names}
        self.seconds = dict.fromkeys(names, 0.0)
        self.errors: dict[str, str] = {}

    def due(self, name: str) -> bool:
        return name not in self.errors

    def _keep(self, name: str, run: Callable[[], float]) -> None:
        t0 = time.perf_counter()
        try:
            value = float(run())
        except Exception as exc:  # noqa: BLE001 -- incl. out of memory
            self.errors[name] = failure_text(exc)
            return
        finally:
            self.seconds[name] += time.perf_counter() - t0
        if error := invalid_value(value):
            self.errors[name] = error
        self.samples[name].append(value)

    def shared(self, readers: Sequence[Proxy], run: Callable[..., list], *args: object) -> None:
        t0 = time.perf_counter()
        try:
            finish = run(*args, readers)
        except Exception as exc:  # noqa: BLE001 -- the pass failed for all its readers
            self.errors.update(dict.fromkeys((p.name for p in readers), failure_text(exc)))
            finish = None
        share = (time.perf_counter() - t0) / len(readers)
        for p in readers:
            self.seconds[p.name] += share
        for p, rest in zip(readers, finish or [], strict=False):
            self._keep(p.name, rest)

    def own(self, p: Proxy, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> None:
        self._keep(p.name, lambda: p(net, x, y))

    def run(
        self, net: nn.Module, due: Sequence[Proxy], x: torch.Tensor, y: torch.Tensor | None
    ) -> None:
        """One initialisation of ``net``: each pass that a ``due`` proxy reads runs once for
        all its readers, then each proxy with a pass of its own runs."""
        readers = [p for p in due if p.reads == "forward"]
        if readers:
            self.shared(readers, _run_forward, net, x)
        for name, compute in COMPUTED_PASSES.items():
            readers = [p for p in due if p.reads == name]
            if readers:
                self.shared(readers, _computed, compute, net, x, y)
        for p in due:
            if p.reads not in COMPUTED_PASSES and p.reads != "forward":
                self.own(p, net, x, y)

    def values(self) -> dict[str, ProxyValue]:
        return {
            name: ProxyValue(
                math.nan if name in self.errors else float(np.mean(vals)),
                self.seconds[name],
                self.errors.get(name),
            )
            for name, vals in self.samples.items()
        }
