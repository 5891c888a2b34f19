"""Disentanglement tasks end to end on precomputed latents whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench
from latentbench.adapters import PrecomputedAdapter
from latentbench.data import load_dataset
from latentbench.metrics.disentanglement import mig_score

TASKS = ["mig/shapes", "factor-vae-score/shapes", "beta-vae-score/shapes", "dci-lasso/shapes", "modularity/shapes", "sap/shapes"]


@pytest.fixture(scope="module")
def shapes():
    return load_dataset("shapes", n=10000)


def _latents(shapes, codes, name):
    return PrecomputedAdapter({"z_test": codes}, dataset="shapes", name=name)


def test_factor_codes_score_at_the_top(shapes):
    f = shapes.field("factors", "test").astype(float)
    res = latentbench.evaluate(_latents(shapes, f * 2.0 + 1.0, "factors"), tasks=TASKS, n_bootstrap=100)
    assert not res.failed, res.failed
    # MIG of the task equals the metric on the same rows (1,000 test rows: all of them are used)
    assert res.value("mig/shapes") == pytest.approx(mig_score(f, shapes.field("factors", "test"), return_details=True)["mig"], abs=1e-12)
    assert res.value("factor-vae-score/shapes") == pytest.approx(1.0)
    assert res.value("beta-vae-score/shapes") == pytest.approx(1.0)
    assert res.value("modularity/shapes") > 0.9
    # DCI with the lasso predictor: axis-aligned factor codes against a random rotation of them
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
    rot = latentbench.evaluate(_latents(shapes, (f - f.mean(0)) / f.std(0) @ q, "rotated"), tasks="dci-lasso/shapes", n_bootstrap=100)
    for metric in ("disentanglement", "completeness"):
        assert res.value("dci-lasso/shapes", metric) > rot.value("dci-lasso/shapes", metric) + 0.2


def test_noise_codes_score_low_and_runs_are_reproducible(shapes):
    noise = np.random.default_rng(0).normal(size=(len(shapes.split("test")), 5))
    a = latentbench.evaluate(_latents(shapes, noise, "noise"), tasks=["mig/shapes", "factor-vae-score/shapes"], n_bootstrap=50)
    b = latentbench.evaluate(_latents(shapes, noise, "noise"), tasks=["mig/shapes", "factor-vae-score/shapes"], n_bootstrap=50)
    assert a.value("mig/shapes") < 0.05
    assert a.value("factor-vae-score/shapes") < 0.5  # chance is 1/5 for five factors
    assert a.value("mig/shapes") == b.value("mig/shapes")
    assert a.value("factor-vae-score/shapes") == b.value("factor-vae-score/shapes")


def test_mig_interval_comes_from_subsampling(shapes):
    f = shapes.field("factors", "test").astype(float)
    res = latentbench.evaluate(_latents(shapes, f, "factors"), tasks="mig/shapes", n_bootstrap=50)
    row = next(r for r in res if r["metric"] == "mig")
    assert row["ci_method"] == "subsample-se(m=500)"
    assert 0.0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 1.0 and row["n"] == 1000


def test_dataset_without_factors_is_skipped():
    res = latentbench.evaluate(lambda x: x.reshape(len(x), -1)[:, :4], tasks="mig/shapes", dataset="digits", name="f")
    (row,) = res.skipped
    assert "has no factors" in row["message"]


def test_wide_codes_are_refused_by_the_per_dimension_fits_with_the_fix(shapes):
    """DCI's trees and SAP fit per dimension: 300-dimensional codes fail at once, naming the fix;
    the lasso DCI and MIG still run."""
    wide = np.random.default_rng(2).normal(size=(len(shapes.split("test")), 300))
    res = latentbench.evaluate(_latents(shapes, wide, "wide"), tasks=["dci/shapes", "sap/shapes", "mig/shapes"], n_bootstrap=20)
    failed = {r["task"]: r["message"] for r in res.failed}
    assert set(failed) == {"dci/shapes", "sap/shapes"}
    assert "300 latent dimensions, more than the 256" in failed["dci/shapes"] and "dci-lasso" in failed["dci/shapes"]
    assert res.value("mig/shapes") < 0.05
