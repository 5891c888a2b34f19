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
    mi = mutual_information_aggregate(mean, logvar, rng)
    assert abs(mi) < 1e-9  # every component of the aggregate is the same Gaussian: log q(z) = log q(z|x) exactly


def test_informative_posterior_has_mi_near_log_n():
    rng = np.random.default_rng(1)
    n, d = 1000, 4
    mean = rng.normal(scale=3.0, size=(n, d))
    logvar = np.full((n, d), math.log(1e-4))  # tiny posteriors far apart: each z identifies its x
    au, _ = active_units(mean)
    assert au == d
    mi = mutual_information_aggregate(mean, logvar, rng)
    assert mi == pytest.approx(math.log(n), abs=1e-3)  # the estimator's upper bound


def test_mi_of_gaussian_channel_matches_analytic_value():
    """x ~ N(0, s^2), q(z|x) = N(x, 1): I = 0.5 log(1 + s^2) per dimension (up to the estimator's log N bias)."""
    rng = np.random.default_rng(2)
    n, s2 = 4000, 3.0
    mean = rng.normal(scale=math.sqrt(s2), size=(n, 1))
    logvar = np.zeros((n, 1))
    mi = mutual_information_aggregate(mean, logvar, rng)
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
        mutual_information_aggregate(np.zeros((3, 2)), np.zeros((4, 2)), np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        with pytest.raises(InputValidationError):
            active_units(np.zeros((1, 2)))
