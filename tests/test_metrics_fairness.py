"""Fairness metrics where the answer is known: fairlearn's own numbers, identity and amplifying encoders,
noise, a copied attribute and its erasure, directional bias amplification by hand, WEAT by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fairlearn.metrics import (
    MetricFrame, demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference, equalized_odds_ratio,
    false_positive_rate, selection_rate, true_positive_rate,
)
from sklearn.metrics import accuracy_score, roc_auc_score

from latentbench.data.fairness import make_fair_census
from latentbench.exceptions import InputValidationError
from latentbench.metrics.fairness import (
    ConceptEraser, bias_amplification, directional_bias_amplification, fit_probe, group_metrics,
    group_stats_weighted, label_only_scores, leakage_auroc, weat, weighted_auroc,
)

torch.set_num_threads(1)


def _preds(seed=0, n=400, groups=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, n), rng.integers(0, 2, n), rng.integers(0, groups, n)


# ------------------------------------------------------------------------------------------ fairlearn equality
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_group_metrics_equal_fairlearn_exactly(seed):
    y, p, s = _preds(seed)
    gm = group_metrics(y, p, s)
    mf = MetricFrame(metrics={"accuracy": accuracy_score, "selection_rate": selection_rate, "tpr": true_positive_rate,
                              "fpr": false_positive_rate}, y_true=y, y_pred=p, sensitive_features=s)
    for g, row in mf.by_group.iterrows():
        for k, v in row.items():
            assert gm["by_group"][str(g)][k] == v
    assert gm["dp_diff"] == demographic_parity_difference(y, p, sensitive_features=s)
    assert gm["dp_ratio"] == demographic_parity_ratio(y, p, sensitive_features=s)
    assert gm["eo_diff"] == equalized_odds_difference(y, p, sensitive_features=s)
    assert gm["eo_ratio"] == equalized_odds_ratio(y, p, sensitive_features=s)
    assert gm["accuracy"] == accuracy_score(y, p)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorized_bootstrap_statistics_equal_fairlearn(seed):
    """The resampled statistics behind the intervals are fairlearn's definitions: equal on the sample itself
    and with integer weights (a resample is a weighting of the rows)."""
    y, p, s = _preds(seed)
    gm = group_metrics(y, p, s)
    st = group_stats_weighted(y, p, s, np.ones((1, len(y))))
    for k in ("accuracy", "dp_diff", "dp_ratio", "eo_diff", "eo_ratio"):
        assert st[k][0] == pytest.approx(gm[k], rel=1e-12, abs=1e-15), k
    w = np.random.default_rng(seed + 10).integers(0, 4, len(y)).astype(float)
    st = group_stats_weighted(y, p, s, w[None])
    kw = {"sensitive_features": s, "sample_weight": w}
    assert st["dp_diff"][0] == pytest.approx(demographic_parity_difference(y, p, **kw), rel=1e-12)
    assert st["dp_ratio"][0] == pytest.approx(demographic_parity_ratio(y, p, **kw), rel=1e-12)
    assert st["eo_diff"][0] == pytest.approx(equalized_odds_difference(y, p, **kw), rel=1e-12)
    assert st["eo_ratio"][0] == pytest.approx(equalized_odds_ratio(y, p, **kw), rel=1e-12)


# ------------------------------------------------------------------------------------------ amplification
def _probe_preds(z_tr, y_tr, z_te):
    return fit_probe(z_tr, y_tr).predict(z_te)


def _census(bias, n=4000):
    d = make_fair_census(n=n, bias=bias, seed=1)
    tr, te = d.split("train"), d.split("test")
    return d, tr, te


@pytest.mark.parametrize("bias", [0.0, 0.5, 1.0])
def test_identity_encoder_amplifies_nothing_at_any_bias(bias):
    d, tr, te = _census(bias)
    x = d.get_x(flat=True)
    p_in = _probe_preds(x[tr], d.labels[tr], x[te])
    p_lat = _probe_preds(x[tr].copy(), d.labels[tr], x[te].copy())  # identity latents, same protocol
    out = bias_amplification(d.labels[te], p_lat, p_in, d.sensitive[te], rng=np.random.default_rng(0), n_resamples=200)
    for key in ("dp_diff", "eo_diff", "dp_ratio", "eo_ratio", "accuracy"):
        assert tuple(out["stats"][key]["amplification"]) == (0.0, 0.0, 0.0)


def test_amplifying_encoder_shows_positive_amplification_and_bias_strength_moves_disparity():
    d, tr, te = _census(0.5)
    x = d.get_x(flat=True)
    proxies = d.metadata["proxy_columns"]
    z = 10 * x[:, proxies]  # scales up the proxies of the group and drops the legitimate features
    p_in = _probe_preds(x[tr], d.labels[tr], x[te])
    p_lat = _probe_preds(z[tr], d.labels[tr], z[te])
    out = bias_amplification(d.labels[te], p_lat, p_in, d.sensitive[te], rng=np.random.default_rng(0), n_resamples=500)
    v, lo, hi = out["stats"]["dp_diff"]["amplification"]
    assert lo > 0.1 and v > 0.2, out["stats"]["dp_diff"]
    # planted bias 0 against strong: the input probe's disparity goes from about 0 to large
    d0, tr0, te0 = _census(0.0)
    x0 = d0.get_x(flat=True)
    p0 = _probe_preds(x0[tr0], d0.labels[tr0], x0[te0])
    gap0 = group_metrics(d0.labels[te0], p0, d0.sensitive[te0])["dp_diff"]
    gap5 = out["stats"]["dp_diff"]["input"].value
    assert gap0 < 0.06 and gap5 > 0.25


def test_noise_encoder_has_no_amplification_and_no_leakage_without_bias():
    d, tr, te = _census(0.0)
    x = d.get_x(flat=True)
    z = np.random.default_rng(5).standard_normal((len(d), 4))
    rng = np.random.default_rng(0)
    p_in = _probe_preds(x[tr], d.labels[tr], x[te])
    p_lat = _probe_preds(z[tr], d.labels[tr], z[te])
    out = bias_amplification(d.labels[te], p_lat, p_in, d.sensitive[te], rng=rng, n_resamples=500)
    assert abs(out["stats"]["dp_diff"]["amplification"].value) < 0.06
    chance = max(d.labels[te].mean(), 1 - d.labels[te].mean())
    assert out["stats"]["accuracy"]["latent"].value < chance + 0.04  # it predicts nothing: the report must not call it fair
    probe = fit_probe(z[tr], d.sensitive[tr])
    v, lo, hi = leakage_auroc(probe.predict_proba(z[te])[:, 1], d.sensitive[te], rng=rng, n_resamples=500)
    assert abs(v - 0.5) < 0.06 and lo <= 0.5 <= hi  # the interval contains chance


def test_copied_attribute_leaks_fully_and_erasure_removes_it():
    rng = np.random.default_rng(0)
    n = 3000
    s = rng.integers(0, 2, n)
    z = np.concatenate([rng.standard_normal((n, 5)), s[:, None].astype(float)], axis=1)
    tr, te = np.arange(2000), np.arange(2000, n)
    probe = fit_probe(z[tr], s[tr])
    v, lo, hi = leakage_auroc(probe.predict_proba(z[te])[:, 1], s[te], rng=rng, n_resamples=300)
    assert v > 0.999 and lo > 0.99
    eraser = ConceptEraser(z[tr], s[tr])
    ze = eraser.transform(z)
    cov = np.cov(np.c_[ze[tr], s[tr]].T)[-1, :-1]
    assert np.abs(cov).max() < 1e-10  # linear guardedness on the fitting rows (LEACE)
    probe = fit_probe(ze[tr], s[tr])
    v, lo, hi = leakage_auroc(probe.predict_proba(ze[te])[:, 1], s[te], rng=rng, n_resamples=300)
    assert abs(v - 0.5) < 0.05, v
    assert np.allclose(ze[:, :5], z[:, :5], atol=0.1)  # the other coordinates barely move


# ------------------------------------------------------------------------------------------ leakage helpers
@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_auroc_equals_sklearn_with_ties_and_weights(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    sc = np.round(rng.standard_normal(300) + y, 1)  # ties
    w = rng.integers(0, 5, 300).astype(float)
    assert weighted_auroc(sc, y) == pytest.approx(roc_auc_score(y, sc), abs=1e-12)
    assert weighted_auroc(sc, y, w) == pytest.approx(roc_auc_score(y, sc, sample_weight=w), abs=1e-12)
    many = weighted_auroc(sc, y, np.stack([w, np.ones(300)]))
    assert many[0] == pytest.approx(roc_auc_score(y, sc, sample_weight=w)) and many[1] == pytest.approx(roc_auc_score(y, sc))


def test_label_only_scores_are_train_frequencies():
    s = np.array([1, 1, 0, 0, 0, 1])
    y = np.array([1, 1, 1, 0, 0, 0])
    np.testing.assert_allclose(label_only_scores(s, y, np.array([0, 1, 2])), [1 / 3, 2 / 3, 0.5])


# ------------------------------------------------------------------------------------------ directional BA
def test_directional_bias_amplification_by_hand():
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    t = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    assert directional_bias_amplification(a, t, t_pred=t) == 0.0  # predictions equal to the truth amplify nothing
    # predicting the task from the attribute alone: P(T^=1|A=1) = 1 vs P(T=1|A=1) = 0.75 in every pair: 0.25
    assert directional_bias_amplification(a, t, t_pred=a) == pytest.approx(0.25)
    assert directional_bias_amplification(a, t, a_pred=t, direction="T->A") == pytest.approx(0.25)
    # predictions that remove the correlation (a constant) reduce it: negative
    assert directional_bias_amplification(a, t, t_pred=np.zeros(8, int)) < 0
    w = np.stack([np.ones(8), np.ones(8)])
    np.testing.assert_allclose(directional_bias_amplification(a, t, t_pred=a, weights=w), [0.25, 0.25])


def test_directional_bias_amplification_needs_its_prediction():
    with pytest.raises(InputValidationError, match="t_pred is required"):
        directional_bias_amplification([0, 1], [0, 1])
    with pytest.raises(InputValidationError, match="'direction' must be one of"):
        directional_bias_amplification([0, 1], [0, 1], t_pred=[0, 1], direction="AT")


# ------------------------------------------------------------------------------------------ WEAT
def test_weat_effect_size_by_hand():
    e = np.eye(2)
    out = weat(e[:1], e[1:], e[:1], e[1:], rng=0)
    # s(x) = 1, s(y) = -1: d = 2 / std([1, -1], ddof=1) = sqrt(2); S = 2; partitions: 2, one as extreme
    assert out["effect_size"] == pytest.approx(np.sqrt(2))
    assert out["statistic"] == pytest.approx(2.0) and out["p_value"] == 0.5 and out["exact"]


def test_weat_detects_association_and_not_its_absence():
    rng = np.random.default_rng(0)
    d = 20
    a_dir, b_dir = np.eye(d)[0], np.eye(d)[1]
    X = rng.standard_normal((6, d)) * 0.3 + a_dir
    Y = rng.standard_normal((6, d)) * 0.3 + b_dir
    A = rng.standard_normal((5, d)) * 0.3 + a_dir
    B = rng.standard_normal((5, d)) * 0.3 + b_dir
    out = weat(X, Y, A, B, rng=0)  # C(12, 6) = 924 partitions: exact
    assert out["exact"] and out["n_partitions"] == 924
    assert out["effect_size"] > 1.5 and out["p_value"] <= 1 / 924 + 1e-12
    swapped = weat(Y, X, A, B, rng=0)
    assert swapped["effect_size"] == pytest.approx(-out["effect_size"]) and swapped["p_value"] > 0.99
    null = weat(rng.standard_normal((6, d)), rng.standard_normal((6, d)), A, B, rng=0)
    assert 0.02 < null["p_value"] < 0.98
    mc = weat(X, Y, A, B, n_permutations=200, rng=np.random.default_rng(1))
    assert not mc["exact"] and mc["p_value"] == pytest.approx(1 / 201)


def test_weat_input_errors_name_the_argument():
    e = np.eye(3)
    with pytest.raises(InputValidationError, match="B has 2 dimensions"):
        weat(e[:1], e[1:2], e[2:], np.ones((1, 2)), rng=0)
    with pytest.raises(InputValidationError, match="X has a zero vector"):
        weat(np.zeros((1, 3)), e[:1], e[1:2], e[2:], rng=0)


# ------------------------------------------------------------------------------------------ errors
def test_bad_inputs_give_one_line_errors():
    with pytest.raises(InputValidationError, match="y_pred must hold binary values") as info:
        group_metrics([0, 1, 1], [0, 2, 1], [0, 0, 1])
    assert "\n" not in str(info.value)
    with pytest.raises(InputValidationError, match="inconsistent numbers of samples"):
        group_metrics([0, 1, 1], [0, 1], [0, 0, 1])
    with pytest.raises(InputValidationError, match="y has a single class"):
        fit_probe(np.zeros((4, 2)), [1, 1, 1, 1])
    with pytest.raises(InputValidationError, match="'kind' must be one of"):
        fit_probe(np.zeros((4, 2)), [0, 1, 0, 1], kind="svm")
    with pytest.raises(InputValidationError, match="s must have at least two classes"):
        ConceptEraser(np.zeros((5, 2)), np.zeros(5))
