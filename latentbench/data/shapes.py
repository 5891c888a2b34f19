"""Procedural dSprites-like images: 64x64 binary sprites with five known generative factors.

The factors, in order, and their values:

========== ====== ==============================================================
factor     size   values
========== ====== ==============================================================
shape      3      0 square, 1 ellipse, 2 heart
scale      6      ``linspace(0.5, 1.0, 6)``
orientation 40    ``2 * pi * k / 40`` for ``k = 0..39`` (2 pi itself is not included)
pos_x      32     the sprite moves right by one pixel column per step
pos_y      32     the sprite moves down by one pixel row per step
========== ====== ==============================================================

The full factorial grid holds ``3 * 6 * 40 * 32 * 32 = 737,280`` images, indexed factor-major like
dSprites: ``index = ((((shape * 6 + scale) * 40 + orientation) * 32 + pos_x) * 32 + pos_y)``.

Rendering. Each of the 720 (shape, scale, orientation) sprites is rasterised once into a 32x32
template (4x4 sub-samples per pixel; a pixel is on when at least half of its sub-samples are inside
the shape, rotated counter-clockwise by the orientation about the template's centre). Every shape
fits in a disc of radius 15 pixels around that centre, so no template touches its border. An image is
its template written at pixel offset ``(pos_y, pos_x)`` of an empty 64x64 canvas: translation is
exact (one factor step is exactly one pixel) and no sprite is ever clipped. Images are stored
bit-packed (``np.packbits`` of the 4096 flattened pixels, 512 bytes per image).

Symmetries. The sub-sample grid is symmetric under rotations by 90 degrees about the template's
centre, so rotated sprites inherit the shapes' own symmetries exactly: the square repeats every
90 degrees (10 orientation steps) and the ellipse every 180 degrees (20 steps). Orientation labels
``k`` and ``k + 10`` (square) or ``k + 20`` (ellipse) therefore give *identical* images with
different factor values; the heart has no rotational symmetry. Metrics that predict orientation
from images (or latents) cannot exceed chance on that ambiguity; read orientation scores with it
in mind, or compare orientation modulo the symmetry period.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from ..validation import check_array, check_param
from .base import Dataset, make_splits

__all__ = [
    "FACTOR_NAMES",
    "FACTOR_SIZES",
    "N_GRID",
    "IMAGE_SIZE",
    "TEMPLATE_SIZE",
    "SCALES",
    "ORIENTATIONS",
    "SHAPE_NAMES",
    "factors_from_indices",
    "image_for",
    "indices_from_factors",
    "make_shapes",
    "render",
    "sample_factors",
    "templates",
]

FACTOR_NAMES: tuple[str, ...] = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES: tuple[int, ...] = (3, 6, 40, 32, 32)
N_GRID: int = int(np.prod(FACTOR_SIZES))  # 737,280
SHAPE_NAMES: tuple[str, ...] = ("square", "ellipse", "heart")
SCALES: np.ndarray = np.linspace(0.5, 1.0, 6)
ORIENTATIONS: np.ndarray = 2.0 * np.pi * np.arange(40) / 40.0
IMAGE_SIZE: int = 64
TEMPLATE_SIZE: int = 32
VERSION: int = 1

_SUPERSAMPLE = 4
_CHUNK = 1024  # images rendered per chunk: a 4 MiB canvas that stays in cache
_N_TEMPLATES = FACTOR_SIZES[0] * FACTOR_SIZES[1] * FACTOR_SIZES[2]
_N_POS = FACTOR_SIZES[3] * FACTOR_SIZES[4]
_N_PIXELS = IMAGE_SIZE * IMAGE_SIZE
_N_BYTES = _N_PIXELS // 8

# Shape sizes in pixels at scale 1; each shape lies within radius 15 of the template centre.
_SQUARE_HALF_SIDE = 10.0  # circumradius 14.14; unrotated squares are 10, 12, ..., 20 pixels wide
_ELLIPSE_AXES = (14.5, 7.5)
_HEART_UNIT = 11.5  # the implicit heart below has radius 1.25 about (0, 0.25): 14.4 px
_HEART_SHIFT = 0.25

_SYMMETRY_NOTE = (
    "square repeats every 90 degrees (10 orientation steps), ellipse every 180 degrees (20 steps): "
    "distinct orientation labels can give identical images"
)


# ---------------------------------------------------------------------------------------- factors
def indices_from_factors(factors: Any) -> np.ndarray:
    """Grid indices of factor rows.

    Parameters
    ----------
    factors : array-like of int, shape (n, 5)
        Rows of ``(shape, scale, orientation, pos_x, pos_y)`` values (see :data:`FACTOR_SIZES`).

    Returns
    -------
    indices : ndarray of int64, shape (n,)
        ``((((shape * 6 + scale) * 40 + orientation) * 32 + pos_x) * 32 + pos_y)``.

    Raises
    ------
    InputValidationError
        If ``factors`` is not an (n, 5) integer array or a value is out of its factor's range.
    """
    f = check_array(factors, "factors", ndim=2, dtype=None, min_rows=0)
    if f.shape[1] != len(FACTOR_SIZES):
        raise InputValidationError(
            f"'factors' must have {len(FACTOR_SIZES)} columns {FACTOR_NAMES}, got shape {f.shape}"
        )
    f = _as_int(f, "factors")
    for j, (name, size) in enumerate(zip(FACTOR_NAMES, FACTOR_SIZES)):
        col = f[:, j]
        bad = (col < 0) | (col >= size)
        if bad.any():
            raise InputValidationError(
                f"'factors' column {j} ({name}) must be in [0, {size - 1}], got {int(col[bad][0])} "
                f"(row {int(np.flatnonzero(bad)[0])})"
            )
    return np.ravel_multi_index(tuple(f.T), FACTOR_SIZES).astype(np.int64, copy=False)


def factors_from_indices(indices: Any) -> np.ndarray:
    """Factor rows of grid indices (the inverse of :func:`indices_from_factors`).

    Parameters
    ----------
    indices : array-like of int, shape (n,)
        Indices into the full grid, each in ``[0, N_GRID)``.

    Returns
    -------
    factors : ndarray of int64, shape (n, 5)
        Columns in the order of :data:`FACTOR_NAMES`.
    """
    idx = _check_indices(indices)
    return np.stack(np.unravel_index(idx, FACTOR_SIZES), axis=1).astype(np.int64, copy=False)


def sample_factors(
    n: int,
    *,
    rng: np.random.Generator | int | None = None,
    fixed: Mapping[str | int, int] | None = None,
) -> np.ndarray:
    """Factor rows drawn uniformly from the grid, some factors optionally held fixed.

    Disentanglement metrics such as the FactorVAE score use ``fixed`` to draw batches of
    observations that share one factor's value.

    Parameters
    ----------
    n : int
        Number of rows (>= 0).
    rng : numpy Generator, int or None
        The random source (an int seeds a new ``default_rng``).
    fixed : mapping of factor name or column index to value, optional
        Factors to hold at a value, e.g. ``{"shape": 2}`` or ``{0: 2, "scale": 5}``.

    Returns
    -------
    factors : ndarray of int64, shape (n, 5)
        Sampled rows; feed them to :func:`indices_from_factors` and :func:`render` for images.
    """
    check_param(n, "n", low=0, integer=True)
    rng = np.random.default_rng(rng)
    out = np.empty((n, len(FACTOR_SIZES)), dtype=np.int64)
    pinned = _resolve_fixed(fixed)
    for j, size in enumerate(FACTOR_SIZES):
        out[:, j] = pinned[j] if j in pinned else rng.integers(0, size, size=n)
    return out


def _resolve_fixed(fixed: Mapping[str | int, int] | None) -> dict[int, int]:
    """Map the ``fixed`` argument of :func:`sample_factors` to ``{column: value}``."""
    pinned: dict[int, int] = {}
    for key, value in (fixed or {}).items():
        if isinstance(key, str):
            if key not in FACTOR_NAMES:
                raise InputValidationError(f"'fixed' has unknown factor {key!r}; use one of {list(FACTOR_NAMES)}")
            j = FACTOR_NAMES.index(key)
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(FACTOR_NAMES):
            j = int(key)
        else:
            raise InputValidationError(
                f"'fixed' keys must be factor names or indices 0..{len(FACTOR_NAMES) - 1}, got {key!r}"
            )
        size = FACTOR_SIZES[j]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < size:
            raise InputValidationError(
                f"'fixed' value for {FACTOR_NAMES[j]!r} must be an integer in [0, {size - 1}], got {value!r}"
            )
        pinned[j] = int(value)
    return pinned


def _as_int(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` as int64; floats are accepted only when they hold whole numbers."""
    if a.dtype.kind in "iu" or (a.dtype.kind == "f" and np.array_equal(a, np.round(a))):
        return a.astype(np.int64, copy=False)
    raise InputValidationError(f"'{name}' must hold integers, got dtype {a.dtype} with non-integer values")


