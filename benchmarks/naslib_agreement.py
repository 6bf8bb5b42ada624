"""Rank agreement of our proxies with NASLib's own values (NAS-Bench-Suite-Zero), on seeded
shared NATS-TSS cells, and of both with test accuracy; Zen also against NASLib's Zen of all
cells (``naslib_zen.csv``) for the three datasets. Writes docs/naslib-agreement.md.

    python benchmarks/naslib_agreement.py --cells 300 --cache agreement.sqlite

NASLib's protocol: PyTorch default init, batch 64 of real training images with labels, its
own NB201 network (cell BN without affine or running statistics, conv biases). Ours runs the
official network; ``--init pytorch --batch-size 64`` and real images match the rest.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from pathlib import Path

import numpy as np
from _shared import cpu_flags, labelled_data, shared_path
from rich.console import Console
from rich.table import Table
from scipy import stats

from zeronas import api
from zeronas.groundtruth.sources import open_ground_truth
from zeronas.spaces import get_space

#: our proxy -> NASLib's column
COLUMNS = {
    "grad_norm": "grad_norm", "snip": "snip", "plain": "plain", "l2_norm": "l2_norm",
    "fisher": "fisher", "grasp": "grasp", "jacob_cov": "jacov", "epe_nas": "epe_nas",
    "epe_nas[naslib=true]": "epe_nas",
    "synflow[log=false]": "synflow", "naswot": "nwot", "zen": "zen",
}  # fmt: skip
ZEN_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


def _read(path: Path) -> dict[int, dict[str, str]]:
    with path.open(newline="") as handle:
        return {int(r["index"]): r for r in csv.DictReader(handle)}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(stats.spearmanr(a[ok], b[ok]).statistic)


def _scores_in_order(run: api.ScoringSetup, indices: list[int]) -> list:
    """The records of the cells at ``indices``, in that order (stored values come first
    from ``score_many``, computed ones as they finish)."""
    records: list = [None] * len(indices)
    for position, record in run.scorer.score_many([run.space.arch(i) for i in indices]):
        records[position] = record
    return records


def _render(table: Table) -> str:
    console = Console(width=120, file=io.StringIO(), record=True)
    console.print(table)
    return console.export_text()


def agreement_table(args: argparse.Namespace, dataset: str, proxies: str, columns: dict,
                    reference: dict[int, dict[str, str]], truth) -> str:  # fmt: skip
    """Score ``args.cells`` seeded cells of ``reference`` and compare, per proxy."""
    rng = np.random.default_rng(args.seed)
    indices = sorted(rng.choice(sorted(reference), size=args.cells, replace=False).tolist())
    run = api.setup(
        proxies=proxies, dataset=dataset, data=labelled_data(dataset), batch_size=args.batch_size,
        seed=args.seed, init=args.init, cache=args.cache,
    )  # fmt: skip
    start = time.perf_counter()
    records = _scores_in_order(run, indices)
    seconds = time.perf_counter() - start
    accuracy = np.array([truth.accuracy(i, dataset) for i in indices])
    table = Table(
        "proxy", "ρ vs NASLib", "ρ ours vs acc", "ρ NASLib vs acc", "s/cell",
        title=f"{args.cells} seeded shared cells, {dataset}, init {args.init}, batch "
        f"{args.batch_size}, real images ({seconds:.0f} s; stored values cost nothing)",
    )  # fmt: skip
    rows = [reference[i] for i in indices]
    return agreement_rows(table, run.proxies, records, rows, columns, accuracy)


def agreement_rows(table: Table, proxies, records: list, rows: list[dict[str, str]],
                   columns: dict, accuracy: np.ndarray) -> str:  # fmt: skip
    """Per proxy: ρ ours vs theirs (``rows[k][columns[name]]``), each vs ``accuracy``, and
    our seconds per cell; the rendered ``table``."""
    for proxy in proxies:
        ours = np.array([r.value(proxy.name) for r in records])
        theirs = np.array([float(row[columns[proxy.name]]) for row in rows])
        per_cell = np.mean([r.values[proxy.name].seconds for r in records])
        table.add_row(
            proxy.name.replace("[", "\\["), f"{_spearman(ours, theirs):.3f}",
            f"{_spearman(ours, accuracy):.3f}", f"{_spearman(theirs, accuracy):.3f}",
            f"{per_cell:.3f}",
        )  # fmt: skip
    return _render(table)


def stability_table(args: argparse.Namespace, dataset: str, reference: dict) -> str:
    """ρ between our values under two seeds (another batch of images and another init) on
    the first ``args.stability_cells`` of the cells: how far a proxy's ranking is set by the
    architecture rather than by the draw, the ceiling of any agreement with NASLib's one
    draw."""
    rng = np.random.default_rng(args.seed)
    indices = sorted(rng.choice(sorted(reference), size=args.cells, replace=False).tolist())
    indices = indices[: args.stability_cells]
    values = []
    for seed in (args.seed, args.seed + 1):
        run = api.setup(
            proxies=args.stability, dataset=dataset, data=labelled_data(dataset),
            batch_size=args.batch_size, seed=seed, init=args.init, cache=args.cache,
        )  # fmt: skip
        values.append(_scores_in_order(run, indices))
    table = Table(
        "proxy", f"ρ seed {args.seed} vs seed {args.seed + 1}", "ρ vs NASLib (same cells)",
        title=f"Our own stability: {len(indices)} of the cells, {dataset}",
    )  # fmt: skip
    for proxy in run.proxies:
        first, second = (np.array([r.value(proxy.name) for r in v]) for v in values)
        column = COLUMNS[proxy.name]
        theirs = np.array([float(reference[i][column]) for i in indices])
        table.add_row(
            proxy.name, f"{_spearman(first, second):.3f}", f"{_spearman(first, theirs):.3f}"
        )
    return _render(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--datasets", default="cifar10,ImageNet16-120")
    parser.add_argument("--init", default="pytorch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--proxies", default=",".join(COLUMNS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--doc", type=Path, default=Path("docs/naslib-agreement.md"))
    parser.add_argument("--stability", default="plain,grasp,snip")
    parser.add_argument("--stability-cells", type=int, default=100)
    args = parser.parse_args()
    truth = open_ground_truth(None, space=get_space("nats-tss"))
    sections = []
    for dataset in args.datasets.split(","):
        reference = _read(shared_path(f"benchmarks/nats-tss/naslib_zc_{dataset}.csv"))
        sections.append(agreement_table(args, dataset, args.proxies, COLUMNS, reference, truth))
        print(sections[-1])
        if args.stability:
            sections.append(stability_table(args, dataset, reference))
            print(sections[-1])
    zen = _read(shared_path("benchmarks/nats-tss/naslib_zen.csv"))
    for dataset in ZEN_DATASETS:  # NASLib's Zen covers every cell
        columns = {"zen": f"zen_{dataset}"}
        sections.append(agreement_table(args, dataset, "zen", columns, zen, truth))
        print(sections[-1])
    command = (
        f"python benchmarks/naslib_agreement.py --cells {args.cells} --datasets "
        f"{args.datasets} --init {args.init} --batch-size {args.batch_size} --seed {args.seed} "
        f"--stability {args.stability} --stability-cells {args.stability_cells}"
    )
    header = [
        "# Agreement with NASLib's own proxy values",
        "",
        f"Generated by `{command}` (do not edit by hand) on a CPU with "
        f"{cpu_flags()}, one thread. Spearman ρ of our values against NASLib's "
        "(`../shared/benchmarks/nats-tss/naslib_zc_<dataset>.csv`, and `naslib_zen.csv` for "
        "Zen on all cells) on seeded shared cells, and of each against 200-epoch test "
        "accuracy on the same cells. Our network is the official NB201 one (affine BN with "
        "running statistics, no conv bias); NASLib's cells use BN without affine or running "
        "statistics and conv biases; at initialisation, in train mode, the two compute the same "
        "function (BN's γ = 1, β = 0; a conv bias before BN cancels). NASLib draws a new batch "
        "per architecture; ours is one fixed batch of real training images of the dataset "
        "(ImageNet16-120: the 106 images of the shared 1000-class sample that belong to its "
        "120 classes, so that the labels are the task's). Zen draws its own N(0, 1) weights "
        "and Gaussian input (seed 0) in both. `epe_nas[naslib=true]` takes the EPE "
        "reference's >100-class branch, which NASLib runs for ImageNet16-120 (the EPE "
        "repository never does); on CIFAR-10 the two are the same.",
        "",
    ]
    text = "\n".join(header) + "\n" + "\n".join(f"```\n{s.rstrip()}\n```\n" for s in sections)
    args.doc.write_text(text)


if __name__ == "__main__":
    main()
