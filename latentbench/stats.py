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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats as _sps

from .exceptions import InputValidationError
from .validation import check_param, check_rng

__all__ = ["bootstrap_ci", "bootstrap_mean_ci", "normal_ci", "subsample_ci", "percentile_interval", "t_ci"]


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


def subsample_ci(fn: Callable[..., Any], *arrays: Any, m: int | None = None, n_rounds: int = 20,
                 level: float = 0.95, rng: Any = 0, rescale: bool = True,
                 estimate: Any = None) -> dict[str, Any]:
    """Confidence interval by subsampling without replacement (m-out-of-n, Politis & Romano 1994).

    Draws ``n_rounds`` subsets of ``m`` distinct rows (the same rows of every array in ``arrays``),
    evaluates ``fn`` on each and turns the spread into an interval for the full-sample value.
    With ``rescale=True`` the interval is
    ``[theta - s * q_hi, theta - s * q_lo]``, where ``q`` are quantiles of ``theta_m - theta`` and
    ``s = sqrt(m / (n - m))``: the variance of a subsample estimate around the full one is
    ``sigma^2 (1/m - 1/n)`` for a root-n estimator, against ``sigma^2 / n`` for the full estimate;
    with the default ``m = n // 2``, ``s = 1``. With ``rescale=False`` the interval is the raw
    quantile range of the ``theta_m`` (describes estimates at size ``m``).

    Never resample with replacement for neighbour-based estimators: repeated rows are zero-distance
    neighbours.

    Parameters
    ----------
    fn : callable
        ``fn(*subarrays)`` returns a float or a dict of floats (an interval per key).
    *arrays : array-like or torch.Tensor, each of shape (n_samples, ...)
        Row-aligned arrays (for example input points and latent codes).
    m : int, optional
        Subsample size, ``2 <= m < n_samples``; default ``n_samples // 2``.
    n_rounds : int, default=20
        Number of subsamples.
    level : float, default=0.95
        Confidence level of the two-sided interval.
    rng : int or numpy.random.Generator, default=0
        Source of the draws.
    rescale : bool, default=True
        Scale the interval to the full sample size (see above).
    estimate : float or dict, optional
        ``fn(*arrays)`` when already known (saves one evaluation).

    Returns
    -------
    result : dict
        ``estimate``, ``ci_low``, ``ci_high`` and ``estimates`` (the ``n_rounds`` subsample values),
        and ``m``; for a dict-valued ``fn``, ``{key: {estimate, ci_low, ci_high, estimates}}`` plus ``m``.
    """
    if not arrays:
        raise InputValidationError("subsample_ci needs at least one array")
    n = len(arrays[0])
    for i, a in enumerate(arrays[1:], 1):
        if len(a) != n:
            raise InputValidationError(f"subsample_ci: array {i} has {len(a)} rows, array 0 has {n}")
    if m is None:
        m = n // 2
    check_param(m, "m", low=2, high=n - 1, integer=True)
    check_param(n_rounds, "n_rounds", low=2, integer=True)
    check_param(level, "level", low=0.0, high=1.0)
    gen = check_rng(rng)
    if estimate is None:
        estimate = fn(*arrays)
    draws = []
    for _ in range(n_rounds):
        idx = np.sort(gen.choice(n, m, replace=False))
        draws.append(fn(*[a[idx] for a in arrays]))
    s = np.sqrt(m / (n - m)) if rescale else None

    def interval(theta: float, vals: np.ndarray) -> dict[str, Any]:
        vals = np.asarray(vals, dtype=float)
        ok = vals[np.isfinite(vals)]
        if len(ok) < 2 or not np.isfinite(theta):
            return {"estimate": theta, "ci_low": np.nan, "ci_high": np.nan, "estimates": vals}
        a = (1 - level) / 2
        q_lo, q_hi = np.quantile(ok, [a, 1 - a])
        if s is None:
            lo, hi = q_lo, q_hi
        else:
            lo, hi = theta - s * (q_hi - theta), theta - s * (q_lo - theta)
        return {"estimate": theta, "ci_low": float(lo), "ci_high": float(hi), "estimates": vals}

    if isinstance(estimate, Mapping):
        out: dict[str, Any] = {
            key: interval(float(estimate[key]), np.array([float(d[key]) for d in draws])) for key in estimate
        }
        out["m"] = m
        return out
    res = interval(float(estimate), np.array(draws, dtype=float))
    res["m"] = m
    return res


def normal_ci(value: float, stderr: float, confidence: float = 0.95) -> tuple[float, float]:
    """``value ± z * stderr`` (a Monte-Carlo standard error)."""
    z = float(_sps.norm.ppf(0.5 + confidence / 2.0))
    return float(value - z * stderr), float(value + z * stderr)


def t_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of a few independent values (seeds): ``mean ± t * sd / sqrt(n)``.

    Parameters
    ----------
    values : sequence of float
        At least two values.
    confidence : float, default=0.95

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> [round(v, 4) for v in t_ci([1.0, 2.0, 4.0])]
    [-1.4612, 6.1279]
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2:
        raise InputValidationError(f"t_ci needs at least 2 values, got {len(np.atleast_1d(v))}")
    hw = float(_sps.t.ppf(0.5 + confidence / 2.0, len(v) - 1)) * float(v.std(ddof=1)) / np.sqrt(len(v))
    return float(v.mean() - hw), float(v.mean() + hw)
