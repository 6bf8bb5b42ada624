"""Scoring: one configuration, a batch and proxies in; every architecture's values, seconds
and failures out, live, from the store, from memory or from a precomputed table."""

from zeronas.scoring.cached import CachedScorer
from zeronas.scoring.config import SCORE_PROXIES, ScoringConfig
from zeronas.scoring.records import ArchScores, ProxyValue
from zeronas.scoring.scorer import Scorer
from zeronas.scoring.sources import FunctionSource, MemoScorer, ScoreSource
from zeronas.scoring.table import TableScorer

__all__ = [
    "SCORE_PROXIES",
    "ArchScores",
    "CachedScorer",
    "FunctionSource",
    "MemoScorer",
    "ProxyValue",
    "ScoreSource",
    "Scorer",
    "ScoringConfig",
    "TableScorer",
]
