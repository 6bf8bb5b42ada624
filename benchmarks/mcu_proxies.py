"""Which proxies rank the mcu space? Short-training ground truth on real CIFAR-10, and every
label-free proxy's rank agreement with it: the evidence for the space's default search
proxies (``MCUSpace.search_proxies``). Writes ``docs/mcu-proxies.md``.

Networks: ``--networks`` drawn from 400 random networks that fit ResNet-8's budget (its MACs,
int8 arena and flash), evenly spaced in parameter count, plus ResNet-8 and MobileNetV2
scaled to fit. Ground truth: val accuracy (1,000 images carved from train) after
``--epochs`` epochs of the benchmark recipe on a seeded 9,000-image train subset (1,000 per
class). The criterion, fixed before looking: Kendall τ over all networks; within 0.05 of
the best, the cheaper wins. Tuning data only: the test split is not read.

    python benchmarks/mcu_proxies.py --out bench-mcu-proxies --threads 1
    python benchmarks/mcu_proxies.py --out bench-mcu-top --threads 1 --networks 16 \
        --pool history.csv --min-macs 10 --doc docs/mcu-proxies-top.md
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
from _shared import cpu_flags
from _tinyml import SPACE, footprint, recipe, train_run, tuning_subset, use_threads
from scipy import stats
from tinyml_cifar10 import fits, scaled_mobilenetv2

from zeronas.api.scoring import setup
from zeronas.fitness.combiners import Fitness
from zeronas.hardware.limits import Limits
from zeronas.proxies import get_proxy
from zeronas.spaces.mcu import RESNET8

DOC = Path(__file__).resolve().parents[1] / "docs" / "mcu-proxies.md"
PROXIES = ("params", "macs", "naswot", "synflow", "logsynflow", "zen", "zico", "meco",
           "grad_norm", "snip", "jacob_cov", "az_expressivity", "az_progressivity",
           "az_trainability", "vkdnw", "swap", "entropy", "epe_nas")  # fmt: skip
#: combinations scored from the members' values (Σ ln rank over the networks)
COMBOS = {
    "ensemble": ("flops", "az_trainability", "logsynflow", "jacob_cov"),
    "az_nas": ("az_expressivity", "az_progressivity", "az_trainability", "macs"),
    "naswot+logsynflow": ("naswot", "logsynflow"),
    "macs+naswot": ("macs", "naswot"),
    "macs+zen": ("macs", "zen"),
    "macs+az_trainability": ("macs", "az_trainability"),
}


def resnet8_budget() -> Limits:
    """ResNet-8's MACs and its estimated int8 arena and flash (no converter needed)."""
    own = footprint(RESNET8)
    return Limits(max_macs=own["macs_m"], max_sram_kib=own["arena_bytes"] / 1024,
                  max_flash_kib=own["flash_bytes"] / 1024)  # fmt: skip


def networks(count: int, seed: int, pool_file: Path | None, min_macs: float) -> list[str]:
    """ResNet-8, MobileNetV2 scaled to fit and ``count`` networks evenly spaced in
    parameters: from 400 random ones that fit, or from a search's ``history.csv`` (those
    of at least ``min_macs`` M MACs: the networks a search's top is made of)."""
    limits = resnet8_budget()
    pool: set[str] = set()
    if pool_file is not None:
        with open(pool_file, newline="") as handle:
            pool = {r["arch"] for r in csv.DictReader(handle) if r["status"] == "ok"}
        pool = {a for a in pool if footprint(a)["macs_m"] >= min_macs and fits(a, limits)}
    rng = np.random.default_rng(seed)
    while pool_file is None and len(pool) < 400:
        arch = SPACE.encode(SPACE.sample(rng))
        if fits(arch, limits):
            pool.add(arch)
    ordered = sorted(pool, key=lambda a: (footprint(a)["params"], a))
    picks = [ordered[int(i)] for i in np.linspace(0, len(ordered) - 1, count)]
    return [RESNET8, scaled_mobilenetv2(limits), *picks]


