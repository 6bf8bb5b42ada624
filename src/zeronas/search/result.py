"""What a search leaves: every candidate as it was first met (:class:`Evaluation`) and the
finished run (:class:`SearchResult`): its history, answer, Pareto front and costs."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zeronas.errors import ZeroNASError
from zeronas.fitness.combiners import Fitness
from zeronas.hardware.costs import CostModel
from zeronas.hardware.limits import Limits
from zeronas.search.pareto import nondominated
from zeronas.search.problem import Budget

__all__ = ["Evaluation", "SearchResult", "best_of", "objective_matrix", "top_k"]


@dataclass(frozen=True)
class Evaluation:
    """One architecture as the search first met it.

    ``status``: ``ok`` (every proxy gave a value; -inf counts as a value), ``failed`` (build
    or proxy error, NaN or +inf: ``error`` says which) or ``rejected`` (a hard constraint,
    checked before any proxy ran). ``seconds``: its scoring seconds (measured, or recorded in
    a precomputed table); ``elapsed``: search seconds when it was done.
    """

    step: int
    arch: str
    index: int | None
    status: str
    values: dict[str, float]
    seconds: float
    elapsed: float
    error: str | None = None
    genome: Hashable = field(default=None, compare=False, repr=False)
    #: Hardware costs of a multi-objective search (:mod:`zeronas.costs`), by cost name.
    costs: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def best_of(fitness: Fitness, records: Sequence[Evaluation]) -> Evaluation | None:
    """The record with the highest fitness within ``records`` (the earliest on ties)."""
    if not records:
        return None
    values = fitness([r.values for r in records])
    best = int(np.argmax(values))
    return records[best] if np.isfinite(values[best]) else None


def top_k(fitness: Fitness, records: Sequence[Evaluation], k: int) -> list[Evaluation]:
    """The ``k`` fittest of ``records``, fitness relative to ``records`` (stable on ties)."""
    values = fitness([r.values for r in records])
    return [records[i] for i in np.argsort(-values, kind="stable")[:k]]


@dataclass(frozen=True)
class SearchResult:
    """A finished search: its settings, full history, and why it stopped.

    ``best`` is the fittest scored candidate, fitness taken over the whole history (FreeREA's
    choice of the answer), or, after a second stage (:mod:`zeronas.search.rerank`),
    the fittest of the ``reranked`` candidates by the ``rerank_fitness`` over them;
    ``seconds`` is search time as the evaluator accounts it (both stages).
    """

    algorithm: str
    params: dict[str, Any]
    space: str
    fitness: Fitness
    budget: Budget
    seed: int
    history: list[Evaluation]
    stopped: str
    seconds: float
    wall_seconds: float
    proposals: int
    evaluations: int
    limits: Limits | None = None
    #: Architectures checked against the limits, rejected, the rejection rate and the
    #: rejections per limit (None without limits).
    limit_report: dict[str, Any] | None = None
    #: The second stage: the candidates re-scored with every proxy, and their fitness.
    reranked: tuple[Evaluation, ...] = ()
    rerank_fitness: Fitness | None = None
    #: The costs a multi-objective search minimised beside fitness (:mod:`zeronas.costs`).
    objectives: tuple[str, ...] = ()
    #: The search's own cost model (what candidates cost; values remembered per arch).
    cost_model: CostModel | None = field(default=None, compare=False, repr=False)
    #: (cost, limit): the answer is the fittest front member within that budget
    #: (:meth:`pick_under`) instead of the fittest candidate.
    pick: tuple[str, float] | None = None

    @property
    def scored(self) -> list[Evaluation]:
        return [e for e in self.history if e.ok]

    @property
    def best(self) -> Evaluation | None:
        if self.pick is not None:
            return self.pick_under(*self.pick)
        if self.rerank_fitness is not None:
            return best_of(self.rerank_fitness, [e for e in self.reranked if e.ok])
        return best_of(self.fitness, self.scored)

    def best_fitness(self) -> float | None:
        """The answer's fitness, over the set it was chosen from."""
        best = self.best
        if best is None:
            return None
        if self.rerank_fitness is not None and self.pick is None:
            ok = [e for e in self.reranked if e.ok]
            return float(self.rerank_fitness([e.values for e in ok])[ok.index(best)])
        return float(self.history_fitness()[best.arch])

    def best_costs(self) -> dict[str, float] | None:
        """What the answer costs under the limits in force (None without an answer)."""
        best = self.best
        if best is None or self.cost_model is None:
            return None
        names = (self.limits or Limits()).cost_names()
        return {**self.cost_model(best.genome, names), **best.costs}

    def pareto(self) -> list[Evaluation]:
        """The scored candidates no other one beats in fitness (over the whole history) and
        every cost at once, in the order of the first cost (fittest first without costs)."""
        scored = self.scored
        points = objective_matrix(self.fitness, scored, self.objectives)
        front = [scored[i] for i in np.flatnonzero(nondominated(points))]
        key = self.objectives[0] if self.objectives else None
        fitness = self.history_fitness()
        return sorted(front, key=lambda e: e.costs[key] if key else -fitness[e.arch])

    def pick_under(self, cost: str, limit: float) -> Evaluation | None:
        """The fittest member of the front whose ``cost`` is at most ``limit`` (None if no
        member is); ``cost`` must be one of the search's objectives."""
        if cost not in self.objectives:
            raise ZeroNASError(
                f"cannot pick under a {cost} budget: the search's objectives are "
                f"{', '.join(self.objectives) or 'none'}"
            )
        fitness = self.history_fitness()
        under = [e for e in self.pareto() if e.costs[cost] <= limit]
        return max(under, key=lambda e: fitness[e.arch], default=None)

    def history_fitness(self) -> dict[str, float]:
        """Fitness of every scored candidate relative to the whole history, by arch."""
        scored = self.scored
        values = self.fitness([e.values for e in scored])
        return dict(zip((e.arch for e in scored), values, strict=True))

    def best_so_far(self) -> list[Evaluation | None]:
        """After each history entry, the best scored candidate up to it."""
        out: list[Evaluation | None] = []
        scored: list[Evaluation] = []
        best: Evaluation | None = None
        for record in self.history:
            if record.ok:
                scored.append(record)
                best = best_of(self.fitness, scored)
            out.append(best)
        return out


def objective_matrix(
    fitness: Fitness, records: Sequence[Evaluation], costs: Sequence[str]
) -> np.ndarray:
    """Rows of (−fitness over ``records``, then each cost): every column minimised."""
    values = -fitness([r.values for r in records])
    columns = [values] + [[r.costs.get(c, np.nan) for r in records] for c in costs]
    return np.column_stack(columns).astype(float) if records else np.empty((0, 1 + len(costs)))
