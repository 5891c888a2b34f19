"""The leaderboard: tasks x models, read from result rows (never recomputed).

Each row of the table is one metric of one task version, estimator and dataset split; each cell
is ``value ± CI half-width``, or ``value [low, high]`` when the interval is not symmetric about the
value (:func:`interval_text`). Skipped and failed cells say why. Scores without a direction are
shown but never ranked. In a ranked row the best cell is bold, and the models statistically tied
with it are marked: a paired bootstrap over the evaluation examples (the per-example values the
runner stores as artifacts ``per_example/<metric>``, on the same rows of the same split) with
Holm's correction across the comparisons in the row (:mod:`latentbench.report.significance`).
Where a model has no per-example values the table says the tie test is unavailable; it never
falls back to overlapping intervals.

Results of different task versions, dataset fingerprints or estimator parameters get rows of
their own, and the report says which rows it kept apart and why. Null baselines (``null:*``)
are shown for reading the numbers and never ranked.
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
from typing import TYPE_CHECKING, Any

import numpy as np

from ..types import FAMILIES
from .significance import PairedDifference, holm, paired_bootstrap, seeded_rng

if TYPE_CHECKING:
    from ..store import ResultStore
    from .data import ReportData

__all__ = ["ARROWS", "Cell", "Leaderboard", "LeaderboardRow", "display_names", "fmt", "interval_text", "is_baseline",
           "is_symmetric", "trained_elsewhere"]

ARROWS = {"higher": "↑", "lower": "↓", "none": ""}
LEADERBOARD_SCHEMA_VERSION = 2


#: Magnitudes below this print as 0: they are zeros that went through a floor such as
#: ``np.finfo(float).tiny`` or a subnormal underflow (``1.384e-308``), never a measured value.
ZERO_BELOW = 1e-300


def fmt(value: float | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (plain notation where it is readable; 0 for |value| < 1e-300)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if abs(value) < ZERO_BELOW:
        return "0"
    if abs(value) >= 10 ** (digits + 1) or abs(value) < 1e-3:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))}f}"


#: An interval counts as symmetric about its value when ``value ± half-width`` puts each end within
#: this fraction of the half-width of the true end. Ten percent is about three standard deviations
#: of the Monte-Carlo noise in the ends of a percentile bootstrap with 1,000 resamples (each end's
#: standard error is about 4 % of the half-width), so an interval whose sampling distribution is
#: symmetric keeps its ``±``, and a skewed or one-sided one (clipped at a bound, or leaving out its
#: value) prints its ends.
SYMMETRY_RTOL = 0.1


def is_symmetric(value: float, low: float, high: float, rtol: float = SYMMETRY_RTOL) -> bool:
    """Whether ``[low, high]`` is symmetric about ``value``: both arms ``value - low`` and ``high - value``
    are non-negative, and ``value ± half-width`` misplaces each end by at most ``rtol`` times the
    half-width (``|arm_low - arm_high| / 2 <= rtol * half-width``).

    >>> is_symmetric(1.0, 0.9, 1.1), is_symmetric(1.0, 0.9, 1.3), is_symmetric(2.586, 3.272, 3.386)
    (True, False, False)
    """
    below, above = value - low, high - value
    if below < 0 or above < 0:
        return False
    return abs(below - above) / 2.0 <= rtol * (below + above) / 2.0


def interval_text(value: float | None, low: float | None, high: float | None) -> str:
    """The interval as printed after its value: `` ± half-width`` when it is symmetric about the value
    (:func:`is_symmetric`), else `` [low, high]`` (skewed intervals, and intervals that leave out their
    value); empty without a finite value and interval.

    >>> interval_text(1.0, 0.9, 1.1), interval_text(2.586, 3.272, 3.386)
    (' ± 0.10', ' [3.272, 3.386]')
    """
    if value is None or low is None or high is None or not all(math.isfinite(v) for v in (value, low, high)):
        return ""
    if is_symmetric(value, low, high):
        return f" ± {fmt((high - low) / 2.0, 2)}"
    return f" [{fmt(low)}, {fmt(high)}]"


def is_baseline(model: str) -> bool:
    """Null baselines (``null:*``): shown for reading the numbers, never ranked."""
    return model.startswith("null:")


@dataclass
class Cell:
    """One model's result for one row, aggregated over evaluation seeds.

    ``tie`` is ``"best"``, ``"tied"`` (not distinguishable from the best by the paired test),
    ``"worse"``, ``"n/a"`` (the test could not be made; ``tie_note`` says why) or ``None``
    (unranked row, baseline, or no value).
    """

    status: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None
    n: int | None = None
    seeds: int = 0
    message: str | None = None
    seconds: float | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    tie: str | None = None
    tie_note: str | None = None
    vs_best: PairedDifference | None = None
    p_holm: float | None = None

    @property
    def half_width(self) -> float | None:
        """Half the width of the interval (``None`` without one)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2.0

    @property
    def seed_list(self) -> list[int]:
        """The evaluation seeds with a stored value."""
        return sorted({int(j["seed"]) for j in self.jobs if j.get("status") == "ok"})

    def number_text(self) -> str:
        """``value ± half-width``, or ``value [low, high]`` for an interval not symmetric about the value
        (:func:`interval_text`), and the number of seeds; without markup."""
        s = fmt(self.value) + interval_text(self.value, self.ci_low, self.ci_high)
        if self.seeds > 1:
            s += f" ({self.seeds} seeds)"
        return s

    def text(self, bold: bool = False) -> str:
        """The Markdown text of the cell: ``**best**``, ``tied ≈``, or the skip/failure reason."""
        if self.status == "skipped":
            return f"skipped: {self.message}"
        if self.status == "failed":
            return f"**failed**: {self.message}"
        if self.value is None:
            return f"undefined ({self.message})" if self.message else "undefined"
        s = self.number_text()
        if bold or self.tie == "best":
            return f"**{s}**"
        if self.tie == "tied":
            return f"{s} ≈"
        return s


