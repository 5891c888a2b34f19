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


def test_traversals_store_the_anchor_images_and_the_factor_each_latent_carries():
    """A code whose first two latents are the shape's centre of mass (x, y) and whose third is noise:
    the stored anchors are the dataset's rows, and the stored mutual information names pos_x for z0
    and pos_y for z1, as MIG's estimator computes it on the split."""
    from latentbench.adapters import CallableAdapter
    from latentbench.tasks.context import LatentCache, RunContext
    from latentbench.tasks.disentanglement import Traversals

    d = load_dataset("shapes", n=2000)
    cols = np.arange(64, dtype=float)

    def encode(x):
        img = np.asarray(x, dtype=float).reshape(len(x), 64, 64)
        mass = img.sum(axis=(1, 2)) + 1e-9
        noise = np.random.default_rng(len(x)).normal(size=len(x))
        return np.stack([(img.sum(1) * cols).sum(1) / mass, (img.sum(2) * cols).sum(1) / mass, noise], axis=1)

    adapter = CallableAdapter(encode, decode=lambda z: np.zeros((len(z), 4096)), name="centre-of-mass")
    task = Traversals(name="traversals/shapes", dataset="shapes", params={"n_anchors": 2, "n_steps": 3})
    ctx = RunContext(cache=LatentCache(adapter, d), task=task, seed=0, device="cpu", n_bootstrap=20)
    out = task.run(adapter, d, ctx)
    art = out.artifacts
    rows = art["traversal_anchor_rows"]
    assert art["traversal_anchor"].shape == (2, 1, 64, 64) and art["traversal_anchor"].dtype == np.uint8
    np.testing.assert_array_equal(art["traversal_anchor"], np.round(d.get_x(rows) * 255).astype(np.uint8))
    np.testing.assert_array_equal(art["traversal_anchor_factors"], d.factors[rows])
    names = list(art["traversal_factor_names"])
    assert names == list(d.factor_names)
    mi = art["traversal_mutual_info"]
    assert mi.shape == (3, len(names))
    expected = mig_score(ctx.latents(), d.factors[d.split("test")], return_details=True)["mutual_info"]
    np.testing.assert_allclose(mi, expected, rtol=1e-6)
    share = mi / art["traversal_factor_entropy"]
    assert names[int(np.argmax(share[0]))] == "pos_x" and names[int(np.argmax(share[1]))] == "pos_y"
    # noise carries no factor: its share is the plug-in estimator's bias on a few hundred rows, well below the real ones
    assert share[2].max() < 0.5 * min(share[0].max(), share[1].max())
    assert out.scores["decoder_active_dims"].value == 0  # a constant decoder changes nothing
