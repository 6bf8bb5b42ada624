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

from zeronas.errors import ZeroNASError
from zeronas.hardware.costs import check_costs
from zeronas.hardware.limits import Limits
from zeronas.params import is_int, require
from zeronas.proxies import ProxySet, parse_proxy_list, sets_in
from zeronas.scoring.config import ScoringConfig

#: candidates re-scored with every proxy when screen proxies are given without ``rerank``
DEFAULT_RERANK = 20


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
        from zeronas.fitness.combiners import COMBINERS, parse_weights

        owner = "SearchConfig"
        if self.combine is not None:
            COMBINERS.get(self.combine)  # an unknown name says "Did you mean ...?"
        if self.weights is not None:
            parsed = parse_weights(self.weights, self.scoring.proxy_list())
            object.__setattr__(self, "weights", tuple(parsed) if parsed is not None else None)
        if self.scores is not None:
            object.__setattr__(self, "scores", str(self.scores))
        require(is_int(self.reference) and self.reference >= 2, "reference", owner,
               "an integer >= 2", self.reference)  # fmt: skip
        if self.screen is not None and self.screen != ():
            labels = tuple(p.name for p in parse_proxy_list(self.screen))
            object.__setattr__(self, "screen", labels)
        object.__setattr__(self, "objectives", check_costs(self.objectives))
        limits = self.limits
        if limits.latency_table and limits.max_latency_ms is None:
            require("latency_ms" in self.objectives, "max_latency_ms", owner,
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
        require(is_int(rerank) and rerank >= 0, "rerank", "SearchConfig", "an integer >= 0",
               rerank)  # fmt: skip
        screen = self.screen if self.screen is not None else (own.screen if own else ())
        labels = tuple(p.name for p in parse_proxy_list(screen)) if screen else ()
        require(bool(labels) or rerank == 0, "screen", "SearchConfig",
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
