"""Tests of the disentanglement metrics: exactness against disentanglement_lib's formulas,
ground-truth codes, invariances, degenerate and bad inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import mutual_info_score

from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics import _discrete as D
from latentbench.metrics import disentanglement as dm
from latentbench.metrics.disentanglement import (
    beta_vae_score,
    bootstrap_accuracy,
    dci_score,
    explicitness_score,
    factor_vae_score,
    mig_sampled_score,
    mig_score,
    modularity_score,
    sap_score,
)

torch.set_num_threads(1)

SHAPES_SIZES = (3, 6, 40, 32, 32)
SMALL_SIZES = (3, 4, 5, 6)
#: MIG of codes = factors on 10,000 random points of the shapes grid (``random_grid_points(
#: SHAPES_SIZES, 10_000, seed=0)``), from the slow disentanglement_lib formula: about 0.896. Per
#: factor 0.998, 0.997, 0.802, 0.842, 0.842: 20 bins merge orientation's 40 values in pairs
#: (ceiling log 20 / log 40 = 0.812) and the positions' 32 values into 20 bins of one or two
#: values (ceiling 0.85), and finite-sample MI with the other (independent) latents lowers every
#: gap slightly.
SHAPES_CODES_EQ_FACTORS_MIG = 0.896349673596949

slow = pytest.mark.slow  # the one switch: LATENTBENCH_SLOW=1 (tests/conftest.py)


# ------------------------------------------------------------------------------ references
def slow_mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> tuple[float, np.ndarray]:
    """disentanglement_lib's _compute_mig on sample-major arrays (loops over sklearn)."""
    n_lat, n_fac = codes.shape[1], factors.shape[1]
    disc = np.zeros_like(codes)
    for j in range(n_lat):
        disc[:, j] = np.digitize(codes[:, j], np.histogram(codes[:, j], n_bins)[1][:-1])
    m = np.array([[mutual_info_score(factors[:, k], disc[:, j]) for k in range(n_fac)] for j in range(n_lat)])
    h = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(n_fac)])
    s = np.sort(m, axis=0)[::-1]
    per = (s[0] - s[1]) / h
    return float(np.mean(per)), per


def grid(sizes) -> np.ndarray:
    """Every combination of the factor values, shape (prod(sizes), len(sizes))."""
    return np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), axis=-1).reshape(-1, len(sizes))


def random_grid_points(sizes, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, s, size=n) for s in sizes], axis=1)


# ------------------------------------------------------------------------ MIG vs DL formula
@pytest.mark.parametrize("seed", range(6))
def test_mig_equals_slow_formula_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 3000))
    n_lat = int(rng.integers(2, 7))
    n_bins = int(rng.choice([1, 2, 5, 20, 33]))
    sizes = rng.integers(1, 25, size=int(rng.integers(1, 5)))
    sizes[0] = max(sizes[0], 2)
    factors = np.stack([rng.integers(0, s, size=n) for s in sizes], axis=1) + rng.integers(-5, 5, size=len(sizes))
    codes = rng.normal(size=(n, n_lat)) * 10.0 ** rng.uniform(-6, 6, size=n_lat) + rng.normal(size=n_lat) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-valued factors (size 1) warn; DL gives NaN there too
        ours = mig_score(codes, factors, n_bins=n_bins, return_details=True)
        ref, ref_per = slow_mig(codes, factors, n_bins)
    ok = ~np.isnan(ref_per)
    np.testing.assert_allclose(np.asarray(ours["mig_per_factor"])[ok], ref_per[ok], rtol=0, atol=1e-12)
    assert np.isnan(np.asarray(ours["mig_per_factor"])[~ok]).all()
    assert ours["mig"] == pytest.approx(float(np.mean(ref_per[ok])), abs=1e-12)


