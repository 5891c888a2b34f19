"""Tests of latentbench.metrics.neighbors and latentbench.metrics.dimension."""

from __future__ import annotations

import numpy as np
import pytest

from pointclouds import linear_subspace, sphere, swiss_roll, torus

from latentbench.exceptions import InputValidationError, ResourceLimitError, UndefinedMetricWarning
from latentbench.metrics.dimension import (
    corrint,
    correlation_dimension,
    id_scale_curve,
    intrinsic_dimension,
    mle,
    subsample_ci,
    twonn,
)
from latentbench.metrics.neighbors import (
    KNNGraph,
    available_backends,
    drop_duplicates,
    find_duplicates,
    knn_graph,
)

N = 2000


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        pass
    with threadpool_limits(1):
        yield


# --------------------------------------------------------------------------- point clouds


MANIFOLDS = {
    "sphere": (sphere, 2),
    "torus": (torus, 2),
    "swiss_roll": (swiss_roll, 2),
    "linear5_in_50": (linear_subspace, 5),
}


@pytest.fixture(scope="module")
def clouds():
    return {name: f(N, np.random.default_rng(i)) for i, (name, (f, _)) in enumerate(MANIFOLDS.items())}


# --------------------------------------------------------------------------- kNN graph


def _brute_knn(x, k):
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, idx, axis=1), idx


@pytest.mark.parametrize("offset", [0.0, 1e4])
@pytest.mark.parametrize("dim", [3, 40])
def test_knn_backends_agree_and_are_exact(offset, dim):
    rng = np.random.default_rng(dim)
    x = rng.normal(size=(600, dim)) + offset  # a large offset defeats float32 without the refinement
    d_ref, i_ref = _brute_knn(x, 15)
    graphs = {b: knn_graph(x, 15, backend=b) for b in available_backends()}
    assert {"faiss", "kdtree", "sklearn"} <= set(graphs)
    for b, g in graphs.items():
        assert g.distances.dtype == np.float64 and g.indices.dtype == np.int64
        np.testing.assert_array_equal(g.indices, i_ref, err_msg=b)
        np.testing.assert_allclose(g.distances, d_ref, rtol=1e-12, atol=1e-12 * max(1.0, offset), err_msg=b)
        assert not (g.indices == np.arange(len(x))[:, None]).any()  # self excluded
        assert np.all(np.diff(g.distances, axis=1) >= 0)


def test_knn_exact_when_float32_cannot_resolve_the_neighbours():
    # a tight cluster next to far-away points: the float32 (and float64-expansion) candidates are
    # uncertifiable for the cluster rows, which are then searched exactly
    rng = np.random.default_rng(7)
    x = np.vstack([1e-4 * rng.normal(size=(300, 5)), 1e4 * rng.normal(size=(10, 5))])
    d_ref, i_ref = _brute_knn(x, 6)
    for b in available_backends():
        g = knn_graph(x, 6, backend=b)
        np.testing.assert_array_equal(g.indices, i_ref, err_msg=b)
        np.testing.assert_allclose(g.distances, d_ref, rtol=1e-12, err_msg=b)


def test_knn_graph_unpacks_and_truncates():
    x = np.random.default_rng(0).normal(size=(200, 4))
    g = knn_graph(x, 10)
    d, i = g
    assert isinstance(g, KNNGraph) and g.k == 10 and g.n_samples == 200
    h = g.truncate(3)
    np.testing.assert_array_equal(h.indices, i[:, :3])
    np.testing.assert_array_equal(h.distances, d[:, :3])
    with pytest.raises(InputValidationError):
        g.truncate(11)


def test_knn_torch_tensor_input():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(300, 6))
    g1 = knn_graph(torch.from_numpy(x), 7, backend="torch")
    g2 = knn_graph(x, 7, backend="sklearn")
    np.testing.assert_array_equal(g1.indices, g2.indices)
    np.testing.assert_allclose(g1.distances, g2.distances, rtol=1e-13)


def test_knn_bad_input():
    x = np.random.default_rng(0).normal(size=(50, 3))
    with pytest.raises(InputValidationError, match="k"):
        knn_graph(x, 50)
    with pytest.raises(InputValidationError, match="backend"):
        knn_graph(x, 5, backend="annoy")
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputValidationError, match="NaN"):
        knn_graph(bad, 5)
    with pytest.raises(InputValidationError, match="2-D"):
        knn_graph(x[:, 0], 5)


def test_duplicates_are_found_and_dropped():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3))
    x = np.vstack([x, x[:10], x[:5], [-0.0 * x[0]], [0.0 * x[0]]])
    dup = find_duplicates(x)
    np.testing.assert_array_equal(dup, np.r_[np.arange(100, 115), 116])
    xu, kept, n_drop = drop_duplicates(x)
    assert n_drop == 16 and len(xu) == 101
    np.testing.assert_array_equal(xu, x[kept])
    assert np.array_equal(kept, np.sort(kept))
    g = knn_graph(x, 2)  # duplicates are neighbours at distance 0, never the point itself
    assert g.distances[0, 0] == 0 and g.indices[0, 0] in (100, 110)


