"""``latentbench compare MODEL --against ref:all``: one model inside the band of reference models.

For every ranked score the model has, the comparison says where it falls among the references,
and gives the difference to each reference with a paired-bootstrap interval over the evaluation
examples (the per-example values stored with each score, on the same rows of the same split),
judged with Holm's correction across the references compared in that row. Those tests are
conditional on the trained checkpoints: they say whether *these* two models differ on this
data. The spread across training seeds is a different question and is shown separately, as a
range and a standard deviation only: a handful of seeds cannot support a p-value, so none is
printed for it.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from .data import ReportData
from .leaderboard import Cell, Leaderboard, LeaderboardRow, display_names, fmt, is_baseline
from .significance import PairedDifference, holm, paired_bootstrap, seeded_rng

__all__ = ["Comparison", "CompareRow", "RefResult", "SeedBand", "compare", "base_name"]

_SEED = re.compile(r"^(?P<base>.+?)@(?P<seed>\d+)$")


def base_name(model: str) -> str:
    """``ref:vae@2`` -> ``ref:vae`` (a model name without its training seed)."""
    m = _SEED.match(model)
    return m.group("base") if m else model


@dataclass
class SeedBand:
    """A reference's values on one score across its training seeds (no p-value: a few seeds cannot support one)."""

    reference: str
    members: list[str]
    values: list[float]

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def sd(self) -> float | None:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else None

    def where(self, value: float, direction: str) -> str:
        """``"better than every seed"``, ``"within the seed range"`` or ``"worse than every seed"``."""
        if self.low <= value <= self.high:
            return "within the seed range"
        above = value > self.high
        better = above if direction == "higher" else not above
        return "better than every seed" if better else "worse than every seed"

    def text(self) -> str:
        sd = f", sd {fmt(self.sd, 2)}" if self.sd is not None else ""
        return f"{self.reference} over {len(self.values)} training seeds: {fmt(self.low)} to {fmt(self.high)} (mean {fmt(self.mean)}{sd})"


@dataclass
class RefResult:
    """The model against one reference on one score."""

    reference: str
    verdict: str  # "better", "worse", "tied", "n/a"
    value: float | None = None
    difference: PairedDifference | None = None
    p_holm: float | None = None
    note: str | None = None

    def text(self) -> str:
        if self.verdict == "n/a":
            return f"{self.reference}: no paired test ({self.note})"
        d = self.difference
        assert d is not None
        phrase = "tied with" if self.verdict == "tied" else f"{self.verdict} than"
        return (f"{phrase} {self.reference}: {fmt(d.diff)} [{fmt(d.ci_low)}, {fmt(d.ci_high)}], "
                f"Holm p {_p(self.p_holm, d.n_resamples)}")


@dataclass
class CompareRow:
    """One score: the model's value, its place among the references, the paired tests and the seed bands."""

    row: LeaderboardRow
    cell: Cell
    position: str
    refs: list[RefResult] = field(default_factory=list)
    bands: list[SeedBand] = field(default_factory=list)


def _p(p: float | None, n_resamples: int) -> str:
    if p is None:
        return "–"
    floor = 1.0 / (n_resamples + 1)
    return f"≤ {3 * floor:.1g}" if p <= 3 * floor else f"= {p:.2g}"


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


