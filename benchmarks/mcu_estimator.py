"""The int8 SRAM and flash estimate against the real runtime (issue 33): networks of the
``mcu`` space converted to int8 TFLite (``zeronas.deploy.tflite``, as ``export --int8``
does) and loaded in TFLite Micro; its recording allocator's arena and the file's size beside
:func:`zeronas.hardware.int8_memory.int8_footprint` of the same arch. Needs zeronas[mcu].

    python benchmarks/mcu_estimator.py --networks 40 --seed 1 --json estimator.json

Networks: MLPerf Tiny's ResNet-8 and MobileNetV2 at width 0.35 (CIFAR strides), then
``--networks`` seeded samples of the space (all resolutions, widths, depths, kernels,
expansions, strides, heads) with at most ``--max-params`` parameters (conversion time).
Each network's BatchNorm statistics and affine terms are drawn at random first, as after
training: a fresh BN folds to all-zero biases, which the converter would share. The
estimator's constants (``TAIL``, ``FLASH``) were fitted on seed 0's networks: report other
seeds.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from _shared import cpu_flags

from zeronas.deploy.tflite import MicroRuntime, convert_int8, read_model
from zeronas.hardware.int8_memory import int8_footprint
from zeronas.spaces.mcu import MOBILENETV2, RESNET8, MCUSpace
from zeronas.testing import trained_like

SHAPE = (3, 32, 32)


def networks(space: MCUSpace, count: int, seed: int, max_params: int) -> list[str]:
    rng = np.random.default_rng(seed)
    archs = [RESNET8, MOBILENETV2.replace("w1.00", "w0.35")]
    while len(archs) < count + 2:
        arch = space.sample(rng)
        if space.costs(arch, 10, SHAPE)[0] <= max_params:
            archs.append(str(arch))
    return archs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-params", type=int, default=600_000)
    parser.add_argument("--json", help="write every row here")
    args = parser.parse_args()
    space = MCUSpace()
    rows = []
    print(f"{'arch':<64} {'arena B':>9} {'est.':>9} {'err%':>6} {'flash B':>9} {'est.':>9} "
          f"{'err%':>6} {'conv s':>6}")  # fmt: skip
    for i, text in enumerate(networks(space, args.networks, args.seed, args.max_params)):
        arch = space.decode(text)
        net = trained_like(space.build(arch, 10, SHAPE), args.seed * 1000 + i)
        calibration = [torch.randn(8, *SHAPE, generator=torch.Generator().manual_seed(i))]
        start = time.perf_counter()
        data = convert_int8(net, SHAPE, calibration)
        convert_s = time.perf_counter() - start
        arena = MicroRuntime(data).arena()
        start = time.perf_counter()
        graph = space.graph(arch, 10, SHAPE)
        estimate = int8_footprint(graph)
        estimate_us = (time.perf_counter() - start) * 1e6
        same_ops = tuple(layer.op for layer in graph.layers) == read_model(data).ops
        row = {
            "arch": text, "arena": arena.total, "arena_estimate": estimate.arena,
            "flash": len(data), "flash_estimate": estimate.flash, "same_ops": same_ops,
            "convert_seconds": convert_s, "estimate_us": estimate_us,
        }  # fmt: skip
        row["arena_error"] = (estimate.arena - arena.total) / arena.total
        row["flash_error"] = (estimate.flash - len(data)) / len(data)
        rows.append(row)
        print(f"{text[:64]:<64} {arena.total:>9} {estimate.arena:>9} "
              f"{100 * row['arena_error']:>6.2f} {len(data):>9} {estimate.flash:>9} "
              f"{100 * row['flash_error']:>6.2f} {convert_s:>6.1f}", flush=True)  # fmt: skip
    arena_err = np.abs([r["arena_error"] for r in rows]) * 100
    flash_err = np.abs([r["flash_error"] for r in rows]) * 100
    us = [r["estimate_us"] for r in rows]
    print(f"\n{len(rows)} networks (seed {args.seed}); CPU: {cpu_flags()}")
    print(f"arena: median |error| {np.median(arena_err):.3f} %, max {arena_err.max():.3f} %")
    print(f"flash: median |error| {np.median(flash_err):.3f} %, max {flash_err.max():.3f} %")
    print(f"op lists equal to the converter's: {sum(r['same_ops'] for r in rows)}/{len(rows)}")
    print(
        f"estimate per candidate: median {np.median(us):.0f} us (graph + plan + flash); "
        f"conversion + TFLM load: median {np.median([r['convert_seconds'] for r in rows]):.1f} s"
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
