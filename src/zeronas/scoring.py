"""Score architectures with a set of proxies: build once, initialise per repeat, record
every value with its seconds, and any failure with its error instead of a number."""

from __future__ import annotations

import abc
import dataclasses
import json
import math
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from zeronas.cache import ScoreKey, ScoreStore, StoredScore
from zeronas.data import Batch
from zeronas.datasets import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.fitness import reference_stats
from zeronas.init import check_device, check_init_scheme, initialise
from zeronas.passes import PassTally
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS
from zeronas.proxies.base import Proxy, get_proxy, proxy_versions
from zeronas.records import ArchScores, ProxyValue, failure_text, invalid_value
from zeronas.spaces.base import SearchSpace

if TYPE_CHECKING:
    from zeronas.config import ScoringConfig
    from zeronas.executors import Executor

__all__ = [
    "ProxyValue",
    "ArchScores",
    "ScoreSource",
    "FunctionSource",
    "failed_scores",
    "as_source",
    "Scorer",
    "CachedScorer",
    "MemoScorer",
    "SCORING_VERSION",
]

#: The scoring core's own version (initialisation, layout, batch placement, passes): part
#: of every store key, bumped when the core changes values for every proxy.
SCORING_VERSION = 2


def failed_scores(
    space: SearchSpace, arch: Hashable, error: str, names: Sequence[str] = ()
) -> ArchScores:
    """The record of a candidate that failed as a whole (``names``: its proxies, each NaN
    with the same error)."""
    index = space.index(arch) if space.size is not None else None
    values = {n: ProxyValue(math.nan, 0.0, error) for n in names}
    return ArchScores(space.encode(arch), index, values, 0.0, error)


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


def reference_archs(space: SearchSpace, count: int, seed: int) -> list[Hashable]:
    """``count`` random architectures of ``space``, seeded from ``seed`` (the z-score
    reference sample of NINASWOT and of the ``zscore`` fitness)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return [space.sample(rng) for _ in range(count)]


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


class ScoreSource(abc.ABC):
    """Where searches and correlations get scores: computed live (:class:`Scorer`), from the
    score store (:class:`CachedScorer`), from memory (:class:`MemoScorer`) or from a
    precomputed table (:class:`~zeronas.groundtruth.scores.TableScorer`). Layers wrap one
    another; every layer scores many architectures at once, on an executor when given one,
    and names the live :class:`Scorer` beneath it that an executor runs (``computing``)."""

    space: SearchSpace
    proxies: Sequence[Proxy]

    @property
    @abc.abstractmethod
    def computing(self) -> Scorer | None:
        """The live scorer that computes for this source; None when nothing is live."""

    @abc.abstractmethod
    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """(position, scores) of each of ``archs`` as they finish, on ``executor`` if given."""

    def __call__(self, arch: Hashable) -> ArchScores:
        return next(iter(self.score_many([arch])))[1]


class FunctionSource(ScoreSource):
    """A plain function ``arch -> ArchScores`` as a score source (tests, custom scorers); an
    exception it raises is that candidate's failure."""

    proxies: Sequence[Proxy] = ()

    def __init__(self, space: SearchSpace, fn: Callable[[Hashable], ArchScores]) -> None:
        self.space, self.fn = space, fn

    @property
    def computing(self) -> None:
        return None

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        for position, arch in enumerate(archs):
            try:
                yield position, self.fn(arch)
            except Exception as exc:  # noqa: BLE001 -- a candidate's failure is its own
                yield position, failed_scores(self.space, arch, failure_text(exc))


def as_source(
    space: SearchSpace, score_fn: ScoreSource | Callable[[Hashable], ArchScores]
) -> ScoreSource:
    """``score_fn`` if it is a :class:`ScoreSource`, else a :class:`FunctionSource` of it."""
    return score_fn if isinstance(score_fn, ScoreSource) else FunctionSource(space, score_fn)


