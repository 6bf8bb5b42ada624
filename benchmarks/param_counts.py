"""Check the built network's parameter count against the table for every cell of a NATS
space, and the table's arch strings against the space's index order.

    python benchmarks/param_counts.py                     # NATS-TSS, all 3 x 15,625
    python benchmarks/param_counts.py --space nats-sss    # NATS-SSS, all 3 x 32,768
    python benchmarks/param_counts.py --limit 500

Networks are built on the meta device (shapes only), so the whole check takes minutes.
"""

from __future__ import annotations

import argparse
import time

import torch
from _shared import shared_path
from rich.console import Console
from rich.table import Table

from zeronas.data.tasks import get_dataset
from zeronas.groundtruth import CSVGroundTruth
from zeronas.hardware.counting import count_params
from zeronas.spaces import get_space

TABLES = {
    "nats-tss": "benchmarks/nats-tss/accuracy.csv",
    "nats-sss": "benchmarks/nats-sss/params.csv",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--space", choices=sorted(TABLES), default="nats-tss")
    parser.add_argument("--limit", type=int, default=None, help="first N indices only")
    args = parser.parse_args()
    truth = CSVGroundTruth(shared_path(TABLES[args.space]))
    space = get_space(args.space)
    indices = range(args.limit or space.size)
    order = [i for i in indices if space.encode(space.arch(i)) != truth.arch(i)]
    print(f"{args.space}: {len(indices)} rows, {len(order)} arch strings out of index order")
    table = Table("dataset", "cells", "mismatches", "max |diff| (params)", "seconds")
    for name in ("cifar10", "cifar100", "ImageNet16-120"):
        spec, start = get_dataset(name), time.perf_counter()
        mismatches, worst = [], 0
        for index in indices:
            with torch.device("meta"):
                net = space.build(space.arch(index), spec.num_classes, spec.input_shape)
            diff = abs(count_params(net) - round(truth.params(index, name) * 1e6))
            worst = max(worst, diff)
            if diff:
                mismatches.append(index)
        table.add_row(
            name,
            str(len(indices)),
            str(len(mismatches)),
            str(worst),
            f"{time.perf_counter() - start:.1f}",
        )
        if mismatches:
            print(f"{name}: first mismatching indices {mismatches[:10]}")
    Console().print(table)


if __name__ == "__main__":
    main()
