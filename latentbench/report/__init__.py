"""Reports read from the store (never recomputed): leaderboards, comparisons and plots.

* :func:`load_report_data` reads a SQLite store or a JSON export; :func:`export_store` writes one.
* :class:`Leaderboard` is the tasks x models table with ties from a paired bootstrap and Holm's correction.
* :func:`write_report` writes Markdown, self-contained HTML, LaTeX, CSV, JSON and plots.
* :func:`compare` places one model among reference models.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "Leaderboard": "latentbench.report.leaderboard",
    "ReportData": "latentbench.report.data",
    "load_report_data": "latentbench.report.data",
    "export_store": "latentbench.report.data",
    "write_report": "latentbench.report.build",
    "compare": "latentbench.report.compare",
    "Comparison": "latentbench.report.compare",
    "paired_bootstrap": "latentbench.report.significance",
    "holm": "latentbench.report.significance",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'latentbench.report' has no attribute {name!r}")
