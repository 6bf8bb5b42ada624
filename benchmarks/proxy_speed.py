"""Median seconds per cell of each proxy, and its ratio to a bare forward pass of the same
cells in the same run (train-mode BN, no grad, batch as given).

    python benchmarks/proxy_speed.py --cells 20 --batch-size 128
    python benchmarks/proxy_speed.py --cells 5 --batch-size 64 --proxies ntk_cond
    python benchmarks/proxy_speed.py --cells 10 --batch-size 64 --proxies naswot --each-kernel

The naswot Gram kernel (int8 or float32) is measured and chosen at first use
(:mod:`zeronas.fastpath`); the table's caption names the one used and the CPU's flags.
``--each-kernel`` adds a row per kernel, each forced, for comparison.

Derived proxies (ninaswot) are not listed: they cost what their parts cost. ``--sets`` adds a
row per proxy set (``ensemble``, ``az_nas``, ...), its parts scored together as the scorer
does (one pass per kind, :class:`~zeronas.scoring.tally.PassTally`); the cost parts the
scorer takes from the space's formula (params, flops, macs) are left out of those rows.
``--layout`` is the networks' and batch's memory format (the scorer's default: channels_last).

    python benchmarks/proxy_speed.py --cells 20 --batch-size 64 --proxies 'az_*' \
        --sets ensemble,az_nas --layout contiguous
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from _shared import cpu_flags
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.deploy.training import MEMORY_FORMATS
from zeronas.models.init import initialise
from zeronas.proxies import get_proxy, list_proxies, parse_proxy_list
from zeronas.proxies._fastpath import chosen_kernels, using
from zeronas.scoring.scorer import COST_FORMULAS
from zeronas.scoring.tally import PassTally
from zeronas.spaces import get_space


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _forced_kernel(kernel: str):
    """naswot with its Gram kernel forced to ``kernel``."""

    def run(net, x, y=None) -> float:
        with using("naswot_gram", x.device.type, kernel):
            return get_proxy("naswot")(net, x)

    return run


def _set_run(name: str):
    """The parts of proxy set ``name`` scored together (one pass per kind), less those the
    scorer takes from the space's cost formula."""
    parts = [p for p in parse_proxy_list(name) if p.name not in COST_FORMULAS]

    def run(net, x, y=None) -> None:
        PassTally([p.name for p in parts]).run(net, parts, x, y)

    return run


def _counted_run(net, proxies, x, y) -> tuple[int, float]:
    """(network forwards, seconds) of scoring ``proxies`` on ``net`` as the scorer does."""
    calls = []
    handle = net.register_forward_pre_hook(lambda _m, _a: calls.append(1))
    try:
        seconds = _timed(lambda: PassTally([p.name for p in proxies]).run(net, proxies, x, y))
    finally:
        handle.remove()
    return len(calls), seconds


def _sharing_table(names: str, space, spec, x, y, cells: int, seed: int) -> Table:
    """Forwards of the whole network (each loss-gradient one followed by its backward) and
    seconds per candidate, for the proxies scored together and one at a time."""
    proxies = parse_proxy_list(names)
    rng = np.random.default_rng(seed + 1)
    together, alone = [0, 0.0], [0, 0.0]
    for _ in range(cells):
        net = initialise(space.build(space.sample(rng), spec.num_classes, spec.input_shape))
        for total, groups in ((together, [proxies]), (alone, [[p] for p in proxies])):
            for group in groups:
                count, seconds = _counted_run(net, group, x, y)
                total[0] += count
                total[1] += seconds
    table = Table("scored", "network forwards / cell", "s/cell", title=f"Pass sharing: {names}")
    table.add_row("together", f"{together[0] / cells:.1f}", f"{together[1] / cells:.3f}")
    table.add_row("one by one", f"{alone[0] / cells:.1f}", f"{alone[1] / cells:.3f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--proxies", default="*", help="fnmatch pattern")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--each-kernel", action="store_true", help="also time naswot with each Gram kernel"
    )
    parser.add_argument(
        "--sharing",
        default=None,
        help="also count the network forwards a candidate costs for these proxies, together "
        "(shared passes) and one by one: e.g. grad_norm,snip,plain,fisher,grasp,zico",
    )
    parser.add_argument("--sets", default="", help="proxy sets to time as one row each")
    parser.add_argument("--layout", choices=sorted(MEMORY_FORMATS), default="channels_last")
    args = parser.parse_args()
    layout = MEMORY_FORMATS[args.layout]
    space, spec = get_space("nats-tss"), get_dataset(args.dataset)
    batch = load_batch("synthetic", spec, args.batch_size, args.seed)
    x = batch.x.contiguous(memory_format=layout)
    y = batch.y  # synthetic: random labels, for the proxies that read them
    names = [n for n in list_proxies(args.proxies) if not get_proxy(n).parts]  # derived: = parts
    rng = np.random.default_rng(args.seed)
    proxies = {n: get_proxy(n) for n in names}
    if args.each_kernel:
        from zeronas.proxies.naswot import GRAM_KERNELS

        proxies |= {f"naswot[{k}]": _forced_kernel(k) for k in GRAM_KERNELS}
    for name in filter(None, args.sets.split(",")):
        proxies[f"set {name}"] = _set_run(name)
    times: dict[str, list[float]] = {"forward": [], **{n: [] for n in proxies}}
    for _ in range(args.cells):
        net = initialise(space.build(space.sample(rng), spec.num_classes, spec.input_shape))
        net.train().to(memory_format=layout)

        def forward(net=net) -> None:
            with torch.no_grad():
                net(x)

        forward()  # warm-up: allocator and kernels, not counted
        times["forward"].append(_timed(forward))
        for name, proxy in proxies.items():
            times[name].append(_timed(lambda proxy=proxy, net=net: proxy(net, x, y)))
    base = statistics.median(times["forward"])
    table = Table(
        "proxy",
        "median s/cell",
        "x forward",
        title=f"{args.cells} NATS-TSS cells, {args.dataset}, batch {args.batch_size}, "
        f"{args.layout}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
        f"CPU flags: {cpu_flags()}",
    )
    for name, values in times.items():
        median = statistics.median(values)
        table.add_row(escape(name), f"{median:.4f}", f"{median / base:.2f}")
    Console().print(table)
    for choice, made in chosen_kernels().items():
        measured = ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in made["seconds"].items())
        print(f"kernel {choice}: {made['chosen']} (first-use measurement: {measured})")
    if args.sharing:
        Console().print(_sharing_table(args.sharing, space, spec, x, y, args.cells, args.seed))
    if "naswot" in names and "relu_count" in names:
        ratio = statistics.median(times["naswot"]) / statistics.median(times["relu_count"])
        print(f"relu_count is {ratio:.0f}x faster than naswot")


if __name__ == "__main__":
    main()
