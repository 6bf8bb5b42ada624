"""What a search is asked: a problem (space, scores, fitness, limits, costs) and a budget.

A :class:`SearchProblem` is everything a :class:`~zeronas.search.base.Searcher` reads
besides its own parameters, the :class:`Budget` and the seed: ``Searcher.run(problem,
budget, seed)``. ``scores`` is any :class:`~zeronas.scoring.sources.ScoreSource` (or a plain
function ``arch -> ArchScores``); ``limits`` are checked before a candidate is scored;
``objectives`` are the costs every scored candidate records (a multi-objective searcher
minimises them beside fitness). ``dataset`` gives limits and costs the class count and input
shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from zeronas.data.tasks import DatasetSpec
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.fitness.combiners import Fitness
from zeronas.hardware.costs import check_costs
from zeronas.hardware.limits import Limits
from zeronas.scoring.records import ArchScores
from zeronas.scoring.sources import ScoreSource, as_source
from zeronas.spaces.base import SearchSpace

__all__ = ["Budget", "BudgetExhausted", "ScoreFn", "SearchProblem"]

ScoreFn = ScoreSource | Callable[[Hashable], ArchScores]


class BudgetExhausted(Exception):  # noqa: N818 -- a stop signal, not an error
    """Raised by :meth:`Evaluator.evaluate` when the search must stop; the message says why."""


@dataclass(frozen=True)
class Budget:
    """When a search stops: after ``evaluations`` candidates scored and/or ``seconds`` of
    search time, or after ``stall`` proposals in a row that brought nothing new (all seen
    before or rejected by a constraint)."""

    evaluations: int | None = None
    seconds: float | None = None
    stall: int = 1000

    def __post_init__(self) -> None:
        if self.evaluations is None and self.seconds is None:
            raise ParameterError("evaluations", "Budget", "set, or seconds set", None)
        if self.evaluations is not None and self.evaluations < 1:
            raise ParameterError("evaluations", "Budget", "an integer >= 1", self.evaluations)
        if self.seconds is not None and not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ParameterError("seconds", "Budget", "a positive number", self.seconds)
        if self.stall < 1:
            raise ZeroNASError(f"stall limit must be >= 1 proposal, got {self.stall}")


@dataclass(frozen=True)
class SearchProblem:
    """A search's space, score source, fitness, and optionally hardware limits, the task
    they are counted for and the costs to record (module docstring)."""

    space: SearchSpace
    scores: ScoreFn
    fitness: Fitness
    dataset: DatasetSpec | None = None
    limits: Limits | None = None
    objectives: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scores", as_source(self.space, self.scores))
        object.__setattr__(self, "objectives", check_costs(self.objectives))
        active = self.limits is not None and self.limits.active
        if (active or self.objectives) and self.dataset is None:
            raise ZeroNASError("limits and costs need the dataset (class count and input shape)")
