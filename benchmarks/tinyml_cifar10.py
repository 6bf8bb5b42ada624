"""MLPerf Tiny's image-classification task (CIFAR-10, 32 x 32) on a microcontroller budget:
the zeronas pick vs ResNet-8 (the task's reference model) vs the best of N random networks
that fit vs MobileNetV2 scaled to fit, all trained with one recipe on the 45,000 training
images left after the seeded 5,000-image val split, tested on all 10,000 test images in
fp32 and, converted to int8, in TFLite Micro. Writes ``docs/tinyml-cifar10.md``.

Budget A is ResNet-8's own: its MACs and its estimated int8 arena and flash. Budget B is
the ``--mcu`` preset (SRAM and flash less the reserves) with MACs capped at ``--macs-b``
(so that a CPU can train it). Every run has its own folder under ``--out`` and is resumable:
run the script again (or several copies with ``--only``, one thread each) and finished runs
are read back. The plan (rows and picks) and each finished run's numbers are also kept in
``docs/tinyml-cifar10/`` (committed), so that ``--report`` writes the document from what is
finished on any machine, and a lost ``--out`` costs only the unfinished runs.

    python benchmarks/tinyml_cifar10.py --out bench-tinyml            # everything, serially
    python benchmarks/tinyml_cifar10.py --out bench-tinyml --only resnet8 --threads 1
    python benchmarks/tinyml_cifar10.py --out bench-tinyml --only pick --run-seeds 2 --threads 1
    python benchmarks/tinyml_cifar10.py --out bench-tinyml --report

Runs limited by ``--only`` or ``--run-seeds`` only train and record; the document is written
by a full run or ``--report``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _shared import cpu_flags, shared_path
from _tinyml import SPACE, footprint, int8_run, recipe, train_run, use_threads

from zeronas.hardware.limits import Limits
from zeronas.search.config import default_search_proxies
from zeronas.spaces.mcu import HEADS, MOBILENETV2, RESNET8, WIDTHS, parse_staged
from zeronas.testing import trained_like

DOC = Path(__file__).resolve().parents[1] / "docs" / "tinyml-cifar10.md"
RECORD = DOC.with_suffix("")  # plan.json and runs/<row>-s<seed>.json, committed
SEEDS = (0, 1, 2)


def resnet8_measured() -> dict[str, int]:
    """ResNet-8's int8 arena and flash as the converter and TFLite Micro give them (they
    depend on shapes only: an untrained network with BN statistics set converts alike)."""
    from zeronas.deploy.tflite import MicroRuntime, convert_int8

    net = trained_like(SPACE.build(SPACE.decode(RESNET8), 10, (3, 32, 32)))
    data = convert_int8(net, (3, 32, 32), [torch.randn(1, 3, 32, 32) for _ in range(4)])
    return {"arena_bytes": MicroRuntime(data).arena().total, "flash_bytes": len(data)}


def budget_a(measured: dict[str, int]) -> Limits:
    """ResNet-8's MACs and its measured int8 arena and flash."""
    return Limits(max_macs=footprint(RESNET8)["macs_m"],
                  max_sram_kib=measured["arena_bytes"] / 1024,
                  max_flash_kib=measured["flash_bytes"] / 1024)  # fmt: skip


def budget_b(mcu: str, macs: float) -> Limits:
    return Limits(max_macs=macs, mcu=mcu)  # the preset fills SRAM and flash


def fits(arch: str, limits: Limits) -> bool:
    f = footprint(arch)
    return (f["macs_m"] <= limits.max_macs and f["arena_bytes"] / 1024 <= limits.max_sram_kib
            and f["flash_bytes"] / 1024 <= limits.max_flash_kib)  # fmt: skip