def _check_indices(indices: Any) -> np.ndarray:
    """Validate grid indices: 1-D integers in ``[0, N_GRID)``."""
    idx = _as_int(check_array(indices, "indices", ndim=1, dtype=None, min_rows=0), "indices")
    bad = (idx < 0) | (idx >= N_GRID)
    if bad.any():
        raise InputValidationError(
            f"'indices' must be in [0, {N_GRID - 1}], got {int(idx[bad][0])} (position {int(np.flatnonzero(bad)[0])})"
        )
    return idx


# ---------------------------------------------------------------------------------------- templates
def _subsample_coords() -> tuple[np.ndarray, np.ndarray]:
    """Sub-sample coordinates of a template, in pixels from its centre (x right, y up).

    Returns two arrays of shape (T, T, S*S): for template pixel (row, col), the x and y of its
    S x S sub-samples. All values are odd multiples of ``1 / (2 S)``, symmetric about 0.
    """
    t, s = TEMPLATE_SIZE, _SUPERSAMPLE
    fine = (np.arange(t * s) + 0.5) / s - t / 2  # sub-sample centres along one axis
    fine = fine.reshape(t, s)
    x = np.broadcast_to(fine[None, :, None, :], (t, t, s, s)).reshape(t, t, s * s)
    y = np.broadcast_to(-fine[:, None, :, None], (t, t, s, s)).reshape(t, t, s * s)
    return x, y


