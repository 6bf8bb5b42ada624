"""Choose the ensemble's second stage on the tuning set only (issue 16): which cheap proxies a
search proposes with (``screen``) and how many of its fittest candidates it re-scores with
the whole ensemble (``rerank``). Writes docs/screen-tuning.md.

    python benchmarks/screen_tuning.py --cache results.sqlite

Simulated on the tuning set of benchmarks/ensemble_tuning.py (1,000 NATS-TSS cells sampled
with seed 0, CIFAR-10, 200-epoch test accuracy), with the frozen ``ensemble``: draw N of the
cells, keep the K best by the screen's log-rank over the N, answer with the best of those K
by the ensemble's log-rank over the K; 400 draws per setting. Cost: N × the screen's mean
recorded seconds per cell + K × the rest of the ensemble's, each plus the seconds to build
a network (measured here on 20 of the cells; none for ``params``, which the space computes
from the architecture), on one core. Criterion fixed in
advance: the highest mean accuracy of the answer at a cost of at most ``--seconds``; within
0.02 points, the cheaper setting. "K = N" rows are the ensemble alone on N cells.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from _shared import cpu_flags, npz_data, shared_path

from zeronas import api
from zeronas.fitness.combiners import Fitness
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.proxies import PROXY_SETS, parse_proxy_list

SCREENS = "flops,logsynflow,meco,params"
FORMULA = {"params"}  # computed from the architecture alone (zeronas.scoring), no network
TUNING = {"dataset": "cifar10", "cells": 1000, "seed": 0}


def simulate(values, acc, seconds, screen, full, n, k, draws, rng) -> tuple[float, float, float]:
    """(mean, std of the answer's accuracy, cost in seconds) of one setting."""
    screen_fit = Fitness(tuple(parse_proxy_list(list(screen))), "logrank") if screen else None
    full_fit = Fitness(tuple(parse_proxy_list(list(full))), "logrank")
    picks = []
    for _ in range(draws):
        drawn = rng.choice(len(acc), n, replace=False)
        if screen_fit is not None and k < n:
            order = np.argsort(-screen_fit([values[i] for i in drawn]), kind="stable")
            drawn = drawn[order[:k]]
        picks.append(acc[drawn[int(np.argmax(full_fit([values[i] for i in drawn])))]])
    rest = [p for p in full if p not in screen]
    build = seconds["build"]
    builds = any(p not in FORMULA for p in screen)  # params comes from the space's formula
    first = n * (build * builds + sum(seconds[p] for p in screen)) if screen else 0.0
    cost = first + k * (build + sum(seconds[p] for p in rest))
    return float(np.mean(picks)), float(np.std(picks)), cost


def _build_seconds(run: api.ScoringSetup, records: list) -> float:
    """Mean seconds to build the network of each of ``records``' cells (one warm-up)."""
    spec = run.config.dataset_spec()
    build = [run.space.decode(r.arch) for r in records]
    run.space.build(build[0], spec.num_classes, spec.input_shape)
    start = time.perf_counter()
    for arch in build:
        run.space.build(arch, spec.num_classes, spec.input_shape)
    return (time.perf_counter() - start) / len(build)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", default=SCREENS, help="cheap proxies to screen with")
    parser.add_argument("--n", default="100,200,300,500")
    parser.add_argument("--k", default="5,10,20,40")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--doc", type=Path, default=Path("docs/screen-tuning.md"))
    args = parser.parse_args()
    dataset, cells, seed = TUNING["dataset"], TUNING["cells"], TUNING["seed"]
    full = PROXY_SETS.get("ensemble").members
    screens = args.screens.split(",")
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    run = api.setup(
        proxies=list(dict.fromkeys([*full, *screens])), dataset=dataset, data=npz_data(dataset),
        batch_size=args.batch_size, seed=seed, cache=args.cache,
    )  # fmt: skip
    result = api.run_correlation(run, truth, cells, seed)
    acc = np.asarray(result.accuracies, dtype=float)
    names = [p.name for p in run.proxies]
    values = [{n: r.value(n) for n in names} for r in result.records]
    seconds = {n: float(np.mean([r.values[n].seconds for r in result.records])) for n in names}
    seconds["build"] = _build_seconds(run, result.records[:20])
    rng = np.random.default_rng(seed)
    rows = []
    for n in map(int, args.n.split(",")):
        rows.append(((), n, n, *simulate(values, acc, seconds, (), full, n, n, args.draws, rng)))
        for size, k in itertools.product((1, 2), map(int, args.k.split(","))):
            for screen in itertools.combinations(screens, size):
                stats = simulate(values, acc, seconds, screen, full, n, k, args.draws, rng)
                rows.append((screen, n, k, *stats))
    within = [r for r in rows if r[5] <= args.seconds]
    best = max(r[3] for r in within)
    choice = min((r for r in within if r[3] >= best - 0.02), key=lambda r: r[5])
    lines = [
        "# Choosing the ensemble's second stage on the tuning set",
        "",
        f"Generated by `python benchmarks/screen_tuning.py --screens {args.screens} --n {args.n} "
        f"--k {args.k} --seconds {args.seconds:g} --draws {args.draws}` (do not edit by hand). "
        f"Tuning set: {cells} NATS-TSS cells sampled with seed {seed}, {dataset}; ensemble: "
        f"{', '.join(full)} (log-rank). Seconds: mean recorded per cell on one core of a CPU "
        f"with {cpu_flags()} ("
        + ", ".join(f"{n} {s:.3f}" for n, s in seconds.items())
        + "). Criterion fixed in advance: the best mean accuracy of the answer at a cost of "
        f"at most {args.seconds:g} s; within 0.02 points, the cheaper.",
        "",
        f"**Choice:** screen `{','.join(choice[0])}`, N = {choice[1]}, rerank K = {choice[2]}: "
        f"{choice[3]:.2f} ± {choice[4]:.2f} at {choice[5]:.0f} s.",
        "",
        "| screen | N | K | accuracy | std | cost (s) |",
        "|---|---|---|---|---|---|",
    ]
    for screen, n, k, mean, std, cost in sorted(rows, key=lambda r: -r[3])[:30]:
        label = ",".join(screen) or "(ensemble alone)"
        lines.append(f"| {label} | {n} | {k} | {mean:.2f} | {std:.2f} | {cost:.0f} |")
    lines += ["", "Ensemble alone on N cells:", ""]
    for screen, n, _k, mean, std, cost in rows:
        if not screen:
            lines.append(f"- N = {n}: {mean:.2f} ± {std:.2f} at {cost:.0f} s")
    args.doc.write_text("\n".join([*lines, ""]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
