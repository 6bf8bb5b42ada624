"""Random search (Fernandes, Algorithm 1; Li & Talwalkar 2019, arXiv:1902.07638).

Sample architectures uniformly (as many at a time as the executor has workers); the
evaluator's de-duplication makes a budget of N evaluations N *distinct* architectures; the
answer is the fittest of them.
"""

from __future__ import annotations

import numpy as np

from zeronas.search.base import Searcher, register_searcher
from zeronas.search.evaluator import Evaluator
from zeronas.spaces.base import SearchSpace

__all__ = ["RandomSearch"]


@register_searcher("random")
class RandomSearch(Searcher):
    """Uniform random sampling of distinct architectures until the budget is spent."""

    def __init__(self) -> None:
        pass

    def _search(self, space: SearchSpace, evaluator: Evaluator, rng: np.random.Generator) -> None:
        while True:
            evaluator.evaluate_many([space.sample(rng) for _ in range(evaluator.parallelism)])