def _inside(shape: int, u: np.ndarray, v: np.ndarray, scale: float) -> np.ndarray:
    """Whether points ``(u, v)`` in the shape's own frame lie inside shape ``shape`` at ``scale``."""
    if shape == 0:  # square
        return np.maximum(np.abs(u), np.abs(v)) <= _SQUARE_HALF_SIDE * scale
    if shape == 1:  # ellipse, long axis along u
        a, b = _ELLIPSE_AXES
        return (u / (a * scale)) ** 2 + (v / (b * scale)) ** 2 <= 1.0
    # heart: (X^2 + Y^2 - 1)^3 - X^2 Y^3 <= 0, point down, centred on its bounding disc
    hx = u / (_HEART_UNIT * scale)
    hy = v / (_HEART_UNIT * scale) + _HEART_SHIFT
    r = hx * hx + hy * hy - 1.0
    return r * r * r - hx * hx * hy * hy * hy <= 0.0


@lru_cache(maxsize=1)
def _template_table() -> np.ndarray:
    """All 720 templates as a read-only bool array of shape (720, 32, 32), in grid order."""
    x, y = _subsample_coords()
    n_sub = x.shape[-1]
    out = np.empty((FACTOR_SIZES[0], FACTOR_SIZES[1], FACTOR_SIZES[2], TEMPLATE_SIZE, TEMPLATE_SIZE), dtype=bool)
    cos = np.cos(ORIENTATIONS)[:, None, None, None]
    sin = np.sin(ORIENTATIONS)[:, None, None, None]
    # inverse rotation: the shape appears rotated counter-clockwise by the orientation
    u = x * cos + y * sin  # (40, T, T, S*S): 5 MB each
    v = -x * sin + y * cos
    for shape in range(FACTOR_SIZES[0]):
        for j, scale in enumerate(SCALES):
            count = _inside(shape, u, v, scale).sum(axis=-1)  # (40, T, T)
            out[shape, j] = 2 * count >= n_sub
    table = out.reshape(_N_TEMPLATES, TEMPLATE_SIZE, TEMPLATE_SIZE)
    table.setflags(write=False)
    return table


