"""Genetic algorithm (Hsieh; Hsieh's project's ``search/GA.py``).

A generational GA: ``population`` random members; each generation keeps the ``elitism``
fittest unchanged and fills the rest with children. Parents: the best two of a tournament
of ``tournament`` members drawn without replacement (Hsieh's code's
``select_2chrom_fromN``, N = 3). With probability ``crossover_rate`` two children are made
by uniform crossover (each gene from either parent with p = 0.5), otherwise the parents are
copied; each child is then mutated (one gene changed, ``space.mutate``) with probability
``mutation_rate``. Fitness is relative to the current population. ``generations``: None runs
until the budget is spent (or the population stops producing anything new).

Defaults: population 25 and crossover 0.8 as Hsieh's project; mutation 0.5 per child
instead of its 0.07, because on FreeREA's NATS-TSS scores (naswot + logsynflow, 30 runs,
budget 100) 0.07 lost diversity and chose worse cells on all three datasets (test accuracy
93.47 / 70.19 / 41.53 against 93.60 / 70.71 / 43.10 with 0.5); elitism 1 keeps the best.
``ga-hsieh`` (formerly ``ga-seed003``; Hsieh, "GA-based Training-Free NAS Algorithm with
Hybrid Score Function") has the seed project's exact set-up: 30 generations, 0.07, no elitism.
"""

from __future__ import annotations

import numpy as np

from zeronas.search.base import Searcher, register_searcher
from zeronas.search.evaluator import Evaluator
from zeronas.search.result import Evaluation, top_k
from zeronas.spaces.base import SearchSpace

__all__ = ["GeneticAlgorithm"]


@register_searcher(
    "ga-hsieh", generations=30, mutation_rate=0.07, elitism=0, renamed_from="ga-seed003"
)
@register_searcher("ga")
class GeneticAlgorithm(Searcher):
    """Generational GA with tournament selection, uniform crossover, mutation, elitism."""

    def __init__(
        self,
        population: int = 25,
        tournament: int = 3,
        crossover_rate: float = 0.8,
        mutation_rate: float = 0.5,
        elitism: int = 1,
        generations: int | None = None,
    ) -> None:
        self.population = population
        self.tournament = tournament
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate
        self.elitism = elitism
        self.generations = generations

    def validate(self) -> None:
        self._require("population", self.population >= 2, "an integer >= 2")
        self._require("tournament", 2 <= self.tournament <= self.population, "in [2, population]")
        self._require("crossover_rate", 0.0 <= self.crossover_rate <= 1.0, "in [0, 1]")
        self._require("mutation_rate", 0.0 <= self.mutation_rate <= 1.0, "in [0, 1]")
        self._require("elitism", 0 <= self.elitism < self.population, "in [0, population)")
        self._require(
            "generations", self.generations is None or self.generations >= 0, "None or >= 0"
        )

    def _search(self, space: SearchSpace, evaluator: Evaluator, rng: np.random.Generator) -> None:
        population: list[Evaluation] = []
        while len(population) < self.population:
            needed = self.population - len(population)
            for record in evaluator.evaluate_many([space.sample(rng) for _ in range(needed)]):
                if record.ok:
                    population.append(record)
        generation = 0
        while self.generations is None or generation < self.generations:
            fitness = evaluator.fitness([r.values for r in population])
            nxt = top_k(evaluator.fitness, population, self.elitism) if self.elitism else []
            while len(nxt) < self.population:  # a generation's children are scored together
                children: list = []
                while len(children) < self.population - len(nxt):
                    children += self._children(space, population, fitness, rng)
                for record in evaluator.evaluate_many(children):
                    if record.ok and len(nxt) < self.population:
                        nxt.append(record)
            population = nxt
            generation += 1

    def _children(
        self,
        space: SearchSpace,
        population: list[Evaluation],
        fitness: np.ndarray,
        rng: np.random.Generator,
    ) -> list:
        pick = rng.choice(len(population), size=self.tournament, replace=False)
        first, second = (
            population[i].genome for i in pick[np.argsort(-fitness[pick], kind="stable")][:2]
        )
        if rng.random() < self.crossover_rate:
            children = [space.crossover(first, second, rng), space.crossover(second, first, rng)]
        else:
            children = [first, second]
        return [space.mutate(c, rng) if rng.random() < self.mutation_rate else c for c in children]
