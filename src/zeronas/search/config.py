"""What turns scores into a search's answer, over a :class:`~zeronas.scoring.config.ScoringConfig`:
one frozen value built once at the boundary, its fields declared once with their defaults,
checks and flags (:func:`zeronas.params.setting`), as the scoring configuration's are.

The one default of a search lives here too: :data:`DEFAULT_SEARCH` (what plain
``zeronas search`` and :func:`zeronas.api.search` run) and :func:`default_search_proxies`
(the space's own proxies where the ensemble is known to rank it badly).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeronas.errors import ZeroNASError
from zeronas.fitness.combiners import COMBINERS, parse_weights
from zeronas.fitness.penalties import PENALTIES
from zeronas.hardware.costs import COSTS, check_costs
from zeronas.hardware.limits import Limits
from zeronas.params import check_settings, int_at_least, is_int, require, setting
from zeronas.proxies import Proxy, ProxySet, parse_proxy_list, sets_in
from zeronas.scoring.config import ScoringConfig
from zeronas.spaces import SearchSpace, get_space

__all__ = [
    "DEFAULT_RERANK",
    "DEFAULT_SEARCH",
    "SearchConfig",
    "default_search_proxies",
    "search_config",
]

#: What plain ``zeronas search`` runs (docs/search-defaults.md): the frozen ensemble,
#: proposing with its screen for ``budget`` candidates, then its second stage.
DEFAULT_SEARCH: dict[str, Any] = {"proxies": "ensemble", "algorithm": "rea", "budget": 500}

#: candidates re-scored with every proxy when screen proxies are given without ``rerank``
DEFAULT_RERANK = 20


def default_search_proxies(space: SearchSpace | str) -> str:
    """The proxies a search uses on ``space`` when none are named: the space's own where the
    ensemble is known to rank it badly (NATS-SSS: synflow), else the ensemble."""
    space = get_space(space) if isinstance(space, str) else space
    return space.search_proxies or DEFAULT_SEARCH["proxies"]


def _default_scoring() -> ScoringConfig:
    return ScoringConfig(proxies=default_search_proxies(ScoringConfig.space_default()))


@dataclass(frozen=True)
class SearchConfig:
    """What turns scores into a search's fitness, over ``scoring`` (default: the search
    default's proxies on the default space).

    ``combine`` (``norm-sum``, ``zscore``, ``rank``, ``logrank``; unset: the proxy set's
    combiner when the proxies are one set, else ``norm-sum``), ``screen`` and ``rerank``
    (a two-stage search: the algorithm proposes with the ``screen`` proxies only, then the
    ``rerank`` fittest candidates are scored with every proxy and the best of them is the
    answer; unset: the proxy set's own, ``rerank=0`` turns it off), ``weights`` (one per
    proxy), ``penalty`` (Fernandes' size penalty ``gdf``/``hsdf``/``rdf``, with its target
    and width in thousands of parameters), ``limits`` (hardware limits checked before
    scoring; unset ones take the space's defaults), ``scores`` (a precomputed score table;
    proxies it lacks are computed live), ``zscore_reference`` (random archs behind the
    ``zscore`` combiner), ``objectives`` (costs a multi-objective search minimises beside
    fitness).
    """

    scoring: ScoringConfig = dataclasses.field(default_factory=_default_scoring)
    combine: str | None = setting(
        None, flag="--combine",
        help=f"Fitness: {', '.join(COMBINERS)}. Default: the proxy set's combiner when "
        "--proxies names one set (az_nas: logrank), else norm-sum.",
    )  # fmt: skip
    weights: tuple[float, ...] | None = setting(
        None, flag="--weights", cli_type=str | None, help="One weight per proxy, e.g. 1,0.5."
    )
    penalty: str | None = setting(
        None, allowed=f"one of {', '.join(PENALTIES)}", check=lambda v: v is None or v in PENALTIES,
        flag="--penalty", help=f"Size penalty of Wang et al. (Fernandes): {', '.join(PENALTIES)}.",
    )  # fmt: skip
    target_kparams: float = setting(
        200.0, flag="--target-kparams", help="Size-penalty target μ, in thousands of parameters."
    )
    width_kparams: float = setting(
        400.0, flag="--width-kparams", help="Size-penalty width s, in thousands of parameters."
    )
    limits: Limits = dataclasses.field(default_factory=Limits)
    scores: str | None = setting(
        None, flag="--scores", cli_type=Path | None,
        help="Precomputed proxy values (CSV: index, <proxy>_<dataset>, "
        "<proxy>_seconds_<dataset>); missing proxies are computed live.",
    )  # fmt: skip
    zscore_reference: int = setting(50, allowed="an integer >= 2", check=int_at_least(2))
    screen: tuple[Proxy, ...] | None = setting(
        None, flag="--screen", cli_type=str | None,
        help="Two-stage search: propose with these cheap proxies, then score the --rerank "
        "fittest with every proxy and answer with the best of them. Default: the proxy set's "
        "own (ensemble: params).",
    )  # fmt: skip
    rerank: int | None = setting(
        None, allowed="an integer >= 0", check=lambda v: v is None or (is_int(v) and v >= 0),
        flag="--rerank",
        help="Candidates re-scored with every proxy after a --screen search (0: one stage). "
        f"Default: the proxy set's own (ensemble: 20), else {DEFAULT_RERANK} with --screen.",
    )  # fmt: skip
    objectives: tuple[str, ...] = setting(
        (), flag="--objectives", cli_type=str,
        help="Costs to minimise beside fitness (--algorithm nsga2; others record them): "
        f"{', '.join(COSTS)} (latency_ms: the --latency-table device's, else measured here). "
        "Writes pareto.csv, pareto.png and the hypervolume.",
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_settings(self)
        if self.combine is not None:
            COMBINERS.get(self.combine)  # an unknown name says "Did you mean ...?"
        if self.weights is not None:
            parsed = parse_weights(self.weights, self.scoring.proxies)
            object.__setattr__(self, "weights", tuple(parsed))
        if self.scores is not None:
            object.__setattr__(self, "scores", str(self.scores))
        if self.screen is not None and self.screen not in ((), ""):
            object.__setattr__(self, "screen", tuple(parse_proxy_list(self.screen)))
        elif self.screen is not None:
            object.__setattr__(self, "screen", ())
        object.__setattr__(self, "objectives", check_costs(self.objectives))
        limits = self.limits
        if limits.latency_table and limits.max_latency_ms is None:
            require("latency_ms" in self.objectives, "max_latency_ms", "Limits",
                    "set with a latency table (or latency_ms an objective)", None)  # fmt: skip
        if self.objectives and (self.rerank or self.screen):
            raise ZeroNASError(
                "a multi-objective search (objectives) runs in one stage: drop screen/rerank"
            )
        self.two_stage()  # a bad combination is refused here

    def two_stage(self) -> tuple[tuple[Proxy, ...], int]:
        """(screen proxies, candidates re-ranked): ``((), 0)`` for one stage. Unset fields
        take the proxy set's own; screen proxies alone re-rank ``DEFAULT_RERANK``."""
        exact = self.exact_set()
        own = exact if exact is not None and exact.rerank > 0 and not self.objectives else None
        rerank = self.rerank
        if rerank is None:
            rerank = own.rerank if own else (DEFAULT_RERANK if self.screen else 0)
        screen = self.screen
        if screen is None:
            screen = tuple(parse_proxy_list(list(own.screen))) if own else ()
        require(bool(screen) or rerank == 0, "screen", "SearchConfig",
                "proxies to propose with when rerank > 0", self.screen)  # fmt: skip
        return (screen, rerank) if rerank else ((), 0)

    def exact_set(self) -> ProxySet | None:
        """The proxy set the proxies were named by, else the one (of two or more members)
        whose members they are exactly, if any."""
        if self.scoring.named_set is not None:
            return self.scoring.named_set
        labels = self.scoring.labels
        exact = [s for s in sets_in(labels) if set(s.members) == set(labels)]
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
        doc["screen"], doc["rerank"] = [p.name for p in screen], rerank
        doc["combine"] = self.fitness_combine()
        return doc


