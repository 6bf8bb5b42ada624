"""Search spaces; importing this package registers every built-in space."""

from zeronas.spaces import blocks, mobilenet, nats_sss, nats_tss  # noqa: F401  (registers)
from zeronas.spaces.base import SPACES, SearchSpace, get_space, list_spaces, register_space

__all__ = ["SPACES", "SearchSpace", "get_space", "list_spaces", "register_space"]
