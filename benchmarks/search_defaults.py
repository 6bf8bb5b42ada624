"""Live searches with the default settings of ``zeronas search`` against the baselines
(issue 16): R seeded runs per dataset on the shared real-image samples (no ``--scores``),
the pick's 200-epoch test accuracy, search seconds and wall seconds. Writes
docs/search-defaults.md.

    python benchmarks/search_defaults.py --runs 30 --only default --cache search.sqlite
    python benchmarks/search_defaults.py --runs 30 --only naswot+logsynflow,freerea \
        --doc docs/search-baselines.md --cache search.sqlite

Rows: ``default`` (``zeronas search`` with no flag: the ensemble, two stages, the default
algorithm and budget); ``naswot+logsynflow`` (the defaults before: REA, 100 candidates,
norm-sum); ``freerea`` (FreeREA as released: naswot + logsynflow + skip, its loop, 45 s);
``--rows`` adds the candidates the defaults were chosen from, e.g. ``ensemble/random/500``
or ``ensemble/rea/500/20`` (K = 20), run on CIFAR-10 only (``--tuning-dataset``): the
defaults were chosen there, and the other datasets are held out.

Search seconds follow the search-time rule (README, "Search"): recorded seconds of one core
per candidate, so a value read back from the store costs what it cost when computed and a
row's seconds are those of independent runs. Wall seconds are this process's, store reads
included: the first run of a row pays for the cells, later runs reuse them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _shared import NPZ, cpu_flags, npz_data, shared_path

from zeronas import api
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.proxies import PROXY_SETS
from zeronas.proxies.base import get_proxy

DOC = Path("docs/search-defaults.md")
#: label -> (proxies, algorithm, budget, seconds, extra config)
BASELINES = {
    "naswot+logsynflow": ("naswot,logsynflow", "rea", 100, None, {}),
    "freerea": ("naswot,logsynflow,skip", "freerea", None, 45.0, {}),
}


def _candidates(text: str) -> dict[str, tuple]:
    rows = {}
    for item in filter(None, (text or "").split(",")):
        proxies, algorithm, budget, *rest = item.split("/")
        extra = {"rerank": int(rest[0])} if rest else {}
        rows[item] = (proxies.replace("+", ","), algorithm, int(budget), None, extra)
    return rows


def _table_row(truth, dataset, label, row, args, optimum, runs) -> str:
    proxies, algorithm, budget, seconds, extra = row
    run = api.search_setup(
        proxies=proxies, dataset=dataset, data=npz_data(dataset), cache=args.cache, **extra
    )
    accs, secs = [], []
    t0 = time.perf_counter()
    for seed in range(args.seed, args.seed + runs):
        result = api.search(run, algorithm, budget, seconds, seed)
        accs.append(truth.accuracy(result.best.index, dataset))
        secs.append(result.seconds)
    wall = (time.perf_counter() - t0) / runs
    acc = np.array(accs)
    cap = f"{budget}" if budget else f"{seconds:g} s"
    if run.rerank is not None:
        cap += f" + {run.rerank.k}"
    line = (
        f"| {dataset} | {label} | {proxies} | {algorithm} | {cap} | {acc.mean():.2f} "
        f"| {acc.std():.2f} | {acc.min():.2f} | {acc.max():.2f} | {np.mean(secs):.1f} "
        f"| {wall:.1f} | {optimum:.2f} |"
    )
    print(line, flush=True)
    return line


def _versions(proxies: str) -> str:
    names = PROXY_SETS.get(proxies).members if proxies in PROXY_SETS else proxies.split(",")
    return ", ".join(f"{name} v{get_proxy(name).version}" for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--datasets", default=",".join(NPZ))
    parser.add_argument("--rows", default="", help="extra rows: proxies/algorithm/budget[/K]")
    parser.add_argument("--only", default=None, help="comma-separated row labels to run")
    parser.add_argument("--tuning-dataset", default="cifar10")
    parser.add_argument("--tuning-runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="score store (resume, reuse)")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    truth = CSVGroundTruth(shared_path("benchmarks/nats-tss/accuracy.csv"))
    default = (api.DEFAULT_SEARCH["proxies"], api.DEFAULT_SEARCH["algorithm"],
               api.DEFAULT_SEARCH["budget"], None, {})  # fmt: skip
    rows = {"default": default} | BASELINES
    if args.only:
        rows = {k: v for k, v in rows.items() if k in args.only.split(",")}
    header = [
        "| dataset | row | proxies | algorithm | budget | accuracy | std | min | max "
        "| search s | wall s/run | optimum |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines = [
        "# Search with the defaults of `zeronas search`, live"
        if "default" in rows
        else "# Baselines of `zeronas search`'s defaults, live",
        "",
        f"Generated by `python benchmarks/search_defaults.py --runs {args.runs} --rows "
        f"'{args.rows}' --tuning-runs {args.tuning_runs}"
        + (f" --only {args.only}" if args.only else "")
        + (f" --doc {args.doc}" if args.doc != DOC else "")
        + "` (do not edit by hand). "
        f"{args.runs} runs per row (search seeds "
        f"{args.seed}..{args.seed + args.runs - 1}), live scoring on the shared real-image "
        "samples (batch 128; the batch seed is 0 throughout), 200-epoch test accuracy of the "
        "pick. Search seconds: the search-time rule on one core of a CPU with "
        f"{cpu_flags()}, as recorded when each cell was first scored: values scored while "
        "other jobs shared the cores record more. Wall: this process's seconds per run, "
        "store reads included. The default rows and the baseline rows (naswot+logsynflow, "
        "freerea) come from separate runs of this script (`--only`): docs/search-defaults.md "
        "and docs/search-baselines.md. Proxy versions (a version change is another value, "
        f"docs/pick-losses.md): {_versions(api.DEFAULT_SEARCH['proxies'])}.",
        "",
        *header,
    ]
    every = {*args.datasets.split(","), args.tuning_dataset}
    optimum = {d: max(truth.accuracy(i, d) for i in range(15625)) for d in every}
    for dataset in args.datasets.split(","):
        for label, row in rows.items():
            lines.append(_table_row(truth, dataset, label, row, args, optimum[dataset], args.runs))
    if args.rows:
        dataset = args.tuning_dataset
        lines += ["", f"## The candidates the defaults were chosen from ({dataset}, "
                  f"{args.tuning_runs} runs each)", "", *header]  # fmt: skip
        for label, row in _candidates(args.rows).items():
            lines.append(
                _table_row(truth, dataset, label, row, args, optimum[dataset], args.tuning_runs)
            )
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text("\n".join([*lines, ""]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
