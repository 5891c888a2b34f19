"""Anomaly detection: detectors on latent codes (or raw inputs) and their ranking metrics with intervals.

The one-class protocol: a detector is fitted on *inliers only* (the training split's codes) and
scores the test rows, higher meaning "more anomalous". Detectors here need only codes, so any
encoder (precomputed latents included) is scored on one footing:

* :func:`knn_distance`: distance to the k-th nearest training code (Ramaswamy et al. 2000), the
  family's primary detector;
* :func:`mahalanobis_distance`: to the training codes' mean under a Ledoit-Wolf shrinkage covariance
  (scikit-learn), the right detector for a Gaussian inlier cloud;
* :func:`isolation_forest_scores`, :func:`lof_scores`: scikit-learn's Isolation Forest and Local
  Outlier Factor (``novelty=True``), negated ``score_samples``;
* :func:`pyod_scores`: any PyOD detector by class name (optional extra ``anomaly``), called through PyOD.

Scores from a model's decoder or likelihood (reconstruction error, negative ELBO, negative IWAE
bound) are computed by the task from the likelihood family's code and ranked by the same metrics.

:func:`detection_estimates` turns a score and the ground truth into AUROC, average precision and
TPR at fixed FPRs, each with a percentile-bootstrap interval *stratified by class* (inliers and
anomalies resampled separately, so every resample has both and the class sizes stay fixed);
:func:`paired_auroc_difference` compares two scores of the same examples with the same resamples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputValidationError, MissingOptionalDependencyError
from ..stats import Estimate, percentile_estimate, resample_weights
from ..validation import check_array, check_consistent_length, check_param, check_rng
from .neighbors import knn_query
from .ranking import (
    auroc_placements, auroc_score, min_negatives, weighted_auroc, weighted_average_precision, weighted_tpr_at_fpr,
)

__all__ = [
    "detection_estimates", "isolation_forest_scores", "knn_distance", "lof_scores", "mahalanobis_distance",
    "paired_auroc_difference", "pyod_scores",
]

ANOMALY_EXTRA = "anomaly"


def _pair_codes(z_train: Any, z_test: Any, min_train: int = 1) -> tuple[np.ndarray, np.ndarray]:
    A = check_array(z_train, "z_train", ndim=2, dtype=np.float64, min_rows=min_train)
    B = check_array(z_test, "z_test", ndim=2, dtype=np.float64, min_rows=1)
    if B.shape[1] != A.shape[1]:
        raise InputValidationError(f"z_test must have {A.shape[1]} columns like z_train, got shape {B.shape}")
    return A, B


# ---------------------------------------------------------------------------------------- detectors
def knn_distance(z_train: Any, z_test: Any, k: int = 5) -> np.ndarray:
    """Distance from each test code to its ``k``-th nearest training code (higher: more anomalous).

    Parameters
    ----------
    z_train : array-like of shape (n_train, n_dims)
        Codes of the inliers the detector is fitted on.
    z_test : array-like of shape (n_test, n_dims)
        Codes to score.
    k : int, default=5
        In ``[1, n_train]``.

    Returns
    -------
    ndarray of shape (n_test,)
        Exact float64 distances (:func:`latentbench.metrics.neighbors.knn_query`).

    References
    ----------
    S. Ramaswamy, R. Rastogi, K. Shim. Efficient algorithms for mining outliers from large data sets.
    SIGMOD 2000.
    """
    A, B = _pair_codes(z_train, z_test)
    check_param(k, "k", low=1, high=len(A), integer=True)
    dist, _ = knn_query(A, B, int(k))
    return dist[:, -1]


def mahalanobis_distance(z_train: Any, z_test: Any) -> np.ndarray:
    """Mahalanobis distance of each test code to the training codes' mean, under the Ledoit-Wolf
    shrinkage covariance of the training codes (:class:`sklearn.covariance.LedoitWolf`).

    Parameters
    ----------
    z_train : array-like of shape (n_train, n_dims)
        At least 2 rows.
    z_test : array-like of shape (n_test, n_dims)

    Returns
    -------
    ndarray of shape (n_test,)
        ``sqrt((z - mu)^T S^-1 (z - mu))`` (higher: more anomalous).

    References
    ----------
    O. Ledoit, M. Wolf. A well-conditioned estimator for large-dimensional covariance matrices.
    J. Multivariate Analysis 88, 365-411 (2004).
    """
    from sklearn.covariance import LedoitWolf

    A, B = _pair_codes(z_train, z_test, min_train=2)
    scale = float(np.abs(A).max()) or 1.0  # LedoitWolf's moments would overflow at 1e200; distances are scale-free
    lw = LedoitWolf().fit(A / scale)
    if not np.all(np.isfinite(lw.precision_)):
        raise InputValidationError("z_train gives a covariance that cannot be inverted (constant codes?); "
                                   "the Mahalanobis detector needs codes that vary")
    return np.sqrt(np.maximum(lw.mahalanobis(B / scale), 0.0))


def isolation_forest_scores(z_train: Any, z_test: Any, *, rng: Any, n_estimators: int = 100) -> np.ndarray:
    """Isolation Forest fitted on the training codes (scikit-learn), scores ``-score_samples`` (higher: more anomalous).

    Parameters
    ----------
    z_train : array-like of shape (n_train, n_dims)
    z_test : array-like of shape (n_test, n_dims)
    rng : int or numpy.random.Generator
        Seeds the forest (keyword-only, required).
    n_estimators : int, default=100

    References
    ----------
    F. T. Liu, K. M. Ting, Z.-H. Zhou. Isolation forest. ICDM 2008.
    """
    from sklearn.ensemble import IsolationForest

    A, B = _pair_codes(z_train, z_test)
    check_param(n_estimators, "n_estimators", low=1, high=100000, integer=True)
    seed = int(check_rng(rng).integers(2**31))
    forest = IsolationForest(n_estimators=int(n_estimators), random_state=seed).fit(A)
    return -forest.score_samples(B)


def lof_scores(z_train: Any, z_test: Any, k: int = 20) -> np.ndarray:
    """Local Outlier Factor of each test code against the training codes (scikit-learn, ``novelty=True``).

    Parameters
    ----------
    z_train : array-like of shape (n_train, n_dims)
        At least 2 rows.
    z_test : array-like of shape (n_test, n_dims)
    k : int, default=20
        Neighbours, capped at ``n_train - 1``.

    Returns
    -------
    ndarray of shape (n_test,)
        ``-score_samples`` (the LOF; about 1 for inliers, higher: more anomalous).

    References
    ----------
    M. M. Breunig, H.-P. Kriegel, R. T. Ng, J. Sander. LOF: identifying density-based local outliers. SIGMOD 2000.
    """
    from sklearn.neighbors import LocalOutlierFactor

    A, B = _pair_codes(z_train, z_test, min_train=2)
    check_param(k, "k", low=1, integer=True)
    lof = LocalOutlierFactor(n_neighbors=min(int(k), len(A) - 1), novelty=True).fit(A)
    return -lof.score_samples(B)


def pyod_scores(z_train: Any, z_test: Any, detector: str = "ECOD", *, rng: Any, **params: Any) -> np.ndarray:
    """A PyOD detector fitted on the training codes, its ``decision_function`` on the test codes.

    Parameters
    ----------
    z_train : array-like of shape (n_train, n_dims)
    z_test : array-like of shape (n_test, n_dims)
    detector : str, default="ECOD"
        A class of ``pyod.models`` (``ECOD``, ``COPOD``, ``IForest``, ``KNN``, ``LOF``, ``HBOS``, ``OCSVM``, ...).
    rng : int or numpy.random.Generator
        Seeds detectors that take a ``random_state`` (keyword-only, required).
    **params
        The detector's own arguments.

    Returns
    -------
    ndarray of shape (n_test,)
        Higher: more anomalous (PyOD's convention).

    Raises
    ------
    MissingOptionalDependencyError
        Without PyOD (``pip install 'latentbench[anomaly]'``).
    """
    import importlib
    import inspect

    A, B = _pair_codes(z_train, z_test, min_train=2)
    try:
        import pyod  # noqa: F401
    except ImportError:
        raise MissingOptionalDependencyError(
            f"PyOD detectors need the optional package 'pyod': pip install 'latentbench[{ANOMALY_EXTRA}]'") from None
    if not isinstance(detector, str) or not detector.isidentifier():
        raise InputValidationError(f"'detector' must be the name of a pyod.models class (ECOD, IForest, ...), got {detector!r}")
    cls = None
    for module in (detector.lower(), detector.lower().replace("forest", "_forest")):
        try:
            cls = getattr(importlib.import_module(f"pyod.models.{module}"), detector, None)
        except ImportError:
            continue
        if cls is not None:
            break
    if cls is None:
        raise InputValidationError(f"'detector' {detector!r} is not a PyOD detector class (try ECOD, COPOD, IForest, KNN, LOF, HBOS)")
    kwargs = dict(params)
    if "random_state" in inspect.signature(cls).parameters and "random_state" not in kwargs:
        kwargs["random_state"] = int(check_rng(rng).integers(2**31))
    model = cls(**kwargs).fit(A)
    return np.asarray(model.decision_function(B), dtype=np.float64)


# ---------------------------------------------------------------------------------------- metrics
def _check_truth(scores: Any, is_anomaly: Any, name: str = "scores") -> tuple[np.ndarray, np.ndarray]:
    s = check_array(scores, name, ndim=1, dtype=np.float64, finite=True)
    y = check_array(is_anomaly, "is_anomaly", ndim=1, finite=True)
    check_consistent_length(**{name: s, "is_anomaly": y})
    values = np.unique(y)
    if not np.isin(values, (0, 1)).all():
        raise InputValidationError(f"is_anomaly must hold 0 (inlier) and 1 (anomaly), got {values[:6].tolist()}")
    y = y.astype(np.int64)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise InputValidationError(f"is_anomaly must hold both inliers and anomalies; got {n_pos} anomalies among {len(y)} "
                                   f"rows (AUROC and average precision are undefined for one class)")
    return s, y


def detection_estimates(scores: Any, is_anomaly: Any, *, rng: Any, n_resamples: int = 1000, confidence: float = 0.95,
                        max_fprs: tuple[float, ...] = (0.01, 0.05), weights: np.ndarray | None = None) -> dict[str, Any]:
    """AUROC, average precision and TPR at fixed FPRs of an anomaly score, with class-stratified bootstrap intervals.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Finite detector scores, higher meaning "more anomalous".
    is_anomaly : array-like of shape (n_samples,)
        0 (inlier) or 1 (anomaly); both must be present.
    rng : int or numpy.random.Generator
        Source of the resamples (keyword-only, required; unused when ``weights`` are given).
    n_resamples : int, default=1000
    confidence : float, default=0.95
    max_fprs : tuple of float, default=(0.01, 0.05)
        FPR levels of the TPR scores.
    weights : ndarray of shape (n_resamples, n_samples), optional
        Bootstrap counts to reuse (to pair intervals of several detectors on the same rows); drawn
        with ``strata=is_anomaly`` otherwise.

    Returns
    -------
    dict
        ``auroc`` and ``average_precision`` (:class:`~latentbench.stats.Estimate`, equal to
        scikit-learn's values on the same scores), ``tpr_at_fpr`` (``{max_fpr: Estimate}``; NaN with
        ``unsupported[max_fpr]`` saying why when there are fewer than ``ceil(5 / max_fpr)`` inliers),
        ``placements`` (per-example AUROC components whose mean is the AUROC, for paired tests),
        ``constant`` (the score ranks nothing: every example tied), ``n_anomalies``, ``n_inliers``,
        ``prevalence``.
    """
    s, y = _check_truth(scores, is_anomaly)
    check_param(n_resamples, "n_resamples", low=1, integer=True)
    W = resample_weights(len(s), rng=rng, n_resamples=n_resamples, strata=y) if weights is None else weights
    n = len(s)
    n_neg = int((y == 0).sum())
    auc = auroc_score(y, s)
    out: dict[str, Any] = {
        "auroc": percentile_estimate(auc, weighted_auroc(s, y, W), n=n, confidence=confidence, method="bootstrap-stratified"),
        "average_precision": percentile_estimate(weighted_average_precision(s, y), weighted_average_precision(s, y, W), n=n,
                                                 confidence=confidence, method="bootstrap-stratified"),
        "tpr_at_fpr": {}, "unsupported": {}, "placements": auroc_placements(y, s),
        "constant": bool(np.ptp(s) == 0), "n_anomalies": n - n_neg, "n_inliers": n_neg, "prevalence": (n - n_neg) / n,
    }
    for a in max_fprs:
        need = min_negatives(a)
        if n_neg < need:
            out["tpr_at_fpr"][a] = Estimate(float("nan"), n=n)
            out["unsupported"][a] = (f"TPR at {a:g} FPR needs at least {need} inliers (5 above the threshold); "
                                     f"the test rows hold {n_neg}")
            continue
        out["tpr_at_fpr"][a] = percentile_estimate(weighted_tpr_at_fpr(s, y, a), weighted_tpr_at_fpr(s, y, a, W), n=n,
                                                   confidence=confidence, method="bootstrap-stratified")
    return out


def paired_auroc_difference(scores_a: Any, scores_b: Any, is_anomaly: Any, *, rng: Any, n_resamples: int = 1000,
                            confidence: float = 0.95) -> Estimate:
    """``AUROC(scores_a) - AUROC(scores_b)`` on the same examples, with a paired, class-stratified bootstrap.

    Both AUROCs are evaluated on the same resamples of the rows, so the interval reflects only how
    the two scores rank the *same* examples differently (two models, or a model and its raw-input
    baseline). ``details["p_value"]`` is the two-sided bootstrap p-value of "no difference",
    ``(1 + 2 min(#{d* <= 0}, #{d* >= 0})) / (B + 1)`` capped at 1 (the report's convention).

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (n_samples,)
    is_anomaly : array-like of shape (n_samples,)
        0/1, both present.
    rng : int or numpy.random.Generator
    n_resamples : int, default=1000
    confidence : float, default=0.95

    Returns
    -------
    Estimate
    """
    a, y = _check_truth(scores_a, is_anomaly, "scores_a")
    b = check_array(scores_b, "scores_b", ndim=1, dtype=np.float64, finite=True)
    check_consistent_length(scores_a=a, scores_b=b)
    check_param(n_resamples, "n_resamples", low=1, integer=True)
    W = resample_weights(len(a), rng=rng, n_resamples=n_resamples, strata=y)
    diff = auroc_score(y, a) - auroc_score(y, b)
    draws = weighted_auroc(a, y, W) - weighted_auroc(b, y, W)
    est = percentile_estimate(diff, draws, n=len(a), confidence=confidence, method="paired-bootstrap-stratified")
    p = min(1.0, (1 + 2 * min(int((draws <= 0).sum()), int((draws >= 0).sum()))) / (len(draws) + 1))
    return Estimate(est.value, est.ci_low, est.ci_high, est.method, est.n, est.confidence, None,
                    {**est.details, "p_value": float(p)})
