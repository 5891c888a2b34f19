"""Domain-adaptation metrics: how far apart a latent space puts two domains, and whether a probe transfers.

* **Proxy A-distance** (Ben-David et al., "Analysis of representations for domain adaptation",
  NIPS 2006; the form TLlib's ``tllib.utils.analysis.a_distance`` computes): a linear domain
  classifier on the codes, its held-out error ``epsilon``, and ``2 (1 - 2 epsilon)``.
* **MMD** (Gretton et al., "A kernel two-sample test", JMLR 2012): the unbiased estimator
  ``MMD^2_u`` with a Gaussian kernel (bandwidth by the median heuristic) or a linear kernel, and a
  permutation p-value.
* **CORAL distance** (Sun & Saenko, "Deep CORAL", ECCV 2016 workshops): ``||C_S - C_T||_F^2 / (4 d^2)``.
* **Transfer gap**: a logistic-regression probe trained on source codes, its accuracy on held-out
  source rows and on target rows, the gap, and the *oracle* (the same probe protocol trained on
  labelled target rows). The regularisation ``C`` is chosen by **training-domain validation**
  (DomainBed's rule, Gulrajani & Lopez-Paz 2021): on held-out source rows for the transfer probe,
  on held-out target rows for the oracle.

Every function is a pure function of codes, labels and domains, and validates its input with
one-line errors naming the argument.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, UndefinedMetricWarning
from ..stats import Estimate, percentile_estimate, resample_weights, subsample_ci
from ..validation import check_array, check_consistent_length, check_param, check_rng

__all__ = [
    "coral_bootstrap",
    "coral_distance",
    "domain_arrays",
    "median_bandwidth",
    "mmd2_unbiased",
    "mmd_test",
    "proxy_a_distance",
    "transfer_gap",
]

#: The probe's regularisation grid, searched by training-domain validation.
C_GRID: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)
#: Most pooled rows of the kernel-matrix functions (an ``N x N`` float64 matrix: 3.2 GB at this bound).
MAX_KERNEL_ROWS = 20_000
#: Fewest rows of each domain (and of each class, for a probe) the metrics accept.
MIN_ROWS = 4


# ---------------------------------------------------------------------------------------- helpers
def domain_arrays(codes: Any, domain: Any, name: str = "codes") -> tuple[np.ndarray, np.ndarray]:
    """Split ``codes`` by a 0/1 ``domain`` vector into ``(source, target)``.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_features)
    domain : array-like of shape (n_samples,)
        0 for source rows, 1 for target rows.
    name : str, default="codes"
        The argument's name in error messages.

    Returns
    -------
    source, target : ndarray
        The rows of each domain.
    """
    z = check_array(codes, name, ndim=2)
    d = _domain(domain, "domain" if name == "codes" else f"{name} domain")
    check_consistent_length(**{name: z, "domain": d})
    return z[d == 0], z[d == 1]


def _domain(domain: Any, name: str) -> np.ndarray:
    d = check_array(domain, name, ndim=1, dtype=None)
    if d.dtype.kind not in "biuf" or not np.isin(np.unique(d), (0, 1)).all():
        raise InputValidationError(f"{name} must hold 0 (source) and 1 (target), got values {np.unique(d)[:6].tolist()}")
    d = d.astype(np.int64)
    for value, which in ((0, "source (0)"), (1, "target (1)")):
        count = int((d == value).sum())
        if count < MIN_ROWS:
            raise InputValidationError(f"{name} has {count} {which} rows; each domain needs at least {MIN_ROWS} "
                                       f"(only one domain present? pass rows of both)")
    return d


def _pair(source: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    xs = check_array(source, "source", ndim=2, min_rows=MIN_ROWS)
    xt = check_array(target, "target", ndim=2, min_rows=MIN_ROWS)
    if xs.shape[1] != xt.shape[1]:
        raise InputValidationError(f"source and target must have the same number of columns, got {xs.shape[1]} and {xt.shape[1]}")
    return xs, xt


def _check_kernel_rows(xs: np.ndarray, xt: np.ndarray) -> None:
    if len(xs) + len(xt) > MAX_KERNEL_ROWS:
        raise InputValidationError(f"source and target have {len(xs) + len(xt)} rows together, more than {MAX_KERNEL_ROWS} (the "
                                   f"pooled kernel matrix is N x N); pass a random subsample of each")


def _constant(x: np.ndarray) -> bool:
    return bool(np.all(np.ptp(x, axis=0) == 0))


def _logistic(C: float, *, balanced: bool = False) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, class_weight="balanced" if balanced else None))


def _fit(X: np.ndarray, y: np.ndarray, C: float, *, balanced: bool = False) -> Any:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _logistic(C, balanced=balanced).fit(X, y)


# ---------------------------------------------------------------------------------------- proxy A-distance
def proxy_a_distance(codes_train: Any, domain_train: Any, codes_test: Any, domain_test: Any, *, rng: Any, C: float = 1.0,
                     n_resamples: int = 1000, confidence: float = 0.95) -> Estimate:
    """Proxy A-distance between two domains in a code space, with a bootstrap interval.

    A linear domain classifier (standardization then logistic regression, classes weighted
    ``"balanced"``) is trained on ``codes_train`` to tell source rows (``domain = 0``) from target
    rows (``domain = 1``); ``epsilon`` is its **balanced** error on the held-out ``codes_test``
    (the mean of the two domains' error rates: equal to TLlib's plain error when the domains are
    equally large, and 0.5 for a classifier that cannot tell them apart whatever their sizes).
    The proxy A-distance is ``2 (1 - 2 epsilon)`` (TLlib's ``a_distance.calculate``). Where
    ``epsilon > 0.5`` (a classifier worse than chance on held-out rows, which happens by chance
    when the domains are alike) it is **folded** to ``1 - epsilon``, as the original procedure of
    Ben-David et al. (2006) does, so the value is ``2 |1 - 2 epsilon|``, in ``[0, 2]``: 0 when the
    domains cannot be told apart, 2 when they are separable.

    The interval resamples the held-out rows (percentile bootstrap of the signed ``2 (1 - 2
    epsilon)``; the classifier is never refitted) and folds it too: the set of ``|v|`` for ``v`` in
    the signed interval, which contains 0 whenever the signed interval does.

    Parameters
    ----------
    codes_train, codes_test : array-like of shape (n_train, d) and (n_test, d)
        Codes the classifier is trained on, and held-out codes it is scored on.
    domain_train, domain_test : array-like of shape (n_train,) and (n_test,)
        0 (source) or 1 (target); each needs at least 4 rows of each domain.
    rng : int or numpy.random.Generator
        The bootstrap's draws.
    C : float, default=1.0
        The logistic regression's inverse regularisation strength.
    n_resamples : int, default=1000
    confidence : float, default=0.95

    Returns
    -------
    Estimate
        ``value`` the folded proxy A-distance with its interval; ``details``: ``epsilon`` (the
        balanced held-out error before folding), ``folded`` (whether ``epsilon > 0.5``),
        ``signed`` (``2 (1 - 2 epsilon)``) and its interval ``signed_ci``. NaN, with an
        :class:`~latentbench.exceptions.UndefinedMetricWarning`, for constant codes.

    References
    ----------
    Ben-David, Blitzer, Crammer & Pereira, NIPS 2006; Ganin et al., JMLR 2016 (section 5.1.5);
    TLlib ``tllib/utils/analysis/a_distance.py``.
    """
    check_param(C, "C", low=1e-12)
    check_param(n_resamples, "n_resamples", low=1, integer=True)
    Xtr = check_array(codes_train, "codes_train", ndim=2)
    Xte = check_array(codes_test, "codes_test", ndim=2)
    dtr, dte = _domain(domain_train, "domain_train"), _domain(domain_test, "domain_test")
    check_consistent_length(codes_train=Xtr, domain_train=dtr)
    check_consistent_length(codes_test=Xte, domain_test=dte)
    if Xtr.shape[1] != Xte.shape[1]:
        raise InputValidationError(f"codes_train and codes_test must have the same number of columns, got {Xtr.shape[1]} and {Xte.shape[1]}")
    if _constant(Xtr):
        warnings.warn("codes_train are constant: no domain classifier can be trained; proxy A-distance is NaN",
                      UndefinedMetricWarning, stacklevel=2)
        return Estimate(float("nan"), method="bootstrap", n=len(Xte), confidence=confidence)
    clf = _fit(Xtr, dtr, C, balanced=True)
    wrong = (clf.predict(Xte) != dte).astype(np.float64)
    W = resample_weights(len(Xte), rng=rng, n_resamples=n_resamples)

    def balanced_error(weights: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            e0 = (weights[:, dte == 0] @ wrong[dte == 0]) / weights[:, dte == 0].sum(axis=1)
            e1 = (weights[:, dte == 1] @ wrong[dte == 1]) / weights[:, dte == 1].sum(axis=1)
        return (e0 + e1) / 2.0

    eps = float(balanced_error(np.ones((1, len(Xte))))[0])
    signed = 2.0 * (1.0 - 2.0 * eps)
    signed_est = percentile_estimate(signed, 2.0 * (1.0 - 2.0 * balanced_error(W)), n=len(Xte), confidence=confidence)
    lo, hi = signed_est.ci_low, signed_est.ci_high
    if np.isfinite(lo) and np.isfinite(hi):
        f_lo = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
        f_hi = max(abs(lo), abs(hi))
    else:
        f_lo = f_hi = float("nan")
    return Estimate(abs(signed), f_lo, f_hi, "bootstrap (held-out rows, folded)", len(Xte), confidence,
                    details={"epsilon": eps, "folded": eps > 0.5, "signed": signed, "signed_ci": (lo, hi), "C": C,
                             "n_train": len(Xtr), **signed_est.details})


# ---------------------------------------------------------------------------------------- MMD
def median_bandwidth(source: Any, target: Any) -> float:
    """The median heuristic: the median Euclidean distance between distinct rows of the pooled sample.

    Parameters
    ----------
    source, target : array-like of shape (n, d) and (m, d)

    Returns
    -------
    float
        ``sigma`` of the Gaussian kernel ``exp(-||x - y||^2 / (2 sigma^2))``; 0 when every pooled
        row is the same point.
    """
    xs, xt = _pair(source, target)
    _check_kernel_rows(xs, xt)
    Z = np.concatenate([xs, xt])
    D = _sq_dists(Z)
    iu = np.triu_indices(len(Z), k=1)
    return float(np.median(np.sqrt(D[iu])))  # the median of the distances (not the root of the squared ones' median)


def _sq_dists(Z: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", Z, Z)
    D = sq[:, None] + sq[None, :] - 2.0 * (Z @ Z.T)
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def _kernel(Z: np.ndarray, kernel: str, bandwidth: float | None) -> tuple[np.ndarray, float | None]:
    if kernel == "linear":
        return Z @ Z.T, None
    D = _sq_dists(Z)
    if bandwidth is None:
        bandwidth = float(np.median(np.sqrt(D[np.triu_indices(len(Z), k=1)])))
    if not bandwidth > 0:
        return np.full_like(D, np.nan), bandwidth
    return np.exp(-D / (2.0 * bandwidth**2)), bandwidth


def _mmd2_from_kernel(K: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Unbiased MMD^2 for each row of ``A`` (``(b, N)`` 0/1 indicators of the source rows) from the pooled kernel ``K``."""
    B = 1.0 - A
    diag = np.diag(K)
    KA = A @ K
    KB = B @ K
    m, n = A.sum(axis=1), B.sum(axis=1)
    sxx = np.einsum("bi,bi->b", KA, A) - A @ diag
    syy = np.einsum("bi,bi->b", KB, B) - B @ diag
    sxy = np.einsum("bi,bi->b", KA, B)
    return sxx / (m * (m - 1)) + syy / (n * (n - 1)) - 2.0 * sxy / (m * n)


def _check_kernel(kernel: str, bandwidth: float | None) -> None:
    check_param(kernel, "kernel", options=("gaussian", "linear"))
    if bandwidth is not None:
        check_param(bandwidth, "bandwidth", low=1e-300)
        if not np.isfinite(bandwidth):
            raise InputValidationError(f"'bandwidth' must be a finite number > 0 or None (median heuristic), got {bandwidth!r}")


def mmd2_unbiased(source: Any, target: Any, *, kernel: str = "gaussian", bandwidth: float | None = None) -> float:
    """The unbiased estimate of the squared maximum mean discrepancy, ``MMD^2_u`` (Gretton et al. 2012, eq. 3).

    ``MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
    - 2/(mn) sum_{i, j} k(x_i, y_j)``. It can be negative when the distributions are alike.

    Parameters
    ----------
    source, target : array-like of shape (m, d) and (n, d)
        At least 4 rows each.
    kernel : {"gaussian", "linear"}, default="gaussian"
        ``exp(-||x - y||^2 / (2 sigma^2))`` or ``<x, y>`` (with the linear kernel ``MMD^2`` is the
        squared distance between the means, estimated without bias).
    bandwidth : float, optional
        ``sigma`` of the Gaussian kernel; default the median heuristic (:func:`median_bandwidth`).

    Returns
    -------
    float
        NaN, with an :class:`~latentbench.exceptions.UndefinedMetricWarning`, for a Gaussian kernel
        on constant codes (bandwidth 0).
    """
    _check_kernel(kernel, bandwidth)
    xs, xt = _pair(source, target)
    _check_kernel_rows(xs, xt)
    K, sigma = _kernel(np.concatenate([xs, xt]), kernel, bandwidth)
    if kernel == "gaussian" and not (sigma and sigma > 0):
        warnings.warn("the codes are constant: the median-heuristic bandwidth is 0 and MMD is undefined", UndefinedMetricWarning,
                      stacklevel=2)
        return float("nan")
    a = np.zeros((1, len(xs) + len(xt)))
    a[0, : len(xs)] = 1.0
    return float(_mmd2_from_kernel(K, a)[0])


def mmd_test(source: Any, target: Any, *, rng: Any, kernel: str = "gaussian", bandwidth: float | None = None,
             n_permutations: int = 500, n_rounds: int = 20, confidence: float = 0.95) -> dict[str, Any]:
    """``MMD^2_u`` with a permutation p-value and a subsampling interval.

    The p-value is ``(1 + #{b: MMD^2_b >= MMD^2}) / (1 + n_permutations)`` over random
    reassignments of the pooled rows to the two samples (sizes kept), with the kernel and bandwidth
    fixed on the pooled sample (so the test is exact: uniform on {1/(B+1), ..., 1} under the
    null). The interval is the delete-d jackknife of :func:`latentbench.stats.subsample_ci` over
    pooled rows (a bootstrap would duplicate rows, which the unbiased estimator reads as
    self-similarity).

    Parameters
    ----------
    source, target : array-like of shape (m, d) and (n, d)
    rng : int or numpy.random.Generator
    kernel : {"gaussian", "linear"}, default="gaussian"
    bandwidth : float, optional
        Default: the median heuristic on the pooled sample.
    n_permutations : int, default=500
    n_rounds : int, default=20
        Subsamples of the interval.
    confidence : float, default=0.95

    Returns
    -------
    dict
        ``mmd2`` (an :class:`~latentbench.stats.Estimate`), ``p_value``, ``bandwidth`` (``None`` for
        the linear kernel), ``kernel``, ``n_permutations``, ``null_mean`` (the permutation mean).
    """
    _check_kernel(kernel, bandwidth)
    check_param(n_permutations, "n_permutations", low=1, high=100_000, integer=True)
    check_param(n_rounds, "n_rounds", low=2, high=1000, integer=True)
    xs, xt = _pair(source, target)
    _check_kernel_rows(xs, xt)
    gen = check_rng(rng)
    Z = np.concatenate([xs, xt])
    N, m = len(Z), len(xs)
    K, sigma = _kernel(Z, kernel, bandwidth)
    if kernel == "gaussian" and not (sigma and sigma > 0):
        warnings.warn("the codes are constant: the median-heuristic bandwidth is 0 and MMD is undefined", UndefinedMetricWarning,
                      stacklevel=2)
        nan = float("nan")
        return {"mmd2": Estimate(nan, method="subsample-se", n=N, confidence=confidence), "p_value": nan, "bandwidth": sigma,
                "kernel": kernel, "n_permutations": n_permutations, "null_mean": nan}
    a0 = np.zeros(N)
    a0[:m] = 1.0
    value = float(_mmd2_from_kernel(K, a0[None])[0])
    exceed, null_sum = 0, 0.0
    for start in range(0, n_permutations, 100):
        b = min(100, n_permutations - start)
        A = np.stack([a0[gen.permutation(N)] for _ in range(b)])
        stats = _mmd2_from_kernel(K, A)
        exceed += int((stats >= value - 1e-12 * max(1.0, abs(value))).sum())
        null_sum += float(stats.sum())
    d = np.concatenate([np.zeros(m), np.ones(N - m)])

    def on_rows(z: np.ndarray, dd: np.ndarray) -> float:
        if min((dd == 0).sum(), (dd == 1).sum()) < 2:
            return float("nan")
        Ks, _ = _kernel(z, kernel, sigma)
        return float(_mmd2_from_kernel(Ks, (dd == 0).astype(np.float64)[None])[0])

    est = subsample_ci(on_rows, Z, d, n_rounds=n_rounds, confidence=confidence, rng=gen, estimate=value)
    assert isinstance(est, Estimate)
    return {"mmd2": est, "p_value": (1 + exceed) / (1 + n_permutations), "bandwidth": sigma, "kernel": kernel,
            "n_permutations": n_permutations, "null_mean": null_sum / n_permutations}


# ---------------------------------------------------------------------------------------- CORAL
def coral_distance(source: Any, target: Any) -> float:
    """CORAL distance: ``||C_S - C_T||_F^2 / (4 d^2)`` (Sun & Saenko 2016, eq. 1).

    ``C_S`` and ``C_T`` are the unbiased feature covariances (``(n - 1)`` denominators, eq. 2-3
    of the paper) of the source and target codes, ``d`` the number of features: the Deep CORAL
    loss. It is 0 for equal covariances and scales with the fourth power of the codes' scale
    (standardize codes before comparing spaces; the task z-scores them).

    Parameters
    ----------
    source, target : array-like of shape (m, d) and (n, d)
        At least 4 rows each.

    Returns
    -------
    float
    """
    xs, xt = _pair(source, target)
    d = xs.shape[1]
    diff = np.cov(xs, rowvar=False).reshape(d, d) - np.cov(xt, rowvar=False).reshape(d, d)
    return float(np.sum(diff**2) / (4.0 * d * d))


def coral_bootstrap(source: Any, target: Any, *, rng: Any, n_resamples: int = 1000, confidence: float = 0.95) -> Estimate:
    """:func:`coral_distance` with a percentile-bootstrap interval (each domain's rows resampled on their own).

    Parameters
    ----------
    source, target : array-like of shape (m, d) and (n, d)
    rng : int or numpy.random.Generator
    n_resamples : int, default=1000
    confidence : float, default=0.95

    Returns
    -------
    Estimate
        The distance is a squared norm, so resampling noise alone makes it positive: at no shift the
        interval sits just above 0 (read it beside the value on an unshifted copy).
    """
    from ..stats import resample_indices

    check_param(n_resamples, "n_resamples", low=1, high=100_000, integer=True)
    source, target = _pair(source, target)
    gen = check_rng(rng)
    value = coral_distance(source, target)
    idx_s = np.concatenate(list(resample_indices(len(source), rng=gen, n_resamples=n_resamples)))
    idx_t = np.concatenate(list(resample_indices(len(target), rng=gen, n_resamples=n_resamples)))
    samples = np.array([coral_distance(source[i], target[j]) for i, j in zip(idx_s, idx_t)])
    return percentile_estimate(value, samples, n=len(source) + len(target), confidence=confidence)


# ---------------------------------------------------------------------------------------- transfer gap
def _labels(y: Any, name: str) -> np.ndarray:
    arr = check_array(y, name, ndim=1, dtype=None)
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise InputValidationError(f"{name} must hold class labels, got non-integral numbers")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biuUO":
        raise InputValidationError(f"{name} must hold class labels, got dtype {arr.dtype}")
    return arr


def _select_and_fit(X: np.ndarray, y: np.ndarray, gen: np.random.Generator, grid: tuple[float, ...],
                    val_fraction: float) -> tuple[Any, float, dict[str, float]]:
    """Training-domain validation: pick ``C`` by accuracy on a held-out part of ``(X, y)``, refit on all of it."""
    if len(grid) == 1:
        return _fit(X, y, grid[0]), grid[0], {}
    n_val = max(2, int(round(len(X) * val_fraction)))
    perm = gen.permutation(len(X))
    val, tr = perm[:n_val], perm[n_val:]
    if len(np.unique(y[tr])) < 2:
        return _fit(X, y, 1.0), 1.0, {}
    scores = {}
    for C in grid:
        scores[str(C)] = float((_fit(X[tr], y[tr], C).predict(X[val]) == y[val]).mean())
    best = max(grid, key=lambda c: (scores[str(c)], -abs(np.log10(c))))  # ties: the C closest to 1
    return _fit(X, y, best), best, scores


def transfer_gap(codes_source_train: Any, labels_source_train: Any, codes_source_test: Any, labels_source_test: Any,
                 codes_target_test: Any, labels_target_test: Any, *, rng: Any, codes_target_train: Any = None,
                 labels_target_train: Any = None, C_grid: tuple[float, ...] = C_GRID, val_fraction: float = 0.2,
                 n_resamples: int = 1000, confidence: float = 0.95) -> dict[str, Any]:
    """Does a probe trained on the source domain work on the target domain?

    A logistic-regression probe (standardization with the training rows' statistics) is trained
    on labelled source codes, its ``C`` chosen from ``C_grid`` by **training-domain validation**
    (accuracy on a held-out ``val_fraction`` of the source training rows, then refitted on all of
    them: DomainBed's rule; the target labels are never used to choose it). It is scored on held-out
    source rows and on target rows; the **gap** is source accuracy minus target accuracy. Given
    labelled target training rows, the **oracle** trains the same protocol on them (``C`` by
    validation on held-out target rows) and scores the same target rows: the accuracy a target-
    trained probe reaches in this code space, beside which the transfer accuracy is read.

    Intervals are percentile bootstraps of the test rows (source and target resampled
    independently, the probes never refitted); the gap's interval pairs the two resamples.

    Parameters
    ----------
    codes_source_train, labels_source_train : array-like of shape (n_s, d), (n_s,)
    codes_source_test, labels_source_test : array-like of shape (m_s, d), (m_s,)
    codes_target_test, labels_target_test : array-like of shape (m_t, d), (m_t,)
    rng : int or numpy.random.Generator
        The validation split and the bootstrap's draws.
    codes_target_train, labels_target_train : array-like, optional
        Labelled target rows for the oracle (omitted: no oracle).
    C_grid : tuple of float, default=(0.01, 0.1, 1, 10)
    val_fraction : float, default=0.2
    n_resamples : int, default=1000
    confidence : float, default=0.95

    Returns
    -------
    dict
        ``source_accuracy``, ``target_accuracy``, ``gap``, ``oracle_accuracy`` (NaN without
        target training rows) and ``oracle_gap`` (oracle minus target accuracy) as
        :class:`~latentbench.stats.Estimate`; ``C`` and ``oracle_C`` (the chosen values),
        ``validation`` (accuracy per ``C``), ``model_selection`` (the rule, in words), ``gap_samples``
        (the gap on each bootstrap resample: two calls with the same integer ``rng`` and the same
        test sizes draw the same resamples, so their gaps can be compared pairwise).
    """
    check_param(val_fraction, "val_fraction", low=0.05, high=0.5)
    if not C_grid or any(not isinstance(c, (int, float)) or isinstance(c, bool) or not c > 0 for c in C_grid):
        raise InputValidationError(f"'C_grid' must be a non-empty sequence of numbers > 0, got {C_grid!r}")
    gen = check_rng(rng)
    Xs = check_array(codes_source_train, "codes_source_train", ndim=2, min_rows=MIN_ROWS)
    ys = _labels(labels_source_train, "labels_source_train")
    Xsv = check_array(codes_source_test, "codes_source_test", ndim=2)
    ysv = _labels(labels_source_test, "labels_source_test")
    Xt = check_array(codes_target_test, "codes_target_test", ndim=2)
    yt = _labels(labels_target_test, "labels_target_test")
    check_consistent_length(codes_source_train=Xs, labels_source_train=ys)
    check_consistent_length(codes_source_test=Xsv, labels_source_test=ysv)
    check_consistent_length(codes_target_test=Xt, labels_target_test=yt)
    for name, X in (("codes_source_test", Xsv), ("codes_target_test", Xt)):
        if X.shape[1] != Xs.shape[1]:
            raise InputValidationError(f"{name} has {X.shape[1]} columns, codes_source_train {Xs.shape[1]}")
    if len(np.unique(ys)) < 2:
        raise InputValidationError(f"labels_source_train has a single class {np.unique(ys).tolist()}; the probe needs at least two")
    grid = tuple(float(c) for c in C_grid)
    probe, C, validation = _select_and_fit(Xs, ys, gen, grid, val_fraction)
    ok_s = (probe.predict(Xsv) == ysv).astype(np.float64)
    ok_t = (probe.predict(Xt) == yt).astype(np.float64)
    Ws = resample_weights(len(ok_s), rng=gen, n_resamples=n_resamples)
    Wt = resample_weights(len(ok_t), rng=gen, n_resamples=n_resamples)
    bs, bt = Ws @ ok_s / len(ok_s), Wt @ ok_t / len(ok_t)
    out: dict[str, Any] = {
        "source_accuracy": percentile_estimate(ok_s.mean(), bs, n=len(ok_s), confidence=confidence),
        "target_accuracy": percentile_estimate(ok_t.mean(), bt, n=len(ok_t), confidence=confidence),
        "gap": percentile_estimate(ok_s.mean() - ok_t.mean(), bs - bt, n=len(ok_s) + len(ok_t), confidence=confidence),
        "gap_samples": bs - bt, "C": C, "validation": validation,
        "model_selection": f"training-domain validation: C from {list(grid)} by accuracy on a held-out {val_fraction:.0%} of the "
                           f"source training rows, then refitted on all of them (target labels unused)",
    }
    nan = Estimate(float("nan"), n=len(ok_t), confidence=confidence)
    out["oracle_accuracy"] = out["oracle_gap"] = nan
    out["oracle_C"] = None
    if codes_target_train is not None or labels_target_train is not None:
        Xo = check_array(codes_target_train, "codes_target_train", ndim=2, min_rows=MIN_ROWS)
        yo = _labels(labels_target_train, "labels_target_train")
        check_consistent_length(codes_target_train=Xo, labels_target_train=yo)
        if Xo.shape[1] != Xs.shape[1]:
            raise InputValidationError(f"codes_target_train has {Xo.shape[1]} columns, codes_source_train {Xs.shape[1]}")
        if len(np.unique(yo)) >= 2:
            oracle, oC, _ = _select_and_fit(Xo, yo, gen, grid, val_fraction)
            ok_o = (oracle.predict(Xt) == yt).astype(np.float64)
            bo = Wt @ ok_o / len(ok_o)
            out["oracle_accuracy"] = percentile_estimate(ok_o.mean(), bo, n=len(ok_o), confidence=confidence)
            out["oracle_gap"] = percentile_estimate(ok_o.mean() - ok_t.mean(), bo - bt, n=len(ok_o), confidence=confidence)
            out["oracle_C"] = oC
    return out
