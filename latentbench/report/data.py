"""What a report reads: result rows, run provenance, model descriptions and artifacts.

A report never recomputes. It reads a :class:`~latentbench.store.ResultStore` (the SQLite file)
or a JSON export of one (:func:`export_store`; the committed reference results are such a file),
and every number it prints comes from there.
"""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import LATENT_SAMPLE
from ..exceptions import InputValidationError, ResourceLimitError
from ..store import IDENTITY_SCHEME, JOB_KEY, RESULT_COLUMNS, ResultStore

__all__ = ["EXPORT_FORMAT", "EXPORT_SCHEMA_VERSION", "LATENT_SAMPLE", "ReportData", "export_store", "job_key",
           "merge_report_data",
           "load_report_data"]

EXPORT_FORMAT = "latentbench-store-export"
EXPORT_SCHEMA_VERSION = 1

def job_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The job key of a result row: ``(model_fp, task, task_version, params_hash, split_fp, seed)``."""
    return tuple(row[k] for k in JOB_KEY)


def _parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _without_stale(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """Rows of the current identity scheme, and a note on the stale ones (see :class:`ReportData`)."""
    scheme = lambda r: int(r.get("key_scheme") or 1)  # noqa: E731 - rows exported before scheme 2 have none
    old = sum(1 for r in rows if scheme(r) != IDENTITY_SCHEME)
    if not old:
        return rows, None
    if old < len(rows):
        return ([r for r in rows if scheme(r) == IDENTITY_SCHEME],
                f"{old} stored rows keyed under an older identity scheme are not shown: they were keyed before models "
                f"were identified by their whole state and behaviour on the dataset; rerun their commands to recompute them.")
    schemes = sorted({scheme(r) for r in rows})
    return rows, (f"Every result here was stored under identity scheme {', '.join(map(str, schemes))} (this version keys "
                  f"results under scheme {IDENTITY_SCHEME}): they are shown as stored; regenerate them to refresh their keys.")


def _model_id(row: Mapping[str, Any]) -> Any:
    """The model a row belongs to on every dataset (``model_id``; ``model_fp`` for rows of identity scheme 1)."""
    return row.get("model_id") or row["model_fp"]


def _one_name_per_checkpoint(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Give every row of one model fingerprint one name; return the other names each one replaced.

    One checkpoint can be stored under several names: a deterministic reference model (PCA) gives
    the same checkpoint for every training seed, so ``ref:pca@0`` and ``ref:pca@2`` name one model,
    and a job is only recomputed (and renamed) when it was not ``ok``. The name kept is the one on
    the most ``ok`` rows (then the most rows, then the first in order).
    """
    counts: dict[Any, dict[str, tuple[int, int]]] = defaultdict(dict)
    for r in rows:
        ok, n = counts[_model_id(r)].get(r["model"], (0, 0))
        counts[_model_id(r)][r["model"]] = (ok + (r["status"] == "ok"), n + 1)
    canonical = {fp: min(names, key=lambda m: (-names[m][0], -names[m][1], m)) for fp, names in counts.items()}
    aliases: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        name = canonical[_model_id(r)]
        if r["model"] != name:
            aliases[name].add(r["model"])
            r["stored_as"], r["model"] = r["model"], name
    return dict(aliases)


