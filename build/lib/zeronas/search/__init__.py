"""Search: the problem and its budget, the evaluation loop every searcher shares, results,
Pareto fronts, the second stage of a two-stage search, and the search algorithms. Every
module of this package is imported at the registry's first use: a module that registers a
searcher is a plug-in, so adding one is one new file."""

from zeronas.search.base import (
    SEARCHERS,
    Searcher,
    get_searcher,
    list_searchers,
    register_searcher,
)
from zeronas.search.evaluator import Evaluator
from zeronas.search.problem import Budget, BudgetExhausted, SearchProblem
from zeronas.search.result import Evaluation, SearchResult

__all__ = [
    "SEARCHERS",
    "Budget",
    "BudgetExhausted",
    "Evaluation",
    "Evaluator",
    "SearchProblem",
    "SearchResult",
    "Searcher",
    "get_searcher",
    "list_searchers",
    "register_searcher",
]
