"""Search algorithms. Every module of this package is a searcher plug-in, found at first use
of the registry (:class:`~zeronas.registry.Registry`): adding one is one new file."""

from zeronas.search.base import (
    SEARCHERS,
    Budget,
    BudgetExhausted,
    Evaluation,
    Evaluator,
    Searcher,
    SearchResult,
    get_searcher,
    list_searchers,
    register_searcher,
)

__all__ = [
    "SEARCHERS",
    "Budget",
    "BudgetExhausted",
    "Evaluation",
    "Evaluator",
    "SearchResult",
    "Searcher",
    "get_searcher",
    "list_searchers",
    "register_searcher",
]
