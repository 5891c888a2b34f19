"""Confidence intervals: the resampling schemes tasks choose from (and record).

* ``bootstrap``: percentile bootstrap of a statistic of per-example values (resampling rows with
  replacement), for metrics that are means of per-example quantities (reconstruction error, ELBO).
* ``subsample``: m-out-of-n subsampling *without* replacement, for estimators that duplicated
  points would break (nearest-neighbour distances become zero).
* ``mc-stderr``: a normal interval from a Monte-Carlo standard error.
* ``seeds``: the spread of a statistic over independent random draws (probe seeds, landmark draws).

Every function takes an explicit ``rng`` and returns ``(low, high)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats as _sps

__all__ = ["bootstrap_ci", "bootstrap_mean_ci", "normal_ci", "subsample_ci", "percentile_interval"]


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """The central ``confidence`` interval of ``samples`` (NaNs ignored)."""
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.nanquantile(np.asarray(samples, dtype=np.float64), [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def bootstrap_mean_ci(values: np.ndarray, rng: np.random.Generator, *, n_resamples: int = 1000,
                      confidence: float = 0.95, chunk: int = 200) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (shape ``(n,)``).

    Resamples are drawn in chunks so memory stays at ``chunk * n`` indices.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n < 2:
        return float("nan"), float("nan")
    means = np.empty(n_resamples)
    for s in range(0, n_resamples, chunk):
        m = min(chunk, n_resamples - s)
        idx = rng.integers(0, n, size=(m, n))
        means[s : s + m] = values[idx].mean(axis=1)
    return percentile_interval(means, confidence)


def bootstrap_ci(statistic: Callable[..., float], arrays: Sequence[np.ndarray], rng: np.random.Generator, *,
                 n_resamples: int = 1000, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(*arrays)``, resampling rows of all arrays together.

    For probes, pass the *test predictions* (never refit a model per resample).
    """
    n = len(arrays[0])
    if n < 2:
        return float("nan"), float("nan")
    stats = np.empty(n_resamples)
    for b in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        stats[b] = statistic(*(a[idx] for a in arrays))
    return percentile_interval(stats, confidence)


def subsample_ci(statistic: Callable[[np.ndarray], float], n: int, rng: np.random.Generator, *, m: int | None = None,
                 n_rounds: int = 20, confidence: float = 0.95) -> tuple[float, float, np.ndarray]:
    """m-out-of-n subsampling without replacement: ``statistic(rows)`` over ``n_rounds`` random row sets.

    Returns ``(low, high, values)``; the interval is the percentile interval of the values, which
    describes the estimator's spread at sample size ``m`` (default ``n // 2``).
    """
    m = n // 2 if m is None else m
    values = np.array([statistic(np.sort(rng.choice(n, size=m, replace=False))) for _ in range(n_rounds)])
    lo, hi = percentile_interval(values, confidence)
    return lo, hi, values


def normal_ci(value: float, stderr: float, confidence: float = 0.95) -> tuple[float, float]:
    """``value ± z * stderr`` (a Monte-Carlo standard error)."""
    z = float(_sps.norm.ppf(0.5 + confidence / 2.0))
    return float(value - z * stderr), float(value + z * stderr)