def scaled_mobilenetv2(limits: Limits) -> str:
    """MobileNetV2 (CIFAR variant: stem stride 1) scaled down until it fits ``limits``, the
    variant with the most MACs: width multiplier, depth multiplier (each stage's depth, at
    least 1), expansion 6 -> 4 or 3, head, stem stride 1 or 2 (the ImageNet original's), the
    last stages dropped, resolution 32 / 28 / 24."""
    base = parse_staged(MOBILENETV2)
    best, best_key = None, (-1.0, -1)
    for resolution, width, depth, expansion, head, stride, kept in itertools.product(
        (32, 28, 24), WIDTHS, (1.0, 0.75, 0.5, 0.34), (6, 4, 3), HEADS, (1, 2), (7, 6, 5, 4)
    ):
        stages = tuple(
            dataclasses.replace(s, depth=max(1, math.ceil(s.depth * depth)),
                                expansion=min(s.expansion, expansion))
            for s in base.stages[:kept]
        )  # fmt: skip
        arch = str(dataclasses.replace(base, resolution=resolution, width=width, head=head,
                                       stem_stride=stride, stages=stages))  # fmt: skip
        if fits(arch, limits):
            f = footprint(arch)
            if (f["macs_m"], f["params"]) > best_key:
                best, best_key = arch, (f["macs_m"], f["params"])
    if best is None:
        raise SystemExit(f"no scaled MobileNetV2 fits {limits.describe()}")
    return best


