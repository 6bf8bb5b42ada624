"""Check each space's ``costs`` formula (parameters, MACs) against the counted values: every
cell of NATS-TSS on its three datasets, and seeded samples of the open spaces (blocks, MCU).
The scorer takes ``params``, ``flops`` (= 2 × MACs) and ``macs`` from the formula, so a
mismatch here is a wrong stored value.

    python benchmarks/cost_formulas.py                 # all 3 × 15,625 cells + 500 samples
    python benchmarks/cost_formulas.py --limit 300 --samples 100

Counted: ``count_params`` and ``torch.utils.flop_counter`` (2 FLOPs per multiply-accumulate)
on a batch-of-one forward of the built network.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from zeronas.data.tasks import get_dataset
from zeronas.hardware.counting import count_flops, count_params
from zeronas.spaces import get_space

CASES = [
    ("nats-tss", "cifar10"),
    ("nats-tss", "cifar100"),
    ("nats-tss", "ImageNet16-120"),
    ("blocks", "cifar10"),
    ("mcu", "cifar10"),
]


def archs(space, limit: int | None, samples: int) -> list:
    """Every cell of a finite space (the first ``limit``), else ``samples`` seeded draws."""
    if getattr(space, "size", None):
        return [space.arch(i) for i in range(min(limit or space.size, space.size))]
    return [space.sample(np.random.default_rng(i)) for i in range(samples)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="first N cells of NATS-TSS")
    parser.add_argument("--samples", type=int, default=500, help="draws of each open space")
    args = parser.parse_args()
    table = Table("space", "dataset", "networks", "params mismatches", "MAC mismatches",
                  "seconds")  # fmt: skip
    failed = False
    for space_name, dataset in CASES:
        space, spec, start = get_space(space_name), get_dataset(dataset), time.perf_counter()
        bad_params, bad_macs = [], []
        todo = archs(space, args.limit, args.samples)
        for arch in todo:
            params, macs = space.costs(arch, spec.num_classes, spec.input_shape)
            net = space.build(arch, spec.num_classes, spec.input_shape)
            if count_params(net) != params:
                bad_params.append(space.encode(arch))
            if count_flops(net, spec.input_shape) != 2 * macs:
                bad_macs.append(space.encode(arch))
        failed |= bool(bad_params or bad_macs)
        table.add_row(space_name, dataset, f"{len(todo):,}", str(len(bad_params)),
                      str(len(bad_macs)), f"{time.perf_counter() - start:.0f}")  # fmt: skip
        for text in (bad_params + bad_macs)[:3]:
            print(f"{space_name}/{dataset} mismatch: {text}")
    Console().print(table)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
