"""Point clouds sampled from manifolds with known intrinsic dimension and Betti numbers.

============== ============ ============== ==============================================
kind           native space intrinsic dim  Betti numbers (b0, b1, ...)
============== ============ ============== ==============================================
sphere         R^3          2              (1, 0, 1)  uniform on the unit sphere S^2
torus          R^3          2              (1, 2, 1)  R = 2, r = 1, uniform in surface area
swiss-roll     R^3          2              (1, 0, 0)  the scikit-learn swiss roll
circle         R^2          1              (1, 1)     the unit circle
two-circles    R^2          1              (2, 2)     unit circles centred at (-1.5, 0), (1.5, 0)
linear         R^D          d              (1,)       a random d-dimensional subspace, Gaussian
============== ============ ============== ==============================================

``ambient_dim`` larger than the native dimension embeds the points isometrically: zero-padding and
then a seeded random rotation of R^ambient_dim (pairwise distances are unchanged). ``noise`` adds
isotropic Gaussian noise of that standard deviation in the ambient space. The clean points, the
rotation and the noise come from independent streams of one seed, so (for every kind but ``linear``,
whose subspace lives in R^ambient_dim) the same seed gives the same points whatever ``ambient_dim``
and ``noise`` are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, UnknownNameError
from ..validation import check_param
from .base import Dataset, make_splits

__all__ = ["MANIFOLD_KINDS", "make_manifold", "random_rotation"]

VERSION: int = 1
TORUS_RADII: tuple[float, float] = (2.0, 1.0)  # (R, r): distance of the tube's centre from the axis, tube radius
TWO_CIRCLES_CENTRES: tuple[tuple[float, float], ...] = ((-1.5, 0.0), (1.5, 0.0))

_Sampled = tuple[np.ndarray, np.ndarray | None]  # (points, labels or None)


# ---------------------------------------------------------------------------------------- samplers
def _sphere(n: int, rng: np.random.Generator) -> _Sampled:
    """Uniform on the unit sphere in R^3 (normalised Gaussians)."""
    g = rng.standard_normal((n, 3))
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    while np.any(norms == 0):  # probability zero, but never divide by it
        bad = norms[:, 0] == 0
        g[bad] = rng.standard_normal((int(bad.sum()), 3))
        norms = np.linalg.norm(g, axis=1, keepdims=True)
    return g / norms, None


def _torus_tube_angles(n: int, rng: np.random.Generator) -> np.ndarray:
    """Tube angles with density proportional to ``R + r cos(theta)`` (rejection sampling)."""
    big_r, small_r = TORUS_RADII
    out = np.empty(0)
    while len(out) < n:
        need = n - len(out)
        theta = rng.uniform(0.0, 2.0 * np.pi, size=2 * need + 16)
        keep = rng.uniform(0.0, big_r + small_r, size=len(theta)) < big_r + small_r * np.cos(theta)
        out = np.concatenate([out, theta[keep][:need]])
    return out


def _torus(n: int, rng: np.random.Generator) -> _Sampled:
    """Uniform (in surface area) on the torus with radii :data:`TORUS_RADII` in R^3."""
    big_r, small_r = TORUS_RADII
    theta = _torus_tube_angles(n, rng)
    phi = rng.uniform(0.0, 2.0 * np.pi, size=n)
    ring = big_r + small_r * np.cos(theta)
    pts = np.stack([ring * np.cos(phi), ring * np.sin(phi), small_r * np.sin(theta)], axis=1)
    return pts, None


def _swiss_roll(n: int, rng: np.random.Generator) -> _Sampled:
    """The scikit-learn swiss roll (``make_swiss_roll`` with ``noise=0``) from ``rng``.

    ``t = 1.5 pi (1 + 2 u)``, points ``(t cos t, 21 v, t sin t)`` with ``u, v`` uniform on [0, 1).
    """
    t = 1.5 * np.pi * (1.0 + 2.0 * rng.uniform(size=n))
    height = 21.0 * rng.uniform(size=n)
    return np.stack([t * np.cos(t), height, t * np.sin(t)], axis=1), None


def _unit_circle(angles: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _circle(n: int, rng: np.random.Generator) -> _Sampled:
    """Uniform on the unit circle in R^2."""
    return _unit_circle(rng.uniform(0.0, 2.0 * np.pi, size=n)), None


def _two_circles(n: int, rng: np.random.Generator) -> _Sampled:
    """Uniform on two unit circles (labels 0 and 1, as balanced as n allows) centred 3 apart."""
    labels = rng.permutation(np.arange(n) % 2).astype(np.int64)
    centres = np.asarray(TWO_CIRCLES_CENTRES)[labels]
    return centres + _unit_circle(rng.uniform(0.0, 2.0 * np.pi, size=n)), labels


_SAMPLERS: dict[str, Callable[[int, np.random.Generator], _Sampled]] = {
    "sphere": _sphere,
    "torus": _torus,
    "swiss-roll": _swiss_roll,
    "circle": _circle,
    "two-circles": _two_circles,
}

#: ``kind -> (native dimension, intrinsic dimension, Betti numbers)``; ``linear`` depends on its params.
_TOPOLOGY: dict[str, tuple[int, int, tuple[int, ...]]] = {
    "sphere": (3, 2, (1, 0, 1)),
    "torus": (3, 2, (1, 2, 1)),
    "swiss-roll": (3, 2, (1, 0, 0)),
    "circle": (2, 1, (1, 1)),
    "two-circles": (2, 1, (2, 2)),
}

MANIFOLD_KINDS: tuple[str, ...] = (*_SAMPLERS, "linear")
_DEFAULT_LINEAR_D = 5
_DEFAULT_LINEAR_AMBIENT = 50


# ---------------------------------------------------------------------------------------- embedding
def random_rotation(dim: int, *, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal ``(dim, dim)`` matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _embed(points: np.ndarray, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Isometrically embed ``points`` (n, k) into R^dim: zero-pad to ``dim`` columns, then rotate."""
    padded = np.zeros((len(points), dim))
    padded[:, : points.shape[1]] = points
    return padded @ random_rotation(dim, rng=rng).T


