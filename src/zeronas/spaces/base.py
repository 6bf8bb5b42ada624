"""The search-space protocol and its registry.

Call order for a search: ``sample`` / ``mutate`` / ``crossover`` produce immutable arch values;
``encode`` gives the canonical string stored in results and caches (``decode`` reverses it);
only ``build`` makes an ``nn.Module``.
"""

from __future__ import annotations

import abc
from collections.abc import Hashable, Iterator

import numpy as np
from torch import nn

from zeronas.registry import Registry

__all__ = ["SearchSpace", "SPACES", "register_space", "get_space", "list_spaces"]

Arch = Hashable


class SearchSpace(abc.ABC):
    """A family of architectures. Finite spaces also define ``size``, ``index`` and ``arch``."""

    name: str = ""
    description: str = ""
    size: int | None = None
    #: For NATS-Bench spaces: the official file's search-space name ("tss" / "sss") and the
    #: ``hp`` of its full training schedule (TSS 200 epochs, SSS 90).
    benchmark_kind: str | None = None
    final_hp: str | None = None
    #: Budgets a search of this space applies unless the user sets them
    #: (:class:`~zeronas.budgets.Constraints` field -> limit).
    default_budgets: dict[str, float] = {}
    #: The activation module types its networks use (all known ones unless a space says).
    activations: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.GELU, nn.SiLU)

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


SPACES: Registry[type[SearchSpace]] = Registry("search space")


def register_space(cls: type[SearchSpace]) -> type[SearchSpace]:
    """Class decorator: register a space under its ``name``."""
    return SPACES.add(cls.name, cls)


def get_space(name: str) -> SearchSpace:
    """An instance of the space registered as ``name``."""
    return SPACES.get(name)()


def list_spaces(pattern: str = "*") -> list[str]:
    return SPACES.names(pattern)
