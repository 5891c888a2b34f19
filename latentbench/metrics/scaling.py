"""Rescaling codes for scale-invariant metrics, and the verdict on codes that stay degenerate.

Every metric that is invariant to a rescaling of the codes (trustworthiness, continuity, kNN recall,
distortion ratios, farthest-point landmarks and persistence diagrams after normalisation, the
intrinsic-dimension estimators, the histogram and classifier-based disentanglement scores) must give
the same number for ``z``, ``1e-300 * z`` and ``1e200 * z``. Squared distances of codes at 1e-300
underflow to 0 and at 1e200 overflow to inf, so each such metric first rescales its inputs with
:func:`rescale`, and only codes that are still degenerate *after* rescaling are degenerate: constant
codes (in float64: codes whose spread is below the resolution of their offset are constant too) or
fewer distinct rows than the metric needs (for example ``<= k`` for a k-nearest-neighbour metric).
Those get NaN and an
:class:`~latentbench.exceptions.UndefinedMetricWarning` (:func:`undefined`), never a number.

How codes are rescaled
----------------------
By a power of two: ``x * 2**-e`` with ``e`` the binary exponent of the largest absolute centred
coordinate (``x - x.mean(axis=0)``) overall (``per_dimension=False``: one factor for every
dimension, which keeps distances isotropic) or per column (``per_dimension=True``, for metrics that
treat each dimension on its own). Multiplying by a power of two is exact in floating point (short of
subnormal numbers), so on ordinary codes a metric computes bit for bit what it computed before,
and a scale factor is undone exactly where a metric reports a length. Because no number depends on
the factor, it is the largest centred coordinate, not a robust statistic, that sets it: it makes
every centred coordinate at most 1 in magnitude, so the squared distances of the rescaled codes are
at most ``4 * n_features``, always finite (codes whose squared distances overflowed are exactly the
ones this rescaling repairs), and underflow only between points closer than about 1e-154 times the
codes' extent. The codes themselves are not centred (a translation changes no distance, but
rounding the coordinates of a tight cluster far from the origin would).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import UndefinedMetricWarning
from ..validation import check_array

__all__ = ["Rescaled", "rescale", "rescale_exponent", "n_distinct_rows", "undefined"]

# columns used for a cheap lower bound on the number of distinct rows before the exact count
_PROBE_COLUMNS = 16


@dataclass(frozen=True)
class Rescaled:
    """Codes rescaled by a power of two, and whether they are degenerate.

    Attributes
    ----------
    x : ndarray of shape (n_samples, n_features), float64
        ``original * 2.0 ** -exponent`` (column-wise with ``per_dimension=True``).
    exponent : int or ndarray of int
        The power of two divided out; undo it with ``numpy.ldexp(value, exponent)``.
    degenerate : str or None
        Why the codes are degenerate after rescaling (``"constant"``, or ``"2 distinct rows, at
        least 11 needed"``), or ``None``.
    """

    x: np.ndarray
    exponent: Any
    degenerate: str | None

    def undo(self, value: Any, power: int = 1) -> Any:
        """A length (``power=1``) or squared length (``power=2``) measured on :attr:`x`, in the original units."""
        return np.ldexp(value, power * np.asarray(self.exponent))


def rescale_exponent(x: np.ndarray, *, per_dimension: bool = False) -> Any:
    """The binary exponent(s) ``e`` that bring the largest absolute centred coordinate of ``x`` into ``[0.5, 1)``.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features), float64, finite
    per_dimension : bool, default=False
        One exponent for all columns (isotropic) or one per column.

    Returns
    -------
    exponent : int or ndarray of int of shape (n_features,)
        0 where the codes (or a column) are constant.
    """
    return _exponent_and_spread(x, per_dimension)[0]


def _exponent_and_spread(x: np.ndarray, per_dimension: bool) -> tuple[Any, Any]:
    """``(exponent, spread)``: the exponent(s) of :func:`rescale_exponent` and the largest absolute
    centred coordinate(s) they come from (0 exactly when the codes, or a column, are constant)."""
    if x.size == 0:
        zero = np.zeros(x.shape[1], dtype=np.int64) if per_dimension else 0
        return zero, (np.zeros(x.shape[1]) if per_dimension else 0.0)
    hi, lo = x.max(axis=0), x.min(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = x.mean(axis=0)
        col = np.maximum(hi - mean, mean - lo)  # largest |x - mean| per column, without an n x d copy
    if not np.isfinite(col).all():  # values near the float64 limit: measure on a copy bounded by 1
        e0 = np.frexp(np.maximum(np.abs(hi), np.abs(lo)).max())[1]
        x1 = np.ldexp(x, -e0)
        col = np.ldexp(np.abs(x1 - x1.mean(axis=0)).max(axis=0), e0)  # back in the units of x: finite now
    col = np.where(hi > lo, col, 0.0)  # a constant column has spread 0 (its mean may be rounded off it)
    spread = col if per_dimension else col.max()
    e = np.where(spread > 0, np.frexp(spread)[1], 0).astype(np.int64)
    return (e, spread) if per_dimension else (int(e), float(spread))


def n_distinct_rows(x: np.ndarray, at_least: int | None = None) -> int:
    """The number of distinct rows of ``x`` (``-0.0`` equals ``0.0``).

    With ``at_least``, counting may stop early: any result ``>= at_least`` only says "at least
    that many" (a few high-variance columns already separate that many rows).
    """
    x = np.asarray(x, dtype=np.float64) + 0.0
    if at_least is not None and x.shape[1] > _PROBE_COLUMNS:
        cols = np.argsort(-x.var(axis=0), kind="stable")[:_PROBE_COLUMNS]
        k = len(np.unique(x[:, cols], axis=0))
        if k >= at_least:
            return k
    return len(np.unique(x, axis=0)) if len(x) else 0


def rescale(x: Any, name: str = "x", *, per_dimension: bool = False, min_distinct: int = 2,
            min_rows: int = 1) -> Rescaled:
    """Validate ``x``, rescale it by a power of two and say whether it is degenerate.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        Codes or inputs of a scale-invariant metric.
    name : str, default="x"
        The argument's name, for error messages.
    per_dimension : bool, default=False
        ``False``: one power of two for all dimensions (for metrics of distances, which are invariant
        only to isotropic scaling). ``True``: one per dimension (for metrics that look at each
        dimension separately: histograms, trees, standardised classifiers).
    min_distinct : int, default=2
        The fewest distinct rows the metric needs; fewer is degenerate (2: only constant codes are).
    min_rows : int, default=1
        Passed to the input check.

    Returns
    -------
    Rescaled
        The rescaled codes, the exponent and the verdict.
    """
    x = check_array(x, name, min_rows=min_rows)
    e, spread = _exponent_and_spread(x, per_dimension)
    xs = np.ldexp(x, -np.asarray(e)) if np.any(e) else x
    if not np.any(spread > 0):
        return Rescaled(xs, e, "constant")
    if min_distinct > 2:
        k = n_distinct_rows(xs, at_least=min_distinct)
        if k < min_distinct:
            return Rescaled(xs, e, f"{k} distinct rows, at least {min_distinct} needed")
    return Rescaled(xs, e, None)


def undefined(metric: str, message: str, *, stacklevel: int = 3) -> float:
    """Warn that ``metric`` is undefined (:class:`UndefinedMetricWarning`) and return NaN."""
    warnings.warn(f"{metric}: {message}; returning NaN", UndefinedMetricWarning, stacklevel=stacklevel)
    return float("nan")
