"""Exceptions and warnings raised by latentbench.

The hierarchy::

    LatentBenchError
    ├── UnknownNameError        (also KeyError)   a task, suite, dataset or model name that does not exist
    ├── DuplicateNameError      (also ValueError) a name registered twice
    ├── SpecError               (also ValueError) a malformed TOML spec or task declaration
    ├── CapabilityError         (also TypeError)  a model lacks what a task needs
    ├── AdapterError            (also TypeError)  an object that cannot be adapted, or a method that raised
    ├── InputValidationError    (also ValueError) wrong shapes, non-finite values, inconsistent lengths
    ├── ResourceLimitError                        a size or time guard was hit
    ├── TaskFailedError                           a task raised inside ``run`` (``on_error="raise"``)
    └── IncompatibleResultsError (also ValueError) results from different task versions compared

    LatentBenchWarning (UserWarning)
    └── UndefinedMetricWarning  a metric is undefined on the input (constant latents...) and returns NaN

Every message is one line that names the problem and, where there is one, the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AdapterError",
    "CapabilityError",
    "DuplicateNameError",
    "IncompatibleResultsError",
    "InputValidationError",
    "MissingOptionalDependencyError",
    "LatentBenchError",
    "LatentBenchWarning",
    "ResourceLimitError",
    "SpecError",
    "TaskFailedError",
    "UndefinedMetricWarning",
    "UnknownNameError",
]


class LatentBenchError(Exception):
    """Base class of every error latentbench raises on purpose."""


class UnknownNameError(LatentBenchError, KeyError):
    """A name that is not registered; the message suggests near matches and lists what exists."""

    def __init__(self, kind: str, name: str, available: Iterable[str], hint: str = "") -> None:
        self.kind, self.name = kind, name
        self.available = sorted(available)
        close = difflib.get_close_matches(name, self.available, n=3, cutoff=0.5)
        msg = f"unknown {kind} {name!r}."
        if close:
            msg += f" Did you mean {', '.join(repr(c) for c in close)}?"
        shown = ", ".join(self.available[:25])
        if len(self.available) > 25:
            shown += f", ... ({len(self.available)} in all)"
        msg += f" Available: {shown or '(none)'}."
        if hint:
            msg += f" {hint}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr-quote the message
        return str(self.args[0])


class DuplicateNameError(LatentBenchError, ValueError):
    """A name registered twice in one registry."""


class SpecError(LatentBenchError, ValueError):
    """A malformed task, suite or reference-model spec."""


class CapabilityError(LatentBenchError, TypeError):
    """A model lacks a capability that a task or method needs."""


class AdapterError(LatentBenchError, TypeError):
    """An object that cannot be adapted, or a model method that raised or returned nonsense."""


class InputValidationError(LatentBenchError, ValueError):
    """Arrays of the wrong shape or dtype, non-finite values, inconsistent lengths."""


class ResourceLimitError(LatentBenchError):
    """A size or time guard was hit (too many points for a superlinear algorithm, a task over its time budget)."""


class TaskFailedError(LatentBenchError):
    """A task raised inside ``Task.run``; raised only when the caller asks for errors to propagate."""


class IncompatibleResultsError(LatentBenchError, ValueError):
    """Results from different task versions, parameters or datasets were to be put in one column."""


class MissingOptionalDependencyError(LatentBenchError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra that brings it."""


class LatentBenchWarning(UserWarning):
    """Base class of latentbench's warnings."""


class UndefinedMetricWarning(LatentBenchWarning):
    """A metric is undefined on its input (for example constant latents); NaN is returned."""
