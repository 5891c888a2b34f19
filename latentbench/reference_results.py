"""Export (and import) the reference results: the store rows of the reference models, their
checkpoints' fingerprints and training logs, and the reference bands.

Checkpoints are not committed (size); these two small files are, so the reference leaderboard can
be regenerated without retraining and anyone who retrains can compare:

* ``reference_results.json`` -- every stored result row of a cached reference checkpoint (model
  ``ref:NAME@SEED``, training seed, evaluation seed, task, metric, value, interval, n, status, the
  checkpoint's fingerprint as ``model_fp``, the run id whose library versions and device are in
  ``runs``, the parameters' hash whose parameters are in ``params``), plus the reference bands (:func:`latentbench.report.bands.reference_bands`).
* ``checkpoints.json`` -- one entry per cached checkpoint: spec hash, seed, device, threads,
  training time, epochs, final loss terms, fingerprint and the training log lines.

Usage::

    latentbench train vae-conv-shapes --seeds 0 1 2
    latentbench run ref:vae-conv-shapes@0 ref:vae-conv-shapes@1 ref:vae-conv-shapes@2 --suite quick
    python -m latentbench.reference_results export --out reports/reference
    python -m latentbench.reference_results import reports/reference/reference_results.json --store r.db
    latentbench report --store r.db --out reports/reference-board
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .exceptions import InputValidationError
from .models.zoo import cached_metadata, history_lines, list_reference_models
from .report.bands import parse_reference, reference_bands
from .store import JOB_KEY, RESULT_COLUMNS, ResultStore

__all__ = ["collect_reference_rows", "export_reference_results", "import_reference_results", "load_reference_results"]

FORMAT_VERSION = 1

#: Columns of an exported row: the store's result columns (without ``params``) and the reference's name, training seed and tier.
ROW_COLUMNS: tuple[str, ...] = (*(c for c in RESULT_COLUMNS if c != "params"), "reference", "train_seed", "tier")

#: Checkpoint metadata kept in ``checkpoints.json``.
CHECKPOINT_FIELDS = (
    "name", "seed", "spec_hash", "tier", "architecture", "objective", "dataset", "dataset_params", "dataset_fingerprint",
    "model", "training", "device", "device_name", "threads", "torch", "n_train", "epochs", "steps", "batch_size", "precision",
    "solver", "train_seconds", "train_cpu_seconds", "samples_per_second", "final", "fingerprint", "identity_scheme", "trained_at",
)


def _checkpoints(references: Iterable[str] | None, tier: str | None) -> list[dict[str, Any]]:
    wanted = set(references) if references is not None else None
    out = []
    for spec in list_reference_models():
        if (wanted is not None and spec.name not in wanted) or (tier is not None and spec.tier != tier):
            continue
        out += sorted(cached_metadata(spec), key=lambda m: int(m["seed"]))
    return out


def collect_reference_rows(store: ResultStore, checkpoints: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The store's rows for the given checkpoints, one copy per (reference, training seed).

    Rows are found by the checkpoint's fingerprint (``model_fp``), not by the display name they were
    stored under, so ``ref:NAME`` and ``ref:NAME@0`` (one checkpoint) are not counted twice, and two
    seeds that give identical weights (closed-form PCA) each get their rows. Each row gains
    ``reference``, ``train_seed`` and ``tier``, and its ``model`` becomes ``ref:NAME@SEED``. Rows of
    tasks on another dataset than the checkpoint was trained on (skipped by construction) are left out.
    """
    by_fp: dict[str, list[Mapping[str, Any]]] = {}
    for meta in checkpoints:
        by_fp.setdefault(str(meta["fingerprint"]), []).append(meta)
    out = []
    for row in store.rows():
        for meta in by_fp.get(row.get("model_id") or row["model_fp"], []):  # model_fp: rows of identity scheme 1
            if row["dataset"] != meta.get("dataset", row["dataset"]):
                continue  # skipped by construction: a task on another dataset than the model was trained on
            r = {k: row.get(k) for k in RESULT_COLUMNS}
            r.update(model=f"ref:{meta['name']}@{meta['seed']}", reference=meta["name"], train_seed=int(meta["seed"]), tier=meta.get("tier"))
            out.append(r)
    out.sort(key=lambda r: (r["reference"], r["train_seed"], r["task"], r["seed"], r["metric"]))
    return out


