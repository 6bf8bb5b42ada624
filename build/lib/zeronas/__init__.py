"""zeronas: training-free neural architecture search with zero-cost proxies.

The registries of proxies, spaces and searchers find their plug-ins at first use (every
module of their package, then the entry points ``zeronas.proxies``, ``zeronas.spaces``,
``zeronas.searchers``). What defines a score is one frozen :class:`ScoringConfig`; a search
adds a :class:`SearchConfig`.
"""

from zeronas.api import resolve_arch, run_correlation, score, search, search_setup, setup
from zeronas.data.tasks import DATASETS, get_dataset, list_datasets
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.fitness.combiners import COMBINERS, Fitness
from zeronas.hardware.limits import Limits
from zeronas.proxies import PROXIES, get_proxy, list_proxies, proxy
from zeronas.scoring.config import ScoringConfig
from zeronas.search.base import SEARCHERS, get_searcher, list_searchers
from zeronas.search.config import SearchConfig
from zeronas.spaces import SPACES, get_space, list_spaces

__version__ = "0.1.0"

__all__ = [
    "COMBINERS",
    "DATASETS",
    "PROXIES",
    "SEARCHERS",
    "SPACES",
    "Fitness",
    "Limits",
    "ParameterError",
    "ScoringConfig",
    "SearchConfig",
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
