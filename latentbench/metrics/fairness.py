"""Fairness metrics for latent spaces: group metrics, bias amplification, leakage, concept erasure, WEAT.

* Group metrics (per-group accuracy, selection rate, TPR, FPR; demographic-parity and
  equalized-odds differences and ratios) come from fairlearn's ``MetricFrame`` and its
  ``demographic_parity_*`` / ``equalized_odds_*`` functions (Bird et al. 2020, fairlearn); they are
  not reimplemented. For bootstrap intervals, the same quantities are computed for many resamples
  at once by :func:`group_stats_weighted` (a vectorized weighted form, tested to equal fairlearn
  on the original sample and with integer sample weights).
* Bias amplification of a latent space: the disparity of a probe trained on the latents minus the
  disparity of the same probe protocol on the raw inputs, with a paired percentile-bootstrap
  interval from resampling the *test predictions* (the probes are never refitted per resample).
* Directional bias amplification, ``BiasAmp->`` (Wang & Russakovsky, "Directional Bias
  Amplification", ICML 2021).
* Leakage: AUROC of the sensitive attribute from the latents, against its predictability from the
  label alone (Wang et al., "Balanced Datasets Are Not Enough", ICCV 2019, define leakage with a
  probe in the same spirit).
* Linear concept erasure (LEACE: Belrose et al., "LEACE: Perfect linear concept erasure in closed
  form", NeurIPS 2023), to check that leakage vanishes once the attribute is projected out.
* WEAT (Caliskan, Bryson & Narayanan, "Semantics derived automatically from language corpora
  contain human-like biases", Science 2017): effect size and permutation p-value for any target and
  attribute vector sets.

Every function takes NumPy arrays (or tensors) and validates them with one-line errors naming the argument.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, MissingOptionalDependencyError, UndefinedMetricWarning
from ..stats import Estimate, percentile_estimate, resample_weights
from ..validation import check_array, check_consistent_length, check_param, check_rng, check_same_label_kind
from .ranking import weighted_auroc  # moved to metrics.ranking; re-exported so existing imports keep working

__all__ = [
    "ConceptEraser",
    "bias_amplification",
    "directional_bias_amplification",
    "fit_probe",
    "group_metrics",
    "group_stats_weighted",
    "label_only_scores",
    "leakage_auroc",
    "weat",
    "weighted_auroc",
]

DISPARITIES = ("dp_diff", "dp_ratio", "eo_diff", "eo_ratio")


# ---------------------------------------------------------------------------------------- helpers
def _vector(x: Any, name: str, dtype: Any = None) -> np.ndarray:
    arr = check_array(x, name, ndim=1, dtype=dtype, finite=True)
    return arr


def _class_labels(y: np.ndarray, name: str) -> np.ndarray:
    """Class labels scikit-learn accepts: an object array becomes text or numbers (its elements' kind);
    floats must be whole numbers (labels, not a regression target)."""
    if y.dtype.kind == "O":
        y = y.astype(str) if any(isinstance(v, (str, bytes)) for v in y) else y.astype(np.float64)
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise InputValidationError(f"{name} must hold class labels, got non-integral numbers such as {y[y != np.round(y)][0]!r}")
        y = y.astype(np.int64)
    return y


def _groups(sensitive: Any, name: str = "sensitive") -> np.ndarray:
    """A 1-D array of group labels (numbers or strings; NaN and infinite values are refused)."""
    return check_array(sensitive, name, ndim=1, dtype=None)


def _binary(x: Any, name: str) -> np.ndarray:
    arr = _vector(x, name)
    values = np.unique(arr)
    if not np.isin(values, (0, 1)).all():
        raise InputValidationError(f"{name} must hold binary values 0/1, got {values[:6].tolist()}")
    return arr.astype(np.int64)


# ---------------------------------------------------------------------------------------- group metrics
def group_metrics(y_true: Any, y_pred: Any, sensitive: Any) -> dict[str, Any]:
    """Per-group and aggregate fairness metrics of binary predictions, computed by fairlearn.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Binary labels and predictions (0/1).
    sensitive : array-like of shape (n_samples,)
        The group of each sample (any number of groups).

    Returns
    -------
    dict
        ``by_group``: {group: {accuracy, selection_rate, tpr, fpr, count}} from
        ``fairlearn.metrics.MetricFrame``; ``overall``: the same over all samples; ``dp_diff``,
        ``dp_ratio`` (``demographic_parity_difference``/``_ratio``), ``eo_diff``, ``eo_ratio``
        (``equalized_odds_difference``/``_ratio``, between groups, worst case), ``accuracy``.
    """
    try:
        from fairlearn.metrics import (
            MetricFrame, count, demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference,
            equalized_odds_ratio, false_positive_rate, selection_rate, true_positive_rate,
        )
    except ImportError:
        raise MissingOptionalDependencyError("group fairness metrics need the optional package 'fairlearn': "
                                             "pip install 'latentbench[fairness]'") from None
    from sklearn.metrics import accuracy_score

    y = _binary(y_true, "y_true")
    p = _binary(y_pred, "y_pred")
    s = _groups(sensitive)
    check_consistent_length(y_true=y, y_pred=p, sensitive=s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on a group without positives; the NaN-free value is fairlearn's
        mf = MetricFrame(metrics={"accuracy": accuracy_score, "selection_rate": selection_rate, "tpr": true_positive_rate,
                                  "fpr": false_positive_rate, "count": count},
                         y_true=y, y_pred=p, sensitive_features=s)
        out = {
            "by_group": {_key(g): {k: float(v) for k, v in row.items()} for g, row in mf.by_group.iterrows()},
            "overall": {k: float(v) for k, v in mf.overall.items()},
            "dp_diff": float(demographic_parity_difference(y, p, sensitive_features=s)),
            "dp_ratio": float(demographic_parity_ratio(y, p, sensitive_features=s)),
            "eo_diff": float(equalized_odds_difference(y, p, sensitive_features=s)),
            "eo_ratio": float(equalized_odds_ratio(y, p, sensitive_features=s)),
        }
    out["accuracy"] = out["overall"]["accuracy"]
    return out


def _key(g: Any) -> str:
    g = g.item() if hasattr(g, "item") else g
    return str(int(g)) if isinstance(g, (bool, np.bool_)) else str(g)


def group_stats_weighted(y_true: Any, y_pred: Any, sensitive: Any, weights: Any) -> dict[str, np.ndarray]:
    """Accuracy and the fairlearn disparities for many weightings of the rows at once.

    With ``weights`` the bootstrap counts of :func:`latentbench.stats.resample_weights` this gives the statistics of
    every resample in one matrix product; with a row of ones it equals :func:`group_metrics` (the
    definitions are fairlearn's: differences are the largest minus the smallest group value, ratios
    the smallest over the largest, and equalized odds takes the worse of TPR and FPR).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Binary labels and predictions.
    sensitive : array-like of shape (n_samples,)
    weights : array-like of shape (n_weightings, n_samples)
        Non-negative row weights.

    Returns
    -------
    dict of str to ndarray of shape (n_weightings,)
        ``accuracy``, ``dp_diff``, ``dp_ratio``, ``eo_diff``, ``eo_ratio``, ``tpr_diff``, ``fpr_diff``.
        A weighting in which a group has no rows (or no positives, for TPR) gives NaN there.
    """
    y = _binary(y_true, "y_true").astype(np.float64)
    p = _binary(y_pred, "y_pred").astype(np.float64)
    s = _groups(sensitive)
    W = check_array(weights, "weights", ndim=2)
    check_consistent_length(y_true=y, y_pred=p, sensitive=s)
    if W.shape[1] != len(y):
        raise InputValidationError(f"weights must have one column per sample ({len(y)}), got shape {W.shape}")
    groups = np.unique(s)
    cols = [(y == p).astype(np.float64)]
    for g in groups:
        m = (s == g).astype(np.float64)
        cols += [m, m * p, m * y, m * y * p, m * (1 - y), m * (1 - y) * p]
    C = W @ np.stack(cols, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = C[:, 0] / W.sum(axis=1)
        G = C[:, 1:].reshape(len(W), len(groups), 6)
        sr = G[:, :, 1] / G[:, :, 0]
        tpr = G[:, :, 3] / G[:, :, 2]
        fpr = G[:, :, 5] / G[:, :, 4]

        def diff(v: np.ndarray) -> np.ndarray:
            return v.max(axis=1) - v.min(axis=1)

        def ratio(v: np.ndarray) -> np.ndarray:
            return v.min(axis=1) / v.max(axis=1)

        out = {"accuracy": acc, "dp_diff": diff(sr), "dp_ratio": ratio(sr), "tpr_diff": diff(tpr), "fpr_diff": diff(fpr)}
        out["eo_diff"] = np.maximum(out["tpr_diff"], out["fpr_diff"])
        out["eo_ratio"] = np.minimum(ratio(tpr), ratio(fpr))
    return out


def bias_amplification(y_true: Any, pred_latent: Any, pred_input: Any, sensitive: Any, *, rng: Any,
                       n_resamples: int = 1000, confidence: float = 0.95, weights: np.ndarray | None = None) -> dict[str, Any]:
    """Bias amplification of a latent space: latent-probe disparity minus input-probe disparity.

    Both probes are trained with the same protocol (one on the latents, one on the raw inputs) and
    predict the same test rows; point values are fairlearn's (:func:`group_metrics`). Intervals are
    paired percentile bootstraps over the test rows: each resample reweights the *same* rows for
    both probes (the probes are not refitted), so the interval of the difference accounts for the
    correlation between the two probes' errors.

    A positive ``dp_diff`` amplification means the latent space *widens* the demographic-parity gap.
    Read it beside both accuracies: an uninformative latent space predicts nothing and so has a small
    gap (a negative amplification) without being fair.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary test labels.
    pred_latent, pred_input : array-like of shape (n_samples,)
        Binary predictions of the latent probe and of the input probe.
    sensitive : array-like of shape (n_samples,)
    rng : int or numpy.random.Generator
        Source of the resamples (keyword-only, required; unused when ``weights`` are given).
    n_resamples : int, default=1000
    confidence : float, default=0.95
    weights : ndarray of shape (n_resamples, n_samples), optional
        Bootstrap counts to reuse (:func:`latentbench.stats.resample_weights`, to pair these
        intervals with others); drawn from ``rng`` otherwise.

    Returns
    -------
    dict
        ``latent`` and ``input``: :func:`group_metrics` of each probe; for each of ``accuracy``,
        ``dp_diff``, ``dp_ratio``, ``eo_diff``, ``eo_ratio``: ``{"latent": Estimate, "input":
        Estimate, "amplification": Estimate}`` (:class:`~latentbench.stats.Estimate`) under that key in ``stats``.
    """
    y = _binary(y_true, "y_true")
    pl, pi = _binary(pred_latent, "pred_latent"), _binary(pred_input, "pred_input")
    s = _groups(sensitive)
    check_consistent_length(y_true=y, pred_latent=pl, pred_input=pi, sensitive=s)
    gm_l, gm_i = group_metrics(y, pl, s), group_metrics(y, pi, s)
    W = resample_weights(len(y), rng=rng, n_resamples=n_resamples) if weights is None else check_array(weights, "weights", ndim=2)
    bl, bi = group_stats_weighted(y, pl, s, W), group_stats_weighted(y, pi, s, W)
    n = len(y)
    stats: dict[str, dict[str, Estimate]] = {}
    for key in ("accuracy", *DISPARITIES):
        vl, vi = gm_l[key], gm_i[key]
        stats[key] = {"latent": percentile_estimate(vl, bl[key], n=n, confidence=confidence),
                      "input": percentile_estimate(vi, bi[key], n=n, confidence=confidence),
                      "amplification": percentile_estimate(vl - vi, bl[key] - bi[key], n=n, confidence=confidence)}
    return {"latent": gm_l, "input": gm_i, "stats": stats, "n": len(y), "n_resamples": len(W)}


# ---------------------------------------------------------------------------------------- directional BA
def _one_hot(v: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return (v[:, None] == classes[None, :]).astype(np.float64)


def directional_bias_amplification(a_true: Any, t_true: Any, *, t_pred: Any = None, a_pred: Any = None,
                                   direction: str = "A->T", weights: Any = None) -> float | np.ndarray:
    """Directional bias amplification ``BiasAmp->`` of Wang & Russakovsky (ICML 2021).

    With attributes ``A`` and tasks ``T`` one-hot encoded,

    .. math::
        \\mathrm{BiasAmp}_{\\to} = \\frac{1}{|A||T|} \\sum_{a, t} y_{at} \\Delta_{at} + (1 - y_{at})(-\\Delta_{at}),

    where ``y_at = 1[P(A_a = 1, T_t = 1) > P(A_a = 1) P(T_t = 1)]`` (the pair is positively correlated
    in the data) and ``Delta_at = P(T^_t = 1 | A_a = 1) - P(T_t = 1 | A_a = 1)`` for ``A->T`` (the
    attribute influences the predicted task) or ``Delta_at = P(A^_a = 1 | T_t = 1) - P(A_a = 1 | T_t = 1)``
    for ``T->A`` (the task influences the predicted attribute). Positive values: the predictions
    exaggerate the data's correlations. Pairs whose conditioning event has no weight are left out
    of the average.

    Parameters
    ----------
    a_true, t_true : array-like of shape (n_samples,)
        Integer attribute and task classes.
    t_pred : array-like of shape (n_samples,), optional
        Predicted task classes (needed for ``"A->T"``).
    a_pred : array-like of shape (n_samples,), optional
        Predicted attribute classes (needed for ``"T->A"``).
    direction : {"A->T", "T->A"}
    weights : array-like of shape (n_samples,) or (n_weightings, n_samples), optional
        Row weights (bootstrap counts); a 2-D array gives one value per weighting.

    Returns
    -------
    float or ndarray of shape (n_weightings,)
    """
    check_param(direction, "direction", options=("A->T", "T->A"))
    a = _vector(a_true, "a_true", dtype=None)
    t = _vector(t_true, "t_true", dtype=None)
    if direction == "A->T":
        if t_pred is None:
            raise InputValidationError("t_pred is required for direction 'A->T'")
        pred = _vector(t_pred, "t_pred", dtype=None)
        check_consistent_length(a_true=a, t_true=t, t_pred=pred)
        check_same_label_kind(t_true=t, t_pred=pred)
    else:
        if a_pred is None:
            raise InputValidationError("a_pred is required for direction 'T->A'")
        pred = _vector(a_pred, "a_pred", dtype=None)
        check_consistent_length(a_true=a, t_true=t, a_pred=pred)
        check_same_label_kind(a_true=a, a_pred=pred)
    a_classes = np.unique(np.concatenate([a, pred]) if direction == "T->A" else a)
    t_classes = np.unique(np.concatenate([t, pred]) if direction == "A->T" else t)
    A, T = _one_hot(a, a_classes), _one_hot(t, t_classes)
    P = _one_hot(pred, t_classes if direction == "A->T" else a_classes)
    single = weights is None or np.asarray(weights).ndim == 1
    W = np.ones((1, len(a))) if weights is None else check_array(weights, "weights", ndim=(1, 2)).reshape(-1, len(a))
    tot = W.sum(axis=1, keepdims=True)
    na, nt = A.shape[1], T.shape[1]
    AT = (A[:, :, None] * T[:, None, :]).reshape(len(a), -1)  # (n, na*nt)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_at = (W @ AT).reshape(-1, na, nt) / tot[:, :, None]
        p_a = (W @ A) / tot
        p_t = (W @ T) / tot
        y_at = p_at > p_a[:, :, None] * p_t[:, None, :]
        if direction == "A->T":
            APh = (A[:, :, None] * P[:, None, :]).reshape(len(a), -1)
            cond_pred = (W @ APh).reshape(-1, na, nt) / (W @ A)[:, :, None]  # P(T^_t | A_a)
            cond_true = (W @ AT).reshape(-1, na, nt) / (W @ A)[:, :, None]  # P(T_t | A_a)
        else:
            PT = (P[:, :, None] * T[:, None, :]).reshape(len(a), -1)
            cond_pred = (W @ PT).reshape(-1, na, nt) / (W @ T)[:, None, :]  # P(A^_a | T_t)
            cond_true = (W @ AT).reshape(-1, na, nt) / (W @ T)[:, None, :]  # P(A_a | T_t)
        delta = cond_pred - cond_true
        terms = np.where(y_at, delta, -delta)
        values = np.nanmean(terms.reshape(len(W), -1), axis=1) if np.isfinite(terms).any() else np.full(len(W), np.nan)
    return float(values[0]) if single else values


# ---------------------------------------------------------------------------------------- leakage
def label_only_scores(s_train: Any, y_train: Any, y_test: Any) -> np.ndarray:
    """Scores ``P^(s = 1 | y)`` of the test rows, estimated from the train rows' frequencies.

    The AUROC of these scores is how well the sensitive attribute is predicted from the label alone
    (the leakage a latent space would have if it encoded nothing but the label). Labels unseen in
    the train rows get the overall rate.
    """
    s = _binary(s_train, "s_train")
    y = _vector(y_train, "y_train", dtype=None)
    yt = _vector(y_test, "y_test", dtype=None)
    check_same_label_kind(y_train=y, y_test=yt)
    check_consistent_length(s_train=s, y_train=y)
    rates = {v: float(s[y == v].mean()) for v in np.unique(y)}
    overall = float(s.mean())
    return np.array([rates.get(v, overall) for v in yt], dtype=np.float64)


def leakage_auroc(scores: Any, sensitive: Any, *, rng: Any, n_resamples: int = 1000,
                  confidence: float = 0.95, weights: np.ndarray | None = None) -> Estimate:
    """AUROC of a probe's scores for a binary sensitive attribute, with a percentile-bootstrap interval.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        The probe's score for ``s = 1`` on test rows.
    sensitive : array-like of shape (n_samples,)
    rng : int or numpy.random.Generator
        Source of the resamples (keyword-only, required; unused when ``weights`` are given).
    n_resamples : int, default=1000
    confidence : float, default=0.95
    weights : ndarray of shape (n_resamples, n_samples), optional
        Bootstrap counts to reuse (pair this interval with others); drawn from ``rng`` otherwise.

    Returns
    -------
    Estimate
        The AUROC with its percentile-bootstrap interval over rows.
    """
    s = _binary(sensitive, "sensitive")
    value = weighted_auroc(scores, s)
    W = resample_weights(len(s), rng=rng, n_resamples=n_resamples) if weights is None else weights
    return percentile_estimate(float(value), weighted_auroc(scores, s, W), n=len(s), confidence=confidence)


class ConceptEraser:
    """LEACE: the least-squares linear erasure of a concept (Belrose et al., NeurIPS 2023).

    Fitted on latents ``z`` and a categorical concept ``s``, it maps ``z`` to
    ``z - (z - mu) M^T`` with ``M = S (S^T C^+ S)^+ S^T C^+``, ``C`` the covariance of ``z`` and ``S``
    its cross-covariance with the one-hot concept. On the fitting data the erased latents have zero
    covariance with every concept indicator, so no linear classifier does better than a constant
    (linear guardedness), while the change to ``z`` is the smallest in the whitened norm.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_dims)
    s : array-like of shape (n_samples,)
        The concept (the sensitive attribute).
    """

    def __init__(self, z: Any, s: Any) -> None:
        Z = check_array(z, "z", ndim=2, min_rows=3)
        s = np.asarray(s)
        check_consistent_length(z=Z, s=s)
        classes = np.unique(s)
        if len(classes) < 2:
            raise InputValidationError(f"s must have at least two classes to erase, got {classes.tolist()}")
        S1 = _one_hot(s, classes)[:, :-1]
        self.mean_ = Z.mean(axis=0)
        Zc = Z - self.mean_
        Sc = S1 - S1.mean(axis=0)
        cov = Zc.T @ Zc / (len(Z) - 1)
        cross = Zc.T @ Sc / (len(Z) - 1)  # (d, k-1)
        cinv = np.linalg.pinv(cov, hermitian=True)
        self.matrix_ = cross @ np.linalg.pinv(cross.T @ cinv @ cross) @ cross.T @ cinv

    def transform(self, z: Any) -> np.ndarray:
        """Erase the concept from ``z`` (shape ``(n, n_dims)``)."""
        Z = check_array(z, "z", ndim=2)
        if Z.shape[1] != len(self.mean_):
            raise InputValidationError(f"z must have {len(self.mean_)} columns, got shape {Z.shape}")
        return Z - (Z - self.mean_) @ self.matrix_.T


# ---------------------------------------------------------------------------------------- probes
def fit_probe(x: Any, y: Any, *, kind: str = "logistic", C: float = 1.0, hidden: int = 64, max_iter: int = 1000,
              seed: int = 0, balanced: bool = False) -> Any:
    """A downstream probe: standardization then logistic regression (or a one-hidden-layer MLP).

    The same function fits the latent probe and the input probe, so both follow one protocol.

    Parameters
    ----------
    x : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    kind : {"logistic", "mlp"}, default="logistic"
        ``LogisticRegression(C=C, lbfgs)`` or ``MLPClassifier((hidden,), alpha=1/C, early_stopping)``.
    C : float, default=1.0
        Inverse regularization strength.
    hidden : int, default=64
    max_iter : int, default=1000
    seed : int, default=0
    balanced : bool, default=False
        Weight classes inversely to their frequency (``class_weight="balanced"``, logistic only), so
        the probe's decisions maximise balanced accuracy rather than accuracy (an attacker after a
        rare attribute does this).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted; ``predict`` and ``predict_proba`` work on new rows.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    check_param(kind, "kind", options=("logistic", "mlp"))
    check_param(C, "C", low=1e-12)
    X = check_array(x, "x", ndim=2)
    yy = _class_labels(_vector(y, "y", dtype=None), "y")
    check_consistent_length(x=X, y=yy)
    if len(np.unique(yy)) < 2:
        raise InputValidationError(f"y has a single class {np.unique(yy).tolist()}; a probe needs at least two")
    if kind == "logistic":
        clf = LogisticRegression(C=C, max_iter=max_iter, class_weight="balanced" if balanced else None)
    else:
        clf = MLPClassifier((hidden,), alpha=1.0 / C, max_iter=max_iter, early_stopping=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", category=ConvergenceWarning)
        return make_pipeline(StandardScaler(), clf).fit(X, yy)


# ---------------------------------------------------------------------------------------- WEAT
def _unit_rows(v: Any, name: str) -> np.ndarray:
    V = check_array(v, name, ndim=2, min_rows=1)
    peak = np.abs(V).max(axis=1, keepdims=True)
    V = V / np.where(peak > 0, peak, 1.0)  # cosine is scale-free: rows at 1e300 must not overflow the norm
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    if (norms == 0).any():
        raise InputValidationError(f"{name} has a zero vector (row {int(np.nonzero(norms[:, 0] == 0)[0][0])}); cosine is undefined")
    return V / norms


def weat(X: Any, Y: Any, A: Any, B: Any, *, rng: Any, n_permutations: int = 10000, ddof: int = 1) -> dict[str, Any]:
    """Word Embedding Association Test (Caliskan, Bryson & Narayanan, Science 2017) on any vector sets.

    With ``s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b)``, the statistic is
    ``S = sum_x s(x, A, B) - sum_y s(y, A, B)`` and the effect size
    ``d = (mean_x s(x) - mean_y s(y)) / std_{w in X u Y} s(w)``. The one-sided p-value is the share of
    equal-size re-partitions ``(X_i, Y_i)`` of ``X u Y`` with ``S(X_i, Y_i) >= S(X, Y)``: exact
    (every partition) when there are at most ``n_permutations`` of them, otherwise from
    ``n_permutations`` random partitions as ``(1 + #{S_i >= S}) / (1 + n_permutations)``.

    Parameters
    ----------
    X, Y : array-like of shape (n_x, d), (n_y, d)
        Target vectors (e.g. embeddings of flowers and insects).
    A, B : array-like of shape (n_a, d), (n_b, d)
        Attribute vectors (e.g. pleasant and unpleasant words).
    n_permutations : int, default=10000
    rng : int or numpy.random.Generator
        For the Monte-Carlo p-value (keyword-only, required; unused when the p-value is exact).
    ddof : int, default=1
        Degrees of freedom of the standard deviation in the effect size.

    Returns
    -------
    dict
        ``effect_size``, ``statistic``, ``p_value``, ``n_partitions`` (the number evaluated),
        ``exact`` (bool).
    """
    Xn, Yn, An, Bn = (_unit_rows(v, k) for v, k in ((X, "X"), (Y, "Y"), (A, "A"), (B, "B")))
    d = Xn.shape[1]
    for name, v in (("Y", Yn), ("A", An), ("B", Bn)):
        if v.shape[1] != d:
            raise InputValidationError(f"{name} has {v.shape[1]} dimensions but X has {d}; all sets must share one space")
    check_param(n_permutations, "n_permutations", low=1, integer=True)
    W = np.concatenate([Xn, Yn])
    s = (W @ An.T).mean(axis=1) - (W @ Bn.T).mean(axis=1)
    nx, n = len(Xn), len(W)
    sx, sy = s[:nx], s[nx:]
    statistic = float(sx.sum() - sy.sum())
    sd = float(s.std(ddof=ddof)) if n > ddof else float("nan")
    effect = float((sx.mean() - sy.mean()) / sd) if sd > 0 else float("nan")
    total = s.sum()
    n_parts = math.comb(n, nx)
    tol = 1e-12 * max(1.0, abs(statistic))
    if n_parts <= n_permutations:
        sums = np.array([s[list(c)].sum() for c in itertools.combinations(range(n), nx)])
        stats = 2 * sums - total
        p = float(np.mean(stats >= statistic - tol))
        exact, evaluated = True, n_parts
    else:
        idx = np.argsort(check_rng(rng).random((n_permutations, n)), axis=1)[:, :nx]
        stats = 2 * s[idx].sum(axis=1) - total
        p = float((1 + np.sum(stats >= statistic - tol)) / (1 + n_permutations))
        exact, evaluated = False, n_permutations
    return {"effect_size": effect, "statistic": statistic, "p_value": p, "n_partitions": evaluated, "exact": exact}
