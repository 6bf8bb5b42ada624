"""``nsga2`` -- Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective Genetic
Algorithm: NSGA-II", IEEE TEVC 2002: proxy fitness (maximised) against hardware costs
(minimised: table or measured latency, parameters, MACs, FLOPs, peak memory;
:mod:`zeronas.costs`).

Start from ``population`` random architectures. Each generation breeds ``population``
children: two binary tournaments (lower front first, then larger crowding distance) give two
parents, which with probability ``crossover`` give a uniform-crossover child, else a copy of
the first; the child is then mutated (the space's mutation, NB101/REA-style edits). Parents
and children are merged (a child seen before brings its old record) and the next population
is filled front by front, the last front cut by crowding distance. Fitness is taken over the
merged set (the set being compared), so rank-based combiners stay consistent; a candidate
that failed is dominated by every one that did not. Without cost objectives it is an elitist
single-objective GA (one front per fitness level).

Why our own searcher and not Optuna's ``NSGAIISampler``: Optuna samples independent
categorical parameters, so it cannot use a space's own validity-keeping mutation and
crossover (NAS-Bench-101, the block space), and it would bypass the evaluator's
de-duplication, limits, store and search-time accounting. Sorting and the hypervolume come
from ``moocore`` (:mod:`zeronas.pareto`).
"""

from __future__ import annotations

import numpy as np

from zeronas.search.base import Searcher, register_searcher
from zeronas.search.evaluator import Evaluator
from zeronas.search.pareto import crowding_distance, pareto_ranks
from zeronas.search.result import Evaluation, objective_matrix
from zeronas.spaces.base import SearchSpace

__all__ = ["NSGA2"]


@register_searcher("nsga2")
class NSGA2(Searcher):
    """Elitist non-dominated sorting GA over fitness and the search's cost objectives."""

    def __init__(self, population: int = 50, crossover: float = 0.9) -> None:
        self.population = population
        self.crossover = crossover

    def validate(self) -> None:
        self._require("population", self.population >= 2, "an integer >= 2")
        self._require("crossover", 0.0 <= self.crossover <= 1.0, "a probability in [0, 1]")

    def _search(self, space: SearchSpace, evaluator: Evaluator, rng: np.random.Generator) -> None:
        population: list[Evaluation] = []
        while len(population) < self.population:
            needed = self.population - len(population)
            fresh = evaluator.evaluate_many([space.sample(rng) for _ in range(needed)])
            population = _unique(population + fresh)
        while True:
            rank, crowd = self._order(population, evaluator)
            children = []
            for _ in range(self.population):
                first = population[self._tournament(rank, crowd, rng)]
                child = first.genome
                if rng.random() < self.crossover:
                    second = population[self._tournament(rank, crowd, rng)]
                    child = space.crossover(first.genome, second.genome, rng)
                children.append(space.mutate(child, rng))
            merged = _unique(population + evaluator.evaluate_many(children))
            population = self._survivors(merged, evaluator)

    def _order(
        self, records: list[Evaluation], evaluator: Evaluator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Front (0 = non-dominated) and crowding distance within its front, per record."""
        points = objective_matrix(evaluator.fitness, records, evaluator.costs)
        points[[not r.ok for r in records]] = np.inf  # failed: behind every front
        rank = pareto_ranks(points)
        crowd = np.zeros(len(records))
        for front in np.unique(rank):
            members = np.flatnonzero(rank == front)
            finite = np.where(np.isfinite(points[members]), points[members], 0.0)
            crowd[members] = crowding_distance(finite)
        return rank, crowd

    @staticmethod
    def _tournament(rank: np.ndarray, crowd: np.ndarray, rng: np.random.Generator) -> int:
        a, b = rng.choice(len(rank), size=2, replace=len(rank) < 2)
        if rank[a] != rank[b]:
            return int(a if rank[a] < rank[b] else b)
        return int(a if crowd[a] >= crowd[b] else b)

    def _survivors(self, merged: list[Evaluation], evaluator: Evaluator) -> list[Evaluation]:
        rank, crowd = self._order(merged, evaluator)
        order = np.lexsort((-crowd, rank))  # by front, then most isolated first
        return [merged[i] for i in order[: self.population]]


def _unique(records: list[Evaluation]) -> list[Evaluation]:
    """``records`` without repeats (a proposal seen before returns the same record)."""
    return list({r.arch: r for r in records}.values())