def _checkpoint_entry(meta: Mapping[str, Any], max_log_lines: int) -> dict[str, Any]:
    entry = {k: meta.get(k) for k in CHECKPOINT_FIELDS if k in meta}
    lines = history_lines(dict(meta))
    if len(lines) > max_log_lines:  # keep the first epochs, every k-th, and the last ones
        head, tail = lines[:10], lines[-11:]
        step = max(1, (len(lines) - 21) // max(1, max_log_lines - 21))
        lines = head + lines[10:-11:step] + tail
    entry["log"] = lines
    return entry


def _write_json_lines(path: Path, header: Mapping[str, Any], lists: Mapping[str, list[Any]]) -> None:
    """JSON with one list item per line (small diffs when results are regenerated)."""
    parts = [json.dumps(dict(header), sort_keys=True)[:-1]]
    for name, items in lists.items():
        body = ",\n".join(" " + json.dumps(i, sort_keys=True, default=str) for i in items)
        parts.append(f', "{name}": [\n{body}\n]')
    path.write_text("".join(parts) + "}\n")


def export_reference_results(store: ResultStore | str | None = None, out_dir: str | Path = "reports/reference", *,
                             references: Iterable[str] | None = None, tier: str | None = None,
                             max_log_lines: int = 200) -> dict[str, Path]:
    """Write ``reference_results.json`` and ``checkpoints.json`` to ``out_dir``.

    Parameters
    ----------
    store : ResultStore, path or None
        The results store (default: ``$LATENTBENCH_HOME/results.db``).
    out_dir : str or Path, default="reports/reference"
    references : iterable of str, optional
        Reference model names to export (default: every spec with a cached checkpoint).
    tier : {"quick", "full", "text"}, optional
        Only specs of this tier.
    max_log_lines : int, default=200
        Training log lines kept per checkpoint (long logs are thinned, first and last epochs kept).

    Returns
    -------
    dict
        ``{"results": path, "checkpoints": path}``.
    """
    st = store if isinstance(store, ResultStore) else ResultStore(store)
    checkpoints = _checkpoints(references, tier)
    if not checkpoints:
        raise InputValidationError("no cached reference checkpoints to export; train them first (`latentbench train ...`)")
    rows = collect_reference_rows(st, checkpoints)
    used_runs = {r["run_id"] for r in rows}
    runs = {r["run_id"]: {"device": r["device"], "versions": json.loads(r["versions"] or "{}"), "git_commit": r["git_commit"],
                          "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["started"]))}
            for r in st.runs() if r["run_id"] in used_runs}
    models = {}
    wanted = {str(c["fingerprint"]) for c in checkpoints}
    for m in st.models():
        description = json.loads(m["description"] or "{}")
        if m["model_fp"] in wanted or description.get("fingerprint") in wanted:  # identity on a dataset, or scheme 1
            models[m["model_fp"]] = description
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = {}
    for r in rows:  # each distinct parameter set once, keyed by its hash (it is long and repeats on every metric)
        params.setdefault(r["params_hash"], json.loads(r["params"]) if isinstance(r["params"], str) else r["params"])
    rows = [{k: v for k, v in r.items() if k != "params"} for r in rows]
    header = {"format_version": FORMAT_VERSION, "params": params, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "generated_by": "python -m latentbench.reference_results export", "n_rows": len(rows),
              "references": sorted({c["name"] for c in checkpoints}), "runs": runs, "models": models,
              "note": "model_id is the checkpoint fingerprint (model_fp: its identity on the dataset); 'seed' is the evaluation seed, 'train_seed' the training seed; "
                      "library versions and device are under runs[run_id]; bands are over training seeds"}
    results_path = out / "reference_results.json"
    columns = list(ROW_COLUMNS)
    header["row_columns"] = columns  # rows are stored as lists in this order (a third of the size of dicts)
    _write_json_lines(results_path, header, {"rows": [[r.get(c) for c in columns] for r in rows], "bands": reference_bands(rows)})
    ckpt_path = out / "checkpoints.json"
    entries = [_checkpoint_entry(m, max_log_lines) for m in checkpoints]
    ckpt_path.write_text(json.dumps({"format_version": FORMAT_VERSION, "checkpoints": entries}, indent=1, default=str) + "\n")
    return {"results": results_path, "checkpoints": ckpt_path}


def load_reference_results(path: str | Path) -> dict[str, Any]:
    """Read an exported ``reference_results.json``.

    Returns
    -------
    dict
        ``rows`` (a list of dicts with the store's columns plus ``reference``, ``train_seed`` and
        ``tier``; ``params`` is looked up by ``params_hash`` in ``params``), ``bands``, ``runs``
        (library versions and device per run id), ``models`` (stored descriptions by fingerprint),
        ``references``, ``created``.
    """
    data = json.loads(Path(path).read_text())
    if data.get("format_version") != FORMAT_VERSION:
        raise InputValidationError(f"{path}: format_version {data.get('format_version')!r}, expected {FORMAT_VERSION}")
    columns = data.pop("row_columns")
    data["rows"] = [dict(zip(columns, r)) for r in data["rows"]]
    return data


def import_reference_results(path: str | Path, store: ResultStore | str) -> int:
    """Write the exported rows into a store, so ``latentbench report`` can draw the reference
    leaderboard without retraining. Returns the number of rows written."""
    data = load_reference_results(path)
    st = store if isinstance(store, ResultStore) else ResultStore(store)
    for run_id, run in data.get("runs", {}).items():
        st.add_run(run_id, argv=f"imported from {path}", device=run.get("device", ""), versions=run.get("versions", {}),
                   git_commit=run.get("git_commit"), host="imported")
    jobs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in data["rows"]:
        # one checkpoint under two names (identical weights) is one job in a store: keep the first
        row = {k: r.get(k) for k in RESULT_COLUMNS}
        row["params"] = data.get("params", {}).get(r["params_hash"])
        jobs.setdefault(tuple(r[k] for k in JOB_KEY), []).append(row)
    for rows in jobs.values():
        seen, unique = set(), []
        for r in rows:
            if r["metric"] not in seen:
                seen.add(r["metric"])
                unique.append(r)
        st.write_job(unique)
    for fp, desc in data.get("models", {}).items():
        st.add_model(fp, str(desc.get("name", fp)), str(desc.get("adapter", "torch")), desc)
    return sum(len(v) for v in jobs.values())


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m latentbench.reference_results", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write reference_results.json and checkpoints.json")
    ex.add_argument("--store", help="results database (default $LATENTBENCH_HOME/results.db)")
    ex.add_argument("--out", default="reports/reference")
    ex.add_argument("--models", nargs="+", help="reference model names (default: every cached one)")
    ex.add_argument("--tier", choices=["quick", "full", "text", "transfer"])
    im = sub.add_parser("import", help="write exported rows into a store")
    im.add_argument("path")
    im.add_argument("--store", required=True)
    args = p.parse_args(argv)
    if args.command == "export":
        names = [parse_reference(m)[0] if m.startswith("ref:") else m for m in args.models] if args.models else None
        paths = export_reference_results(args.store, args.out, references=names, tier=args.tier)
        data = load_reference_results(paths["results"])
        print(f"wrote {paths['results']} ({data['n_rows']} rows, {len(data['bands'])} bands) and {paths['checkpoints']}")
    else:
        n = import_reference_results(args.path, args.store)
        print(f"imported {n} rows into {args.store}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
