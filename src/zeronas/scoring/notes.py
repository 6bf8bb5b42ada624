"""What a result must say about the batch it was scored on."""

from __future__ import annotations

from collections.abc import Sequence

from zeronas.data.batch import Batch
from zeronas.errors import DataError
from zeronas.proxies.base import Proxy

__all__ = ["SYNTHETIC_WARNING", "batch_warnings", "check_labels"]

SYNTHETIC_WARNING = (
    "data-dependent proxies run on a SYNTHETIC Gaussian batch with random labels, not real "
    "images; pass --data cifar|npz:PATH|imagenet16:PATH for real ones"
)


def batch_warnings(batch: Batch | None, proxies: Sequence[Proxy]) -> list[str]:
    """Synthetic images under data-dependent proxies computed live, random labels under the
    proxies that read labels, and labels the task cannot use (outside its classes)."""
    if batch is None:
        return []
    live = [p for p in proxies if p.arch_fn is None]
    if batch.label_note and (labelled := [p.name for p in live if p.needs_labels]):
        return [f"{batch.label_note}, so {', '.join(labelled)} cannot be computed"]
    if not batch.synthetic:
        return []
    notes = [SYNTHETIC_WARNING] if any(p.needs_data for p in live) else []
    if labelled := [p.name for p in live if p.needs_labels]:
        notes.append(
            f"{', '.join(labelled)} read the batch's labels, which are random on the synthetic "
            "batch: their values say nothing about the task"
        )
    return notes


def check_labels(batch: Batch, proxies: Sequence[Proxy]) -> None:
    """Refuse, before any work, a batch without usable labels for proxies that read them
    (labels absent, or outside the task's classes: ``label_note`` says which)."""
    labelled = [p.name for p in proxies if p.needs_labels and p.arch_fn is None]
    if labelled and batch.y is None:
        why = batch.label_note or f"{batch.source!r} has no labels"
        raise DataError(f"{', '.join(labelled)} read the batch's labels, but {why}")
