"""Metrics on codes at the ends of the float64 range: the number of a scale-invariant metric equals
the unscaled one, squared distances that overflow are refused, and no solver is started that
cannot finish (liblinear holds the GIL, so a time limit cannot stop it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics import dimension as dim
from latentbench.metrics import disentanglement as dis
from latentbench.metrics import neighborhood as nb
from latentbench.metrics.neighbors import knn_graph, pair_distances


@pytest.fixture
def unit_codes():
    x = np.random.default_rng(0).normal(size=(200, 5))
    return x / np.abs(x).max()  # largest coordinate 1: scaled by 1.79e308 it stays finite


def test_pair_distances_refuse_overflowing_squares(unit_codes):
    with pytest.raises(InputValidationError, match=r"^squared distances overflow float64 .*rescale the points"):
        pair_distances(unit_codes * 1e200, [0, 1], [2, 3])
    assert np.isfinite(pair_distances(unit_codes, [0, 1], [2, 3])).all()


@pytest.mark.parametrize("scale", [1.3e154, 1e200, 1.79e308])
def test_knn_metrics_near_the_float64_limit_equal_the_unscaled_numbers(unit_codes, scale):
    # regression guard for the IndexError (a kNN index n passed on) and SciPy ValueError
    x, z = unit_codes, unit_codes * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = knn_graph(z, 5)
        assert np.isfinite(graph.distances).all() and (graph.indices < len(z)).all()
        assert nb.trustworthiness(x, z, 5) == pytest.approx(nb.trustworthiness(x, x, 5), abs=1e-12)
        assert dim.twonn(z) == pytest.approx(dim.twonn(x), rel=1e-12)
        assert dim.mle(z) == pytest.approx(dim.mle(x), rel=1e-12)


def test_sap_linear_svc_is_never_started_on_codes_it_cannot_fit(unit_codes, monkeypatch):
    from sklearn.svm import LinearSVC

    def no_fit(self, *a, **k):  # on 1e200 codes liblinear's primal solver never returned (> 90 s, GIL held)
        raise AssertionError("LinearSVC.fit was called on codes beyond SAP_SVC_MAX_ABS")

    f = np.random.default_rng(1).integers(0, 3, size=(200, 2))
    monkeypatch.setattr(LinearSVC, "fit", no_fit)
    with pytest.warns(UndefinedMetricWarning, match=r"SAP: codes reach \|z\| = 1e\+200.*classifier='threshold'"):
        res = dis.sap_score(unit_codes[:150] * 1e200, f[:150], unit_codes[150:] * 1e200, f[150:], return_details=True)
    assert np.isnan(res["sap"]) and res["classifier"] == "linear_svc"
    monkeypatch.undo()
    ok = dis.sap_score(unit_codes[:150], f[:150], unit_codes[150:], f[150:])  # codes on the prior's scale: unchanged
    assert np.isfinite(ok)
    thr = [dis.sap_score(unit_codes[:150] * s, f[:150], unit_codes[150:] * s, f[150:], classifier="threshold")
           for s in (1.0, 1e200)]
    assert thr[0] == thr[1]  # the scale-invariant reading has no bound


def test_factor_vae_score_is_unchanged_by_a_power_of_two_that_overflows_the_variances():
    rng = np.random.default_rng(0)
    codes, factors = rng.normal(size=(300, 20)), rng.integers(0, 4, size=(300, 3))
    codes /= np.abs(codes).max()
    ref = dis.factor_vae_score(codes, factors, rng=np.random.default_rng(0), return_details=True)
    big = dis.factor_vae_score(codes * 2.0**600, factors, rng=np.random.default_rng(0), return_details=True)  # ~4e180: squares overflow
    assert big["factor_vae"] == ref["factor_vae"] and big["votes_train"] == ref["votes_train"]
    assert big["active_dims"] == ref["active_dims"]


def test_constant_latents_give_undefined_dimensions_not_a_row_count_error():
    # regression guard for the misleading "needs at least 2 rows" on constant latents
    import latentbench
    from latentbench.data import load_dataset

    z = np.zeros((len(load_dataset("digits")), 3))
    res = latentbench.evaluate(latentbench.adapt(z), tasks="intrinsic-dimension/digits", name="constant", n_bootstrap=10)
    rows = {r["metric"]: r for r in res.rows}
    assert {r["status"] for r in rows.values()} == {"ok"}
    assert rows["twonn_latent"]["value"] is None and "distinct" in rows["twonn_latent"]["message"]
    assert rows["twonn_input"]["value"] > 1  # the inputs are not constant
    assert not any("at least 2 rows" in (r["message"] or "") for r in rows.values())
