"""Make the data zeronas ships inside its package (``src/zeronas/data/embedded/``), so that a fresh
``pip install`` searches on real images and reports ground-truth accuracy with no flags.

    python tools/make_embedded_data.py [--shared ../shared]

Writes, with their provenance in ``PROVENANCE.md``:

* ``nats_tss_test_acc.npz``: ``test_acc`` (uint32, 15,625 x 3) = 10,000 x the 200-epoch test
  accuracy (%) of every NATS-TSS cell in official index order, for cifar10, cifar100 and
  ImageNet16-120 (``datasets``); the table's four decimals are kept exactly. Arch strings
  are not stored: the space derives them from the index.
* ``cifar10_batch.npz``, ``cifar100_batch.npz``: ``x`` (uint8, 128 x 3 x 32 x 32) and ``y``,
  128 CIFAR training images each (a seeded pick). ImageNet-derived images are not shipped
  (ImageNet's terms do not allow redistribution): ImageNet16-120 stays user-supplied.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from decimal import Decimal
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "zeronas" / "data" / "embedded"
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
IMAGES = 128


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def accuracy_table(csv_path: Path) -> np.ndarray:
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = np.zeros((len(rows), len(DATASETS)), dtype=np.uint32)
    for row in rows:
        index = int(row["index"])
        for j, name in enumerate(DATASETS):
            scaled = Decimal(row[f"test_acc_{name}"]) * 10000
            if scaled != scaled.to_integral_value():
                raise SystemExit(f"index {index} {name}: more than four decimals")
            table[index, j] = int(scaled)
    if sorted(int(r["index"]) for r in rows) != list(range(len(rows))):
        raise SystemExit("the table's indices are not 0..N-1")
    return table


def image_batch(npz_path: Path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    with np.load(npz_path) as archive:
        x, y = archive["x"], archive["y"]
    pick = np.sort(np.random.default_rng(seed).choice(len(x), size=IMAGES, replace=False))
    return x[pick], y[pick].astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    table_src = args.shared / "benchmarks" / "nats-tss" / "accuracy.csv"
    np.savez_compressed(
        OUT / "nats_tss_test_acc.npz",
        test_acc=accuracy_table(table_src),
        datasets=np.array(DATASETS),
    )
    sources = {}
    for name in ("cifar10", "cifar100"):
        src = args.shared / "images" / f"{name}_960_augtrain_uint8.npz"
        x, y = image_batch(src)
        np.savez_compressed(OUT / f"{name}_batch.npz", x=x, y=y)
        sources[name] = src
    lines = [
        "# Data shipped inside zeronas (made by tools/make_embedded_data.py; do not edit)",
        "",
        "## nats_tss_test_acc.npz",
        "NATS-Bench topology search space (= NAS-Bench-201), all 15,625 cells in official index",
        "order: 200-epoch test accuracy (%) x 10,000 as uint32, columns cifar10, cifar100,",
        "ImageNet16-120 (mean over training seeds). Read from the official NATS-Bench file",
        "(`hp=200`, test split) as published with FreeREA (NiccoloCavagnero/FreeREA @9c2a726,",
        "`cached_metrics/nats/<dataset>/accuracies.csv`); NATS-Bench (Dong et al., TPAMI 2021)",
        "is MIT-licensed. Source table sha256[:16]: " + _sha(table_src) + ".",
        "",
        "## cifar10_batch.npz, cifar100_batch.npz",
        f"{IMAGES} CIFAR-10 / CIFAR-100 training images each (uint8 N x 3 x 32 x 32, labels `y`),",
        "picked with numpy seed 0 from 960 images saved by a FreeREA re-implementation",
        "(fracapuano/FreeREA @a044d1d) after RandomCrop(32, pad 4) + horizontal flip, so many",
        "have a black stripe on one edge. CIFAR (Krizhevsky 2009) is freely distributed for",
        "research. Source sha256[:16]: "
        + ", ".join(f"{k} {_sha(v)}" for k, v in sources.items())
        + ".",
        "",
        "ImageNet16-120 images are not shipped (ImageNet's terms do not allow it): pass",
        "`--data imagenet16:PATH`, or zeronas falls back to a labelled synthetic batch.",
    ]
    (OUT / "PROVENANCE.md").write_text("\n".join(lines) + "\n")
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
