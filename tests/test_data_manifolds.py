"""Tests of the manifold point-cloud generators: geometry, metadata, embedding, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from latentbench.data.manifolds import MANIFOLD_KINDS, make_manifold
from latentbench.exceptions import InputValidationError, UnknownNameError

EXPECTED = {  # kind: (ambient dim, intrinsic dim, betti)
    "sphere": (3, 2, [1, 0, 1]),
    "torus": (3, 2, [1, 2, 1]),
    "swiss-roll": (3, 2, [1, 0, 0]),
    "circle": (2, 1, [1, 1]),
    "two-circles": (2, 1, [2, 2]),
    "linear": (50, 5, [1]),
}


def f64(ds) -> np.ndarray:
    return ds.x.astype(np.float64)


def test_kinds():
    assert set(MANIFOLD_KINDS) == set(EXPECTED)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_dataset_shape_and_metadata(kind):
    dim, intrinsic, betti = EXPECTED[kind]
    ds = make_manifold(kind, 300, seed=1)
    assert ds.name == f"manifold-{kind}" and ds.version == 1
    assert ds.x.shape == (300, dim) and ds.x.dtype == np.float32 and ds.obs_shape == (dim,)
    assert ds.kind == "real" and ds.storage == "float"
    assert np.isfinite(ds.x).all()
    assert ds.metadata == {"intrinsic_dim": intrinsic, "betti": betti, "manifold": kind, "ambient_dim": dim}
    assert ds.params["seed"] == 1 and ds.params["kind"] == kind and ds.params["n"] == 300
    assert len(ds.split("test")) == 30 and len(ds.split("train")) == 270
    assert (ds.labels is not None) == (kind == "two-circles")
    # the params reproduce the dataset
    again = make_manifold(**ds.params)
    assert again.fingerprint == ds.fingerprint
    np.testing.assert_array_equal(again.x, ds.x)


def test_sphere_points_are_on_the_unit_sphere_and_uniform():
    x = f64(make_manifold("sphere", 4000))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-6)
    assert np.abs(x.mean(axis=0)).max() < 0.05
    # uniform on S^2: each coordinate is uniform on [-1, 1] (Archimedes), so E[z^2] = 1/3
    np.testing.assert_allclose((x**2).mean(axis=0), 1 / 3, atol=0.02)

    noisy = f64(make_manifold("sphere", 4000, noise=0.01))
    radial = np.linalg.norm(noisy, axis=1) - 1.0
    assert np.abs(radial).max() < 0.06 and 0.007 < radial.std() < 0.013


def test_circles():
    x = f64(make_manifold("circle", 1000))
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-6)
    ds = make_manifold("two-circles", 1001)
    x, labels = f64(ds), ds.labels
    assert set(np.unique(labels)) == {0, 1} and abs(int(labels.sum()) - 500) <= 1
    centres = np.where(labels[:, None] == 0, [-1.5, 0.0], [1.5, 0.0])
    np.testing.assert_allclose(np.linalg.norm(x - centres, axis=1), 1.0, atol=1e-6)
    assert np.linalg.norm(x[labels == 0].mean(0) - x[labels == 1].mean(0)) == pytest.approx(3.0, abs=0.1)


def test_torus_equation_and_area_uniformity():
    x = f64(make_manifold("torus", 20000))
    rho = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose((rho - 2.0) ** 2 + x[:, 2] ** 2, 1.0, atol=1e-5)
    # uniform in area: the outer half (rho > R) holds (pi R + 2 r) / (2 pi R) = 0.659 of the points,
    # where uniform tube angles would give 0.5
    assert abs((rho > 2.0).mean() - (np.pi * 2 + 2) / (4 * np.pi)) < 0.015


def test_swiss_roll_parametrisation():
    x = f64(make_manifold("swiss-roll", 2000))
    t = np.hypot(x[:, 0], x[:, 2])
    assert t.min() >= 1.5 * np.pi - 1e-4 and t.max() <= 4.5 * np.pi + 1e-4
    assert x[:, 1].min() >= 0 and x[:, 1].max() <= 21
    np.testing.assert_allclose(x[:, 0], t * np.cos(t), atol=1e-3)
    np.testing.assert_allclose(x[:, 2], t * np.sin(t), atol=1e-3)


@pytest.mark.parametrize("kind", ["sphere", "torus", "circle", "two-circles", "swiss-roll"])
def test_embedding_is_isometric(kind):
    low = make_manifold(kind, 300, seed=4)
    high = make_manifold(kind, 300, seed=4, ambient_dim=12)
    assert high.x.shape == (300, 12) and high.metadata["ambient_dim"] == 12
    np.testing.assert_allclose(pdist(f64(high)), pdist(f64(low)), atol=1e-4)
    native = low.x.shape[1]
    assert np.abs(high.x[:, native:]).max() > 0.1  # rotated, not only zero-padded
    assert np.linalg.matrix_rank(f64(high), tol=1e-3) == native
    assert make_manifold(kind, 300, seed=5, ambient_dim=12).fingerprint != high.fingerprint


def test_noise_is_added_in_the_ambient_space():
    clean = f64(make_manifold("circle", 2000, seed=2, ambient_dim=6))
    noisy = f64(make_manifold("circle", 2000, seed=2, ambient_dim=6, noise=0.05))
    diff = noisy - clean
    np.testing.assert_allclose(diff.std(axis=0), 0.05, rtol=0.1)  # isotropic: every ambient axis
    assert np.abs(diff.mean(axis=0)).max() < 0.01


def test_linear_subspace_has_rank_d():
    ds = make_manifold("linear", 500, d=3, ambient_dim=20, seed=1)
    assert ds.x.shape == (500, 20) and ds.metadata["intrinsic_dim"] == 3 and ds.params["d"] == 3
    s = np.linalg.svd(f64(ds), compute_uv=False)
    assert s[2] > 10 and s[3] < 1e-3 * s[0]
    assert np.linalg.matrix_rank(f64(make_manifold("linear", 500, d=3, ambient_dim=20, noise=0.1))) == 20
    x = f64(make_manifold("linear", 200))  # defaults: d=5 in R^50; float32 storage sets the tolerance
    assert x.shape == (200, 50) and np.linalg.matrix_rank(x, tol=1e-4 * np.linalg.norm(x, 2)) == 5


def test_determinism():
    for kind in MANIFOLD_KINDS:
        a, b = make_manifold(kind, 200, seed=7), make_manifold(kind, 200, seed=7)
        c = make_manifold(kind, 200, seed=8)
        assert a.x.tobytes() == b.x.tobytes() and a.fingerprint == b.fingerprint
        assert not np.allclose(a.x, c.x) and a.fingerprint != c.fingerprint


def test_unknown_kind():
    with pytest.raises(UnknownNameError, match="torus") as info:
        make_manifold("torsu")
    assert isinstance(info.value, KeyError)


@pytest.mark.parametrize("kwargs, name", [
    ({"n": 0}, "'n'"), ({"n": 1.5}, "'n'"), ({"noise": -0.1}, "'noise'"), ({"noise": float("inf")}, "'noise'"),
    ({"seed": -3}, "'seed'"), ({"test_fraction": 1.5}, "'test_fraction'"), ({"ambient_dim": 2}, "'ambient_dim'"),
    ({"d": 2}, "'linear'"),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(InputValidationError, match=name):
        make_manifold("sphere", **{"n": 50, **kwargs})


@pytest.mark.parametrize("kwargs, name", [({"d": 0}, "'d'"), ({"d": 60}, "'d'"), ({"ambient_dim": 0}, "'ambient_dim'"),
                                          ({"k": 3}, "'d'")])
def test_bad_linear_arguments(kwargs, name):
    with pytest.raises(InputValidationError, match=name):
        make_manifold("linear", 50, **kwargs)
