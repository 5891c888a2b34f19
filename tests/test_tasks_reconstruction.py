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