def test_mig_equals_slow_formula_on_structured_inputs():
    rng = np.random.default_rng(11)
    factors = random_grid_points(SHAPES_SIZES, 5000, seed=3)
    codes = np.concatenate([factors + 0.3 * rng.normal(size=factors.shape),
                            np.full((5000, 2), 1.7), np.zeros((5000, 1)),
                            np.round(rng.normal(size=(5000, 2)), 1)], axis=1)
    for n_bins in (20, 7):
        ours = mig_score(codes, factors, n_bins=n_bins, return_details=True)
        ref, ref_per = slow_mig(codes, factors, n_bins)
        assert ours["mig"] == pytest.approx(ref, abs=1e-12)
        np.testing.assert_allclose(ours["mig_per_factor"], ref_per, atol=1e-12, rtol=0)
        assert ours["n_constant_latents"] == 3
        mi = np.asarray(ours["mutual_info"])
        assert (mi[5:8] == 0).all()  # constant latents: exactly zero


def test_histogram_bins_match_np_digitize_exactly_at_edges():
    rng = np.random.default_rng(5)
    base = rng.normal(size=200)
    edges = np.histogram_bin_edges(base, 20)
    # values exactly on every edge, one ulp either side, and the extremes
    c = np.concatenate([base, edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    c = np.clip(c, base.min(), base.max())
    codes = np.stack([c, 1e8 + c * 1e-5, c * 1e-300, np.full_like(c, 3.0), np.round(c, 1)], axis=1)
    bins, constant = D.histogram_bins(codes, 20)
    for j in range(codes.shape[1]):
        np.testing.assert_array_equal(bins[j] + 1, np.digitize(codes[:, j], np.histogram(codes[:, j], 20)[1][:-1]))
    assert constant.tolist() == [False, False, False, True, False]


def test_mi_matrix_matches_sklearn_pairwise():
    rng = np.random.default_rng(2)
    factors = random_grid_points((2, 7, 13), 4000, seed=8)
    codes = factors[:, [0, 1, 2, 1]] + rng.normal(size=(4000, 4))
    mi = np.asarray(mig_score(codes, factors, n_bins=12, return_details=True)["mutual_info"])
    for j in range(4):
        c = codes[:, j]
        b = np.digitize(c, np.histogram(c, 12)[1][:-1])
        for k in range(3):
            assert mi[j, k] == pytest.approx(mutual_info_score(factors[:, k], b), abs=1e-13)


def test_torch_backend_equals_numpy_backend():
    rng = np.random.default_rng(4)
    factors = random_grid_points(SHAPES_SIZES, 3000, seed=9)
    codes = factors @ rng.normal(size=(5, 6)) + rng.normal(size=(3000, 6))
    codes[:, 4] = 2.0
    a = mig_score(codes, factors, backend="numpy", return_details=True)
    b = mig_score(torch.as_tensor(codes, dtype=torch.float32).double(), torch.as_tensor(factors), backend="torch", return_details=True)
    assert b["backend"] == "torch" and a["backend"] == "numpy"
    np.testing.assert_allclose(b["mutual_info"], a["mutual_info"], atol=1e-13, rtol=0)
    assert b["mig"] == pytest.approx(a["mig"], abs=1e-13)
    # "auto" keeps CPU tensors on the (faster) NumPy path
    assert mig_score(torch.as_tensor(codes), factors, return_details=True)["backend"] == "numpy"


# --------------------------------------------------------------------- MIG ground truths
def test_mig_is_one_for_codes_equal_to_factors_on_the_full_grid():
    f = grid(SMALL_SIZES)
    r = mig_score(f.astype(float), f, return_details=True)
    assert r["mig"] == pytest.approx(1.0, abs=1e-12)
    assert r["top_latent"] == [0, 1, 2, 3]
    # a permutation of the latents and a positive affine rescaling of each: the same value
    perm = [2, 0, 3, 1]
    r2 = mig_score(f[:, perm] * np.array([2.5, 0.1, 7.0, 1e3]) - 4.0, f, return_details=True)
    assert r2["mig"] == pytest.approx(1.0, abs=1e-12)


def test_mig_on_shapes_factors_is_below_one_and_matches_dl():
    f = random_grid_points(SHAPES_SIZES, 10_000, seed=0)
    r = mig_score(f.astype(float), f, return_details=True)
    ref, _ = slow_mig(f.astype(float), f)
    assert r["mig"] == pytest.approx(ref, abs=1e-12)
    assert r["mig"] == pytest.approx(SHAPES_CODES_EQ_FACTORS_MIG, abs=1e-9)  # about 0.896
    assert r["mig"] < 1.0
    # permuted and positively rescaled latents give the same value
    perm = [4, 2, 0, 3, 1]
    r2 = mig_score(f[:, perm] * np.array([0.5, 3.0, 1.0, 2.0, 10.0]) + np.array([1.0, -2.0, 0.0, 5.0, 0.25]), f, return_details=True)
    assert r2["mig"] == pytest.approx(r["mig"], abs=1e-12)


def test_mig_drops_under_rotation_and_is_near_zero_for_noise():
    f = random_grid_points(SHAPES_SIZES, 10_000, seed=0)
    z = (f - f.mean(0)) / f.std(0)
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
    rotated = mig_score(z @ q, f, return_details=True)["mig"]
    assert rotated < 0.3  # about 0.085
    noise = mig_score(np.random.default_rng(2).normal(size=(10_000, 10)), f, return_details=True)["mig"]
    assert 0 <= noise < 0.02


def test_mig_constant_codes_warn_and_give_nan():
    f = random_grid_points(SMALL_SIZES, 500, seed=1)
    with pytest.warns(UndefinedMetricWarning, match="constant"):
        r = mig_score(np.ones((500, 3)), f, return_details=True)
    assert np.isnan(r["mig"]) and np.isnan(r["mig_per_factor"]).all() and r["n_constant_latents"] == 3


def test_mig_constant_factor_warns_and_is_excluded():
    f = random_grid_points(SMALL_SIZES, 500, seed=1)
    f[:, 2] = 7
    codes = f + np.random.default_rng(0).normal(scale=0.1, size=f.shape)
    with pytest.warns(UndefinedMetricWarning, match=r"factor\(s\) \[2\]"):
        r = mig_score(codes, f, return_details=True)
    per = np.asarray(r["mig_per_factor"])
    assert np.isnan(per[2]) and r["top_latent"][2] == -1
    assert r["mig"] == pytest.approx(np.mean(per[[0, 1, 3]]))
    with pytest.warns(UndefinedMetricWarning):
        r = mig_score(codes, np.zeros((500, 2), dtype=int), return_details=True)
    assert np.isnan(r["mig"])


def test_mig_factor_codes_need_not_start_at_zero():
    f = random_grid_points(SMALL_SIZES, 800, seed=2)
    codes = f + np.random.default_rng(0).normal(scale=0.5, size=f.shape)
    shifted = f * np.array([1, 1000, 1, 10**12]) - 50  # wide ranges take the np.unique path
    assert mig_score(codes, shifted, return_details=True)["mig"] == pytest.approx(mig_score(codes, f, return_details=True)["mig"], abs=1e-14)
    assert mig_score(codes, f.astype(float), return_details=True)["mig"] == mig_score(codes, f, return_details=True)["mig"]


# ----------------------------------------------------------------------------- sampled MIG
def test_sampled_mig_known_answers():
    f = grid(SMALL_SIZES)
    rng = np.random.default_rng(0)
    r = mig_sampled_score(f.astype(float), np.full(f.shape, np.log(1e-4)), f, rng=rng, return_details=True)
    assert r["mig"] == pytest.approx(1.0, abs=1e-3)
    assert r["top_latent"] == [0, 1, 2, 3]
    np.testing.assert_allclose(r["factor_entropy"], np.log(SMALL_SIZES), rtol=1e-12)
    assert r["n"] == 360 and r["n_samples"] == 360 and r["estimator"] == "sampled"
    # means independent of the factors
    r = mig_sampled_score(rng.normal(size=f.shape), np.zeros(f.shape), f, rng=rng, return_details=True)
    assert 0 <= r["mig"] < 0.05


def test_sampled_mig_subsample_chunks_and_tensor_input_agree():
    f = grid(SMALL_SIZES)
    mean = f * 0.5 + np.random.default_rng(1).normal(scale=0.2, size=f.shape)
    logvar = np.full(f.shape, np.log(0.05))
    a = mig_sampled_score(mean, logvar, f, rng=np.random.default_rng(3), n_samples=100, chunk_elements=1 << 20, return_details=True)
    b = mig_sampled_score(torch.as_tensor(mean), torch.as_tensor(logvar), f, rng=np.random.default_rng(3),
                          n_samples=100, chunk_elements=97, return_details=True)  # tiny chunks: many log-sum-exp pieces
    assert b["mig"] == pytest.approx(a["mig"], abs=1e-10)
    assert a["n_samples"] == 100 and 0.3 < a["mig"] < 1.0
    c = mig_sampled_score(mean, logvar, f, rng=np.random.default_rng(3), max_rows=200, return_details=True)
    assert c["n"] == 200


# -------------------------------------------------------------------------------------- DCI
def test_dci_codes_equal_to_factors():
    f = grid(SMALL_SIZES)
    r = dci_score(f.astype(float), f, f.astype(float), f, rng=np.random.default_rng(0), return_correct=True, return_details=True)
    assert r["disentanglement"] > 0.999 and r["completeness"] > 0.999
    assert r["informativeness_test"] == 1.0 and r["informativeness_train"] == 1.0
    imp = np.asarray(r["importance_matrix"])
    assert imp.shape == (4, 4) and np.allclose(imp, np.eye(4), atol=1e-9)
    # per-example correctness for a bootstrap without refitting
    ci = bootstrap_accuracy(r["correct_test"], rng=np.random.default_rng(1), n_resamples=200)
    assert ci.value == r["informativeness_test"] == ci.ci_low == ci.ci_high


def test_dci_noise_codes_and_lasso_variant():
    f = grid(SMALL_SIZES)
    rng = np.random.default_rng(0)
    r = dci_score(rng.normal(size=f.shape), f, rng.normal(size=f.shape), f, rng=rng, predictor="lasso", return_details=True)
    assert r["disentanglement"] < 0.2 and r["completeness"] < 0.2
    assert r["informativeness_test"] < 0.4
    z = f + rng.normal(scale=0.05, size=f.shape)
    r = dci_score(z, f, z, f, rng=rng, predictor="lasso", return_details=True)
    assert r["disentanglement"] > 0.9 and r["completeness"] > 0.9
    np.testing.assert_allclose(np.asarray(r["importance_matrix"]).sum(axis=0), 1.0)


def test_dci_gbt_noise_codes_near_zero():
    sizes = (3, 4, 5)
    f = np.repeat(grid(sizes), 2, axis=0)
    rng = np.random.default_rng(0)
    r = dci_score(rng.normal(size=(len(f), 4)), f, rng.normal(size=(len(f), 4)), f, rng=rng, return_details=True)
    assert r["disentanglement"] < 0.15 and r["completeness"] < 0.15


def test_dci_and_mig_invariant_to_latent_permutation():
    f = np.repeat(grid((3, 4, 5)), 2, axis=0)
    rng = np.random.default_rng(3)
    z = np.concatenate([f + rng.normal(scale=0.6, size=f.shape), rng.normal(size=(len(f), 1))], axis=1)
    zt = np.concatenate([f[::-1] + rng.normal(scale=0.6, size=f.shape), rng.normal(size=(len(f), 1))], axis=1)
    perm = [3, 1, 0, 2]
    for predictor in ("gbt", "lasso"):
        a = dci_score(z, f, zt, f[::-1], rng=np.random.default_rng(5), predictor=predictor, return_details=True)
        b = dci_score(z[:, perm], f, zt[:, perm], f[::-1], rng=np.random.default_rng(5), predictor=predictor, return_details=True)
        for key in ("disentanglement", "completeness", "informativeness_test", "informativeness_train"):
            assert b[key] == pytest.approx(a[key], abs=1e-9), (predictor, key)
        np.testing.assert_allclose(np.asarray(b["importance_matrix"]), np.asarray(a["importance_matrix"])[perm],
                                   atol=1e-9)
    assert mig_score(z[:, perm], f, return_details=True)["mig"] == pytest.approx(mig_score(z, f, return_details=True)["mig"], abs=1e-15)


def test_bootstrap_interval_contains_the_mean():
    rng = np.random.default_rng(0)
    correct = (rng.random((400, 3)) < np.array([0.9, 0.6, 0.3])).astype(float)
    correct[:, 1] = np.nan  # an excluded factor
    ci = bootstrap_accuracy(correct, rng=np.random.default_rng(2), n_resamples=500)
    assert ci.ci_low < ci.value < ci.ci_high
    assert ci.value == pytest.approx(np.mean(correct[:, [0, 2]]))
    assert np.isnan(ci.details["per_factor"][1].ci_low) and ci.ci_high - ci.ci_low < 0.12
    again = bootstrap_accuracy(correct, rng=np.random.default_rng(2), n_resamples=500)
    assert again.interval == ci.interval


# ------------------------------------------------------------------- SAP, FactorVAE, beta-VAE
def test_sap_codes_equal_to_factors_and_noise():
    f = grid(SMALL_SIZES)
    z = f.astype(float)
    ceiling = float(np.mean([1 - 1 / s for s in SMALL_SIZES]))  # best dim perfect, runner-up at chance
    r = sap_score(z, f, z, f, classifier="threshold", return_details=True)
    assert r["sap"] == pytest.approx(ceiling, abs=1e-12)
    dl = sap_score(z, f, z, f, return_details=True)  # DL's LinearSVC(C=0.01): a 1-D linear rule misses middle classes
    assert dl["classifier"] == "linear_svc" and 0.3 < dl["sap"] <= ceiling
    rng = np.random.default_rng(0)
    noise = sap_score(rng.normal(size=z.shape), f, rng.normal(size=z.shape), f, classifier="threshold", return_details=True)
    assert noise["sap"] < 0.15


def test_factor_vae_and_beta_vae_scores():
    f = grid(SMALL_SIZES)
    z = f.astype(float)
    kw = dict(n_train=400, n_eval=200)
    r = factor_vae_score(z, f, rng=np.random.default_rng(0), n_variance=1000, **kw, return_details=True)
    assert r["factor_vae"] == 1.0 and r["train_accuracy"] == 1.0 and r["n_active_dims"] == 4
    r = beta_vae_score(z, f, rng=np.random.default_rng(0), **kw, return_details=True)
    assert r["beta_vae"] == 1.0 and r["train_accuracy"] == 1.0
    noise = np.random.default_rng(1).normal(size=(len(f), 6))
    r = factor_vae_score(noise, f, rng=np.random.default_rng(0), n_variance=1000, **kw, return_details=True)
    assert abs(r["factor_vae"] - 0.25) < 0.12
    r = beta_vae_score(noise, f, rng=np.random.default_rng(0), **kw, return_details=True)
    assert abs(r["beta_vae"] - 0.25) < 0.12


def test_factor_vae_prunes_collapsed_dims_and_is_seeded():
    f = grid(SMALL_SIZES)
    z = np.concatenate([f.astype(float), np.full((len(f), 2), 0.3)], axis=1)
    z[:, 4] += np.random.default_rng(0).normal(scale=0.01, size=len(f))  # std 0.01 < 0.05
    a = factor_vae_score(z, f, rng=np.random.default_rng(7), n_train=300, n_eval=100, n_variance=500, return_details=True)
    b = factor_vae_score(z, f, rng=np.random.default_rng(7), n_train=300, n_eval=100, n_variance=500, return_details=True)
    assert a == b and a["active_dims"] == [0, 1, 2, 3] and a["factor_vae"] == 1.0
    with pytest.warns(UndefinedMetricWarning, match="standard deviation"):
        r = factor_vae_score(np.zeros((len(f), 3)), f, rng=np.random.default_rng(0), n_train=10, n_eval=10, return_details=True)
    assert np.isnan(r["factor_vae"]) and r["n_active_dims"] == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda z, f: mig_score(z, f, return_details=True),
        lambda z, f: modularity_score(z, f, return_details=True),
        lambda z, f: dci_score(z, f, z, f, rng=np.random.default_rng(0), predictor="lasso", return_details=True),
        lambda z, f: sap_score(z, f, z, f, return_details=True),
        lambda z, f: explicitness_score(z, f, z, f, return_details=True),
        lambda z, f: beta_vae_score(z, f, rng=np.random.default_rng(0), n_train=40, n_eval=20, return_details=True),
        lambda z, f: factor_vae_score(z, f, rng=np.random.default_rng(0), n_train=40, n_eval=20, return_details=True),
        lambda z, f: mig_sampled_score(z, z, f, rng=np.random.default_rng(0), return_details=True),
    ],
)
def test_collapsed_codes_give_nan_with_a_warning_in_every_metric(call):
    # DL's formulas give constant codes 0, chance-level accuracy or AUC 0.5: numbers a leaderboard
    # would rank although nothing was measured
    f = grid(SMALL_SIZES)
    with pytest.warns(UndefinedMetricWarning, match="constant|standard deviation"):
        r = call(np.full((len(f), 3), 0.25), f)
    main = next(iter(r.values()))
    assert np.isnan(main)


