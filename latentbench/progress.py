"""The one place latentbench prints progress and messages (to stderr); ``set_quiet(True)`` silences it."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["ProgressBar", "is_quiet", "log", "progress", "set_quiet"]

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


class ProgressBar:
    """A bar advanced by hand (``update``), showing named values (``show``): training steps and
    their loss terms. On stderr through tqdm; nothing when quiet or when tqdm is missing.

    Parameters
    ----------
    total : int
        Steps in all.
    desc : str
    unit : str, default="step"
    """

    def __init__(self, total: int, desc: str = "", unit: str = "step") -> None:
        self._bar = None
        if not _QUIET:
            try:
                from tqdm.auto import tqdm

                self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)
            except ImportError:  # pragma: no cover
                self._bar = None

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps."""
        if self._bar is not None:
            self._bar.update(n)

    def show(self, values: dict[str, float]) -> None:
        """Show ``values`` beside the bar (4 significant digits)."""
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
