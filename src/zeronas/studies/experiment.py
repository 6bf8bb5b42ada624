"""Repeated seeded searches summarised as in Cossu et al.'s Tables I–V and Fernandes' Table 5:
for each dataset, proxy set, algorithm and budget N, the mean ± std over R runs of the
chosen architecture's raw proxy values ("score"), its ground-truth accuracy and the search
time; plus best-so-far accuracy curves (mean ± std band per algorithm).

Runs ``r = 0..R-1`` use search seed ``seed + r``. Within one experiment, proxy values are
computed once per architecture and reused by later runs (their recorded seconds are still
charged to every run's search time, so times are those of independent runs).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zeronas.api import SearchSetup, scoring_pool, search
from zeronas.execution.base import ExecutorConfig
from zeronas.groundtruth.accuracy import GroundTruth
from zeronas.report.plots import curve_plot
from zeronas.search.result import SearchResult

__all__ = ["RunRecord", "ExperimentRow", "Experiment", "run_experiment", "write_experiment"]


@dataclass(frozen=True)
class RunRecord:
    """One search run: what it chose, that choice's accuracy, and its best-so-far curve."""

    dataset: str
    proxies: str
    algorithm: str
    budget: int | None
    run: int
    seed: int
    arch: str | None
    index: int | None
    accuracy: float
    values: dict[str, float]
    search_seconds: float
    evaluations: int
    stopped: str
    curve: np.ndarray  # best-so-far accuracy after each evaluation


@dataclass(frozen=True)
class ExperimentRow:
    dataset: str
    proxies: str
    algorithm: str
    budget: int | None
    runs: int
    evaluations: float
    accuracy_mean: float
    accuracy_std: float
    seconds_mean: float
    seconds_std: float
    values: dict[str, tuple[float, float]]
    optimum: float | None


@dataclass(frozen=True)
class Experiment:
    rows: list[ExperimentRow]
    runs: list[RunRecord]
    settings: dict[str, Any]


def _curve(result: SearchResult, accuracy: Callable[[int], float]) -> np.ndarray:
    points = [
        accuracy(best.index) if best is not None and best.index is not None else math.nan
        for record, best in zip(result.history, result.best_so_far(), strict=True)
        if record.status != "rejected"
    ]
    return np.asarray(points, dtype=float)


def _optimum(setup: SearchSetup, truth: GroundTruth) -> float | None:
    size = setup.space.size
    if size is None:
        return None
    return max(truth.accuracy(i, setup.dataset.name) for i in range(size))


def run_experiment(
    setups: Mapping[str, SearchSetup],
    algorithms: Sequence[str],
    budgets: Sequence[int | None],
    runs: int,
    truth: GroundTruth,
    seconds: float | None = None,
    seed: int = 0,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    on_run: Callable[[RunRecord], None] | None = None,
    execution: ExecutorConfig | None = None,
) -> Experiment:
    """``setups``: a label per proxy set/dataset -> its search setup. ``options``: per
    algorithm, parameters overriding its defaults. Each candidate is scored once per setup
    (kept in memory across runs); live scoring runs where ``execution`` says, as in
    :func:`zeronas.api.search`, one pool per setup."""
    records: list[RunRecord] = []
    rows: list[ExperimentRow] = []
    for label, setup in setups.items():
        memo = setup.memoised()
        optimum = _optimum(setup, truth)
        with scoring_pool(setup, execution) as pool:
            for algorithm, budget in itertools.product(algorithms, budgets):
                opts = (options or {}).get(algorithm, {})
                group = []
                for run in range(runs):
                    result = search(
                        memo, algorithm, budget, seconds, seed + run, opts,
                        execution=pool,
                    )  # fmt: skip
                    group.append(_record(label, setup, algorithm, budget, run, seed, result, truth))
                    if on_run is not None:
                        on_run(group[-1])
                records += group
                rows.append(_summarise(group, _reported(setup), optimum))
    settings = {
        "algorithms": list(algorithms),
        "budgets": list(budgets),
        "seconds": seconds,
        "runs": runs,
        "seed": seed,
        "ground_truth": truth.label,
        "setups": {label: s.describe() for label, s in setups.items()},
    }
    return Experiment(rows, records, settings)


def _reported(setup: SearchSetup) -> list[str]:
    """The values a row reports: the fitness proxies, and the size a penalty reads."""
    names = [p.name for p in setup.proxies]
    return names + ["params"] if setup.fitness.penalty and "params" not in names else names


def _record(
    label: str,
    setup: SearchSetup,
    algorithm: str,
    budget: int | None,
    run: int,
    seed: int,
    result: SearchResult,
    truth: GroundTruth,
) -> RunRecord:
    dataset = setup.dataset.name

    def acc(index: int) -> float:
        return truth.accuracy(index, dataset)

    best = result.best
    return RunRecord(
        dataset,
        label,
        algorithm,
        budget,
        run,
        seed + run,
        best.arch if best else None,
        best.index if best else None,
        acc(best.index) if best and best.index is not None else math.nan,
        dict(best.values) if best else {},
        result.seconds,
        result.evaluations,
        result.stopped,
        _curve(result, acc),
    )


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return (float(arr.mean()), float(arr.std())) if arr.size else (math.nan, math.nan)