#: old field name -> what it is called now
RENAMED_FIELDS = {"reference": "zscore_reference"}
_SCORING_FIELDS = {f.name for f in dataclasses.fields(ScoringConfig)}
_LIMIT_FIELDS = {f.name for f in dataclasses.fields(Limits)}
_SEARCH_FIELDS = {f.name for f in dataclasses.fields(SearchConfig)} - {"scoring", "limits"}


def search_config(**fields: Any) -> SearchConfig:
    """The :class:`SearchConfig` of flat ``fields`` (scoring, search and limit fields, as the
    command line gives them); ``proxies`` unset or None takes the space's search default.
    An unknown field is named with the valid ones."""
    from zeronas.errors import ParameterError

    for old, new in RENAMED_FIELDS.items():
        if old in fields:
            raise ParameterError(old, "SearchConfig", f"called {new!r} now (renamed)", old,
                                 unknown=True)  # fmt: skip
    rest = sorted(set(fields) - _SCORING_FIELDS - _LIMIT_FIELDS - _SEARCH_FIELDS)
    if rest:
        valid = ", ".join(sorted(_SCORING_FIELDS | _SEARCH_FIELDS | _LIMIT_FIELDS))
        raise ParameterError(rest[0], "SearchConfig", f"one of ({valid})", rest[0], unknown=True)
    scoring = {k: v for k, v in fields.items() if k in _SCORING_FIELDS}
    if scoring.get("proxies") is None:
        scoring["proxies"] = default_search_proxies(
            scoring.get("space", ScoringConfig.space_default())
        )
    limits = Limits(**{k: v for k, v in fields.items() if k in _LIMIT_FIELDS})
    search = {k: v for k, v in fields.items() if k in _SEARCH_FIELDS}
    return SearchConfig(ScoringConfig(**scoring), limits=limits, **search)
