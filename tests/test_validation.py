"""Argument checks shared by every metric: ``None``, scalars and NaN parameters get a one-line error
naming the argument, never a NumPy error from deep inside."""

from __future__ import annotations

import numpy as np
import pytest

from latentbench.exceptions import InputValidationError
from latentbench.metrics.likelihood import diag_gaussian_log_prob
from latentbench.metrics.reconstruction import per_sample_squared_error
from latentbench.validation import check_array, check_param


def test_none_is_refused_by_name_not_read_as_nan():
    with pytest.raises(InputValidationError, match=r"^z is None; pass an array$"):
        check_array(None, "z", ndim=None)
    ones = np.ones((4, 3))
    with pytest.raises(InputValidationError, match=r"^z is None"):
        diag_gaussian_log_prob(None, ones, ones)


@pytest.mark.parametrize("args, name", [((np.ones((4, 3)), 3.0), "x_hat"), ((3.0, np.ones((4, 3))), "x")])
def test_squared_error_refuses_a_scalar(args, name):
    with pytest.raises(InputValidationError, match=rf"^{name} must be an array of shape \(n_samples, \.\.\.\), got the scalar 3\.0$"):
        per_sample_squared_error(*args)


def test_check_param_refuses_nan():
    with pytest.raises(InputValidationError, match=r"'alpha' must be a number, got NaN"):
        check_param(float("nan"), "alpha", low=0.0, high=1.0)
    assert check_param(0.5, "alpha", low=0.0, high=1.0) == 0.5