def trained_elsewhere(cell: Cell) -> bool:
    """A cell skipped because the model was trained on another dataset (or another draw of it), or
    because it reads another kind of input than the dataset holds (a text model on images, an image
    model on words): not the model's task, so a text model and an image model never share a table."""
    message = cell.status == "skipped" and (cell.message or "")
    return bool(message) and ("was trained on" in message or "(another input kind)" in message)


@dataclass
class LeaderboardRow:
    """One metric of one task version, estimator and split, across models."""

    family: str
    task: str
    task_version: int
    metric: str
    direction: str
    is_primary: bool
    variant: str
    cells: dict[str, Cell] = field(default_factory=dict)
    dataset: str = ""
    dataset_fp: str = ""
    split_fp: str = ""
    params_hash: str = ""
    estimator: dict[str, Any] = field(default_factory=dict)
    extra_label: str = ""
    tie_summary: str = ""

    @property
    def label(self) -> str:
        """``task (vN) [variant] [what keeps it apart]``."""
        s = f"{self.task} (v{self.task_version})"
        if self.variant:
            s += f" [{self.variant}]"
        if self.extra_label:
            s += f" [{self.extra_label}]"
        return s

    @property
    def metric_label(self) -> str:
        """``metric ↑ (primary)``."""
        return f"{self.metric} {ARROWS[self.direction]}".strip() + (" (primary)" if self.is_primary else "")

    @property
    def ranked(self) -> bool:
        """Whether the score has a direction (descriptive scores are never ranked)."""
        return self.direction in ("higher", "lower")

    def _ranked_values(self) -> dict[str, float]:
        return {m: c.value for m, c in self.cells.items() if c.status == "ok" and c.value is not None and not is_baseline(m)}

    def best(self) -> set[str]:
        """Models with the best value (ranked rows with at least two ranked models; null baselines excluded)."""
        vals = self._ranked_values()
        if not self.ranked or len(vals) < 2:
            return set()
        target = max(vals.values()) if self.direction == "higher" else min(vals.values())
        return {m for m, v in vals.items() if v == target}

    def ranks(self) -> dict[str, float]:
        """Average ranks (1 = best) of models with a value; empty for descriptive rows."""
        vals = self._ranked_values()
        if not self.ranked or len(vals) < 2:
            return {}
        sign = -1.0 if self.direction == "higher" else 1.0
        ordered = sorted(vals.values(), key=lambda v: sign * v)
        out = {}
        for m, v in vals.items():
            positions = [i + 1 for i, w in enumerate(ordered) if w == v]
            out[m] = sum(positions) / len(positions)
        return out

    @property
    def key(self) -> str:
        """A stable identifier of the row (seeds the bootstrap, so a report is reproducible)."""
        return f"{self.task}|v{self.task_version}|{self.params_hash}|{self.split_fp}|{self.metric}"


