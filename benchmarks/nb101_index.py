"""NAS-Bench-101's index (issue 18): enumerate the space as the official code does, then
check it against the shared ground truth and print a table.

    python benchmarks/nb101_index.py --cells 1000

Checks: the number of unique cells (423,624), the 31 (index, hash) anchors, and, on
``--cells`` seeded random indices, that arch(i) -> index is i and that the built network's
parameter count equals the table's ``params_m``. Times the first enumeration (skipped when
the cache exists: delete ``$ZERONAS_INDEX_DIR/nas-bench-101-index.npz`` to time it) and the
cached load.
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
from _shared import cpu_flags, shared_path

from zeronas.hardware.counting import count_params
from zeronas.spaces import nas_bench_101 as nb101


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cached = (nb101._cache_dir() / "nas-bench-101-index.npz").exists()
    t0 = time.perf_counter()
    hashes, _ = nb101.NasBench101()._index()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    space = nb101.NasBench101()
    space._index()
    load = time.perf_counter() - t0
    with shared_path("benchmarks/nas-bench-101/hash_anchors.csv").open() as handle:
        anchors = list(csv.DictReader(handle))
    matching = sum(hashes[int(a["freerea_index"])].hex() == a["nb101_module_hash"] for a in anchors)
    with shared_path("benchmarks/nas-bench-101/accuracy.csv").open() as handle:
        params = {int(r["index"]): float(r["params_m"]) for r in csv.DictReader(handle)}
    rng = np.random.default_rng(args.seed)
    picked = rng.choice(len(hashes), args.cells, replace=False)
    t0 = time.perf_counter()
    round_trip = equal = 0
    for index in map(int, picked):
        cell = space.arch(index)
        round_trip += space.index(cell) == index
        equal += count_params(space.build(cell, 10)) == round(params[index] * 1e6)
    built = time.perf_counter() - t0
    rows = [
        ("unique cells", f"{len(hashes):,} (NAS-Bench-101: 423,624)"),
        ("first enumeration", "cached before this run" if cached else f"{first:.0f} s"),
        ("cached load", f"{load:.2f} s"),
        ("hash anchors matching", f"{matching} of {len(anchors)}"),
        (f"index(arch(i)) == i, {args.cells} random i", f"{round_trip} of {args.cells}"),
        (f"built params == params_m, {args.cells} cells", f"{equal} of {args.cells}"),
        ("build + count seconds per cell", f"{built / args.cells:.3f}"),
        ("CPU", cpu_flags()),
    ]
    print("| check | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
