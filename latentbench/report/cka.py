"""CKA between models in the report: a model x model matrix per benchmark (dataset) and kernel, and
"closest reference by CKA" for ``latentbench compare``.

Reads the store's pair rows only (``pair_results``, written by ``latentbench cka``): nothing is
recomputed. A pair's stored row holds both models in fingerprint order; the matrix is symmetric and
its diagonal is 1 by definition (CKA of a representation with itself). When a pair was stored
more than once (several evaluation seeds, or other parameters), the matrix shows the row of the
lowest seed, most recent first among equals, and says so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .data import ReportData

__all__ = ["CKAMatrix", "cka_matrices", "cka_section", "closest_by_cka", "write_cka"]

#: The kernel shown first (and used for "closest reference").
PRIMARY_KERNEL = "linear"
_ORDER = ("linear", "linear-debiased", "rbf", "rbf-debiased")


@dataclass
class CKAMatrix:
    """CKA of every stored pair of models on one dataset with one kernel."""

    dataset: str
    kernel: str
    models: list[str]
    cells: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    repeated: int = 0

    def cell(self, a: str, b: str) -> dict[str, Any] | None:
        if a == b:
            return {"value": 1.0, "ci_low": None, "ci_high": None, "n": None}
        return self.cells.get((a, b)) or self.cells.get((b, a))

    def to_markdown(self) -> str:
        head = "| | " + " | ".join(self.models) + " |"
        out = [head, "|---" * (len(self.models) + 1) + "|"]
        for a in self.models:
            cells = []
            for b in self.models:
                c = self.cell(a, b)
                if c is None or c.get("value") is None:
                    cells.append("–")
                elif a == b:
                    cells.append("1")
                else:
                    ci = (f" [{c['ci_low']:.2f}, {c['ci_high']:.2f}]" if c.get("ci_low") is not None and c.get("ci_high") is not None
                          else "")
                    cells.append(f"{c['value']:.3f}{ci}")
            out.append(f"| **{a}** | " + " | ".join(cells) + " |")
        return "\n".join(out)

    def rows_used(self) -> str:
        ns = sorted({int(c["n"]) for c in self.cells.values() if c.get("n")})
        return "-".join(str(x) for x in (ns[:1] + ns[-1:] if len(ns) > 1 else ns)) or "?"


def _pair_rows(data: ReportData | Any) -> list[dict[str, Any]]:
    store = getattr(data, "store", data)
    reader = getattr(store, "pair_rows", None)
    if reader is None:
        return []
    try:
        return [r for r in reader(task="cka") if r.get("status") == "ok" and r.get("value") is not None]
    except Exception:  # a store written before pair rows existed has no such table (opened read-only)
        return []


def cka_matrices(data: ReportData | Any, *, models: Iterable[str] | None = None) -> list[CKAMatrix]:
    """Every (dataset, kernel) matrix the store holds, datasets in name order, kernels in a fixed order."""
    wanted = set(models) if models is not None else None
    chosen: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    repeats: dict[tuple[str, str], int] = defaultdict(int)
    for r in sorted(_pair_rows(data), key=lambda r: (r["seed"], -(r.get("created") or 0.0))):
        if wanted is not None and not (r["model_a"] in wanted and r["model_b"] in wanted):
            continue
        key = (r["dataset"], r["metric"], *sorted((r["model_a"], r["model_b"])))
        if key in chosen:
            repeats[(r["dataset"], r["metric"])] += 1
            continue
        chosen[key] = r
    grouped: dict[tuple[str, str], CKAMatrix] = {}
    for (dataset, kernel, a, b), r in chosen.items():
        m = grouped.setdefault((dataset, kernel), CKAMatrix(dataset, kernel, []))
        m.cells[(a, b)] = {k: r.get(k) for k in ("value", "ci_low", "ci_high", "ci_method", "n", "seed")}
        for name in (a, b):
            if name not in m.models:
                m.models.append(name)
    out = []
    for (dataset, kernel), m in grouped.items():
        m.models.sort()
        m.repeated = repeats[(dataset, kernel)]
        out.append(m)
    rank = {k: i for i, k in enumerate(_ORDER)}
    return sorted(out, key=lambda m: (m.dataset, rank.get(m.kernel, 99), m.kernel))


def cka_section(matrices: Sequence[CKAMatrix]) -> str:
    """The report's Markdown section (empty when the store holds no CKA rows)."""
    if not matrices:
        return ""
    out = ["## representation similarity (CKA)", "",
           "Centered kernel alignment between the codes two models give the same rows (Kornblith et al. 2019): 1 for codes "
           "that are a rotation and isotropic rescaling of each other; linear, debiased linear (unbiased HSIC, Nguyen et al. "
           "2021: about 0 for unrelated codes, where biased CKA is not) and RBF (median-heuristic bandwidth). 95% intervals over "
           "rows: half-size subsamples without replacement (a bootstrap's repeated rows inflate CKA). Stored by `latentbench cka`; "
           "the rows both models encode.", ""]
    for m in matrices:
        out += [f"### {m.dataset}: {m.kernel} CKA ({m.rows_used()} rows)", "", m.to_markdown(), ""]
        if m.repeated:
            out += [f"{m.repeated} further stored pair row(s) (other seeds or parameters) not shown: the lowest seed is.", ""]
    return "\n".join(out)


