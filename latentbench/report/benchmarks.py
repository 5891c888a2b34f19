"""A leaderboard as a set of benchmarks: one per dataset, or per declared group of datasets.

Each benchmark has its own table holding only the models evaluated on it (a model whose every
cell there is "trained on another dataset" is left out), its own per-family mean ranks and its
own overall mean rank. Mean ranks are taken over the same tasks for every model: the ranked
primary rows of the benchmark (a row is ranked when at least two non-baseline models have a
value in it). A model without a value in one of those rows (it lacks a capability the task
needs, or it failed) gets no mean rank and shows ``n/N`` tasks instead, as the MTEB leaderboard
does: averaging ranks over different task sets would compare different things.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .leaderboard import Leaderboard, LeaderboardRow, is_baseline, trained_elsewhere

__all__ = ["Benchmark", "RankSummary", "model_metadata", "split_benchmarks"]


@dataclass(frozen=True)
class RankSummary:
    """A model's mean rank over ``total`` ranked rows; ``mean`` is None unless it has all of them."""

    mean: float | None
    n: int
    total: int

    def text(self) -> str:
        """``1.50`` or ``3/4 tasks`` (``–`` when there is nothing to rank)."""
        if self.total == 0:
            return "–"
        if self.mean is None:
            return f"{self.n}/{self.total} tasks"
        return f"{self.mean:.2f}"


@dataclass
class Benchmark:
    """The rows of one dataset (or group of datasets) and the models evaluated on them."""

    name: str
    datasets: tuple[str, ...]
    rows: list[LeaderboardRow]
    models: list[str] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """An identifier for HTML ids and file names."""
        return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.name).strip("-") or "benchmark"

    def families(self) -> list[str]:
        """The families with a row here, in report order."""
        return list(dict.fromkeys(r.family for r in self.rows))

    def ranked_rows(self, family: str | None = None) -> list[LeaderboardRow]:
        """Primary rows with a direction and at least two ranked models (of ``family`` when given)."""
        return [r for r in self.rows if r.is_primary and (family is None or r.family == family) and r.ranks()]

    def mean_ranks(self, family: str | None = None) -> dict[str, RankSummary]:
        """Every model's mean rank over the same ranked rows (``family``'s only when given)."""
        rows = self.ranked_rows(family)
        out = {}
        for m in self.models:
            ranks = [r.ranks()[m] for r in rows if m in r.ranks()]
            out[m] = RankSummary(sum(ranks) / len(ranks) if rows and len(ranks) == len(rows) else None, len(ranks), len(rows))
        return out

    def ordered_models(self) -> list[str]:
        """Models by mean rank (those without one after, by how many tasks they have, then by name)."""
        ranks = self.mean_ranks()
        return sorted(self.models, key=lambda m: (ranks[m].mean is None, ranks[m].mean if ranks[m].mean is not None else 0.0,
                                                  -ranks[m].n, m))


def _evaluated_on(rows: Sequence[LeaderboardRow], model: str) -> bool:
    return any(model in r.cells and not trained_elsewhere(r.cells[model]) for r in rows)


def split_benchmarks(board: Leaderboard, groups: Mapping[str, Iterable[str]] | None = None) -> list[Benchmark]:
    """Split the leaderboard's rows into benchmarks.

    Parameters
    ----------
    board : Leaderboard
    groups : mapping of str to iterable of str, optional
        Declared benchmarks: name -> dataset names. A dataset in no group is a benchmark of its own.

    Returns
    -------
    list of Benchmark
        In the order of the rows' datasets (declared groups where their first dataset appears).
    """
    of: dict[str, str] = {}
    for name, datasets in (groups or {}).items():
        for d in datasets:
            of[str(d)] = str(name)
    grouped: dict[str, list[LeaderboardRow]] = {}
    members: dict[str, list[str]] = {}
    for r in sorted(board.rows, key=lambda r: of.get(r.dataset or "?", r.dataset or "?")):
        ds = r.dataset or "?"
        name = of.get(ds, ds)
        grouped.setdefault(name, []).append(r)
        members.setdefault(name, [])
        if ds not in members[name]:
            members[name].append(ds)
    out = []
    for name, rows in grouped.items():
        rows = [r for r in board.rows if r in rows]  # the board's row order (families first)
        present = [m for m in board.models if _evaluated_on(rows, m)]
        out.append(Benchmark(name, tuple(members[name]), rows, [m for m in present if not is_baseline(m)],
                             [m for m in present if is_baseline(m)]))
    return out


