"""The score store: every proxy value ever computed, in SQLite, keyed by what defines it;
named runs; export and merge; precomputed score tables."""
