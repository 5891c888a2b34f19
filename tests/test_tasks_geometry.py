"""Geometry and topology tasks end to end, where the answer is known: an isometry as the encoder
preserves everything; a projection to fewer dimensions than the manifold does not."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench
from latentbench.adapters import CallableAdapter

ROT, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))


def _isometry(x):
    return x.reshape(len(x), -1) @ ROT + np.array([1.0, -2.0, 3.0])


def _projection(x):
    return x.reshape(len(x), -1)[:, :1] * 2.0


TASKS = ["neighbourhood/torus", "topology/torus", "intrinsic-dimension/torus"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    models = {"isometry": CallableAdapter(_isometry, name="isometry"), "projection": CallableAdapter(_projection, name="projection")}
    store = tmp_path_factory.mktemp("geometry") / "results.db"
    res = latentbench.evaluate(models, tasks=TASKS, n_bootstrap=50, store=str(store))
    assert not res.failed, [r["message"] for r in res.failed]
    return res


def test_isometry_preserves_neighbourhoods_topology_and_dimension(results):
    v = lambda t, m: results.value(t, m, model="isometry")  # noqa: E731
    assert v("neighbourhood/torus", "trustworthiness") == pytest.approx(1.0, abs=1e-12)
    assert v("neighbourhood/torus", "continuity") == pytest.approx(1.0, abs=1e-12)
    assert v("neighbourhood/torus", "knn_recall") == pytest.approx(1.0)
    assert v("neighbourhood/torus", "distortion") == pytest.approx(1.0, abs=1e-9)
    assert v("topology/torus", "bottleneck_h1") == pytest.approx(0.0, abs=1e-9)
    assert v("topology/torus", "bottleneck_h0") == pytest.approx(0.0, abs=1e-9)
    assert v("intrinsic-dimension/torus", "mle_ratio") == pytest.approx(1.0, abs=1e-9)
    assert v("intrinsic-dimension/torus", "twonn_latent") == pytest.approx(2.0, rel=0.1)
    assert v("topology/torus", "betti0_latent") == 1


def test_projection_is_visibly_worse(results):
    iso = lambda t, m: results.value(t, m, model="isometry")  # noqa: E731
    proj = lambda t, m: results.value(t, m, model="projection")  # noqa: E731
    assert proj("neighbourhood/torus", "trustworthiness") < iso("neighbourhood/torus", "trustworthiness") - 0.1
    assert proj("neighbourhood/torus", "knn_recall") < 0.5
    assert proj("topology/torus", "bottleneck_h1") > 0.05
    assert proj("intrinsic-dimension/torus", "mle_ratio") < 0.8


def test_dimension_intervals_are_subsample_standard_errors_around_the_estimate(results):
    import json

    for model in ("isometry", "projection"):
        rows = {r["metric"]: r for r in results.rows if r["task"] == "intrinsic-dimension/torus" and r["model"] == model}
        for metric in ("twonn_latent", "mle_latent", "corrdim_latent"):
            r = rows[metric]
            assert r["ci_method"] == f"subsample-se(m={r['n'] // 2})", r["ci_method"]
            assert r["ci_low"] < r["value"] < r["ci_high"] and r["message"] is None
        params = rows["mle_latent"]["params"]
        shift = (json.loads(params) if isinstance(params, str) else params)["info"]["subsample_shift"]
        assert set(shift) == {"twonn_latent", "mle_latent", "corrdim_latent"} and all(map(np.isfinite, shift.values()))


def test_persistence_diagrams_are_stored_and_drawn(results, tmp_path):
    from latentbench.report import ReportData
    from latentbench.report.plots import make_plots, persistence_panels
    from latentbench.report.leaderboard import Leaderboard

    data = ReportData.load(results.store_path)
    panels = persistence_panels(data)["topology/torus"]
    assert [p["model"] for p in panels] == ["isometry", "projection"]
    iso, proj = panels
    # an isometry: the latent diagrams are the input diagrams (each space is scale-normalised)
    for d in (0, 1):
        np.testing.assert_allclose(np.sort(iso["latent"][d], axis=0), np.sort(iso["input"][d], axis=0), atol=1e-9)
    assert len(iso["input"][1]) > 0 and iso["cap"] == 1.0
    # a line segment has no loops: the projection's H1 diagram is empty, the torus's is not
    assert len(proj["latent"][1]) == 0
    # one essential H0 bar per space, stored as inf; thresholds are positive, per dimension
    assert np.isinf(iso["input"][0][:, 1]).sum() == 1
    assert len(iso["threshold_input"]) == 2 and min(iso["threshold_input"]) > 0
    plots, _ = make_plots(Leaderboard.from_rows(results.rows, data=data), data, tmp_path, projections=False)
    drawn = [p for p in plots if p.name == "persistence-topology-torus"]
    assert len(drawn) == 1 and drawn[0].png.stat().st_size > 10_000


def _with_duplicates(x):
    """The isometry, with every 50th code a copy of its neighbour's (as identical images give)."""
    z = _isometry(x).copy()
    z[1::50] = z[0::50][: len(z[1::50])]
    return z


def test_duplicate_codes_are_dropped_and_counted_not_fatal():
    res = latentbench.evaluate(CallableAdapter(_with_duplicates, name="dups"), tasks="intrinsic-dimension/torus", n_bootstrap=20)
    assert not res.failed, [r["message"] for r in res.failed]
    assert res.value("intrinsic-dimension/torus", "twonn_latent") == pytest.approx(2.0, rel=0.1)
    info = [r["params"]["info"] for r in res.rows if r["metric"] == "twonn_latent"][0]
    assert info["duplicates_dropped_latent"] > 0 and info["duplicates_dropped_input"] == 0


# ------------------------------------------- the subsample intervals' one estimator call (issue 17)
def test_twonn_mle_equals_the_three_estimator_call_bit_for_bit():
    """The intervals' TwoNN and MLE from one two-estimator call are exactly the three-estimator
    call's (an exact kNN graph's first k neighbours do not depend on how many were searched)."""
    import numpy as np

    from latentbench.data import load_dataset
    from latentbench.metrics import dimension as dim
    from latentbench.tasks.geometry import twonn_mle

    rng = np.random.default_rng(0)
    data = load_dataset("shapes[n=600]")
    pixels = data.get_x(data.split("train")[:250], flat=True).astype(np.float64)  # binary 4,096-D, with duplicates
    clouds = [pixels, rng.normal(size=(300, 10)), rng.normal(size=(200, 3)) @ rng.normal(size=(3, 40)),
              np.round(rng.normal(size=(300, 2)), 1)]  # many tied distances
    for x in clouds:
        for k in (5, 20):
            full = dim.intrinsic_dimension(x, k=k)
            assert twonn_mle(x, k) == {"twonn": full["twonn"], "mle": full["mle"]}
