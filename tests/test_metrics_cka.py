"""CKA (Kornblith et al. 2019; debiased: Nguyen et al. 2021) against cases known by construction and
against a direct implementation of the HSIC formulas written here from the papers."""

from __future__ import annotations

import numpy as np
import pytest

from latentbench.exceptions import InputValidationError
from latentbench.metrics.cka import cka_estimate, hsic, linear_cka_score, rbf_cka_score


def _direct_hsic(K: np.ndarray, L: np.ndarray) -> float:
    """Kornblith et al. eq. (3): tr(K H L H) / (n - 1)^2 with an explicit centering matrix H."""
    n = len(K)
    H = np.eye(n) - np.ones((n, n)) / n
    return float(np.trace(K @ H @ L @ H)) / (n - 1) ** 2


def _direct_cka(K: np.ndarray, L: np.ndarray) -> float:
    return _direct_hsic(K, L) / np.sqrt(_direct_hsic(K, K) * _direct_hsic(L, L))


def _u_centered(K: np.ndarray) -> np.ndarray:
    """The U-centering of Szekely & Rizzo (2014) that makes <K~, L~> / (n (n-3)) the unbiased HSIC."""
    n = len(K)
    K = K.copy()
    np.fill_diagonal(K, 0.0)
    row = K.sum(axis=1, keepdims=True) / (n - 2)
    col = K.sum(axis=0, keepdims=True) / (n - 2)
    tot = K.sum() / ((n - 1) * (n - 2))
    U = K - row - col + tot
    np.fill_diagonal(U, 0.0)
    return U


def _direct_debiased_cka(K: np.ndarray, L: np.ndarray) -> float:
    Ku, Lu = _u_centered(K), _u_centered(L)
    return float(np.sum(Ku * Lu) / np.sqrt(np.sum(Ku * Ku) * np.sum(Lu * Lu)))


def _rbf_gram(X: np.ndarray) -> np.ndarray:
    D = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    return np.exp(-D / (2.0 * np.median(D)))


@pytest.fixture
def codes():
    r = np.random.default_rng(0)
    X = r.normal(size=(120, 6))
    Y = np.tanh(X @ r.normal(size=(6, 4))) + 0.3 * r.normal(size=(120, 4))
    return X, Y


def test_cka_of_an_orthogonal_transform_is_one(codes):
    X, _ = codes
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(6, 6)))
    assert linear_cka_score(X, X @ Q) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka_score(X, X @ Q, debiased=True) == pytest.approx(1.0, abs=1e-12)
    assert rbf_cka_score(X, X @ Q) == pytest.approx(1.0, abs=1e-12)


def test_cka_is_invariant_to_isotropic_scaling_and_not_to_axis_scaling(codes):
    X, Y = codes
    base = linear_cka_score(X, Y)
    for c in (1e-3, 7.0, 1e3):
        assert linear_cka_score(X, c * Y) == pytest.approx(base, rel=1e-10)
        assert rbf_cka_score(c * X, Y) == pytest.approx(rbf_cka_score(X, Y), rel=1e-10)
    S = np.diag([1.0, 10.0, 0.1, 3.0, 1.0, 0.5])
    assert linear_cka_score(X, X @ S) < 0.9  # a non-isotropic scaling changes the geometry
    assert rbf_cka_score(X, X @ S) < 0.9


def test_debiased_cka_of_independent_gaussians_is_near_zero_where_biased_is_not():
    r = np.random.default_rng(2)
    biased, debiased = [], []
    for _ in range(5):
        A, B = r.normal(size=(40, 400)), r.normal(size=(40, 400))
        biased.append(linear_cka_score(A, B))
        debiased.append(linear_cka_score(A, B, debiased=True))
    assert min(biased) > 0.7  # high-dimensional noise looks alike to the biased estimator at n = 40
    assert abs(np.mean(debiased)) < 0.03 and max(abs(v) for v in debiased) < 0.08


def test_equal_to_the_direct_hsic_formula(codes):
    X, Y = codes
    K, L = X @ X.T, Y @ Y.T
    assert linear_cka_score(X, Y) == pytest.approx(_direct_cka(K, L), abs=1e-10)
    # Kornblith et al. eq. (5): the feature-space form of linear CKA
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    feat = np.linalg.norm(Yc.T @ Xc) ** 2 / (np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc))
    assert linear_cka_score(X, Y) == pytest.approx(feat, abs=1e-10)
    assert linear_cka_score(X, Y, debiased=True) == pytest.approx(_direct_debiased_cka(K, L), abs=1e-10)
    assert rbf_cka_score(X, Y) == pytest.approx(_direct_cka(_rbf_gram(X), _rbf_gram(Y)), abs=1e-10)
    assert rbf_cka_score(X, Y, debiased=True) == pytest.approx(_direct_debiased_cka(_rbf_gram(X), _rbf_gram(Y)), abs=1e-10)
    assert hsic(K, L) == pytest.approx(_direct_hsic(K, L), rel=1e-10)
    n = len(K)
    assert hsic(K, L, debiased=True) == pytest.approx(np.sum(_u_centered(K) * _u_centered(L)) / (n * (n - 3)), rel=1e-10)


def test_cka_estimate_intervals(codes):
    X, Y = codes
    for kernel in ("linear", "rbf", "linear-debiased", "rbf-debiased"):
        est = cka_estimate(X, Y, kernel=kernel, rng=0, n_rounds=30)
        assert est.ci_low <= est.value <= est.ci_high and est.n == 120, kernel
        assert est.method == "subsample-se(m=60)" and est.stderr > 0


def test_intervals_hold_the_estimate_where_a_bootstrap_does_not():
    """High-dimensional codes of few rows: a bootstrap resample's repeated rows inflate CKA, so its
    percentile interval sits above the estimate; the subsample interval holds it."""
    from latentbench.stats import resample_indices

    r = np.random.default_rng(5)
    X = r.normal(size=(80, 60))
    Y = X[:, :10] @ r.normal(size=(10, 40)) + 2.0 * r.normal(size=(80, 40))
    value = linear_cka_score(X, Y)
    boot = [linear_cka_score(X[i], Y[i]) for b in resample_indices(80, rng=0, n_resamples=200) for i in b]
    assert np.quantile(boot, 0.025) > value  # the percentile bootstrap interval leaves the estimate out
    est = cka_estimate(X, Y, rng=0)
    assert est.value == value and est.ci_low <= value <= est.ci_high
    assert cka_estimate(X, Y, rng=3).value == linear_cka_score(X, Y)
    assert cka_estimate(X, Y, rng=3) == cka_estimate(X, Y, rng=3)


def test_bad_input_is_named(codes):
    X, Y = codes
    with pytest.raises(InputValidationError, match="kernel"):
        cka_estimate(X, Y, kernel="cosine", rng=0)
    with pytest.raises(InputValidationError, match="Y"):
        linear_cka_score(X, Y[:-1])
    with pytest.raises(InputValidationError, match="threshold"):
        rbf_cka_score(X, Y, threshold=0.0)
    with pytest.warns(Warning, match="constant"):
        assert np.isnan(linear_cka_score(X, np.ones_like(Y)))