# --------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("name", list(MANIFOLDS))
def test_twonn_mle_ground_truth(clouds, name):
    x, true_d = clouds[name], MANIFOLDS[name][1]
    res = intrinsic_dimension(x, estimators=("twonn", "mle", "corrint"))
    assert res["n_duplicates"] == 0
    for est in ("twonn", "mle"):
        assert abs(res[est] - true_d) <= 0.1 * true_d, (name, est, res[est])
    assert abs(res["corrint"] - true_d) <= 0.1 * true_d, (name, res["corrint"])


@pytest.mark.parametrize("name", ["sphere", "swiss_roll", "linear5_in_50"])
def test_same_values_as_scikit_dimension(clouds, name):
    skdim = pytest.importorskip("skdim")
    x = clouds[name]
    ours = intrinsic_dimension(x)
    ref_twonn = skdim.id.TwoNN(discard_fraction=0.1).fit(x).dimension_
    # Levina-Bickel with (k - 1) and MacKay-Ghahramani averaging: dnoise=None, unbiased=False, comb="mle"
    ref_mle = skdim.id.MLE(dnoise=None, unbiased=False, neighborhood_based=True).fit(
        x, n_neighbors=20, comb="mle").dimension_
    ref_corrint = skdim.id.CorrInt(k1=10, k2=20).fit(x).dimension_
    assert ours["twonn"] == pytest.approx(ref_twonn, rel=1e-10, abs=0)
    assert ours["mle"] == pytest.approx(ref_mle, rel=1e-10, abs=0)
    assert ours["corrint"] == pytest.approx(ref_corrint, rel=1e-10, abs=0)
    # the standalone functions give the same numbers
    assert twonn(x) == pytest.approx(ours["twonn"], rel=1e-14)
    assert mle(x) == pytest.approx(ours["mle"], rel=1e-14)
    assert corrint(x) == pytest.approx(ours["corrint"], rel=1e-14)


def test_corrint_counts_pairs_beyond_the_graph(clouds):
    # a graph with exactly k2 neighbours leaves about half the rows to the exact pair count
    x = clouds["swiss_roll"][:800]
    full = corrint(x)
    small = corrint(x, knn=knn_graph(x, 20))
    assert small == pytest.approx(full, rel=1e-14)
    from scipy.spatial.distance import pdist

    d = pdist(x)
    g = knn_graph(x, 20)
    r1, r2 = np.median(g.distances[:, 9]), np.median(g.distances[:, 19])
    c1, c2 = 2 * np.sum(d < r1) / len(x) ** 2, 2 * np.sum(d < r2) / len(x) ** 2
    assert full == pytest.approx(np.log(c2 / c1) / np.log(r2 / r1), rel=1e-12)


def test_shared_graph_gives_same_values(clouds):
    x = clouds["sphere"]
    g = knn_graph(x, 40)
    a = intrinsic_dimension(x, knn=g)
    b = intrinsic_dimension(x)
    for key in ("twonn", "mle", "corrint"):
        assert a[key] == b[key]
    assert mle(x, knn=g) == a["mle"] and twonn(x, knn=g) == a["twonn"]
    with pytest.raises(InputValidationError, match="built on"):
        intrinsic_dimension(x[:100], knn=g)
    with pytest.raises(InputValidationError, match="k >= 20"):
        mle(x, knn=g.truncate(5))


def test_mle_average_options(clouds):
    x = clouds["sphere"]
    d_inv, pw = mle(x, return_pointwise=True)
    assert pw.shape == (len(x),)
    assert d_inv == pytest.approx(1 / np.mean(1 / pw), rel=1e-12)
    assert mle(x, average="mean") == pytest.approx(pw.mean())
    assert mle(x, average="median") == pytest.approx(np.median(pw))


def test_isometry_keeps_id_and_projection_lowers_it(clouds):
    rng = np.random.default_rng(5)
    x = clouds["torus"]
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    z = x @ q + np.array([3.0, -1.0, 7.0])
    a, b = intrinsic_dimension(x), intrinsic_dimension(z)
    for key in ("twonn", "mle", "corrint"):
        assert b[key] / a[key] == pytest.approx(1.0, abs=1e-9)
    proj = x @ rng.normal(size=(3, 1))  # fewer dimensions than the manifold
    c = intrinsic_dimension(proj)
    for key in ("twonn", "mle"):
        assert c[key] / a[key] < 0.65


# --------------------------------------------------------------------------- duplicates, degenerate input


def test_duplicates_policy(clouds):
    x = clouds["sphere"][:500]
    xd = np.vstack([x, x[:40]])
    res = intrinsic_dimension(xd)
    ref = intrinsic_dimension(x)
    assert res["n_samples"] == 540 and res["n_unique"] == 500 and res["n_duplicates"] == 40
    for key in ("twonn", "mle", "corrint"):
        assert res[key] == ref[key]
    with pytest.raises(InputValidationError, match="drop_duplicates"):
        twonn(xd)
    with pytest.raises(InputValidationError, match="drop_duplicates"):
        intrinsic_dimension(xd, dedup=False)