class ReportData:
    """Result rows with their provenance, read from a store.

    Parameters
    ----------
    store : ResultStore
        Where rows and artifacts live (an in-memory store when read from a JSON export).
    models : iterable of str, optional
        Keep only these model names.
    tasks : iterable of str, optional
        Keep only these task names.
    source : str, optional
        How the data were named on the command line (shown in the report header).

    Attributes
    ----------
    rows : list of dict
        Every kept result row (store columns; ``params`` parsed into a dict).
    runs : dict of str to dict
        Run provenance by ``run_id``: ``device``, ``versions`` (dict), ``git_commit``, ``argv``, ``host``.
    models : dict of str to dict
        Model descriptions by model fingerprint: ``name``, ``adapter``, ``description`` (dict).
    aliases : dict of str to set of str
        Other names the same checkpoint (model fingerprint) was stored under; its rows all carry
        the key's name (a deterministic reference model trained with several seeds is one model).
    stale_note : str or None
        Rows keyed under an older identity scheme (``key_scheme``) are left out when the source also
        holds rows of the current one, and shown as stored (with this note) when it holds only them.
    """

    def __init__(self, store: ResultStore, *, models: Iterable[str] | None = None, tasks: Iterable[str] | None = None,
                 source: str | None = None) -> None:
        self.store = store
        self.source = source or store.path
        rows = store.rows(tasks=list(tasks) if tasks is not None else None)
        for r in rows:
            r["params"] = _parse_json(r.get("params")) or {}
        rows, self.stale_note = _without_stale(rows)
        self.aliases = _one_name_per_checkpoint(rows)
        if models is not None:
            wanted = set(models)
            rows = [r for r in rows if r["model"] in wanted or wanted & self.aliases.get(r["model"], set())]
        self.rows: list[dict[str, Any]] = rows
        self.runs: dict[str, dict[str, Any]] = {}
        for run in store.runs():
            run = dict(run)
            run["versions"] = _parse_json(run.get("versions")) or {}
            self.runs[run["run_id"]] = run
        self.models: dict[str, dict[str, Any]] = {}
        for m in store.models():
            m = dict(m)
            m["description"] = _parse_json(m.get("description")) or {}
            self.models[m["model_fp"]] = m
        self._artifact_cache: dict[tuple[Any, ...], np.ndarray | None] = {}

    @classmethod
    def load(cls, source: str | Path | ResultStore | None = None, *, models: Iterable[str] | None = None,
             tasks: Iterable[str] | None = None) -> ReportData:
        """Read a SQLite store (a path, or the default store) or a JSON export (a path ending in ``.json``)."""
        return load_report_data(source, models=models, tasks=tasks)

    def artifact(self, row: Mapping[str, Any], name: str) -> np.ndarray | None:
        """The artifact ``name`` of the job that produced ``row``, or ``None``."""
        key = (*job_key(row), name)
        if key not in self._artifact_cache:
            self._artifact_cache[key] = self.store.artifact(dict(zip(JOB_KEY, key[:-1])), name)
        return self._artifact_cache[key]

    def run(self, run_id: str | None) -> dict[str, Any]:
        """The provenance of a run (empty when unknown)."""
        return self.runs.get(run_id or "", {})

    def model_description(self, model_fp: str) -> dict[str, Any]:
        """A model's stored description (capabilities, latent size, training metadata), or ``{}``."""
        return self.models.get(model_fp, {}).get("description", {})

    def artifacts_named(self, name: str) -> list[dict[str, Any]]:
        """Every stored artifact ``name``, one per (model, task): dicts with ``model``, ``task``, ``dataset``, ``array``."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.rows:
            if (r["model"], r["task"]) in out or r["status"] != "ok":
                continue
            arr = self.artifact(r, name)
            if arr is not None:
                out[(r["model"], r["task"])] = {"model": r["model"], "task": r["task"], "dataset": r["dataset"], "array": arr}
        return [out[k] for k in sorted(out)]

    def latent_samples(self) -> list[dict[str, Any]]:
        """Stored latent samples, one per (model, dataset): ``model``, ``dataset``, ``z``, ``labels``, ``label_name``,
        ``factors`` (``(n, n_factors)`` or None) and ``factor_names``.

        The runner stores them as artifacts ``latents/z`` (and ``latents/labels``,
        ``latents/label_name``, ``latents/factors``, ``latents/factor_names``) of one job per model
        and dataset; none are computed here.
        """
        out: dict[tuple[str, str], dict[str, Any]] = {}
        seen: set[tuple[Any, ...]] = set()
        for r in self.rows:
            k = job_key(r)
            if k in seen or (r["model"], r["dataset"]) in out:
                continue
            seen.add(k)
            z = self.artifact(r, LATENT_SAMPLE)
            if z is None:
                continue
            labels = self.artifact(r, "latents/labels")
            name = self.artifact(r, "latents/label_name")
            factors = self.artifact(r, "latents/factors")
            factor_names = self.artifact(r, "latents/factor_names")
            out[(r["model"], r["dataset"])] = {
                "factors": None if factors is None or np.ndim(factors) != 2 or len(factors) != len(z) else np.asarray(factors),
                "factor_names": [] if factor_names is None else [str(f) for f in np.atleast_1d(factor_names)],
                "model": r["model"], "dataset": r["dataset"], "z": np.asarray(z, dtype=np.float64),
                "labels": None if labels is None else np.asarray(labels),
                "label_name": str(name) if name is not None and np.ndim(name) == 0 else "label",
            }
        return [out[k] for k in sorted(out)]


def load_report_data(source: str | Path | ResultStore | None = None, *, models: Iterable[str] | None = None,
                     tasks: Iterable[str] | None = None) -> ReportData:
    """Read a store or a JSON export for a report.

    Parameters
    ----------
    source : str, Path, ResultStore or None
        A SQLite store path, a JSON export (``*.json``, see :func:`export_store`), a store object,
        or ``None`` for the default store.
    models, tasks : iterable of str, optional
        Keep only these model / task names.

    Returns
    -------
    ReportData
    """
    if isinstance(source, ResultStore):
        return ReportData(source, models=models, tasks=tasks)
    if source is not None and str(source).endswith(".json"):
        path = Path(source)
        if not path.exists():
            raise InputValidationError(f"results export {str(path)!r} does not exist")
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
            raise InputValidationError(f"results export {str(path)!r} is not a readable JSON document ({exc}); pass a file "
                                       f"written by `latentbench report --export` or a results database") from None
        try:
            exported = _store_from_export(doc)
        except InputValidationError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, sqlite3.Error) as exc:
            raise InputValidationError(f"results export {str(path)!r} is malformed ({type(exc).__name__}: {exc}); pass a file "
                                       f"written by `latentbench report --export`") from None
        return ReportData(exported, models=models, tasks=tasks, source=str(source))
    store = ResultStore(source, create=False)  # a reader never leaves an empty database behind
    return ReportData(store, models=models, tasks=tasks, source=str(source) if source is not None else None)


def merge_report_data(first: ReportData, second: ReportData) -> ReportData:
    """The rows, runs, models and artifacts of two sources in one (a job both hold is taken from ``first``).

    Each source keeps its own reading of stale rows (see :class:`ReportData`): results stored under an
    older identity scheme in ``second`` (the committed references) are shown beside ``first``'s, with
    the note, rather than dropped for being older than ``first``'s. Nothing is served from a cache
    here, so the key scheme only matters for the note.
    """
    a, b = export_store(first), export_store(second)
    keys = {job_key(r) for r in a["results"]}
    runs = {x["run_id"] for x in a.get("runs", [])}
    fps = {x["model_fp"] for x in a.get("models", [])}
    doc = {"results": a["results"] + [r for r in b["results"] if job_key(r) not in keys],
           "runs": a.get("runs", []) + [r for r in b.get("runs", []) if r["run_id"] not in runs],
           "models": a.get("models", []) + [m for m in b.get("models", []) if m["model_fp"] not in fps],
           "artifacts": a.get("artifacts", []) + [x for x in b.get("artifacts", []) if tuple(x[k] for k in JOB_KEY) not in keys]}
    merged = ReportData(_store_from_export(doc), source=f"{first.source} + {second.source}")
    merged.rows = [*first.rows, *(r for r in second.rows if job_key(r) not in keys)]
    merged.aliases = {**second.aliases, **first.aliases}
    notes = [first.stale_note, f"{second.source}: {second.stale_note}" if second.stale_note else None]
    merged.stale_note = " ".join(n for n in notes if n) or None
    return merged


# ---------------------------------------------------------------------- JSON export
def _encode_array(arr: np.ndarray) -> str:
    """A ``.npy`` file, zlib-compressed (deterministic: the same array gives the same text), base64."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=False)
    return base64.b64encode(zlib.compress(buf.getvalue(), 6)).decode("ascii")


