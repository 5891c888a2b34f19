"""The :class:`Results` object returned by :func:`latentbench.evaluate`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Results", "RESULTS_SCHEMA_VERSION"]

RESULTS_SCHEMA_VERSION = 1


class Results:
    """Result rows (one per model, task, seed and metric) with conversions.

    Each row is a dict with the store's columns (``model``, ``task``, ``metric``, ``value``,
    ``ci_low``, ``ci_high``, ``ci_method``, ``n``, ``direction``, ``status``, ``message``, ...).
    For a table, pass the rows to the report: ``latentbench.report.Leaderboard.from_rows(results.rows)``.
    """

    def __init__(self, rows: list[dict[str, Any]], *, store_path: str | None = None) -> None:
        self.rows = rows
        self.store_path = store_path

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def value(self, task: str, metric: str | None = None, *, model: str | None = None, seed: int | None = None) -> float | None:
        """The value of one metric (default: the task's primary); ``model``/``seed`` pick among several."""
        for r in self.rows:
            if r["task"] != task or (model is not None and r["model"] != model) or (seed is not None and r["seed"] != seed):
                continue
            if (metric is None and r["is_primary"]) or r["metric"] == metric:
                return r["value"]
        raise KeyError(f"no result for task {task!r}, metric {metric!r}" + (f", model {model!r}" if model else ""))

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Rows of jobs that raised."""
        return [r for r in self.rows if r["status"] == "failed"]

    @property
    def skipped(self) -> list[dict[str, Any]]:
        """Rows of jobs skipped (with the reason in ``message``)."""
        return [r for r in self.rows if r["status"] == "skipped"]

    def to_dataframe(self) -> Any:
        """A long-format pandas DataFrame, one row per model, task, seed and metric."""
        import pandas as pd

        cols = ["model", "task", "family", "metric", "value", "ci_low", "ci_high", "ci_method", "stderr", "n",
                "direction", "is_primary", "status", "message", "seed", "task_version", "dataset", "split", "seconds",
                "model_fp", "params_hash", "split_fp", "dataset_fp", "run_id"]
        return pd.DataFrame([{c: r.get(c) for c in cols} for r in self.rows], columns=cols)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict with a schema version."""
        rows = []
        for r in self.rows:
            r = dict(r)
            if isinstance(r.get("params"), str):
                r["params"] = json.loads(r["params"])
            rows.append(r)
        return {"schema_version": RESULTS_SCHEMA_VERSION, "store": self.store_path, "results": rows}

    def to_json(self, path: str | Path | None = None) -> str:
        """The results as JSON (written to ``path`` when given)."""
        text = json.dumps(self.to_dict(), indent=1, sort_keys=True, default=str)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> "Results":
        """Results read back from JSON: a :meth:`to_json` file, a ``report --export`` file, or a list of rows.

        Parameters
        ----------
        source : str or Path
            A path to the file, or the JSON text itself (a string starting with ``{`` or ``[``).

        Returns
        -------
        Results
        """
        from .exceptions import InputValidationError

        text = str(source)
        where = "the JSON text"
        if not text.lstrip().startswith(("{", "[")):
            where = repr(text)
            try:
                text = Path(source).read_text()
            except OSError as exc:
                raise InputValidationError(f"cannot read results {where}: {exc.strerror or exc}") from None
            except UnicodeDecodeError:
                text = "\x00"  # binary (a database): refused below as not JSON
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise InputValidationError(f"results {where} are not JSON ({exc}); pass a file written by Results.to_json, "
                                       f"`latentbench run --out` (results.json) or `latentbench report --export`") from None
        rows = doc if isinstance(doc, list) else doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) and "metric" in r and "task" in r for r in rows):
            raise InputValidationError(f"results {where} have no 'results' list of result rows (each with 'task' and 'metric')")
        out = []
        for r in rows:
            r = dict(r)
            if isinstance(r.get("params"), str):
                try:
                    r["params"] = json.loads(r["params"])
                except ValueError:
                    pass
            out.append(r)
        store = doc.get("store") if isinstance(doc, dict) else None
        return cls(out, store_path=store if isinstance(store, str) else None)

    def __repr__(self) -> str:
        models = sorted({str(r["model"]) for r in self.rows})
        tasks = sorted({r["task"] for r in self.rows})
        return f"Results({len(self.rows)} rows, models={models}, tasks={len(tasks)}, failed={len(self.failed)}, skipped={len(self.skipped)})"
