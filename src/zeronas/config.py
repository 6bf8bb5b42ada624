"""The one run configuration: what defines a score, built once at the boundary (CLI or API)
and passed down whole. Its fields define the score store's key: two equal configurations
read and write the same stored values, and a change to any field that changes a value
changes the key.

``ScoringConfig`` is what every command shares (space, data, seed, proxies with their
options, ...); ``SearchConfig`` adds what turns scores into a search's fitness (combiner,
weights, size penalty, hardware limits, a precomputed score table). Constructor =
parameters (scikit-learn): the keywords are stored as given, after validation and
normalisation (a proxy list in text becomes its tuple of labels); a bad value is a
:class:`~zeronas.errors.ParameterError` naming the field, what is allowed and what was
received.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from zeronas.costs import check_costs
from zeronas.datasets import DatasetSpec, get_dataset
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.init import INIT_SCHEMES, check_device
from zeronas.limits import Limits
from zeronas.proxies import Proxy, ProxySet, parse_proxy_list, sets_in
from zeronas.spaces import SearchSpace, get_space

__all__ = ["ScoringConfig", "SearchConfig", "MAX_SEED"]

MAX_SEED = 2**63 - 1
#: candidates re-scored with every proxy when screen proxies are given without ``rerank``
DEFAULT_RERANK = 20


def _check(ok: bool, name: str, owner: str, allowed: str, value: object) -> None:
    if not ok:
        raise ParameterError(name, owner, allowed, value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ScoringConfig:
    """What defines a proxy value (DESIGN §3, §8).

    ``space`` (+ ``space_args``, its constructor keywords), ``dataset`` (the task),
    ``proxies`` (labels, options included: ``"naswot,synflow[log=false]"``), ``data`` (the
    batch's source: ``auto``, ``embedded``, ``synthetic``, ``cifar``, ``npz:PATH``, ...),
    ``batch_size``, ``seed`` (batch, sampling, initialisations), ``repeats``, ``init``,
    ``device``, ``channels_last`` (NHWC networks: values equal up to rounding),
    ``reference_size`` (random archs behind z-score parts). ``data_root`` and ``download``
    only say where ``cifar`` files are. The store key is made from these fields by
    :meth:`zeronas.scoring.Scorer.store_key` (the data through the batch's fingerprint).
    """

    space: str = "nats-tss"
    dataset: str = "cifar10"
    proxies: tuple[str, ...] | str = ("naswot",)
    data: str = "auto"
    batch_size: int = 128
    seed: int = 0
    repeats: int = 1
    init: str = "kaiming"
    device: str = "cpu"
    space_args: tuple[tuple[str, Any], ...] = ()
    channels_last: bool = True
    reference_size: int = 50
    data_root: str | None = None
    download: bool = False

    def __post_init__(self) -> None:
        owner = "ScoringConfig"
        object.__setattr__(self, "space", get_space(self.space, **dict(self.space_args)).name)
        object.__setattr__(self, "dataset", get_dataset(self.dataset).name)
        labels = tuple(p.name for p in parse_proxy_list(self.proxies))
        object.__setattr__(self, "proxies", labels)
        if self.data_root is not None:
            object.__setattr__(self, "data_root", str(self.data_root))
        _check(_is_int(self.batch_size) and self.batch_size >= 1, "batch_size", owner,
               "an integer >= 1", self.batch_size)  # fmt: skip
        _check(_is_int(self.seed) and 0 <= self.seed <= MAX_SEED, "seed", owner,
               f"an integer in [0, {MAX_SEED}]", self.seed)  # fmt: skip
        _check(_is_int(self.repeats) and self.repeats >= 1, "repeats", owner,
               "an integer >= 1", self.repeats)  # fmt: skip
        _check(self.init in INIT_SCHEMES, "init", owner, f"one of {', '.join(INIT_SCHEMES)}",
               self.init)  # fmt: skip
        _check(_is_int(self.reference_size) and self.reference_size >= 2, "reference_size",
               owner, "an integer >= 2", self.reference_size)  # fmt: skip
        try:
            check_device(self.device)
        except ZeroNASError as exc:
            raise ParameterError("device", owner, "cpu, cuda or cuda:N, present here",
                                 self.device) from exc  # fmt: skip

    # -- what the fields name -------------------------------------------------------------
    def space_object(self) -> SearchSpace:
        return get_space(self.space, **dict(self.space_args))

    def dataset_spec(self) -> DatasetSpec:
        return get_dataset(self.dataset)

    def proxy_list(self) -> list[Proxy]:
        return parse_proxy_list(self.proxies)

    def replace(self, **changes: Any) -> ScoringConfig:
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """The fields as plain JSON values (run manifests)."""
        doc = dataclasses.asdict(self)
        doc["proxies"] = list(self.proxies)
        doc["space_args"] = dict(self.space_args)
        return doc


@dataclass(frozen=True)
class SearchConfig:
    """What turns scores into a search's fitness, over a :class:`ScoringConfig`.

    ``combine`` (``norm-sum``, ``zscore``, ``rank``, ``logrank``; unset: the proxy set's
    combiner when the proxies are one set, else ``norm-sum``), ``screen`` and ``rerank``
    (a two-stage search: the algorithm proposes with the ``screen`` proxies only, then the
    ``rerank`` fittest candidates are scored with every proxy and the best of them is the
    answer; unset: the proxy set's own, ``rerank=0`` turns it off), ``weights`` (one per
    proxy), ``penalty`` (seed 002's size penalty ``gdf``/``hsdf``/``rdf``, with its target
    and width in thousands of parameters), ``limits`` (hardware limits checked before
    scoring; unset ones take the space's defaults), ``scores`` (a precomputed score table;
    proxies it lacks are computed live), ``reference`` (random archs behind ``zscore``).
    """

    scoring: ScoringConfig = field(
        default_factory=lambda: ScoringConfig(proxies="naswot,logsynflow")
    )
    combine: str | None = None
    weights: tuple[float, ...] | None = None
    penalty: str | None = None
    target_kparams: float = 200.0
    width_kparams: float = 400.0
    limits: Limits = field(default_factory=Limits)
    scores: str | None = None
    reference: int = 50
    screen: tuple[str, ...] | str | None = None
    rerank: int | None = None
    #: Costs a multi-objective search minimises beside fitness (``nsga2``; other searchers
    #: record them): names of :data:`zeronas.costs.COSTS`, comma-separated or a tuple.
    objectives: tuple[str, ...] | str = ()

    def __post_init__(self) -> None:
        from zeronas.fitness import COMBINERS, parse_weights

        owner = "SearchConfig"
        if self.combine is not None:
            COMBINERS.get(self.combine)  # an unknown name says "Did you mean ...?"
        if self.weights is not None:
            parsed = parse_weights(self.weights, self.scoring.proxy_list())
            object.__setattr__(self, "weights", tuple(parsed) if parsed is not None else None)
        if self.scores is not None:
            object.__setattr__(self, "scores", str(self.scores))
        _check(_is_int(self.reference) and self.reference >= 2, "reference", owner,
               "an integer >= 2", self.reference)  # fmt: skip
        if self.screen is not None and self.screen != ():
            labels = tuple(p.name for p in parse_proxy_list(self.screen))
            object.__setattr__(self, "screen", labels)
        object.__setattr__(self, "objectives", check_costs(self.objectives))
        limits = self.limits
        if limits.latency_table and limits.max_latency_ms is None:
            _check("latency_ms" in self.objectives, "max_latency_ms", owner,
                   "set with a latency table (or latency_ms an objective)", None)  # fmt: skip
        if self.objectives and (self.rerank or self.screen):
            raise ZeroNASError(
                "a multi-objective search (objectives) runs in one stage: drop screen/rerank"
            )
        self.two_stage()  # a bad combination is refused here

    def two_stage(self) -> tuple[tuple[str, ...], int]:
        """(screen proxies, candidates re-ranked): ``((), 0)`` for one stage. Unset fields
        take the proxy set's own; screen proxies alone re-rank ``DEFAULT_RERANK``."""
        exact = self.exact_set()
        own = exact if exact is not None and exact.rerank > 0 and not self.objectives else None
        rerank = self.rerank
        if rerank is None:
            rerank = own.rerank if own else (DEFAULT_RERANK if self.screen else 0)
        _check(_is_int(rerank) and rerank >= 0, "rerank", "SearchConfig", "an integer >= 0",
               rerank)  # fmt: skip
        screen = self.screen if self.screen is not None else (own.screen if own else ())
        labels = tuple(p.name for p in parse_proxy_list(screen)) if screen else ()
        _check(bool(labels) or rerank == 0, "screen", "SearchConfig",
               "proxies to propose with when rerank > 0", self.screen)  # fmt: skip
        return (labels, rerank) if rerank else ((), 0)

    def exact_set(self) -> ProxySet | None:
        """The proxy set whose members the proxies are exactly, if any."""
        labels = set(self.scoring.proxies)
        exact = [s for s in sets_in(self.scoring.proxies) if set(s.members) == labels]
        return exact[0] if exact else None

    def fitness_combine(self) -> str:
        """``combine``, or unset: the combiner of the proxy set the proxies make up
        (``az_nas``: ``logrank``) when they are exactly one set's members, else ``norm-sum``.
        Resolved when asked, so a configuration derived for other proxies (``replace``)
        takes their set's."""
        if self.combine is not None:
            return self.combine
        exact = self.exact_set()
        return exact.combine if exact is not None else "norm-sum"

    def replace(self, **changes: Any) -> SearchConfig:
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        doc = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        doc["scoring"] = self.scoring.describe()
        doc["limits"] = self.limits.describe()
        doc["weights"] = list(self.weights) if self.weights is not None else None
        screen, rerank = self.two_stage()
        doc["screen"], doc["rerank"] = list(screen), rerank
        doc["combine"] = self.fitness_combine()
        return doc
