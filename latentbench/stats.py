"""The statistics core: one estimate type, one bootstrap engine, one ``rng`` convention.

Every interval latentbench stores is an :class:`Estimate` (value, interval, method, n), made by
one of these schemes, whose name is recorded with the number:

* ``bootstrap``: percentile bootstrap over rows (resampled with replacement, jointly for every
  row-aligned array), for statistics of per-example quantities (means, accuracies, AUROCs, group
  disparities); with ``strata=`` the rows are resampled within each stratum (class-stratified
  intervals of AUROC and average precision, whose class sizes then stay fixed). One engine draws the resamples: :func:`resample_indices` (``rng.integers(0, n,
  (batch, n))`` per batch, exactly as ``scipy.stats.bootstrap`` draws them, so the two agree on
  the same generator) and :func:`resample_weights` (the same draws as row counts, for statistics
  written as weighted sums, which then evaluate every resample in one matrix product).
  :func:`bootstrap` and :func:`bootstrap_mean` return the :class:`Estimate`.
* ``subsample-se``: subsampling *without* replacement (m-out-of-n), for estimators that duplicated
  points would break (nearest-neighbour distances become zero): the spread of the subsample
  estimates gives a standard error of the full-sample estimate (delete-d jackknife), so an
  estimator that shifts with the sample size still gets an interval around its own value
  (:func:`subsample_ci`).
* ``mc-stderr`` / ``normal``: a normal interval from a (Monte-Carlo) standard error (:func:`normal_estimate`).
* ``t``: Student's t interval of the mean of a few independent values (training seeds; :func:`t_estimate`).

Conventions, the same in every function here and in the metrics built on them:

* ``rng`` is keyword-only and required wherever a result depends on random draws; it is an ``int``
  seed or a ``numpy.random.Generator`` (:func:`latentbench.validation.check_rng`). There is no
  default: a task passes its job's generator, so evaluation seeds always change the draws.
* ``n_resamples`` (never ``n_boot``), ``confidence`` (never ``level``), ``ci_low``/``ci_high``.
* Fewer than two finite resampled values give a NaN interval, never a made-up one.

:func:`interval_excludes` is the one test of whether an interval leaves out its own estimate (the
runner records a message when one does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as _sps

from .exceptions import InputValidationError
from .validation import check_param, check_rng

__all__ = [
    "Estimate", "bootstrap", "bootstrap_mean", "interval_excludes", "normal_estimate", "percentile_estimate",
    "percentile_interval", "resample_indices", "resample_weights", "subsample_ci", "t_estimate",
]

#: Resamples drawn at once by :func:`resample_indices` (memory ``batch * n`` indices).
BATCH = 200


@dataclass(frozen=True)
class Estimate:
    """A value with its confidence interval and how the interval was made.

    Attributes
    ----------
    value : float
        The estimate on the full data (NaN when undefined).
    ci_low, ci_high : float
        The interval's ends (NaN without an interval).
    method : str or None
        How the interval was made (``"bootstrap"``, ``"subsample-se(m=500)"``, ``"mc-stderr"``, ``"t"``...).
    n : int or None
        The number of units resampled (rows, pairs, questions, seeds).
    confidence : float
        The interval's nominal coverage.
    stderr : float or None
        A standard error, where the scheme gives one.
    details : mapping
        Scheme-specific extras (``shift`` of a subsample interval, ``n_finite`` resamples...).

    An estimate unpacks as ``value, ci_low, ci_high = estimate``.
    """

    value: float
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    method: str | None = None
    n: int | None = None
    confidence: float = 0.95
    stderr: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def interval(self) -> tuple[float, float]:
        """``(ci_low, ci_high)``."""
        return self.ci_low, self.ci_high

    @property
    def has_interval(self) -> bool:
        """Whether both ends are finite numbers."""
        return bool(np.isfinite(self.ci_low) and np.isfinite(self.ci_high))

    def __float__(self) -> float:
        return float(self.value)

    def __iter__(self) -> Iterator[float]:
        """Unpacks as ``value, ci_low, ci_high``."""
        return iter((self.value, self.ci_low, self.ci_high))


def _check_confidence(confidence: float) -> float:
    check_param(confidence, "confidence", low=0.0, high=1.0)
    if not 0.0 < confidence < 1.0:
        raise InputValidationError(f"'confidence' must be in (0, 1), got {confidence!r}")
    return float(confidence)


def percentile_interval(samples: Any, confidence: float = 0.95) -> tuple[float, float]:
    """The central ``confidence`` interval of ``samples`` (non-finite values ignored; NaN with fewer than two)."""
    _check_confidence(confidence)
    samples = np.asarray(samples, dtype=np.float64).ravel()
    samples = samples[np.isfinite(samples)]
    if len(samples) < 2:
        return float("nan"), float("nan")
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def percentile_estimate(value: float, samples: Any, *, n: int | None, confidence: float = 0.95,
                        method: str = "bootstrap") -> Estimate:
    """An :class:`Estimate` from a point value and its resampling distribution (percentile interval).

    Parameters
    ----------
    value : float
        The statistic on the full data.
    samples : array-like of shape (n_resamples,)
        The statistic on each resample (non-finite ones are ignored).
    n : int or None
        The number of units resampled.
    confidence : float, default=0.95
    method : str, default="bootstrap"
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    lo, hi = percentile_interval(samples, confidence)
    return Estimate(float(value), lo, hi, method, n, confidence, details={"n_finite": int(np.isfinite(samples).sum())})


