"""The results store: one SQLite file (WAL mode) with every result and its provenance.

A result's key is (model fingerprint, task, task version, parameters-and-estimator hash, split
fingerprint, seed, metric). The model fingerprint (``model_fp``) is the model's identity on the
dataset (:meth:`latentbench.adapters.Adapter.identity`); ``model_id`` beside it is the model's own
fingerprint (the same on every dataset), and ``key_scheme`` the identity scheme the key was made
under (:data:`latentbench.identity.IDENTITY_SCHEME`): rows of an older scheme are never served to a
lookup (a rerun recomputes them) and reports show them as stale. ``metric_rank`` (the score's place
in its task's declaration), ``metric_label`` (its one-line description) and ``unit`` are stored with
each row so the report can order and name scores without importing the tasks. Each finished job is committed at once, so a crash loses at most the
job in flight, and a rerun finds what it already has. The store knows nothing about any
particular metric: it holds names, values, intervals, directions and statuses.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import InputValidationError
from .identity import IDENTITY_SCHEME
from .paths import latentbench_home

__all__ = ["IDENTITY_SCHEME", "JOB_KEY", "PAIR_COLUMNS", "PAIR_KEY", "RESULT_COLUMNS", "ResultStore", "default_store_path"]

SCHEMA_VERSION = 2

#: Columns that identify a job (one task on one model, dataset split and seed).
JOB_KEY = ("model_fp", "task", "task_version", "params_hash", "split_fp", "seed")

#: Every column of a result row, in order.
RESULT_COLUMNS = (
    "model_fp", "task", "task_version", "params_hash", "split_fp", "seed", "metric",
    "model", "family", "dataset", "dataset_fp", "split", "value", "ci_low", "ci_high", "ci_method",
    "stderr", "n", "direction", "is_primary", "status", "message", "seconds", "params", "run_id", "created",
    "model_id", "key_scheme", "metric_rank", "metric_label", "unit",
)

#: Columns that identify a comparison job of two models (CKA): both models' identities on the dataset,
#: ``model_a_fp < model_b_fp`` (the two fingerprints in lexicographic order: a comparison of A with B
#: and of B with A is one key; every measure stored under it is symmetric).
PAIR_KEY = ("model_a_fp", "model_b_fp", "task", "task_version", "params_hash", "split_fp", "seed")

#: Every column of a pair row, in order.
PAIR_COLUMNS = (
    *PAIR_KEY, "metric", "model_a", "model_b", "family", "dataset", "dataset_fp", "split", "value", "ci_low", "ci_high",
    "ci_method", "n", "status", "message", "seconds", "params", "run_id", "created", "key_scheme",
)

#: Columns added after schema version 1 (added to an older file when it is opened; old rows get
#: ``key_scheme`` 1).
_ADDED_COLUMNS = (("model_id", "TEXT"), ("key_scheme", "INTEGER NOT NULL DEFAULT 1"), ("metric_rank", "INTEGER"),
                  ("metric_label", "TEXT"), ("unit", "TEXT"))

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started REAL, argv TEXT, device TEXT, versions TEXT, git_commit TEXT, host TEXT
);
CREATE TABLE IF NOT EXISTS models (
    model_fp TEXT PRIMARY KEY, name TEXT, adapter TEXT, description TEXT
);
CREATE TABLE IF NOT EXISTS results (
    model_fp TEXT NOT NULL, task TEXT NOT NULL, task_version INTEGER NOT NULL, params_hash TEXT NOT NULL,
    split_fp TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL,
    model TEXT, family TEXT, dataset TEXT, dataset_fp TEXT, split TEXT,
    value REAL, ci_low REAL, ci_high REAL, ci_method TEXT, stderr REAL, n INTEGER,
    direction TEXT, is_primary INTEGER, status TEXT NOT NULL, message TEXT, seconds REAL,
    params TEXT, run_id TEXT, created REAL, model_id TEXT, key_scheme INTEGER NOT NULL DEFAULT 1,
    metric_rank INTEGER, metric_label TEXT, unit TEXT,
    PRIMARY KEY ({", ".join(JOB_KEY)}, metric)
);
CREATE TABLE IF NOT EXISTS pair_results (
    model_a_fp TEXT NOT NULL, model_b_fp TEXT NOT NULL, task TEXT NOT NULL, task_version INTEGER NOT NULL,
    params_hash TEXT NOT NULL, split_fp TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL,
    model_a TEXT, model_b TEXT, family TEXT, dataset TEXT, dataset_fp TEXT, split TEXT,
    value REAL, ci_low REAL, ci_high REAL, ci_method TEXT, n INTEGER, status TEXT NOT NULL, message TEXT,
    seconds REAL, params TEXT, run_id TEXT, created REAL, key_scheme INTEGER NOT NULL DEFAULT 2,
    PRIMARY KEY ({", ".join(PAIR_KEY)}, metric),
    CHECK (model_a_fp < model_b_fp)
);
CREATE TABLE IF NOT EXISTS artifacts (
    model_fp TEXT NOT NULL, task TEXT NOT NULL, task_version INTEGER NOT NULL, params_hash TEXT NOT NULL,
    split_fp TEXT NOT NULL, seed INTEGER NOT NULL, name TEXT NOT NULL, data BLOB,
    PRIMARY KEY ({", ".join(JOB_KEY)}, name)
);
"""