@dataclass
class Scorer(ScoreSource):
    """Scores architectures of ``space`` for ``dataset`` on one fixed ``batch``.

    Derived proxies (NINASWOT) take z-scores over ``reference_size`` random architectures.
    Init-dependent proxies are averaged over ``repeats`` initialisations seeded from
    (``seed``, repeat); the others run once. Proxies with a forward reader share one forward
    pass per initialisation. ``channels_last``: image networks run in the NHWC layout, where
    CPU pooling and batch norm are several times faster (benchmarks/scale.py); values agree
    with the standard layout up to float rounding. ``device``: where networks run (``cpu``,
    ``cuda``, ``cuda:1``); weights are always initialised on the CPU, so a seed gives the
    same network everywhere.
    """

    space: SearchSpace
    dataset: DatasetSpec
    proxies: Sequence[Proxy]
    batch: Batch
    seed: int = 0
    repeats: int = 1
    init: str = "kaiming"
    channels_last: bool = True
    device: str = "cpu"
    reference_size: int = 50
    _init_seeds: list[int] = field(init=False, repr=False)
    _references: dict[str, tuple[float, float]] = field(
        init=False, repr=False, default_factory=dict
    )
    _x: torch.Tensor = field(init=False, repr=False)
    _y: torch.Tensor | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.repeats < 1:
            raise ZeroNASError(f"repeats must be >= 1, got {self.repeats}")
        check_init_scheme(self.init)
        self.device = str(check_device(self.device))
        states = np.random.SeedSequence(self.seed).generate_state(self.repeats)
        self._init_seeds = [int(s) for s in states]
        self.channels_last = self.channels_last and self.batch.x.dim() == 4
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

    @classmethod
    def from_config(
        cls, config: ScoringConfig, batch: Batch, proxies: Sequence[Proxy] | None = None
    ) -> Scorer:
        """The scorer of ``config`` on its loaded ``batch`` (``proxies``: a subset to compute)."""
        return cls(
            config.space_object(), config.dataset_spec(),
            config.proxy_list() if proxies is None else list(proxies), batch, config.seed,
            config.repeats, config.init, config.channels_last, config.device,
            config.reference_size,
        )  # fmt: skip

    @property
    def computing(self) -> Scorer:
        return self

    def store_key(self) -> ScoreKey:
        """The score-store key of this scorer's values: everything a value depends on but the
        architecture and the proxy (whose label and version key each row)."""
        options = {
            "init": self.init,
            "repeats": self.repeats,
            "batch_size": int(self.batch.x.shape[0]),
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
        index = self.space.index(arch) if self.space.size is not None else None
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
        """``params`` from the space's exact ``costs`` formula where it has one (NATS-TSS,
        blocks), so that a screen by size builds no network."""
        costs = getattr(self.space, "costs", None)
        if costs is None or all(p.name != "params" for p in proxies):
            return {}
        start = time.perf_counter()
        count, _ = costs(arch, self.dataset.num_classes, self.dataset.input_shape)
        return {"params": ProxyValue(count / 1e6, time.perf_counter() - start)}

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


class CachedScorer(ScoreSource):
    """A :class:`Scorer` behind a :class:`~zeronas.cache.ScoreStore`: stored values are read
    first (with the seconds they took when computed), missing ones computed and written as
    they come, each under its proxy's version. Failures are not stored: they are retried next
    time (an out-of-memory error may not recur)."""

    def __init__(self, scorer: Scorer, store: ScoreStore) -> None:
        self.scorer, self.store = scorer, store
        self.space, self.dataset, self.proxies = scorer.space, scorer.dataset, scorer.proxies
        self.key = scorer.store_key()
        self.versions = proxy_versions(list(self.proxies))
        self.hits = self.misses = 0

    @property
    def computing(self) -> Scorer:
        return self.scorer

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """(position, scores) of each of ``archs`` as they finish: stored ones at once, the
        missing proxies computed (on ``executor`` if given) and written as they arrive."""
        names = [p.name for p in self.proxies]
        tasks: list[tuple[Hashable, tuple[str, ...]]] = []
        waiting: list[tuple[int, dict[str, ProxyValue]]] = []
        for position, arch in enumerate(archs):
            stored = self.store.get(self.key, self.space.encode(arch), self.versions)
            values = {n: ProxyValue(s.value, s.seconds, s.error) for n, s in stored.items()}
            missing = tuple(n for n in names if n not in stored)
            self.hits += len(names) - len(missing)
            self.misses += len(missing)
            if missing:
                tasks.append((arch, missing))
                waiting.append((position, values))
            else:
                yield position, self._assemble(arch, values, None)
        if executor is not None:
            results = executor.imap(tasks)
        else:
            results = (
                (k, self.scorer.score(arch, [p for p in self.proxies if p.name in missing]))
                for k, (arch, missing) in enumerate(tasks)
            )
        for k, fresh in results:
            position, values = waiting[k]
            good = {
                n: StoredScore(v.value, v.seconds, None) for n, v in fresh.values.items() if v.ok
            }
            if good:
                self.store.put(self.key, fresh.arch, good, self.versions)
            yield position, self._assemble(tasks[k][0], values | fresh.values, fresh)

    def _assemble(
        self, arch: Hashable, values: dict[str, ProxyValue], fresh: ArchScores | None
    ) -> ArchScores:
        index = self.space.index(arch) if self.space.size is not None else None
        ordered = {p.name: values[p.name] for p in self.proxies}
        build = fresh.build_seconds if fresh is not None else 0.0
        error = fresh.error if fresh is not None else None
        return ArchScores(self.space.encode(arch), index, ordered, build, error)


class MemoScorer(ScoreSource):
    """Every result of ``source`` kept in memory, so repeated runs over the same candidates
    (an experiment's seeds) score each once."""

    def __init__(self, source: ScoreSource) -> None:
        self.source = source
        self.space, self.proxies = source.space, source.proxies
        self._memo: dict[Hashable, ArchScores] = {}

    @property
    def computing(self) -> Scorer | None:
        return self.source.computing

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        missing = [(p, a) for p, a in enumerate(archs) if a not in self._memo]
        yield from ((p, self._memo[a]) for p, a in enumerate(archs) if a in self._memo)
        for k, result in self.source.score_many([arch for _, arch in missing], executor):
            position, arch = missing[k]
            self._memo[arch] = result
            yield position, result
