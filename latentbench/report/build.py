"""``write_report``: every output of ``latentbench report`` from one read of the store.

Writes into the output folder::

    leaderboard.md      one section per family, ties marked, notes
    leaderboard.html    one self-contained page (sortable, family filter, provenance on hover, plots inlined)
    leaderboard.tex     booktabs tables of the primary scores
    leaderboard.json    the table's cells (as ``latentbench run --out`` writes it)
    leaderboard.csv
    bands.csv           the reference bands over training seeds (when a reference has several)
    results.json        versioned: run provenance (commit, library versions, device), models, the table, the raw rows
    results.csv         the raw rows, one per model, task, seed and metric, with their run's device and commit
    plots/*.png, *.svg  per-family bars, radar, latent projections (when latent samples are stored)
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import InputValidationError
from ..progress import log
from ..provenance import git_commit, library_versions
from ..validation import check_param
from .bands import parse_reference
from .data import ReportData, export_store
from .html import render_html
from .leaderboard import Leaderboard
from .seed_bands import first_seed_columns, seed_band_table

__all__ = ["REPORT_SCHEMA_VERSION", "ReportOutput", "describe_provenance", "write_report"]

REPORT_SCHEMA_VERSION = 1

RAW_CSV_COLUMNS = ("model", "task", "task_version", "family", "metric", "direction", "is_primary", "status", "value", "ci_low",
                   "ci_high", "ci_method", "stderr", "n", "seed", "seconds", "message", "dataset", "dataset_fp", "split",
                   "split_fp", "params_hash", "model_fp", "run_id", "device", "git_commit")


@dataclass
class ReportOutput:
    """What :func:`write_report` wrote."""

    board: Leaderboard
    paths: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    markdown: str = ""
    plot_notes: list[str] = field(default_factory=list)


def describe_provenance(data: ReportData, board: Leaderboard) -> list[str]:
    """Plain sentences on where the numbers were computed and how the reference models were trained."""
    run_ids = sorted({j.get("run_id") for r in board.rows for c in r.cells.values() for j in c.jobs if j.get("run_id")})
    runs = [data.run(r) for r in run_ids if data.run(r)]
    devices = sorted({r.get("device") for r in runs if r.get("device")})
    commits = sorted({r.get("git_commit") for r in runs if r.get("git_commit")})
    out = [f"Scores computed on {', '.join(devices) or 'an unrecorded device'} in {len(run_ids)} run(s)"
           + (f" at commit {', '.join(commits)}" if commits else "") + "."]
    refs = []
    tiers, train_devices = set(), set()
    fps: dict[str, list[str]] = {}  # every identity of the model: a job skipped on another dataset has one with no record
    for r in board.rows:
        for m, c in r.cells.items():
            for j in c.jobs:
                if m.startswith("ref:") and j.get("model_fp") not in fps.setdefault(m, []):
                    fps[m].append(j.get("model_fp"))
    for m, fp_list in sorted(fps.items()):
        metas = ((data.model_description(fp or "") or {}).get("metadata", {}) or {} for fp in fp_list)
        meta = next((x for x in metas if x), {})
        if not meta:
            refs.append(f"{m} (no training record)")
            continue
        tiers.add(meta.get("tier"))
        train_devices.add(str(meta.get("device")))
        secs = meta.get("train_seconds")
        where = meta.get("device", "?") + (f" ({meta['device_name']})" if meta.get("device_name") and meta.get("device") != "cpu" else "")
        try:
            seed = parse_reference(m)[1]
        except InputValidationError:
            seed = None
        seed = meta.get("seed", "?") if seed is None else seed  # one checkpoint may serve several seeds (PCA)
        refs.append(f"{m}: {meta.get('tier', '?')} spec, seed {seed}, trained on {where}"
                    + (f" in {secs:.1f} s" if isinstance(secs, (int, float)) else ""))
    if refs:
        out.append("Reference models: " + "; ".join(refs) + ".")
    if tiers == {"quick"} and train_devices == {"cpu"}:
        out.append("**These references are the CPU quick specs (small data subsets and short training), not the GPU-trained "
                   "full specs: read them as a smoke-level band, not as published-quality baselines.**")
    return out


def _raw_csv(data: ReportData, rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(RAW_CSV_COLUMNS), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        run = data.run(r.get("run_id"))
        w.writerow({**{k: r.get(k) for k in RAW_CSV_COLUMNS}, "device": run.get("device"), "git_commit": run.get("git_commit")})
    return buf.getvalue()


def write_report(data: ReportData, out_dir: str | Path, *, title: str = "latentbench leaderboard", header: Sequence[str] = (),
                 models: Iterable[str] | None = None, alpha: float = 0.05, n_resamples: int = 2000, plots: bool = True,
                 export: str | Path | None = None, suite_tasks: Sequence[str] | None = None,
                 training_seeds: str = "first", benchmarks: Mapping[str, Sequence[str]] | None = None) -> ReportOutput:
    """Write the Markdown, HTML, LaTeX, CSV and JSON reports and the plots (nothing is recomputed).

    Parameters
    ----------
    data : ReportData
        Rows, provenance and artifacts (see :func:`latentbench.report.load_report_data`).
    out_dir : str or Path
    title : str
    header : sequence of str
        Lines under the title (the command that made the report goes first).
    models : iterable of str, optional
        Column subset.
    alpha : float, default=0.05
        Family-wise error rate of the tie tests in a row.
    n_resamples : int, default=2000
        Paired-bootstrap resamples.
    plots : bool, default=True
        Draw the plots (matplotlib).
    export : str or Path, optional
        Also write the rows, runs, models and artifacts used as a JSON export (readable with ``--store FILE.json``).
    suite_tasks : sequence of str, optional
        The tasks the report should cover (a suite's); those without any stored result are listed.
    training_seeds : {"first", "all"}, default="first"
        With several training seeds of a reference model (``ref:NAME@0``, ``@1``, ...), ``"first"``
        gives it one column (its lowest seed) and shows the spread over seeds in a section of its
        own; ``"all"`` gives every seed a column. The bands section is written either way.
    benchmarks : mapping of str to sequence of str, optional
        Declared benchmarks (name -> datasets); a dataset in none is a benchmark of its own.

    Returns
    -------
    ReportOutput
    """
    t0 = time.perf_counter()
    check_param(training_seeds, "training_seeds", options=("first", "all"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stored_models = {str(r["model"]) for r in data.rows}
    cka_models = None if models is None else list(models)  # the CKA matrices keep every training seed
    if models is None and training_seeds == "first":
        models = first_seed_columns(stored_models)
    models = None if models is None else list(models)
    log(f"report: {len(data.rows)} stored rows; building the table and its tie tests ({n_resamples} paired-bootstrap resamples)")
    board = Leaderboard.from_rows(data.rows, models=models, data=data, alpha=alpha, n_resamples=n_resamples)
    if benchmarks:
        board.benchmark_groups = {str(k): [str(d) for d in v] for k, v in benchmarks.items()}
    log(f"report: {len(board.rows)} rows x {len(board.models)} models in {time.perf_counter() - t0:.1f} s; "
        f"benchmarks: {', '.join(b.name for b in board.benchmarks())}")
    bands = seed_band_table(data.rows, tasks=suite_tasks)
    hidden = sorted(stored_models - set(models)) if models is not None else []
    if getattr(data, "stale_note", None):
        board.notes.append(data.stale_note)
    for name, others in sorted(getattr(data, "aliases", {}).items()):
        if name in board.models:
            board.notes.append(f"{name} is also stored as {', '.join(sorted(others))}: one checkpoint (the same model "
                               "fingerprint), shown once; a deterministic model gives the same checkpoint for every training seed.")
    if hidden and training_seeds == "first":
        board.notes.append(f"Columns show each reference model's lowest training seed; the other training seeds ({', '.join(hidden)}) "
                           "enter the reference bands section only (`--all-training-seeds` gives each its own column).")
    head = list(header) + describe_provenance(data, board)
    if suite_tasks is not None:
        missing = [t for t in suite_tasks if t not in {r["task"] for r in data.rows}]
        if missing:
            board.notes.append(f"Tasks of the suite with no stored result for these models (not run yet, nothing to show): "
                               f"{', '.join(missing)}.")
    paths: list[Path] = []

    def write(name: str, text: str) -> None:
        p = out / name
        p.write_text(text)
        paths.append(p)

    plot_files, plot_notes = [], []
    if plots:
        from .plots import make_plots

        plot_files, plot_notes = make_plots(board, data, out / "plots", bands=bands)
        for p in plot_files:
            paths += [p.png, p.svg]
    else:
        plot_notes = ["Plots not drawn (--no-plots)."]
    log("report: writing Markdown, JSON, CSV, LaTeX")
    markdown = board.to_markdown(title=title, header="\n\n".join(head))
    if bands:
        markdown += "\n" + bands.to_markdown()
        write("bands.csv", bands.to_csv())
    from .cka import write_cka  # the model x model CKA matrices of the pair rows (latentbench cka), when there are any

    cka_markdown, cka_paths = write_cka(data, out, models=cka_models, plots=plots)
    paths += cka_paths
    if cka_markdown:
        markdown += "\n" + cka_markdown
    markdown += "\n## plots\n\n" + "".join(f"- {n}\n" for n in plot_notes)
    markdown += "".join(f"- [{p.name}](plots/{p.png.name}) ([svg](plots/{p.svg.name})): {p.caption}\n" for p in plot_files)
    write("leaderboard.md", markdown)
    write("leaderboard.json", board.to_json())
    write("leaderboard.csv", board.to_csv())
    write("leaderboard.tex", board.to_latex())
    kept = {m for m in board.models}
    rows = list(data.rows)  # the bands use the hidden training seeds' rows too
    run_ids = sorted({r.get("run_id") for r in rows if r.get("run_id")})
    doc = {
        "schema": "latentbench-report", "schema_version": REPORT_SCHEMA_VERSION,
        "title": title, "header": head, "source": str(data.source),
        "generated_by": {"latentbench": library_versions().get("latentbench"), "git_commit": git_commit(),
                         "library_versions": library_versions()},
        "runs": [data.run(r) for r in run_ids],
        "models": [{"model_fp": fp, **{k: v for k, v in m.items() if k != "model_fp"}} for fp, m in sorted(data.models.items())
                   if fp in {r["model_fp"] for r in rows}],
        "leaderboard": board.to_dict(),
        "reference_bands": bands.to_dict(),
        "results": rows,
    }
    write("results.json", json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n")
    write("results.csv", _raw_csv(data, rows))
    log("report: writing the HTML page")
    write("leaderboard.html", render_html(board, title=title, header=head, plots=plot_files, plot_notes=plot_notes,
                                          sections=[bands.to_html()] if bands else []))
    if export is not None:
        export_store(data, export, artifacts_for=kept)
        paths.append(Path(export))
    return ReportOutput(board, paths, time.perf_counter() - t0, markdown, plot_notes)
