"""Imports run one way (see the layers in ``latentbench/__init__.py``).

Every import of a latentbench module counts: at the top of a file, inside a function, and under
``TYPE_CHECKING``, because a lazy import couples two modules as much as an eager one. The test
prints the package graph and fails on the first edge that runs back up a layer, crosses between
siblings that must stay apart, or closes a cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import latentbench

ROOT = Path(latentbench.__file__).parent

#: Layers, lowest first; a module may import its own layer's modules (unless listed as apart) and lower layers.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("exceptions", "validation", "constants", "paths", "identity", "stats", "types", "progress", "provenance", "registry",
     "specs", "artifacts", "safeio"),
    ("adapters", "data", "metrics"),
    ("models",),
    ("tasks",),
    ("store", "results"),
    ("runner", "executors", "comparison", "report"),
    ("audit", "conformance", "reference_results"),
    ("cli", "_api", "__init__", "__main__"),
)

#: Siblings of one layer that must not import each other: the metric functions are pure functions of
#: arrays (no datasets, no adapters); the runner writes the store and the report reads it, neither uses
#: the other; the store and the results object know nothing of each other's readers.
APART = {("adapters", "data"), ("adapters", "metrics"), ("data", "metrics"), ("runner", "report"), ("comparison", "report"), ("results", "store")}

#: What the report may import beside itself: it reads stored rows and never the tasks, metrics,
#: models, datasets or adapters.
REPORT_READS = {"store", "results", "exceptions", "validation", "constants", "stats", "types", "provenance", "artifacts", "progress",
                "paths", "safeio"}


def _unit(module: str) -> str:
    """The first component under ``latentbench`` (``latentbench.metrics.fairness`` -> ``metrics``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the latentbench modules it imports anywhere in its file."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("latentbench"):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    as_path = ROOT.parent / sub.replace(".", "/")
                    edges[module].add(sub if as_path.with_suffix(".py").exists() or as_path.is_dir() else target)
            elif isinstance(node, ast.Import):
                edges[module].update(a.name for a in node.names if a.name.startswith("latentbench"))
        edges[module].discard(module)
    return edges


def _layer(unit: str) -> int:
    for i, layer in enumerate(LAYERS):
        if unit in layer:
            return i
    raise AssertionError(f"latentbench.{unit} is in no layer: add it to LAYERS in tests/test_layers.py (and the package docstring)")


def violations(edges: dict[str, set[str]]) -> list[str]:
    out = []
    for src, targets in sorted(edges.items()):
        a = _unit(src)
        for dst in sorted(targets):
            b = _unit(dst)
            if a == b:
                continue
            if _layer(b) > _layer(a):
                out.append(f"{src} -> {dst}: up from layer {_layer(a)} ({a}) to layer {_layer(b)} ({b})")
            elif (a, b) in APART or (b, a) in APART:
                out.append(f"{src} -> {dst}: {a} and {b} must stay apart")
            elif a == "report" and b not in REPORT_READS:
                out.append(f"{src} -> {dst}: the report reads the store only, not {b}")
    return out


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for src, targets in edges.items():
        out[_unit(src)].update(_unit(t) for t in targets if _unit(t) != _unit(src))
    return out


def test_imports_run_one_way(capsys):
    edges = import_graph()
    graph = package_graph(edges)
    with capsys.disabled():
        print("\nlatentbench import graph (package -> what it imports), by layer:")
        for i, layer in enumerate(LAYERS):
            for unit in layer:
                if unit in graph or any(_unit(m) == unit for m in edges):
                    print(f"  L{i} {unit:18s} -> {', '.join(sorted(graph.get(unit, ()))) or '-'}")
    bad = violations(edges)
    assert not bad, "imports that run back up the layers:\n" + "\n".join(bad)


def test_the_layering_test_catches_a_back_edge():
    edges = {"latentbench.tasks.base": {"latentbench.runner"}, "latentbench.report.leaderboard": {"latentbench.tasks.registry"},
             "latentbench.metrics.fairness": {"latentbench.data.fairness"}, "latentbench.runner": {"latentbench.report.data"}}
    found = violations(edges)
    assert any("tasks.base -> latentbench.runner: up" in v for v in found)
    assert any("reads the store only, not tasks" in v for v in found)
    assert any("data and metrics must stay apart" in v or "metrics and data must stay apart" in v for v in found)
    assert any("runner and report must stay apart" in v for v in found)


def test_every_module_is_in_a_layer():
    for module in import_graph():
        _layer(_unit(module))