def _decode_array(entry: Mapping[str, Any]) -> np.ndarray:
    if "npy_zlib_b64" in entry:
        from ..safeio import max_array_bytes

        limit = max_array_bytes()
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.b64decode(entry["npy_zlib_b64"]), limit + 1)  # never more than the limit in memory
        if len(raw) > limit:
            raise ResourceLimitError(f"artifact {entry.get('name')!r} in the export expands beyond {limit} bytes; "
                                     f"raise LATENTBENCH_MAX_ARRAY_BYTES if you trust the file")
        return np.load(io.BytesIO(raw), allow_pickle=False)
    if "npy_b64" in entry:
        return np.load(io.BytesIO(base64.b64decode(entry["npy_b64"])), allow_pickle=False)
    if "values" in entry:
        return np.asarray(entry["values"], dtype=entry.get("dtype", "float64"))
    raise InputValidationError(f"artifact {entry.get('name')!r} in the export has none of 'npy_zlib_b64', 'npy_b64' or 'values'")


def export_store(source: ResultStore | ReportData, path: str | Path | None = None, *, models: Iterable[str] | None = None,
                 tasks: Iterable[str] | None = None, artifacts_for: Iterable[str] | None = None) -> dict[str, Any]:
    """Export result rows, runs, models and artifacts as one JSON document.

    The document (``format`` = ``"latentbench-store-export"``, ``schema_version`` 1) holds
    ``results`` (store rows), ``runs``, ``models`` and ``artifacts`` (each array as a zlib-compressed
    ``.npy`` in base64 under ``npy_zlib_b64``, with its job key and name; uncompressed ``npy_b64``
    entries of older exports are read too), so a report made from it equals one made from the
    store, tie tests included.

    Parameters
    ----------
    source : ResultStore or ReportData
    path : str or Path, optional
        Where to write the JSON (sorted keys, one level of indentation).
    models, tasks : iterable of str, optional
        Keep only these (ignored when ``source`` is already a :class:`ReportData`).
    artifacts_for : iterable of str, optional
        Export the artifacts (per-example values, latent samples, images) of these models only; the
        rows of every model are exported. Default: every model's.

    Returns
    -------
    dict
        The document.
    """
    data = source if isinstance(source, ReportData) else ReportData(source, models=models, tasks=tasks)
    rows = []
    for r in data.rows:
        r = {**{k: r.get(k) for k in RESULT_COLUMNS}, "model": r.get("stored_as", r["model"])}  # as stored
        rows.append(r)
    fps = {r["model_fp"] for r in rows}
    run_ids = {r["run_id"] for r in rows}
    artifacts = []
    seen: set[tuple[Any, ...]] = set()
    with_names: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for name_row in data.store._conn.execute("SELECT model_fp, task, task_version, params_hash, split_fp, seed, name FROM artifacts"):
        with_names[tuple(name_row[k] for k in JOB_KEY)].append(name_row["name"])
    with_artifacts = None if artifacts_for is None else set(artifacts_for)
    for r in rows:
        k = job_key(r)
        if k in seen or (with_artifacts is not None and r["model"] not in with_artifacts):
            continue
        seen.add(k)
        for name in sorted(with_names.get(k, [])):
            arr = data.artifact(r, name)
            if arr is not None:
                artifacts.append({**dict(zip(JOB_KEY, k)), "name": name, "npy_zlib_b64": _encode_array(arr)})
    doc = {
        "format": EXPORT_FORMAT, "schema_version": EXPORT_SCHEMA_VERSION,
        "results": rows,
        "runs": [{**run, "versions": run.get("versions", {})} for rid, run in sorted(data.runs.items()) if rid in run_ids],
        "models": [m for fp, m in sorted(data.models.items()) if fp in fps],
        "artifacts": artifacts,
    }
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n")
    return doc