def _linear(n: int, d: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Standard Gaussian points in a random ``d``-dimensional subspace of R^dim."""
    basis, _ = np.linalg.qr(rng.standard_normal((dim, d)))  # orthonormal columns
    return rng.standard_normal((n, d)) @ basis.T


# ---------------------------------------------------------------------------------------- dataset
def make_manifold(
    kind: str,
    n: int = 2000,
    *,
    noise: float = 0.0,
    ambient_dim: int | None = None,
    seed: int = 0,
    test_fraction: float = 0.1,
    **kind_params: Any,
) -> Dataset:
    """A point cloud on a manifold with known intrinsic dimension and Betti numbers.

    Parameters
    ----------
    kind : str
        One of :data:`MANIFOLD_KINDS`: ``sphere``, ``torus``, ``swiss-roll``, ``circle``,
        ``two-circles``, ``linear``.
    n : int, default=2000
        Number of points (>= 1).
    noise : float, default=0.0
        Standard deviation of isotropic Gaussian noise added in the ambient space (>= 0).
    ambient_dim : int, optional
        The dimension of the points. For every kind but ``linear``: the native dimension (3 or 2) when
        omitted; a larger value embeds the points isometrically with a seeded random rotation. For
        ``linear``: the space that holds the subspace, 50 when omitted.
    seed : int, default=0
        Seeds the points, the embedding, the noise and the train/test split (independent streams).
    test_fraction : float, default=0.1
        Share of rows in the ``test`` split, in (0, 1).
    **kind_params
        ``linear`` only: ``d`` (int, default 5), the subspace's dimension, in [1, ambient_dim].

    Returns
    -------
    Dataset
        Named ``manifold-<kind>``: ``x`` float32 (n, D), ``obs_shape=(D,)``, ``kind="real"``;
        ``labels`` (which circle) for ``two-circles`` only; ``metadata`` with ``intrinsic_dim``,
        ``betti``, ``manifold`` and ``ambient_dim``.

    Raises
    ------
    UnknownNameError
        For an unknown ``kind``.
    InputValidationError
        For a bad parameter (named in the message).
    """
    if kind not in MANIFOLD_KINDS:
        raise UnknownNameError("manifold", kind, MANIFOLD_KINDS)
    _check_common(n, noise, seed, test_fraction)
    points_seq, embed_seq, noise_seq = np.random.SeedSequence([seed, 0x3A1F]).spawn(3)
    points_rng = np.random.default_rng(points_seq)

    if kind == "linear":
        dim, d = _linear_dims(ambient_dim, kind_params)
        x, labels = _linear(n, d, dim, points_rng), None
        intrinsic, betti = d, (1,)
        resolved: dict[str, Any] = {"d": d}
    else:
        if kind_params:
            raise InputValidationError(
                f"manifold {kind!r} takes no extra parameters, got {sorted(kind_params)}; only 'linear' takes 'd'"
            )
        native, intrinsic, betti = _TOPOLOGY[kind]
        dim = _native_or_ambient(native, ambient_dim)
        x, labels = _SAMPLERS[kind](n, points_rng)
        if dim > native:
            x = _embed(x, dim, np.random.default_rng(embed_seq))
        resolved = {}

    if noise > 0:
        x = x + noise * np.random.default_rng(noise_seq).standard_normal(x.shape)
    params = {"kind": kind, "n": n, "noise": noise, "ambient_dim": dim, "seed": seed,
              "test_fraction": test_fraction, **resolved}
    return Dataset(
        name=f"manifold-{kind}",
        x=np.ascontiguousarray(x, dtype=np.float32),
        obs_shape=(dim,),
        kind="real",
        storage="float",
        version=VERSION,
        params=params,
        labels=labels,
        splits=make_splits(n, seed=seed, test_fraction=test_fraction),
        metadata={"intrinsic_dim": int(intrinsic), "betti": list(betti), "manifold": kind, "ambient_dim": dim},
    )


def _check_common(n: int, noise: float, seed: int, test_fraction: float) -> None:
    """Validate the arguments every kind shares."""
    check_param(n, "n", low=1, integer=True)
    check_param(noise, "noise", low=0.0)
    if not np.isfinite(noise):
        raise InputValidationError(f"'noise' must be a finite standard deviation >= 0, got {noise!r}")
    check_param(seed, "seed", low=0, integer=True)
    check_param(test_fraction, "test_fraction")
    if not 0.0 < test_fraction < 1.0:
        raise InputValidationError(f"'test_fraction' must be in (0, 1), got {test_fraction!r}")


def _native_or_ambient(native: int, ambient_dim: int | None) -> int:
    """The output dimension for a kind whose native dimension is ``native``."""
    if ambient_dim is None:
        return native
    check_param(ambient_dim, "ambient_dim", integer=True)
    if ambient_dim < native:
        raise InputValidationError(
            f"'ambient_dim' must be >= the manifold's native dimension {native}, got {ambient_dim!r}"
        )
    return int(ambient_dim)


def _linear_dims(ambient_dim: int | None, kind_params: dict[str, Any]) -> tuple[int, int]:
    """``(ambient dimension, subspace dimension)`` for ``linear``, validated."""
    unknown = sorted(set(kind_params) - {"d"})
    if unknown:
        raise InputValidationError(f"manifold 'linear' takes only the extra parameter 'd', got {unknown}")
    dim = _DEFAULT_LINEAR_AMBIENT if ambient_dim is None else ambient_dim
    check_param(dim, "ambient_dim", low=1, integer=True)
    d = kind_params.get("d", _DEFAULT_LINEAR_D)
    check_param(d, "d", low=1, integer=True)
    if d > dim:
        raise InputValidationError(f"'d' must be <= ambient_dim ({dim}) for manifold 'linear', got {d!r}")
    return int(dim), int(d)


def _factory(kind: str) -> Any:
    def factory(**params: Any) -> Dataset:
        return make_manifold(kind, **params)

    factory.__name__ = f"make_{kind.replace('-', '_')}"
    factory.__doc__ = f"The ``manifold-{kind}`` dataset: ``make_manifold({kind!r}, **params)``."
    return factory


make_sphere = _factory("sphere")
make_torus = _factory("torus")
make_swiss_roll = _factory("swiss-roll")
make_circle = _factory("circle")
make_two_circles = _factory("two-circles")
make_linear = _factory("linear")
