"""Where latentbench keeps its files: one cache folder (``$LATENTBENCH_HOME``, default
``~/.cache/latentbench``) holding the results store and the reference checkpoints."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["latentbench_home"]


def latentbench_home() -> Path:
    """The cache folder: ``$LATENTBENCH_HOME`` or ``~/.cache/latentbench``."""
    return Path(os.environ.get("LATENTBENCH_HOME", Path.home() / ".cache" / "latentbench")).expanduser()
