"""A small name -> plug-in registry shared by spaces, proxies and datasets."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from zeronas.errors import UnknownNameError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps the names users type (``naswot``, ``nats-tss``) to plug-ins.

    Duplicate names raise; unknown names raise :class:`UnknownNameError` with close matches
    and the full list of what is available.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""
        return lambda item: self.add(name, item)

    def get(self, name: str) -> T:
        if name in self._items:
            return self._items[name]
        folded = {key.lower(): key for key in self._items}
        if name.lower() in folded:
            return self._items[folded[name.lower()]]
        close = difflib.get_close_matches(name, list(self._items), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownNameError(
            f"Unknown {self.kind} {name!r}.{hint} Available: {', '.join(self._items)}"
        )

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching an fnmatch ``pattern`` (``syn*``), in registration order."""
        return [name for name in self._items if fnmatch.fnmatch(name, pattern)]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
