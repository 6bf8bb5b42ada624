"""Proxy lists and proxy sets: ``"naswot,synflow[log=false]"`` parsed into proxies (a set's
name stands for its members), and the registry of named sets with their combiner and
second stage."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeronas.errors import ZeroNASError
from zeronas.proxies.base import PROXIES, Proxy, get_proxy
from zeronas.registry import Registry

__all__ = [
    "PROXY_SETS",
    "ProxySet",
    "named_set",
    "parse_proxy_list",
    "proxy_set",
    "proxy_versions",
    "sets_in",
    "split_proxy_list",
]


@dataclass(frozen=True)
class ProxySet:
    """A named set of proxies with the combiner that makes one score of them (AZ-NAS's
    Σ ln rank). Wherever ``--proxies`` is read, the name stands for its members; a search or
    correlation over all of them also combines them with ``combine``.

    ``screen`` and ``rerank``: a search over exactly this set proposes with the cheap
    ``screen`` proxies only, then scores its ``rerank`` fittest candidates with every member
    and answers with the best of those (a second stage, as in successive halving)."""

    name: str
    members: tuple[str, ...]
    combine: str
    description: str
    screen: tuple[str, ...] = ()
    rerank: int = 0

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "members": list(self.members), "combine": self.combine,
                "description": self.description, "screen": list(self.screen),
                "rerank": self.rerank}  # fmt: skip


PROXY_SETS: Registry[ProxySet] = Registry("proxy set", "zeronas.proxies")


def proxy_set(
    name: str,
    members: tuple[str, ...],
    combine: str,
    description: str,
    screen: tuple[str, ...] = (),
    rerank: int = 0,
) -> ProxySet:
    """Register the proxy set ``name`` (its members need not be registered yet)."""
    if bool(screen) != (rerank > 0):
        raise ZeroNASError(f"proxy set {name!r}: screen proxies and rerank > 0 go together")
    entry = ProxySet(name, members, combine, description, tuple(screen), rerank)
    PROXY_SETS.add(name, entry, module=sys._getframe(1).f_globals.get("__name__"))
    return entry


def sets_in(labels: Sequence[str]) -> list[ProxySet]:
    """The proxy sets of two or more members, all among ``labels`` (a one-member set ranks
    as its member does)."""
    sets = [PROXY_SETS.get(name) for name in PROXY_SETS]
    return [s for s in sets if len(s.members) > 1 and set(s.members) <= set(labels)]


def named_set(text: str, labels: Sequence[str]) -> ProxySet | None:
    """The proxy set ``text`` names when it is one set's name (not a proxy's) whose members
    are ``labels``, else None."""
    text = text.strip()
    if text in PROXIES or text not in PROXY_SETS:
        return None
    entry = PROXY_SETS.get(text)
    return entry if set(entry.members) == set(labels) else None


def split_proxy_list(text: str) -> list[str]:
    """Split a proxy list on the commas outside brackets: ``"a,b[x=1,y=2]"`` -> a, b[...]."""
    items, depth, current = [], 0, []
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def parse_proxy_list(text: str | list[str] | tuple[Proxy | str, ...]) -> list[Proxy]:
    """``"naswot,synflow[log=false]"`` (or a sequence of labels / proxies) -> proxies,
    validating every name and option; a proxy set's name stands for its members (sets may
    share members). A proxy listed twice is an error; one listed beside a set it is a member
    of is computed once, with a warning saying so."""
    if isinstance(text, str):
        items: list[Proxy | str] = list(split_proxy_list(text))
    else:
        items = [i.strip() if isinstance(i, str) else i for i in text]
        items = [i for i in items if not isinstance(i, str) or i]
    if not items:
        raise ZeroNASError(f"No proxy given. Available: {', '.join(PROXIES)}")
    out: list[Proxy] = []
    set_of: dict[str, str] = {}  # member -> the set listed that brought it
    explicit: set[str] = set()
    for item in items:
        if isinstance(item, str) and item not in PROXIES and item in PROXY_SETS:
            members = [get_proxy(m) for m in PROXY_SETS.get(item).members]
            for m in members:
                if m.name in explicit:
                    _listed_with_its_set(m.name, item, text)
                elif m.name not in set_of:
                    out.append(m)
                set_of.setdefault(m.name, item)
            continue
        p = item if isinstance(item, Proxy) else get_proxy(item)
        if p.name in set_of:
            _listed_with_its_set(p.name, set_of[p.name], text)
            continue
        if p.name in explicit:
            raise ZeroNASError(f"proxy {p.name!r} is listed twice in {text!r}")
        explicit.add(p.name)
        out.append(p)
    return out


def _listed_with_its_set(name: str, set_name: str, text: object) -> None:
    warnings.warn(
        f"proxy {name!r} is listed beside {set_name!r}, a set it is a member of: it is "
        "computed once",
        stacklevel=4,
    )


def proxy_versions(proxies: Mapping[str, Proxy] | list[Proxy]) -> dict[str, str]:
    """label -> version text, as stored."""
    items = proxies.values() if isinstance(proxies, Mapping) else proxies
    return {p.name: str(p.version) for p in items}