class Comparison:
    """The result of :func:`compare`: rows, a plain-words summary, Markdown and JSON."""

    def __init__(self, model: str, references: list[str], rows: list[CompareRow], skipped: list[str], alpha: float,
                 n_resamples: int, source: str) -> None:
        self.model, self.references, self.rows, self.skipped = model, references, rows, skipped
        self.alpha, self.n_resamples, self.source = alpha, n_resamples, source
        self.cka: list[dict[str, Any]] = []  # closest reference by CKA per dataset (report/cka.py)

    def summary(self, *, primary_only: bool = True) -> str:
        """Plain words: "better than ref:vae on reconstruction/digits mse; tied with ref:pca on ..."."""
        phrases: dict[tuple[str, str], list[str]] = defaultdict(list)
        for cr in self.rows:
            if primary_only and not cr.row.is_primary:
                continue
            for rr in cr.refs:
                if rr.verdict != "n/a":
                    phrases[(rr.verdict, rr.reference)].append(f"{cr.row.task} {cr.row.metric}")
        order = {"better": 0, "tied": 1, "worse": 2}
        parts = [f"{verdict if verdict != 'tied' else 'tied with'}{' than' if verdict != 'tied' else ''} {ref} on {', '.join(what)}"
                 for (verdict, ref), what in sorted(phrases.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]
        untested = sorted({rr.reference for cr in self.rows for rr in cr.refs if rr.verdict == "n/a"})
        text = f"{self.model}: " + ("; ".join(parts) if parts else "no paired comparison with a reference was possible")
        if untested:
            text += f" (no paired test with {', '.join(untested)} on some scores: see the table)"
        return text + "."

    def to_markdown(self) -> str:
        out = [f"# {self.model} against the reference models", "",
               f"References: {', '.join(self.references) or 'none'} (from `{self.source}`).", "",
               "**Summary (primary scores):** " + self.summary(), ""]
        fams = list(dict.fromkeys(cr.row.family for cr in self.rows))
        for fam in fams:
            out += [f"## {fam}", "", "| task (version) | metric | " + f"{self.model} | position | vs reference (difference "
                    f"{self.model} − reference, 95% paired-bootstrap CI, Holm-adjusted p) | training-seed spread |",
                    "|---|---|---|---|---|---|"]
            for cr in (c for c in self.rows if c.row.family == fam):
                refs = "<br>".join(rr.text() for rr in cr.refs) or "–"
                bands = "<br>".join(f"{b.text()}; {self.model} is {b.where(cr.cell.value, cr.row.direction)}"
                                    for b in cr.bands if cr.cell.value is not None) or "–"
                out.append(f"| {cr.row.label} | {cr.row.metric_label} | {cr.cell.number_text()} | {cr.position} | {refs} | {bands} |")
            out.append("")
        if self.cka:
            from .cka import closest_markdown

            out.append(closest_markdown(self.cka, self.model))
        if self.skipped:
            out += ["## not compared", ""] + [f"- {s}" for s in self.skipped] + [""]
        out += ["## how to read this", "",
                f"- better / worse: the paired difference over the evaluation examples is non-zero after Holm's correction across "
                f"the references compared on that score (α = {self.alpha}, {self.n_resamples} bootstrap resamples; the p-value's "
                f"resolution is 1/{self.n_resamples + 1}). tied: no difference found. n/a: the test could not be made (reason given); "
                "overlapping intervals are never used instead.",
                "- These tests compare the stored checkpoints on these examples. How much a reference moves between training seeds "
                "is shown separately as a range and standard deviation, without a p-value: a few seeds cannot support one.",
                "- Only ranked scores (with ↑ or ↓) are compared; descriptive scores are in the leaderboard.", ""]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for cr in self.rows:
            rows.append({
                "family": cr.row.family, "task": cr.row.task, "task_version": cr.row.task_version, "metric": cr.row.metric,
                "direction": cr.row.direction, "is_primary": cr.row.is_primary, "value": cr.cell.value, "status": cr.cell.status,
                "message": cr.cell.message, "position": cr.position,
                "references": [{"reference": rr.reference, "verdict": rr.verdict, "value": rr.value, "note": rr.note,
                                "diff": rr.difference.diff if rr.difference else None,
                                "ci_low": rr.difference.ci_low if rr.difference else None,
                                "ci_high": rr.difference.ci_high if rr.difference else None,
                                "p_holm": rr.p_holm, "n": rr.difference.n if rr.difference else None} for rr in cr.refs],
                "seed_bands": [{"reference": b.reference, "members": b.members, "values": b.values, "low": b.low, "high": b.high,
                                "mean": b.mean, "sd": b.sd} for b in cr.bands],
            })
        return {"schema_version": 1, "model": self.model, "references": self.references, "alpha": self.alpha,
                "n_resamples": self.n_resamples, "summary": self.summary(), "rows": rows, "not_compared": self.skipped,
                "closest_by_cka": self.cka}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, default=str)


def _expand_against(against: Sequence[str], names: Iterable[str], model: str) -> list[str]:
    names = sorted(set(names))
    out: list[str] = []
    for a in against:
        if a in ("ref:all", "ref:all-quick", "ref:all-full"):
            out += [n for n in names if n.startswith("ref:") and n != model]
        elif a in names:
            out.append(a)
        else:
            seeds = [n for n in names if base_name(n) == a]
            if not seeds:
                raise InputValidationError(f"compare: reference {a!r} has no results in the store; it has "
                                           f"{', '.join(n for n in names if not is_baseline(n)) or 'nothing'}")
            out += seeds
    return sorted(dict.fromkeys(n for n in out if n != model))


