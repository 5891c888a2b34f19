"""The conformance checks (``latentbench check``) are module-level named functions, each testable alone."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench
from latentbench import conformance
from latentbench.conformance import CHECKS, CheckContext, NotApplicable, check, check_smoke_run, run_check


def _context(adapter, data, n=16):
    rows = data.split("test")[:n]
    return CheckContext(latentbench.adapt(adapter), data, rows, data.get_x(rows), 1e-5)


def test_every_check_is_a_documented_module_level_function():
    assert len(CHECKS) == 8
    for _, fn in CHECKS:
        assert getattr(conformance, fn.__name__) is fn and fn.__doc__


def test_checks_run_alone(tiny_ae, digits):
    c = _context(tiny_ae(), digits)
    assert conformance.check_encode(c).startswith("shape (16, 3)")
    assert conformance.check_deterministic(c) is None
    with pytest.raises(NotApplicable, match="no posterior declared"):
        conformance.check_posterior(c)
    outcome = run_check("posterior", conformance.check_posterior, c)
    assert outcome.passed is None and outcome.message == "no posterior declared"


def test_a_batch_dependent_encoder_fails_its_check(digits):
    def enc(x):
        f = x.reshape(len(x), -1)
        return f[:, :3] - f[:, :3].mean(axis=0)  # batch statistics leak across rows

    c = _context(enc, digits)
    conformance.check_encode(c)
    outcome = run_check("batch", conformance.check_batch_consistent, c)
    assert outcome.passed is False and "codes depend on the batch" in outcome.message


def test_a_smoke_run_in_which_nothing_runs_fails(digits):
    z = digits.get_x(digits.split("test"), flat=True)[:, :3].astype(np.float64)
    c = _context(latentbench.adapt({"z_test": z}, dataset="digits"), digits)
    with pytest.raises(AssertionError, match="no task ran"):
        check_smoke_run(c)
    report = check(latentbench.adapt({"z_test": z}, dataset="digits"))
    assert not report.passed and "no task ran" in report.failures()[-1].message