def _store_from_export(doc: Any) -> ResultStore:
    """An in-memory store holding an export's rows, runs, models and artifacts.

    Accepts :func:`export_store` documents, :meth:`Results.to_dict` documents (``results`` only)
    and a bare list of rows.
    """
    if isinstance(doc, list):
        doc = {"results": doc}
    if not isinstance(doc, Mapping):
        raise InputValidationError("a results export must be a JSON object or a list of result rows")
    rows = doc.get("results", doc.get("rows"))
    if not isinstance(rows, list):
        raise InputValidationError("a results export needs a 'results' list of store rows")
    store = ResultStore(":memory:")
    for run in doc.get("runs", []):
        store.add_run(run["run_id"], argv=run.get("argv") or "", device=run.get("device") or "",
                      versions=_parse_json(run.get("versions")) or {}, git_commit=run.get("git_commit"), host=run.get("host") or "")
        if run.get("started") is not None:
            store._conn.execute("UPDATE runs SET started=? WHERE run_id=?", (run["started"], run["run_id"]))
    for m in doc.get("models", []):
        store.add_model(m["model_fp"], m.get("name") or "", m.get("adapter") or "", _parse_json(m.get("description")) or {})
    jobs: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    missing = [c for c in (*JOB_KEY, "metric", "status") if rows and c not in rows[0]]
    if missing:
        raise InputValidationError(f"rows of the results export lack the columns {missing}")
    for r in rows:  # rows exported before identity scheme 2 have no key_scheme: they are scheme 1
        jobs[job_key(r)].append({**{k: r.get(k) for k in RESULT_COLUMNS}, "key_scheme": r.get("key_scheme") or 1})
    arts: dict[tuple[Any, ...], dict[str, np.ndarray]] = defaultdict(dict)
    for a in doc.get("artifacts", []):
        arts[tuple(a[k] for k in JOB_KEY)][a["name"]] = _decode_array(a)
    for k, job_rows in jobs.items():
        store.write_job(job_rows, arts.get(k))  # 'created' is kept where the export has it
    return store
