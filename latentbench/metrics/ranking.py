"""Ranking metrics of a binary score: AUROC, average precision (AUPRC) and the TPR at a fixed FPR.

The anomaly family (and the fairness family's leakage AUROC) read them. Each has two forms:

* ``*_score(y_true, y_score)`` (scikit-learn's argument order): one value on the data, exact, equal
  to :func:`sklearn.metrics.roc_auc_score` / :func:`sklearn.metrics.average_precision_score` on the
  same input (pinned to 1e-12 in the tests). :func:`auroc_score` is the exact Mann-Whitney count:
  the negatives' scores are sorted once and each positive's rank among them is two
  ``searchsorted`` calls, ``O(n log n)`` without building the ROC curve (``bench/bench_anomaly.py``
  measures it against scikit-learn).
* ``weighted_*(scores, labels, weights)``: the same statistic under row weights; a 2-D ``weights``
  (bootstrap counts from :func:`latentbench.stats.resample_weights`) gives the whole bootstrap
  distribution in one pass, so intervals never loop over scikit-learn calls.

Conventions: the positive class (label 1) is the one the score should rank *high* (the anomalies);
ties between a positive and a negative count one half (AUROC) and tied scores form one threshold
(average precision, TPR at FPR), as in scikit-learn. A single class makes every one of them
undefined: NaN with an :class:`~latentbench.exceptions.UndefinedMetricWarning`, never 0.5.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, UndefinedMetricWarning
from ..validation import check_array, check_consistent_length, check_param
from ._convention import score_function

__all__ = [
    "auroc_placements", "auroc_score", "average_precision_score", "tpr_at_fpr_score", "weighted_auroc",
    "weighted_average_precision", "weighted_tpr_at_fpr",
]


def _vector(x: Any, name: str) -> np.ndarray:
    return check_array(x, name, ndim=1, dtype=np.float64, finite=True)


def _binary(x: Any, name: str) -> np.ndarray:
    arr = check_array(x, name, ndim=1, finite=True)
    bad = (arr != 0) & (arr != 1)  # two passes, no sort (np.unique would sort a million labels)
    if bad.any():
        values = np.unique(np.r_[arr[bad][:1000], arr[~bad][:2]])
        raise InputValidationError(f"{name} must hold binary values 0/1 (1 = positive, e.g. anomaly), got {values[:6].tolist()}")
    return arr.astype(np.int64)


def _pair(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    y = _binary(y_true, "y_true")
    s = _vector(y_score, "y_score")
    check_consistent_length(y_true=y, y_score=s)
    return y, s


def _weights(weights: Any, n: int) -> tuple[np.ndarray, bool]:
    single = weights is None or np.asarray(weights).ndim == 1
    if weights is None:
        return np.ones((1, n)), True
    W = check_array(weights, "weights", ndim=(1, 2)).reshape(-1, np.asarray(weights).shape[-1])
    if W.shape[1] != n:
        raise InputValidationError(f"weights must have one column per sample ({n}), got shape {np.asarray(weights).shape}")
    if (W < 0).any():
        raise InputValidationError("weights must be non-negative (row counts or weights)")
    return W, single


def _undefined(what: str) -> None:
    warnings.warn(f"{what} is undefined with a single class (it needs positives and negatives); returning NaN",
                  UndefinedMetricWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------- AUROC
@score_function("auroc")
def auroc_score(y_true: Any, y_score: Any, *, return_details: bool = False) -> Any:
    """Area under the ROC curve, as the exact Mann-Whitney count.

    ``AUROC = (#{s_pos > s_neg} + 0.5 #{s_pos == s_neg}) / (n_pos n_neg)`` over all positive-negative
    pairs: the probability that a random positive outranks a random negative (Hanley & McNeil 1982).
    Equal to :func:`sklearn.metrics.roc_auc_score` on the same input.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary 0/1; 1 marks the positives (anomalies).
    y_score : array-like of shape (n_samples,)
        Finite scores, higher meaning "more likely positive".

    Returns
    -------
    dict
        ``auroc``, ``n_pos``, ``n_neg``, ``constant`` (every score equal: the score ranks nothing, and
        its AUROC of 0.5 describes no detector). NaN (with a warning) without positives or without negatives.

    References
    ----------
    J. A. Hanley, B. J. McNeil. The meaning and use of the area under a receiver operating
    characteristic (ROC) curve. Radiology 143, 29-36 (1982).
    """
    y, s = _pair(y_true, y_score)
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])  # sorted queries: searchsorted walks memory in order (~5x faster)
    details = {"n_pos": int(len(pos)), "n_neg": int(len(neg)), "constant": bool(len(s) and s.min() == s.max())}
    if len(pos) == 0 or len(neg) == 0:
        _undefined("AUROC")
        return {"auroc": float("nan"), **details}
    below = np.searchsorted(neg, pos, side="left")
    tied = np.searchsorted(neg, pos, side="right") - below
    # integer counts (twice the numerator) stay exact up to 2**63; one division at the end
    twice = 2 * int(below.sum()) + int(tied.sum())
    return {"auroc": twice / (2.0 * len(pos) * len(neg)), **details}


def auroc_placements(y_true: Any, y_score: Any) -> np.ndarray:
    """Per-example AUROC components whose mean is the AUROC (DeLong's placement values, rescaled).

    A positive's placement is the share of negatives it outranks (ties one half), a negative's the
    share of positives that outrank it. Scaled by ``n / (2 n_pos)`` and ``n / (2 n_neg)``, their mean
    over all ``n`` examples is exactly the AUROC, and a paired bootstrap of the per-example
    difference between two scores on the same examples is a paired test of their AUROC difference
    to first order (the influence function of the Mann-Whitney statistic; DeLong et al. 1988).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary 0/1, both classes present.
    y_score : array-like of shape (n_samples,)

    Returns
    -------
    ndarray of shape (n_samples,)

    References
    ----------
    E. R. DeLong, D. M. DeLong, D. L. Clarke-Pearson. Comparing the areas under two or more correlated
    receiver operating characteristic curves. Biometrics 44, 837-845 (1988).
    """
    y, s = _pair(y_true, y_score)
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])
    if len(pos) == 0 or len(neg) == 0:
        raise InputValidationError(f"y_true must hold both classes for AUROC placements, got {len(pos)} positives and {len(neg)} negatives")
    out = np.empty(len(s))
    sp, sn = s[y == 1], s[y == 0]
    out[y == 1] = (np.searchsorted(neg, sp, "left") + np.searchsorted(neg, sp, "right")) / (2.0 * len(neg))
    out[y == 0] = (2 * len(pos) - np.searchsorted(pos, sn, "left") - np.searchsorted(pos, sn, "right")) / (2.0 * len(pos))
    n = len(s)
    out[y == 1] *= n / (2.0 * len(pos))
    out[y == 0] *= n / (2.0 * len(neg))
    return out


def weighted_auroc(scores: Any, labels: Any, weights: Any = None) -> float | np.ndarray:
    """Area under the ROC curve with row weights, ties counted one half (Mann-Whitney).

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Higher means "more likely positive".
    labels : array-like of shape (n_samples,)
        Binary 0/1.
    weights : array-like of shape (n_samples,) or (n_weightings, n_samples), optional
        A 2-D array (bootstrap counts) gives one AUROC per weighting in one pass.

    Returns
    -------
    float or ndarray
        NaN (with a warning) when a weighting has no positive or no negative weight.
    """
    sc = _vector(scores, "scores")
    lab = _binary(labels, "labels").astype(np.float64)
    check_consistent_length(scores=sc, labels=lab)
    W, single = _weights(weights, len(sc))
    order = np.argsort(sc, kind="mergesort")
    s_sorted = sc[order]
    starts = np.concatenate([[0], np.nonzero(np.diff(s_sorted))[0] + 1]) if len(sc) else np.zeros(0, dtype=np.int64)
    if len(sc) == 0:
        raise InputValidationError("scores is empty; AUROC needs at least one positive and one negative")
    wp = np.add.reduceat(W[:, order] * lab[order], starts, axis=1)
    wn = np.add.reduceat(W[:, order] * (1 - lab[order]), starts, axis=1)
    neg_below = np.cumsum(wn, axis=1) - wn
    num = (wp * (neg_below + 0.5 * wn)).sum(axis=1)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    if single and not np.isfinite(auc[0]):
        _undefined("AUROC")
    return float(auc[0]) if single else auc


# ---------------------------------------------------------------------------------------- precision-recall
def _threshold_sums(scores: np.ndarray, labels: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted positive and negative counts at or above each distinct threshold, highest first: ``(b, t)`` each."""
    order = np.argsort(-scores, kind="mergesort")
    s_sorted = scores[order]
    starts = np.concatenate([[0], np.nonzero(np.diff(s_sorted))[0] + 1])
    lab = labels[order].astype(np.float64)
    tp = np.cumsum(np.add.reduceat(W[:, order] * lab, starts, axis=1), axis=1)
    fp = np.cumsum(np.add.reduceat(W[:, order] * (1 - lab), starts, axis=1), axis=1)
    return tp, fp


def weighted_average_precision(scores: Any, labels: Any, weights: Any = None) -> float | np.ndarray:
    """Average precision ``sum_t (R_t - R_{t-1}) P_t`` over distinct thresholds, with row weights.

    scikit-learn's definition (:func:`sklearn.metrics.average_precision_score`, a step sum, not the
    trapezoid), with ``weights`` as its ``sample_weight``; a 2-D ``weights`` gives one value per row.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
    labels : array-like of shape (n_samples,)
        Binary 0/1; 1 marks the positives.
    weights : array-like of shape (n_samples,) or (n_weightings, n_samples), optional

    Returns
    -------
    float or ndarray
        NaN (with a warning) for a weighting without positive or negative weight. (scikit-learn gives
        AP = 1 or a warning and 0 without negatives or positives; a ranking of one class is undefined here.)
    """
    sc = _vector(scores, "scores")
    lab = _binary(labels, "labels")
    check_consistent_length(scores=sc, labels=lab)
    if len(sc) == 0:
        raise InputValidationError("scores is empty; average precision needs at least one positive and one negative")
    W, single = _weights(weights, len(sc))
    tp, fp = _threshold_sums(sc, lab, W)
    total_p, total_n = tp[:, -1:], fp[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp / np.where(tp + fp > 0, tp + fp, 1.0)
        recall = tp / np.where(total_p > 0, total_p, 1.0)
    d_recall = np.diff(recall, axis=1, prepend=0.0)
    ap = (d_recall * precision).sum(axis=1)
    ap = np.where((total_p[:, 0] > 0) & (total_n[:, 0] > 0), ap, np.nan)
    if single and not np.isfinite(ap[0]):
        _undefined("Average precision")
    return float(ap[0]) if single else ap


@score_function("average_precision")
def average_precision_score(y_true: Any, y_score: Any, *, return_details: bool = False) -> Any:
    """Average precision (area under the precision-recall curve, step form), equal to scikit-learn's.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary 0/1; 1 marks the positives (anomalies).
    y_score : array-like of shape (n_samples,)

    Returns
    -------
    dict
        ``average_precision``, ``n_pos``, ``n_neg`` and ``prevalence`` (the share of positives: the
        average precision of a score that ranks at random, in expectation). NaN (with a warning)
        with a single class.
    """
    y, s = _pair(y_true, y_score)
    n_pos = int(y.sum())
    return {"average_precision": weighted_average_precision(s, y), "n_pos": n_pos, "n_neg": len(y) - n_pos,
            "prevalence": n_pos / len(y) if len(y) else float("nan")}


# ---------------------------------------------------------------------------------------- TPR at a fixed FPR
def min_negatives(max_fpr: float, *, per_threshold: int = 5) -> int:
    """Negatives needed before a TPR at ``max_fpr`` is reported: ``per_threshold`` of them above the
    threshold (with fewer, the FPR moves in steps larger than a fifth of ``max_fpr``)."""
    return int(np.ceil(per_threshold / max_fpr))


def weighted_tpr_at_fpr(scores: Any, labels: Any, max_fpr: float, weights: Any = None) -> float | np.ndarray:
    """The highest TPR over thresholds whose FPR is at most ``max_fpr`` (the ROC curve's step, no interpolation).

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
    labels : array-like of shape (n_samples,)
    max_fpr : float
        In (0, 1).
    weights : array-like of shape (n_samples,) or (n_weightings, n_samples), optional

    Returns
    -------
    float or ndarray
        NaN (with a warning) for a weighting with a single class.
    """
    check_param(max_fpr, "max_fpr", low=0.0, high=1.0)
    if not 0.0 < max_fpr < 1.0:
        raise InputValidationError(f"'max_fpr' must be in (0, 1), got {max_fpr!r}")
    sc = _vector(scores, "scores")
    lab = _binary(labels, "labels")
    check_consistent_length(scores=sc, labels=lab)
    if len(sc) == 0:
        raise InputValidationError("scores is empty; the TPR at a fixed FPR needs positives and negatives")
    W, single = _weights(weights, len(sc))
    tp, fp = _threshold_sums(sc, lab, W)
    total_p, total_n = tp[:, -1:], fp[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        fpr = fp / np.where(total_n > 0, total_n, 1.0)
        tpr = tp / np.where(total_p > 0, total_p, 1.0)
    # thresholds below every score (nothing flagged: TPR 0, FPR 0) are always allowed
    out = np.where(fpr <= max_fpr + 1e-12, tpr, 0.0).max(axis=1)
    out = np.where((total_p[:, 0] > 0) & (total_n[:, 0] > 0), out, np.nan)
    if single and not np.isfinite(out[0]):
        _undefined("The TPR at a fixed FPR")
    return float(out[0]) if single else out


@score_function("tpr")
def tpr_at_fpr_score(y_true: Any, y_score: Any, max_fpr: float = 0.05, *, return_details: bool = False) -> Any:
    """True-positive rate (share of anomalies flagged) at a false-positive rate of at most ``max_fpr``.

    The threshold is the lowest one that flags at most ``max_fpr`` of the negatives (inliers); the
    TPR is read from scikit-learn's :func:`~sklearn.metrics.roc_curve` points without interpolation.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary 0/1; 1 marks the positives.
    y_score : array-like of shape (n_samples,)
    max_fpr : float, default=0.05
        In (0, 1).

    Returns
    -------
    dict
        ``tpr``, ``max_fpr``, ``n_neg`` and ``supported``: whether there are at least
        ``ceil(5 / max_fpr)`` negatives (five above the threshold); with fewer the ``tpr`` is still
        given, but a task reports it as undefined (the FPR moves in steps larger than a fifth of ``max_fpr``).
    """
    y, s = _pair(y_true, y_score)
    n_neg = int((y == 0).sum())
    return {"tpr": weighted_tpr_at_fpr(s, y, max_fpr), "max_fpr": float(max_fpr), "n_neg": n_neg,
            "supported": n_neg >= min_negatives(max_fpr)}
