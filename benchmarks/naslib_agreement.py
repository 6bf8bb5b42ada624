"""Rank agreement of our proxies with NASLib's own values (NAS-Bench-Suite-Zero), on seeded
shared NATS-TSS cells, and of both with test accuracy.

    python benchmarks/naslib_agreement.py --cells 120 --dataset cifar10 --init pytorch

NASLib's protocol: PyTorch default init, batch 64 of real training images with labels, its
own NB201 network (cell BN without affine or running statistics, conv biases). Ours runs the
official network; ``--init pytorch --batch-size 64`` and real images match the rest.
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
from _shared import npz_data, shared_path
from rich.console import Console
from rich.table import Table
from scipy import stats

from zeronas import api
from zeronas.groundtruth.accuracy import open_ground_truth
from zeronas.spaces import get_space

#: our proxy -> NASLib's column
COLUMNS = {
    "grad_norm": "grad_norm", "snip": "snip", "plain": "plain", "l2_norm": "l2_norm",
    "fisher": "fisher", "grasp": "grasp", "jacob_cov": "jacov", "epe_nas": "epe_nas",
    "synflow[log=false]": "synflow", "naswot": "nwot",
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=120)
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--init", default="pytorch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--proxies", default=",".join(COLUMNS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    reference_file = shared_path(f"benchmarks/nats-tss/naslib_zc_{args.dataset}.csv")
    with reference_file.open(newline="") as handle:
        reference = {int(r["index"]): r for r in csv.DictReader(handle)}
    truth = open_ground_truth(None, space=get_space("nats-tss"))
    rng = np.random.default_rng(args.seed)
    indices = sorted(rng.choice(sorted(reference), size=args.cells, replace=False).tolist())
    run = api.setup(
        proxies=args.proxies, dataset=args.dataset, data=npz_data(args.dataset),
        batch_size=args.batch_size, seed=args.seed, init=args.init,
    )  # fmt: skip
    start = time.perf_counter()
    records = [run.scorer(run.space.arch(i)) for i in indices]
    seconds = time.perf_counter() - start
    accuracy = np.array([truth.accuracy(i, args.dataset) for i in indices])
    table = Table(
        "proxy", "ρ vs NASLib", "ρ ours vs acc", "ρ NASLib vs acc", "s/cell",
        title=f"{args.cells} seeded shared cells, {args.dataset}, init {args.init}, batch "
        f"{args.batch_size}, real images ({seconds:.0f} s)",
    )  # fmt: skip
    for proxy in run.proxies:
        ours = np.array([r.value(proxy.name) for r in records])
        theirs = np.array([float(reference[i][COLUMNS[proxy.name]]) for i in indices])
        ok = np.isfinite(ours) & np.isfinite(theirs)
        agree = stats.spearmanr(ours[ok], theirs[ok]).statistic
        ours_acc = stats.spearmanr(ours[ok], accuracy[ok]).statistic
        theirs_acc = stats.spearmanr(theirs[ok], accuracy[ok]).statistic
        per_cell = np.mean([r.values[proxy.name].seconds for r in records])
        table.add_row(
            proxy.name.replace("[", "\\["), f"{agree:.3f}", f"{ours_acc:.3f}",
            f"{theirs_acc:.3f}", f"{per_cell:.3f}",
        )  # fmt: skip
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
