"""The one run configuration: what defines a score, built once at the boundary (CLI or API)
and passed down whole. Its fields define the score store's key: two equal configurations
read and write the same stored values, and a change to any field that changes a value
changes the key.

``ScoringConfig`` is what every command shares (space, data, seed, proxies with their
options, ...); ``SearchConfig`` adds what turns scores into a search's fitness (combiner,
weights, size penalty, hardware limits, a precomputed score table). Constructor =
parameters (scikit-learn): the keywords are stored as given, after validation and
normalisation (a proxy list in text becomes its tuple of labels); a bad value is a
:class:`~zeronas.errors.ParameterError` naming the field, what is allowed and what was
received.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from zeronas.data.tasks import DatasetSpec, get_dataset
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.models.init import INIT_SCHEMES, check_device
from zeronas.params import is_int, require
from zeronas.proxies import Proxy, parse_proxy_list
from zeronas.spaces import SearchSpace, get_space

__all__ = ["ScoringConfig", "MAX_SEED"]

MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class ScoringConfig:
    """What defines a proxy value (DESIGN §3, §8).

    ``space`` (+ ``space_args``, its constructor keywords), ``dataset`` (the task),
    ``proxies`` (labels, options included: ``"naswot,synflow[log=false]"``), ``data`` (the
    batch's source: ``auto``, ``embedded``, ``synthetic``, ``cifar``, ``npz:PATH``, ...),
    ``batch_size``, ``seed`` (batch, sampling, initialisations), ``repeats``, ``init``,
    ``device``, ``channels_last`` (NHWC networks: values equal up to rounding),
    ``reference_size`` (random archs behind z-score parts). ``data_root`` and ``download``
    only say where ``cifar`` files are. The store key is made from these fields by
    :meth:`zeronas.scoring.Scorer.store_key` (the data through the batch's fingerprint).
    """

    space: str = "nats-tss"
    dataset: str = "cifar10"
    proxies: tuple[str, ...] | str = ("naswot",)
    data: str = "auto"
    batch_size: int = 128
    seed: int = 0
    repeats: int = 1
    init: str = "kaiming"
    device: str = "cpu"
    space_args: tuple[tuple[str, Any], ...] = ()
    channels_last: bool = True
    reference_size: int = 50
    data_root: str | None = None
    download: bool = False

    def __post_init__(self) -> None:
        owner = "ScoringConfig"
        object.__setattr__(self, "space", get_space(self.space, **dict(self.space_args)).name)
        object.__setattr__(self, "dataset", get_dataset(self.dataset).name)
        labels = tuple(p.name for p in parse_proxy_list(self.proxies))
        object.__setattr__(self, "proxies", labels)
        if self.data_root is not None:
            object.__setattr__(self, "data_root", str(self.data_root))
        require(is_int(self.batch_size) and self.batch_size >= 1, "batch_size", owner,
               "an integer >= 1", self.batch_size)  # fmt: skip
        require(is_int(self.seed) and 0 <= self.seed <= MAX_SEED, "seed", owner,
               f"an integer in [0, {MAX_SEED}]", self.seed)  # fmt: skip
        require(is_int(self.repeats) and self.repeats >= 1, "repeats", owner,
               "an integer >= 1", self.repeats)  # fmt: skip
        require(self.init in INIT_SCHEMES, "init", owner, f"one of {', '.join(INIT_SCHEMES)}",
               self.init)  # fmt: skip
        require(is_int(self.reference_size) and self.reference_size >= 2, "reference_size",
               owner, "an integer >= 2", self.reference_size)  # fmt: skip
        try:
            check_device(self.device)
        except ZeroNASError as exc:
            raise ParameterError("device", owner, "cpu, cuda or cuda:N, present here",
                                 self.device) from exc  # fmt: skip

    # -- what the fields name -------------------------------------------------------------
    def space_object(self) -> SearchSpace:
        return get_space(self.space, **dict(self.space_args))

    def dataset_spec(self) -> DatasetSpec:
        return get_dataset(self.dataset)

    def proxy_list(self) -> list[Proxy]:
        return parse_proxy_list(self.proxies)

    def replace(self, **changes: Any) -> ScoringConfig:
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """The fields as plain JSON values (run manifests)."""
        doc = dataclasses.asdict(self)
        doc["proxies"] = list(self.proxies)
        doc["space_args"] = dict(self.space_args)
        return doc