def random_fitting(limits: Limits, count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    found: list[str] = []
    while len(found) < count:
        arch = SPACE.encode(SPACE.sample(rng))
        if fits(arch, limits) and arch not in found:
            found.append(arch)
    return found


def search(limits: Limits, out: Path, name: str) -> dict:
    """``zeronas search`` on the mcu space at its defaults under ``limits`` (cached)."""
    run = out / f"search-{name}" / "run.json"
    if not run.is_file():
        memory = (["--mcu", limits.mcu] if limits.mcu else
                  ["--max-sram-kib", repr(limits.max_sram_kib),
                   "--max-flash-kib", repr(limits.max_flash_kib)])  # fmt: skip
        args = [sys.executable, "-m", "zeronas", "search", "--space", "mcu", "--dataset",
                "cifar10", "--max-macs", repr(limits.max_macs), *memory,
                "--out", str(run.parent), "--json"]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        doc = json.loads(run.read_text())
        doc["benchmark_wall_seconds"] = time.perf_counter() - started
        run.write_text(json.dumps(doc, indent=1))
    return json.loads(run.read_text())


def plan(args: argparse.Namespace, with_picks: bool) -> dict:
    """The rows (name, budget, arch, seeds), fixed once in ``plan.json``; the picks are
    added when first needed (a search), so the baselines can train before."""
    path = RECORD / "plan.json"
    b = budget_b(args.mcu, args.macs_b)
    if path.is_file():
        doc = json.loads(path.read_text())
        a = Limits(**doc["limits"]["A"])
    else:
        measured = resnet8_measured()
        a = budget_a(measured)
        rows = [
            {"name": "resnet8", "budget": "A", "arch": RESNET8, "seeds": SEEDS},
            *({"name": f"random{i + 1}", "budget": "A", "arch": arch, "seeds": (0,)}
              for i, arch in enumerate(random_fitting(a, args.random, args.seed))),
            {"name": "mobilenetv2", "budget": "A", "arch": scaled_mobilenetv2(a), "seeds": (0,)},
            {"name": "mobilenetv2-B", "budget": "B", "arch": scaled_mobilenetv2(b), "seeds": (0,)},
        ]  # fmt: skip
        doc = {"rows": rows, "epochs": args.epochs, "mcu": args.mcu, "macs_b": args.macs_b,
               "limits": {"A": dataclasses.asdict(a), "B": dataclasses.asdict(b)},
               "resnet8_measured": measured, "search_seconds": {}}  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
    if with_picks and "proxies" not in doc:
        pick_a, pick_b = search(a, args.out, "A"), search(b, args.out, "B")
        doc["rows"][:0] = [{"name": "pick", "budget": "A", "arch": pick_a["best"]["arch"],
                            "seeds": SEEDS}]  # fmt: skip
        doc["rows"].append({"name": "pick-B", "budget": "B", "arch": pick_b["best"]["arch"],
                            "seeds": (0,)})  # fmt: skip
        doc["proxies"] = default_search_proxies(SPACE)
        doc["search_seconds"] = {"A": pick_a["search_seconds"], "B": pick_b["search_seconds"]}
    path.write_text(json.dumps(doc, indent=1))
    return doc


def run_rows(doc: dict, args: argparse.Namespace, folder: str) -> None:
    for row in doc["rows"]:
        if args.only and row["name"] not in args.only:
            continue
        limits = Limits(**doc["limits"][row["budget"]])
        for seed in row["seeds"]:
            if args.run_seeds is not None and seed not in args.run_seeds:
                continue
            run = f"{row['name']}-s{seed}"
            if record_path(run).is_file():  # finished, maybe on another machine
                continue
            run_dir = args.out / "runs" / run
            print(f"{run}: {row['arch']}", flush=True)
            summary = train_run(folder, row["arch"], recipe(doc["epochs"], seed), run_dir)
            int8 = int8_run(folder, row["arch"], run_dir, limits)
            record(run, row["arch"], summary, int8)


def record_path(run: str) -> Path:
    """Where a finished run's numbers are kept (committed; what the report reads)."""
    return RECORD / "runs" / f"{run}.json"


def record(run: str, arch: str, summary: dict, int8: dict) -> None:
    """Keep a finished run's numbers at :func:`record_path`."""
    path = record_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    numbers = {"arch": arch, "epochs": len(summary["history"]),
               "seconds_per_epoch": summary["seconds"] / len(summary["history"]),
               "cpu_flags": cpu_flags(),
               **{k: int8[k] for k in ("fp32_accuracy", "int8_accuracy", "arena_bytes",
                                       "flash_bytes")}}  # fmt: skip
    path.write_text(json.dumps(numbers, indent=1) + "\n")


def _mean_std(values: list[float]) -> str:
    if not values:
        return "pending"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"


def _targets(results: dict[str, tuple[list[float], list[float]]]) -> list[str]:
    """The issue's targets, each checked on what is finished."""
    mean = {name: (np.mean(a) if a else None, np.mean(b) if b else None)
            for name, (a, b) in results.items()}  # fmt: skip
    pick, resnet8 = mean.get("pick", (None, None)), mean["resnet8"]
    randoms = [v[0] for k, v in mean.items() if k.startswith("random") and v[0] is not None]
    lines = ["Targets (budget A, means over seeds):", ""]
    if pick[0] is None or resnet8[0] is None:
        return [*lines, "- pending: the pick and ResNet-8 are not both trained yet"]
    gain = pick[0] - resnet8[0]
    lines.append(f"- pick vs ResNet-8, fp32: {gain:+.2f} points (target ≥ +1): "
                 + ("met" if gain >= 1 else "not met"))  # fmt: skip
    lines.append(f"- pick in int8 (TFLite Micro): {pick[1]:.2f} % (MLPerf Tiny target 85 %): "
                 + ("met" if pick[1] >= 85 else "not met"))  # fmt: skip
    drop = pick[0] - pick[1]
    lines.append(f"- pick fp32 -> int8: {drop:.2f} points (target ≤ 1): "
                 + ("met" if drop <= 1 else "not met"))  # fmt: skip
    if randoms:
        best = max(randoms)
        verdict = "met" if pick[0] > best else "not met"
        lines.append(f"- pick vs the best of {len(randoms)} random networks that fit (best by "
                     f"test accuracy, generous to random): {pick[0] - best:+.2f} points: "
                     + verdict)  # fmt: skip
    return lines


def report(doc: dict, args: argparse.Namespace) -> str:
    lines = [
        "# MLPerf Tiny image classification (CIFAR-10) on a microcontroller budget",
        "",
        "Generated by `python benchmarks/tinyml_cifar10.py --out OUT` "
        "(resumable; do not edit by hand). CPU flags: " + cpu_flags() + ".",
        "",
        f"Recipe (one for every row, `zeronas.deploy.recipe.CIFAR_RECIPE`, {doc['epochs']} "
        "epochs): SGD (Nesterov, momentum 0.9), batch 128, lr 0.1 cosine to 0 per step, weight "
        "decay 5e-4, label smoothing 0.1, 4-px pad-and-crop + flip, precise BN over 4,096 "
        "train images. Data: `../shared/datasets/cifar10-jpeg.tar.gz`, 45,000 train images "
        "(5,000 carved as val, seeded), all 10,000 test images. int8: litert-torch PT2E "
        "static per-channel, 256 calibration images, run in the tflite-micro Python "
        "interpreter (reference kernels) on all 10,000 test images; arena from its "
        "allocation recorder, flash = the .tflite's bytes.",
        "",
        f"Search: `zeronas search --space mcu --dataset cifar10` at its defaults "
        f"(proxies `{doc.get('proxies', 'pending')}`, chosen in docs/mcu-defaults.md; the "
        "space's standard schedule: a stride-2 stage widens, the last map is at most 8 × 8, "
        "and the random networks are drawn from it too) under the budget; budget A = "
        f"ResNet-8's own MACs and int8 arena / flash as converted and measured in TFLite Micro "
        f"({doc['resnet8_measured']['arena_bytes']:,} B / "
        f"{doc['resnet8_measured']['flash_bytes']:,} B), budget B = `--mcu {doc['mcu']}`"
        f" with MACs ≤ {doc['macs_b']:g} M. Search seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in doc["search_seconds"].items())
        + ".",
        "",
        "## Fig. 4 of seed 004: the networks and what they cost",
        "",
        "| budget | network | MACs (M) | params | int8 arena, estimate (B) | arena, TFLite "
        "Micro (B) | flash, estimate (B) | flash, .tflite (B) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    accuracy = [
        "## Fig. 7 of seed 004: test accuracy, same recipe",
        "",
        "| budget | network | fp32 test % | int8 TFLite Micro test % | fp32 -> int8 | runs "
        "| s / epoch |",
        "|---|---|---|---|---|---|---|",
    ]
    archs, results = [], {}
    for row in doc["rows"]:
        f = footprint(row["arch"])
        fp32, int8, arena, flash, per_epoch = [], [], [], [], []
        for seed in row["seeds"]:
            path = record_path(f"{row['name']}-s{seed}")
            if path.is_file():
                r = json.loads(path.read_text())
                fp32.append(r["fp32_accuracy"])
                int8.append(r["int8_accuracy"])
                arena.append(r["arena_bytes"])
                flash.append(r["flash_bytes"])
                per_epoch.append(r["seconds_per_epoch"])
        measured = (f"{arena[0]:,} | " if arena else "pending | ") + (
            f"{flash[0]:,}" if flash else "pending"
        )
        lines.append(
            f"| {row['budget']} | {row['name']} | {f['macs_m']:.2f} | {f['params']:,} | "
            f"{f['arena_bytes']:,} | {measured.split(' | ')[0]} | {f['flash_bytes']:,} | "
            f"{measured.split(' | ')[1]} |"
        )
        drop = _mean_std([a - b for a, b in zip(fp32, int8, strict=True)])
        accuracy.append(
            f"| {row['budget']} | {row['name']} | {_mean_std(fp32)} | {_mean_std(int8)} | "
            f"{drop} | {len(fp32)}/{len(row['seeds'])} | "
            + (f"{np.mean(per_epoch):.0f}" if per_epoch else "–")
            + " |"
        )
        archs.append(f"- {row['name']}: `{row['arch']}`")
        results[row["name"]] = (fp32, int8)
    notes = [
        "",
        *_targets(results),
        "",
        "fp32 accuracy is the trained PyTorch network on the 10,000 test images (the same "
        "images TFLite Micro runs); ± is the standard deviation over training seeds. "
        "s / epoch: training seconds per epoch on one thread, two runs at a time.",
        "",
    ]
    return "\n".join([*lines, "", *accuracy, *notes, "Architectures:", "", *archs, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench-tinyml"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--random", type=int, default=3, help="random networks that fit A")
    parser.add_argument("--seed", type=int, default=0, help="of the random networks")
    parser.add_argument("--mcu", default="stm32f412")
    parser.add_argument("--macs-b", type=float, default=40.0)
    parser.add_argument("--only", nargs="*", help="train these rows only")
    parser.add_argument("--run-seeds", type=int, nargs="*", help="train these seeds only")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--report", action="store_true", help="write the document only")
    args = parser.parse_args()
    use_threads(args.threads)
    folder = "imagefolder:" + str(shared_path("datasets/cifar10-jpeg.tar.gz"))
    picks = not args.only or any(name.startswith("pick") for name in args.only)
    doc = plan(args, with_picks=picks and not args.report)
    if not args.report:
        run_rows(doc, args, folder.removeprefix("imagefolder:"))
    if args.report or not (args.only or args.run_seeds):  # a part run leaves the document
        DOC.write_text(report(doc, args))
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