# ---------------------------------------------------------------------------------------- the engine
def _check_strata(strata: Any, n: int) -> list[np.ndarray]:
    """The row indices of each stratum (in order of first appearance of the sorted stratum codes)."""
    s = np.asarray(strata)
    if s.ndim != 1 or len(s) != n:
        raise InputValidationError(f"'strata' must be 1-D with one code per row ({n}), got shape {s.shape}")
    if s.dtype.kind not in "biu":
        raise InputValidationError(f"'strata' must hold integer codes (class labels), got dtype {s.dtype}; "
                                   f"encode them with np.unique(strata, return_inverse=True)[1]")
    return [np.nonzero(s == v)[0] for v in np.unique(s)]


def resample_indices(n: int, *, rng: Any, n_resamples: int = 1000, batch: int = BATCH,
                     strata: Any = None) -> Iterator[np.ndarray]:
    """Bootstrap resamples of ``n`` rows, ``batch`` at a time, as arrays of row indices ``(b, n)``.

    Each batch is ``rng.integers(0, n, (b, n))``: the draws of ``scipy.stats.bootstrap`` with the
    same ``batch``, so both give the same resamples from the same generator.

    With ``strata`` (one integer code per row, e.g. inlier/anomaly) the resampling is *stratified*:
    each stratum's rows are resampled with replacement within the stratum (``rng.integers(0, n_s,
    (b, n_s))`` per stratum, in the order of the sorted codes), so every resample keeps each
    stratum's size. A statistic that needs both classes (AUROC, average precision) is then defined
    on every resample, and the interval describes the variability at the observed class sizes.

    Parameters
    ----------
    n : int
        Rows to resample (at least 1).
    rng : int or numpy.random.Generator
    n_resamples : int, default=1000
    batch : int, default=200
    strata : array-like of int of shape (n,), optional
        Stratum of each row; ``None`` resamples all rows together.
    """
    check_param(n, "n", low=1, integer=True)
    check_param(n_resamples, "n_resamples", low=1, integer=True)
    check_param(batch, "batch", low=1, integer=True)
    gen = check_rng(rng)
    groups = None if strata is None else _check_strata(strata, n)
    for start in range(0, n_resamples, batch):
        b = min(batch, n_resamples - start)
        if groups is None:
            yield gen.integers(0, n, size=(b, n))
        else:
            yield np.concatenate([rows[gen.integers(0, len(rows), size=(b, len(rows)))] for rows in groups], axis=1)


def resample_weights(n: int, *, rng: Any, n_resamples: int = 1000, batch: int = BATCH, strata: Any = None) -> np.ndarray:
    """The resamples of :func:`resample_indices` as row counts, shape ``(n_resamples, n)``.

    Row ``b`` holds how often each row is drawn in resample ``b``, so a statistic written as a
    weighted sum over rows, evaluated with these weights, is the statistic of the resample; a
    whole bootstrap distribution is then one matrix product (``W @ values / n`` for a mean).
    ``strata`` makes the resampling stratified (see :func:`resample_indices`): the counts of each
    stratum's rows then sum to the stratum's size in every resample.
    """
    out = np.empty((n_resamples, n), dtype=np.float64)
    start = 0
    for idx in resample_indices(n, rng=rng, n_resamples=n_resamples, batch=batch, strata=strata):
        b = len(idx)
        flat = (idx + (np.arange(b) * n)[:, None]).ravel()
        out[start : start + b] = np.bincount(flat, minlength=b * n).reshape(b, n)
        start += b
    return out


