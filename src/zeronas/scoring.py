"""Score architectures with a set of proxies: build once, initialise per repeat, record
every value with its seconds, and any failure with its error instead of a number."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from zeronas.cache import ScoreKey, ScoreStore, StoredScore, package_version
from zeronas.data import Batch
from zeronas.datasets import DatasetSpec
from zeronas.errors import ZeroNASError
from zeronas.init import check_init_scheme, initialise
from zeronas.proxies._hooks import HOOKED_ACTIVATIONS
from zeronas.proxies.base import Proxy
from zeronas.spaces.base import SearchSpace

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


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _timed(fn: Callable[[Hashable], float], arch: Hashable) -> ProxyValue:
    """One arch-only proxy value with its seconds; an exception is recorded, not raised."""
    t0 = time.perf_counter()
    try:
        value = float(fn(arch))
    except Exception as exc:  # noqa: BLE001 -- recorded for this candidate
        return ProxyValue(math.nan, time.perf_counter() - t0, _failure(exc))
    error = f"proxy returned {value}" if math.isnan(value) or value == math.inf else None
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
                if math.isnan(value) or value == math.inf:
                    errors[proxy.name] = f"proxy returned {value}"
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
        text = self.space.encode(arch)
        stored = self.store.get(self.key, text, [p.name for p in self.proxies])
        missing = [p for p in self.proxies if p.name not in stored]
        self.hits += len(self.proxies) - len(missing)
        self.misses += len(missing)
        values = {n: ProxyValue(s.value, s.seconds, s.error) for n, s in stored.items()}
        build_seconds, error, index = 0.0, None, None
        if missing:
            fresh = self.scorer.score(arch, missing)
            build_seconds, error, index = fresh.build_seconds, fresh.error, fresh.index
            values |= fresh.values
            good = {
                n: StoredScore(v.value, v.seconds, None) for n, v in fresh.values.items() if v.ok
            }
            if good:
                self.store.put(self.key, text, good)
        if index is None and self.space.size is not None:
            index = self.space.index(arch)
        ordered = {p.name: values[p.name] for p in self.proxies}
        return ArchScores(text, index, ordered, build_seconds, error)
