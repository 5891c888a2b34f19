"""The one place latentbench prints progress and messages (to stderr); ``set_quiet(True)`` silences it."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["log", "progress", "set_quiet", "is_quiet"]

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) progress bars and messages."""
    global _QUIET
    _QUIET = bool(quiet)


def is_quiet() -> bool:
    return _QUIET


def log(message: str) -> None:
    """Print one line to stderr unless quiet."""
    if not _QUIET:
        print(message, file=sys.stderr, flush=True)


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "", **kwargs: Any) -> Iterator[T]:
    """A tqdm progress bar on stderr (plain iteration when quiet or tqdm is missing)."""
    if _QUIET:
        yield from iterable
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        yield from iterable
        return
    yield from tqdm(iterable, total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, leave=False, **kwargs)
