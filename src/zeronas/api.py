"""The public API behind the CLI: resolve names, load the batch, score, correlate."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from zeronas.benchmarks.correlation import CorrelationResult, correlate, sample_indices
from zeronas.benchmarks.groundtruth import GroundTruth
from zeronas.data import Batch, load_batch
from zeronas.datasets import DatasetSpec, get_dataset
from zeronas.errors import ArchError
from zeronas.proxies import Proxy, parse_proxy_list
from zeronas.scoring import ArchScores, Scorer
from zeronas.spaces import SearchSpace, get_space

__all__ = ["ScoringSetup", "setup", "resolve_arch", "score", "run_correlation"]


@dataclass(frozen=True)
class ScoringSetup:
    space: SearchSpace
    dataset: DatasetSpec
    proxies: list[Proxy]
    batch: Batch
    scorer: Scorer


def setup(
    space: str = "nats-tss",
    dataset: str = "cifar10",
    proxies: str | Sequence[str] = "naswot",
    data: str = "synthetic",
    batch_size: int = 128,
    seed: int = 0,
    repeats: int = 1,
    init: str = "kaiming",
    data_root: str | Path | None = None,
    download: bool = False,
) -> ScoringSetup:
    """Validate every name first, then load the run's one fixed mini-batch."""
    space_obj = get_space(space)
    dataset_spec = get_dataset(dataset)
    proxy_list = parse_proxy_list(proxies)
    batch = load_batch(data, dataset_spec, batch_size, seed, data_root, download)
    scorer = Scorer(space_obj, dataset_spec, proxy_list, batch, seed, repeats, init)
    return ScoringSetup(space_obj, dataset_spec, proxy_list, batch, scorer)


def resolve_arch(space: SearchSpace, arch: str | None, index: int | None) -> Hashable:
    """Exactly one of an arch string or an index."""
    if (arch is None) == (index is None):
        raise ArchError("Give exactly one of --arch STRING or --index I")
    return space.decode(arch) if arch is not None else space.arch(index)


def score(arch: str | None = None, index: int | None = None, **options: object) -> ArchScores:
    """Score one architecture; ``options`` as for :func:`setup`."""
    run = setup(**options)
    return run.scorer(resolve_arch(run.space, arch, index))


def run_correlation(
    run: ScoringSetup,
    truth: GroundTruth,
    sample: int | None = 1000,
    seed: int = 0,
    on_result: Callable[[ArchScores], None] | None = None,
) -> CorrelationResult:
    """Correlate ``run``'s proxies with ``truth`` on ``sample`` seeded cells of a finite space."""
    if run.space.size is None:
        raise ArchError(f"space {run.space.name!r} is not finite: correlate needs an index order")
    indices = sample_indices(run.space.size, sample, seed)
    return correlate(run.scorer, truth, indices, on_result)
