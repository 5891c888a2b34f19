"""Paired comparisons of two models on the same evaluation examples, with Holm's correction.

Two models scored on the *same* rows (same split fingerprint, same seed, same subsample) give
per-example values ``a_i`` and ``b_i``; the difference of their mean scores is the mean of
``d_i = a_i - b_i``. Resampling the rows (a paired bootstrap) gives its interval and a two-sided
bootstrap p-value. Comparing each model with the best of a row is a family of tests: Holm's
step-down procedure controls the family-wise error. A model is *tied* with the best when its
Holm-adjusted p-value exceeds ``alpha`` (equivalently, the adjusted interval of the paired
difference contains 0). Overlapping marginal intervals never decide a tie: two models can have
wide, overlapping intervals and still differ on nearly every example.

References
----------
Efron, B. and Tibshirani, R. (1993). An Introduction to the Bootstrap, ch. 15-16.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand. J. Statist. 6, 65-70.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..stats import percentile_interval, resample_indices
from ..validation import check_rng

__all__ = ["PairedDifference", "holm", "paired_bootstrap", "seeded_rng"]


@dataclass(frozen=True)
class PairedDifference:
    """The paired difference ``mean(a) - mean(b)`` with its bootstrap interval and p-value.

    Attributes
    ----------
    diff : float
        Mean of the per-example differences (averaged over evaluation seeds when there are several).
    ci_low, ci_high : float
        Percentile bootstrap interval at ``confidence``.
    p_value : float
        Two-sided bootstrap p-value of "no difference": ``(1 + 2 min(#{d* <= 0}, #{d* >= 0})) / (B + 1)``,
        capped at 1; its resolution is ``1 / (B + 1)``.
    n : int
        Examples compared (all seeds together).
    n_resamples : int
    confidence : float
    """

    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_resamples: int
    confidence: float


def seeded_rng(*parts: object) -> np.random.Generator:
    """A generator seeded from the given labels, so a report gives the same numbers every time."""
    return np.random.default_rng([zlib.crc32(str(p).encode()) for p in parts] or [0])


def paired_bootstrap(a: Sequence[np.ndarray] | np.ndarray, b: Sequence[np.ndarray] | np.ndarray, *,
                     rng: Any, n_resamples: int = 2000, confidence: float = 0.95,
                     batch: int = 250) -> PairedDifference:
    """Paired bootstrap of the difference of two mean scores.

    Parameters
    ----------
    a, b : array of shape (n,) or sequence of such arrays
        Per-example values of two models on the same rows in the same order; a sequence holds one
        array per evaluation seed (rows are resampled within each seed, and the statistic is the
        mean over seeds of the per-seed mean differences, as the leaderboard averages seeds).
    rng : int or numpy.random.Generator
        Keyword-only, required; the resamples come from :func:`latentbench.stats.resample_indices`.
    n_resamples : int, default=2000
    confidence : float, default=0.95
    batch : int, default=250
        Resamples drawn at once (memory ``batch * n``).

    Returns
    -------
    PairedDifference

    Raises
    ------
    ValueError
        When the two sides have different numbers of seeds or of examples, or fewer than 2 examples.
    """
    blocks_a = [np.asarray(a, dtype=np.float64)] if isinstance(a, np.ndarray) else [np.asarray(x, dtype=np.float64) for x in a]
    blocks_b = [np.asarray(b, dtype=np.float64)] if isinstance(b, np.ndarray) else [np.asarray(x, dtype=np.float64) for x in b]
    if len(blocks_a) != len(blocks_b) or not blocks_a:
        raise ValueError(f"paired_bootstrap: 'a' and 'b' must hold the same number of seeds, got {len(blocks_a)} and {len(blocks_b)}")
    diffs = []
    for x, y in zip(blocks_a, blocks_b):
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"paired_bootstrap: per-example arrays must have the same shape (n,), got {x.shape} and {y.shape}")
        if len(x) < 2:
            raise ValueError(f"paired_bootstrap: need at least 2 examples, got {len(x)}")
        diffs.append(x - y)
    observed = float(np.mean([d.mean() for d in diffs]))
    boot = np.zeros(n_resamples)
    gen = check_rng(rng)
    for d in diffs:
        start = 0
        for idx in resample_indices(len(d), rng=gen, n_resamples=n_resamples, batch=batch):
            boot[start : start + len(idx)] += d[idx].mean(axis=1)
            start += len(idx)
    boot /= len(diffs)
    lo, hi = percentile_interval(boot, confidence)
    # exact zeros (identical per-example values) count on both sides: p = 1
    tol = 1e-12 * max(1.0, float(np.max(np.abs(boot))) if len(boot) else 1.0)
    le, ge = int(np.sum(boot <= tol)), int(np.sum(boot >= -tol))
    p = min(1.0, (1.0 + 2.0 * min(le, ge)) / (n_resamples + 1.0))
    return PairedDifference(observed, float(lo), float(hi), float(p), int(sum(len(d) for d in diffs)), n_resamples, confidence)


def holm(p_values: Mapping[str, float] | Sequence[float]) -> dict[str, float] | list[float]:
    """Holm-adjusted p-values (step-down; controls the family-wise error rate).

    Parameters
    ----------
    p_values : mapping of name to float, or sequence of float

    Returns
    -------
    dict or list
        The adjusted p-values in the same shape: ``p_adj(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``
        over the ascending order. A hypothesis is rejected at level ``alpha`` when ``p_adj <= alpha``.

    Examples
    --------
    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    names = list(p_values) if isinstance(p_values, Mapping) else list(range(len(p_values)))
    values = [float(p_values[k]) for k in names] if isinstance(p_values, Mapping) else [float(v) for v in p_values]
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[i]))
        adjusted[i] = running
    if isinstance(p_values, Mapping):
        return {names[i]: adjusted[i] for i in range(m)}
    return adjusted