def model_id(row: Mapping[str, Any]) -> Any:
    """The model a row belongs to, the same on every dataset: ``model_id`` (the model's own
    fingerprint), or ``model_fp`` for rows stored before identity scheme 2."""
    return row.get("model_id") or row.get("model_fp")


def display_names(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, Any], str]:
    """Column names by (model name, :func:`model_id`): the name, or ``name [id8]`` when one name has several models."""
    fps: dict[str, set[Any]] = defaultdict(set)
    for r in rows:
        fps[str(r["model"])].add(model_id(r))
    return {(n, fp): (n if len(f) == 1 else f"{n} [{str(fp)[:8]}]") for n, f in fps.items() for fp in f}


def _model_order(models: Iterable[str]) -> list[str]:
    return sorted(set(models), key=lambda m: (is_baseline(m), not m.startswith("ref:"), m))


def row_params(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row's ``params`` (estimator and dataset parameters) as a dict."""
    params = row.get("params")
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError:
            return {}
    return dict(params or {})


def row_variant(params: Any) -> str:
    """The estimator settings that keep rows of one task apart (a likelihood family...), as one label."""
    if not isinstance(params, Mapping):
        params = row_params({"params": params})
    est = (params or {}).get("estimator", {})
    return ", ".join(f"{k}={v}" for k, v in sorted(est.items()) if k not in ("class", "class_version", "params", "standardization"))


def _flat(d: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
    return out


class Leaderboard:
    """A tasks x models table built from result rows (store rows or :class:`~latentbench.Results` rows).

    Parameters
    ----------
    rows : list of LeaderboardRow
    models : list of str
        Column order: reference models, other models, then null baselines.
    kept_apart : list of str
        Why some tasks have several rows (different versions, data or estimators).
    data : ReportData, optional
        Where the rows came from (for provenance).
    notes : list of str
        Other things the reader must know (rows left out because every value is undefined).
    """

    def __init__(self, rows: list[LeaderboardRow], models: list[str], kept_apart: list[str] | None = None,
                 data: ReportData | None = None, notes: list[str] | None = None, alpha: float = 0.05,
                 n_resamples: int = 2000) -> None:
        self.rows, self.models = rows, models
        self.kept_apart = kept_apart or []
        self.data = data
        self.notes = notes or []
        self.alpha = alpha
        self.n_resamples = n_resamples
        #: declared benchmarks: name -> datasets (a dataset in no group is a benchmark of its own)
        self.benchmark_groups: dict[str, list[str]] = {}

    @classmethod
    def from_rows(cls, result_rows: Iterable[Mapping[str, Any]], *, models: Iterable[str] | None = None,
                  data: ReportData | ResultStore | None = None, alpha: float = 0.05, n_resamples: int = 2000) -> Leaderboard:
        """Build the table.

        Parameters
        ----------
        result_rows : iterable of mapping
            Store rows (see :data:`latentbench.store.RESULT_COLUMNS`).
        models : iterable of str, optional
            Keep only these models.
        data : ReportData or ResultStore, optional
            Where the per-example artifacts are; without it every tie test is reported unavailable.
        alpha : float, default=0.05
            Family-wise error rate of the tie tests in a row (Holm).
        n_resamples : int, default=2000
            Paired-bootstrap resamples.

        Returns
        -------
        Leaderboard
        """
        from ..store import ResultStore
        from .data import ReportData

        if isinstance(data, ResultStore):
            data = ReportData(data)
        keep = set(models) if models is not None else None
        result_rows = [r for r in result_rows if keep is None or str(r["model"]) in keep]
        names = display_names(result_rows)
        groups: dict[tuple[Any, ...], dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        meta: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        all_models = []
        for r in result_rows:
            model = names[(str(r["model"]), model_id(r))]
            all_models.append(model)
            params = row_params(r)
            key = (r["task"], int(r["task_version"]), r["params_hash"], row_variant(params), r["split_fp"], r["metric"])
            groups[key][model].append(r)
            meta.setdefault(key, r)
        out_rows = []
        for key, per_model in groups.items():
            task, version, params_hash, variant, split_fp, metric = key
            m = meta[key]
            row = LeaderboardRow(m["family"], task, version, metric, m["direction"], bool(m["is_primary"]), variant,
                                 dataset=m.get("dataset") or "", dataset_fp=m.get("dataset_fp") or "", split_fp=split_fp,
                                 params_hash=params_hash, estimator=row_params(m).get("estimator", {}))
            for model, rs in per_model.items():
                row.cells[model] = _aggregate(rs)
            out_rows.append(row)
        out_rows = _fold_status_only_rows(out_rows)
        notes = []
        undefined = [r for r in out_rows if r.cells and all(c.status == "ok" and c.value is None for c in r.cells.values())]
        if undefined:
            notes.append("Left out because no model has a value (undefined on this data): " +
                         "; ".join(sorted({f"{r.task} (v{r.task_version}) {r.metric}" for r in undefined})) + ".")
        out_rows = [r for r in out_rows if r not in undefined]
        kept_apart = _label_apart(out_rows)
        renamed = sorted({n for (n, _fp), shown in names.items() if shown != n})
        if renamed:
            kept_apart.append("models stored under one name from different checkpoints (fingerprints) are separate columns: "
                              + ", ".join(sorted({shown for (n, _fp), shown in names.items() if n in renamed})))
        fam_index = {f: i for i, f in enumerate(FAMILIES)}
        ranks = {(r["task"], r["metric"]): r.get("metric_rank") for r in result_rows if r.get("metric_rank") is not None}
        out_rows.sort(key=lambda r: (fam_index.get(r.family, 99), r.family, r.task, r.task_version, r.variant, r.extra_label,
                                     not r.is_primary, ranks.get((r.task, r.metric), 999), r.metric))
        board = cls(out_rows, _model_order(all_models), kept_apart, data, notes, alpha, n_resamples)
        for row in board.rows:
            board._tie_test(row)
        return board

    # ------------------------------------------------------------------ ties
    def _per_example(self, row: LeaderboardRow, model: str) -> tuple[dict[int, np.ndarray] | None, str | None]:
        cell = row.cells[model]
        if self.data is None:
            return None, "no store given (per-example values live in the store's artifacts)"
        ok = [j for j in cell.jobs if j.get("status") == "ok" and j.get("value") is not None]
        out: dict[int, np.ndarray] = {}
        for j in ok:
            arr = self.data.artifact(j, f"per_example/{row.metric}")
            if arr is None:
                return None, f"{model} has no per-example values for {row.metric} (interval method: {j.get('ci_method') or 'none'})"
            arr = np.asarray(arr, dtype=np.float64).ravel()
            if j.get("n") is not None and len(arr) != int(j["n"]):
                return None, f"{model}'s per-example values have {len(arr)} rows, the stored score n={j['n']}"
            if not np.isclose(arr.mean(), float(j["value"]), rtol=1e-4, atol=1e-9):
                return None, f"{model}'s per-example values do not average to its stored {row.metric} ({arr.mean():.6g} vs {j['value']:.6g})"
            if j.get("split_fp") != row.split_fp:
                return None, f"{model} was scored on split {j.get('split_fp')}, not {row.split_fp}"
            out[int(j["seed"])] = arr
        return out, None

    def _tie_test(self, row: LeaderboardRow) -> None:
        best = row.best()
        for m in best:
            row.cells[m].tie = "best"
        vals = row._ranked_values()
        if not best or len(vals) < 2:
            return
        ref = sorted(best, key=self.models.index)[0]
        ref_arrays, ref_reason = self._per_example(row, ref)
        others = [m for m in self.models if m in vals and m not in best]
        if ref_arrays is None:
            for m in others:
                row.cells[m].tie, row.cells[m].tie_note = "n/a", f"tie test unavailable: {ref_reason}"
            row.tie_summary = f"tie test unavailable: {ref_reason}"
            return
        tests: dict[str, PairedDifference] = {}
        for m in others:
            arrays, reason = self._per_example(row, m)
            if arrays is not None and sorted(arrays) != sorted(ref_arrays):
                reason = f"{m} was evaluated with seeds {sorted(arrays)}, the best ({ref}) with {sorted(ref_arrays)}"
            elif arrays is not None and any(len(arrays[s]) != len(ref_arrays[s]) for s in arrays):
                reason = f"{m} and {ref} were scored on different numbers of examples"
            if reason is not None or arrays is None:
                row.cells[m].tie, row.cells[m].tie_note = "n/a", f"tie test unavailable: {reason}"
                continue
            seeds = sorted(arrays)
            tests[m] = paired_bootstrap([arrays[s] for s in seeds], [ref_arrays[s] for s in seeds],
                                        rng=seeded_rng(row.key, m, ref), n_resamples=self.n_resamples)
        adjusted = holm({m: t.p_value for m, t in tests.items()}) if tests else {}
        for m, t in tests.items():
            c = row.cells[m]
            c.vs_best, c.p_holm = t, float(adjusted[m])  # type: ignore[index]
            c.tie = "tied" if c.p_holm > self.alpha else "worse"
            c.tie_note = (f"{m} − {ref} = {fmt(t.diff)} (95% paired-bootstrap CI {fmt(t.ci_low)} to {fmt(t.ci_high)}, "
                          f"n={t.n}); Holm-adjusted p = {_p_text(c.p_holm, t.n_resamples)} over {len(tests)} comparison(s): "
                          f"{'tied with' if c.tie == 'tied' else 'different from'} the best")
        unavailable = [m for m in others if row.cells[m].tie == "n/a"]
        if unavailable:
            row.tie_summary = "tie test unavailable for " + "; ".join(f"{m} ({row.cells[m].tie_note.removeprefix('tie test unavailable: ')})"  # type: ignore[union-attr]
                                                                    for m in unavailable)

    def mean_ranks(self) -> dict[str, float]:
        """Each model's mean rank over the ranked *primary* rows it has a value in."""
        acc: dict[str, list[float]] = defaultdict(list)
        for row in self.rows:
            if row.is_primary:
                for m, r in row.ranks().items():
                    acc[m].append(r)
        return {m: sum(v) / len(v) for m, v in acc.items()}

    def rank_counts(self) -> dict[str, dict[str, int]]:
        """Per model: ranked primary rows it has a value in (``rows``), is best in, and is tied with the best in."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: {"rows": 0, "best": 0, "tied": 0})
        for row in self.rows:
            if row.is_primary:
                ranks = row.ranks()
                for m in ranks:
                    out[m]["rows"] += 1
                    out[m]["best"] += row.cells[m].tie == "best"
                    out[m]["tied"] += row.cells[m].tie == "tied"
        return dict(out)

    def families(self) -> list[str]:
        """The families present, in report order."""
        return list(dict.fromkeys(r.family for r in self.rows))

    # ------------------------------------------------------------------ renderers
    def legend(self) -> list[str]:
        """The notes printed under every rendering of the table."""
        notes = ["↑ higher is better, ↓ lower is better; rows without an arrow are descriptive and never ranked.",
                 "Cells show value ± half-width of the 95% interval, or value [low, high] where the interval is not symmetric "
                 "about the value (its method is in results.json); several evaluation seeds are averaged and their interval is "
                 "a t interval over the seeds.",
                 f"**Bold**: the best value in a ranked row. ≈: statistically tied with the best: a paired bootstrap over the "
                 f"evaluation examples ({self.n_resamples} resamples of the stored per-example values on the same rows of the same "
                 f"split) with Holm's correction across the comparisons in the row finds no difference at α = {self.alpha}. "
                 "Overlapping intervals alone never make a tie; † marks rows where the test could not be made (reasons below).",
                 "Null baselines (null:*) are shown for reading the numbers and never ranked."]
        return notes

    def benchmarks(self) -> list[Any]:
        """The table split into benchmarks (one per dataset or declared group; see :mod:`latentbench.report.benchmarks`)."""
        from .benchmarks import split_benchmarks

        return split_benchmarks(self, self.benchmark_groups)

    def to_markdown(self, *, title: str | None = None, header: str | None = None) -> str:
        """The leaderboard in Markdown: one section per benchmark (models as rows, a table per family), then notes
        and the reasons for skipped or failed cells as footnotes."""
        from .benchmarks import leaderboard_markdown

        return leaderboard_markdown(self, self.benchmarks(), title=title, header=header)

    def provenance(self, row: LeaderboardRow, model: str) -> dict[str, Any]:
        """Where a cell's number comes from: estimator, parameters, n, seeds, seconds, device, versions, runs."""
        c = row.cells[model]
        est = dict(row.estimator)
        job = c.jobs[0] if c.jobs else {}
        jp = row_params(job)
        est = jp.get("estimator", est)
        runs = [self.data.run(j.get("run_id")) for j in c.jobs] if self.data is not None else []
        runs = [r for r in runs if r]
        desc = self.data.model_description(job.get("model_fp", "")) if self.data is not None and job else {}
        meta = desc.get("metadata", {}) if isinstance(desc, Mapping) else {}
        return {
            "estimator": est.get("class"), "estimator_version": est.get("class_version"),
            "parameters": est.get("params", {}), "standardization": est.get("standardization"),
            "estimator_extra": {k: v for k, v in est.items() if k not in ("class", "class_version", "params", "standardization")},
            "dataset": row.dataset, "dataset_fp": row.dataset_fp, "split_fp": row.split_fp,
            "dataset_params": jp.get("dataset_params", {}), "info": jp.get("info", {}),
            "n": c.n, "seeds": c.seed_list, "seconds": c.seconds, "ci_method": c.ci_method,
            "ci_low": c.ci_low, "ci_high": c.ci_high, "model_fp": job.get("model_fp"),
            "run_ids": sorted({j.get("run_id") for j in c.jobs if j.get("run_id")}),
            "device": sorted({r.get("device") for r in runs if r.get("device")}),
            "git_commit": sorted({r.get("git_commit") for r in runs if r.get("git_commit")}),
            "versions": runs[0].get("versions", {}) if runs else {},
            "training": {k: meta.get(k) for k in ("tier", "seed", "device", "device_name", "train_seconds", "fingerprint") if k in meta},
        }

    def to_records(self) -> list[dict[str, Any]]:
        """One record per cell (JSON/CSV)."""
        recs = []
        for row in self.rows:
            for model in [m for m in self.models if m in row.cells]:
                c = row.cells[model]
                t = c.vs_best
                recs.append({"family": row.family, "task": row.task, "task_version": row.task_version, "variant": row.variant,
                             "kept_apart_by": row.extra_label, "metric": row.metric, "direction": row.direction,
                             "is_primary": row.is_primary, "model": model, "baseline": is_baseline(model),
                             "status": c.status, "value": c.value, "ci_low": c.ci_low, "ci_high": c.ci_high,
                             "ci_method": c.ci_method, "n": c.n, "seeds": c.seeds, "seconds": c.seconds, "message": c.message,
                             "tie": c.tie, "diff_to_best": t.diff if t else None, "diff_ci_low": t.ci_low if t else None,
                             "diff_ci_high": t.ci_high if t else None, "p_holm": c.p_holm, "tie_note": c.tie_note,
                             "dataset": row.dataset, "dataset_fp": row.dataset_fp, "split_fp": row.split_fp,
                             "params_hash": row.params_hash})
        return recs

    def to_dict(self) -> dict[str, Any]:
        """The table as a JSON-able dict (``schema_version`` 2: cells with their tie test; ``mean_ranks`` over
        the rows each model has, ``benchmarks`` with mean ranks over the same rows for every model)."""
        from .benchmarks import benchmarks_dict

        return {"schema_version": LEADERBOARD_SCHEMA_VERSION, "models": self.models, "mean_ranks": self.mean_ranks(),
                "rank_counts": self.rank_counts(), "benchmarks": benchmarks_dict(self, self.benchmarks()), "kept_apart": self.kept_apart, "notes": self.notes,
                "tie_test": {"method": "paired bootstrap over evaluation examples, Holm across the comparisons in a row",
                             "alpha": self.alpha, "n_resamples": self.n_resamples},
                "rows": self.to_records()}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=1, default=str)

    def to_csv(self) -> str:
        """One CSV line per cell (the columns of :meth:`to_records`)."""
        buf = io.StringIO()
        recs = self.to_records()
        if recs:
            w = csv.DictWriter(buf, fieldnames=list(recs[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(recs)
        return buf.getvalue()

    def to_latex(self, *, primary_only: bool = True) -> str:
        """Booktabs tables (one per benchmark and family, with that benchmark's models only) for papers: best in bold, ties marked with ``$\\approx$``."""
        out = ["% Generated by latentbench; needs \\usepackage{booktabs}.",
               "% Bold: best in a ranked row; $\\approx$: tied with the best (paired bootstrap, Holm); baselines never ranked.", ""]
        for bench in self.benchmarks():
            models = bench.ordered_models() + bench.baselines
            out += self._latex_tables(bench.name, bench.rows, models, primary_only)
        return "\n".join(out)

    def _latex_tables(self, bench: str, bench_rows: list[LeaderboardRow], models: list[str], primary_only: bool) -> list[str]:
        out: list[str] = []
        for family in dict.fromkeys(r.family for r in bench_rows):
            rows = [r for r in bench_rows if r.family == family and (r.is_primary or not primary_only)]
            if not rows:
                continue
            out += ["\\begin{table}[t]", "\\centering", f"\\caption{{{_tex(bench)}: {_tex(family)}}}", "\\small",
                    "\\begin{tabular}{ll" + "r" * len(models) + "}", "\\toprule",
                    "task & metric & " + " & ".join(_tex(m) for m in models) + " \\\\", "\\midrule"]
            for r in rows:
                cells = []
                for m in models:
                    c = r.cells.get(m)
                    if c is None:
                        cells.append("")
                    elif c.status != "ok":
                        cells.append(f"\\textit{{{c.status}}}")
                    elif c.value is None:
                        cells.append("--")
                    else:
                        s = _tex(fmt(c.value) + interval_text(c.value, c.ci_low, c.ci_high))
                        s = f"\\textbf{{{s}}}" if c.tie == "best" else (s + " $\\approx$" if c.tie == "tied" else s)
                        cells.append(s)
                label = f"{r.task} (v{r.task_version})" + (f" [{r.variant}]" if r.variant else "") + (f" [{r.extra_label}]" if r.extra_label else "")
                arrow = {"higher": " $\\uparrow$", "lower": " $\\downarrow$"}.get(r.direction, "")
                out.append(f"{_tex(label)} & {_tex(r.metric)}{arrow} & " + " & ".join(cells) + " \\\\")
            out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
        return out

    def write(self, out_dir: str | Path, *, title: str = "latentbench leaderboard", header: str | None = None) -> list[Path]:
        """Write ``leaderboard.md``, ``leaderboard.json`` and ``leaderboard.csv`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "leaderboard.md", out / "leaderboard.json", out / "leaderboard.csv"]
        paths[0].write_text(self.to_markdown(title=title, header=header))
        paths[1].write_text(self.to_json())
        paths[2].write_text(self.to_csv())
        return paths


def _p_text(p: float, n_resamples: int) -> str:
    floor = 1.0 / (n_resamples + 1)
    return f"≤ {floor * 3:.1g}" if p <= 3 * floor else f"{p:.2g}"


_TEX = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_", "{": "\\{", "}": "\\}",
        "~": "\\textasciitilde{}", "^": "\\textasciicircum{}", "±": "$\\pm$", "–": "--", "≈": "$\\approx$"}


def _tex(s: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(s))


def _label_apart(rows: list[LeaderboardRow]) -> list[str]:
    """Label the rows of a task that must stay apart and say why (version, data, estimator)."""
    by_metric: dict[tuple[str, str], list[LeaderboardRow]] = defaultdict(list)
    for r in rows:
        by_metric[(r.task, r.metric)].append(r)
    reasons: dict[str, set[str]] = defaultdict(set)
    for (task, _metric), group in by_metric.items():
        if len(group) < 2:
            continue
        versions = {r.task_version for r in group}
        data_fps = {r.dataset_fp for r in group}
        split_fps = {r.split_fp for r in group}
        flat = [_flat({"estimator": r.estimator}) for r in group]
        keys = sorted({k for f in flat for k in f})
        differing = [k for k in keys if len({f.get(k) for f in flat}) > 1]
        for r, f in zip(group, flat):
            extra = []
            if len(data_fps) > 1:
                extra.append(f"data {r.dataset_fp[:8]}")
            elif len(split_fps) > 1:
                extra.append(f"split {r.split_fp[:8]}")
            shown_in_variant = {f"estimator.{kv.split('=')[0]}" for kv in r.variant.split(", ") if kv}
            extra += [f"{k.removeprefix('estimator.').removeprefix('params.')}={f.get(k, '–')}" for k in differing
                      if k not in shown_in_variant]
            r.extra_label = ", ".join(extra)
        why = []
        if len(versions) > 1:
            why.append("task versions " + ", ".join(f"v{v}" for v in sorted(versions)))
        if len(data_fps) > 1:
            why.append("dataset fingerprints " + ", ".join(sorted(fp[:8] for fp in data_fps)))
        elif len(split_fps) > 1:
            why.append("split fingerprints " + ", ".join(sorted(fp[:8] for fp in split_fps)))
        if differing:
            why.append("estimator parameters (" + "; ".join(
                f"{k.removeprefix('estimator.')}: {' vs '.join(sorted({f.get(k, '–') for f in flat}))}" for k in differing) + ")")
        reasons[task].add(", ".join(why) or "different parameter hashes")
    return [f"{task} has {len({(r.task_version, r.params_hash, r.split_fp) for r in rows if r.task == task})} rows per metric: "
            f"different {'; '.join(sorted(why))}" for task, why in sorted(reasons.items())]


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
        targets = with_values or [min(group, key=lambda r: (r.params_hash, r.split_fp))]
        # a skipped or failed job has no value to compare: its reason is shown in every row of its task and metric
        for r in group:
            for m, c in r.cells.items():
                if c.status != "ok":
                    for t in targets:
                        t.cells.setdefault(m, c)
        out += targets
    return out


def _aggregate(rows: list[Mapping[str, Any]]) -> Cell:
    rows = sorted(rows, key=lambda r: int(r["seed"]))
    jobs = [dict(r) for r in rows]
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        r = rows[0]
        return Cell(r["status"], message=r.get("message"), seeds=len(rows), jobs=jobs)
    vals = [r["value"] for r in ok if r["value"] is not None]
    if not vals:
        return Cell("ok", None, message=ok[0].get("message"), seeds=len(ok), jobs=jobs)
    mean = sum(vals) / len(vals)
    seconds = sum(r.get("seconds") or 0.0 for r in ok) / len(ok)
    if len(ok) == 1:
        r = ok[0]
        return Cell("ok", mean, r["ci_low"], r["ci_high"], r["ci_method"], r["n"], 1, r.get("message"), seconds, jobs)
    # several seeds: the interval of the mean over seeds is the spread of the seeds (t interval)
    from ..stats import t_estimate

    low, high = t_estimate(vals).interval if len(vals) > 1 else (None, None)
    return Cell("ok", mean, low, high, "seeds-t", ok[0]["n"], len(ok), None, seconds, jobs)