def proxy_values(archs: list[str], out: Path) -> dict[str, dict[str, float]]:
    path = out / "proxies.json"
    values = json.loads(path.read_text()) if path.is_file() else {}
    names = sorted(set(PROXIES) | {p for combo in COMBOS.values() for p in combo})
    scoring = setup(space="mcu", dataset="cifar10", proxies=",".join(names))
    for arch in archs:
        if arch in values:
            continue
        started = time.perf_counter()
        scores = scoring.scorer(SPACE.decode(arch))
        row = {n: v.value for n, v in scores.values.items()}
        row["seconds"] = {n: v.seconds for n, v in scores.values.items()}
        row["total_seconds"] = time.perf_counter() - started
        values[arch] = row
        path.write_text(json.dumps(values, indent=1))
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench-mcu-proxies"))
    parser.add_argument("--networks", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1, help="of the networks (benchmark: 0)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--pool", type=Path, help="a search's history.csv to draw from")
    parser.add_argument("--min-macs", type=float, default=0.0, help="of --pool networks (M)")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    use_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    folder = tuning_subset(args.out)
    archs = networks(args.networks, args.seed, args.pool, args.min_macs)
    accuracy = {}
    for i, arch in enumerate(archs):
        summary = train_run(str(folder), arch, recipe(args.epochs, 0), args.out / f"net{i:02d}")
        accuracy[arch] = summary["history"][-1]["val_accuracy"]
    values = proxy_values(archs, args.out)
    truth = np.array([accuracy[a] for a in archs])
    rows = []
    for name in (*PROXIES, *COMBOS):
        proxies = [get_proxy(p) for p in COMBOS.get(name, (name,))]
        fitness = Fitness(tuple(proxies), "logrank")([values[a] for a in archs])
        ok = np.isfinite(fitness)
        tau = stats.kendalltau(fitness[ok], truth[ok]).statistic
        rho = stats.spearmanr(fitness[ok], truth[ok]).statistic
        top = archs[int(np.argmax(np.where(ok, fitness, -np.inf)))]
        cost = np.median([sum(values[a]["seconds"].get(p.name, 0) for p in proxies) for a in archs])
        rows.append((name, tau, rho, accuracy[top], int(ok.sum()), cost))
    rows.sort(key=lambda r: -r[1])
    pool_args, drawn = "", "random ones that fit"
    if args.pool is not None:
        pool_args = f" --pool {args.pool.name} --min-macs {args.min_macs:g} --doc {args.doc.name}"
        drawn = (f"of at least {args.min_macs:g} M MACs from the {args.pool.name} of a search "
                 "maximising MACs under the budget, what a search's top is made of (`zeronas "
                 "search --space mcu --dataset cifar10 --proxies macs --budget 2000` with "
                 "ResNet-8's limits)")  # fmt: skip
    lines = [
        "# Which proxies rank the mcu space",
        "",
        f"Generated by `python benchmarks/mcu_proxies.py --networks {args.networks} --epochs "
        f"{args.epochs} --seed {args.seed}{pool_args}` (do not edit by hand). CPU flags: "
        f"{cpu_flags()}.",
        "",
        f"{len(archs)} networks within ResNet-8's budget (ResNet-8, MobileNetV2 scaled to fit, "
        f"{args.networks} {drawn}, evenly spaced in parameters). Ground truth: val accuracy "
        f"(1,000 images carved from train) after {args.epochs} epochs of the benchmark recipe "
        "on 9,000 CIFAR-10 training images; the test split is not read. Proxies on the "
        "embedded batch of 128 CIFAR-10 training images, seed 0. Range of the ground truth: "
        f"{truth.min():.1f}-{truth.max():.1f} %; ResNet-8 {accuracy[RESNET8]:.1f} %.",
        "",
        "Criterion fixed before looking: Kendall τ over all networks; within 0.05 of the best "
        "the cheaper proxy wins.",
        "",
        "| proxy | Kendall τ | Spearman ρ | accuracy of its top network | networks | s / net |",
        "|---|---|---|---|---|---|",
        *(f"| {n} | {t:.3f} | {r:.3f} | {a:.1f} | {k} | {c:.3f} |" for n, t, r, a, k, c in rows),
        "",
        "Networks (val accuracy %):",
        "",
        *(f"- {accuracy[a]:.1f} `{a}`" for a in archs),
        "",
    ]
    args.doc.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
