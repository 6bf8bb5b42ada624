"""Where the default search loses its pick (issue 34, item 1), per NATS-TSS dataset.

The default ``zeronas search`` proposes 500 cells with REA on ``params`` (the ensemble's
screen), takes the 20 fittest and answers with the ensemble's best of those 20. Each run's
pick falls short of the space optimum by the sum of three losses, measured here on the same
seeded runs (search seeds 0..R-1) with 200-epoch test accuracy:

- proposals: the optimum minus the best cell the 500 proposals met (what REA never saw);
- screen: that minus the best of the 20 cells the screen keeps (what the params screen drops);
- combiner: that minus the ensemble's pick among the 20 (what the ranking at the top misses).

Alternative rows (the same runs, one stage changed) show which change recovers what: the
ensemble over all 500 (no screen), over the top K by params for other K, under other rank
aggregations (Borda's ``rank``, reciprocal-rank fusion ``rrf``), and each member alone. The
first stage runs live (params is the space's formula: no network is built); the second
reads the members' stored values from ``docs/scores/`` (all 15,625 cells, batch 128 of the
shared real-image samples, seed 0; their az_trainability is version 1, another draw than
today's, docs/scores/README.md), so no cell is scored. Writes docs/pick-losses.md.

    python benchmarks/pick_losses.py --runs 30

For ImageNet16-120 (``--rescore``) the finalists are also scored again, live (RESCORED): on
the stored batch (today's proxy versions: checks the stored-value shortcut), on other
batches and weight draws, on the 106 shared images that lie in the 120 classes (the shared
sample draws from all 1,000) against 106 of all classes, with AZ-NAS's own draw (fixed at
seed 0 in the product, as in the reference) from other seeds, and with the members averaged
over several draws (``--repeats``; AZ's draws by patching its seed, here only).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
from _shared import NPZ, labelled_data, npz_data, shared_path

from zeronas import api
from zeronas.fitness.combiners import Fitness
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.proxies import PROXY_SETS, az
from zeronas.proxies.lists import parse_proxy_list
from zeronas.search.result import top_k

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "pick-losses.md"
SCORES = ROOT / "docs" / "scores"
BUDGET, ALGORITHM = api.DEFAULT_SEARCH["budget"], api.DEFAULT_SEARCH["algorithm"]
ENSEMBLE = PROXY_SETS.get("ensemble")
MEMBERS = tuple(ENSEMBLE.members)
OTHERS = [m for m in MEMBERS if m != "az_trainability"]
KS = (5, 10, 20, 50, 100, BUDGET)
#: the ensemble's members under other rank aggregations at the top
OTHER_COMBINERS = ("rank", "rrf")


def stored_members(dataset: str, arch_index: dict[str, int]) -> dict[str, np.ndarray]:
    """Each ensemble member's stored value per NATS-TSS cell (NaN where it failed)."""
    values = {m: np.full(len(arch_index), np.nan) for m in MEMBERS}
    path = SCORES / f"nats-tss-{dataset}-ensemble.csv.gz"
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["proxy"] in values and row["value"] not in ("", "nan"):
                values[row["proxy"]][arch_index[row["arch"]]] = float(row["value"])
    return values


@dataclasses.dataclass
class Run:
    """One seeded first stage: its proposed cells, the screen's fittest first."""

    by_screen: np.ndarray


def first_stages(dataset: str, runs: int) -> list[Run]:
    """The default search's first stage (REA on the screen, 500 proposals), live."""
    setup = api.search_setup(proxies="ensemble", dataset=dataset, data=npz_data(dataset))
    screen_only = dataclasses.replace(setup, rerank=None)
    out = []
    for seed in range(runs):
        result = api.search(screen_only, ALGORITHM, BUDGET, None, seed)
        ranked = top_k(result.fitness, result.scored, len(result.scored))
        out.append(Run(np.array([e.index for e in ranked])))
    return out


Chooser = Callable[[Run], int]


def set_pick(
    names: tuple[str, ...], values: dict[str, np.ndarray], k: int, combine: str = ENSEMBLE.combine
) -> Chooser:
    """The cell the ``names`` combined by ``combine`` (the ensemble's) rank first among the
    screen's ``k`` fittest (a failed member ranks the cell last, as in a search)."""
    fitness = Fitness(tuple(parse_proxy_list(list(names))), combine)

    def choose(run: Run) -> int:
        cells = run.by_screen[:k]
        scores = fitness([{n: values[n][c] for n in names} for c in cells])  # failed: -inf
        return int(cells[np.argmax(scores)])

    return choose


