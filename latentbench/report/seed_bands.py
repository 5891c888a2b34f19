"""The reference bands in a report: each reference model's spread over its training seeds.

A reference model evaluated as ``ref:NAME@0``, ``ref:NAME@1``, ``ref:NAME@2`` has one value per
training seed for every score. The leaderboard's columns show one checkpoint each (by default the
lowest training seed, so ties are tested between single checkpoints on the same examples); this
module adds what one checkpoint cannot show: the band over training seeds (mean, min and max, from
:func:`latentbench.report.bands.reference_bands`), as a Markdown table, an HTML table, CSV rows and a
plot. Three seeds cannot carry a p-value, so none is printed: the band is shown as it is.
"""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InputValidationError
from ..stats import t_estimate
from .bands import parse_reference, reference_bands
from .leaderboard import ARROWS, fmt, row_params, row_variant

__all__ = ["SeedBandTable", "first_seed_columns", "seed_band_table"]


def first_seed_columns(models: Iterable[str]) -> list[str]:
    """The leaderboard columns: each reference model's lowest training seed, every other model as it is.

    Parameters
    ----------
    models : iterable of str
        Model names as stored (``ref:NAME@SEED``, ``ref:NAME``, ``null:...``, anything else).

    Returns
    -------
    list of str
        Sorted names; ``ref:vae@1`` and ``ref:vae@2`` are dropped when ``ref:vae@0`` is present.
    """
    first: dict[str, tuple[int, str]] = {}
    others: set[str] = set()
    for m in set(models):
        try:
            name, seed = parse_reference(m)
        except InputValidationError:
            others.add(m)
            continue
        s = -1 if seed is None else seed
        if name not in first or s < first[name][0]:
            first[name] = (s, m)
    return sorted(others | {m for _, m in first.values()})