def test_single_valued_factor_is_excluded_from_fixed_factor_metrics():
    f = grid(SMALL_SIZES)
    f[:, 1] = 3
    z = f.astype(float)
    with pytest.warns(UndefinedMetricWarning, match=r"\[1\]"):
        r = factor_vae_score(z, f, rng=np.random.default_rng(0), n_train=200, n_eval=100, return_details=True)
    assert r["factor_vae"] == 1.0 and sum(r["votes_train"][1]) == 0
    with pytest.warns(UndefinedMetricWarning, match=r"\[1\]"):
        assert beta_vae_score(z, f, rng=np.random.default_rng(0), n_train=200, n_eval=100, return_details=True)["beta_vae"] == 1.0
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(beta_vae_score(z, f[:, :2], rng=np.random.default_rng(0), n_train=20, n_eval=20, return_details=True)["beta_vae"])


def test_fixed_factor_sampling_keeps_the_factor():
    f = random_grid_points(SMALL_SIZES, 700, seed=4)
    fac, sizes = D.as_factors(f)
    groups = D.FactorGroups.build(fac, sizes)
    rng = np.random.default_rng(0)
    values = fac[rng.integers(0, 700, size=50), 2]
    rows = groups.sample_same(2, values, 64, rng)
    assert rows.shape == (50, 64)
    assert (fac[rows, 2] == values[:, None]).all()


