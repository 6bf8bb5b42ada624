"""A small name -> plug-in registry shared by spaces, proxies, searchers and datasets.

A registry with a ``package`` discovers its plug-ins: at first use it imports every module
of that package (so adding a built-in plug-in is one new file and no edit elsewhere), then
loads the ``entry_points`` group of that name, so other packages register theirs by
declaring, in their ``pyproject.toml``::

    [project.entry-points."zeronas.proxies"]
    my_proxy = "my_package.my_module"

(the module registers on import, with the same decorator the built-ins use). A plug-in
that fails to import is skipped with a warning naming it; zeronas itself keeps working.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import pkgutil
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from types import FunctionType
from typing import Generic, TypeVar

from zeronas.errors import UnknownNameError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps the names users type (``naswot``, ``nats-tss``) to plug-ins.

    Duplicate names raise; unknown names raise :class:`UnknownNameError` with close matches
    and the full list of what is available; a renamed name says what it is called now.
    """

    def __init__(
        self, kind: str, package: str | None = None, entry_points: str | None = None
    ) -> None:
        self.kind = kind
        self.package = package
        self.group = entry_points
        self._items: dict[str, T] = {}
        self._modules: dict[str, str] = {}
        self._renamed: dict[str, str] = {}
        self._state = "new" if package or entry_points else "loaded"
        self._importing = ""  # the plug-in module being imported, credited with what it adds

    def _load(self) -> None:
        """Import the package's modules and the entry points, once."""
        if self._state != "new":
            return
        self._state = "loading"
        try:
            if self.package is not None:
                package = importlib.import_module(self.package)
                for info in pkgutil.iter_modules(package.__path__):
                    if not info.name.startswith("_"):
                        self._import(f"{self.package}.{info.name}")
            if self.group is not None:
                for entry in metadata.entry_points(group=self.group):
                    try:
                        self._importing = entry.module
                        entry.load()
                    except Exception as exc:  # noqa: BLE001 -- a broken plug-in is skipped
                        warnings.warn(
                            f"zeronas: {self.kind} plug-in {entry.name!r} ({entry.value}) "
                            f"failed to load and is skipped: {type(exc).__name__}: {exc}",
                            stacklevel=2,
                        )
        finally:
            self._state, self._importing = "loaded", ""

    def _import(self, module: str) -> None:
        self._importing = module
        importlib.import_module(module)

    def add(self, name: str, item: T, module: str | None = None) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        own = getattr(item, "__module__", None) if isinstance(item, type | FunctionType) else None
        self._modules[name] = module or own or self._importing
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""
        return lambda item: self.add(name, item)

    def rename(self, old: str, new: str) -> None:
        """``old`` is now called ``new``: asking for ``old`` says so."""
        self._renamed[old] = new

    def module(self, name: str) -> str:
        """The module that registered ``name``."""
        self.get(name)
        return self._modules[name]

    def get(self, name: str) -> T:
        self._load()
        if name in self._items:
            return self._items[name]
        folded = {key.lower(): key for key in self._items}
        if name.lower() in folded:
            return self._items[folded[name.lower()]]
        if name in self._renamed:
            raise UnknownNameError(
                f"{self.kind} {name!r} was renamed to {self._renamed[name]!r}: use that name"
            )
        close = difflib.get_close_matches(name, list(self._items), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownNameError(
            f"Unknown {self.kind} {name!r}.{hint} Available: {', '.join(self._items)}"
        )

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching an fnmatch ``pattern`` (``syn*``), in registration order."""
        self._load()
        return [name for name in self._items if fnmatch.fnmatch(name, pattern)]

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(list(self._items))

    def __len__(self) -> int:
        self._load()
        return len(self._items)
