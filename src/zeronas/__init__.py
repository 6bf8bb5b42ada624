"""zeronas: training-free neural architecture search with zero-cost proxies.

Importing the package registers every built-in search space, proxy, dataset and searcher.
"""

from zeronas.api import resolve_arch, run_correlation, score, search, search_setup, setup
from zeronas.budgets import Constraints
from zeronas.datasets import DATASETS, get_dataset, list_datasets
from zeronas.errors import ZeroNASError
from zeronas.fitness import COMBINERS, Fitness
from zeronas.proxies import PROXIES, get_proxy, list_proxies, proxy
from zeronas.search import SEARCHERS, get_searcher, list_searchers
from zeronas.spaces import SPACES, get_space, list_spaces

__version__ = "0.1.0"

__all__ = [
    "COMBINERS",
    "DATASETS",
    "PROXIES",
    "SEARCHERS",
    "SPACES",
    "Constraints",
    "Fitness",
    "ZeroNASError",
    "get_dataset",
    "get_proxy",
    "get_searcher",
    "get_space",
    "list_datasets",
    "list_proxies",
    "list_searchers",
    "list_spaces",
    "proxy",
    "resolve_arch",
    "run_correlation",
    "score",
    "search",
    "search_setup",
    "setup",
]
