"""The types every layer shares: task families, score specs, scores and what a task returns.

A neutral module at the bottom of the layers (see :mod:`latentbench`): the tasks declare their
scores with :class:`ScoreSpec` and return :class:`Score` values in a :class:`TaskOutput`; the
runner turns them into stored rows; the report reads those rows (and :data:`FAMILIES`, the order
families are shown in) without importing the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .exceptions import SpecError
from .stats import Estimate, bootstrap_mean, normal_estimate

__all__ = ["Direction", "FAMILIES", "STANDARDIZATIONS", "Score", "ScoreSpec", "TaskOutput"]

Direction = Literal["higher", "lower", "none"]

#: The task families, in report order.
FAMILIES: tuple[str, ...] = (
    "reconstruction", "likelihood", "collapse", "disentanglement", "dimension", "topology",
    "semantics", "anomaly", "transfer", "fairness", "privacy",
)

#: What a task may do to latents before its metrics (declared, and part of the result key).
STANDARDIZATIONS = ("none", "zscore", "whiten")


@dataclass(frozen=True)
class ScoreSpec:
    """One score a task reports.

    Parameters
    ----------
    name : str
        The metric's key.
    direction : {"higher", "lower", "none"}
        Which way is better; ``"none"`` marks a descriptive number that is shown but never ranked.
    description : str
        One line for the docs (and the report's plain-words label).
    bounds : tuple of (float or None, float or None)
        The range of valid values; values outside are an error in the task.
    unit : str
        "nats", "bits/dim", "dB", ...
    """

    name: str
    direction: Direction
    description: str = ""
    bounds: tuple[float | None, float | None] = (None, None)
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower", "none"):
            raise SpecError(f"score {self.name!r}: direction must be 'higher', 'lower' or 'none', got {self.direction!r}")


@dataclass(frozen=True)
class Score(Estimate):
    """A task's value with its uncertainty: an :class:`~latentbench.stats.Estimate` plus what the
    store keeps beside it.

    ``method`` names how the interval was made (``bootstrap``, ``subsample-se(m=...)``,
    ``mc-stderr``, ``landmark-draws``); ``per_example`` keeps the per-example values behind a mean
    so that reports can make paired comparisons between models without recomputing.

    An interval should contain its value. Where a task's interval is *meant* to leave it out (an
    interval for another quantity than the one reported, say), ``ci_note`` says why; the runner
    stores it in the row's message, and records a message of its own for an interval that excludes
    its value without a note, so such a row is never stored silently.
    """

    per_example: np.ndarray | None = field(default=None, repr=False, compare=False)
    ci_note: str | None = None

    @property
    def ci_method(self) -> str | None:
        """The interval's method (the store's column name for :attr:`method`)."""
        return self.method

    @classmethod
    def from_estimate(cls, estimate: Estimate, *, per_example: np.ndarray | None = None, ci_note: str | None = None) -> Score:
        """The score of an :class:`~latentbench.stats.Estimate`."""
        return cls(estimate.value, estimate.ci_low, estimate.ci_high, estimate.method, estimate.n, estimate.confidence,
                   estimate.stderr, estimate.details, per_example, ci_note)

    @classmethod
    def mean_of(cls, values: Any, *, rng: Any, n_resamples: int = 1000, keep: bool = True, confidence: float = 0.95) -> Score:
        """The mean of per-example ``values`` with its percentile-bootstrap interval
        (:func:`~latentbench.stats.bootstrap_mean`); the values are kept for paired tests."""
        v = np.asarray(values, dtype=np.float64)
        est = bootstrap_mean(v, rng=rng, n_resamples=n_resamples, confidence=confidence)
        return cls.from_estimate(est, per_example=v.astype(np.float32) if keep else None)

    @classmethod
    def with_stderr(cls, value: float, stderr: float, n: int, *, method: str = "mc-stderr") -> Score:
        """A value with a normal interval from a standard error."""
        return cls.from_estimate(normal_estimate(value, stderr, n=n, method=method))

    @classmethod
    def plain(cls, value: float, n: int | None = None) -> Score:
        """A value without an interval (a count, an exact quantity)."""
        return cls(float(value), n=n)

    @classmethod
    def undefined(cls, n: int | None = None) -> Score:
        """No value (NaN): the runner stores no number and records why."""
        return cls(float("nan"), n=n)


@dataclass
class TaskOutput:
    """What :meth:`latentbench.tasks.base.Task.run` returns: scores by name, optional artifacts and estimator details."""

    scores: dict[str, Score]
    artifacts: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
