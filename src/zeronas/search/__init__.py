"""Search algorithms; importing this package registers every built-in searcher."""

from zeronas.search import evolution, genetic, random  # noqa: F401  (registers)
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
