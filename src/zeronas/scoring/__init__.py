"""Scoring: one configuration, a batch and proxies in; every architecture's values, seconds
and failures out, live, from the store, from memory or from a precomputed table."""