def test_constant_codes_warn_and_return_nan():
    x = np.ones((100, 4))
    with pytest.warns(UndefinedMetricWarning):
        res = intrinsic_dimension(x)
    assert res["n_unique"] == 1 and res["n_duplicates"] == 99
    assert all(np.isnan(res[k]) for k in ("twonn", "mle", "corrint"))


def test_bad_input_errors(clouds):
    x = clouds["sphere"][:100]
    with pytest.raises(InputValidationError, match="estimators"):
        intrinsic_dimension(x, estimators=("twonn", "danco"))
    with pytest.raises(InputValidationError, match="NaN"):
        twonn(np.where(np.arange(300).reshape(100, 3) == 7, np.nan, x))
    with pytest.raises(InputValidationError, match="discard_fraction"):
        twonn(x, discard_fraction=0.0)
    with pytest.raises(InputValidationError, match="at least 21 samples"):
        mle(x[:15])
    with pytest.raises(InputValidationError, match="k2"):
        corrint(x, k1=10, k2=10)
    with pytest.raises(InputValidationError):
        correlation_dimension(x, window=(0.1, 0.01), rng=0)


# --------------------------------------------------------------------------- correlation dimension, CIs, scale curve


@pytest.mark.parametrize("name", ["sphere", "torus", "linear5_in_50"])
def test_correlation_dimension(clouds, name):
    x, true_d = clouds[name], MANIFOLDS[name][1]
    res = correlation_dimension(x, n_max=1500, n_rounds=10, rng=0)
    assert res["n_used"] == 1500
    assert abs(res["dimension"] - true_d) <= 0.1 * true_d
    assert res["ci_low"] < res["dimension"] < res["ci_high"]
    assert res["radii"].shape == res["C"].shape == (16,)
    assert np.all(np.diff(res["C"]) >= 0)
    again = correlation_dimension(x, n_max=1500, n_rounds=10, rng=0)
    assert again["dimension"] == res["dimension"] and again["ci_low"] == res["ci_low"]


def test_correlation_dimension_guard():
    with pytest.raises(ResourceLimitError, match="n_max"):
        correlation_dimension(np.zeros((10, 2)), n_max=50_000, rng=0)


def test_subsample_ci_draws_without_replacement(clouds):
    x = clouds["sphere"][:400]
    y = np.arange(400)
    seen = []

    def fn(a, b):
        assert len(np.unique(b)) == len(b)  # distinct rows, aligned arrays
        np.testing.assert_array_equal(a, x[b])
        seen.append(len(b))
        return float(a[:, 0].mean())

    res = subsample_ci(fn, x, y, m=150, n_rounds=8, rng=3)
    assert res.details["m"] == 150 and len(res.details["draws"]) == 8
    assert seen == [400] + [150] * 8  # the full-sample estimate, then the subsamples
    assert res.ci_low <= res.value <= res.ci_high
    # the rescaled interval for a mean is about the normal one
    se = x[:, 0].std() / np.sqrt(len(x))
    assert 0.2 * se < (res.ci_high - res.ci_low) / 4 < 5 * se
    out = subsample_ci(lambda a: intrinsic_dimension(a), x, n_rounds=4, rng=0)
    assert out["mle"].details["m"] == 200 and out["mle"].ci_low < out["mle"].ci_high
    with pytest.raises(InputValidationError):
        subsample_ci(fn, x, y[:10], rng=0)


def test_scale_curve(clouds):
    x = clouds["sphere"]
    g = knn_graph(x, 64)
    curve = id_scale_curve(x, knn=g)
    np.testing.assert_array_equal(curve["rank"], [1, 2, 4, 8, 16, 32])
    assert np.all(np.abs(curve["dimension"] - 2) < 0.2)
    assert np.all(np.diff(curve["radius"]) > 0) and np.all(curve["error"] > 0)
    # n1 = 1 is TwoNN's maximum-likelihood estimate N / sum(log mu)
    mu = g.distances[:, 1] / g.distances[:, 0]
    assert curve["dimension"][0] == pytest.approx(len(mu) / np.log(mu).sum(), rel=1e-12)
    m = id_scale_curve(x, knn=g, method="mle")
    np.testing.assert_array_equal(m["rank"], [4, 8, 16, 32, 64])
    assert m["dimension"][2] == pytest.approx(mle(x, k=16, knn=g))
    # with noise, the smallest scales see the ambient dimension: the curve falls with the scale
    noisy = linear_subspace(N, np.random.default_rng(9), d=2, ambient=10, noise=0.02)
    c = id_scale_curve(noisy)
    assert c["dimension"][0] > 4 and c["dimension"][-1] < 2.5
    assert np.all(np.diff(c["dimension"]) < 0)
