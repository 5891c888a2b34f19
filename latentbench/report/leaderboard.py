"""The leaderboard: tasks x models, read from result rows (never recomputed).

Each row of the table is one metric of one task version and estimator; each cell is
``value ± CI half-width``. Skipped and failed cells say why. Scores without a direction are
shown but never ranked; the best cell of a ranked row is bold. Results of different task
versions or estimator parameters get rows of their own (never one column).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..tasks.base import FAMILIES

__all__ = ["Cell", "Leaderboard", "LeaderboardRow", "fmt"]

ARROWS = {"higher": "↑", "lower": "↓", "none": ""}


def fmt(value: float | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (plain notation where it is readable)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 10 ** (digits + 1) or abs(value) < 1e-3:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))}f}"


@dataclass
class Cell:
    """One model's result for one row: aggregated over seeds."""

    status: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None
    n: int | None = None
    seeds: int = 0
    message: str | None = None
    seconds: float | None = None

    @property
    def half_width(self) -> float | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2.0

    def text(self, bold: bool = False) -> str:
        if self.status == "skipped":
            return f"skipped: {self.message}"
        if self.status == "failed":
            return f"**failed**: {self.message}"
        if self.value is None:
            return f"undefined ({self.message})" if self.message else "undefined"
        s = fmt(self.value)
        hw = self.half_width
        if hw is not None and math.isfinite(hw):
            s += f" ± {fmt(hw, 2)}"
        if self.seeds > 1:
            s += f" ({self.seeds} seeds)"
        return f"**{s}**" if bold else s


@dataclass
class LeaderboardRow:
    family: str
    task: str
    task_version: int
    metric: str
    direction: str
    is_primary: bool
    variant: str
    cells: dict[str, Cell] = field(default_factory=dict)

    def _ranked_values(self) -> dict[str, float]:
        # null baselines are shown for reading the numbers, never ranked against the models
        return {m: c.value for m, c in self.cells.items() if c.status == "ok" and c.value is not None and not m.startswith("null:")}

    def best(self) -> set[str]:
        """Models with the best value (ranked rows only; null baselines excluded)."""
        vals = self._ranked_values()
        if self.direction == "none" or not vals:
            return set()
        target = max(vals.values()) if self.direction == "higher" else min(vals.values())
        return {m for m, v in vals.items() if v == target}

    def ranks(self) -> dict[str, float]:
        """Average ranks (1 = best) of models with a value; empty for descriptive rows."""
        vals = self._ranked_values()
        if self.direction == "none" or len(vals) < 2:
            return {}
        sign = -1.0 if self.direction == "higher" else 1.0
        ordered = sorted(vals.values(), key=lambda v: sign * v)
        out = {}
        for m, v in vals.items():
            positions = [i + 1 for i, w in enumerate(ordered) if w == v]
            out[m] = sum(positions) / len(positions)
        return out


def _model_order(models: Iterable[str]) -> list[str]:
    return sorted(set(models), key=lambda m: (m.startswith("null:"), not m.startswith("ref:"), m))


def _variant(params: Any) -> str:
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError:
            return ""
    est = (params or {}).get("estimator", {})
    return ", ".join(f"{k}={v}" for k, v in sorted(est.items()) if k not in ("class", "class_version", "params", "standardization"))


