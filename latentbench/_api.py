"""Small conveniences of the public API."""

from __future__ import annotations

from pathlib import Path

from .results import Results
from .store import ResultStore

__all__ = ["load_results"]


def load_results(store: str | Path | None = None, *, models: list[str] | None = None, tasks: list[str] | None = None) -> Results:
    """Every stored result (optionally only some models or tasks) as a :class:`Results` object.

    Parameters
    ----------
    store : str, Path or None
        A results database (default: ``$LATENTBENCH_HOME/results.db``), or a JSON file: a
        ``results.json`` written by ``latentbench run --out`` / :meth:`Results.to_json`, or a
        ``latentbench report --export`` file (see :meth:`Results.from_json`).
    models, tasks : list of str, optional
        Keep only these model / task names.

    A store that does not exist is an error (it is never created by reading it)."""
    if store is not None and _is_json(Path(store)):
        res = Results.from_json(Path(store))
        keep = [r for r in res.rows if (models is None or r.get("model") in models) and (tasks is None or r.get("task") in tasks)]
        return Results(keep, store_path=str(store))
    s = ResultStore(store, create=False)
    try:
        return Results(s.rows(models=models, tasks=tasks), store_path=s.path)
    finally:
        s.close()


def _is_json(path: Path) -> bool:
    """A ``.json`` name, or an existing file whose first non-blank byte opens a JSON object or list."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(64).lstrip()
    except OSError:
        return False
    return head[:1] in (b"{", b"[")
