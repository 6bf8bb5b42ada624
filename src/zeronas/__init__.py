"""zeronas: training-free neural architecture search with zero-cost proxies.

Importing the package registers every built-in search space, proxy and dataset.
"""

from zeronas.api import resolve_arch, run_correlation, score, setup
from zeronas.datasets import DATASETS, get_dataset, list_datasets
from zeronas.errors import ZeroNASError
from zeronas.proxies import PROXIES, get_proxy, list_proxies, proxy
from zeronas.spaces import SPACES, get_space, list_spaces

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "PROXIES",
    "SPACES",
    "ZeroNASError",
    "get_dataset",
    "get_proxy",
    "get_space",
    "list_datasets",
    "list_proxies",
    "list_spaces",
    "proxy",
    "resolve_arch",
    "run_correlation",
    "score",
    "setup",
]
