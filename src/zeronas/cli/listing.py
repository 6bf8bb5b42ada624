"""`zeronas spaces | proxies | datasets | algorithms | mcus`: what is registered."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from zeronas.cli.app import app, out
from zeronas.cli.options import JsonOpt
from zeronas.cli.output import print_json
from zeronas.data.tasks import DATASETS
from zeronas.hardware.mcus import MCUS
from zeronas.proxies import PROXIES, PROXY_SETS
from zeronas.search.base import SEARCHERS
from zeronas.spaces import SPACES


@app.command()
def spaces(json_out: JsonOpt = False) -> None:
    """List the search spaces."""
    rows = [
        {"name": n, "size": SPACES.get(n).size, "description": SPACES.get(n).description}
        for n in SPACES
    ]
    if json_out:
        return print_json({"spaces": rows})
    table = Table("name", "size", "description")
    for row in rows:
        table.add_row(row["name"], str(row["size"] or "-"), row["description"])
    out.print(table)


@app.command()
def proxies(json_out: JsonOpt = False) -> None:
    """List the proxies: version, options, direction, what they need and read, what they
    compute; then the proxy sets. Set options inside the proxy list:
    --proxies 'naswot,synflow[log=false]'; a set's name stands for its members."""
    rows = [PROXIES.get(n).describe() for n in PROXIES]
    sets = [PROXY_SETS.get(n).describe() for n in PROXY_SETS]
    if json_out:
        return print_json({"proxies": rows, "sets": sets})
    table = Table("name", "v", "options", "better", "needs", "reads", "batch", "description")
    for row in rows:
        better = "higher" if row["higher_is_better"] else "lower"
        needs = "labels" if row["needs_labels"] else "data" if row["needs_data"] else "-"
        options = ", ".join(f"{k}={v['default']}" for k, v in row["options"].items()) or "-"
        table.add_row(
            row["name"], str(row["version"]), escape(options), better, needs, row["reads"],
            escape(row["images"]), row["description"],
        )  # fmt: skip
    out.print(table)
    table = Table("set", "members", "combine", "description")
    for row in sets:
        table.add_row(row["name"], ", ".join(row["members"]), row["combine"], row["description"])
    out.print(table)


@app.command()
def datasets(json_out: JsonOpt = False) -> None:
    """List the tasks (class count, input shape)."""
    rows = [
        {"name": d.name, "num_classes": d.num_classes, "input_shape": list(d.input_shape)}
        for d in (DATASETS.get(n) for n in DATASETS)
    ]
    if json_out:
        return print_json({"datasets": rows})
    table = Table("name", "classes", "input (C, H, W)")
    for row in rows:
        table.add_row(row["name"], str(row["num_classes"]), str(tuple(row["input_shape"])))
    table.add_row("imagefolder-N-S", "N", "(3, S, S)")  # a user's folder (ImageNet's norm)
    out.print(table)


@app.command()
def algorithms(json_out: JsonOpt = False) -> None:
    """List the search algorithms and their default parameters."""
    rows = []
    for name in SEARCHERS:
        factory = SEARCHERS.get(name)
        searcher = factory()
        doc = (factory.__doc__ or "").strip().splitlines()[0]
        rows.append({"name": name, "params": searcher.params(), "description": doc})
    if json_out:
        return print_json({"algorithms": rows})
    table = Table("name", "parameters", "description")
    for row in rows:
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        table.add_row(row["name"], params or "-", row["description"])
    out.print(table)


@app.command()
def mcus(json_out: JsonOpt = False) -> None:
    """List the microcontroller presets of --mcu: SRAM and flash from the datasheet, the
    reserves kept for runtime and application, and what is left for the int8 network
    (its TFLite Micro arena and its .tflite)."""
    rows = [
        {
            "name": m.name,
            "core": m.core,
            "mhz": m.mhz,
            "sram_kib": m.sram_kib,
            "flash_kib": m.flash_kib,
            "sram_reserve_kib": m.sram_reserve_kib,
            "flash_reserve_kib": m.flash_reserve_kib,
            "max_sram_kib": m.max_sram_kib,
            "max_flash_kib": m.max_flash_kib,
            "datasheet": m.datasheet,
            "note": m.note,
        }  # fmt: skip
        for m in MCUS.values()
    ]
    if json_out:
        return print_json({"mcus": rows})
    table = Table("name", "core", "MHz", "SRAM", "flash", "arena ≤", "model ≤", "datasheet",
                  caption="KiB; budgets = on-chip less the reserve (in brackets) kept for "
                  "runtime and application")  # fmt: skip
    for r in rows:
        table.add_row(
            r["name"], r["core"], str(r["mhz"]), str(r["sram_kib"]), str(r["flash_kib"]),
            f"{r['max_sram_kib']} (-{r['sram_reserve_kib']})",
            f"{r['max_flash_kib']} (-{r['flash_reserve_kib']})", r["datasheet"],
        )  # fmt: skip
    out.print(table)
