"""Fairness audit: does the latent space amplify a bias present in the data, and does it leak the sensitive attribute?"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..exceptions import InputValidationError
from ..metrics.fairness import (
    bias_amplification, directional_bias_amplification, fit_probe, label_only_scores, leakage_auroc, weighted_auroc,
)
from ..stats import percentile_estimate, resample_weights
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

__all__ = ["BiasAudit"]

_D = (-1.0, 1.0)


def _s(name: str, description: str, direction: str = "none", bounds: tuple[float | None, float | None] = (0.0, 1.0)) -> ScoreSpec:
    return ScoreSpec(name, direction, description, bounds)  # type: ignore[arg-type]


class BiasAudit(Task):
    """Bias amplification, directional bias amplification and leakage of a sensitive attribute.

    Protocol. Two probes with the same recipe (:func:`latentbench.metrics.fairness.fit_probe`:
    standardization then logistic regression, or a small MLP with ``probe = "mlp"``) are trained on
    the ``train`` split to predict the binary label: one on the latents, one on the raw (flattened)
    inputs. Both predict the ``test`` split; fairlearn's ``MetricFrame`` gives per-group accuracy,
    selection rate, TPR and FPR, and the demographic-parity (DP) and equalized-odds (EO) differences
    and ratios of each probe.

    * **Amplification** = latent-probe disparity - input-probe disparity (positive: the latent space
      widens the gap the inputs already allow). Intervals are paired percentile bootstraps of the
      test predictions (the probes are never refitted). Always read beside both probes' accuracy and
      ``chance_accuracy``: an uninformative latent space has a small gap because it predicts nothing.
    * **Directional bias amplification** ``A->T`` (Wang & Russakovsky 2021) of each probe, and
      ``T->A`` of the latent attribute probe.
    * **Leakage**: AUROC of a probe predicting the sensitive attribute from the latents (trained on
      train, scored on test), beside the same probe on the raw inputs and the AUROC of the label
      alone (``P(s | y)`` from train frequencies). Binary sensitive attributes only (NaN otherwise).

    All intervals in one job share the same bootstrap resamples of the test rows.
    """

    class_version = 2  # v2: bootstrap resamples from the one engine (stats.resample_weights), not a multinomial of their own
    family = "fairness"
    summary = "Bias amplification (latent probe vs input probe, fairlearn group metrics), directional bias amplification and attribute leakage."
    needs = frozenset({Capability.ENCODE})
    requires = frozenset({"labels", "sensitive"})
    standardization = "zscore"
    reference = ("fairlearn MetricFrame (Bird et al. 2020); directional bias amplification (Wang & Russakovsky, ICML 2021); "
                 "leakage (Wang et al., ICCV 2019)")
    scores = (
        _s("dp_amplification", "latent-probe minus input-probe demographic-parity difference (> 0: the latents widen the gap)", bounds=_D),
        _s("eo_amplification", "latent-probe minus input-probe equalized-odds difference", bounds=_D),
        _s("latent_accuracy", "test accuracy of the label probe on the latents", "higher"),
        _s("input_accuracy", "test accuracy of the same probe on the raw inputs"),
        _s("chance_accuracy", "accuracy of always predicting the majority test label"),
        _s("latent_dp_diff", "demographic-parity difference of the latent probe (fairlearn)"),
        _s("input_dp_diff", "demographic-parity difference of the input probe (fairlearn)"),
        _s("latent_eo_diff", "equalized-odds difference of the latent probe (fairlearn)"),
        _s("input_eo_diff", "equalized-odds difference of the input probe (fairlearn)"),
        _s("latent_dp_ratio", "demographic-parity ratio of the latent probe (fairlearn)"),
        _s("input_dp_ratio", "demographic-parity ratio of the input probe (fairlearn)"),
        _s("latent_eo_ratio", "equalized-odds ratio of the latent probe (fairlearn)"),
        _s("input_eo_ratio", "equalized-odds ratio of the input probe (fairlearn)"),
        _s("latent_dba", "directional bias amplification A->T of the latent probe (Wang & Russakovsky 2021)", bounds=_D),
        _s("input_dba", "directional bias amplification A->T of the input probe", bounds=_D),
        _s("dba_amplification", "latent_dba - input_dba", bounds=(-2.0, 2.0)),
        _s("latent_dba_t_to_a", "directional bias amplification T->A of the attribute probe on the latents", bounds=_D),
        _s("leakage_auroc", "AUROC of the sensitive attribute from the latents (linear probe)", "lower"),
        _s("input_leakage_auroc", "AUROC of the sensitive attribute from the raw inputs (same probe)"),
        _s("label_leakage_auroc", "AUROC of the sensitive attribute from the label alone"),
        _s("leakage_excess", "leakage_auroc - label_leakage_auroc", bounds=_D),
    )
    primary = "dp_amplification"
    defaults = {"probe": "logistic", "C": 1.0, "mlp_hidden": 64, "max_iter": 1000, "max_train": 5000, "max_test": 20000,
                "positive_label": -1, "input_probe": True, "confidence": 0.95}
    param_ranges = {"C": "(0, inf)", "mlp_hidden": "[1, 4096]", "max_iter": "[1, 100000]", "max_train": "[2, 1000000]",
                    "max_test": "[1, 1000000]", "confidence": "(0, 1)"}
    param_choices = {"probe": ("logistic", "mlp")}

    def _labels(self, y: np.ndarray) -> np.ndarray:
        pos = self.params["positive_label"]
        values = np.unique(y)
        if pos == -1:
            if not np.isin(values, (0, 1)).all():
                raise InputValidationError(f"{self.name}: labels {values[:6].tolist()} are not binary; set the task parameter "
                                           f"'positive_label' to the class to predict")
            return y.astype(np.int64)
        return (y == pos).astype(np.int64)

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        conf = float(p["confidence"])
        rows_tr, pos_tr = ctx.subsampled_rows("train", int(p["max_train"]))
        rows_te, pos_te = ctx.subsampled_rows("test", int(p["max_test"]))
        z_tr, z_te = ctx.latents("train")[pos_tr], ctx.latents("test")[pos_te]
        y_tr, y_te = self._labels(data.labels[rows_tr]), self._labels(data.labels[rows_te])
        s_tr, s_te = data.sensitive[rows_tr], data.sensitive[rows_te]
        probe_kw = {"kind": p["probe"], "C": float(p["C"]), "hidden": int(p["mlp_hidden"]), "max_iter": int(p["max_iter"]),
                    "seed": int(ctx.rng.integers(2**31))}
        W = resample_weights(len(rows_te), rng=ctx.rng, n_resamples=ctx.n_bootstrap)
        n = len(rows_te)

        def ci(value: float, boot: np.ndarray) -> Score:
            return Score.from_estimate(percentile_estimate(float(value), boot, n=n, confidence=conf))

        nan = Score.undefined()
        latent_probe = fit_probe(z_tr, y_tr, **probe_kw)
        pred_l = latent_probe.predict(z_te)
        x_tr = x_te = None
        if p["input_probe"]:
            x_tr, x_te = data.get_x(rows_tr, flat=True), data.get_x(rows_te, flat=True)
            pred_i = fit_probe(x_tr, y_tr, **probe_kw).predict(x_te)
        else:
            pred_i = pred_l
        amp = bias_amplification(y_te, pred_l, pred_i, s_te, rng=ctx.rng, weights=W, confidence=conf)
        st = amp["stats"]
        scores: dict[str, Score] = {"chance_accuracy": Score.plain(max(y_te.mean(), 1 - y_te.mean()), n)}
        for key in ("accuracy", "dp_diff", "dp_ratio", "eo_diff", "eo_ratio"):
            scores[f"latent_{key}"] = Score.from_estimate(st[key]["latent"])
            scores[f"input_{key}"] = Score.from_estimate(st[key]["input"]) if p["input_probe"] else nan
        scores["dp_amplification"] = Score.from_estimate(st["dp_diff"]["amplification"]) if p["input_probe"] else nan
        scores["eo_amplification"] = Score.from_estimate(st["eo_diff"]["amplification"]) if p["input_probe"] else nan

        dba_l = directional_bias_amplification(s_te, y_te, t_pred=pred_l)
        dba_lb = directional_bias_amplification(s_te, y_te, t_pred=pred_l, weights=W)
        scores["latent_dba"] = ci(dba_l, dba_lb)
        if p["input_probe"]:
            dba_i = directional_bias_amplification(s_te, y_te, t_pred=pred_i)
            dba_ib = directional_bias_amplification(s_te, y_te, t_pred=pred_i, weights=W)
            scores["input_dba"] = ci(dba_i, dba_ib)
            scores["dba_amplification"] = ci(dba_l - dba_i, dba_lb - dba_ib)
        else:
            scores["input_dba"] = scores["dba_amplification"] = nan

        binary_s = np.isin(np.unique(np.concatenate([s_tr, s_te])), (0, 1)).all() and len(np.unique(s_tr)) == 2
        info: dict[str, Any] = {
            "probe": {"kind": p["probe"], "C": p["C"], "standardization": "zscore (train statistics)",
                      **({"hidden": p["mlp_hidden"]} if p["probe"] == "mlp" else {}), "max_iter": p["max_iter"]},
            "n_train": len(rows_tr), "n_test": n, "bootstrap": {"resamples": len(W), "confidence": conf, "unit": "test rows"},
            "groups": {str(g): int((s_te == g).sum()) for g in np.unique(s_te)},
            "test_base_rates": {str(g): float(y_te[s_te == g].mean()) for g in np.unique(s_te)},
            "by_group": {"latent": amp["latent"]["by_group"], "input": amp["input"]["by_group"] if p["input_probe"] else None},
            "dataset_metadata": {k: data.metadata[k] for k in ("planted_bias", "label_name", "sensitive_name") if k in data.metadata},
        }
        if binary_s:
            s_tr_b, s_te_b = s_tr.astype(np.int64), s_te.astype(np.int64)
            attr_probe = fit_probe(z_tr, s_tr_b, **probe_kw)
            scores["leakage_auroc"] = Score.from_estimate(leakage_auroc(attr_probe.predict_proba(z_te)[:, 1], s_te_b, rng=ctx.rng,
                                                                        weights=W, confidence=conf))
            a_pred = attr_probe.predict(z_te)
            t2a = directional_bias_amplification(s_te_b, y_te, a_pred=a_pred, direction="T->A")
            t2a_b = directional_bias_amplification(s_te_b, y_te, a_pred=a_pred, direction="T->A", weights=W)
            scores["latent_dba_t_to_a"] = ci(t2a, t2a_b)
            if p["input_probe"]:
                in_probe = fit_probe(x_tr, s_tr_b, **probe_kw)
                scores["input_leakage_auroc"] = Score.from_estimate(leakage_auroc(in_probe.predict_proba(x_te)[:, 1], s_te_b,
                                                                                  rng=ctx.rng, weights=W, confidence=conf))
            else:
                scores["input_leakage_auroc"] = nan
            lab_scores = label_only_scores(s_tr_b, y_tr, y_te)
            scores["label_leakage_auroc"] = Score.from_estimate(leakage_auroc(lab_scores, s_te_b, rng=ctx.rng, weights=W,
                                                                              confidence=conf))
            diff_b = weighted_auroc(attr_probe.predict_proba(z_te)[:, 1], s_te_b, W) - weighted_auroc(lab_scores, s_te_b, W)
            scores["leakage_excess"] = ci(scores["leakage_auroc"].value - scores["label_leakage_auroc"].value, diff_b)
        else:
            for k in ("leakage_auroc", "input_leakage_auroc", "label_leakage_auroc", "leakage_excess", "latent_dba_t_to_a"):
                scores[k] = nan
            info["leakage"] = "not computed: the sensitive attribute is not binary 0/1"
        for k, v in scores.items():
            if v.value is not None and not math.isfinite(v.value):
                scores[k] = Score.undefined()
        return TaskOutput(scores, info=info)