def oracle(acc: np.ndarray, k: int | None) -> Chooser:
    """The best-trained of the screen's ``k`` fittest (None: of every proposal)."""
    return lambda run: int(max(run.by_screen[:k], key=lambda c: acc[c]))


def pick_stats(stages: list[Run], choose: Chooser, acc: np.ndarray) -> tuple[float, float]:
    """Mean and std over the runs of the chosen cell's accuracy."""
    got = np.array([acc[choose(r)] for r in stages])
    return float(got.mean()), float(got.std())


def section(dataset: str, truth: CSVGroundTruth, runs: int, rescore: bool) -> list[str]:
    count = 15625
    acc = np.array([truth.accuracy(i, dataset) for i in range(count)])
    values = stored_members(dataset, {truth.arch(i): i for i in range(count)})
    stages = first_stages(dataset, runs)
    k = ENSEMBLE.rerank

    def mean(choose: Chooser) -> tuple[float, float]:
        return pick_stats(stages, choose, acc)

    optimum = float(acc.max())
    seen, kept, pick = (
        mean(oracle(acc, None)),
        mean(oracle(acc, k)),
        mean(set_pick(MEMBERS, values, k)),
    )
    random_seen = np.mean([acc[np.random.default_rng(s).choice(count, BUDGET, replace=False)].max()
                           for s in range(runs)])  # fmt: skip
    lines = [
        f"## {dataset} (space optimum {optimum:.2f})",
        "",
        "| stage | best a perfect ranker could pick after it | loss (points) |",
        "|---|---|---|",
        f"| space | {optimum:.2f} | |",
        f"| {BUDGET} REA proposals on params | {seen[0]:.2f} ± {seen[1]:.2f} | proposals "
        f"{optimum - seen[0]:.2f} |",
        f"| the screen's {k} fittest | {kept[0]:.2f} ± {kept[1]:.2f} | screen "
        f"{seen[0] - kept[0]:.2f} |",
        f"| the ensemble's pick among them (the default) | {pick[0]:.2f} ± {pick[1]:.2f} | "
        f"combiner {kept[0] - pick[0]:.2f} |",
        "",
        f"For comparison: the best of {BUDGET} uniform random cells, {random_seen:.2f}.",
        "",
        "The same runs with one stage changed (mean ± std of the pick over "
        f"{runs} runs; oracle: the best-trained of those cells):",
        "",
        "| screen's top K | " + " | ".join(f"K = {c}" for c in KS) + " |",
        "|---|" + "---|" * len(KS),
    ]
    choosers: list[tuple[str, Callable[[int], Chooser]]] = [
        ("ensemble", lambda c: set_pick(MEMBERS, values, c)),
        *(
            (
                f"ensemble, {combine}",
                lambda c, combine=combine: set_pick(MEMBERS, values, c, combine),
            )
            for combine in OTHER_COMBINERS
        ),  # fmt: skip
        *((f"{m} alone", lambda c, m=m: set_pick((m,), values, c)) for m in MEMBERS),
        ("params alone (the screen's first)", lambda c: lambda run: int(run.by_screen[0])),
        ("oracle", lambda c: oracle(acc, c)),
    ]
    for label, make in choosers:
        cells = [mean(make(c)) for c in KS]
        lines.append(f"| {label} | " + " | ".join(f"{m:.2f} ± {s:.2f}" for m, s in cells) + " |")
    if rescore:
        lines += ["", *rescored_rows(dataset, stages, values, acc)]
    return [*lines, ""]