@dataclass
class SeedBandTable:
    """Bands over training seeds: rows are (task, version, metric), columns reference models. Every
    score is kept (CSV, JSON); the Markdown, the HTML and the plot show the primary ones."""

    references: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    train_seeds: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def primary_rows(self) -> list[dict[str, Any]]:
        """The rows of primary scores (what the Markdown, the HTML and the plot show)."""
        return [r for r in self.rows if r.get("primary")]

    @staticmethod
    def _cell(band: Mapping[str, Any] | None) -> str:
        if band is None:
            return "–"
        return f"{fmt(band['mean'])} [{fmt(band['min'])}, {fmt(band['max'])}]"

    @staticmethod
    def _task(row: Mapping[str, Any]) -> str:
        return f"{row['task']} (v{row['task_version']})" + (f" [{row['variant']}]" if row.get("variant") else "")

    def explanation(self) -> str:
        seeds = ", ".join(map(str, self.train_seeds))
        return (f"Each cell is the mean over training seeds {seeds} of a reference model's primary score, with the lowest "
                "and highest seed's value in brackets (each seed's value is its mean over evaluation seeds). The columns of "
                "the leaderboard above show one checkpoint per reference; this is the spread of retraining it. Three seeds "
                "support no p-value, so none is given: a model outside a band differs from that reference's training runs, "
                "one inside it does not.")

    def to_markdown(self) -> str:
        """A Markdown section (``## reference bands over training seeds``)."""
        if not self.primary_rows:
            return ""
        out = ["## reference bands over training seeds", "", self.explanation(), "",
               "| task (version) | metric | " + " | ".join(self.references) + " |",
               "|---|---|" + "---|" * len(self.references)]
        for r in self.primary_rows:
            out.append(f"| {self._task(r)} | {(r['metric'] + ' ' + ARROWS.get(r['direction'], '')).strip()} | "
                       + " | ".join(self._cell(r["bands"].get(ref)) for ref in self.references) + " |")
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """An ``<h2>`` and a plain table (inline, no script needed)."""
        if not self.primary_rows:
            return ""
        e = html.escape
        out = ['<h2 id="bands">Reference bands over training seeds</h2>', f'<p class="header">{e(self.explanation())}</p>',
               '<div class="wrap"><table class="plain" id="bands"><tr><th>task</th><th>metric</th>'
               + "".join(f"<th>{e(ref)}</th>" for ref in self.references) + "</tr>"]
        for r in self.primary_rows:
            cells = []
            for ref in self.references:
                b = r["bands"].get(ref)
                tip = "" if b is None else " title=\"" + e(", ".join(f"seed {s}: {fmt(v)}" for s, v in zip(b["train_seeds"], b["values"]))) + "\""
                cells.append(f"<td{tip}>{e(self._cell(b))}</td>")
            out.append(f"<tr><td>{e(self._task(r))}</td><td>{e(r['metric'] + ' ' + ARROWS.get(r['direction'], ''))}</td>"
                       + "".join(cells) + "</tr>")
        out.append("</table></div>")
        return "\n".join(out)

    def to_csv(self) -> str:
        """One line per (reference, task, metric): the band, each seed's value and the 95% t interval of the
        mean over seeds (``t_ci_low``, ``t_ci_high``: wide with three seeds, by design)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["reference", "task", "task_version", "variant", "metric", "primary", "direction", "n_seeds", "train_seeds", "values",
                    "mean", "std", "min", "max", "t_ci_low", "t_ci_high"])
        for r in self.rows:
            for ref in self.references:
                b = r["bands"].get(ref)
                if b is not None:
                    w.writerow([ref, r["task"], r["task_version"], r.get("variant", ""), r["metric"], int(r["primary"]), r["direction"], b["n_seeds"],
                                " ".join(map(str, b["train_seeds"])), " ".join(repr(v) for v in b["values"]),
                                b["mean"], b["std"], b["min"], b["max"], b["ci_low"], b["ci_high"]])
        return buf.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {"references": self.references, "train_seeds": self.train_seeds, "rows": self.rows}


def seed_band_table(result_rows: Iterable[Mapping[str, Any]], *, min_seeds: int = 2,
                    tasks: Sequence[str] | None = None) -> SeedBandTable:
    """The bands over training seeds of every reference model's scores.

    Parameters
    ----------
    result_rows : iterable of mapping
        Store rows; only ``ok`` rows of models named ``ref:NAME@SEED`` count.
    min_seeds : int, default=2
        Bands over fewer training seeds are left out (one seed has no spread).
    tasks : sequence of str, optional
        Row order (a suite's task list); other tasks follow alphabetically.

    Returns
    -------
    SeedBandTable
    """
    rows = [r for r in result_rows if str(r.get("model", "")).startswith("ref:")]
    primary = {(r["task"], r.get("task_version"), r.get("params_hash"), r["metric"]) for r in rows if r.get("is_primary")}
    variants = {(r["task"], r.get("task_version"), r.get("params_hash")): row_variant(row_params(r)) for r in rows}
    bands = [b for b in reference_bands(rows) if b["n_seeds"] >= min_seeds and b["mean"] is not None
             and math.isfinite(b["mean"])]
    order = {t: i for i, t in enumerate(tasks or [])}
    by_row: dict[tuple[Any, ...], dict[str, Any]] = {}
    seeds: set[int] = set()
    for b in bands:
        key = (b["task"], b["task_version"], b["params_hash"], b["metric"])
        row = by_row.setdefault(key, {"task": b["task"], "task_version": b["task_version"], "params_hash": b["params_hash"],
                                      "variant": variants.get(key[:3], ""), "metric": b["metric"], "primary": key in primary,
                                      "direction": b["direction"], "bands": {}})
        band = {k: b[k] for k in ("n_seeds", "train_seeds", "values", "mean", "std", "min", "max")}
        band["ci_low"], band["ci_high"] = t_estimate(b["values"]).interval  # n_seeds >= 2 here
        row["bands"][b["reference"]] = band
        seeds.update(b["train_seeds"])
    ordered = sorted(by_row.values(), key=lambda r: (order.get(r["task"], len(order)), r["task"], r["task_version"],
                                                      r["params_hash"] or "", r["metric"]))
    references = sorted({ref for r in ordered for ref in r["bands"]})
    return SeedBandTable(references=references, rows=ordered, train_seeds=sorted(seeds))
