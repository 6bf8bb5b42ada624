"""The proxy protocol and its registry.

A proxy is a pure function ``(net, x, **options) -> float`` of an initialised network and
the run's input batch ``x`` (N x C x H x W), or ``(net, x, y, **options)`` when it reads the
batch's labels ``y`` in a pass of its own: it never builds networks, loads data or touches
a cache, and it leaves the network's weights as it found them. Data-free proxies use ``x``
only for its shape. Its *options* are its keyword-only parameters with their defaults; its
*version* is bumped whenever its definition changes, so that stored values of the old
definition are never served for the new one. Register one with::

    @proxy("conv_count", needs_data=False, init_dependent=False, reads="shapes")
    def conv_count(net, x, *, kernel: int = 3): ...

A proxy reading a computed pass (:mod:`zeronas.proxies.passes`) is instead a function of that
pass's result: ``@proxy("synflow", reads="synflow") def synflow(terms, *, log=True)``.

Options are set by name in the API (``get_proxy("synflow", log=False)``) and inside the
proxy list on the command line (``--proxies 'naswot,synflow[log=false]'``). A proxy with
non-default options is named by its label, ``synflow[log=false]``, everywhere its values go
(tables, stored rows, fitness).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from zeronas.errors import ZeroNASError
from zeronas.params import (
    Check,
    check_values,
    keyword_defaults,
    renamed_keys,
    resolve_parameters,
)
from zeronas.proxies._hooks import ForwardReader
from zeronas.proxies.passes import COMPUTED_PASSES, check_pass
from zeronas.registry import Registry

__all__ = [
    "Proxy",
    "PROXIES",
    "proxy",
    "derived_proxy",
    "get_proxy",
    "list_proxies",
]

ProxyFn = Callable[..., float]
ArchFn = Callable[..., float]
ReaderFactory = Callable[..., ForwardReader]


def _format_option(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class Proxy:
    """A registered proxy, with the values of its options.

    ``name``: the registry name, followed by ``[key=value,...]`` for every option that
    differs from its default (the *label* under which values are shown and stored);
    ``base``: the registry name alone. ``reads``: the pass it reads (see
    :mod:`zeronas.passes`). ``init_dependent``: the value changes with the weight
    initialisation, so it is averaged over re-initialisations (``repeats``); otherwise it is
    computed once per architecture. ``arch_fn``: set for proxies that read only the
    architecture value (``skip``); scorers then call it directly and need not build the
    network. ``parts``: set for a *derived* proxy, Σ w_j (v_j − μ_j) / σ_j over (part name,
    w_j) pairs, with μ_j, σ_j of each part over a reference sample of random architectures of
    the space (NINASWOT); scorers compute the parts and the reference, ``fn`` cannot.
    ``reader``: for proxies reading the shared ``forward`` pass; given the batch (and the
    options) it makes a :class:`~zeronas.proxies._hooks.ForwardReader`.
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
    version: int = 1
    needs_labels: bool = False
    reads: str = "own"
    defaults: tuple[tuple[str, Any], ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    base: str = field(default="")
    #: What it reads instead of the run's whole batch (``"64 N(0,1) images"``); "" for the
    #: batch as given. ``zeronas proxies`` and ``--batch-size``'s help say so.
    images: str = ""
    #: old option name -> what it is called now (the old spelling keeps working)
    renamed_options: tuple[tuple[str, str], ...] = ()
    #: the spaces it is defined on (empty: any); it is refused on others before any work
    spaces: tuple[str, ...] = ()
    #: option -> (what is allowed, check): declared ranges, checked when options are set
    checks: tuple[tuple[str, Check], ...] = ()

    def __post_init__(self) -> None:
        if not self.base:
            object.__setattr__(self, "base", self.name)

    def __call__(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
        """The value on ``net`` for the batch ``x`` (labels ``y`` where the pass needs them),
        running the proxy's pass for it alone."""
        compute = COMPUTED_PASSES.get(self.reads)
        if compute is not None:
            return self.read(compute(net, x, y))
        if self.needs_labels:  # a pass of its own that reads the labels: fn(net, x, y)
            return float(self.fn(net, x, y, **dict(self.options)))
        return float(self.fn(net, x, **dict(self.options)))

    def read(self, result: Any) -> float:
        """The value from the result of the computed pass this proxy reads."""
        return float(self.fn(result, **dict(self.options)))

    def value_of(self, arch: Hashable) -> float:
        """The value of an arch-only proxy (``arch_fn``) with this proxy's options."""
        if self.arch_fn is None:
            raise ZeroNASError(f"proxy {self.name!r} needs a network, not an architecture")
        return float(self.arch_fn(arch, **dict(self.options)))

    def make_reader(self, x: torch.Tensor) -> ForwardReader:
        """This proxy's reader of the shared forward pass over ``x``."""
        if self.reader is None:
            raise ZeroNASError(f"proxy {self.name!r} does not read the shared forward pass")
        return self.reader(x, **dict(self.options))

    def configure(self, **options: Any) -> Proxy:
        """This proxy with ``options`` set (text is converted to each option's type)."""
        owner = f"proxy {self.base!r}"
        options = renamed_keys(options, dict(self.renamed_options), owner)
        values = resolve_parameters(dict(self.options) | options, dict(self.defaults), owner)
        check_values(values, dict(self.checks), owner)
        changed = [(k, v) for k, v in values.items() if v != dict(self.defaults)[k]]
        label = self.base
        if changed:
            label += "[" + ",".join(f"{k}={_format_option(v)}" for k, v in changed) + "]"
        return replace(self, name=label, options=tuple(values.items()))

    def describe(self) -> dict[str, Any]:
        """What ``zeronas proxies --json`` lists."""
        return {
            "name": self.base,
            "version": self.version,
            "higher_is_better": self.higher_is_better,
            "needs_data": self.needs_data,
            "needs_labels": self.needs_labels,
            "init_dependent": self.init_dependent,
            "reads": self.reads,
            "images": self.images or ("the batch" if self.needs_data else "-"),
            "spaces": list(self.spaces),
            "options": {k: {"default": v, "type": type(v).__name__} for k, v in self.defaults},
            "parts": [list(p) for p in self.parts],
            "description": self.description,
        }


PROXIES: Registry[Proxy] = Registry("proxy", "zeronas.proxies", "zeronas.proxies")


def proxy(
    name: str,
    *,
    higher_is_better: bool = True,
    needs_data: bool = False,
    needs_labels: bool = False,
    init_dependent: bool = True,
    version: int = 1,
    reads: str = "own",
    description: str = "",
    arch_fn: ArchFn | None = None,
    reader: ReaderFactory | None = None,
    images: str = "",
    renamed_options: dict[str, str] | None = None,
    spaces: tuple[str, ...] = (),
    checks: Mapping[str, Check] | None = None,
) -> Callable[[ProxyFn], ProxyFn]:
    """Register ``fn`` as proxy ``name``; its keyword-only parameters are its options and the
    description defaults to its docstring's first line. ``reads``: one of
    :func:`zeronas.proxies.passes.pass_names` (``forward`` needs a ``reader``). ``images``:
    what it reads instead of the run's whole batch, when it draws its own or uses part;
    ``spaces``: the spaces it is defined on, when not every space."""
    check_pass(name, reads, reader is not None)
    if version < 1:
        raise ZeroNASError(f"proxy {name!r}: version must be an integer >= 1, got {version}")

    def decorate(fn: ProxyFn) -> ProxyFn:
        doc = description or " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        defaults = tuple(keyword_defaults(fn, positional=None).items())
        entry = Proxy(
            name, fn, higher_is_better, needs_data, init_dependent, doc, arch_fn, reader,
            version=version, needs_labels=needs_labels, reads=reads, defaults=defaults,
            options=defaults, images=images,
            renamed_options=tuple((renamed_options or {}).items()), spaces=tuple(spaces),
            checks=tuple((checks or {}).items()),
        )  # fmt: skip
        PROXIES.add(name, entry, module=fn.__module__)
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
    name: str,
    parts: tuple[tuple[str, float], ...],
    description: str,
    needs_data: bool,
    higher_is_better: bool = True,
    version: int = 1,
) -> Proxy:
    """Register ``name`` = Σ w_j z(part_j), z from the scorer's reference sample. The parts
    are looked up when it is scored (they may register later; ``check_proxy`` checks them);
    ``needs_data``: whether any part reads the images."""
    entry = Proxy(
        name, _NeedsAScorer(name), higher_is_better, needs_data, True, description,
        parts=parts, version=version, reads="derived",
    )  # fmt: skip
    PROXIES.add(name, entry, module=sys._getframe(1).f_globals.get("__name__"))
    return entry


def get_proxy(name: str, **options: Any) -> Proxy:
    """Proxy ``name`` (a registry name or a label such as ``synflow[log=false]``) with
    ``options`` set."""
    base, parsed = _parse_label(name)
    entry = PROXIES.get(base)
    return entry.configure(**(parsed | options)) if (parsed or options) else entry


def list_proxies(pattern: str = "*") -> list[str]:
    return PROXIES.names(pattern)


def _parse_label(text: str) -> tuple[str, dict[str, str]]:
    """``"zico[splits=2]"`` -> ("zico", {"splits": "2"})."""
    text = text.strip()
    if "[" not in text:
        if "]" in text:
            raise ZeroNASError(f"proxy {text!r} has ']' without '['")
        return text, {}
    if not text.endswith("]") or text.count("[") != 1 or text.count("]") != 1:
        raise ZeroNASError(f"proxy options must be written name[key=value,...], got {text!r}")
    base, _, inner = text[:-1].partition("[")
    options: dict[str, str] = {}
    for item in filter(str.strip, inner.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ZeroNASError(f"proxy option must be key=value, got {item.strip()!r} in {text!r}")
        if key.strip() in options:
            raise ZeroNASError(f"proxy option {key.strip()!r} is given twice in {text!r}")
        options[key.strip()] = value.strip()
    return base.strip(), options
