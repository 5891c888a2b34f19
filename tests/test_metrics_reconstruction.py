"""Reconstruction metrics against direct formulas and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_squared_error

from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics.reconstruction import (
    binary_cross_entropy_per_sample, error_quantiles, per_sample_squared_error, psnr_per_sample,
)


def test_mse_matches_sklearn():
    rng = np.random.default_rng(0)
    x, x_hat = rng.random((50, 1, 4, 4)), rng.random((50, 16))
    mse = per_sample_squared_error(x, x_hat)
    assert mse.shape == (50,)
    assert mse.mean() == pytest.approx(mean_squared_error(x.reshape(50, -1), x_hat))


def test_bce_matches_sklearn_log_loss():
    rng = np.random.default_rng(1)
    x = (rng.random((20, 10)) > 0.5).astype(float)
    p = rng.uniform(0.05, 0.95, (20, 10))
    bce = binary_cross_entropy_per_sample(x, p)
    assert bce.sum() / x.size == pytest.approx(log_loss(x.ravel(), p.ravel()))


def test_bce_rejects_non_binary_and_non_probabilities():
    with pytest.raises(InputValidationError, match="binary"):
        binary_cross_entropy_per_sample(np.full((2, 2), 0.5), np.full((2, 2), 0.5))
    with pytest.raises(InputValidationError, match="probabilities"):
        binary_cross_entropy_per_sample(np.ones((2, 2)), np.full((2, 2), 1.5))


def test_psnr_known_value_and_cap():
    assert psnr_per_sample(np.array([0.01]))[0] == pytest.approx(20.0)
    assert psnr_per_sample(np.array([0.01]), data_range=255.0)[0] == pytest.approx(10 * np.log10(255**2 / 0.01))
    with pytest.warns(UndefinedMetricWarning, match="capped"):
        assert psnr_per_sample(np.array([0.0]))[0] == pytest.approx(100.0)


def test_identity_reconstruction_is_perfect_and_quantiles():
    x = np.random.default_rng(2).random((30, 8))
    assert np.all(per_sample_squared_error(x, x) == 0)
    q = error_quantiles(np.arange(101.0))
    assert q == {"p50": 50.0, "p90": 90.0, "p99": 99.0, "max": 100.0}


def test_shape_errors_name_the_argument():
    with pytest.raises(InputValidationError, match="x_hat"):
        per_sample_squared_error(np.zeros((3, 4)), np.zeros((3, 5)))
    with pytest.raises(InputValidationError, match="inconsistent"):
        per_sample_squared_error(np.zeros((3, 4)), np.zeros((2, 4)))
    with pytest.raises(InputValidationError, match="NaN"):
        per_sample_squared_error(np.full((2, 2), np.nan), np.zeros((2, 2)))
