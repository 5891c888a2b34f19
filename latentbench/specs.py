"""Finding and reading the declarative specs: ``tasks/`` (task specs and suites) and ``reference_models/``.

The spec folders sit at the repository root and ship inside the wheel as ``latentbench/_specs``;
:func:`spec_roots` finds them the same way from a checkout and from an installed package. Users
add folders with ``--specs DIR`` (or :func:`add_spec_dir`) and plug-ins through the
``latentbench.plugins`` entry-point group.
"""

from __future__ import annotations

import tomllib
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .exceptions import SpecError

__all__ = ["add_spec_dir", "builtin_spec_root", "read_toml", "spec_roots", "load_plugins"]

_EXTRA_DIRS: list[Path] = []
_PLUGINS_LOADED = False


def builtin_spec_root() -> Path:
    """The folder that holds the built-in ``tasks/`` and ``reference_models/``."""
    packaged = Path(str(resources.files("latentbench"))) / "_specs"
    if (packaged / "tasks").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "tasks").is_dir():
        return checkout
    raise SpecError("cannot find latentbench's built-in specs (tasks/, reference_models/); reinstall the package")


def add_spec_dir(path: str | Path) -> None:
    """Add a folder holding ``tasks/`` and/or ``reference_models/`` (or task TOML files directly)."""
    p = Path(path).expanduser().resolve()
    if not p.is_dir():
        raise SpecError(f"spec folder {str(path)!r} does not exist")
    if p not in _EXTRA_DIRS:
        _EXTRA_DIRS.append(p)


def load_plugins() -> None:
    """Call every ``latentbench.plugins`` entry point once.

    An entry point names a callable; it may register task classes (:func:`latentbench.register_task`)
    and may return a folder (or list of folders) of specs to add.
    """
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in metadata.entry_points(group="latentbench.plugins"):
        try:
            obj = ep.load()
            result = obj() if callable(obj) else None
        except Exception as exc:  # a broken plug-in must not break the package
            raise SpecError(f"plug-in {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}") from exc
        for d in [result] if isinstance(result, (str, Path)) else (result or []):
            add_spec_dir(d)


def spec_roots() -> list[Path]:
    """The built-in spec root followed by user folders, in order."""
    load_plugins()
    return [builtin_spec_root(), *_EXTRA_DIRS]


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one spec file; a syntax error names the file and line."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: {exc}") from None
