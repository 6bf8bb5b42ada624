"""Search spaces. Every module of this package is a space plug-in, found at first use of
the registry (:class:`~zeronas.registry.Registry`): adding one is one new file."""

from zeronas.spaces.base import SPACES, SearchSpace, get_space, list_spaces, register_space

__all__ = ["SPACES", "SearchSpace", "get_space", "list_spaces", "register_space"]
