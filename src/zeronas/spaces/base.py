"""The search-space protocol and its registry.

Call order for a search: ``sample`` / ``mutate`` / ``crossover`` produce immutable arch values;
``encode`` gives the canonical string stored in results and caches (``decode`` reverses it);
only ``build`` makes an ``nn.Module``.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import numpy as np
from torch import nn

from zeronas.params import keyword_defaults, resolve_parameters
from zeronas.registry import Registry

__all__ = [
    "SearchSpace", "SPACES", "register_space", "get_space", "list_spaces", "first_mismatch",
]  # fmt: skip

Arch = Hashable


class SearchSpace(abc.ABC):
    """A family of architectures. Finite spaces also define ``size``, ``index`` and ``arch``."""

    name: str = ""
    description: str = ""
    size: int | None = None
    #: Bumped whenever the networks ``build`` makes change: part of every stored key.
    version: int = 1
    #: For NATS-Bench spaces: the official file's search-space name ("tss" / "sss") and the
    #: ``hp`` of its full training schedule (TSS 200 epochs, SSS 90).
    benchmark_kind: str | None = None
    final_hp: str | None = None
    #: Budgets a search of this space applies unless the user sets them
    #: (:class:`~zeronas.limits.Limits` field -> limit).
    default_limits: dict[str, float] = {}
    #: The proxies plain ``zeronas search`` uses on this space where the frozen ``ensemble``
    #: (chosen on NATS-TSS) is known to rank it badly; None: the ensemble.
    search_proxies: str | None = None
    #: The activation module types its networks use (all known ones unless a space says).
    activations: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.GELU, nn.SiLU)

    def params(self) -> dict[str, Any]:
        """The constructor parameters and their values (part of every stored key)."""
        keys = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k) for k in keys if k not in ("self", "args", "kwargs")}

    def known_index(self, arch: Arch) -> int | None:
        """``arch``'s index where it is cheap to know (records carry it), else None; a space
        whose index must first be built (NAS-Bench-101's) says None until it is."""
        return self.index(arch) if self.size is not None else None

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """A uniformly random architecture."""

    @abc.abstractmethod
    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A valid architecture that differs from ``arch`` in one place."""

    @abc.abstractmethod
    def crossover(self, a: Arch, b: Arch, rng: np.random.Generator) -> Arch:
        """A child taking each gene from ``a`` or ``b``."""

    @abc.abstractmethod
    def encode(self, arch: Arch) -> str:
        """The canonical string; ``decode(encode(a)) == a``."""

    @abc.abstractmethod
    def decode(self, text: str) -> Arch:
        """Parse and validate a string; raises :class:`~zeronas.errors.ArchError`."""

    @abc.abstractmethod
    def build(self, arch: Arch, num_classes: int, input_shape: tuple[int, int, int]) -> nn.Module:
        """The network for ``arch``; ``forward`` returns logits; ``.arch`` holds ``arch``."""

    def index(self, arch: Arch) -> int:
        raise NotImplementedError(f"space {self.name!r} has no index order")

    def arch(self, index: int) -> Arch:
        raise NotImplementedError(f"space {self.name!r} has no index order")

    def enumerate(self) -> Iterator[Arch]:
        if self.size is None:
            raise NotImplementedError(f"space {self.name!r} is not finite")
        return (self.arch(i) for i in range(self.size))


def first_mismatch(
    space: SearchSpace, archs: Iterable[tuple[int, str]]
) -> tuple[int, str, str | None] | None:
    """The first ``(index, text, expected)`` where a table's arch string ``text`` is not the
    space's architecture at ``index`` (``expected`` None: no such index), else None."""
    for index, text in archs:
        try:
            expected = space.encode(space.arch(index))
        except ValueError:
            expected = None
        if text != expected:
            return index, text, expected
    return None


SPACES: Registry[type[SearchSpace]] = Registry("search space", "zeronas.spaces", "zeronas.spaces")


def register_space(cls: type[SearchSpace]) -> type[SearchSpace]:
    """Class decorator: register a space under its ``name``."""
    return SPACES.add(cls.name, cls)


def get_space(name: str, **params: Any) -> SearchSpace:
    """An instance of the space registered as ``name``, with constructor ``params`` (text is
    converted to each parameter's type; unknown ones are refused, naming the valid ones)."""
    cls = SPACES.get(name)
    if not params:
        return cls()
    defaults = keyword_defaults(cls.__init__, positional=1)
    return cls(**resolve_parameters(params, defaults, f"space {name!r}"))


def list_spaces(pattern: str = "*") -> list[str]:
    return SPACES.names(pattern)
