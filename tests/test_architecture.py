"""The layers of docs/architecture.md hold: no import circle, no import upward or sideways."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "zeronas"


def layer_order() -> dict[str, int]:
    """Package (or top-level module) name -> its line in the layer block, bottom = 0."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers:.*?-->\s*```text\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no layer block"
    lines = [line.split() for line in block.group(1).splitlines() if line.strip()]
    return {name: depth for depth, names in enumerate(lines) for name in names}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the zeronas modules it imports (``from a import b`` of a submodule b is an
    import of ``a.b``; of a name, an import of ``a``)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                targets = [s for s in subs if s in modules]
                if len(targets) < len(subs):
                    targets.append(node.module)
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
        graph.setdefault(name, set())
    return graph


def stage(module: str) -> str:
    """The layer entry a module belongs to: its sub-package, or itself at the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "zeronas"


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_package_has_a_layer():
    order = layer_order()
    missing = sorted({stage(m) for m in import_graph()} - set(order))
    assert not missing, f"add these to the layer block of docs/architecture.md: {missing}"


def test_the_import_graph_has_no_circle():
    graph = import_graph()
    found = circles(graph)
    edges = sum(len(v) for v in graph.values())
    print(f"{len(graph)} modules, {edges} imports, {len(found)} circles")
    assert not found


def test_no_import_runs_upward_or_sideways():
    order, graph = layer_order(), import_graph()
    wrong = [
        f"{a} -> {b} ({stage(a)} at layer {order[stage(a)]}, {stage(b)} at {order[stage(b)]})"
        for a, targets in sorted(graph.items())
        for b in sorted(targets)
        if stage(a) != stage(b) and order[stage(b)] >= order[stage(a)]
    ]
    print(f"{len(wrong)} imports against the layer order")
    assert not wrong, "\n".join(wrong)


def test_the_checks_find_a_circle_and_an_upward_import():
    """The checks themselves can fail."""
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    order = layer_order()
    assert order["cli"] > order["api"] > order["search"] > order["scoring"] > order["proxies"]
