"""Anomaly detection: does the latent space expose what does not belong?

One-class protocol: detectors are fitted on the codes of the ``train`` split (inliers only) and
score the ``test`` rows; the scores are ranked against ``is_anomaly`` (AUROC, average precision,
TPR at 1 % and 5 % FPR), every interval a class-stratified percentile bootstrap of the test rows,
one set of resamples per job so that differences between detectors are paired.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..exceptions import InputValidationError, NotApplicableError, UndefinedMetricWarning
from ..metrics.anomaly import (
    detection_estimates, isolation_forest_scores, knn_distance, lof_scores, mahalanobis_distance, pyod_scores,
)
from ..metrics.likelihood import elbo_from_log_weights, iwae_from_log_weights
from ..metrics.ranking import auroc_score, weighted_auroc
from ..metrics.reconstruction import per_sample_squared_error
from ..stats import percentile_estimate, resample_weights
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext
from .likelihood import log_weights

__all__ = ["AnomalyDetection", "OneVsRestAnomaly", "PyODDetection"]

_U = (0.0, 1.0)
_D = (-1.0, 1.0)


def _zscore(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mu, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return [(a - mu) / sd for a in (train, *others)]


def _warn(message: str) -> None:
    warnings.warn(message, UndefinedMetricWarning, stacklevel=3)


def _detect(name: str, fn: Callable[[], np.ndarray]) -> np.ndarray | None:
    """A detector's test scores, or ``None`` (with the reason recorded) when it cannot score these codes."""
    try:
        s = np.asarray(fn(), dtype=np.float64)
    except InputValidationError as exc:
        _warn(f"{name}: {exc}")
        return None
    if not np.isfinite(s).all():
        _warn(f"{name}: the detector returned non-finite scores")
        return None
    if np.ptp(s) == 0:
        _warn(f"{name}: every test example gets the same score (the codes carry no information about the inputs), "
              f"so its AUROC is undefined, not 0.5")
        return None
    return s