def _job(board: Leaderboard, bench_rows: Sequence[LeaderboardRow], model: str) -> dict[str, Any]:
    """A job of ``model`` in these rows, preferring one whose model identity has a stored description
    (a job skipped on a dataset the model was not trained for has an identity with none)."""
    jobs = [j for r in bench_rows if (c := r.cells.get(model)) is not None for j in c.jobs]
    if board.data is not None:
        for j in jobs:
            if board.data.model_description(j.get("model_fp", "")):
                return j
    return jobs[0] if jobs else {}


def model_metadata(board: Leaderboard, bench: Benchmark, model: str) -> dict[str, str]:
    """The metadata columns of a model: kind, latent size, parameters, trained on, seeds, training time, device.

    Read from the stored model description (``–`` where the store has nothing); the training seeds
    are those of the stored reference checkpoints of the same name (``ref:NAME@seed``).
    """
    job = _job(board, bench.rows, model)
    desc = board.data.model_description(job.get("model_fp", "")) if board.data is not None and job else {}
    desc = desc if isinstance(desc, Mapping) else {}
    meta = desc.get("metadata", {}) or {}
    parts = [str(meta[k]) for k in ("architecture", "objective") if meta.get(k)]
    kind = " · ".join(dict.fromkeys(parts)) or str(desc.get("adapter") or ("baseline" if is_baseline(model) else "–"))
    n_params = meta.get("n_parameters", meta.get("parameters", desc.get("n_parameters")))
    seeds = "–"
    if model.startswith("ref:") and board.data is not None:
        base = model.rsplit("@", 1)[0]
        found = sorted({int(str(r["model"]).rsplit("@", 1)[1]) for r in board.data.rows
                        if str(r["model"]).rsplit("@", 1)[0] == base and "@" in str(r["model"]) and str(r["model"]).rsplit("@", 1)[1].isdigit()})
        seeds = ", ".join(map(str, found)) or "–"
    secs = meta.get("train_seconds")
    return {
        "kind": kind,
        "latent size": "–" if desc.get("latent_dim") is None else str(desc["latent_dim"]),
        "parameters": f"{int(n_params):,}" if isinstance(n_params, (int, float)) else "–",
        "trained on": str(meta.get("dataset", "–")),
        "seeds": seeds,
        "training time": f"{secs:.1f} s" if isinstance(secs, (int, float)) else "–",
        "device": str(meta.get("device", "–")),
    }


META_COLUMNS = ("kind", "latent size", "parameters", "trained on", "seeds", "training time", "device")


def column_label(row: LeaderboardRow) -> str:
    """A score's column heading: ``task (vN) [variant] · metric ↓ (primary)``."""
    return f"{row.label} · {row.metric_label}" + (" †" if row.tie_summary else "")


def _md(s: str) -> str:
    return str(s).replace("|", "/").replace("\n", " ")


class _Footnotes:
    """Skip and failure reasons as Markdown footnotes, one number per distinct reason."""

    def __init__(self) -> None:
        self.reasons: dict[str, int] = {}

    def ref(self, reason: str) -> str:
        n = self.reasons.setdefault(reason, len(self.reasons) + 1)
        return f"[^{n}]"

    def lines(self, start: int = 0) -> list[str]:
        return [f"[^{n}]: {_md(r)}" for r, n in self.reasons.items() if n > start]


def _cell_md(row: LeaderboardRow, model: str, notes: _Footnotes) -> str:
    c = row.cells.get(model)
    if c is None:
        return ""
    if trained_elsewhere(c):
        return "–"
    if c.status == "skipped":
        return "skipped" + notes.ref(c.message or "no reason stored")
    if c.status == "failed":
        return "**failed**" + notes.ref(c.message or "no reason stored")
    if c.value is None:
        return "undefined" + (notes.ref(c.message) if c.message else "")
    return _md(c.text())


