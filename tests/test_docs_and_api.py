"""The generated task docs are current, and the public API is what __all__ says."""

from __future__ import annotations

from pathlib import Path

import latentbench
from latentbench.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_task_docs_are_generated_from_metadata(capsys):
    assert main(["list", "tasks", "--markdown", "--quiet"]) == 0
    generated = capsys.readouterr().out
    committed = (ROOT / "docs" / "tasks.md").read_text()
    assert generated == committed, "docs/tasks.md is stale: run `latentbench list tasks --markdown > docs/tasks.md`"


def test_public_api_exports_resolve():
    for name in latentbench.__all__:
        assert getattr(latentbench, name) is not None
    assert latentbench.__all__ == sorted(latentbench.__all__, key=str.casefold)
    assert callable(latentbench.evaluate) and callable(latentbench.check) and callable(latentbench.adapt)