def _recon_error(adapter: Adapter, data: Dataset, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Per-example squared reconstruction error ``|x - decode(z)|^2`` (batched)."""
    parts = []
    step = max(1, adapter.batch_size)
    for s in range(0, len(rows), step):
        parts.append(per_sample_squared_error(data.get_x(rows[s : s + step], flat=True), adapter.decode(z[s : s + step])))
    return np.concatenate(parts)


class _Base(Task):
    family = "anomaly"
    needs = frozenset({Capability.ENCODE})
    standardization = "zscore"
    reference = ("kNN distance (Ramaswamy et al. 2000); Mahalanobis with Ledoit-Wolf shrinkage; Isolation Forest (Liu et al. 2008); "
                 "LOF (Breunig et al. 2000); one-class protocol and AUROC/AUPRC as in ADBench (Han et al. 2022)")


class AnomalyDetection(_Base):
    """Detectors on the codes (and the model's own reconstruction error and bounds), ranked against planted anomalies.

    Protocol. The codes of the ``train`` split (inliers only), standardized with their own mean and
    standard deviation, are the reference set; the test codes are scored by

    * ``knn``: distance to the ``k``-th nearest training code (the **primary** detector: it needs
      only codes, so every model is ranked on one footing);
    * ``mahalanobis`` (Ledoit-Wolf shrinkage covariance), ``iforest`` (Isolation Forest) and ``lof``
      (Local Outlier Factor), from scikit-learn;
    * ``recon``: the per-example squared reconstruction error ``|x - decode(z)|^2`` (models with DECODE);
    * ``elbo`` / ``iwae``: the negative ELBO and negative IWAE_K bound per example, from ``elbo_k``
      posterior samples (models with POSTERIOR, LIKELIHOOD and PRIOR; the likelihood family's code).

    Null baselines: ``input_knn`` and ``input_mahalanobis`` run the same detectors on the raw
    (flattened) inputs, and ``knn_vs_input_auroc`` is the paired difference (with its paired
    interval) of the latent and input kNN AUROCs: above 0 the latent space exposes the anomalies
    better than the pixels do. Undefined scores (a missing capability, constant codes, too few
    inliers for a TPR at 1 % FPR) are NaN with the reason recorded, never 0.5.

    ``info["by_kind"]`` gives the kNN (and reconstruction) AUROC of each anomaly kind against the
    inliers where the dataset has an ``anomaly_kind`` table (``shapes-anomaly``).
    """

    summary = "One-class anomaly detection from the codes (kNN, Mahalanobis, IForest, LOF), reconstruction error and ELBO, against raw-input baselines."
    requires = frozenset({"is_anomaly"})
    scores = (
        ScoreSpec("knn_auroc", "higher", "AUROC of the distance to the k-th nearest training code (primary)", _U),
        ScoreSpec("knn_auprc", "higher", "average precision of the kNN detector (read beside anomaly_rate)", _U),
        ScoreSpec("knn_tpr_at_1fpr", "higher", "share of anomalies flagged by kNN at 1% FPR (needs >= 500 test inliers)", _U),
        ScoreSpec("knn_tpr_at_5fpr", "higher", "share of anomalies flagged by kNN at 5% FPR (needs >= 100 test inliers)", _U),
        ScoreSpec("mahalanobis_auroc", "none", "AUROC of the Mahalanobis distance to the training codes (Ledoit-Wolf)", _U),
        ScoreSpec("iforest_auroc", "none", "AUROC of an Isolation Forest fitted on the training codes", _U),
        ScoreSpec("lof_auroc", "none", "AUROC of the Local Outlier Factor against the training codes", _U),
        ScoreSpec("recon_auroc", "none", "AUROC of the per-example reconstruction error (models with DECODE)", _U),
        ScoreSpec("recon_auprc", "none", "average precision of the reconstruction error", _U),
        ScoreSpec("elbo_auroc", "none", "AUROC of the negative ELBO per example (probabilistic models)", _U),
        ScoreSpec("iwae_auroc", "none", "AUROC of the negative IWAE_K bound per example (probabilistic models)", _U),
        ScoreSpec("input_knn_auroc", "none", "null baseline: AUROC of the same kNN detector on the raw inputs", _U),
        ScoreSpec("input_mahalanobis_auroc", "none", "null baseline: Mahalanobis detector on the raw inputs", _U),
        ScoreSpec("knn_vs_input_auroc", "none", "knn_auroc - input_knn_auroc, paired interval (> 0: the codes help)", _D),
        ScoreSpec("anomaly_rate", "none", "share of anomalies among the scored test rows (AUPRC of a random score)", _U),
    )
    primary = "knn_auroc"
    defaults = {"k": 5, "lof_k": 20, "iforest_trees": 100, "elbo_k": 8, "max_train": 5000, "max_test": 20000,
                "input_baseline": True, "input_max_features": 1024, "confidence": 0.95}
    param_ranges = {"k": "[1, 1000]", "lof_k": "[1, 1000]", "iforest_trees": "[1, 10000]", "elbo_k": "[1, 10000]",
                    "max_train": "[2, 1000000]", "max_test": "[2, 1000000]", "input_max_features": "[1, 100000]",
                    "confidence": "(0, 1)"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        conf = float(p["confidence"])
        rows_tr, pos_tr = ctx.subsampled_rows("train", int(p["max_train"]))
        rows_te, pos_te = ctx.subsampled_rows("test", int(p["max_test"]))
        y = data.is_anomaly[rows_te].astype(np.int64)
        n_anom = int(y.sum())
        if n_anom == 0 or n_anom == len(y):
            raise NotApplicableError(f"the test split of {data.name!r} holds {n_anom} anomalies among {len(y)} rows: "
                                     f"AUROC needs both inliers and anomalies")
        if data.is_anomaly[rows_tr].any():
            _warn(f"the train split of {data.name!r} holds {int(data.is_anomaly[rows_tr].sum())} anomalies: "
                  f"the detectors are not one-class here")
        k = int(p["k"])
        if k > len(rows_tr):
            raise InputValidationError(f"{self.name}: k={k} exceeds the {len(rows_tr)} training codes; lower the task parameter 'k'")
        z_tr, z_te = _zscore(ctx.latents("train")[pos_tr], ctx.latents("test")[pos_te])
        W = resample_weights(len(y), rng=ctx.rng, n_resamples=ctx.n_bootstrap, strata=y)
        seed = int(ctx.rng.integers(2**31))
        det: dict[str, np.ndarray | None] = {
            "knn": _detect("knn", lambda: knn_distance(z_tr, z_te, k)),
            "mahalanobis": _detect("mahalanobis", lambda: mahalanobis_distance(z_tr, z_te)),
            "iforest": _detect("iforest", lambda: isolation_forest_scores(z_tr, z_te, rng=seed, n_estimators=int(p["iforest_trees"]))),
            "lof": _detect("lof", lambda: lof_scores(z_tr, z_te, int(p["lof_k"]))),
        }
        info: dict[str, Any] = {"n_train": len(rows_tr), "n_test": len(y), "n_anomalies": n_anom, "k": k,
                                "bootstrap": {"resamples": len(W), "confidence": conf, "unit": "test rows, stratified by class"},
                                "construction": data.metadata.get("construction")}
        # --- the model's own scores
        if adapter.has(Capability.DECODE):
            det["recon"] = _detect("recon", lambda: _recon_error(adapter, data, rows_te, ctx.latents("test")[pos_te]))
        else:
            det["recon"] = None
            _warn("recon: the model has no DECODE capability (no reconstruction error)")
        if adapter.has(Capability.POSTERIOR, Capability.LIKELIHOOD, Capability.PRIOR):
            neg_elbo, neg_iwae = self._bounds(adapter, data, rows_te, pos_te, ctx)
            det["elbo"], det["iwae"] = _detect("elbo", lambda: neg_elbo), _detect("iwae", lambda: neg_iwae)
        else:
            det["elbo"] = det["iwae"] = None
            _warn("elbo/iwae: the model lacks POSTERIOR, LIKELIHOOD or PRIOR (no per-example bound)")
        # --- null baselines on the raw inputs
        if p["input_baseline"]:
            x_tr, x_te = data.get_x(rows_tr, flat=True).astype(np.float64), data.get_x(rows_te, flat=True).astype(np.float64)
            det["input_knn"] = _detect("input_knn", lambda: knn_distance(x_tr, x_te, k))
            if x_tr.shape[1] <= int(p["input_max_features"]):
                det["input_mahalanobis"] = _detect("input_mahalanobis", lambda: mahalanobis_distance(x_tr, x_te))
            else:
                det["input_mahalanobis"] = None
                _warn(f"input_mahalanobis: {x_tr.shape[1]} input features exceed input_max_features={p['input_max_features']} "
                      f"(a covariance of that size is not estimated)")
        else:
            det["input_knn"] = det["input_mahalanobis"] = None
        est = {name: detection_estimates(s, y, rng=ctx.rng, weights=W, confidence=conf) for name, s in det.items() if s is not None}

        def auroc(name: str, keep: bool = False) -> Score:
            if name not in est:
                return Score.undefined(len(y))
            e = est[name]
            return Score.from_estimate(e["auroc"], per_example=e["placements"].astype(np.float32) if keep else None)

        def auprc(name: str) -> Score:
            return Score.from_estimate(est[name]["average_precision"]) if name in est else Score.undefined(len(y))

        def tpr(name: str, a: float) -> Score:
            if name not in est:
                return Score.undefined(len(y))
            if a in est[name]["unsupported"]:
                _warn(f"{name}: {est[name]['unsupported'][a]}")
                return Score.undefined(len(y))
            return Score.from_estimate(est[name]["tpr_at_fpr"][a])

        scores = {f"{d}_auroc": auroc(d, keep=d == "knn") for d in ("knn", "mahalanobis", "iforest", "lof", "recon", "elbo",
                                                                     "iwae", "input_knn", "input_mahalanobis")}
        scores.update({"knn_auprc": auprc("knn"), "recon_auprc": auprc("recon"), "knn_tpr_at_1fpr": tpr("knn", 0.01),
                       "knn_tpr_at_5fpr": tpr("knn", 0.05), "anomaly_rate": Score.plain(n_anom / len(y), len(y))})
        if "knn" in est and "input_knn" in est:
            diff = weighted_auroc(det["knn"], y, W) - weighted_auroc(det["input_knn"], y, W)
            value = scores["knn_auroc"].value - scores["input_knn_auroc"].value
            scores["knn_vs_input_auroc"] = Score.from_estimate(percentile_estimate(value, diff, n=len(y), confidence=conf,
                                                                                   method="paired-bootstrap-stratified"))
        else:
            scores["knn_vs_input_auroc"] = Score.undefined(len(y))
        if "anomaly_kind" in data.tables:
            info["by_kind"] = self._by_kind(data, rows_te, det)
        for key, value in scores.items():
            if value.value is not None and not math.isfinite(value.value):
                scores[key] = Score.undefined(len(y))
        return TaskOutput(scores, info=info)

    def _bounds(self, adapter: Adapter, data: Dataset, rows: np.ndarray, pos: np.ndarray, ctx: RunContext) -> tuple[np.ndarray, np.ndarray]:
        mean, logvar = ctx.posterior("test")
        mean, logvar = mean[pos], logvar[pos]
        elbo, iwae = [], []
        step = max(1, adapter.batch_size)
        for s in range(0, len(rows), step):
            lw, _ = log_weights(adapter, data.get_x(rows[s : s + step]), mean[s : s + step], logvar[s : s + step],
                                int(self.params["elbo_k"]), rng=ctx.rng)
            elbo.append(elbo_from_log_weights(lw)[0])
            iwae.append(iwae_from_log_weights(lw)[0])
            ctx.check_time()
        return -np.concatenate(elbo), -np.concatenate(iwae)

    @staticmethod
    def _by_kind(data: Dataset, rows: np.ndarray, det: dict[str, np.ndarray | None]) -> dict[str, Any]:
        kinds = data.table("anomaly_kind")[rows]
        names = data.metadata.get("anomaly_kinds") or [str(k) for k in range(int(kinds.max()) + 1)]
        out: dict[str, Any] = {}
        for kind in np.unique(kinds[kinds > 0]):
            sel = (kinds == 0) | (kinds == kind)
            yk = (kinds[sel] == kind).astype(np.int64)
            out[names[int(kind)]] = {d: round(float(auroc_score(yk, s[sel])), 6) for d, s in det.items() if s is not None}
            out[names[int(kind)]]["n"] = int(yk.sum())
        return out


class OneVsRestAnomaly(_Base):
    """One-class-versus-rest on a labelled dataset: each class in turn is the normal class.

    Codes are standardized once with the statistics of every ``train`` code. For each class ``c``:
    the detectors are fitted on the codes of the ``train`` rows of class ``c``
    and score every ``test`` row; anomalies are the test rows of the other classes. Scores are the
    mean over classes (``info["by_class"]`` holds each class); intervals come from one bootstrap of
    the test rows stratified by class, so each class's split keeps its sizes and the mean's
    interval accounts for the classes sharing their test rows. The encoder itself is *not*
    one-class (it was trained on every class, when it was trained on this dataset): this measures
    whether its codes separate one class from the rest for a detector that saw only that class.
    """

    summary = "Each class in turn as the normal class: kNN, Mahalanobis and reconstruction AUROC (mean over classes, each class in the details)."
    requires = frozenset({"labels"})
    scores = (
        ScoreSpec("knn_auroc", "higher", "mean over classes of the kNN-distance AUROC (primary)", _U),
        ScoreSpec("knn_auprc", "none", "mean over classes of the kNN average precision", _U),
        ScoreSpec("worst_class_knn_auroc", "none", "the lowest per-class kNN AUROC", _U),
        ScoreSpec("mahalanobis_auroc", "none", "mean over classes of the Mahalanobis AUROC", _U),
        ScoreSpec("recon_auroc", "none", "mean over classes of the reconstruction-error AUROC (models with DECODE)", _U),
        ScoreSpec("input_knn_auroc", "none", "null baseline: mean kNN AUROC on the raw inputs", _U),
        ScoreSpec("knn_vs_input_auroc", "none", "knn_auroc - input_knn_auroc, paired interval", _D),
    )
    primary = "knn_auroc"
    defaults = {"k": 5, "max_test": 20000, "input_baseline": True, "confidence": 0.95}
    param_ranges = {"k": "[1, 1000]", "max_test": "[2, 1000000]", "confidence": "(0, 1)"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        conf, k = float(p["confidence"]), int(p["k"])
        rows_tr = ctx.rows("train")
        rows_te, pos_te = ctx.subsampled_rows("test", int(p["max_test"]))
        lab_tr, lab_te = data.labels[rows_tr], data.labels[rows_te]
        classes = [c for c in np.unique(lab_tr) if (lab_tr == c).sum() > k and 0 < (lab_te != c).sum() < len(lab_te)]
        if not classes:
            raise NotApplicableError(f"no class of {data.name!r} has more than k={k} train rows and both classes among the test rows")
        z_all_tr, z_all_te = ctx.latents("train"), ctx.latents("test")[pos_te]
        W = resample_weights(len(rows_te), rng=ctx.rng, n_resamples=ctx.n_bootstrap, strata=lab_te)
        x_tr = data.get_x(rows_tr, flat=True).astype(np.float64) if p["input_baseline"] else None
        x_te = data.get_x(rows_te, flat=True).astype(np.float64) if p["input_baseline"] else None
        recon_err = (_detect("recon", lambda: _recon_error(adapter, data, rows_te, z_all_te))
                     if adapter.has(Capability.DECODE) else None)
        if not adapter.has(Capability.DECODE):
            _warn("recon: the model has no DECODE capability (no reconstruction error)")
        z_std_tr, z_std_te = _zscore(z_all_tr, z_all_te)  # one standardization (all train codes) for every class
        per: dict[str, dict[str, list[Any]]] = {d: {"value": [], "boot": [], "place": []}
                                                for d in ("knn", "mahalanobis", "recon", "input_knn")}
        ap_vals, by_class = [], {}
        for c in classes:
            y = (lab_te != c).astype(np.int64)
            z_tr, z_te = z_std_tr[lab_tr == c], z_std_te
            det = {"knn": _detect(f"knn (class {c})", lambda: knn_distance(z_tr, z_te, k)),
                   "mahalanobis": _detect(f"mahalanobis (class {c})", lambda: mahalanobis_distance(z_tr, z_te)),
                   "recon": recon_err,
                   "input_knn": _detect(f"input_knn (class {c})", lambda: knn_distance(x_tr[lab_tr == c], x_te, k)) if x_tr is not None else None}
            by_class[str(c)] = {}
            for d, s in det.items():
                if s is None:
                    continue
                e = detection_estimates(s, y, rng=ctx.rng, weights=W, confidence=conf, max_fprs=())
                per[d]["value"].append(e["auroc"].value)
                per[d]["boot"].append(weighted_auroc(s, y, W))
                per[d]["place"].append(e["placements"])
                by_class[str(c)][d] = round(e["auroc"].value, 6)
                if d == "knn":
                    ap_vals.append(e["average_precision"].value)
        n = len(rows_te)

        def mean_score(d: str, keep: bool = False) -> Score:
            v = per[d]
            if len(v["value"]) != len(classes):
                return Score.undefined(n)
            est = percentile_estimate(float(np.mean(v["value"])), np.mean(v["boot"], axis=0), n=n, confidence=conf,
                                      method="bootstrap-stratified")
            return Score.from_estimate(est, per_example=np.mean(v["place"], axis=0).astype(np.float32) if keep else None)

        scores = {"knn_auroc": mean_score("knn", keep=True), "mahalanobis_auroc": mean_score("mahalanobis"),
                  "recon_auroc": mean_score("recon"), "input_knn_auroc": mean_score("input_knn"),
                  "knn_auprc": Score.plain(float(np.mean(ap_vals)), n) if len(ap_vals) == len(classes) else Score.undefined(n),
                  "worst_class_knn_auroc": (Score.plain(float(np.min(per["knn"]["value"])), n)
                                            if len(per["knn"]["value"]) == len(classes) else Score.undefined(n))}
        if len(per["knn"]["value"]) == len(classes) == len(per["input_knn"]["value"]):
            diff = np.mean(per["knn"]["boot"], axis=0) - np.mean(per["input_knn"]["boot"], axis=0)
            scores["knn_vs_input_auroc"] = Score.from_estimate(percentile_estimate(
                scores["knn_auroc"].value - scores["input_knn_auroc"].value, diff, n=n, confidence=conf,
                method="paired-bootstrap-stratified"))
        else:
            scores["knn_vs_input_auroc"] = Score.undefined(n)
        for key, value in scores.items():
            if value.value is not None and not math.isfinite(value.value):
                scores[key] = Score.undefined(n)
        return TaskOutput(scores, info={"by_class": by_class, "classes": [int(c) for c in classes], "k": k, "n_test": n,
                                        "bootstrap": {"resamples": len(W), "confidence": conf, "unit": "test rows, stratified by label"}})


class PyODDetection(_Base):
    """A PyOD detector (optional extra ``anomaly``) on the codes, and on the raw inputs as the null baseline.

    The detector is fitted on the standardized codes of the ``train`` split (inliers only) and scores
    the test rows through PyOD's own ``decision_function``; nothing of PyOD is copied. Without PyOD the
    task is skipped with the reason.
    """

    summary = "A PyOD detector (ECOD by default; optional extra 'anomaly') on the codes and on the raw inputs."
    requires = frozenset({"is_anomaly"})
    reference = "PyOD (Zhao, Nasrullah & Li, JMLR 2019); ECOD (Li et al., TKDE 2022)"
    scores = (
        ScoreSpec("auroc", "higher", "AUROC of the PyOD detector on the codes", _U),
        ScoreSpec("auprc", "none", "average precision of the PyOD detector on the codes", _U),
        ScoreSpec("input_auroc", "none", "null baseline: the same detector on the raw inputs", _U),
    )
    primary = "auroc"
    defaults = {"detector": "ECOD", "max_train": 5000, "max_test": 20000, "input_baseline": True, "input_max_features": 1024,
                "confidence": 0.95}
    param_ranges = {"max_train": "[2, 1000000]", "max_test": "[2, 1000000]", "input_max_features": "[1, 100000]", "confidence": "(0, 1)"}
    param_choices = {"detector": ("ECOD", "COPOD", "IForest", "KNN", "LOF", "HBOS", "PCA", "OCSVM")}

    def skip_reason(self, adapter: Adapter, dataset: Dataset) -> str | None:
        try:
            import pyod  # noqa: F401
        except ImportError:
            return "needs the optional package 'pyod': pip install 'latentbench[anomaly]'"
        return super().skip_reason(adapter, dataset)

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        conf = float(p["confidence"])
        rows_tr, pos_tr = ctx.subsampled_rows("train", int(p["max_train"]))
        rows_te, pos_te = ctx.subsampled_rows("test", int(p["max_test"]))
        y = data.is_anomaly[rows_te].astype(np.int64)
        if y.sum() == 0 or y.sum() == len(y):
            raise NotApplicableError(f"the test split of {data.name!r} holds {int(y.sum())} anomalies among {len(y)} rows")
        z_tr, z_te = _zscore(ctx.latents("train")[pos_tr], ctx.latents("test")[pos_te])
        W = resample_weights(len(y), rng=ctx.rng, n_resamples=ctx.n_bootstrap, strata=y)
        seed = int(ctx.rng.integers(2**31))
        s = _detect(p["detector"], lambda: pyod_scores(z_tr, z_te, p["detector"], rng=seed))
        scores = {"auroc": Score.undefined(len(y)), "auprc": Score.undefined(len(y)), "input_auroc": Score.undefined(len(y))}
        if s is not None:
            e = detection_estimates(s, y, rng=ctx.rng, weights=W, confidence=conf, max_fprs=())
            scores["auroc"] = Score.from_estimate(e["auroc"], per_example=e["placements"].astype(np.float32))
            scores["auprc"] = Score.from_estimate(e["average_precision"])
        if p["input_baseline"]:
            x_tr, x_te = data.get_x(rows_tr, flat=True), data.get_x(rows_te, flat=True)
            if x_tr.shape[1] <= int(p["input_max_features"]):
                si = _detect(f"input {p['detector']}", lambda: pyod_scores(x_tr, x_te, p["detector"], rng=seed))
                if si is not None:
                    scores["input_auroc"] = Score.from_estimate(
                        detection_estimates(si, y, rng=ctx.rng, weights=W, confidence=conf, max_fprs=())["auroc"])
            else:
                _warn(f"input_auroc: {x_tr.shape[1]} input features exceed input_max_features={p['input_max_features']}")
        return TaskOutput(scores, info={"detector": p["detector"], "n_train": len(rows_tr), "n_test": len(y)})
