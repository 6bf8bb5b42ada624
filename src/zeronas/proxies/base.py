"""The proxy protocol and its registry.

A proxy is a pure function ``(net, x) -> float`` of an initialised network and the run's
input batch ``x`` (N x C x H x W): it never builds networks, loads data or touches a cache,
and it leaves the network's weights as it found them. Data-free proxies use ``x`` only for
its shape. Register one with::

    @proxy("naswot", higher_is_better=True, needs_data=True)
    def naswot(net, x): ...
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch
from torch import nn

from zeronas.errors import ZeroNASError
from zeronas.proxies._hooks import ForwardReader
from zeronas.registry import Registry

__all__ = [
    "Proxy",
    "PROXIES",
    "proxy",
    "derived_proxy",
    "get_proxy",
    "list_proxies",
    "parse_proxy_list",
]

ProxyFn = Callable[[nn.Module, torch.Tensor], float]
ArchFn = Callable[[Hashable], float]
ReaderFactory = Callable[[torch.Tensor], ForwardReader]


@dataclass(frozen=True)
class Proxy:
    """A registered proxy.

    ``init_dependent``: the value changes with the weight initialisation, so it is averaged
    over re-initialisations (``repeats``); otherwise it is computed once per architecture.
    ``arch_fn``: set for proxies that read only the architecture value (``skip``); scorers
    then call it directly and need not build the network.
    ``parts``: set for a *derived* proxy, Σ w_j (v_j − μ_j) / σ_j over (part name, w_j)
    pairs, with μ_j, σ_j of each part over a reference sample of random architectures of the
    space (NINASWOT); scorers compute the parts and the reference, ``fn`` cannot.
    ``reader``: set for proxies that only read a train-mode no-grad forward of the batch
    (``naswot``); given the batch it makes a :class:`~zeronas.proxies._hooks.ForwardReader`,
    and scorers run one forward for all such proxies of an architecture.
    """

    name: str
    fn: ProxyFn
    higher_is_better: bool
    needs_data: bool
    init_dependent: bool
    description: str
    arch_fn: ArchFn | None = None
    reader: ReaderFactory | None = None
    parts: tuple[tuple[str, float], ...] = ()

    def __call__(self, net: nn.Module, x: torch.Tensor) -> float:
        return float(self.fn(net, x))


PROXIES: Registry[Proxy] = Registry("proxy")


def proxy(
    name: str,
    *,
    higher_is_better: bool = True,
    needs_data: bool = False,
    init_dependent: bool = True,
    description: str = "",
    arch_fn: ArchFn | None = None,
    reader: ReaderFactory | None = None,
) -> Callable[[ProxyFn], ProxyFn]:
    """Register ``fn`` as proxy ``name``; the description defaults to its docstring's first line."""

    def decorate(fn: ProxyFn) -> ProxyFn:
        doc = description or (fn.__doc__ or "").strip().splitlines()[0]
        PROXIES.add(
            name,
            Proxy(name, fn, higher_is_better, needs_data, init_dependent, doc, arch_fn, reader),
        )
        return fn

    return decorate


@dataclass(frozen=True)
class _NeedsAScorer:
    """The ``fn`` of a derived proxy: it has no value on a network alone."""

    name: str

    def __call__(self, net: nn.Module, x: torch.Tensor) -> float:
        raise ZeroNASError(
            f"{self.name} is a z-score sum over a reference sample of the space: score it with "
            "a Scorer (zeronas score / correlate / search), not on a network alone"
        )


def derived_proxy(
    name: str, parts: tuple[tuple[str, float], ...], description: str, higher_is_better: bool = True
) -> Proxy:
    """Register ``name`` = Σ w_j z(part_j), z from the scorer's reference sample."""

    for part, _ in parts:
        get_proxy(part)  # parts exist
    entry = Proxy(
        name, _NeedsAScorer(name), higher_is_better, any(get_proxy(p).needs_data for p, _ in parts),
        True, description, parts=parts,
    )  # fmt: skip
    PROXIES.add(name, entry)
    return entry


def get_proxy(name: str) -> Proxy:
    return PROXIES.get(name)


def list_proxies(pattern: str = "*") -> list[str]:
    return PROXIES.names(pattern)


def parse_proxy_list(text: str | list[str]) -> list[Proxy]:
    """``"naswot,synflow"`` -> proxies, validating every name; duplicates are dropped."""
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ZeroNASError(f"No proxy given. Available: {', '.join(PROXIES)}")
    out: list[Proxy] = []
    for n in names:
        p = get_proxy(n)
        if p not in out:
            out.append(p)
    return out