# ----------------------------------------------------------------- modularity, explicitness
def test_modularity_and_explicitness():
    f = grid(SMALL_SIZES)
    z = f.astype(float)
    r = modularity_score(z, f, return_details=True)
    assert r["modularity"] == pytest.approx(1.0, abs=1e-9)
    r = explicitness_score(z, f, z, f, return_details=True)
    assert r["explicitness"] > 0.99 and r["explicitness_train"] > 0.99
    rng = np.random.default_rng(0)
    noise_tr, noise_te = rng.normal(size=(len(f), 4)), rng.normal(size=(len(f), 4))
    assert modularity_score(noise_tr, f, return_details=True)["modularity"] < 0.8
    assert abs(explicitness_score(noise_tr, f, noise_te, f, return_details=True)["explicitness"] - 0.5) < 0.1
    # constant latents carry no information: DL's convention gives them modularity 0
    r = modularity_score(np.concatenate([z, np.ones((len(f), 1))], axis=1), f, return_details=True)
    assert r["modularity_per_latent"][-1] == 0.0 and r["modularity"] == pytest.approx(0.8, abs=1e-9)


def test_modularity_matches_dl_formula():
    rng = np.random.default_rng(6)
    f = random_grid_points(SMALL_SIZES, 2000, seed=6)
    z = f @ rng.normal(size=(4, 5)) + rng.normal(size=(2000, 5))
    r = modularity_score(z, f, return_details=True)
    m = np.asarray(r["mutual_info"])
    sq = m**2
    mx = sq.max(axis=1)
    expected = np.mean(1 - (sq.sum(axis=1) - mx) / (mx * 3))
    assert r["modularity"] == pytest.approx(expected, abs=1e-12)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda z, f: mig_score(z[:, 0], f, return_details=True), "codes must be 2-D"),
        (lambda z, f: mig_score(z[:, :1], f, return_details=True), "codes needs at least 2 columns"),
        (lambda z, f: mig_score(np.where(np.arange(z.size).reshape(z.shape) == 5, np.nan, z), f, return_details=True),
         "codes contains 1 NaN"),
        (lambda z, f: mig_score(z[:-1], f, return_details=True), "inconsistent numbers of samples .*codes: 99, factors: 100"),
        (lambda z, f: mig_score(z, f + 0.5, return_details=True), "factors must hold integer"),
        (lambda z, f: mig_score(z, f[:, 0], return_details=True), "factors must be 2-D"),
        (lambda z, f: mig_score(z, f, n_bins=0, return_details=True), "'n_bins' must be >= 1"),
        (lambda z, f: mig_score(z, f, backend="jax", return_details=True), "'backend' must be one of"),
        (lambda z, f: dci_score(z, f, z[:, :2], f, rng=np.random.default_rng(0), return_details=True), "codes_test has 2"),
        (lambda z, f: dci_score(z, f, z, f[:50], rng=np.random.default_rng(0), return_details=True), "codes_test: 100, factors_test: 50"),
        (lambda z, f: dci_score(z, f, z, f, rng="zero", return_details=True), "'rng' must be an int seed or a numpy Generator"),
        (lambda z, f: sap_score(z, f, z, f, classifier="svm", return_details=True), "'classifier' must be one of"),
        (lambda z, f: factor_vae_score(z, f, rng=np.random.default_rng(0), batch_size=1, return_details=True), "'batch_size' must be >= 2"),
        (lambda z, f: beta_vae_score(z, f[:, :, None], rng=np.random.default_rng(0), return_details=True), "factors must be 2-D"),
        (lambda z, f: mig_sampled_score(z, z[:, :2], f, rng=np.random.default_rng(0), return_details=True), "same shape"),
        (lambda z, f: explicitness_score(z, f, z, f[:, :2], return_details=True), "factors_train has 4 factors"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    rng = np.random.default_rng(0)
    f = random_grid_points(SMALL_SIZES, 100, seed=0)
    z = rng.normal(size=(100, 3))
    with pytest.raises(InputValidationError, match=match):
        call(z, f)


# ------------------------------------------------------------------------------- slow cases
@pytest.mark.slow
@slow
def test_dl_sized_runs():
    """DL's sizes: 10k/5k points of the shapes grid (GBT DCI takes a few minutes)."""
    rng = np.random.default_rng(0)
    f = random_grid_points(SHAPES_SIZES, 15_000, seed=1)
    z = f / np.array(SHAPES_SIZES) + 0.01 * rng.normal(size=f.shape)
    assert factor_vae_score(z, f, rng=rng, return_details=True)["factor_vae"] == 1.0
    assert beta_vae_score(z, f, rng=rng, return_details=True)["beta_vae"] > 0.99
    r = dci_score(z[:10_000], f[:10_000], z[10_000:], f[10_000:], rng=rng, return_details=True)
    assert r["disentanglement"] > 0.85  # about 0.90: the noise (0.01) is close to a 40-value step


# ------------------------------------------------- the beta-VAE features' exact fast path (issue 17)
@pytest.mark.parametrize("n_lat", [64, 65, 300, 4096])
@pytest.mark.parametrize("batch", [1, 2, 64])
def test_beta_vae_pair_features_equal_the_gather_bit_for_bit(n_lat, batch):
    """The pair-by-pair accumulation (wide codes) gives exactly np.abs(c[r1] - c[r2]).mean(axis=1)."""
    rng = np.random.default_rng(n_lat * 7 + batch)
    c = rng.normal(size=(200, n_lat)) * rng.lognormal(size=n_lat)
    c[:, ::7] = rng.integers(0, 2, size=(200, len(range(0, n_lat, 7))))  # binary pixels as well
    for m in (1, 3, 8):
        r1, r2 = rng.integers(0, 200, size=(m, batch)), rng.integers(0, 200, size=(m, batch))
        old = np.abs(c[r1] - c[r2]).mean(axis=1)
        new = dm._mean_abs_pair_diff(c, r1, r2)
        assert new.shape == old.shape and new.dtype == old.dtype
        assert np.array_equal(new, old)


def test_beta_vae_score_on_wide_codes_is_unchanged_by_the_fast_path(monkeypatch):
    """The whole score (features, fit, accuracies) equals the one computed with the plain gather."""
    from latentbench.data import load_dataset

    data = load_dataset("shapes[n=600]")
    rows = data.split("test")
    codes = data.get_x(rows, flat=True).astype(np.float64)  # the identity baseline's 4,096-D codes
    factors = data.field("factors", "test")
    fast = dm.beta_vae_score(codes, factors, rng=3, n_train=200, n_eval=100, return_details=True)
    monkeypatch.setattr(dm, "_PAIR_DIFF_ACCUMULATE_FROM", 10**9)
    plain = dm.beta_vae_score(codes, factors, rng=3, n_train=200, n_eval=100, return_details=True)
    assert fast == plain
