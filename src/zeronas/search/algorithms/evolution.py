"""Evolutionary searchers: regularized (aging) evolution and FreeREA.

``rea`` -- Real, Aggarwal, Huang & Le, "Regularized Evolution for Image Classifier
Architecture Search", AAAI 2019 (arXiv:1802.01548). Start from ``initial`` random
architectures; each cycle draws a ``tournament`` of members uniformly without
replacement, mutates the fittest of them (fitness relative to that tournament) and appends
the child; once the population holds more than ``population`` members the oldest leaves.
Defaults P = 10, S = 3 are NATS-Bench's own REA settings (Dong et al. 2021,
``exps/NATS-algos/regularized_ea.py``).
With k parallel workers each cycle runs k tournaments on the same population and scores the
k children together;
``rea-cossu`` is Cossu et al.'s set-up (Cossu, Dimonte & Presti, "Training Free Neural
Architecture Search"; formerly ``rea-seed001``): population up to 1000, an initial pool of 64,
tournament 20.

``freerea`` -- Cavagnero, Robbiano, Caputo & Averta, "FreeREA: Training-Free Evolution-based
Architecture Search", WACV 2023 (arXiv:2207.05135), as released:
``population`` random members (duplicates merged); each step draws a ``tournament``, takes
its top ``parents`` = 2 by norm-sum over the tournament, adds one mutant of each and one
uniform-crossover child of the two (a child seen before re-enters with its old record and is
made young again); steps repeat until the population exceeds ``population``; then the single
oldest member leaves (not on the first step, when all are equally old) and the population is
truncated to the ``population`` fittest (fitness over the population). FreeREA's budget is
wall time: 0.75 min on NATS (``--seconds 45``). The answer, as for every searcher here, is the
fittest of the whole history. With more workers than one step's children, each step runs as
many tournaments at once as keep every worker busy (one step, as released, up to 3 workers).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from zeronas.search.base import Searcher, register_searcher
from zeronas.search.evaluator import Evaluator
from zeronas.search.result import Evaluation, top_k
from zeronas.spaces.base import SearchSpace

__all__ = ["RegularizedEvolution", "FreeREA"]


@register_searcher(
    "rea-cossu", population=1000, tournament=20, initial=64, renamed_from="rea-seed001"
)
@register_searcher("rea")
class RegularizedEvolution(Searcher):
    """Aging evolution: mutate the best of a random ``tournament``; the oldest member leaves."""

    renamed_parameters = {"sample": "tournament"}

    def __init__(
        self, population: int = 10, tournament: int = 3, initial: int | None = None
    ) -> None:
        self.population = population
        self.tournament = tournament
        self.initial = initial

    def validate(self) -> None:
        self._require("population", self.population >= 1, "an integer >= 1")
        self._require(
            "tournament", 1 <= self.tournament <= self.population, "an integer in [1, population]"
        )
        self._require(
            "initial",
            self.initial is None or 1 <= self.initial <= self.population,
            "None or an integer in [1, population]",
        )

    def _search(self, space: SearchSpace, evaluator: Evaluator, rng: np.random.Generator) -> None:
        population: deque[Evaluation] = deque()
        start = self.initial or self.population
        while len(population) < start:
            needed = min(evaluator.parallelism, start - len(population))
            for record in evaluator.evaluate_many([space.sample(rng) for _ in range(needed)]):
                if record.ok:
                    population.append(record)
        while True:  # one tournament per worker in flight; their children scored together
            parents = [
                self._tournament(population, evaluator, rng) for _ in range(evaluator.parallelism)
            ]
            children = [space.mutate(parent.genome, rng) for parent in parents]
            for child in evaluator.evaluate_many(children):
                if child.ok:
                    population.append(child)
                    if len(population) > self.population:
                        population.popleft()

    def _tournament(
        self, population: deque[Evaluation], evaluator: Evaluator, rng: np.random.Generator
    ) -> Evaluation:
        """The fittest of ``tournament`` members drawn without replacement (fitness over them)."""
        pick = rng.choice(
            len(population), size=min(self.tournament, len(population)), replace=False
        )
        return top_k(evaluator.fitness, [population[i] for i in pick], 1)[0]


@register_searcher("freerea")
class FreeREA(Searcher):
    """FreeREA as released: two mutants + one crossover child per step, aging + truncation.

    The top 2 of a tournament each give a mutant, and together one crossover child; then the
    oldest member leaves and the population is cut back to its fittest ``population``.
    """

    def __init__(
        self, population: int = 100, tournament: int = 25, parents: int = 2, crossover: bool = True
    ) -> None:
        self.population = population
        self.tournament = tournament
        self.parents = parents
        self.crossover = crossover

    def validate(self) -> None:
        self._require("population", self.population >= 2, "an integer >= 2")
        self._require(
            "tournament", 1 <= self.tournament <= self.population, "an integer in [1, population]"
        )
        self._require("parents", 1 <= self.parents <= self.tournament, "in [1, tournament]")

    def _search(self, space: SearchSpace, evaluator: Evaluator, rng: np.random.Generator) -> None:
        # arch -> (record, birth step); dict order breaks ties between equally old members
        members: dict[str, tuple[Evaluation, int]] = {}
        initial = [space.sample(rng) for _ in range(self.population)]
        for record in evaluator.evaluate_many(initial):
            if record.ok:
                members[record.arch] = (record, 0)
        step = 0
        while True:
            step += 1
            while len(members) <= self.population:
                self._breed(space, evaluator, rng, members, step)
            births = [birth for _, birth in members.values()]
            if min(births) != max(births):
                del members[min(members, key=lambda arch: members[arch][1])]
            if len(members) > self.population:
                fittest = top_k(
                    evaluator.fitness, [r for r, _ in members.values()], self.population
                )
                keep = {r.arch for r in fittest}
                members = {a: m for a, m in members.items() if a in keep}

    def _breed(
        self,
        space: SearchSpace,
        evaluator: Evaluator,
        rng: np.random.Generator,
        members: dict[str, tuple[Evaluation, int]],
        step: int,
    ) -> None:
        pool = [record for record, _ in members.values()]
        per_tournament = self.parents + int(self.crossover and self.parents == 2)
        children = []  # as many tournaments at once as keep every worker busy
        for _ in range(max(1, evaluator.parallelism // per_tournament)):
            pick = rng.choice(len(pool), size=min(self.tournament, len(pool)), replace=False)
            parents = top_k(evaluator.fitness, [pool[i] for i in pick], self.parents)
            children += [space.mutate(p.genome, rng) for p in parents]
            if self.crossover and len(parents) == 2:
                children.append(space.crossover(parents[0].genome, parents[1].genome, rng))
        for record in evaluator.evaluate_many(children):
            if record.ok:
                members.pop(record.arch, None)  # seen before: re-enters, young again
                members[record.arch] = (record, step)