#: label -> (--data: "labelled" for the images of the dataset's classes, batch size, seed,
#: repeats, AZ-NAS's own weight-and-input draws): the stored batch re-scored live, other
#: batches, more weight draws. az_trainability draws its weights and input from seed 0
#: whatever ``--seed`` and ``--repeats`` (as the reference), so its draws are a field here.
RESCORED = {
    "the stored batch, live": ("npz", 128, 0, 1, (0,)),
    "another 128 images and weight draw (seed 1; AZ's own draw kept)": ("npz", 128, 1, 1, (0,)),
    "another 128 images and weight draw (seed 2; AZ's own draw kept)": ("npz", 128, 2, 1, (0,)),
    "106 images of all classes": ("npz", 106, 0, 1, (0,)),
    "the 106 images of the dataset's classes": ("labelled", 106, 0, 1, (0,)),
    "the stored batch, AZ's own draw from seed 1": ("npz", 128, 0, 1, (1,)),
    "the stored batch, AZ's own draw from seed 2": ("npz", 128, 0, 1, (2,)),
    "the stored batch, AZ averaged over its draws 0-4": ("npz", 128, 0, 1, (0, 1, 2, 3, 4)),
    "every member averaged over 5 draws (--repeats 5, AZ draws 0-4)": (
        "npz",
        128,
        0,
        5,
        (0, 1, 2, 3, 4),
    ),
}
RESCORED_KS = (20, 50)


def live_values(dataset: str, cells: list[int], data: str, setting: tuple, count: int) -> dict:
    """Every member's value on ``cells`` scored live on ``data`` under one ``RESCORED``
    setting (AZ's value the mean over its draws)."""
    _, size, seed, repeats, az_draws = setting
    values = {m: np.full(count, np.nan) for m in MEMBERS}

    def score(proxies: list[str]) -> list:
        run = api.setup(proxies=",".join(proxies), dataset=dataset, batch_size=size,
                        seed=seed, data=data, repeats=repeats)  # fmt: skip
        scored = dict(run.scorer.score_many([run.space.arch(c) for c in cells]))
        return [scored[i] for i in range(len(cells))]

    others = score(OTHERS)
    for m in OTHERS:
        values[m][cells] = [s.value(m) for s in others]
    draws = []
    for draw in az_draws:
        with mock.patch.object(az, "SEED", draw):
            draws.append([s.value("az_trainability") for s in score(["az_trainability"])])
    values["az_trainability"][cells] = np.mean(draws, axis=0)
    return values


def rescored_rows(dataset: str, stages: list[Run], stored: dict, acc: np.ndarray) -> list[str]:
    """The pick when the screen's K fittest are scored again: on the stored batch (today's
    proxy versions), on other batches and weight draws, on only the images of the dataset's
    own classes, and with the members averaged over several draws."""
    cells = sorted({int(c) for run in stages for c in run.by_screen[: max(RESCORED_KS)]})
    head = " | ".join(f"K = {k}" for k in RESCORED_KS)
    lines = [
        f"The pick with the screen's K fittest ({len(cells)} distinct cells over the runs) "
        "scored again, live (the members' current versions; mean ± std over the runs):",
        "",
        f"| finalists scored on | {head} |",
        "|---|" + "---|" * len(RESCORED_KS),
        f"| the stored values (docs/scores, az_trainability version 1) | "
        f"{_pick_means(stages, stored, acc)} |",
    ]
    sources = {"npz": npz_data(dataset), "labelled": labelled_data(dataset)}
    for label, setting in RESCORED.items():
        if setting[0] == "labelled" and sources["labelled"] == sources["npz"]:
            continue  # the sample holds only the dataset's classes
        values = live_values(dataset, cells, sources[setting[0]], setting, len(acc))
        lines.append(f"| {label} | {_pick_means(stages, values, acc)} |")
        print(lines[-1], flush=True)
    return [*lines, ""]


def _pick_means(stages: list[Run], values: dict, acc: np.ndarray) -> str:
    stats = (pick_stats(stages, set_pick(MEMBERS, values, k), acc) for k in RESCORED_KS)
    return " | ".join(f"{m:.2f} ± {s:.2f}" for m, s in stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--datasets", default=",".join(NPZ))
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument(
        "--rescore",
        default="ImageNet16-120",
        help="datasets whose finalists are scored again (RESCORED)",
    )
    args = parser.parse_args()
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    lines = [
        "# Where the default search loses its pick",
        "",
        f"Generated by `python benchmarks/pick_losses.py --runs {args.runs}` (do not edit by "
        "hand); the method is in its docstring. Accuracy: NATS-TSS 200-epoch test accuracy "
        f"of the pick, mean ± std over search seeds 0..{args.runs - 1}.",
        "",
    ]
    for dataset in args.datasets.split(","):
        lines += section(dataset, truth, args.runs, dataset in args.rescore.split(","))
    args.doc.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
