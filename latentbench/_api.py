"""Small conveniences of the public API."""

from __future__ import annotations

from pathlib import Path

from .results import Results
from .store import ResultStore

__all__ = ["load_results"]


def load_results(store: str | Path | None = None, *, models: list[str] | None = None, tasks: list[str] | None = None) -> Results:
    """Every stored result (optionally only some models or tasks) as a :class:`Results` object.

    A store that does not exist is an error (it is never created by reading it)."""
    s = ResultStore(store, create=False)
    try:
        return Results(s.rows(models=models, tasks=tasks), store_path=s.path)
    finally:
        s.close()
