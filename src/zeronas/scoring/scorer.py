"""The live scorer: build each architecture once, initialise it per repeat, run the passes
its proxies read, and record every value with its seconds, and any failure with its error
instead of a number. It is the :class:`~zeronas.execution.base.Computation` executors run."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from zeronas.data.batch import Batch
from zeronas.data.tasks import DatasetSpec
from zeronas.execution.base import Executor, Task
from zeronas.models.init import check_device, initialise
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS
from zeronas.proxies.base import Proxy, get_proxy
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.records import ArchScores, ProxyValue, failure_text, invalid_value
from zeronas.scoring.reference import reference_archs, reference_stats
from zeronas.scoring.sources import ScoreSource, failed_scores
from zeronas.scoring.tally import PassTally
from zeronas.spaces.base import SearchSpace
from zeronas.store.schema import ScoreKey

__all__ = ["SCORING_VERSION", "Scorer", "hooked_activations"]

#: The scoring core's own version (initialisation, layout, batch placement, passes): part
#: of every store key, bumped when the core changes values for every proxy.
SCORING_VERSION = 2
#: Cost proxies a space's ``costs(arch, classes, shape) -> (params, MACs)`` gives exactly.
COST_FORMULAS = {
    "params": lambda count, _macs: count / 1e6,
    "flops": lambda _count, macs: 2 * macs / 1e6,
    "macs": lambda _count, macs: macs / 1e6,
}


def _timed(proxy: Proxy, arch: Hashable) -> ProxyValue:
    """One arch-only proxy value with its seconds; an exception is recorded, not raised."""
    t0 = time.perf_counter()
    try:
        value = proxy.value_of(arch)
    except Exception as exc:  # noqa: BLE001 -- recorded for this candidate
        return ProxyValue(math.nan, time.perf_counter() - t0, failure_text(exc))
    error = invalid_value(value)
    return ProxyValue(math.nan if error else value, time.perf_counter() - t0, error)


def hooked_activations(space: SearchSpace) -> list[type[nn.Module]]:
    """The hooked activation types that ``space``'s networks can contain (a store key part:
    hooking a type a space never uses changes no value)."""
    return [t for t in HOOKED_ACTIVATIONS if t in space.activations]


def _derived_value(
    proxy: Proxy,
    values: dict[str, ProxyValue],
    references: dict[str, tuple[float, float]],
    hidden: set[str],
) -> ProxyValue:
    """Σ w (v − μ) / σ over ``proxy``'s parts; its seconds are those of the parts computed
    only for it."""
    seconds = sum(values[n].seconds for n, _ in proxy.parts if n in hidden)
    failed = [n for n, _ in proxy.parts if not values[n].ok]
    if failed:
        return ProxyValue(math.nan, seconds, f"{failed[0]} failed: {values[failed[0]].error}")
    value = sum(w * (values[n].value - references[n][0]) / references[n][1] for n, w in proxy.parts)
    error = invalid_value(value)
    return ProxyValue(math.nan if error else value, seconds, error)


@dataclass
class Scorer(ScoreSource):
    """Scores architectures as ``config`` says on its one fixed, loaded ``batch``
    (``proxies``: a subset of the configuration's to compute; default all of them).

    Derived proxies (NINASWOT) take z-scores over ``reference_size`` random architectures.
    Init-dependent proxies are averaged over ``repeats`` initialisations seeded from
    (``seed``, repeat); the others run once. Proxies with a forward reader share one forward
    pass per initialisation. ``channels_last``: image networks run in the NHWC layout, where
    CPU pooling and batch norm are several times faster (benchmarks/scale.py); values agree
    with the standard layout up to float rounding. ``device``: where networks run (``cpu``,
    ``cuda``, ``cuda:1``); weights are always initialised on the CPU, so a seed gives the
    same network everywhere.
    """

    config: ScoringConfig
    batch: Batch
    proxies: Sequence[Proxy] = None  # type: ignore[assignment]  # None: the config's
    space: SearchSpace = field(init=False, repr=False)
    dataset: DatasetSpec = field(init=False, repr=False)
    _init_seeds: list[int] = field(init=False, repr=False)
    _references: dict[str, tuple[float, float]] = field(
        init=False, repr=False, default_factory=dict
    )
    _x: torch.Tensor = field(init=False, repr=False)
    _y: torch.Tensor | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        config = self.config
        self.proxies = list(config.proxies if self.proxies is None else self.proxies)
        self.space, self.dataset = config.space_object(), config.dataset_spec()
        self.seed, self.repeats, self.init = config.seed, config.repeats, config.init
        self.reference_size = config.reference_size
        self.device = str(check_device(config.device))
        states = np.random.SeedSequence(self.seed).generate_state(self.repeats)
        self._init_seeds = [int(s) for s in states]
        self.channels_last = config.channels_last and self.batch.x.dim() == 4
        self._place_batch()

    @property
    def _layout(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def _place_batch(self) -> None:
        self._x = self.batch.x.to(self.device).contiguous(memory_format=self._layout)
        self._y = None if self.batch.y is None else self.batch.y.to(self.device)

    def __getstate__(self) -> dict[str, object]:
        """Pickled for worker processes without the device copy of the batch (a CUDA tensor
        must not cross processes); the worker makes its own."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_x", "_y")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._place_batch()

    @property
    def computing(self) -> Scorer:
        return self

    def store_key(self) -> ScoreKey:
        """The score-store key of this scorer's values: everything a value depends on but the
        architecture and the proxy (whose label and version key each row)."""
        options = {
            "init": self.init,
            "repeats": self.repeats,
            "batch_size": self.batch.size,
            "channels_last": self.channels_last,
            "reference_size": self.reference_size,
            "device": torch.device(self.device).type,
            "activations": [t.__name__ for t in hooked_activations(self.space)],
            "space_version": self.space.version,
            "space_args": self.space.params(),
            "scoring_version": SCORING_VERSION,
        }
        return ScoreKey(
            self.space.name, self.dataset.name, self.batch.fingerprint, self.seed,
            json.dumps(options, sort_keys=True, default=str),
        )  # fmt: skip

    def __call__(self, arch: Hashable) -> ArchScores:
        return self.score(arch)

    def compute(self, task: Task) -> ArchScores:
        """The scores of ``task`` (arch, names of this scorer's proxies to compute); an
        exception of the candidate is its failure record, not raised."""
        arch, names = task
        chosen = [p for p in self.proxies if p.name in names]
        try:
            return self.score(arch, chosen)
        except Exception as exc:  # noqa: BLE001 -- a candidate's failure is its own
            return self.failed(task, failure_text(exc))

    def failed(self, task: Task, error: str) -> ArchScores:
        """The record of ``task`` failing as a whole with ``error``."""
        arch, names = task
        return failed_scores(self.space, arch, error, names)

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        names = tuple(p.name for p in self.proxies)
        if executor is None:
            for position, arch in enumerate(archs):
                yield position, self.score(arch)
        else:
            yield from executor.imap([(arch, names) for arch in archs])

    def score(self, arch: Hashable, proxies: Sequence[Proxy] | None = None) -> ArchScores:
        """``arch`` scored with ``proxies`` (default: all of this scorer's). A derived proxy's
        parts are computed alongside (and count in its seconds when not asked for)."""
        proxies = self.proxies if proxies is None else proxies
        derived = [p for p in proxies if p.parts]
        if not derived:
            return self._score_plain(arch, proxies)
        references = self.fit_references()
        asked = {p.name for p in proxies}
        hidden = {n for p in derived for n, _ in p.parts} - asked
        plain = [p for p in proxies if not p.parts] + [get_proxy(n) for n in sorted(hidden)]
        result = self._score_plain(arch, plain)
        values = dict(result.values)
        for p in derived:
            values[p.name] = _derived_value(p, values, references, hidden)
        return dataclasses.replace(result, values={p.name: values[p.name] for p in proxies})

    def reference_parts(self) -> list[Proxy]:
        """The parts of this scorer's derived proxies, each once."""
        return [get_proxy(n) for n in dict.fromkeys(n for p in self.proxies for n, _ in p.parts)]

    def fit_references(
        self, score: Callable[[Hashable, Sequence[Proxy]], ArchScores] | None = None
    ) -> dict[str, tuple[float, float]]:
        """(μ, σ) of every part of this scorer's derived proxies over ``reference_size``
        seeded random architectures of the space, computed once (with ``score``, default
        this scorer; pass a store-backed one to cache the reference values)."""
        parts = [p for p in self.reference_parts() if p.name not in self._references]
        if parts:
            todo = [p.name for p in parts]
            score = score or self._score_plain
            archs = reference_archs(self.space, self.reference_size, self.seed)
            rows = [score(arch, parts) for arch in archs]
            matrix = np.array([[r.value(n) for n in todo] for r in rows], dtype=float)
            for name, (mu, sigma) in zip(todo, reference_stats(matrix), strict=True):
                self._references[name] = (float(mu), float(sigma))
        return self._references

    def _score_plain(self, arch: Hashable, proxies: Sequence[Proxy]) -> ArchScores:
        text = self.space.encode(arch)
        index = self.space.known_index(arch)
        values = {p.name: _timed(p, arch) for p in proxies if p.arch_fn is not None}
        values |= self._from_formula(arch, proxies)
        net_proxies = [p for p in proxies if p.arch_fn is None and p.name not in values]
        if not net_proxies:
            return ArchScores(text, index, values, 0.0)
        start = time.perf_counter()
        try:
            net = self.space.build(arch, self.dataset.num_classes, self.dataset.input_shape)
        except Exception as exc:  # noqa: BLE001 -- recorded for this candidate
            nan = {p.name: ProxyValue(math.nan, 0.0, "build failed") for p in net_proxies}
            return ArchScores(
                text, index, values | nan, time.perf_counter() - start, failure_text(exc)
            )
        build_seconds = time.perf_counter() - start
        values |= self._score_network(net, net_proxies)
        return ArchScores(text, index, {p.name: values[p.name] for p in proxies}, build_seconds)

    def _from_formula(self, arch: Hashable, proxies: Sequence[Proxy]) -> dict[str, ProxyValue]:
        """``params``, ``flops`` and ``macs`` from the space's exact ``costs`` formula where it
        has one (NATS-TSS, blocks, MCU: conv and linear multiply-accumulates, the ones
        ``torch.utils.flop_counter`` counts), so that a screen by size builds no network."""
        costs = getattr(self.space, "costs", None)
        wanted = [p.name for p in proxies if p.name in COST_FORMULAS]
        if costs is None or not wanted:
            return {}
        start = time.perf_counter()
        x = self.batch.x
        shape = tuple(x.shape[1:]) if x.dim() == 4 else self.dataset.input_shape
        count, multiply_adds = costs(arch, self.dataset.num_classes, shape)
        seconds = (time.perf_counter() - start) / len(wanted)
        return {n: ProxyValue(COST_FORMULAS[n](count, multiply_adds), seconds) for n in wanted}

    def _prepare(self, net: nn.Module, init_seed: int) -> nn.Module:
        """``net`` initialised from ``init_seed`` on the CPU in the standard layout (so the
        weights depend on neither), then moved to the scoring device and layout."""
        net = net.to("cpu", memory_format=torch.contiguous_format)
        initialise(net, self.init, init_seed)
        return net.to(self.device, memory_format=self._layout)

    def _score_network(self, net: nn.Module, proxies: Sequence[Proxy]) -> dict[str, ProxyValue]:
        """Every proxy's value on ``net``, averaged over the initialisations: for each one,
        each pass that a due proxy reads runs once (:mod:`zeronas.passes`)."""
        tally = PassTally([p.name for p in proxies])
        for repeat, init_seed in enumerate(self._init_seeds):
            net = self._prepare(net, init_seed)
            due = [p for p in proxies if tally.due(p.name) and (repeat == 0 or p.init_dependent)]
            tally.run(net, due, self._x, self._y)
        return tally.values()