def benchmark_markdown(board: Leaderboard, bench: Benchmark, notes: _Footnotes, *, heading_level: int = 2) -> list[str]:
    """One benchmark in Markdown: an overview (metadata, mean rank, per-family mean ranks), then a table per family.

    Models are rows, as in the HTML; reasons for skipped or failed cells are footnotes.
    """
    h = "#" * heading_level
    fams = bench.families()
    total = bench.mean_ranks()
    fam_ranks = {f: bench.mean_ranks(f) for f in fams}
    n_ranked = len(bench.ranked_rows())
    lines = [f"{h} benchmark: {bench.name}", "",
             f"Datasets: {', '.join(bench.datasets)}. {len(bench.models)} model(s)"
             + (f" and {len(bench.baselines)} null baseline(s) (never ranked)" if bench.baselines else "")
             + f"; mean rank (1 = best) over the same {n_ranked} ranked primary score(s) for every model; a model without a value "
             "in some of them shows n/N tasks instead. Family columns: the mean rank over that family's ranked primary scores.", ""]
    ordered = bench.ordered_models()
    head = ["model", *META_COLUMNS, "mean rank", *fams]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in ordered + bench.baselines:
        meta = model_metadata(board, bench, m)
        if is_baseline(m):
            ranks = ["never ranked"] + ["" for _ in fams]
        else:
            ranks = [total[m].text()] + [fam_ranks[f][m].text() for f in fams]
        lines.append("| " + " | ".join(_md(x) for x in [m, *(meta[k] for k in META_COLUMNS), *ranks]) + " |")
    lines.append("")
    for fam in fams:
        rows = [r for r in bench.rows if r.family == fam]
        lines += [f"{h}# {bench.name} · {fam}", "", "| model | " + " | ".join(_md(column_label(r)) for r in rows) + " |",
                  "|---|" + "---|" * len(rows)]
        for m in ordered + bench.baselines:
            lines.append(f"| {_md(m)} | " + " | ".join(_cell_md(r, m, notes) for r in rows) + " |")
        lines.append("")
    return lines


def leaderboard_markdown(board: Leaderboard, benches: Sequence[Benchmark], *, title: str | None = None,
                         header: str | None = None) -> str:
    """The whole leaderboard in Markdown: contents, one section per benchmark, notes, footnotes."""
    lines: list[str] = []
    if title:
        lines += [f"# {title}", ""]
    if header:
        lines += [header, ""]
    if len(benches) > 1:
        lines += ["Benchmarks: " + ", ".join(f"[{b.name}](#benchmark-{b.slug.lower()})" for b in benches) + ".", ""]
    notes = _Footnotes()
    for b in benches:
        lines += benchmark_markdown(board, b, notes)
    lines += ["## notes", ""] + [f"- {n}" for n in board.legend()]
    lines.append("- –: the model was trained on another dataset than the task's, or reads another kind of input (a text model on images, an image model on words); a benchmark's table leaves out models with no task there.")
    if board.kept_apart:
        lines.append("- Kept apart (never one row): " + "; ".join(board.kept_apart) + ".")
    lines += [f"- {n}" for n in board.notes]
    dagger = [r for r in board.rows if r.tie_summary]
    if dagger:
        lines += ["", "† Tie tests not made:", ""]
        lines += [f"- {r.label} {r.metric}: {r.tie_summary}" for r in dagger]
    if notes.reasons:
        lines += ["", "Reasons for skipped and failed cells:", ""] + notes.lines()
    lines.append("")
    return "\n".join(lines)


def benchmarks_dict(board: Leaderboard, benches: Sequence[Benchmark]) -> list[dict[str, Any]]:
    """The benchmarks as JSON-able dicts: datasets, models and mean ranks (overall and per family)."""
    out = []
    for b in benches:
        def ranks(family: str | None) -> dict[str, dict[str, Any]]:
            return {m: {"mean_rank": s.mean, "n": s.n, "of": s.total} for m, s in b.mean_ranks(family).items()}
        out.append({"name": b.name, "datasets": list(b.datasets), "models": b.ordered_models(), "baselines": b.baselines,
                    "ranked_rows": [r.key for r in b.ranked_rows()], "mean_ranks": ranks(None),
                    "family_mean_ranks": {f: ranks(f) for f in b.families()}})
    return out