def bootstrap(statistic: Callable[..., Any], *arrays: Any, rng: Any, n_resamples: int = 1000, confidence: float = 0.95,
              vectorized: bool = False, batch: int = BATCH, estimate: float | None = None,
              method: str = "bootstrap", strata: Any = None) -> Estimate:
    """Percentile bootstrap of ``statistic(*arrays)``, resampling rows of all arrays together (paired).

    Parameters
    ----------
    statistic : callable
        ``statistic(*arrays) -> float``. With ``vectorized=True`` it receives arrays with a leading
        resample axis, ``(b, n, ...)``, returns ``(b,)`` values, and is called once per batch.
    *arrays : array-like, each of shape (n, ...)
        Row-aligned data (per-example values, predictions and labels, ...). Never refit a model per
        resample: pass its test predictions.
    rng : int or numpy.random.Generator
    n_resamples : int, default=1000
    confidence : float, default=0.95
    vectorized : bool, default=False
    batch : int, default=200
        Resamples drawn (and, when vectorized, evaluated) at once.
    estimate : float, optional
        ``statistic(*arrays)`` when already known.
    method : str, default="bootstrap"
        The name recorded with the interval.
    strata : array-like of int of shape (n,), optional
        Resample within each stratum (see :func:`resample_indices`).

    Returns
    -------
    Estimate
        A NaN interval with fewer than 2 rows.

    Examples
    --------
    >>> x = np.arange(10.0)
    >>> est = bootstrap(np.mean, x, rng=0, n_resamples=200)
    >>> est.value, bool(est.ci_low < 4.5 < est.ci_high), est.method
    (4.5, True, 'bootstrap')
    """
    if not arrays:
        raise InputValidationError("bootstrap needs at least one array")
    data = [np.asarray(a) for a in arrays]
    n = len(data[0])
    for i, a in enumerate(data[1:], 1):
        if len(a) != n:
            raise InputValidationError(f"bootstrap: array {i} has {len(a)} rows, array 0 has {n}; the arrays must be row-aligned")
    _check_confidence(confidence)
    if estimate is None:
        full = statistic(*(a[None] for a in data)) if vectorized else statistic(*data)
        estimate = float(np.asarray(full, dtype=np.float64).ravel()[0])
    if n < 2:
        return Estimate(float(estimate), method=method, n=n, confidence=confidence)
    samples = np.empty(n_resamples)
    start = 0
    for idx in resample_indices(n, rng=rng, n_resamples=n_resamples, batch=batch, strata=strata):
        b = len(idx)
        if vectorized:
            samples[start : start + b] = np.asarray(statistic(*(a[idx] for a in data)), dtype=np.float64).reshape(b)
        else:
            samples[start : start + b] = [statistic(*(a[row] for a in data)) for row in idx]
        start += b
    return percentile_estimate(float(estimate), samples, n=n, confidence=confidence, method=method)


