"""A small generic registry with lazy ``"module:attr"`` entries.

Built-in entries are listed explicitly in tables (nothing depends on importing a module for its
side effects); an entry given as a ``"package.module:attribute"`` string is imported on first
use, so ``import latentbench`` stays fast. A duplicate name is an error and an unknown name says
"did you mean ..." and lists what exists.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from .exceptions import DuplicateNameError, SpecError, UnknownNameError

T = TypeVar("T")

__all__ = ["Registry", "import_target"]


def import_target(target: str) -> Any:
    """Import ``"package.module:attribute"`` (or ``"package.module.attribute"``) and return the attribute."""
    if ":" in target:
        module_name, _, attr = target.partition(":")
    else:
        module_name, _, attr = target.rpartition(".")
    if not module_name or not attr:
        raise SpecError(f"cannot import {target!r}: expected 'package.module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and exc.name == module_name.split(".")[0]:
            hint = ("; run from the folder that holds it (the `latentbench` command imports from the current folder), "
                    "or add its folder to PYTHONPATH")
        raise SpecError(f"cannot import module {module_name!r} for {target!r}: {exc}{hint}") from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SpecError(f"module {module_name!r} has no attribute {attr!r} (from {target!r})") from None
    return obj


class Registry(Generic[T]):
    """A name -> object table; values may be lazy ``"module:attr"`` strings.

    Parameters
    ----------
    kind : str
        What the registry holds ("task class", "dataset", ...), used in error messages.
    hint : str, default=""
        A sentence appended to unknown-name errors (for example the command that lists names).
    """

    def __init__(self, kind: str, *, hint: str = "") -> None:
        self.kind = kind
        self.hint = hint
        self._entries: dict[str, T | str] = {}
        self._origins: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, name: str, target: T | str, *, origin: str = "builtin", replace: bool = False) -> None:
        """Register ``target`` under ``name``; a duplicate is an error unless ``replace``."""
        if not isinstance(name, str) or not name:
            raise SpecError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        with self._lock:
            if name in self._entries and not replace:
                raise DuplicateNameError(
                    f"{self.kind} {name!r} is already registered (from {self._origins[name]}); "
                    f"choose another name or pass replace=True"
                )
            self._entries[name] = target
            self._origins[name] = origin

    def remove(self, name: str) -> None:
        """Remove ``name`` (used by tests and by plug-ins that replace an entry)."""
        with self._lock:
            self._entries.pop(name, None)
            self._origins.pop(name, None)

    def get(self, name: str) -> T:
        """Return the object registered as ``name``, importing it on first use."""
        try:
            target = self._entries[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._entries, self.hint) from None
        if isinstance(target, str):
            obj = import_target(target)
            with self._lock:
                self._entries[name] = obj
            return obj
        return target

    def origin(self, name: str) -> str:
        """Where ``name`` came from ("builtin", a spec file, a plug-in)."""
        self.get(name)
        return self._origins[name]

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
