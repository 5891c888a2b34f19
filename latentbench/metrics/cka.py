"""Centered kernel alignment (CKA): how alike two representations of the same rows are.

For codes ``X`` (n, p) and ``Y`` (n, q) of the same ``n`` rows (two models, or two layers), with
Gram matrices ``K`` and ``L`` and the centering matrix ``H = I - 11^T / n``:

* ``HSIC(K, L) = tr(K H L H) / (n - 1)^2`` (Gretton et al. 2005), and
  ``CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))`` (Kornblith et al., ICML 2019), in [0, 1].
* **Linear** CKA: ``K = X X^T``; equal to ``||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F)``
  with column-centred codes. Invariant to orthogonal transforms and isotropic scaling of either
  space, and to translation; *not* invariant to scaling the axes by different factors.
* **RBF** CKA: ``K_ij = exp(-||x_i - x_j||^2 / (2 threshold^2 median(D^2)))``, the bandwidth set by
  the median heuristic on the squared distances (every entry of ``D^2``, diagonal zeros included,
  as in Kornblith et al.'s reference code); ``threshold = 1`` by default.
* **Debiased** CKA: HSIC replaced by its unbiased estimator (Song et al., JMLR 2012),
  ``HSIC_u = [tr(K~ L~) + 1^T K~ 1 1^T L~ 1 / ((n-1)(n-2)) - 2/(n-2) 1^T K~ L~ 1] / (n (n-3))`` with
  ``K~`` the Gram matrix with a zero diagonal. Biased CKA of two *independent* high-dimensional
  codes is far from 0 at small ``n`` (about ``sqrt(pq)/n``-sized terms dominate); the debiased one
  is about 0 (Nguyen, Raghu & Kornblith, ICLR 2021; Davari et al., ICLR 2023). Needs ``n >= 4``; it can
  be slightly negative, and it is clipped to nothing.

Intervals (:func:`cka_estimate`): subsampling rows without replacement
(:func:`latentbench.stats.subsample_ci`, both codes together), never a bootstrap with replacement: a
repeated row puts its self-similarity off the diagonal of both Gram matrices, which inflates biased CKA
(the percentile interval can leave the estimate out) and is exactly the term the unbiased estimator removes.

Scale: each code array is divided by a power of two before the Gram matrices are formed (exact), so
codes at 1e-300 or 1e300 give what the same codes at unit scale give; constant codes give NaN with
an :class:`~latentbench.exceptions.UndefinedMetricWarning`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from ..stats import Estimate, subsample_ci
from ..validation import check_consistent_length, check_param
from ._convention import score_function
from .scaling import rescale, undefined

__all__ = ["CKA_KERNELS", "cka_estimate", "hsic", "linear_cka_score", "rbf_cka_score"]

#: The kinds of CKA :func:`cka_estimate` computes, by name.
CKA_KERNELS = ("linear", "linear-debiased", "rbf", "rbf-debiased")

#: Above this many rows the n x n Gram matrices are refused (subsample first).
CKA_MAX_ROWS = 20_000


def _check_pair(X: Any, Y: Any, min_rows: int = 2) -> tuple[np.ndarray, np.ndarray, str | None]:
    rx, ry = rescale(X, "X", min_rows=min_rows), rescale(Y, "Y", min_rows=min_rows)
    check_consistent_length(X=rx.x, Y=ry.x)
    n = len(rx.x)
    if n > CKA_MAX_ROWS:
        raise InputValidationError(f"X has {n} rows; CKA forms n x n Gram matrices, at most {CKA_MAX_ROWS} rows: subsample the rows")
    why = "X is constant" if rx.degenerate else "Y is constant" if ry.degenerate else None
    return rx.x, ry.x, why


def _check_threshold(threshold: Any) -> None:
    check_param(threshold, "threshold", low=1e-3, high=1e3)


def _gram_linear(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(axis=0)
    return Xc @ Xc.T


def _sq_distances(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->i", Xc, Xc)
    D = sq[:, None] + sq[None, :] - 2.0 * (Xc @ Xc.T)
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def _gram_rbf(X: np.ndarray, threshold: float) -> tuple[np.ndarray, float]:
    D = _sq_distances(X)
    med = float(np.median(D))
    if not med > 0:  # more than half the pairs coincide: the median heuristic has no scale
        return np.full_like(D, np.nan), med
    return np.exp(-D / (2.0 * threshold**2 * med)), med


def _center(K: np.ndarray) -> np.ndarray:
    return K - K.mean(axis=0)[None, :] - K.mean(axis=1)[:, None] + K.mean()


def _hsic_biased(Kc: np.ndarray, Lc: np.ndarray) -> float:
    """``tr(Kc Lc) / (n - 1)^2`` of already centred symmetric Gram matrices."""
    n = len(Kc)
    return float(np.sum(Kc * Lc)) / (n - 1) ** 2


def _hsic_unbiased(K: np.ndarray, L: np.ndarray) -> float:
    n = len(K)
    Kt, Lt = K.copy(), L.copy()
    np.fill_diagonal(Kt, 0.0)
    np.fill_diagonal(Lt, 0.0)
    sk, sl = Kt.sum(axis=0), Lt.sum(axis=0)
    value = np.sum(Kt * Lt) + sk.sum() * sl.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * float(sk @ sl)
    return float(value) / (n * (n - 3))


def _cka_from_grams(K: np.ndarray, L: np.ndarray, debiased: bool) -> float:
    if debiased:
        kl, kk, ll = _hsic_unbiased(K, L), _hsic_unbiased(K, K), _hsic_unbiased(L, L)
    else:
        Kc, Lc = _center(K), _center(L)
        kl, kk, ll = _hsic_biased(Kc, Lc), _hsic_biased(Kc, Kc), _hsic_biased(Lc, Lc)
    denom = kk * ll
    if not (np.isfinite(denom) and denom > 0):
        return float("nan")
    return float(kl / np.sqrt(denom))


def _grams(X: np.ndarray, Y: np.ndarray, kernel: str, threshold: float) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    if kernel.startswith("rbf"):
        K, mx = _gram_rbf(X, threshold)
        L, my = _gram_rbf(Y, threshold)
        return K, L, {"median_sq_distance_x": mx, "median_sq_distance_y": my}
    return _gram_linear(X), _gram_linear(Y), {}


def hsic(K: Any, L: Any, *, debiased: bool = False) -> float:
    """Hilbert-Schmidt independence criterion of two Gram matrices of the same rows.

    Parameters
    ----------
    K, L : array-like of shape (n, n)
        Symmetric Gram (kernel) matrices, e.g. ``X @ X.T``.
    debiased : bool, default=False
        ``False``: the biased estimator ``tr(K H L H) / (n-1)^2`` (Gretton et al. 2005); ``True``: the
        unbiased estimator of Song et al. (JMLR 2012), which needs ``n >= 4``.

    Returns
    -------
    float
    """
    from ..validation import check_array

    K = check_array(K, "K", ndim=2, min_rows=2)
    L = check_array(L, "L", ndim=2, min_rows=2)
    for name, M in (("K", K), ("L", L)):
        if M.shape[0] != M.shape[1]:
            raise InputValidationError(f"{name} must be a square Gram matrix (n, n), got shape {M.shape}")
    if K.shape != L.shape:
        raise InputValidationError(f"K and L must have the same shape, got {K.shape} and {L.shape}")
    if debiased and len(K) < 4:
        raise InputValidationError(f"K has {len(K)} rows; the unbiased HSIC needs at least 4")
    scale = max(float(np.abs(K).max()), float(np.abs(L).max()), 1e-300)
    e = int(np.frexp(scale)[1])  # exact power-of-two rescaling: 1e300 entries do not overflow the products
    K, L = np.ldexp(K, -e), np.ldexp(L, -e)
    value = _hsic_unbiased(K, L) if debiased else _hsic_biased(_center(K), _center(L))
    return float(np.ldexp(value, 2 * e))


@score_function("cka")
def linear_cka_score(X: Any, Y: Any, *, debiased: bool = False, return_details: bool = False) -> Any:
    """Linear CKA between two codes of the same rows (Kornblith et al. 2019), higher is more alike.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features_x)
    Y : array-like of shape (n_samples, n_features_y)
        The codes of the same ``n_samples`` rows (any dimensions).
    debiased : bool, default=False
        Use the unbiased HSIC estimator (Nguyen et al. 2021), near 0 for independent codes at any
        ``n`` (needs ``n >= 4``).

    Returns
    -------
    dict
        ``cka`` in [0, 1] (debiased: may dip slightly below 0), ``n``, ``debiased``.

    References
    ----------
    S. Kornblith, M. Norouzi, H. Lee, G. Hinton. Similarity of neural network representations revisited. ICML 2019.
    """
    X, Y, why = _check_pair(X, Y, min_rows=4 if debiased else 2)
    if why:
        return {"cka": undefined("linear_cka_score", why), "n": len(X), "debiased": debiased}
    return {"cka": _cka_from_grams(_gram_linear(X), _gram_linear(Y), debiased), "n": len(X), "debiased": debiased}


@score_function("cka")
def rbf_cka_score(X: Any, Y: Any, *, threshold: float = 1.0, debiased: bool = False, return_details: bool = False) -> Any:
    """RBF-kernel CKA between two codes of the same rows, bandwidth by the median heuristic.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features_x)
    Y : array-like of shape (n_samples, n_features_y)
    threshold : float, default=1.0
        The bandwidth is ``threshold * sqrt(median squared distance)`` of each code separately
        (Kornblith et al. 2019 use 0.2 to 2; 1 is their default).
    debiased : bool, default=False
        Use the unbiased HSIC estimator.

    Returns
    -------
    dict
        ``cka``, ``n``, ``median_sq_distance_x``, ``median_sq_distance_y`` (of the rescaled codes).
    """
    _check_threshold(threshold)
    X, Y, why = _check_pair(X, Y, min_rows=4 if debiased else 2)
    if why:
        return {"cka": undefined("rbf_cka_score", why), "n": len(X)}
    K, L, meds = _grams(X, Y, "rbf", float(threshold))
    if not (meds["median_sq_distance_x"] > 0 and meds["median_sq_distance_y"] > 0):
        return {"cka": undefined("rbf_cka_score", "more than half the pairs of rows coincide (median distance 0)"), "n": len(X), **meds}
    return {"cka": _cka_from_grams(K, L, debiased), "n": len(X), **meds}


def cka_estimate(X: Any, Y: Any, *, kernel: str = "linear", rng: Any, n_rounds: int = 50, confidence: float = 0.95,
                 threshold: float = 1.0) -> Estimate:
    """CKA of two codes of the same rows, with a confidence interval over rows.

    The interval comes from subsampling rows without replacement (:func:`latentbench.stats.subsample_ci`:
    ``n_rounds`` subsets of ``n // 2`` rows, both codes together, the RBF bandwidth recomputed on each;
    the estimate plus or minus ``t`` delete-d jackknife standard errors). Not a percentile bootstrap:
    a bootstrap resample repeats rows, and a repeated row adds its self-similarity off the diagonal of
    both Gram matrices, which inflates CKA (MiniLM against word2vec on 376 SimLex words: 0.237, and
    the percentile bootstrap interval [0.265, 0.319] left the estimate out).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features_x)
    Y : array-like of shape (n_samples, n_features_y)
    kernel : {"linear", "linear-debiased", "rbf", "rbf-debiased"}, default="linear"
    rng : int or numpy.random.Generator
        The subsample draws (keyword-only, required).
    n_rounds : int, default=50
        Subsamples (each costs one CKA on ``n // 2`` rows).
    confidence : float, default=0.95
    threshold : float, default=1.0
        RBF bandwidth factor (see :func:`rbf_cka_score`).

    Returns
    -------
    Estimate
        ``method`` ``"subsample-se(m=...)"``, ``n`` rows, ``stderr``; ``details["shift"]`` is how far
        the half-size estimates sit from the full one (the biased estimators grow as rows drop).
    """
    if kernel not in CKA_KERNELS:
        raise InputValidationError(f"kernel must be one of {list(CKA_KERNELS)}, got {kernel!r}")
    _check_threshold(threshold)
    check_param(n_rounds, "n_rounds", low=2, high=100_000, integer=True)
    debiased = kernel.endswith("debiased")
    X, Y, why = _check_pair(X, Y, min_rows=8 if debiased else 4)
    n = len(X)
    if why:
        return Estimate(undefined("cka_estimate", why), n=n)

    def stat(a: np.ndarray, b: np.ndarray) -> float:
        K, L, _ = _grams(a, b, kernel, float(threshold))
        return _cka_from_grams(K, L, debiased)

    value = stat(X, Y)
    if not np.isfinite(value):
        return Estimate(undefined("cka_estimate", "the kernel of X or Y is degenerate (more than half the rows coincide)"), n=n)
    est = subsample_ci(stat, X, Y, rng=rng, n_rounds=n_rounds, confidence=confidence, estimate=value,
                       bounds=(None if debiased else 0.0, 1.0))
    assert isinstance(est, Estimate)
    return est
