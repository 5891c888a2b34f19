"""Tests of latentbench.metrics.neighborhood."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench.metrics.neighborhood as nbh
from latentbench.exceptions import InputValidationError, ResourceLimitError, UndefinedMetricWarning
from latentbench.metrics.neighborhood import (
    continuity,
    distortion,
    knn_recall,
    trustworthiness,
    trustworthiness_continuity,
)
from latentbench.metrics.neighbors import knn_graph


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        pass
    with threadpool_limits(1):
        yield


def torus(n, rng, big=2.0, small=1.0):
    u, v = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    ring = big + small * np.cos(v)
    return np.column_stack([ring * np.cos(u), ring * np.sin(u), small * np.sin(v)])


def isometry(x, rng, extra_dims=0):
    """A rotation into ``x.shape[1] + extra_dims`` dimensions plus a translation."""
    d = x.shape[1] + extra_dims
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    pad = np.hstack([x, np.zeros((len(x), extra_dims))])
    return pad @ q + rng.normal(size=d)


@pytest.mark.parametrize("n,dim", [(150, 10), (300, 5)])
def test_equal_to_sklearn_trustworthiness(n, dim):
    from sklearn.manifold import trustworthiness as sk_trust

    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, dim))
    z = x[:, :2] @ rng.normal(size=(2, 2)) + 0.3 * rng.normal(size=(n, 2))
    ks = (1, 5, 12, 40)  # 40 > 32 takes the sorting path of the exact rank count
    res = trustworthiness_continuity(x, z, ks)
    for k in ks:
        assert res["trustworthiness"][k] == pytest.approx(sk_trust(x, z, n_neighbors=k), abs=1e-12)
        assert res["continuity"][k] == pytest.approx(sk_trust(z, x, n_neighbors=k), abs=1e-12)
    assert trustworthiness(x, z, ks) == res["trustworthiness"]
    assert continuity(x, z, ks) == res["continuity"]


def test_rank_counting_beyond_the_graph_is_exact():
    # graphs with more neighbours (more ranks read off the graph) give the same values
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 6))
    z = np.tanh(x[:, :3]) + 0.2 * rng.normal(size=(400, 3))
    a = trustworthiness_continuity(x, z, (5, 10))
    b = trustworthiness_continuity(x, z, (5, 10), knn_x=knn_graph(x, 150), knn_z=knn_graph(z, 150))
    assert a == b


def test_isometry_is_perfect():
    rng = np.random.default_rng(0)
    x = torus(2000, rng)
    z = isometry(x, rng, extra_dims=2)
    res = trustworthiness_continuity(x, z, (5, 10, 20))
    assert all(v == pytest.approx(1.0, abs=1e-12) for v in res["trustworthiness"].values())
    assert all(v == pytest.approx(1.0, abs=1e-12) for v in res["continuity"].values())
    assert all(v == pytest.approx(1.0) for v in knn_recall(x, z, (5, 10, 20)).values())
    dist = distortion(x, 3.0 * z, rng=1)  # a similarity: every ratio is 3
    assert dist["ratio_mean"] == pytest.approx(3.0, rel=1e-9)
    assert dist["ratio_cv"] < 1e-9 and dist["distortion_max"] == pytest.approx(1.0, abs=1e-9)
    assert dist["distortion_quantile"] == pytest.approx(1.0, abs=1e-9)


def test_projection_below_the_manifold_dimension_is_worse():
    rng = np.random.default_rng(1)
    x = torus(2000, rng)
    z = x @ rng.normal(size=(3, 1))  # a 2-manifold squashed onto a line
    res = trustworthiness_continuity(x, z, (5, 10, 20))
    # a projection tears nothing apart (continuity stays fairly high) but folds distant points together
    assert all(v < 0.75 for v in res["trustworthiness"].values())
    assert all(v < 0.97 for v in res["continuity"].values())
    assert all(v < 0.2 for v in knn_recall(x, z, (5, 10, 20)).values())
    d = distortion(x, z, rng=0)
    assert d["distortion_quantile"] > 10 and d["ratio_cv"] > 0.3
    local = distortion(x, z, pairs="knn", k=10)
    assert local["n_pairs"] == 2000 * 10 and local["distortion_quantile"] > 10


def test_knn_recall_random_codes():
    rng = np.random.default_rng(3)
    x, z = rng.normal(size=(1000, 5)), rng.normal(size=(1000, 5))
    rec = knn_recall(x, z, 10)
    assert rec[10] < 0.05


def test_distortion_degenerate_codes_warn_and_return_nan():
    x = np.random.default_rng(0).normal(size=(100, 3))
    with pytest.warns(UndefinedMetricWarning, match="constant"):
        res = distortion(x, np.zeros((100, 2)), rng=0)
    assert np.isnan(res["ratio_cv"]) and np.isnan(res["distortion_quantile"])
    z = x[:, :2].copy()
    z[1] = z[0]  # two distinct inputs share a code: unbounded distortion
    res = distortion(x, z, pairs="knn", k=99)
    assert res["distortion_max"] == np.inf


def test_bad_input_errors():
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(100, 3)), rng.normal(size=(90, 2))
    with pytest.raises(InputValidationError, match="inconsistent"):
        trustworthiness(x, z)
    with pytest.raises(InputValidationError, match="n_samples / 2"):
        trustworthiness(x, x[:, :2], 50)
    with pytest.raises(InputValidationError, match="NaN"):
        continuity(x, np.full((100, 2), np.nan))
    with pytest.raises(InputValidationError, match="pairs"):
        distortion(x, x, pairs="all")
    with pytest.raises(InputValidationError, match="knn_x"):
        trustworthiness(x, x, 10, knn_x=knn_graph(x, 5))


def test_resource_guard(monkeypatch):
    monkeypatch.setattr(nbh, "NEIGHBOR_MAX_SAMPLES", 50)
    x = np.random.default_rng(0).normal(size=(60, 3))
    with pytest.raises(ResourceLimitError, match="subsample"):
        trustworthiness_continuity(x, x, 5)
    with pytest.raises(ResourceLimitError):
        continuity(x, x, 5)
