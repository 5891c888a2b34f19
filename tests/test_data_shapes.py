"""Tests of the procedural dSprites-like ``shapes`` generator (never the full grid: too big for tests)."""

from __future__ import annotations

import numpy as np
import pytest

from latentbench.data import shapes as S
from latentbench.exceptions import InputValidationError

SQUARE, ELLIPSE, HEART = 0, 1, 2


def images(factors) -> np.ndarray:
    """Unpacked (n, 64, 64) uint8 images for factor rows."""
    f = np.atleast_2d(np.asarray(factors, dtype=np.int64))
    return np.unpackbits(S.render(S.indices_from_factors(f)), axis=1).reshape(-1, 64, 64)


def with_factor(base, name: str, values) -> np.ndarray:
    """Copies of factor row ``base`` with factor ``name`` set to each of ``values``."""
    rows = np.tile(np.asarray(base, dtype=np.int64), (len(values), 1))
    rows[:, S.FACTOR_NAMES.index(name)] = values
    return rows


# ---------------------------------------------------------------------------------------- indexing
def test_constants():
    assert S.FACTOR_NAMES == ("shape", "scale", "orientation", "pos_x", "pos_y")
    assert S.FACTOR_SIZES == (3, 6, 40, 32, 32)
    assert S.N_GRID == 737280
    np.testing.assert_allclose(S.SCALES, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert len(S.ORIENTATIONS) == 40 and S.ORIENTATIONS[0] == 0.0
    assert S.ORIENTATIONS[-1] < 2 * np.pi - 0.1  # no duplicated 2*pi endpoint
    np.testing.assert_allclose(np.diff(S.ORIENTATIONS), 2 * np.pi / 40)


def test_index_formula_and_corners():
    corners = np.array([[0, 0, 0, 0, 0], [2, 5, 39, 31, 31], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0],
                        [1, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
    idx = S.indices_from_factors(corners)
    assert idx.dtype == np.int64
    expected = [((((s * 6 + sc) * 40 + o) * 32 + x) * 32 + y) for s, sc, o, x, y in corners]
    np.testing.assert_array_equal(idx, expected)
    assert idx[0] == 0 and idx[1] == S.N_GRID - 1 and idx[2] == 1 and idx[3] == 32 and idx[4] == 6 * 40 * 32 * 32
    np.testing.assert_array_equal(S.factors_from_indices(idx), corners)


def test_round_trip_random_indices():
    idx = np.random.default_rng(0).integers(0, S.N_GRID, size=5000)
    f = S.factors_from_indices(idx)
    assert f.shape == (5000, 5)
    assert (f >= 0).all() and (f < np.array(S.FACTOR_SIZES)).all()
    np.testing.assert_array_equal(S.indices_from_factors(f), idx)


@pytest.mark.parametrize("bad", [[[3, 0, 0, 0, 0]], [[0, 6, 0, 0, 0]], [[0, 0, 40, 0, 0]], [[0, 0, 0, 32, 0]],
                                 [[0, 0, 0, 0, -1]], [[0, 0, 0, 0]], [[0.5, 0, 0, 0, 0]]])
def test_indices_from_factors_rejects_bad_rows(bad):
    with pytest.raises(InputValidationError, match="factors"):
        S.indices_from_factors(bad)


@pytest.mark.parametrize("bad", [[-1], [S.N_GRID], [[0, 1]]])
def test_bad_indices_are_rejected(bad):
    with pytest.raises(InputValidationError, match="indices"):
        S.factors_from_indices(bad)
    with pytest.raises(InputValidationError, match="indices"):
        S.render(bad)


# ---------------------------------------------------------------------------------------- sampling
def test_sample_factors_uniform_and_fixed():
    rng = np.random.default_rng(3)
    free = S.sample_factors(4000, rng=rng)
    for j, size in enumerate(S.FACTOR_SIZES):
        assert set(np.unique(free[:, j])) == set(range(size))

    fixed = S.sample_factors(4000, rng=np.random.default_rng(4), fixed={"orientation": 7, 0: 2})
    assert (fixed[:, 2] == 7).all() and (fixed[:, 0] == 2).all()
    for j in (1, 3, 4):  # the free factors still cover their ranges
        assert set(np.unique(fixed[:, j])) == set(range(S.FACTOR_SIZES[j]))
    # seeded: the same seed gives the same rows
    np.testing.assert_array_equal(S.sample_factors(50, rng=9, fixed={"scale": 1}),
                                  S.sample_factors(50, rng=9, fixed={"scale": 1}))


@pytest.mark.parametrize("fixed, word", [({"colour": 1}, "colour"), ({"shape": 3}, "shape"), ({5: 0}, "fixed"),
                                         ({"scale": -1}, "scale")])
def test_sample_factors_rejects_bad_fixed(fixed, word):
    with pytest.raises(InputValidationError, match=word):
        S.sample_factors(10, rng=0, fixed=fixed)


# ---------------------------------------------------------------------------------------- rendering
def test_render_is_packed_binary_and_chunk_independent():
    idx = np.random.default_rng(1).choice(S.N_GRID, size=300, replace=False)
    packed = S.render(idx)
    assert packed.shape == (300, 512) and packed.dtype == np.uint8
    np.testing.assert_array_equal(S.render(idx, chunk_size=7), packed)
    np.testing.assert_array_equal(S.render(idx[::-1])[::-1], packed)  # per-image, order-independent
    pix = np.unpackbits(packed, axis=1)
    assert set(np.unique(pix)) == {0, 1}
    assert (pix.sum(axis=1) > 50).all()  # every image shows a sprite


def test_translation_by_one_step_shifts_by_one_pixel():
    rng = np.random.default_rng(2)
    base = S.sample_factors(40, rng=rng)
    base[:, 3] = rng.integers(0, 31, size=40)
    base[:, 4] = rng.integers(0, 31, size=40)
    right, down = base.copy(), base.copy()
    right[:, 3] += 1
    down[:, 4] += 1
    a, r, d = images(base), images(right), images(down)
    assert (a[:, :, -1] == 0).all() and (a[:, -1, :] == 0).all()
    np.testing.assert_array_equal(r[:, :, 1:], a[:, :, :-1])  # pos_x: one column to the right
    assert (r[:, :, 0] == 0).all()
    np.testing.assert_array_equal(d[:, 1:, :], a[:, :-1, :])  # pos_y: one row down
    assert (d[:, 0, :] == 0).all()


def test_symmetric_shapes_are_centred_on_their_position():
    rng = np.random.default_rng(5)
    f = S.sample_factors(60, rng=rng)
    f[:, 0] = rng.integers(0, 2, size=60)  # square and ellipse have 180-degree symmetry
    imgs = images(f)
    rows, cols = np.arange(64), np.arange(64)
    mass = imgs.sum(axis=(1, 2)).astype(float)
    cy = (imgs.sum(axis=2) * rows).sum(axis=1) / mass
    cx = (imgs.sum(axis=1) * cols).sum(axis=1) / mass
    np.testing.assert_allclose(cx, f[:, 3] + 15.5)
    np.testing.assert_allclose(cy, f[:, 4] + 15.5)


def test_pixel_count_grows_with_scale():
    counts = S.templates().sum(axis=(-1, -2))  # (shape, scale, orientation)
    assert (np.diff(counts, axis=1) > 0).all()
    # the area scales as scale**2: scale 1.0 has about 4x the pixels of scale 0.5
    ratio = counts[:, -1] / counts[:, 0]
    assert ((ratio > 3.5) & (ratio < 4.5)).all()
    # the rendered images carry exactly the templates' pixels
    rows = with_factor([1, 0, 13, 9, 20], "scale", range(6))
    np.testing.assert_array_equal(images(rows).sum(axis=(1, 2)), counts[1, :, 13])


def test_unrotated_square_is_a_solid_square():
    sides = []
    for img in images(with_factor([SQUARE, 0, 0, 7, 12], "scale", range(6))):
        rows, cols = np.nonzero(img)
        h, w = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert h == w and img.sum() == h * w  # filled, axis-aligned, square
        sides.append(int(h))
    assert np.all(np.diff(sides) == sides[0] // 5)  # the side is proportional to the scale (0.5, 0.6, ..., 1.0)


def test_rotation_preserves_area():
    counts = S.templates().sum(axis=(-1, -2)).astype(float)  # (shape, scale, orientation)
    # the unrotated square's count is its exact area; rasterising at half coverage keeps the
    # mean over orientations within a few percent of it (any-coverage would add the perimeter)
    np.testing.assert_allclose(counts[SQUARE].mean(axis=1), counts[SQUARE, :, 0], rtol=0.03)
    spread = np.abs(counts / counts.mean(axis=2, keepdims=True) - 1).max(axis=2)
    assert (spread < 0.12).all()  # every orientation within 12% (pixel-grid aliasing of small squares)
    assert (spread[1:] < 0.05).all()  # the curved shapes alias less


def test_orientation_is_counter_clockwise():
    ell = images(with_factor([ELLIPSE, 5, 0, 16, 16], "orientation", [0, 5, 10]))
    rows, cols = np.nonzero(ell[0])
    assert np.ptp(cols) > 1.5 * np.ptp(rows)  # orientation 0: long axis horizontal
    rows, cols = np.nonzero(ell[2])
    assert np.ptp(rows) > 1.5 * np.ptp(cols)  # 90 degrees: vertical
    rows, cols = np.nonzero(ell[1])
    assert np.corrcoef(cols, rows)[0, 1] < -0.5  # 45 degrees CCW: up-right to down-left (rows grow downward)


def test_orientation_symmetries_give_identical_images():
    k = np.arange(40)
    base = [0, 4, 0, 3, 25]
    sq = images(with_factor([SQUARE, *base[1:]], "orientation", k))
    el = images(with_factor([ELLIPSE, *base[1:]], "orientation", k))
    he = images(with_factor([HEART, *base[1:]], "orientation", k))
    for a in range(30):
        np.testing.assert_array_equal(sq[a], sq[a + 10])
    for a in range(20):
        np.testing.assert_array_equal(el[a], el[a + 20])
        assert (he[a] != he[a + 20]).sum() > 50
    for a in range(10):
        assert (el[a] != el[a + 10]).sum() > 50  # the ellipse is not 90-degree symmetric
        assert (sq[a] != sq[a + 5]).sum() > 10  # nor the square 45-degree symmetric
    # the symmetries also hold at every scale (straight from the templates)
    t = S.templates()
    np.testing.assert_array_equal(t[SQUARE, :, :30], t[SQUARE, :, 10:])
    np.testing.assert_array_equal(t[ELLIPSE, :, :20], t[ELLIPSE, :, 20:])
    assert "90 degrees" in S.make_shapes(5).metadata["symmetries"]


def test_no_sprite_is_clipped():
    t = S.templates()
    assert t.shape == (3, 6, 40, 32, 32) and t.dtype == bool
    border = t[..., 0, :].any() or t[..., -1, :].any() or t[..., :, 0].any() or t[..., :, -1].any()
    assert not border  # every rotated shape fits in its template
    # extreme positions: every on pixel of the template reaches the canvas
    rng = np.random.default_rng(6)
    f = S.sample_factors(64, rng=rng)
    f[:, 3] = rng.choice([0, 31], size=64)
    f[:, 4] = rng.choice([0, 31], size=64)
    np.testing.assert_array_equal(images(f).sum(axis=(1, 2)), t[f[:, 0], f[:, 1], f[:, 2]].sum(axis=(1, 2)))


def test_different_shapes_differ():
    f = S.sample_factors(30, rng=np.random.default_rng(7))
    per_shape = [images(np.column_stack([np.full(30, s), f[:, 1:]])) for s in range(3)]
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        assert ((per_shape[a] != per_shape[b]).sum(axis=(1, 2)) > 10).all()


# ---------------------------------------------------------------------------------------- dataset
def test_make_shapes_dataset_fields():
    ds = S.make_shapes(400, seed=3, test_fraction=0.25)
    assert ds.name == "shapes" and ds.version == 1
    assert ds.storage == "bits" and ds.kind == "binary" and ds.obs_shape == (1, 64, 64)
    assert ds.x.shape == (400, 512) and ds.x.dtype == np.uint8
    assert ds.factor_names == S.FACTOR_NAMES and ds.factor_sizes == S.FACTOR_SIZES
    gi = ds.grid_index
    assert (np.diff(gi) > 0).all()  # distinct and sorted
    np.testing.assert_array_equal(ds.factors, S.factors_from_indices(gi))
    np.testing.assert_array_equal(ds.labels, ds.factors[:, 0])
    np.testing.assert_array_equal(ds.x, S.render(gi))
    assert ds.params == {"n": 400, "seed": 3, "test_fraction": 0.25, "noise": 0.0}
    assert ds.metadata["grid"] is True and ds.metadata["full_grid_size"] == S.N_GRID
    assert len(ds.split("test")) == 100 and len(ds.split("train")) == 300
    assert set(ds.split("test")) | set(ds.split("train")) == set(range(400))
    x = ds.get_x(ds.split("test")[:16])
    assert x.dtype == np.float32 and x.shape == (16, 1, 64, 64)
    assert set(np.unique(x)) == {0.0, 1.0}
    np.testing.assert_array_equal(x[:, 0], images(ds.factors[ds.split("test")[:16]]))


def test_make_shapes_is_deterministic():
    a, b, c = S.make_shapes(300, seed=11), S.make_shapes(300, seed=11), S.make_shapes(300, seed=12)
    assert a.x.tobytes() == b.x.tobytes() and a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(a.grid_index, b.grid_index)
    np.testing.assert_array_equal(a.split("test"), b.split("test"))
    assert not np.array_equal(a.grid_index, c.grid_index)
    assert a.fingerprint != c.fingerprint


def test_noisy_variant_flips_pixels_at_the_given_rate():
    clean = S.make_shapes(200, seed=5)
    noisy = S.make_shapes(200, seed=5, noise=0.1)
    again = S.make_shapes(200, seed=5, noise=0.1)
    assert noisy.name == "shapes-noisy" and noisy.fingerprint != clean.fingerprint
    np.testing.assert_array_equal(noisy.grid_index, clean.grid_index)  # same images underneath
    assert noisy.x.tobytes() == again.x.tobytes()
    flipped = np.unpackbits(noisy.x ^ clean.x, axis=1).mean()
    assert abs(flipped - 0.1) < 0.005  # 819,200 pixels: the standard error is 0.0003


@pytest.mark.parametrize("kwargs, name", [
    ({"n": 0}, "'n'"), ({"n": S.N_GRID + 1}, "'n'"), ({"n": 2.5}, "'n'"), ({"n": True}, "'n'"),
    ({"noise": 0.5}, "'noise'"), ({"noise": -0.01}, "'noise'"), ({"seed": -1}, "'seed'"),
    ({"test_fraction": 1.0}, "'test_fraction'"), ({"test_fraction": 0}, "'test_fraction'"),
])
def test_make_shapes_rejects_bad_arguments(kwargs, name):
    with pytest.raises(InputValidationError, match=name) as info:
        S.make_shapes(**{"n": 10, **kwargs})
    assert "\n" not in str(info.value)