def templates() -> np.ndarray:
    """The rasterised sprites before placement.

    Returns
    -------
    templates : ndarray of bool, shape (3, 6, 40, 32, 32), read-only
        ``templates()[shape, scale, orientation]`` is the sprite an image with those factors shows,
        with its top-left corner at canvas pixel ``(pos_y, pos_x)``.
    """
    return _template_table().reshape(*FACTOR_SIZES[:3], TEMPLATE_SIZE, TEMPLATE_SIZE)


# ---------------------------------------------------------------------------------------- rendering
def _render_chunk(indices: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    """Render grid indices into ``canvas[:len(indices)]`` (bool) and return their packed bits."""
    m = len(indices)
    table = _template_table()
    tmpl, pos = np.divmod(indices, _N_POS)
    px, py = np.divmod(pos, FACTOR_SIZES[4])
    view = canvas[:m]
    view.fill(False)
    windows = np.lib.stride_tricks.sliding_window_view(
        view, (TEMPLATE_SIZE, TEMPLATE_SIZE), axis=(1, 2), writeable=True
    )
    windows[np.arange(m), py, px] = table[tmpl]  # one fancy-indexed write for the whole chunk
    return np.packbits(view.reshape(m, _N_PIXELS), axis=1)


def render(indices: Any, *, chunk_size: int = _CHUNK) -> np.ndarray:
    """Bit-packed images of grid indices.

    Parameters
    ----------
    indices : array-like of int, shape (n,)
        Indices into the full grid (see :func:`indices_from_factors`).
    chunk_size : int, default=1024
        Images rendered at a time; peak extra memory is ``4096 * chunk_size`` bytes.

    Returns
    -------
    images : ndarray of uint8, shape (n, 512)
        ``np.packbits`` of each flattened 64x64 binary image; ``np.unpackbits(images, axis=1)``
        gives the pixels in row-major order.
    """
    idx = _check_indices(indices)
    check_param(chunk_size, "chunk_size", low=1, integer=True)
    out = np.empty((len(idx), _N_BYTES), dtype=np.uint8)
    canvas = np.empty((min(chunk_size, max(len(idx), 1)), IMAGE_SIZE, IMAGE_SIZE), dtype=bool)
    for start in range(0, len(idx), chunk_size):
        stop = min(start + chunk_size, len(idx))
        out[start:stop] = _render_chunk(idx[start:stop], canvas)
    return out


def image_for(factors: Any) -> np.ndarray:
    """Unpacked images for factor rows (a convenience for inspection and plots).

    Parameters
    ----------
    factors : array-like of int, shape (5,) or (n, 5)
        One factor row or several.

    Returns
    -------
    images : ndarray of uint8, shape (64, 64) or (n, 64, 64)
        Values in {0, 1}.
    """
    f = np.asarray(factors)
    single = f.ndim == 1
    idx = indices_from_factors(f.reshape(1, -1) if single else f)
    images = np.unpackbits(render(idx), axis=1).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images[0] if single else images


def _add_noise(packed: np.ndarray, noise: float, rng: np.random.Generator, chunk_size: int = _CHUNK) -> None:
    """Flip each pixel of packed images in place with probability ``noise``."""
    for start in range(0, len(packed), chunk_size):
        stop = min(start + chunk_size, len(packed))
        flips = rng.random((stop - start, _N_PIXELS), dtype=np.float32) < noise
        packed[start:stop] ^= np.packbits(flips, axis=1)


# ---------------------------------------------------------------------------------------- dataset
def make_shapes(
    n: int | None = 20000,
    *,
    seed: int = 0,
    test_fraction: float = 0.1,
    noise: float = 0.0,
) -> Dataset:
    """The ``shapes`` dataset: dSprites-like 64x64 binary images with their five factors.

    Parameters
    ----------
    n : int or None, default=20000
        Number of images, in ``[1, 737280]``: a seeded random subset of distinct grid cells, sorted by
        grid index. ``None`` gives the full grid in grid order (377 MB bit-packed, ~1.5 s to render).
    seed : int, default=0
        Seeds the subset, the pixel noise and the train/test split.
    test_fraction : float, default=0.1
        Share of rows in the ``test`` split, in (0, 1).
    noise : float, default=0.0
        Probability, in [0, 0.5), of flipping each pixel (the ``shapes-noisy`` variant when > 0).

    Returns
    -------
    Dataset
        ``x`` bit-packed ``(n, 512)`` uint8 with ``storage="bits"``, ``kind="binary"``,
        ``obs_shape=(1, 64, 64)``; ``factors`` (n, 5) int64, ``grid_index``, ``labels`` (the shape),
        and ``metadata`` describing the grid and its orientation symmetries.
    """
    _check_shapes_args(n, seed, test_fraction, noise)
    ss = np.random.SeedSequence([seed, 0x5A9E])
    subset_seq, noise_seq = ss.spawn(2)
    if n is None:
        grid_index = np.arange(N_GRID, dtype=np.int64)
    else:
        grid_index = np.sort(np.random.default_rng(subset_seq).choice(N_GRID, size=n, replace=False)).astype(np.int64)
    x = render(grid_index)
    if noise > 0:
        _add_noise(x, noise, np.random.default_rng(noise_seq))
    factors = factors_from_indices(grid_index)
    return Dataset(
        name="shapes" if noise == 0 else "shapes-noisy",
        x=x,
        obs_shape=(1, IMAGE_SIZE, IMAGE_SIZE),
        kind="binary",
        storage="bits",
        version=VERSION,
        params={"n": n, "seed": seed, "test_fraction": test_fraction, "noise": noise},
        factors=factors,
        factor_names=FACTOR_NAMES,
        factor_sizes=FACTOR_SIZES,
        labels=factors[:, 0].copy(),
        splits=make_splits(len(grid_index), seed=seed, test_fraction=test_fraction),
        metadata={
            "grid": True,
            "full_grid_size": N_GRID,
            "shape_names": list(SHAPE_NAMES),
            "scales": SCALES.tolist(),
            "orientations": ORIENTATIONS.tolist(),
            "symmetry_periods": {"square": 10, "ellipse": 20, "heart": 40},
            "symmetries": _SYMMETRY_NOTE,
        },
        grid_index=grid_index,
    )


def _check_shapes_args(n: int | None, seed: int, test_fraction: float, noise: float) -> None:
    """Validate :func:`make_shapes`'s arguments, with one-line messages."""
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise InputValidationError(f"'n' must be an integer in [1, {N_GRID}] or None (full grid), got {n!r}")
        if not 1 <= n <= N_GRID:
            raise InputValidationError(
                f"'n' must be in [1, {N_GRID}] (the grid's size), got {n!r}; use n=None for the full grid"
            )
    check_param(seed, "seed", low=0, integer=True)
    check_param(test_fraction, "test_fraction")
    if not 0.0 < test_fraction < 1.0:
        raise InputValidationError(f"'test_fraction' must be in (0, 1), got {test_fraction!r}")
    check_param(noise, "noise")
    if not 0.0 <= noise < 0.5:
        raise InputValidationError(
            f"'noise' (pixel flip probability) must be in [0, 0.5), got {noise!r}; use 0 for clean images"
        )


def make_shapes_noisy(n: int | None = 20000, *, seed: int = 0, test_fraction: float = 0.1, noise: float = 0.05) -> Dataset:
    """The ``shapes-noisy`` variant: :func:`make_shapes` with each pixel flipped with probability ``noise``."""
    return make_shapes(n, seed=seed, test_fraction=test_fraction, noise=noise)
