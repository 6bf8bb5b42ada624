"""Score architectures with a set of proxies: build once, initialise per repeat, record
every value with its seconds, and any failure with its error instead of a number."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from zeronas.cache import ScoreKey, ScoreStore, StoredScore, package_version
from zeronas.data import Batch
from zeronas.datasets import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.init import check_init_scheme, initialise
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS
from zeronas.proxies.base import Proxy
from zeronas.spaces.base import SearchSpace

if TYPE_CHECKING:
    from zeronas.executors import Executor

__all__ = ["ProxyValue", "ArchScores", "Scorer", "CachedScorer"]


@dataclass(frozen=True)
class ProxyValue:
    """One proxy on one architecture: mean over repeats, total seconds, error or None.

    ``-inf`` is a legitimate value (NASWOT's singular kernel, SynFlow's zero flow); NaN,
    ``+inf`` and exceptions are failures: the value is NaN and ``error`` says why.
    """

    value: float
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ArchScores:
    arch: str
    index: int | None
    values: dict[str, ProxyValue]
    build_seconds: float
    error: str | None = None

    def value(self, name: str) -> float:
        return self.values[name].value


def invalid_value(value: float) -> str | None:
    """Why ``value`` is a failure rather than a score: NaN and +inf are; -inf is a value
    (NASWOT's singular kernel, SynFlow's zero flow)."""
    return f"proxy returned {value}" if math.isnan(value) or value == math.inf else None


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _timed(fn: Callable[[Hashable], float], arch: Hashable) -> ProxyValue:
    """One arch-only proxy value with its seconds; an exception is recorded, not raised."""
    t0 = time.perf_counter()
    try:
        value = float(fn(arch))
    except Exception as exc:  # noqa: BLE001 -- recorded for this candidate
        return ProxyValue(math.nan, time.perf_counter() - t0, _failure(exc))
    error = invalid_value(value)
    return ProxyValue(math.nan if error else value, time.perf_counter() - t0, error)


@dataclass
class Scorer:
    """Scores architectures of ``space`` for ``dataset`` on one fixed ``batch``.

    Init-dependent proxies are averaged over ``repeats`` initialisations seeded from
    (``seed``, repeat); the others run once.
    """

    space: SearchSpace
    dataset: DatasetSpec
    proxies: Sequence[Proxy]
    batch: Batch
    seed: int = 0
    repeats: int = 1
    init: str = "kaiming"
    _init_seeds: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.repeats < 1:
            raise ZeroNASError(f"repeats must be >= 1, got {self.repeats}")
        check_init_scheme(self.init)
        states = np.random.SeedSequence(self.seed).generate_state(self.repeats)
        self._init_seeds = [int(s) for s in states]

    def __call__(self, arch: Hashable) -> ArchScores:
        return self.score(arch)

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """(position, scores) of each of ``archs`` as they finish, on ``executor`` if given."""
        names = tuple(p.name for p in self.proxies)
        if executor is None:
            for position, arch in enumerate(archs):
                yield position, self.score(arch)
        else:
            yield from executor.imap([(arch, names) for arch in archs])

    def score(self, arch: Hashable, proxies: Sequence[Proxy] | None = None) -> ArchScores:
        """``arch`` scored with ``proxies`` (default: all of this scorer's)."""
        proxies = self.proxies if proxies is None else proxies
        text = self.space.encode(arch)
        index = self.space.index(arch) if self.space.size is not None else None
        values = {p.name: _timed(p.arch_fn, arch) for p in proxies if p.arch_fn is not None}
        net_proxies = [p for p in proxies if p.arch_fn is None]
        if not net_proxies:
            return ArchScores(text, index, values, 0.0)
        start = time.perf_counter()
        try:
            net = self.space.build(arch, self.dataset.num_classes, self.dataset.input_shape)
        except Exception as exc:  # noqa: BLE001 -- recorded for this candidate
            nan = {p.name: ProxyValue(math.nan, 0.0, "build failed") for p in net_proxies}
            return ArchScores(text, index, values | nan, time.perf_counter() - start, _failure(exc))
        build_seconds = time.perf_counter() - start
        values |= self._score_network(net, net_proxies)
        return ArchScores(text, index, {p.name: values[p.name] for p in proxies}, build_seconds)

    def _score_network(self, net: object, proxies: Sequence[Proxy]) -> dict[str, ProxyValue]:
        samples: dict[str, list[float]] = {p.name: [] for p in proxies}
        seconds = dict.fromkeys(samples, 0.0)
        errors: dict[str, str] = {}
        for repeat, init_seed in enumerate(self._init_seeds):
            initialise(net, self.init, init_seed)
            for proxy in proxies:
                if proxy.name in errors or (repeat > 0 and not proxy.init_dependent):
                    continue
                t0 = time.perf_counter()
                try:
                    value = proxy(net, self.batch.x)
                except Exception as exc:  # noqa: BLE001 -- incl. out of memory
                    errors[proxy.name] = _failure(exc)
                    continue
                finally:
                    seconds[proxy.name] += time.perf_counter() - t0
                if error := invalid_value(value):
                    errors[proxy.name] = error
                samples[proxy.name].append(value)
        return {
            name: ProxyValue(
                math.nan if name in errors else float(np.mean(vals)),
                seconds[name],
                errors.get(name),
            )
            for name, vals in samples.items()
        }


class CachedScorer:
    """A :class:`Scorer` behind a :class:`~zeronas.cache.ScoreStore`: stored values are read
    first (with the seconds they took when computed), missing ones computed and written as
    they come. Failures are not stored: they are retried next time (an out-of-memory error
    may not recur)."""

    def __init__(self, scorer: Scorer, store: ScoreStore) -> None:
        self.scorer, self.store = scorer, store
        self.space, self.dataset, self.proxies = scorer.space, scorer.dataset, scorer.proxies
        options = json.dumps(
            {
                "init": scorer.init,
                "repeats": scorer.repeats,
                "activations": [t.__name__ for t in HOOKED_ACTIVATIONS],
                "batch_size": int(scorer.batch.x.shape[0]),
            },
            sort_keys=True,
        )
        self.key = ScoreKey(
            self.space.name,
            self.dataset.name,
            scorer.batch.fingerprint,
            scorer.seed,
            options,
            package_version(),
        )
        self.hits = self.misses = 0

    def __call__(self, arch: Hashable) -> ArchScores:
        return next(self.score_many([arch]))[1]

    def score_many(
        self, archs: Sequence[Hashable], executor: Executor | None = None
    ) -> Iterator[tuple[int, ArchScores]]:
        """(position, scores) of each of ``archs`` as they finish: stored ones at once, the
        missing proxies computed (on ``executor`` if given) and written as they arrive."""
        names = [p.name for p in self.proxies]
        tasks: list[tuple[Hashable, tuple[str, ...]]] = []
        waiting: list[tuple[int, dict[str, ProxyValue]]] = []
        for position, arch in enumerate(archs):
            stored = self.store.get(self.key, self.space.encode(arch), names)
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
                self.store.put(self.key, fresh.arch, good)
            yield position, self._assemble(tasks[k][0], values | fresh.values, fresh)

    def _assemble(
        self, arch: Hashable, values: dict[str, ProxyValue], fresh: ArchScores | None
    ) -> ArchScores:
        index = self.space.index(arch) if self.space.size is not None else None
        ordered = {p.name: values[p.name] for p in self.proxies}
        build = fresh.build_seconds if fresh is not None else 0.0
        error = fresh.error if fresh is not None else None
        return ArchScores(self.space.encode(arch), index, ordered, build, error)
