"""The reconstruction task's PSNR uses the dataset's data range, never an assumed 1."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

import latentbench
from latentbench.data import Dataset, load_dataset, register_dataset
from latentbench.metrics.reconstruction import per_sample_squared_error, psnr_per_sample
from latentbench.tasks.reconstruction import Reconstruction


def _table(name, metadata=None):
    """A standardised 6-column table (kind "real"), as the fairness and tabular datasets are
    (datasets are cached per process by name: one name per variant)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    return Dataset(name=name, x=x, obs_shape=(6,), kind="real", metadata=dict(metadata or {}))


def _run(dataset, **params):
    register_dataset(dataset.name, lambda **kw: dataset, replace=True)
    x = dataset.get_x(dataset.split("train"), flat=True)
    task = Reconstruction(name=f"reconstruction/{dataset.name}", dataset=dataset.name, params=params)
    res = latentbench.evaluate(PCA(2).fit(x), tasks=task, n_bootstrap=20)
    rows = {r["metric"]: r for r in res.rows}
    x_test = dataset.get_x(dataset.split("test"), flat=True)
    pca = PCA(2).fit(x)
    mse = per_sample_squared_error(x_test, pca.inverse_transform(pca.transform(x_test)))
    return rows, mse


def test_psnr_on_a_real_dataset_without_a_declared_range_is_nan_with_the_reason():
    rows, mse = _run(_table("std-table"))
    assert rows["psnr"]["value"] is None and rows["psnr"]["status"] == "ok"
    assert "declares no data range" in rows["psnr"]["message"] and "data_range" in rows["psnr"]["message"]
    assert rows["mse"]["value"] == pytest.approx(mse.mean(), rel=1e-6)  # the other scores are there
    # what the old code reported: 10 log10(1 / mse), about 10 dB on a standardised table
    assert 5 < np.mean(psnr_per_sample(mse, data_range=1.0)) < 15


def test_psnr_uses_a_declared_or_a_given_range():
    rows, mse = _run(_table("std-table-declared", {"data_range": 8.0}))
    assert rows["psnr"]["value"] == pytest.approx(np.mean(psnr_per_sample(mse, data_range=8.0)), rel=1e-6)
    params = rows["psnr"]["params"]["info"]
    assert params["psnr_data_range"] == 8.0 and "metadata['data_range']" in params["psnr_data_range_from"]
    rows, mse = _run(_table("std-table-given"), data_range=4.0)
    assert rows["psnr"]["value"] == pytest.approx(np.mean(psnr_per_sample(mse, data_range=4.0)), rel=1e-6)
    assert rows["psnr"]["message"] is None


def test_psnr_on_unit_data_is_the_number_it_always_was():
    data = load_dataset("digits")
    x = data.get_x(data.split("train"), flat=True)
    res = latentbench.evaluate(PCA(8).fit(x), tasks="reconstruction/digits", n_bootstrap=20)
    x_test = data.get_x(data.split("test"), flat=True)
    pca = PCA(8).fit(x)
    mse = per_sample_squared_error(x_test, pca.inverse_transform(pca.transform(x_test)))
    assert res.value("reconstruction/digits", "psnr") == pytest.approx(np.mean(psnr_per_sample(mse, data_range=1.0)), rel=1e-6)


def test_a_bad_data_range_is_an_error_naming_it():
    data = _table("std-table-bad", {"data_range": -1})
    register_dataset(data.name, lambda **kw: data, replace=True)
    res = latentbench.evaluate(PCA(2).fit(data.get_x(flat=True)), tasks=Reconstruction(dataset=data.name), n_bootstrap=20)
    assert res.failed and "data_range" in res.failed[0]["message"]


def _run_with_artifacts(adapter, dataset, seed=0):
    from latentbench.tasks.context import LatentCache, RunContext

    task = Reconstruction(name=f"reconstruction/{dataset.name}", dataset=dataset.name, params={"max_samples": 300})
    ctx = RunContext(cache=LatentCache(adapter, dataset), task=task, seed=seed, device="cpu", n_bootstrap=20)
    return task.run(adapter, dataset, ctx)


