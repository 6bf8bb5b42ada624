"""Seed 002's Fig. 7: histograms of N_A, the number of ReLU activations of one image's
forward, over 1,000 randomly sampled networks of each space (NATS-TSS, NATS-SSS,
NAS-Bench-101), CIFAR-10 input. Writes docs/seed002/fig7-relu-histograms.png and prints
the summary table.

    python benchmarks/relu_histograms.py --samples 1000

NAS-Bench-101 samples are drawn as its paper does (uniform matrix and operations, redrawn
until valid); no index is needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from zeronas.data.tasks import get_dataset
from zeronas.proxies.relu_count import count_activations
from zeronas.report.plots import figure
from zeronas.spaces import get_space

SPACES = ("nats-tss", "nats-sss", "nas-bench-101")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/seed002/fig7-relu-histograms.png"))
    args = parser.parse_args()
    spec = get_dataset("cifar10")
    counts = {}
    for name in SPACES:
        space, rng = get_space(name), np.random.default_rng(args.seed)
        archs = [space.sample(rng) for _ in range(args.samples)]
        counts[name] = np.array(
            [
                count_activations(
                    space.build(a, spec.num_classes, spec.input_shape), spec.input_shape
                )
                for a in archs
            ],  # fmt: skip
            dtype=float,
        )
    with figure(args.out, (4 * len(counts), 3.2), ncols=len(counts)) as axes:
        for ax, (name, values) in zip(axes, counts.items(), strict=True):
            ax.hist(values, bins=40)
            ax.set_title(f"{name} ({len(values)} random networks)", fontsize=9)
            ax.set_xlabel("ReLU activations N_A (one 32x32 image)", fontsize=8)
        axes[0].set_ylabel("networks")
        title = "Seed 002 Fig. 7: ReLU activations of sampled networks"
        axes[0].figure.suptitle(title, fontsize=10)
    print("| space | samples | min | median | max |\n|---|---|---|---|---|")
    for name, values in counts.items():
        print(f"| {name} | {len(values)} | {values.min():,.0f} | {np.median(values):,.0f} "
              f"| {values.max():,.0f} |")  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