def _summarise(
    group: Sequence[RunRecord], names: Sequence[str], optimum: float | None
) -> ExperimentRow:
    first = group[0]
    acc = _mean_std([r.accuracy for r in group])
    sec = _mean_std([r.search_seconds for r in group])
    values = {n: _mean_std([r.values.get(n, math.nan) for r in group]) for n in names}
    return ExperimentRow(
        first.dataset,
        first.proxies,
        first.algorithm,
        first.budget,
        len(group),
        float(np.mean([r.evaluations for r in group])),
        *acc,
        *sec,
        values,
        optimum,
    )


def _pm(pair: tuple[float, float], digits: int = 2) -> str:
    mean, std = pair
    if math.isnan(mean):
        return "—"
    std = 0.0 if std <= 1e-9 * abs(mean) else std  # float noise of identical values
    if abs(mean) >= 1e5:
        return f"{mean:.3e} ± {std:.2e}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _markdown(exp: Experiment) -> str:
    s = exp.settings
    budget = f", time budget {s['seconds']:g} s" if s["seconds"] else ""
    lines = [
        f"# zeronas experiment: {s['runs']} runs per row{budget}",
        "",
        f"Accuracy: {s['ground_truth']}. Score: raw proxy values of the chosen architecture. "
        "Search s: search time accounted as loop overhead + the scoring seconds of every new "
        "candidate (measured, or as recorded in the scores table). Mean ± std over runs.",
        "",
    ]
    for label in dict.fromkeys(r.proxies for r in exp.rows):
        group = [r for r in exp.rows if r.proxies == label]
        names = list(group[0].values)
        optimum = group[0].optimum
        lines += [
            f"## {label}" + (f" (space optimum {optimum:.2f})" if optimum is not None else ""),
            "",
            "| algorithm | N | evaluations | "
            + " | ".join(f"score: {n}" for n in names)
            + " | accuracy | search s |",
            "|---|---|---|" + "---|" * len(names) + "---|---|",
        ]
        for r in group:
            scores = " | ".join(
                _pm(r.values[n], 4 if abs(r.values[n][0]) < 10 else 1) for n in names
            )
            n = "—" if r.budget is None else str(r.budget)
            lines.append(
                f"| {r.algorithm} | {n} | {r.evaluations:.0f} | {scores} | "
                f"{_pm((r.accuracy_mean, r.accuracy_std))} | "
                f"{_pm((r.seconds_mean, r.seconds_std), 1)} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_experiment(exp: Experiment, out_dir: Path) -> list[Path]:
    """``experiment.md``, ``experiment.csv`` (one row per group), ``runs.csv`` (one row per
    run) and one ``curves_<label>.png`` per proxy set / dataset."""
    import csv
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "experiment.md", out_dir / "experiment.csv", out_dir / "runs.csv"]
    files[0].write_text(_markdown(exp))
    names = list(dict.fromkeys(n for r in exp.rows for n in r.values))
    with files[1].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["dataset", "proxies", "algorithm", "budget", "runs", "evaluations"]
            + [f"{n}_{stat}" for n in names for stat in ("mean", "std")]
            + ["accuracy_mean", "accuracy_std", "seconds_mean", "seconds_std", "optimum"]
        )
        for r in exp.rows:
            values = [v for n in names for v in r.values.get(n, (math.nan, math.nan))]
            writer.writerow(
                [r.dataset, r.proxies, r.algorithm, r.budget, r.runs, r.evaluations, *values]
                + [r.accuracy_mean, r.accuracy_std, r.seconds_mean, r.seconds_std, r.optimum]
            )
    with files[2].open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["dataset", "proxies", "algorithm", "budget", "run", "seed", "index", "arch"]
            + ["accuracy", "search_seconds", "evaluations", "stopped", "values"]
        )
        for r in exp.runs:
            writer.writerow(
                [r.dataset, r.proxies, r.algorithm, r.budget, r.run, r.seed, r.index, r.arch]
                + [r.accuracy, r.search_seconds, r.evaluations, r.stopped]
                + [json.dumps({k: repr(v) for k, v in r.values.items()})]
            )
    for label in dict.fromkeys(r.proxies for r in exp.runs):
        files.append(_curves(exp, label, out_dir))
    return files


def _curves(exp: Experiment, label: str, out_dir: Path) -> Path:
    """Best-so-far accuracy per algorithm at its largest budget (runs padded with their
    last value when they stopped early)."""
    runs = [r for r in exp.runs if r.proxies == label]
    curves: dict[str, np.ndarray] = {}
    for algorithm in dict.fromkeys(r.algorithm for r in runs):
        mine = [r for r in runs if r.algorithm == algorithm]
        budgets = [r.budget for r in mine]
        top = None if None in budgets else max(b for b in budgets if b is not None)
        chosen = [r.curve for r in mine if r.budget == top and r.curve.size]
        if not chosen:
            continue
        width = max(c.size for c in chosen)
        curves[algorithm] = np.array([np.pad(c, (0, width - c.size), mode="edge") for c in chosen])
    optimum = next((r.optimum for r in exp.rows if r.proxies == label), None)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)
    title = f"{label}\nbest-so-far accuracy, mean ± std over {exp.settings['runs']} runs"
    return curve_plot(out_dir / f"curves_{safe}.png", curves, title, "test accuracy (%)", optimum)
