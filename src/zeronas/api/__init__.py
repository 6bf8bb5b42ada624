"""The public API behind the CLI: from one configuration, score, correlate and search.

Every function takes a frozen configuration (:class:`~zeronas.config.ScoringConfig`, or
:class:`~zeronas.config.SearchConfig` for searches), or its fields as keywords::

    import zeronas
    run = zeronas.setup(proxies="naswot,synflow[log=false]", batch_size=64)
    run.scorer(run.space.arch(123)).values

    config = zeronas.SearchConfig(zeronas.ScoringConfig(proxies="naswot,logsynflow"))
    result = zeronas.search(zeronas.search_setup(config), "rea", budget=100)
"""

from zeronas.api.scoring import (
    ScoringSetup,
    correlation_indices,
    load_config_batch,
    resolve_arch,
    run_correlation,
    score,
    setup,
)
from zeronas.api.searching import (
    DEFAULT_SEARCH_RUN,
    SearchSetup,
    scoring_pool,
    search,
    search_setup,
)
from zeronas.search.config import DEFAULT_SEARCH, default_search_proxies

__all__ = [
    "DEFAULT_SEARCH",
    "DEFAULT_SEARCH_RUN",
    "ScoringSetup",
    "SearchSetup",
    "correlation_indices",
    "default_search_proxies",
    "load_config_batch",
    "resolve_arch",
    "run_correlation",
    "score",
    "scoring_pool",
    "search",
    "search_setup",
    "setup",
]