def default_store_path() -> Path:
    """``$LATENTBENCH_HOME/results.db`` (default home: ``~/.cache/latentbench``)."""
    return latentbench_home() / "results.db"


def _store_error(path: str, exc: sqlite3.DatabaseError) -> InputValidationError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return InputValidationError(f"store {path!r} is not a latentbench results database (SQLite: {text}); pass another "
                                    f"path (--store), or a .json export to `latentbench report`")
    if "locked" in text or "busy" in text:
        return InputValidationError(f"store {path!r} stayed busy ({text}): another process holds it; try again")
    return InputValidationError(f"cannot use store {path!r}: {text}; pass a writable database path (--store)")


#: Attempts, and the first and longest waits in seconds, of the switch to WAL mode (about 9 s in all).
_WAL_ATTEMPTS, _WAL_FIRST_WAIT, _WAL_MAX_WAIT = 12, 0.01, 2.0


def _enable_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL``, retried with a bounded backoff while the file is busy.

    SQLite can answer "database is locked" to a journal-mode switch without calling its busy
    handler (another process is creating the file or switching it at that moment), so the
    connection's timeout does not cover it.
    """
    wait = _WAL_FIRST_WAIT
    for attempt in range(_WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(wait)
            wait = min(2 * wait, _WAL_MAX_WAIT)


def _float(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if np.isfinite(v) else None


class ResultStore:
    """SQLite results store.

    Parameters
    ----------
    path : str or Path, optional
        The database file (created with its folder); default :func:`default_store_path`.
        ``":memory:"`` keeps everything in memory (tests).
    create : bool, default=True
        Create the file when it does not exist; with ``False`` a missing file is an error (readers
        such as reports never leave an empty database behind).

    Raises
    ------
    InputValidationError
        A path that is a folder, a file that is not a SQLite database, a place that cannot be
        written, or (``create=False``) a file that does not exist.
    """

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        self.path = str(path) if path is not None else str(default_store_path())
        if self.path != ":memory:":
            p = Path(self.path)
            if p.is_dir():
                raise InputValidationError(f"store {self.path!r} is a folder; pass the path of a database file (e.g. {p / 'results.db'})")
            if not create and not p.exists():
                raise InputValidationError(f"store {self.path!r} does not exist; pass the database that `latentbench run` wrote "
                                           f"(--store), or a .json export of one")
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputValidationError(f"cannot create the folder of store {self.path!r}: {exc.strerror or exc}; "
                                           f"pass a writable path (--store)") from None
        self._conn = None  # type: ignore[assignment]
        try:
            self._conn = sqlite3.connect(self.path, timeout=30.0)
            self._open()
        except sqlite3.DatabaseError as exc:
            if self._conn is not None:
                self._conn.close()
            raise _store_error(self.path, exc) from None

    def _open(self) -> None:
        self._conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            _enable_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        have = {r["name"] for r in self._conn.execute("PRAGMA table_info(results)")}
        for column, decl in _ADDED_COLUMNS:
            if column not in have:  # a store written before identity scheme 2
                try:
                    self._conn.execute(f"ALTER TABLE results ADD COLUMN {column} {decl}")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('identity_scheme', ?)", (str(IDENTITY_SCHEME),))
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._conn
            self._conn.commit()
        except BaseException:
            self._conn.rollback()
            raise

    # ------------------------------------------------------------------ writing
    def add_run(self, run_id: str, *, argv: str, device: str, versions: Mapping[str, str], git_commit: str | None, host: str) -> None:
        """Record a run's provenance."""
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?)",
                      (run_id, time.time(), argv, device, json.dumps(dict(versions), sort_keys=True), git_commit, host))

    def add_model(self, model_fp: str, name: str, adapter: str, description: Mapping[str, Any]) -> None:
        """Record a model's description (capabilities, latent size, training metadata)."""
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO models VALUES (?,?,?,?)",
                      (model_fp, name, adapter, json.dumps(description, sort_keys=True, default=str)))

    def write_job(self, rows: Iterable[Mapping[str, Any]], artifacts: Mapping[str, np.ndarray] | None = None) -> None:
        """Write one job's rows (and artifacts) in one transaction, replacing an earlier attempt."""
        rows = [dict(r) for r in rows]
        if not rows:
            return
        key = tuple(rows[0][k] for k in JOB_KEY)
        now = time.time()
        with self._tx() as c:
            c.execute(f"DELETE FROM results WHERE {' AND '.join(f'{k}=?' for k in JOB_KEY)}", key)
            c.execute(f"DELETE FROM artifacts WHERE {' AND '.join(f'{k}=?' for k in JOB_KEY)}", key)
            for r in rows:
                r.setdefault("created", now)
                if r.get("key_scheme") is None:
                    r["key_scheme"] = IDENTITY_SCHEME
                for k in ("value", "ci_low", "ci_high", "stderr", "seconds"):
                    r[k] = _float(r.get(k))
                if isinstance(r.get("params"), (dict, list)):
                    r["params"] = json.dumps(r["params"], sort_keys=True, default=str)
                c.execute(f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({', '.join('?' * len(RESULT_COLUMNS))})",
                          tuple(r.get(k) for k in RESULT_COLUMNS))
            for name, arr in (artifacts or {}).items():
                buf = io.BytesIO()
                np.save(buf, np.asarray(arr), allow_pickle=False)
                c.execute("INSERT INTO artifacts VALUES (?,?,?,?,?,?,?,?)", (*key, name, buf.getvalue()))

    def write_pair_job(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Write one comparison job's rows (two models, see :data:`PAIR_KEY`) in one transaction,
        replacing an earlier attempt. ``model_a_fp`` must sort before ``model_b_fp``."""
        rows = [dict(r) for r in rows]
        if not rows:
            return
        key = tuple(rows[0][k] for k in PAIR_KEY)
        if not rows[0]["model_a_fp"] < rows[0]["model_b_fp"]:
            raise InputValidationError("a pair row needs model_a_fp < model_b_fp (the two fingerprints in order); swap the models")
        now = time.time()
        with self._tx() as c:
            c.execute(f"DELETE FROM pair_results WHERE {' AND '.join(f'{k}=?' for k in PAIR_KEY)}", key)
            for r in rows:
                r.setdefault("created", now)
                if r.get("key_scheme") is None:
                    r["key_scheme"] = IDENTITY_SCHEME
                for k in ("value", "ci_low", "ci_high", "seconds"):
                    r[k] = _float(r.get(k))
                if isinstance(r.get("params"), (dict, list)):
                    r["params"] = json.dumps(r["params"], sort_keys=True, default=str)
                c.execute(f"INSERT INTO pair_results ({', '.join(PAIR_COLUMNS)}) VALUES ({', '.join('?' * len(PAIR_COLUMNS))})",
                          tuple(r.get(k) for k in PAIR_COLUMNS))

    # ------------------------------------------------------------------ reading
    def pair_job_rows(self, key: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The stored rows of one comparison job (current identity scheme only)."""
        cur = self._conn.execute(f"SELECT * FROM pair_results WHERE {' AND '.join(f'{k}=?' for k in PAIR_KEY)} AND key_scheme=?",
                                 (*(key[k] for k in PAIR_KEY), IDENTITY_SCHEME))
        return [dict(r) for r in cur]

    def pair_rows(self, *, task: str | None = None) -> list[dict[str, Any]]:
        """Every stored comparison row of the current identity scheme (optionally of one task)."""
        sql, args = "SELECT * FROM pair_results WHERE key_scheme=?", [IDENTITY_SCHEME]
        if task is not None:
            sql += " AND task=?"
            args.append(task)
        return [dict(r) for r in self._conn.execute(sql + " ORDER BY dataset, task, model_a, model_b, metric", args)]

    def job_status(self, key: Mapping[str, Any]) -> str | None:
        """``ok``/``skipped``/``failed`` for a job stored under the current identity scheme, or ``None``."""
        row = self._conn.execute(
            f"SELECT status FROM results WHERE {' AND '.join(f'{k}=?' for k in JOB_KEY)} AND key_scheme=? LIMIT 1",
            (*(key[k] for k in JOB_KEY), IDENTITY_SCHEME),
        ).fetchone()
        return None if row is None else row["status"]

    def ok_job_keys(self, tasks: Iterable[str]) -> frozenset[tuple[Any, ...]]:
        """The keys (``JOB_KEY`` tuples) of every finished job of these tasks (current identity scheme):
        what a run on workers, which never open the store, is told is stored already."""
        tasks = list(tasks)
        if not tasks:
            return frozenset()
        cur = self._conn.execute(
            f"SELECT DISTINCT {', '.join(JOB_KEY)} FROM results WHERE status='ok' AND key_scheme=? "
            f"AND task IN ({', '.join('?' * len(tasks))})", (IDENTITY_SCHEME, *tasks))
        return frozenset(tuple(r) for r in cur)

    def job_rows(self, key: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The stored rows of one job (current identity scheme only)."""
        cur = self._conn.execute(f"SELECT * FROM results WHERE {' AND '.join(f'{k}=?' for k in JOB_KEY)} AND key_scheme=?",
                                 (*(key[k] for k in JOB_KEY), IDENTITY_SCHEME))
        return [dict(r) for r in cur]

    def rows(self, *, models: Iterable[str] | None = None, tasks: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every stored result row, optionally filtered by model names and task names."""
        sql, args = "SELECT * FROM results", []
        where = []
        for col, vals in (("model", models), ("task", tasks)):
            if vals is not None:
                vals = list(vals)
                where.append(f"{col} IN ({', '.join('?' * len(vals))})")
                args += vals
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [dict(r) for r in self._conn.execute(sql + " ORDER BY task, model, seed, metric", args)]

    def task_seconds(self) -> dict[str, float]:
        """The median seconds of a finished job of each task over every stored model (a run's cost estimate)."""
        out: dict[str, list[float]] = {}
        for r in self._conn.execute("SELECT task, seconds FROM results WHERE status='ok' AND is_primary=1 AND seconds IS NOT NULL"):
            out.setdefault(r["task"], []).append(float(r["seconds"]))
        return {k: float(np.median(v)) for k, v in out.items()}

    def artifact(self, key: Mapping[str, Any], name: str) -> np.ndarray | None:
        """One stored artifact array of a job, or ``None``."""
        row = self._conn.execute(
            f"SELECT data FROM artifacts WHERE {' AND '.join(f'{k}=?' for k in JOB_KEY)} AND name=?",
            (*(key[k] for k in JOB_KEY), name),
        ).fetchone()
        return None if row is None else np.load(io.BytesIO(row["data"]), allow_pickle=False)

    def runs(self) -> list[dict[str, Any]]:
        """Every run's provenance."""
        return [dict(r) for r in self._conn.execute("SELECT * FROM runs ORDER BY started")]

    def models(self) -> list[dict[str, Any]]:
        """Every model's stored description."""
        return [dict(r) for r in self._conn.execute("SELECT * FROM models ORDER BY name")]
