"""Tests of latentbench.metrics.topology (gudhi)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

gudhi = pytest.importorskip("gudhi")

from pointclouds import circle, rigid_motion, sphere, torus  # noqa: E402

from latentbench.exceptions import InputValidationError, ResourceLimitError, UndefinedMetricWarning  # noqa: E402
from latentbench.metrics.topology import (  # noqa: E402
    MAX_LANDMARKS,
    betti_numbers,
    compare_topology,
    covering_radius,
    diagram_distances,
    farthest_point_sampling,
    h0_diagram_mst,
    landmark_persistence,
    persistence_diagrams,
    rips_backend,
    total_persistence,
)




# --------------------------------------------------------------------------- landmarks


def test_farthest_point_sampling():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    idx, eps = farthest_point_sampling(x, 40, start=7)
    assert idx[0] == 7 and len(np.unique(idx)) == 40
    d = np.sqrt(((x[:, None] - x[idx][None]) ** 2).sum(-1)).min(axis=1)
    assert eps == pytest.approx(d.max(), rel=1e-12)
    assert covering_radius(x, idx) == pytest.approx(eps, rel=1e-12)
    # max-min order: each new landmark is the farthest point from the previous ones
    for t in (1, 10, 39):
        dist_prev = np.sqrt(((x - x[idx[t]]) ** 2).sum(-1))
        dprev = np.sqrt(((x[:, None] - x[idx[:t]][None]) ** 2).sum(-1)).min(axis=1)
        assert dprev[idx[t]] == pytest.approx(dprev.max()) and dist_prev[idx[t]] == 0
    all_idx, last = farthest_point_sampling(x, 10_000)
    assert len(all_idx) == 500 and last > 0


# --------------------------------------------------------------------------- Betti numbers


@pytest.mark.parametrize("complex_", ["rips", "alpha"])
def test_betti_circle_and_two_circles(complex_):
    rng = np.random.default_rng(0)
    one = landmark_persistence(circle(2000, rng), n_landmarks=100, complex=complex_)
    assert one["betti"] == (1, 1)
    two = np.vstack([circle(1000, rng), circle(1000, rng, center=(3.5, 0.0))])
    assert landmark_persistence(two, n_landmarks=100, complex=complex_)["betti"] == (2, 2)


@pytest.mark.parametrize("complex_,m", [("rips", 400), ("alpha", 300)])
def test_betti_torus_with_h2(complex_, m):
    x = torus(2000, np.random.default_rng(1))
    res = landmark_persistence(x, n_landmarks=m, max_dim=2, complex=complex_)
    assert res["betti"] == (1, 2, 1)


@pytest.mark.parametrize("complex_", ["rips", "alpha"])
def test_betti_sphere_with_h2(complex_):
    x = sphere(2000, np.random.default_rng(2))
    res = landmark_persistence(x, n_landmarks=200, max_dim=2, complex=complex_)
    assert res["betti"] == (1, 0, 1)


def test_betti_counting_rules():
    dg = [np.array([[0, 0.1], [0, 0.5], [0, np.inf]]), np.array([[0.2, 0.3], [0.1, np.inf]])]
    assert betti_numbers(dg, 0.15) == (2, 1)
    assert betti_numbers(dg, [0.6, 0.05]) == (1, 2)
    assert total_persistence(dg) == pytest.approx([0.6, 0.1])
    assert total_persistence(dg, p=2) == pytest.approx([0.26, 0.01])


# --------------------------------------------------------------------------- diagrams and distances


def test_h0_from_mst_matches_gudhi():
    x = np.random.default_rng(3).normal(size=(150, 4))
    mst = h0_diagram_mst(x)
    gd = persistence_diagrams(x, max_dim=0, backend="gudhi")[0]
    np.testing.assert_allclose(np.sort(mst[:, 1]), np.sort(gd[:, 1]), rtol=1e-12)


@pytest.mark.parametrize("max_edge_length", [None, 1.0])
def test_ripser_and_gudhi_give_the_same_bars(max_edge_length):
    """ripser.py (the default Rips engine when installed) against gudhi's Rips with edge collapse.

    ripser.py computes in float32: bars agree to float32 rounding (a few units in the last place
    of values below 2 on these normalised points), not to float64's.
    """
    pytest.importorskip("ripser")
    rng = np.random.default_rng(8)
    for pts, max_dim in ((torus(400, rng), 2), (rng.normal(size=(120, 10)), 1)):
        pts = pts / np.median(np.linalg.norm(pts[:, None] - pts[None], axis=-1))
        rp = persistence_diagrams(pts, max_dim=max_dim, max_edge_length=max_edge_length, backend="ripser")
        gd = persistence_diagrams(pts, max_dim=max_dim, max_edge_length=max_edge_length, backend="gudhi")
        for d in range(max_dim + 1):
            assert len(rp[d]) == len(gd[d]) and np.isinf(rp[d][:, 1]).sum() == np.isinf(gd[d][:, 1]).sum()
            assert gudhi.bottleneck_distance(rp[d], gd[d]) <= 4 * np.finfo(np.float32).eps
    assert rips_backend("auto") == "ripser" and rips_backend("gudhi") == "gudhi"


def test_auto_backend_falls_back_to_gudhi(monkeypatch):
    monkeypatch.setitem(sys.modules, "ripser", None)  # import ripser now raises ImportError
    assert rips_backend("auto") == "gudhi"
    x = np.random.default_rng(9).normal(size=(40, 3))
    assert len(persistence_diagrams(x)[0]) == 40  # 39 finite H0 bars and the essential one
    with pytest.raises(InputValidationError, match="backend='ripser' needs ripser.py"):
        persistence_diagrams(x, backend="ripser")


def test_distances_equal_gudhi_on_the_same_diagrams():
    rng = np.random.default_rng(4)
    a = persistence_diagrams(circle(150, rng) + 0.05 * rng.normal(size=(150, 2)))
    b = persistence_diagrams(circle(150, rng, radius=1.3) + 0.05 * rng.normal(size=(150, 2)))
    res = diagram_distances(a, b)
    for d in range(2):
        assert res["bottleneck"][d] == gudhi.bottleneck_distance(a[d], b[d])
        assert res["bottleneck"][d] > 0
    hera = pytest.importorskip("gudhi.hera")
    for d in range(2):
        ref = hera.wasserstein_distance(a[d], b[d], order=1, internal_p=np.inf, delta=1e-6)
        assert res["wasserstein"][d] == pytest.approx(ref, rel=1e-6)
        assert res["wasserstein"][d] >= res["bottleneck"][d] - 1e-12
    capped = diagram_distances([np.array([[0, np.inf]])], [np.array([[0, 0.7]])], cap=1.0)
    assert capped["bottleneck"][0] == pytest.approx(0.3)
    assert diagram_distances([np.array([[0, np.inf]])], [np.array([[0, 0.7]])])["bottleneck"][0] == np.inf


def test_isometry_gives_zero_distances():
    rng = np.random.default_rng(5)
    x = torus(1500, rng)
    z = rigid_motion(x, rng)
    res = compare_topology(x, z, n_landmarks=150, n_draws=3, rng=0)
    for d in (0, 1):
        assert res["bottleneck"][d]["mean"] == pytest.approx(0.0, abs=1e-9)
        assert res["wasserstein"][d]["ci_high"] == pytest.approx(0.0, abs=1e-9)
    assert res["betti_x"] == res["betti_z"]
    assert res["covering_radius_x"] == pytest.approx(res["covering_radius_z"], rel=1e-9)
    assert res["n_draws"] == 3 and len(res["betti_x_draws"]) == 3


def test_projection_is_visibly_worse():
    rng = np.random.default_rng(6)
    x = circle(1500, rng)
    z = x @ rng.normal(size=(2, 1))  # the loop folds onto a segment
    res = compare_topology(x, z, n_landmarks=100, n_draws=3, rng=1)
    assert res["betti_x"] == (1, 1) and res["betti_z"] == (1, 0)
    assert res["bottleneck"][1]["mean"] > 0.2
    assert res["bottleneck"][1]["ci_low"] <= res["bottleneck"][1]["mean"] <= res["bottleneck"][1]["ci_high"]


def test_constant_codes_warn_and_return_nan():
    x = circle(300, np.random.default_rng(0))
    with pytest.warns(UndefinedMetricWarning):
        res = compare_topology(x, np.zeros((300, 2)), n_landmarks=50, n_draws=2, rng=0)
    assert np.isnan(res["bottleneck"][0]["mean"]) and np.isnan(res["covering_radius_z"])


# --------------------------------------------------------------------------- guards


def test_guards():
    rng = np.random.default_rng(0)
    with pytest.raises(InputValidationError, match="alpha"):
        persistence_diagrams(rng.normal(size=(30, 4)), complex="alpha")
    with pytest.raises(ResourceLimitError, match="landmarks"):
        persistence_diagrams(rng.normal(size=(MAX_LANDMARKS + 1, 2)))
    with pytest.raises(ResourceLimitError, match="triangles"):
        persistence_diagrams(rng.normal(size=(60, 5)), max_triangles=10, backend="gudhi")
    with pytest.raises(InputValidationError, match="normalize"):
        landmark_persistence(rng.normal(size=(30, 2)), normalize="mean")
    with pytest.raises(InputValidationError, match="inconsistent"):
        compare_topology(rng.normal(size=(30, 2)), rng.normal(size=(31, 2)), rng=0)
    with pytest.raises(InputValidationError, match="same max_dim"):
        diagram_distances([np.empty((0, 2))], [np.empty((0, 2))] * 2)


# ------------------------------------------------------------ the landmark helpers: same numbers, no temporaries
def _fps_reference(x, m, start):
    """The max-min sampling written out with NumPy (one (n, d) temporary per landmark)."""
    idx, dmin = [start], np.sqrt(((x - x[start]) ** 2).sum(axis=1))
    while len(idx) < m:
        i = int(np.argmax(dmin))
        if not dmin[i] > 0:
            break
        idx.append(i)
        dmin = np.minimum(dmin, np.sqrt(((x - x[i]) ** 2).sum(axis=1)))
    return np.array(idx), float(dmin.max())


@pytest.mark.parametrize("kind", ["gaussian", "binary-with-ties", "float32"])
def test_landmark_helpers_equal_the_numpy_formulas_and_scipy(kind):
    """farthest_point_sampling picks the landmarks of the plain NumPy formulation (ties: the lowest
    index, which binary images have in numbers) and covering_radius equals scipy's
    cdist(x, x[landmarks]).min(axis=1).max()."""
    from scipy.spatial.distance import cdist

    r = np.random.default_rng(3)
    x = {"gaussian": lambda: r.normal(size=(600, 300)),
         "binary-with-ties": lambda: (r.random((600, 256)) < 0.2).astype(np.float64),
         "float32": lambda: r.normal(size=(600, 50)).astype(np.float32)}[kind]()
    idx, radius = farthest_point_sampling(x, 60, start=11)
    ref_idx, ref_radius = _fps_reference(np.asarray(x, dtype=np.float64), 60, 11)
    np.testing.assert_array_equal(idx, ref_idx)
    assert radius == pytest.approx(ref_radius, rel=1e-12)
    x64 = np.asarray(x, dtype=np.float64)
    assert covering_radius(x, idx[:30]) == cdist(x64, x64[idx[:30]]).min(axis=1).max()


def test_farthest_point_sampling_equals_gudhi_without_ties():
    """On points without distance ties, gudhi's choose_n_farthest_points picks the same points
    (gudhi breaks ties differently, so binary images are compared with the NumPy formulation above)."""
    gudhi = pytest.importorskip("gudhi")
    x = np.random.default_rng(4).normal(size=(500, 40))
    idx, _ = farthest_point_sampling(x, 50, start=9)
    theirs = np.asarray(gudhi.subsampling.choose_n_farthest_points(points=x, nb_points=50, starting_point=9))
    np.testing.assert_array_equal(x[idx], theirs)