def test_reconstruction_stores_fixed_inputs_above_their_reconstructions_and_prior_samples():
    """The grid's inputs are the dataset's rows (the same for every model and seed), its outputs
    decode(encode(x)) of those rows, and a model with a prior stores decoded prior draws; the scores
    do not move when the artifacts are drawn."""
    import torch

    from latentbench.adapters import SklearnAdapter, TorchAdapter
    from latentbench.artifacts import PRIOR_SAMPLES, RECON_INPUTS, RECON_OUTPUTS, fixed_rows
    from latentbench.models.ppca import ProbabilisticPCA

    d = load_dataset("digits")
    model = ProbabilisticPCA.fit(d.get_x(d.split("train"), flat=True).astype(np.float64), 6, obs_shape=d.obs_shape)
    adapter = TorchAdapter(model, name="ppca")
    out = _run_with_artifacts(adapter, d)
    rows = fixed_rows(d, "test", 8)
    assert len(rows) == 8 and set(rows) <= set(d.split("test"))
    inputs, outputs = out.artifacts[RECON_INPUTS], out.artifacts[RECON_OUTPUTS]
    assert inputs.shape == outputs.shape == (8, *d.obs_shape) and inputs.dtype == outputs.dtype == np.uint8
    x = d.get_x(rows)
    np.testing.assert_array_equal(inputs, np.round(np.clip(x, 0, 1) * 255).astype(np.uint8))
    with torch.no_grad():
        mean, _ = model.posterior(torch.as_tensor(d.get_x(rows, flat=True), dtype=torch.float64))
        x_hat = model.decode(mean).numpy().reshape(8, *d.obs_shape)
    np.testing.assert_allclose(outputs, np.round(np.clip(x_hat, 0, 1) * 255), atol=1)
    samples = out.artifacts[PRIOR_SAMPLES]
    assert samples.shape == (8, *d.obs_shape) and samples.dtype == np.uint8 and samples.std() > 0
    again = _run_with_artifacts(adapter, d, seed=0)  # deterministic
    np.testing.assert_array_equal(again.artifacts[PRIOR_SAMPLES], samples)
    assert again.scores["mse"].value == out.scores["mse"].value
    # another model gets the same input rows; one without a prior stores no prior samples
    pca = _run_with_artifacts(SklearnAdapter(PCA(4).fit(d.get_x(d.split("train"), flat=True))), d, seed=3)
    np.testing.assert_array_equal(pca.artifacts[RECON_INPUTS], inputs)
    assert PRIOR_SAMPLES not in pca.artifacts and pca.artifacts[RECON_OUTPUTS].shape == inputs.shape


def test_reconstruction_scores_do_not_depend_on_the_image_artifacts(monkeypatch):
    """Drawing the grid uses its own random stream: with it switched off, every score is the same."""
    d = load_dataset("digits")
    x = d.get_x(d.split("train"), flat=True)
    model = PCA(5).fit(x)
    with_images = {r["metric"]: r["value"] for r in latentbench.evaluate(model, tasks="reconstruction/digits", n_bootstrap=50).rows}
    monkeypatch.setattr(Reconstruction, "_image_artifacts", lambda self, *a: {})
    without = {r["metric"]: r["value"] for r in latentbench.evaluate(model, tasks="reconstruction/digits", n_bootstrap=50).rows}
    assert with_images == without


def test_tabular_data_store_no_image_grid():
    from latentbench.adapters import SklearnAdapter
    from latentbench.artifacts import RECON_INPUTS, as_images
    from latentbench.exceptions import UndefinedMetricWarning

    data = _table("std-table-images")
    register_dataset(data.name, lambda **kw: data, replace=True)
    assert as_images(data.get_x(data.split("test")[:4], flat=True), data.obs_shape, data.kind) is None
    with pytest.warns(UndefinedMetricWarning, match="declares no data range"):  # PSNR of a real table without a range
        out = _run_with_artifacts(SklearnAdapter(PCA(2).fit(data.get_x(data.split("train"), flat=True))), data)
    assert RECON_INPUTS not in out.artifacts and "per_sample_mse" in out.artifacts
