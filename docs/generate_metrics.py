"""Generate docs/metrics.md: every public metric function, with its signature, direction and peers.

    python docs/generate_metrics.py > docs/metrics.md

The page is read from the code: the functions are those in each ``latentbench.metrics`` module's
``__all__``; the summary is the docstring's first paragraph; the direction follows the naming
convention of :mod:`latentbench.metrics._convention` (``*_score`` higher is better, ``*_error`` and
``*_loss`` lower is better, a named quantity neither); the peers are the libraries that the tests
in ``tests/`` compare the function with, found by reading the tests (a test function that calls the
metric and a peer library), each named with its test. ``tests/test_docs_metrics.py`` fails when the
page is stale and imports every function from where the page says.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Libraries a metric is checked against (import name -> name shown).
PEERS = {
    "sklearn": "scikit-learn", "skdim": "scikit-dimension", "gudhi": "gudhi", "ripser": "ripser.py",
    "fairlearn": "fairlearn", "skimage": "scikit-image", "scipy": "SciPy", "pyod": "pyod", "gensim": "gensim",
    "skada": "skada", "statsmodels": "statsmodels", "persim": "persim",
}
#: Modules of a peer that make test data rather than compute a reference value.
NOT_A_CHECK = ("sklearn.datasets", "sklearn.decomposition", "sklearn.model_selection", "sklearn.preprocessing",
               "scipy.stats.ortho_group", "scipy.special", "scipy.linalg")


def metric_modules() -> list[str]:
    import latentbench.metrics as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def public_functions(module: str) -> list[tuple[str, object]]:
    mod = importlib.import_module(f"latentbench.metrics.{module}")
    return [(n, getattr(mod, n)) for n in mod.__all__ if inspect.isfunction(getattr(mod, n))]


def direction(name: str, fn: object) -> str:
    if name.endswith("_score") or hasattr(fn, "score_key"):
        return "higher is better"
    if name.endswith(("_error", "_loss")):
        return "lower is better"
    return "a quantity (see its docstring)"


def summary(fn: object) -> str:
    doc = inspect.getdoc(fn) or ""
    text = " ".join(doc.split("\n\n", 1)[0].split())
    text = re.sub(r":[a-z]+:`~?([^`]*)`", lambda m: m.group(1).rsplit(".", 1)[-1] if "~" in m.group(0) else m.group(1), text)
    return text.replace("|", "\\|")


def _peer_of(module: str) -> str | None:
    if any(module == p or module.startswith(p + ".") for p in NOT_A_CHECK):
        return None
    return PEERS.get(module.split(".", 1)[0])


def peer_tests(tests_dir: Path = ROOT / "tests") -> dict[str, dict[str, list[str]]]:
    """``{function name: {peer: [test names]}}`` from the tests that call both."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in sorted(tests_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        aliases: dict[str, str] = {}  # module-level names bound to a peer (imports, `x = pytest.importorskip("x")`)
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and node.value.args
                    and getattr(node.value.func, "attr", "") == "importorskip" and isinstance(node.value.args[0], ast.Constant)):
                peer = _peer_of(str(node.value.args[0].value))
                for t in node.targets:
                    if peer and isinstance(t, ast.Name):
                        aliases[t.id] = peer
            for imp in ([node] if isinstance(node, (ast.Import, ast.ImportFrom)) else []):
                for a in imp.names:
                    mod = imp.module if isinstance(imp, ast.ImportFrom) else a.name
                    full = f"{mod}.{a.name}" if isinstance(imp, ast.ImportFrom) else mod
                    peer = _peer_of(full or "")
                    if peer:
                        aliases[a.asname or a.name.split(".")[0]] = peer
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
                continue
            peers, names = set(), set()
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for a in node.names:
                        full = f"{node.module}.{a.name}" if isinstance(node, ast.ImportFrom) else a.name
                        peer = _peer_of(full or "")
                        if peer:
                            peers.add(peer)
                elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "importorskip"
                      and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    peer = _peer_of(node.args[0].value)
                    if peer:
                        peers.add(peer)
                elif isinstance(node, ast.Name):
                    names.add(node.id)
                    if node.id in aliases:
                        peers.add(aliases[node.id])
                elif isinstance(node, ast.Attribute):
                    names.add(node.attr)
            for name in names:
                for peer in peers:
                    out.setdefault(name, {}).setdefault(peer, []).append(f"{path.stem}::{fn.name}")
    return out


def render() -> str:
    peers = peer_tests()
    lines = ["# latentbench metric functions", "",
             "Generated by `python docs/generate_metrics.py > docs/metrics.md` from the docstrings and the tests "
             "(`tests/test_docs_metrics.py` checks it is current and that each function imports from where it says).", "",
             "The metric functions are pure functions of arrays, usable without the rest of the package "
             "(`from latentbench.metrics.neighborhood import trustworthiness`). They follow scikit-learn's "
             "conventions (`sklearn.metrics` is the model): `*_score` functions return a float, higher is better, "
             "and take `return_details=True` for every part behind the number; `*_error` and `*_loss` are lower-better; "
             "functions named for a quantity return it as their docstring states (an `Estimate` with an interval where "
             "they resample). Arguments are validated (errors name the argument) and `rng` is keyword-only and required "
             "where a result depends on random draws. `help(function)` gives the full docstring.", "",
             "*Checked against* names the libraries a test compares the function with (and the test); "
             "a function without one is checked on cases whose answer is known by construction "
             "(`tests/metric_cases.py` and the family's test file).", ""]
    for module in metric_modules():
        funcs = public_functions(module)
        if not funcs:
            continue
        mod = importlib.import_module(f"latentbench.metrics.{module}")
        head = " ".join((inspect.getdoc(mod) or "").split("\n\n", 1)[0].split())
        lines += [f"## latentbench.metrics.{module}", "", head, "",
                  "| function | direction | checked against | summary |", "|---|---|---|---|"]
        for name, fn in funcs:
            sig = str(inspect.signature(fn)).replace("|", "\\|")
            found = peers.get(name, {})
            checked = "; ".join(f"{p} (`{sorted(t)[0]}`{f' +{len(t) - 1}' if len(t) > 1 else ''})"
                                for p, t in sorted(found.items())) or "known cases"
            lines.append(f"| `{name}{sig}` | {direction(name, fn)} | {checked} | {summary(fn)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.stdout.write(render() + "\n")
