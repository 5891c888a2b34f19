"""What can change a number besides the code's inputs: library versions, device, commit."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["library_versions", "git_commit", "hostname"]

NUMERIC_LIBRARIES = ("latentbench", "numpy", "scipy", "scikit-learn", "torch", "gudhi", "faiss-cpu", "fairlearn", "pandas")


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries that can change a number (missing ones omitted)."""
    out = {"python": platform.python_version()}
    for name in NUMERIC_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str | None:
    """The commit of the latentbench checkout in use (with ``-dirty``), or ``None`` for an installed package."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("-dirty" if dirty else "")) or None


def hostname() -> str:
    return platform.node()
