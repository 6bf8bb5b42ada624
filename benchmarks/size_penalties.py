"""Seed 002's three size-penalty profiles (GDF, HSDF, RDF) for one target and width.

python benchmarks/size_penalties.py --target-kb 200 --width-kb 400 --out docs/penalties.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zeronas.fitness import PENALTIES, SizePenalty
from zeronas.report import penalty_plot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-kb", type=float, default=200.0)
    parser.add_argument("--width-kb", type=float, default=400.0)
    parser.add_argument("--out", type=Path, default=Path("docs/penalties.png"))
    args = parser.parse_args()
    print(f"wrote {penalty_plot(args.out, args.target_kb, args.width_kb)}")
    for kind in PENALTIES:
        penalty = SizePenalty(kind, args.target_kb, args.width_kb)
        points = [args.target_kb + k * args.width_kb for k in (0, 0.5, 1, 2, 3)]
        print(kind, " ".join(f"p({x:g})={float(penalty(x)):.3f}" for x in points))


if __name__ == "__main__":
    main()