def bootstrap_mean(values: Any, *, rng: Any, n_resamples: int = 1000, confidence: float = 0.95,
                   batch: int = BATCH) -> Estimate:
    """The mean of per-example ``values`` with its percentile-bootstrap interval and standard error.

    Equal to :func:`bootstrap` of the mean (and to ``scipy.stats.bootstrap`` with
    ``method="percentile"`` and the same ``batch``) on the same generator.

    Parameters
    ----------
    values : array-like of shape (n,)
    rng : int or numpy.random.Generator
    n_resamples : int, default=1000
    confidence : float, default=0.95
    batch : int, default=200
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise InputValidationError(f"values must be 1-D (one value per example), got shape {v.shape}")
    if len(v) == 0:
        raise InputValidationError("values is empty; there is nothing to average")
    est = bootstrap(lambda a: a.mean(axis=-1), v, rng=rng, n_resamples=n_resamples, confidence=confidence,
                    vectorized=True, batch=batch, estimate=float(v.mean()))
    se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None
    return Estimate(est.value, est.ci_low, est.ci_high, est.method, est.n, est.confidence, se, est.details)


def subsample_ci(fn: Callable[..., Any], *arrays: Any, m: int | None = None, n_rounds: int = 20,
                 confidence: float = 0.95, rng: Any, estimate: Any = None,
                 bounds: tuple[float | None, float | None] = (None, None)) -> Estimate | dict[str, Estimate]:
    """Confidence interval from the spread of subsample estimates (delete-d jackknife standard error).

    Draws ``n_rounds`` subsets of ``m`` distinct rows (the same rows of every array in ``arrays``),
    evaluates ``fn`` on each, and turns the *spread* of the ``theta_m`` into a standard error of the
    full-sample estimate ``theta_n``:

    ``se = sqrt(m / (n - m)) * sd(theta_m)``  and  the interval is  ``theta_n -/+ t * se``,

    with ``t`` the ``(1 + confidence) / 2`` quantile of Student's t with ``R - 1`` degrees of freedom
    (``R`` finite draws), clipped to ``bounds``. The variance of a subsample estimate around the
    full one is ``sigma^2 (1/m - 1/n)`` for a root-n estimator against ``sigma^2 / n`` for the
    full one, hence the factor (the random delete-d jackknife with ``d = n - m``, Shao & Wu 1989;
    ``m = n // 2`` by default, where the factor is 1). The t quantile accounts for estimating the
    spread from a handful of draws: with 10 or 20 draws the empirical 2.5 % and 97.5 % quantiles
    that a percentile form would need are little more than the extreme draws (such intervals
    covered 80 to 89 % where 95 % was asked, in simulation).

    **What it covers.** The interval describes the sampling variability of the estimator at the full
    sample size ``n``: it is an interval for ``E[theta_n]`` and always contains ``theta_n``. The
    spread is measured around the draws' own mean, so a shift of the estimator with the sample size
    (the finite-sample bias of kNN dimension estimators, which see a larger neighbourhood scale in
    a smaller sample, or of plug-in histogram mutual information, ``O(bins / n)``) moves every draw
    alike and leaves the interval alone. **What it does not cover:** that bias itself, i.e. the
    distance between ``E[theta_n]`` and the population value (or the ``n -> infinity`` limit);
    ``shift = mean(theta_m) - theta_n`` is returned to show how far the estimator moves between
    ``m`` and ``n`` rows. (The reflected m-out-of-n interval ``[theta - (q_hi - theta),
    theta - (q_lo - theta)]`` of Politis & Romano 1994, used before, assumes the ``theta_m`` are
    centred on ``theta_n``; with such a shift it lands beside the estimate, e.g. an MLE dimension
    of 2.586 with the interval [3.272, 3.386].)

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
    confidence : float, default=0.95
        Confidence level of the two-sided interval.
    rng : int or numpy.random.Generator
        Source of the draws (keyword-only, required).
    estimate : float or dict, optional
        ``fn(*arrays)`` when already known (saves one evaluation).
    bounds : (float or None, float or None), default=(None, None)
        The range of the statistic (``(0, 1)`` for a normalised score); the interval is clipped to it.

    Returns
    -------
    Estimate or dict of str to Estimate
        ``value`` (the full-sample estimate), ``ci_low``, ``ci_high``, ``stderr`` (the jackknife
        standard error), ``n`` (rows), ``method`` (``"subsample-se(m=...)"``) and ``details`` with
        ``shift`` (mean of the draws minus the estimate), ``draws`` (the ``n_rounds`` subsample
        values) and ``m``; one per key for a dict-valued ``fn``. The interval is NaN when fewer
        than two draws are finite or the estimate is not.

    References
    ----------
    J. Shao, C. F. J. Wu. A general theory for jackknife variance estimation. Annals of Statistics
    17, 1176-1197 (1989). D. N. Politis, J. P. Romano. Large sample confidence regions based on
    subsamples under minimal assumptions. Annals of Statistics 22, 2031-2050 (1994).

    Examples
    --------
    A statistic with a ``1/n`` bias (the plug-in variance): the interval holds the estimate.

    >>> x = np.random.default_rng(0).normal(size=200)
    >>> est = subsample_ci(lambda a: float(a.var()), x, rng=0)
    >>> bool(est.ci_low <= est.value <= est.ci_high), est.method
    (True, 'subsample-se(m=100)')
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
    _check_confidence(confidence)
    b_lo, b_hi = bounds
    if b_lo is not None and b_hi is not None and not b_lo <= b_hi:
        raise InputValidationError(f"'bounds' must be (low, high) with low <= high, got {bounds!r}")
    gen = check_rng(rng)
    if estimate is None:
        estimate = fn(*arrays)
    draws = []
    for _ in range(n_rounds):
        idx = np.sort(gen.choice(n, m, replace=False))
        draws.append(fn(*[a[idx] for a in arrays]))
    scale = np.sqrt(m / (n - m))
    method = f"subsample-se(m={m})"

    def interval(theta: float, vals: np.ndarray) -> Estimate:
        vals = np.asarray(vals, dtype=float)
        ok = vals[np.isfinite(vals)]
        details = {"draws": vals, "m": m}
        if len(ok) < 2 or not np.isfinite(theta):
            return Estimate(theta, method=method, n=n, confidence=confidence, details={**details, "shift": float("nan")})
        se = float(scale * ok.std(ddof=1))
        hw = float(_sps.t.ppf(0.5 + confidence / 2.0, len(ok) - 1)) * se
        lo, hi = theta - hw, theta + hw
        if b_lo is not None:
            lo, hi = max(lo, b_lo), max(hi, b_lo)
        if b_hi is not None:
            lo, hi = min(lo, b_hi), min(hi, b_hi)
        return Estimate(theta, float(lo), float(hi), method, n, confidence, se, {**details, "shift": float(ok.mean() - theta)})

    if isinstance(estimate, Mapping):
        return {key: interval(float(estimate[key]), np.array([float(d[key]) for d in draws])) for key in estimate}
    return interval(float(estimate), np.array(draws, dtype=float))


def interval_excludes(value: float | None, low: float | None, high: float | None, *, rtol: float = 1e-9) -> bool:
    """Whether a finite interval ``[low, high]`` leaves out its own finite ``value``.

    A relative tolerance of ``rtol`` times the largest magnitude involved absorbs rounding (an
    interval clipped to a bound that the value sits on). Missing or non-finite numbers never count
    as excluding: there is no interval to judge.

    >>> interval_excludes(2.586, 3.272, 3.386), interval_excludes(1.0, 1.0, 2.0)
    (True, False)
    """
    if value is None or low is None or high is None:
        return False
    v, lo, hi = float(value), float(low), float(high)
    if not (np.isfinite(v) and np.isfinite(lo) and np.isfinite(hi)):
        return False
    tol = rtol * max(1.0, abs(v), abs(lo), abs(hi))
    return not (lo - tol <= v <= hi + tol)


def normal_estimate(value: float, stderr: float, *, n: int | None = None, confidence: float = 0.95,
                    method: str = "mc-stderr") -> Estimate:
    """``value ± z * stderr``: a normal interval from a (Monte-Carlo) standard error."""
    _check_confidence(confidence)
    z = float(_sps.norm.ppf(0.5 + confidence / 2.0))
    value, stderr = float(value), float(stderr)
    return Estimate(value, value - z * stderr, value + z * stderr, method, n, confidence, stderr)


def t_estimate(values: Sequence[float], *, confidence: float = 0.95) -> Estimate:
    """Student-t interval of the mean of a few independent values (seeds): ``mean ± t * sd / sqrt(n)``.

    Parameters
    ----------
    values : sequence of float
        At least two values.
    confidence : float, default=0.95

    Returns
    -------
    Estimate
        ``method="t"``, ``n`` the number of values, ``stderr = sd / sqrt(n)``.

    Examples
    --------
    >>> est = t_estimate([1.0, 2.0, 4.0])
    >>> round(est.ci_low, 4), round(est.ci_high, 4)
    (-1.4612, 6.1279)
    """
    _check_confidence(confidence)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2:
        raise InputValidationError(f"t_estimate needs at least 2 values, got {len(np.atleast_1d(v))}")
    se = float(v.std(ddof=1)) / np.sqrt(len(v))
    hw = float(_sps.t.ppf(0.5 + confidence / 2.0, len(v) - 1)) * se
    return Estimate(float(v.mean()), float(v.mean() - hw), float(v.mean() + hw), "t", len(v), confidence, se)
