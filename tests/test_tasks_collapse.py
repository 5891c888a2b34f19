"""The collapse task on a collapsed and a healthy VAE trained here (a few seconds each on the CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import latentbench
from latentbench.adapters import TorchAdapter
from latentbench.models.zoo import ReferenceSpec, train_reference

torch.set_num_threads(1)


def _vae(beta: float, epochs: int = 40) -> TorchAdapter:
    spec = ReferenceSpec(name=f"test-vae-beta{beta:g}", architecture="mlp-vae", tier="quick", dataset="digits",
                         model={"latent_dim": 8, "hidden": [128], "likelihood": "gaussian", "beta": beta},
                         training={"epochs": epochs, "batch_size": 64, "lr": 2e-3, "seed": 0})
    model, meta = train_reference(spec, device="cpu")
    adapter = TorchAdapter(model, name=spec.name)
    adapter.metadata = {"train_seconds": meta["train_seconds"]}
    return adapter


@pytest.fixture(scope="module")
def vae_pair(tmp_path_factory):
    import os

    old = os.environ.get("LATENTBENCH_HOME")
    os.environ["LATENTBENCH_HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        yield _vae(1.0), _vae(200.0)
    finally:
        if old is None:
            os.environ.pop("LATENTBENCH_HOME", None)
        else:
            os.environ["LATENTBENCH_HOME"] = old


def test_collapsed_vae_has_no_active_units_and_no_information(vae_pair):
    healthy, collapsed = vae_pair
    res = latentbench.evaluate({"healthy": healthy, "collapsed": collapsed}, tasks="collapse/digits")
    v = lambda m, k: res.value("collapse/digits", k, model=m)  # noqa: E731
    print({m: {k: round(v(m, k), 4) for k in ("active_units", "kl_total", "low_kl_dims", "mutual_info")} for m in ("healthy", "collapsed")})
    assert v("collapsed", "active_units") == 0
    assert v("collapsed", "inactive_units") == 8
    assert v("collapsed", "kl_total") < 0.05
    assert v("collapsed", "low_kl_dims") == 8
    assert v("healthy", "active_units") + v("healthy", "inactive_units") == 8
    assert abs(v("collapsed", "mutual_info")) < 0.05
    assert v("healthy", "active_units") >= 3
    assert v("healthy", "kl_total") > 1  # a 40-epoch VAE carries a few nats; the collapsed one carries none
    assert v("healthy", "mutual_info") > 1


def test_kl_decomposition_task_on_the_healthy_and_the_collapsed_vae(vae_pair):
    healthy, collapsed = vae_pair
    res = latentbench.evaluate({"healthy": healthy, "collapsed": collapsed}, tasks=["kl-decomposition/digits", "collapse/digits"],
                               n_bootstrap=100)
    v = lambda m, t, k: res.value(t, k, model=m)  # noqa: E731
    terms = ("index_code_mi", "total_correlation", "dimwise_kl")
    for m in ("healthy", "collapsed"):
        assert sum(v(m, "kl-decomposition/digits", k) for k in terms) == pytest.approx(v(m, "kl-decomposition/digits", "kl"), abs=1e-9)
    assert all(abs(v("collapsed", "kl-decomposition/digits", k)) < 0.05 for k in terms)
    # the Monte-Carlo KL of the decomposition estimates the closed-form KL the collapse task reports
    # (2.62 [2.46, 2.81] against 2.62), and its index-code MI the collapse task's I(x;z) from other samples (2.36 [2.19, 2.46] against 2.41)
    row = {(r["model"], r["task"], r["metric"]): r for r in res.rows}
    for mc, exact in (("kl", "kl_total"), ("index_code_mi", "mutual_info")):
        mc_row = row[("healthy", "kl-decomposition/digits", mc)]
        assert mc_row["ci_low"] <= v("healthy", "collapse/digits", exact) <= mc_row["ci_high"]
    assert v("healthy", "kl-decomposition/digits", "total_correlation") > 0.05


def test_training_is_deterministic_on_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "a"))
    spec = ReferenceSpec(name="det", architecture="mlp-vae", tier="quick", dataset="digits",
                         model={"latent_dim": 4, "hidden": [32]}, training={"epochs": 3, "batch_size": 128, "seed": 7})
    _, meta1 = train_reference(spec)
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "b"))
    _, meta2 = train_reference(spec)
    assert [h["loss"] for h in meta1["history"]] == [h["loss"] for h in meta2["history"]]
    assert meta1["fingerprint"] == meta2["fingerprint"]
    # loaded from the cache, the same weights
    model3, meta3 = train_reference(spec)
    assert meta3["fingerprint"] == meta2["fingerprint"]
    assert TorchAdapter(model3).fingerprint() == meta2["fingerprint"]
    assert np.isfinite(meta1["final"]["loss"])


def _planted_posterior(data):
    """Posterior means on 8 dimensions: 3 informative ones, and 5 whose mean varies a little
    (``Var_x E[z_j|x] = 0.015``, above the 0.01 active-unit threshold) with unit posterior variance,
    so that their average KL to N(0, 1) is about 0.0075 nats (below the 0.01 KL threshold)."""
    x_test = data.get_x(data.split("test"), flat=True).astype(np.float64)
    w = np.random.default_rng(0).normal(size=(x_test.shape[1], 8))
    proj = x_test @ w
    mu, sd = proj.mean(axis=0), proj.std(axis=0, ddof=1)
    scale = np.array([1.0, 1.0, 1.0] + [np.sqrt(0.015)] * 5)

    def posterior(x):
        m = (x.reshape(len(x), -1).astype(np.float64) @ w - mu) / sd * scale
        return m, np.zeros_like(m)

    return posterior


def test_active_and_inactive_units_are_one_verdict_apart_from_the_low_kl_count():
    # the issue: 8 "active units" and 1 "collapsed dimension" at once, read as a contradiction
    from latentbench.adapters import CallableAdapter
    from latentbench.data import load_dataset

    posterior = _planted_posterior(load_dataset("digits"))
    res = latentbench.evaluate(CallableAdapter(posterior=posterior, name="planted", flatten=True), tasks="collapse/digits")
    v = lambda k: res.value("collapse/digits", k)  # noqa: E731
    assert v("active_units") == 8 and v("inactive_units") == 0
    assert v("active_units") + v("inactive_units") == 8  # one verdict: the two counts partition the latents
    assert v("low_kl_dims") == 5  # the KL criterion, named apart: these active units have KL ~ 0.0075 nats
    assert "collapsed_dims" not in {r["metric"] for r in res.rows}


def test_reference_export_with_old_collapsed_dims_rows_still_renders(tmp_path):
    # stores and exports written before the rename hold `collapsed_dims` rows; the report must not
    # depend on the current task declaring a stored metric
    import numpy as np
    from test_report_leaderboard import add_job

    from latentbench.report.data import ReportData
    from latentbench.report.html import render_html
    from latentbench.report.leaderboard import Leaderboard
    from latentbench.store import ResultStore

    store = ResultStore(tmp_path / "old.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    for m, v in (("ref:vae", 3.0), ("ref:pca", 0.0)):
        add_job(store, m, np.full(50, v), task="collapse/digits", family="collapse", metric="collapsed_dims", direction="lower")
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data)
    md = board.to_markdown()
    assert "collapse/digits (v1) · collapsed_dims" in md
    assert "collapsed_dims" in render_html(board, title="reference")
