"""The search algorithms. Every module of this package is a searcher plug-in, found at the
registry's first use (:data:`~zeronas.search.base.SEARCHERS`): adding one is one new file."""
