"""The score store: every proxy value ever computed, in SQLite, keyed by what defines it;
named runs; export and merge; precomputed score tables (``--scores``)."""

from zeronas.store.schema import ScoreKey, StoredScore, StoreError, default_cache_path
from zeronas.store.sqlite import ScoreStore
from zeronas.store.tables import ScoreTable, open_score_table

__all__ = [
    "ScoreKey",
    "ScoreStore",
    "ScoreTable",
    "StoreError",
    "StoredScore",
    "default_cache_path",
    "open_score_table",
]
