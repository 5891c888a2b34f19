"""Posterior-collapse diagnostics at their known extremes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics.collapse import active_units, kl_per_dimension, mutual_information_aggregate


def test_posterior_equal_to_prior_is_fully_collapsed():
    n, d = 2000, 6
    mean, logvar = np.zeros((n, d)), np.zeros((n, d))
    rng = np.random.default_rng(0)
    au, var = active_units(mean)
    assert au == 0 and np.all(var == 0)
    np.testing.assert_array_equal(kl_per_dimension(mean, logvar), np.zeros(d))
    mi = mutual_information_aggregate(mean, logvar, rng=rng)
    assert abs(mi) < 1e-9  # every component of the aggregate is the same Gaussian: log q(z) = log q(z|x) exactly


def test_informative_posterior_has_mi_near_log_n():
    rng = np.random.default_rng(1)
    n, d = 1000, 4
    mean = rng.normal(scale=3.0, size=(n, d))
    logvar = np.full((n, d), math.log(1e-4))  # tiny posteriors far apart: each z identifies its x
    au, _ = active_units(mean)
    assert au == d
    mi = mutual_information_aggregate(mean, logvar, rng=rng)
    assert mi == pytest.approx(math.log(n), abs=1e-3)  # the estimator's upper bound


def test_mi_of_gaussian_channel_matches_analytic_value():
    """x ~ N(0, s^2), q(z|x) = N(x, 1): I = 0.5 log(1 + s^2) per dimension (up to the estimator's log N bias)."""
    rng = np.random.default_rng(2)
    n, s2 = 4000, 3.0
    mean = rng.normal(scale=math.sqrt(s2), size=(n, 1))
    logvar = np.zeros((n, 1))
    mi = mutual_information_aggregate(mean, logvar, rng=rng)
    assert mi == pytest.approx(0.5 * math.log(1 + s2), abs=0.05)


def test_active_units_threshold_and_ddof():
    mean = np.array([[0.0, 0.0], [0.2, 0.0], [0.0, 0.0], [0.2, 0.001]])
    n_active, var = active_units(mean, threshold=0.01)
    np.testing.assert_allclose(var, mean.var(axis=0, ddof=1))
    assert n_active == 1
    assert active_units(mean, threshold=0.02)[0] == 0


def test_kl_per_dimension_partial_collapse():
    rng = np.random.default_rng(3)
    mean = np.column_stack([rng.normal(size=500), np.zeros(500)])
    logvar = np.column_stack([np.full(500, -2.0), np.zeros(500)])
    kl = kl_per_dimension(mean, logvar)
    assert kl[1] == 0.0 and kl[0] > 0.5


def test_bad_input():
    with pytest.raises(InputValidationError, match="mean"):
        active_units(np.array([1.0, 2.0]))
    with pytest.raises(InputValidationError, match="NaN"):
        kl_per_dimension(np.array([[np.nan]]), np.array([[0.0]]))
    with pytest.raises(InputValidationError, match="inconsistent"):
        mutual_information_aggregate(np.zeros((3, 2)), np.zeros((4, 2)), rng=np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        with pytest.raises(InputValidationError):
            active_units(np.zeros((1, 2)))


# ------------------------------------------------------------------ KL decomposition (Chen et al. 2018)
def _two_dims(n, *, duplicated, seed=0):
    """Posterior means (u, u) or (u, v) with u, v ~ N(0, 1) and posterior variance 0.25: the
    aggregate posterior is N(0, [[1.25, c], [c, 1.25]]) with c = 1 or 0, so I(x;z), TC and the
    dimension-wise KL are known in closed form."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=n), rng.normal(size=n)
    return np.column_stack([u, u if duplicated else v]), np.full((n, 2), np.log(0.25))


def test_kl_decomposition_terms_add_up_to_the_kl_of_each_row():
    from latentbench.metrics.collapse import kl_decomposition

    mean, logvar = _two_dims(500, duplicated=True)
    t = kl_decomposition(mean, logvar, rng=np.random.default_rng(1))
    np.testing.assert_allclose(t["index_code_mi"] + t["total_correlation"] + t["dimwise_kl"], t["kl"], atol=1e-12)
    # every posterior equal to the prior: q(z) = p(z) = prod_j q(z_j), all three terms vanish
    t0 = kl_decomposition(np.zeros((300, 4)), np.zeros((300, 4)), rng=np.random.default_rng(2))
    for k in ("index_code_mi", "total_correlation", "dimwise_kl", "kl"):
        assert abs(t0[k].mean()) < 1e-12


def test_kl_decomposition_recovers_the_closed_form_values():
    from latentbench.metrics.collapse import kl_decomposition

    # duplicated code: correlation 1/1.25 = 0.8, TC = -log(1 - 0.64)/2; I(x;z) = log(det S / 0.25^2)/2 = log(9)/2
    mean, logvar = _two_dims(3000, duplicated=True)
    t = {k: v.mean() for k, v in kl_decomposition(mean, logvar, rng=np.random.default_rng(1)).items()}
    assert t["total_correlation"] == pytest.approx(-0.5 * np.log(1 - 0.8**2), abs=0.04)  # 0.486 vs 0.511: the
    assert t["index_code_mi"] == pytest.approx(0.5 * np.log(9), abs=0.03)                # N-sample mixture's bias
    # independent code: TC = 0, I = log(1.25^2 / 0.25^2)/2, dimension-wise KL = 2 * (0.25 - log 1.25)/2
    mean, logvar = _two_dims(3000, duplicated=False)
    t = {k: v.mean() for k, v in kl_decomposition(mean, logvar, rng=np.random.default_rng(1)).items()}
    assert abs(t["total_correlation"]) < 0.01
    assert t["index_code_mi"] == pytest.approx(0.5 * np.log(25), abs=0.03)
    assert t["dimwise_kl"] == pytest.approx(0.25 - np.log(1.25), abs=0.005)