def compare(data: ReportData, model: str, *, against: Sequence[str] = ("ref:all",), alpha: float = 0.05,
            n_resamples: int = 2000) -> Comparison:
    """Place ``model`` among reference models, score by score.

    Parameters
    ----------
    data : ReportData
        The store (or export) holding the model's and the references' results.
    model : str
        The model name as stored.
    against : sequence of str, default=("ref:all",)
        ``ref:all`` (every reference model in the store) or names; a name without ``@SEED`` also
        brings its other training seeds (``ref:vae`` -> ``ref:vae``, ``ref:vae@1``, ...).
    alpha : float, default=0.05
    n_resamples : int, default=2000

    Returns
    -------
    Comparison
    """
    from .cka import closest_by_cka

    names = {r["model"] for r in data.rows}
    cka = closest_by_cka(data, model, None if list(against) in (["ref:all"], ["ref:all-quick"], ["ref:all-full"]) else
                         [n for a in against for n in _cka_names(data, a)])
    if model not in names and cka:  # compared by CKA only: that section alone
        result = Comparison(model, sorted({r for e in cka for r, *_ in e["ranking"]}), [], [], alpha, n_resamples, str(data.source))
        result.cka = cka
        return result
    if model not in names:
        raise InputValidationError(f"compare: model {model!r} has no results in the store {data.source}; it has "
                                   f"{', '.join(sorted(n for n in names if not is_baseline(n))) or 'nothing'}. "
                                   "Run `latentbench run MODEL --suite ...` first")
    shown = display_names(data.rows)
    several = sorted({n for (n, _fp), s in shown.items() if s != n})
    refs_all = _expand_against(against, names, model)
    clash = [n for n in [model, *refs_all] if n in several]
    if clash:
        raise InputValidationError(f"compare: {', '.join(clash)} has results from several checkpoints (fingerprints) in "
                                   f"{data.source}; keep one (a store per checkpoint) so the comparison is about one model")
    if not refs_all:
        raise InputValidationError(f"compare: no reference results in the store {data.source}; run `latentbench run ref:all` first")
    groups: dict[str, list[str]] = defaultdict(list)
    for r in refs_all:
        groups[base_name(r)].append(r)
    # the representative of a reference is its plain name (default seed) or its lowest seed
    reps = {b: (b if b in members else sorted(members, key=lambda n: int(_SEED.match(n).group("seed")))[0])  # type: ignore[union-attr]
            for b, members in groups.items()}
    board = Leaderboard.from_rows(data.rows, models=[model, *refs_all], data=data, alpha=alpha, n_resamples=n_resamples)
    rows: list[CompareRow] = []
    skipped: list[str] = []
    for row in board.rows:
        if not row.ranked:
            continue
        cell = row.cells.get(model)
        if cell is None:
            continue
        rep_cells = {reps[b]: row.cells[reps[b]] for b in sorted(reps) if reps[b] in row.cells}
        with_values = {m: c.value for m, c in rep_cells.items() if c.status == "ok" and c.value is not None}
        if cell.status != "ok" or cell.value is None:
            if row.is_primary:
                skipped.append(f"{row.label} {row.metric}: {model} {cell.status}" + (f" ({cell.message})" if cell.message else ""))
            continue
        if not with_values:
            if row.is_primary:
                why = "; ".join(f"{m}: {c.status}" + (f" ({c.message})" if c.message else "") for m, c in rep_cells.items())
                skipped.append(f"{row.label} {row.metric}: no reference has a value" + (f" ({why})" if why else
                               " (no reference was run on this task, dataset and estimator)"))
            continue
        sign = 1.0 if row.direction == "higher" else -1.0
        better_refs = [m for m, v in with_values.items() if sign * (v - cell.value) > 0]
        k = len(better_refs) + 1
        total = len(with_values) + 1
        if k == 1:
            position = f"best of {total}" + (f" (ahead of {', '.join(sorted(with_values))})" if with_values else "")
        elif k == total:
            position = f"last of {total}"
        else:
            position = f"{_ordinal(k)} of {total} (behind {', '.join(sorted(better_refs))})"
        arrays, reason = board._per_example(row, model)
        results: dict[str, RefResult] = {}
        tests: dict[str, PairedDifference] = {}
        for ref, v in with_values.items():
            rr = RefResult(ref, "n/a", value=v)
            ref_arrays, ref_reason = board._per_example(row, ref)
            if arrays is None or ref_arrays is None:
                rr.note = reason or ref_reason
            elif sorted(arrays) != sorted(ref_arrays):
                rr.note = f"evaluated with different seeds ({sorted(arrays)} vs {sorted(ref_arrays)})"
            elif any(len(arrays[s]) != len(ref_arrays[s]) for s in arrays):
                rr.note = "different numbers of evaluation examples"
            else:
                seeds = sorted(arrays)
                tests[ref] = paired_bootstrap([arrays[s] for s in seeds], [ref_arrays[s] for s in seeds],
                                              rng=seeded_rng(row.key, model, ref), n_resamples=n_resamples)
                rr.difference = tests[ref]
            results[ref] = rr
        adjusted = holm({m: t.p_value for m, t in tests.items()}) if tests else {}
        for ref, t in tests.items():
            rr = results[ref]
            rr.p_holm = float(adjusted[ref])  # type: ignore[index]
            if rr.p_holm > alpha:
                rr.verdict = "tied"
            else:
                rr.verdict = "better" if sign * t.diff > 0 else "worse"
        bands = []
        for b, members in sorted(groups.items()):
            vals = [(m, row.cells[m].value) for m in members
                    if m in row.cells and row.cells[m].status == "ok" and row.cells[m].value is not None]
            if len(vals) >= 2:
                bands.append(SeedBand(b, [m for m, _ in vals], [float(v) for _, v in vals if v is not None and math.isfinite(v)]))
        rows.append(CompareRow(row, cell, position, [results[m] for m in sorted(results)], bands))
    rows.sort(key=lambda cr: board.rows.index(cr.row))
    result = Comparison(model, sorted(reps.values()), rows, skipped, alpha, n_resamples, str(data.source))
    result.cka = cka
    return result


def _cka_names(data: ReportData, against: str) -> list[str]:
    """``against`` and, for a name without ``@SEED``, its training seeds among the models compared by CKA."""
    from .cka import cka_matrices

    names = {n for m in cka_matrices(data) for n in m.models}
    return [n for n in names if n == against or base_name(n) == against]