class Leaderboard:
    """A tasks x models table built from result rows (store rows or :class:`~latentbench.Results` rows)."""

    def __init__(self, rows: list[LeaderboardRow], models: list[str], kept_apart: list[str] | None = None) -> None:
        self.rows, self.models = rows, models
        self.kept_apart = kept_apart or []

    @classmethod
    def from_rows(cls, result_rows: Iterable[Mapping[str, Any]], *, models: Iterable[str] | None = None) -> Leaderboard:
        groups: dict[tuple[Any, ...], dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        meta: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        all_models = []
        for r in result_rows:
            model = str(r["model"])
            if models is not None and model not in models:
                continue
            all_models.append(model)
            variant = _variant(r.get("params"))
            key = (r["task"], int(r["task_version"]), r["params_hash"], variant, r["split_fp"], r["metric"])
            groups[key][model].append(r)
            meta.setdefault(key, r)
        out_rows = []
        for key, per_model in groups.items():
            task, version, _params_hash, variant, _split_fp, metric = key
            m = meta[key]
            row = LeaderboardRow(m["family"], task, version, metric, m["direction"], bool(m["is_primary"]), variant)
            for model, rs in per_model.items():
                row.cells[model] = _aggregate(rs)
            out_rows.append(row)
        out_rows = _fold_status_only_rows(out_rows)
        shown: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
        for row in out_rows:
            shown[row.task].add((row.task_version, row.variant))
        kept_apart = [f"{t} has {len(v)} variants ({'; '.join(f'v{ver} {var}'.strip() for ver, var in sorted(v))})"
                      for t, v in sorted(shown.items()) if len(v) > 1]
        fam_index = {f: i for i, f in enumerate(FAMILIES)}
        out_rows.sort(key=lambda r: (fam_index.get(r.family, 99), r.task, r.task_version, r.variant, not r.is_primary))
        return cls(out_rows, _model_order(all_models), kept_apart)

    def mean_ranks(self) -> dict[str, float]:
        """Each model's mean rank over the ranked *primary* rows it has a value in."""
        acc: dict[str, list[float]] = defaultdict(list)
        for row in self.rows:
            if row.is_primary:
                for m, r in row.ranks().items():
                    acc[m].append(r)
        return {m: sum(v) / len(v) for m, v in acc.items()}

    # ------------------------------------------------------------------ renderers
    def to_markdown(self, *, title: str | None = None, header: str | None = None) -> str:
        lines = []
        if title:
            lines += [f"# {title}", ""]
        if header:
            lines += [header, ""]
        models = self.models
        for family in dict.fromkeys(r.family for r in self.rows):
            lines += [f"## {family}", "", "| task (version) | metric | " + " | ".join(models) + " |",
                      "|---|---|" + "---|" * len(models)]
            for row in (r for r in self.rows if r.family == family):
                if all(c.status == "ok" and c.value is None for c in row.cells.values()):
                    continue
                best = row.best()
                label = f"{row.task} (v{row.task_version})" + (f" [{row.variant}]" if row.variant else "")
                metric = f"{row.metric} {ARROWS[row.direction]}".strip() + (" (primary)" if row.is_primary else "")
                cells = [row.cells[m].text(m in best) if m in row.cells else "" for m in models]
                lines.append(f"| {label} | {metric} | " + " | ".join(c.replace("|", "/") for c in cells) + " |")
            lines.append("")
        ranks = self.mean_ranks()
        if ranks:
            lines += ["## mean rank over ranked primary scores (1 = best)", "", "| model | mean rank |", "|---|---|"]
            lines += [f"| {m} | {ranks[m]:.2f} |" for m in sorted(ranks, key=ranks.get)]
            lines.append("")
        notes = ["↑ higher is better, ↓ lower is better; rows without an arrow are descriptive and never ranked.",
                 "Cells show value ± half-width of the 95% interval (method in results.json); **bold** is the best value in a ranked row "
                 "(statistical ties are not marked in this table); null baselines are shown for reading the numbers and never ranked."]
        if self.kept_apart:
            notes.append("Kept apart: " + "; ".join(self.kept_apart) + ".")
        lines += ["Notes: " + " ".join(notes), ""]
        return "\n".join(lines)

    def to_records(self) -> list[dict[str, Any]]:
        recs = []
        for row in self.rows:
            for model, c in row.cells.items():
                recs.append({"family": row.family, "task": row.task, "task_version": row.task_version, "variant": row.variant,
                             "metric": row.metric, "direction": row.direction, "is_primary": row.is_primary, "model": model,
                             "status": c.status, "value": c.value, "ci_low": c.ci_low, "ci_high": c.ci_high,
                             "ci_method": c.ci_method, "n": c.n, "seeds": c.seeds, "seconds": c.seconds, "message": c.message})
        return recs

    def to_json(self) -> str:
        return json.dumps({"schema_version": 1, "models": self.models, "mean_ranks": self.mean_ranks(),
                           "kept_apart": self.kept_apart, "rows": self.to_records()}, indent=1, default=str)

    def to_csv(self) -> str:
        buf = io.StringIO()
        recs = self.to_records()
        if recs:
            w = csv.DictWriter(buf, fieldnames=list(recs[0]))
            w.writeheader()
            w.writerows(recs)
        return buf.getvalue()

    def write(self, out_dir: str | Path, *, title: str = "latentbench leaderboard", header: str | None = None) -> list[Path]:
        """Write ``leaderboard.md``, ``leaderboard.json`` and ``leaderboard.csv`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "leaderboard.md", out / "leaderboard.json", out / "leaderboard.csv"]
        paths[0].write_text(self.to_markdown(title=title, header=header))
        paths[1].write_text(self.to_json())
        paths[2].write_text(self.to_csv())
        return paths


def _fold_status_only_rows(rows: list[LeaderboardRow]) -> list[LeaderboardRow]:
    """Move skipped/failed cells of a variant row that has no values into the task's main row.

    A skipped job's estimator can differ from the others' (a model without a likelihood has no
    likelihood family), which would otherwise give it a row of its own.
    """
    by_metric: dict[tuple[str, int, str, str], list[LeaderboardRow]] = defaultdict(list)
    for r in rows:
        by_metric[(r.task, r.task_version, r.metric, r.family)].append(r)
    out = []
    for group in by_metric.values():
        with_values = [r for r in group if any(c.status == "ok" for c in r.cells.values())]
        target = max(with_values, key=lambda r: sum(c.status == "ok" for c in r.cells.values())) if with_values else group[0]
        for r in group:
            if r is target:
                continue
            if r in with_values:
                out.append(r)
                continue
            for m, c in r.cells.items():
                target.cells.setdefault(m, c)
        out.append(target)
    return out


def _aggregate(rows: list[Mapping[str, Any]]) -> Cell:
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        r = rows[0]
        return Cell(r["status"], message=r.get("message"), seeds=len(rows))
    vals = [r["value"] for r in ok if r["value"] is not None]
    if not vals:
        return Cell("ok", None, message=ok[0].get("message"), seeds=len(ok))
    mean = sum(vals) / len(vals)
    seconds = sum(r.get("seconds") or 0.0 for r in ok) / len(ok)
    if len(ok) == 1:
        r = ok[0]
        return Cell("ok", mean, r["ci_low"], r["ci_high"], r["ci_method"], r["n"], 1, r.get("message"), seconds)
    # several seeds: the interval of the mean over seeds is the spread of the seeds (t interval)
    from scipy import stats

    sd = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5
    hw = float(stats.t.ppf(0.975, len(vals) - 1)) * sd / len(vals) ** 0.5
    return Cell("ok", mean, mean - hw, mean + hw, "seeds-t", ok[0]["n"], len(ok), None, seconds)
