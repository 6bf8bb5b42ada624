"""Seed 002's three size-penalty profiles (GDF, HSDF, RDF) for one target and width.

python benchmarks/size_penalties.py --target-kparams 200 --width-kparams 400 \
    --out docs/penalties.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zeronas.fitness.penalties import PENALTIES, SizePenalty
from zeronas.report.plots import penalty_plot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-kparams", type=float, default=200.0)
    parser.add_argument("--width-kparams", type=float, default=400.0)
    parser.add_argument("--out", type=Path, default=Path("docs/penalties.png"))
    args = parser.parse_args()
    print(f"wrote {penalty_plot(args.out, args.target_kparams, args.width_kparams)}")
    for kind in PENALTIES:
        penalty = SizePenalty(kind, args.target_kparams, args.width_kparams)
        points = [args.target_kparams + k * args.width_kparams for k in (0, 0.5, 1, 2, 3)]
        print(kind, " ".join(f"p({x:g})={float(penalty(x)):.3f}" for x in points))


if __name__ == "__main__":
    main()
