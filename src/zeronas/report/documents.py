"""Result documents: the CSV tables and JSON summary of a scoring or search run."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from zeronas.report.jsonio import json_number
from zeronas.scoring.records import ArchScores
from zeronas.search.result import SearchResult

__all__ = ["search_document", "write_history_csv", "write_scores_csv"]


def write_scores_csv(
    path: Path,
    records: Sequence[ArchScores],
    proxies: Sequence[str],
    accuracies: Sequence[float] | None = None,
) -> Path:
    """One row per architecture: index, arch, accuracy, each proxy's value, seconds, error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["index", "arch"] + (["accuracy"] if accuracies is not None else [])
    for name in proxies:
        header += [name, f"{name}_seconds", f"{name}_error"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i, record in enumerate(records):
            row: list[object] = [record.index, record.arch]
            if accuracies is not None:
                row.append(accuracies[i])
            for name in proxies:
                v = record.values[name]
                row += [repr(v.value), f"{v.seconds:.6f}", v.error or ""]
            writer.writerow(row)
    return path


def search_document(
    result: SearchResult,
    setup: dict[str, Any],
    accuracy: Callable[[int], float] | None = None,
    truth_label: str | None = None,
) -> dict[str, Any]:
    """The JSON summary of a search run: settings, why it stopped, counts, the best cell
    (with its ground-truth accuracy when ``accuracy`` maps an index to it)."""
    best = result.best
    counts = Counter(e.status for e in result.history)
    doc: dict[str, Any] = {
        "algorithm": result.algorithm,
        "params": result.params,
        **setup,
        "evaluation_budget": {
            "evaluations": result.budget.evaluations,
            "seconds": result.budget.seconds,
        },
        "seed": result.seed,
        "stopped": result.stopped,
        "evaluations": result.evaluations,
        "proposals": result.proposals,
        "scored": counts["ok"],
        "failed": counts["failed"],
        "rejected": counts["rejected"],
        "limit_checks": result.limit_report,
        "search_seconds": result.seconds,
        "wall_seconds": result.wall_seconds,
        "ground_truth": truth_label,
        "best": None,
        "reranked": [_rerank_row(e, accuracy) for e in result.reranked],
    }
    if best is not None:
        doc["best"] = {
            "arch": best.arch,
            "index": best.index,
            "step": best.step,
            "values": {n: json_number(v) for n, v in best.values.items()},
            "fitness": json_number(result.best_fitness()),
            "accuracy": accuracy(best.index) if accuracy and best.index is not None else None,
        }
    return doc


def _rerank_row(record: Any, accuracy: Callable[[int], float] | None) -> dict[str, Any]:
    known = accuracy is not None and record.index is not None
    return {
        "arch": record.arch, "index": record.index, "status": record.status,
        "error": record.error, "values": {n: json_number(v) for n, v in record.values.items()},
        "accuracy": accuracy(record.index) if known else None,
    }  # fmt: skip


def write_history_csv(
    path: Path, result: SearchResult, accuracy: Callable[[int], float] | None = None
) -> Path:
    """One row per candidate in the order met: status, error, raw proxy values, seconds,
    fitness over the whole history, and (with ground truth) accuracy and best-so-far accuracy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = result.fitness.names
    fitness = result.history_fitness()
    header = ["step", "index", "arch", "status", "error", *names, "seconds", "elapsed", "fitness"]
    if accuracy is not None:
        header += ["accuracy", "best_so_far_accuracy"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record, best in zip(result.history, result.best_so_far(), strict=True):
            row: list[object] = [record.step, record.index, record.arch, record.status]
            row += [record.error or ""] + [repr(record.values.get(n, math.nan)) for n in names]
            row += [f"{record.seconds:.6f}", f"{record.elapsed:.6f}"]
            row.append(repr(float(fitness[record.arch])) if record.ok else "")
            if accuracy is not None:
                own = accuracy(record.index) if record.index is not None else math.nan
                row += [own, accuracy(best.index) if best is not None else ""]
            writer.writerow(row)
    return path
