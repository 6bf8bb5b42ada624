"""What defines a score: one frozen value built once at the boundary (CLI or API) and passed
down whole. Its fields define the score store's key: two equal configurations read and
write the same stored values, and a change to any field that changes a value changes the
key.

Constructor = parameters (scikit-learn): the keywords are validated and stored parsed (a
proxy list in text becomes its tuple of :class:`~zeronas.proxies.base.Proxy`); a bad value
is a :class:`~zeronas.errors.ParameterError` naming the field, what is allowed and what was
received. Every field is declared once with its default, its check and its command-line
flag (:func:`zeronas.params.setting`); the CLI derives its options from these.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeronas.data.batch import BATCH_SIZES, valid_batch_size
from zeronas.data.sources import usages
from zeronas.data.tasks import DATASETS, DatasetSpec, get_dataset
from zeronas.errors import ParameterError, ZeroNASError
from zeronas.models.init import INIT_SCHEMES, check_device
from zeronas.params import check_settings, default_of, int_at_least, is_int, setting
from zeronas.proxies import Proxy, ProxySet, check_forced_kernels, named_set, parse_proxy_list
from zeronas.spaces import SearchSpace, get_space

__all__ = ["MAX_SEED", "SCORE_PROXIES", "ScoringConfig"]

MAX_SEED = 2**63 - 1

#: What ``zeronas score`` and ``correlate`` compute when no proxy is named.
SCORE_PROXIES = "naswot,synflow,logsynflow,relu_count,params"

_BATCH_HELP = (
    "Images in the fixed mini-batch. A proxy that draws its own images reads it only for "
    "the image size (az_*, vkdnw*, zen, entropy); some use part of it (meco*, swap, "
    "linear_regions): the batch column of `zeronas proxies` says which."
)


@dataclass(frozen=True)
class ScoringConfig:
    """What defines a proxy value.

    ``space`` (+ ``space_args``, its constructor keywords), ``dataset`` (the task),
    ``proxies`` (a list in text, options included: ``"naswot,synflow[log=false]"``, or
    proxies; stored as a tuple of :class:`~zeronas.proxies.base.Proxy`), ``data`` (the
    batch's source: ``auto``, ``embedded``, ``synthetic``, ``cifar``, ``npz:PATH``, ...),
    ``batch_size``, ``seed`` (batch, sampling, initialisations), ``repeats``, ``init``,
    ``device``, ``channels_last`` (NHWC networks: values equal up to rounding),
    ``reference_size`` (random archs behind z-score parts). ``data_root`` and ``download``
    only say where ``cifar`` files are. The store key is made from these fields by
    :meth:`zeronas.scoring.scorer.Scorer.store_key` (the data through the batch's
    fingerprint).
    """

    space: str = setting("nats-tss", flag="--space", help="Search space (see `zeronas spaces`).")
    dataset: str = setting(
        "cifar10", flag="--dataset",
        help=f"Task: {', '.join(DATASETS)}, or imagefolder-N-S (a folder's N classes at S px).",
    )  # fmt: skip
    proxies: tuple[Proxy, ...] = setting(
        SCORE_PROXIES, flag="--proxies", cli_type=str,
        help="Comma-separated proxies or a set (see `zeronas proxies`).",
    )  # fmt: skip
    data: str = setting("auto", flag="--data", help=f"Images: {', '.join(usages())}.")
    batch_size: int = setting(
        128, allowed=BATCH_SIZES, check=valid_batch_size, flag="--batch-size",
        help=_BATCH_HELP,
    )  # fmt: skip
    seed: int = setting(
        0, allowed=f"an integer in [0, {MAX_SEED}]",
        check=lambda v: is_int(v) and 0 <= v <= MAX_SEED, flag="--seed",
        help="Seed of the batch, sampling and initialisations.",
    )  # fmt: skip
    repeats: int = setting(
        1, allowed="an integer >= 1", check=int_at_least(1), flag="--repeats",
        help="Initialisations averaged per proxy.",
    )  # fmt: skip
    init: str = setting(
        "kaiming", allowed=f"one of {', '.join(INIT_SCHEMES)}",
        check=lambda v: v in INIT_SCHEMES, flag="--init",
        help=f"Weight init: {', '.join(INIT_SCHEMES)}.",
    )  # fmt: skip
    device: str = setting("cpu", flag="--device", help="Where networks run: cpu, cuda or cuda:N.")
    space_args: tuple[tuple[str, Any], ...] = ()
    channels_last: bool = True
    reference_size: int = setting(50, allowed="an integer >= 2", check=int_at_least(2))
    data_root: str | None = setting(
        None, flag="--data-root", cli_type=Path | None, help="Folder of the `cifar` files."
    )
    download: bool = setting(
        False, flag="--download", help="Let torchvision download CIFAR (needs internet)."
    )

    def __post_init__(self) -> None:
        space = get_space(self.space, **dict(self.space_args))
        object.__setattr__(self, "space", space.name)
        object.__setattr__(self, "_space", space)
        object.__setattr__(self, "dataset", get_dataset(self.dataset).name)
        named = self.proxies.strip() if isinstance(self.proxies, str) else None
        object.__setattr__(self, "proxies", tuple(parse_proxy_list(self.proxies)))
        if named is not None:  # else kept by replace(), or None
            object.__setattr__(self, "_named_set", named_set(named, self.labels))
        for p in self.proxies:
            if p.spaces and space.name not in p.spaces:
                allowed = f"proxies defined on {space.name} ({p.name}: {', '.join(p.spaces)})"
                raise ParameterError("proxies", "ScoringConfig", allowed, p.name)
        if self.data_root is not None:
            object.__setattr__(self, "data_root", str(self.data_root))
        check_settings(self)
        check_forced_kernels()  # a bad $ZERONAS_KERNEL_* is refused before any work
        try:
            check_device(self.device)
        except ZeroNASError as exc:
            allowed = f"cpu, cuda or cuda:N, present here ({exc})"
            raise ParameterError("device", "ScoringConfig", allowed, self.device) from exc

    # -- what the fields name -------------------------------------------------------------
    @staticmethod
    def space_default() -> str:
        """The space a configuration names when none is given."""
        return default_of(ScoringConfig, "space")

    @property
    def labels(self) -> tuple[str, ...]:
        """The proxies' labels (``synflow[log=false]``), as tables and stored rows name them."""
        return tuple(p.name for p in self.proxies)

    def space_object(self) -> SearchSpace:
        """The search space the fields name (made once)."""
        return self._space  # type: ignore[attr-defined]

    def dataset_spec(self) -> DatasetSpec:
        return get_dataset(self.dataset)

    @property
    def named_set(self) -> ProxySet | None:
        """The proxy set the proxies were named by (``--proxies mcu_size``), if any: a
        one-member set is told from its member so (``params`` is plain params)."""
        return getattr(self, "_named_set", None)

    def replace(self, **changes: Any) -> ScoringConfig:
        new = dataclasses.replace(self, **changes)
        if "proxies" not in changes:
            object.__setattr__(new, "_named_set", self.named_set)
        return new

    def describe(self) -> dict[str, Any]:
        """The fields as plain JSON values (run manifests)."""
        doc = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        doc["proxies"] = list(self.labels)
        doc["space_args"] = dict(self.space_args)
        return doc