def heatmap_figure(m: CKAMatrix) -> Any:
    """A model x model heatmap of one matrix (matplotlib figure)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import numpy as np

    k = len(m.models)
    grid = np.full((k, k), np.nan)
    for i, a in enumerate(m.models):
        for j, b in enumerate(m.models):
            c = m.cell(a, b)
            if c is not None and c.get("value") is not None:
                grid[i, j] = c["value"]
    size = 1.2 + 0.55 * k
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    im = ax.imshow(grid, vmin=0.0, vmax=1.0, cmap="viridis")
    ax.set_xticks(range(k), m.models, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), m.models, fontsize=8)
    for i in range(k):
        for j in range(k):
            if math.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] < 0.6 else "black")
    ax.set_title(f"{m.kernel} CKA on {m.dataset}", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def write_cka(data: ReportData | Any, out_dir: str | Path, *, models: Iterable[str] | None = None,
              plots: bool = True) -> tuple[str, list[Path]]:
    """Write ``cka.md``, ``cka.csv`` and (with ``plots``) one heatmap per benchmark and kernel into
    ``out_dir``; returns the Markdown section and the paths written (nothing without CKA rows)."""
    matrices = cka_matrices(data, models=models)
    if not matrices:
        return "", []
    out = Path(out_dir)
    section = cka_section(matrices)
    paths = [out / "cka.md", out / "cka.csv"]
    paths[0].write_text(section + "\n")
    lines = ["dataset,kernel,model_a,model_b,value,ci_low,ci_high,ci_method,n,seed"]
    for m in matrices:
        for (a, b), c in sorted(m.cells.items()):
            lines.append(",".join(str(x) if x is not None else "" for x in
                                  (m.dataset, m.kernel, a, b, c["value"], c["ci_low"], c["ci_high"], c["ci_method"], c["n"], c["seed"])))
    paths[1].write_text("\n".join(lines) + "\n")
    if plots:
        import matplotlib.pyplot as plt

        (out / "plots").mkdir(parents=True, exist_ok=True)
        links = []
        for m in matrices:
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"cka-{m.dataset}-{m.kernel}")
            fig = heatmap_figure(m)
            p = out / "plots" / f"{safe}.png"
            fig.savefig(p, dpi=110)
            plt.close(fig)
            paths.append(p)
            links.append(f"- [{m.kernel} CKA on {m.dataset}](plots/{p.name})")
        section += "\nHeatmaps:\n\n" + "\n".join(links) + "\n"
    return section, paths


def closest_by_cka(data: ReportData | Any, model: str, references: Iterable[str] | None = None,
                   kernel: str = PRIMARY_KERNEL) -> list[dict[str, Any]]:
    """For each dataset where ``model`` was compared with references, the references by CKA, closest first.

    Parameters
    ----------
    model : str
        The model's stored name.
    references : iterable of str, optional
        Names to rank (default: every ``ref:`` model paired with ``model``).
    kernel : str, default="linear"

    Returns
    -------
    list of dict
        ``dataset``, ``ranking`` (``[(reference, value, ci_low, ci_high)]``, highest CKA first),
        ``closest`` (the first reference) and ``tied`` (references whose interval overlaps the closest
        one's: said as such, never read as a tie test).
    """
    allowed = set(references) if references is not None else None
    out = []
    for m in cka_matrices(data):
        if m.kernel != kernel or model not in m.models:
            continue
        ranking = []
        for other in m.models:
            if other == model or not (other.startswith("ref:") if allowed is None else other in allowed):
                continue
            c = m.cell(model, other)
            if c is not None and c.get("value") is not None:
                ranking.append((other, float(c["value"]), c.get("ci_low"), c.get("ci_high")))
        if not ranking:
            continue
        ranking.sort(key=lambda t: -t[1])
        best = ranking[0]
        tied = [r[0] for r in ranking[1:] if best[2] is not None and r[3] is not None and r[3] >= best[2]]
        out.append({"dataset": m.dataset, "kernel": kernel, "ranking": ranking, "closest": best[0], "tied": tied})
    return out


def closest_markdown(entries: Sequence[dict[str, Any]], model: str) -> str:
    """The compare report's "closest reference by CKA" section."""
    if not entries:
        return ""
    out = ["## closest reference by CKA", "",
           f"Linear CKA between {model}'s codes and each reference's on the same rows (stored by `latentbench cka`), highest first.", ""]
    for e in entries:
        ranks = ", ".join(f"{r} {v:.3f}" + (f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else "")
                          for r, v, lo, hi in e["ranking"])
        note = f" (its interval overlaps that of {', '.join(e['tied'])}; no test is made)" if e["tied"] else ""
        out.append(f"- {e['dataset']}: closest **{e['closest']}**{note}; {ranks}")
    return "\n".join(out) + "\n"
