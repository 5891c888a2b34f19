"""Persistent homology of point clouds on landmarks, and input/latent diagram comparisons (ripser.py, gudhi).

Pipeline
--------
1. Landmarks by farthest-point (max-min) sampling, :func:`farthest_point_sampling`, which also gives
   the covering radius ``eps``: every point lies within ``eps`` of a landmark.
2. Scale normalisation: each space's landmark coordinates are divided by the median pairwise
   distance of its landmarks (``normalize="median"``, robust to a few outlying codes) or by their
   diameter (``"diameter"``), so diagrams of an input space and of a latent space with different
   units are comparable, and a similarity (isometry times a scale) changes nothing.
3. Vietoris-Rips persistence (:func:`persistence_diagrams`) with ripser.py when it is installed
   (the default: 2-27x faster than gudhi on 300-1,000 landmarks, same bars up to its float32
   arithmetic, ``bench/bench_ripser.py``), else gudhi with edge collapse: ``RipsComplex`` ->
   ``create_simplex_tree(max_dimension=1)`` -> ``collapse_edges`` -> ``expansion(max_dim + 1)`` ->
   ``persistence``. Filtration values are edge lengths. Or an Alpha complex for points in at most
   3 dimensions, reported on the same scale (``2 * sqrt(alpha^2)``, the diameter of the ball pair).
4. Betti numbers (:func:`betti_numbers`): bars with ``death - birth > c_d * eps`` (normalised),
   ``c_0 = 3`` for H0 and ``c_d = 2`` for H1 and above. Every essential (infinite) bar counts: the
   infinite H0 bar is the connected component, and a class still alive at the truncation
   ``max_edge_length`` is counted as a feature.
   Why: the landmarks are an eps-net, so the H0 bars of one connected piece die by ``2 eps`` plus
   the sample's own spacing (neighbouring Voronoi cells have landmarks within ``2 eps``; on a curve
   the landmarks are evenly spaced and the bars reach ``2.0-2.3 eps``, hence 3); the H1/H2 bars that
   the sampling creates were below ``1.9 eps`` on circles, spheres, tori and Gaussian blobs, while the
   torus' H2 void lasts about ``2.5 eps`` with 300 landmarks (``3 eps`` with 400). The stability
   theorem alone would guarantee only bars longer than ``4 eps`` (the landmark and full-data Rips
   diagrams are within bottleneck distance ``2 eps``).
5. Diagram distances (:func:`diagram_distances`): bottleneck (``gudhi.bottleneck_distance``) and
   Wasserstein ``W_1`` (L-infinity ground metric, as gudhi's), between the diagrams of the input and
   latent space computed on the SAME landmark indices (chosen in the input space). ``gudhi.wasserstein``
   needs POT, which is not a dependency, and ``gudhi.hera``'s auction solver did not terminate on
   nearly identical diagrams (an isometric encoder), so the Wasserstein distance is solved exactly
   as an assignment problem with scipy up to ``EXACT_W_MAX`` bars, and by hera (or POT) above;
   NaN with a warning if neither is there.
6. Uncertainty (:func:`compare_topology`): the variation across landmark draws, i.e. farthest-point
   sampling started from different random points.

Truncation: :func:`landmark_persistence` and :func:`compare_topology` stop the Rips filtration at
``max_edge_length = 1`` in normalised units, the median landmark distance. Features still alive
there become essential (counted by Betti numbers; capped at the truncation for the diagram
distances, so that the distances stay continuous). Without it, edge collapse barely reduces the
complete graph of points on a circle, a sphere or a 50-D blob: the full filtration of 300 circle
landmarks takes 11 s and of 200 sphere landmarks (H2) 100 s, against milliseconds truncated.

Default sizes: 300 landmarks, truncated at the median distance. H1 of 300 torus landmarks takes
0.05 s with ripser.py and 0.1 s with gudhi; of 300 landmarks of a 50-D Gaussian blob 0.13 s and
1.2 s (the full filtration: 0.27 s and 7.4 s); see ``bench/bench_ripser.py`` and
``bench/bench_topology.py`` for 600 and 1,000 landmarks. With gudhi, a guard on the number of
triangles of the collapsed complex (``MAX_TRIANGLES_AFTER_COLLAPSE``, counted before the
expansion) raises a ResourceLimitError instead of starting an expansion that would take minutes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.spatial.distance import cdist

from ..exceptions import InputValidationError, ResourceLimitError, UndefinedMetricWarning
from ..stats import percentile_interval
from ..validation import check_array, check_consistent_length, check_param, check_rng
from .scaling import n_distinct_rows, rescale, rescale_exponent, undefined

__all__ = [
    "farthest_point_sampling",
    "covering_radius",
    "persistence_diagrams",
    "rips_backend",
    "h0_diagram_mst",
    "betti_numbers",
    "total_persistence",
    "diagram_distances",
    "landmark_persistence",
    "compare_topology",
    "MAX_LANDMARKS",
    "MAX_TRIANGLES_AFTER_COLLAPSE",
    "BETTI_FACTORS",
    "EXACT_W_MAX",
]

#: Largest number of landmarks accepted by the Rips pipeline.
MAX_LANDMARKS = 2000
#: Largest number of triangles in the collapsed flag complex, per maximal homology dimension
#: (counted from the edges before the expansion; the expansion and the persistence cost about 5-10 s
#: per million triangles for H1): above it a ResourceLimitError is raised.
MAX_TRIANGLES_AFTER_COLLAPSE = {1: 2_000_000, 2: 400_000, 3: 50_000}
#: Default Betti factors: H0 bars count above 3 eps, higher bars above 2 eps (see the module docstring).
BETTI_FACTORS = (3.0, 2.0)
#: Up to this many finite bars in two diagrams together, Wasserstein distances are solved exactly as
#: an assignment problem (scipy); above, by gudhi.hera (approximate, relative error ``delta``).
EXACT_W_MAX = 3000
#: Largest ambient dimension of an Alpha complex.
ALPHA_MAX_DIM = 3

_CHUNK_VALUES = 1 << 22




def _import_gudhi() -> Any:
    try:
        import gudhi
    except ImportError:  # pragma: no cover - gudhi is a declared optional dependency
        raise InputValidationError(
            "the topology metrics need gudhi; install it with `pip install latentbench[topology]`"
        ) from None
    return gudhi


# --------------------------------------------------------------------------- landmarks


def farthest_point_sampling(x: Any, n_landmarks: int = 300, *, start: int = 0) -> tuple[np.ndarray, float]:
    """Greedy max-min (farthest-point) landmarks and their covering radius.

    Starting from ``start``, each new landmark is the point farthest from the landmarks chosen
    so far (ties: the lowest index). Cost ``O(n_samples * n_landmarks * n_features)``, memory
    ``O(n_samples)``. The distances are computed on ``x`` divided by a power of two (exact; see
    :mod:`~latentbench.metrics.scaling`), so points at 1e-300 or 1e200 get the landmarks of the same
    points at unit scale.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points.
    n_landmarks : int, default=300
        Landmarks to choose; all distinct rows (in max-min order) when ``n_landmarks`` is at least
        their number.
    start : int, default=0
        Index of the first landmark (draw it at random for independent landmark sets).

    Returns
    -------
    indices : ndarray of int64 of shape (m,)
        Landmark row indices in selection order, all of different points:
        ``m = min(n_landmarks, number of distinct rows)`` (a copy of a landmark is never chosen: the
        sampling stops when every point is at distance 0 from the landmarks; constant points give
        ``[start]``).
    covering_radius : float
        ``max_i min_l |x_i - x_l|``, the distance from the landmark set to the farthest point
        (the insertion radius the next landmark would have), in the units of ``x``. When every
        distinct point is a landmark it is the last insertion radius (the sampling resolution)
        instead of 0 (0 for constant points).
    """
    x = check_array(x, "x")
    n = len(x)
    check_param(n_landmarks, "n_landmarks", low=1, integer=True)
    check_param(start, "start", low=0, high=n - 1, integer=True)
    e = rescale_exponent(x)
    if e:
        x = np.ldexp(x, -e)
    m = min(n_landmarks, n)
    x = np.ascontiguousarray(x, dtype=np.float64)  # once, so no call below copies the input
    idx = np.empty(m, dtype=np.int64)
    idx[0] = start
    dmin = _distances_to(x, start)
    last_radius = 0.0
    t = 1
    while t < m:
        i = int(np.argmax(dmin))
        if not dmin[i] > 0:  # every point coincides with a landmark
            break
        last_radius = float(dmin[i])
        idx[t] = i
        t += 1
        np.minimum(dmin, _distances_to(x, i), out=dmin)
    radius = float(dmin.max())
    if not radius > 0:
        radius = last_radius
    return idx[:t], float(np.ldexp(radius, e))


def covering_radius(x: Any, landmarks: Any) -> float:
    """``max_i min_l |x_i - x_l|`` over all rows ``i`` and landmark rows ``l``.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points.
    landmarks : array-like of int of shape (m,)
        Landmark row indices.

    Returns
    -------
    radius : float
        In the units of ``x`` (computed on ``x`` divided by a power of two, exactly undone).
    """
    x = check_array(x, "x")
    e = rescale_exponent(x)
    if e:
        x = np.ldexp(x, -e)
    lm = check_array(landmarks, "landmarks", ndim=1, dtype=None)
    if lm.dtype.kind not in "iu" or (lm.size and (lm.min() < 0 or lm.max() >= len(x))):
        raise InputValidationError(f"landmarks must be row indices of x in [0, {len(x)}), got {lm[:5].tolist()}...")
    lm = lm.astype(np.int64)
    if not len(lm):
        return float("inf")
    x = np.ascontiguousarray(x, dtype=np.float64)
    pts = x[lm]
    radius = 0.0
    rows = max(1, _CHUNK_VALUES // max(len(lm), 1))  # a (rows, m) block of distances at a time
    for s in range(0, len(x), rows):
        radius = max(radius, float(cdist(x[s : s + rows], pts).min(axis=1).max()))
    return float(np.ldexp(radius, e))


def _distances_to(x: np.ndarray, i: int) -> np.ndarray:
    """Euclidean distances from row ``i`` of ``x`` (float64, C-contiguous) to every row, ``(n,)``:
    scipy's ``cdist`` loop, with no ``(n, n_features)`` temporary."""
    return cdist(x, x[i : i + 1]).ravel()


def _scale(points: np.ndarray, normalize: str | None) -> float:
    from scipy.spatial.distance import pdist

    if normalize is None:
        return 1.0
    d = pdist(points)
    s = float(np.median(d)) if normalize == "median" else float(d.max()) if len(d) else 0.0
    return s


# --------------------------------------------------------------------------- diagrams


def rips_backend(backend: str = "auto") -> str:
    """The Rips backend ``backend="auto"`` resolves to: ``"ripser"`` when ripser.py is installed, else ``"gudhi"``.

    ripser.py was 2-4x faster than gudhi's Rips with edge collapse on torus landmarks and 9-27x on
    50-D blob landmarks (300 to 1,000 points, ``bench/bench_ripser.py``), with the same bars up to
    its float32 arithmetic (bottleneck distance between the two at most 3e-8).
    """
    check_param(backend, "backend", options=("auto", "gudhi", "ripser"))
    if backend != "auto":
        return backend
    try:
        import ripser  # noqa: F401
    except ImportError:
        return "gudhi"
    return "ripser"


def _ripser_diagrams(pts: np.ndarray, max_dim: int, max_edge_length: float, coeff: int) -> list[np.ndarray]:
    try:
        from ripser import ripser
    except ImportError as exc:
        raise InputValidationError("backend='ripser' needs ripser.py; install it with `pip install latentbench[topology]` "
                                   "or use backend='gudhi'") from exc
    dgms = ripser(pts, maxdim=max_dim, thresh=max_edge_length, coeff=coeff)["dgms"]
    out = []
    for dg in dgms:
        dg = check_array(dg, "diagrams", ndim=None, finite=False, min_rows=0).reshape(-1, 2)
        out.append(dg[dg[:, 1] > dg[:, 0]])  # zero-length bars omitted, as gudhi does
    return out


def persistence_diagrams(points: Any, *, max_dim: int = 1, complex: str = "rips",
                         max_edge_length: float | None = None, collapse: bool = True,
                         homology_coeff_field: int = 11, max_triangles: int | None = None,
                         backend: str = "auto") -> list[np.ndarray]:
    """Persistence diagrams H0..H``max_dim`` of a (small) point cloud.

    Parameters
    ----------
    points : array-like or torch.Tensor of shape (m, n_features)
        The points (landmarks, typically already scale-normalised).
    max_dim : int, default=1
        Highest homology dimension (0 to 3).
    complex : {"rips", "alpha"}, default="rips"
        Vietoris-Rips with edge collapse, filtered by edge length; or the Alpha complex
        (``n_features <= 3``) with filtration ``2 * sqrt(alpha^2)`` so both share the diameter scale.
    max_edge_length : float, optional
        Rips truncation (in the units of ``points``): classes alive at this scale get
        ``death = inf``. Default: none (the full filtration; see the module docstring for its cost).
    collapse : bool, default=True
        Edge collapse before the expansion (same diagrams, far fewer simplices).
    homology_coeff_field : int, default=11
        Prime coefficient field.
    max_triangles : int, optional
        Guard on the triangles of the collapsed complex (gudhi backend); default
        ``MAX_TRIANGLES_AFTER_COLLAPSE[max_dim]``.
    backend : {"auto", "gudhi", "ripser"}, default="auto"
        Rips engine: gudhi (``RipsComplex``, edge collapse, expansion; float64) or ripser.py
        (float32 arithmetic: bars agree with gudhi's to about 3e-8 on normalised points). ``"auto"``
        takes ripser.py when it is installed (the faster, see :func:`rips_backend`). The Alpha
        complex is always gudhi's.

    Returns
    -------
    diagrams : list of ndarray of shape (n_bars, 2)
        ``diagrams[d]`` holds the (birth, death) pairs of H_d; ``death`` may be ``inf``. Zero-length
        bars are omitted.

    Raises
    ------
    InputValidationError
        For an Alpha complex above ``ALPHA_MAX_DIM`` dimensions.
    ResourceLimitError
        Above ``MAX_LANDMARKS`` points, or (gudhi) when the collapsed complex has more than
        ``MAX_TRIANGLES_AFTER_COLLAPSE[max_dim]`` triangles.
    """
    pts = check_array(points, "points")
    engine = rips_backend(backend)
    check_param(max_dim, "max_dim", low=0, high=3, integer=True)
    check_param(complex, "complex", options=("rips", "alpha"))
    m = len(pts)
    if m > MAX_LANDMARKS:
        raise ResourceLimitError(
            f"persistent homology on {m} points exceeds the guard of {MAX_LANDMARKS}; use fewer landmarks "
            "(farthest_point_sampling)"
        )
    if complex == "alpha":
        gudhi = _import_gudhi()
        if pts.shape[1] > ALPHA_MAX_DIM:
            raise InputValidationError(
                f"complex='alpha' needs points in at most {ALPHA_MAX_DIM} dimensions (the Delaunay triangulation "
                f"grows exponentially with dimension), got {pts.shape[1]}; use complex='rips'"
            )
        st = gudhi.AlphaComplex(points=pts).create_simplex_tree()
        st.persistence(homology_coeff_field=homology_coeff_field, persistence_dim_max=True)
        out = []
        for d in range(max_dim + 1):
            iv = np.asarray(st.persistence_intervals_in_dimension(d), dtype=np.float64).reshape(-1, 2)
            out.append(2.0 * np.sqrt(np.maximum(iv, 0.0)))
        return out
    if max_edge_length is None:
        max_edge_length = np.inf
    check_param(float(max_edge_length), "max_edge_length", low=0.0)
    if engine == "ripser":
        return _ripser_diagrams(pts, max_dim, float(max_edge_length), homology_coeff_field)
    gudhi = _import_gudhi()
    st = gudhi.RipsComplex(points=pts, max_edge_length=max_edge_length).create_simplex_tree(max_dimension=1)
    if max_dim >= 1:
        if collapse:
            st.collapse_edges(nb_iterations=5)
        n_tri = _count_triangles(st, m)
        limit = MAX_TRIANGLES_AFTER_COLLAPSE[max_dim] if max_triangles is None else max_triangles
        if n_tri > limit:
            raise ResourceLimitError(
                f"the collapsed Rips complex of {m} points has {n_tri} triangles, above the guard of {limit} for "
                f"max_dim={max_dim}; use fewer landmarks or a smaller max_edge_length"
            )
        st.expansion(max_dim + 1)
    st.persistence(homology_coeff_field=homology_coeff_field, persistence_dim_max=True)
    return [np.asarray(st.persistence_intervals_in_dimension(d), dtype=np.float64).reshape(-1, 2)
            for d in range(max_dim + 1)]


def _count_triangles(st: Any, m: int) -> int:
    """Triangles of the flag complex of the simplex tree's graph: trace(A^3) / 6."""
    from scipy.sparse import csr_matrix

    edges = np.array([s for s, _ in st.get_skeleton(1) if len(s) == 2], dtype=np.int64).reshape(-1, 2)
    if not len(edges):
        return 0
    a = csr_matrix((np.ones(2 * len(edges)), (np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]])),
                   shape=(m, m))
    return int(round((a @ a).multiply(a).sum() / 6))


def h0_diagram_mst(points: Any) -> np.ndarray:
    """H0 Rips diagram from a minimum spanning tree (scipy; no gudhi needed).

    A component born at 0 dies when an MST edge joins it to another: the deaths are the MST edge
    lengths, plus one infinite bar. Equal to ``persistence_diagrams(points, max_dim=0)[0]`` up to
    the order of the bars. ``O(m^2)`` memory.

    Parameters
    ----------
    points : array-like or torch.Tensor of shape (m, n_features)

    Returns
    -------
    diagram : ndarray of shape (n_bars, 2)
        ``(0, length)`` for each positive MST edge, by decreasing length, then ``(0, inf)``.
    """
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import pdist, squareform

    pts = check_array(points, "points")
    if len(pts) > MAX_LANDMARKS * 5:
        raise ResourceLimitError(f"h0_diagram_mst holds an m x m matrix; m={len(pts)} exceeds {MAX_LANDMARKS * 5}")
    # zero distances (duplicates) are "no edge" for scipy: they are zero-length bars, omitted anyway
    mst = minimum_spanning_tree(squareform(pdist(pts)))
    deaths = np.sort(mst.data)[::-1]
    deaths = deaths[deaths > 0]
    return np.vstack([np.column_stack([np.zeros(len(deaths)), deaths]), [[0.0, np.inf]]])


def betti_numbers(diagrams: Sequence[Any], threshold: float | Sequence[float]) -> tuple[int, ...]:
    """Count the bars longer than a threshold in each dimension; infinite bars always count.

    Parameters
    ----------
    diagrams : sequence of array-like of shape (n_bars, 2)
        ``diagrams[d]`` for H_d.
    threshold : float or sequence of float
        Minimal persistence ``death - birth`` (strictly greater); a sequence gives one threshold per
        dimension, its last entry serving the higher dimensions (e.g.
        ``[3 * eps, 2 * eps]``, see the module docstring).

    Returns
    -------
    betti : tuple of int
        One count per dimension.
    """
    thr = _per_dim(threshold, len(diagrams), "threshold")
    out = []
    for dg, t in zip(diagrams, thr):
        dg = check_array(dg, "diagrams", ndim=None, finite=False, min_rows=0).reshape(-1, 2)
        pers = dg[:, 1] - dg[:, 0]
        out.append(int(np.count_nonzero(np.isinf(dg[:, 1]) | (pers > t))))
    return tuple(out)


def _per_dim(value: float | Sequence[float], n: int, name: str) -> list[float]:
    vals = [value] if np.isscalar(value) else list(value)
    if not vals:
        raise InputValidationError(f"'{name}' must be a number or a non-empty sequence of numbers")
    for v in vals:
        check_param(v, name, low=0.0)
    return [float(vals[min(d, len(vals) - 1)]) for d in range(n)]


def total_persistence(diagrams: Sequence[Any], *, p: float = 1.0) -> list[float]:
    """``sum (death - birth)^p`` over the finite bars of each diagram (essential bars excluded).

    Parameters
    ----------
    diagrams : sequence of array-like of shape (n_bars, 2)
    p : float, default=1.0

    Returns
    -------
    total : list of float
        One value per dimension.
    """
    check_param(p, "p", low=0.0)
    out = []
    for dg in diagrams:
        dg = check_array(dg, "diagrams", ndim=None, finite=False, min_rows=0).reshape(-1, 2)
        fin = np.isfinite(dg[:, 1])
        out.append(float(np.sum((dg[fin, 1] - dg[fin, 0]) ** p)))
    return out


def _wasserstein(a: np.ndarray, b: np.ndarray, order: float, delta: float) -> float:
    """``W_q`` with the L-infinity ground metric: exact (assignment problem) up to ``EXACT_W_MAX`` bars."""
    ia, ib = np.isinf(a[:, 1]), np.isinf(b[:, 1])
    if ia.sum() != ib.sum():
        return float("inf")
    # essential bars: matched among themselves by birth; sorted order is optimal for a convex cost
    total = float(np.sum(np.abs(np.sort(a[ia, 0]) - np.sort(b[ib, 0])) ** order))
    fa, fb = a[~ia], b[~ib]
    n, m = len(fa), len(fb)
    if n + m == 0:
        return total ** (1.0 / order)
    if n + m <= EXACT_W_MAX:
        from scipy.optimize import linear_sum_assignment

        # (n + m) x (n + m) assignment: a point to a point, a point to its diagonal projection,
        # or (bottom right) a diagonal slot to a diagonal slot at no cost
        big = 1e300
        cost = np.zeros((n + m, n + m))
        linf = np.maximum(np.abs(fa[:, None, 0] - fb[None, :, 0]), np.abs(fa[:, None, 1] - fb[None, :, 1]))
        cost[:n, :m] = linf**order
        cost[:n, m:] = big
        cost[np.arange(n), m + np.arange(n)] = ((fa[:, 1] - fa[:, 0]) / 2.0) ** order
        cost[n:, :m] = big
        cost[n + np.arange(m), np.arange(m)] = ((fb[:, 1] - fb[:, 0]) / 2.0) ** order
        rows, cols = linear_sum_assignment(cost)
        return (total + float(cost[rows, cols].sum())) ** (1.0 / order)
    try:  # large diagrams: hera's auction algorithm, relative error delta
        from gudhi.hera import wasserstein_distance as hera_w

        return float(hera_w(a, b, order=order, internal_p=np.inf, delta=delta))
    except ImportError:
        pass
    try:
        from gudhi.wasserstein import wasserstein_distance as pot_w  # needs POT

        return float(pot_w(a, b, order=order, internal_p=np.inf, keep_essential_parts=True))
    except ImportError:
        warnings.warn(f"Wasserstein distance skipped: diagrams with {n + m} finite bars need gudhi.hera or POT "
                      "(for gudhi.wasserstein), neither is available; returning NaN", UndefinedMetricWarning,
                      stacklevel=3)
        return float("nan")


def diagram_distances(diagrams_a: Sequence[Any], diagrams_b: Sequence[Any], *, order: float = 1.0,
                      delta: float = 1e-6, cap: float | None = None) -> dict[str, list[float]]:
    """Bottleneck and Wasserstein distances between two lists of diagrams, dimension by dimension.

    Without ``cap``, essential bars are matched with essential bars (by birth) and different
    numbers of them give ``inf``. With ``cap``, infinite deaths are replaced by ``cap`` first (the
    diagrams of the filtration truncated at ``cap``). The ground metric in the plane is
    L-infinity, as in the bottleneck distance.

    Parameters
    ----------
    diagrams_a, diagrams_b : sequence of array-like of shape (n_bars, 2)
        Diagrams of the same dimensions (``[H0, H1, ...]``).
    order : float, default=1.0
        Wasserstein exponent ``q`` of ``W_q``.
    delta : float, default=1e-6
        Relative error allowed to hera's Wasserstein solver (only used above ``EXACT_W_MAX`` bars).
    cap : float, optional
        Death given to essential bars (use the truncation ``max_edge_length``).

    Returns
    -------
    distances : dict
        ``{"bottleneck": [per dimension], "wasserstein": [per dimension]}``.
    """
    gudhi = _import_gudhi()
    if len(diagrams_a) != len(diagrams_b):
        raise InputValidationError(
            f"diagram lists of different lengths ({len(diagrams_a)} and {len(diagrams_b)}); "
            "compute both up to the same max_dim"
        )
    check_param(order, "order", low=1.0)
    bott, wass = [], []
    for a, b in zip(diagrams_a, diagrams_b):
        a = check_array(a, "diagrams_a", ndim=None, finite=False, min_rows=0).reshape(-1, 2)
        b = check_array(b, "diagrams_b", ndim=None, finite=False, min_rows=0).reshape(-1, 2)
        if cap is not None and np.isfinite(cap):
            a, b = a.copy(), b.copy()
            a[np.isinf(a[:, 1]), 1] = cap
            b[np.isinf(b[:, 1]), 1] = cap
        bott.append(float(gudhi.bottleneck_distance(a, b)))
        wass.append(_wasserstein(a, b, order, delta))
    return {"bottleneck": bott, "wasserstein": wass}


# --------------------------------------------------------------------------- one space, two spaces


def landmark_persistence(x: Any, *, landmarks: Any = None, n_landmarks: int = 300, start: int = 0,
                         max_dim: int = 1, complex: str = "rips", normalize: str | None = "median",
                         max_edge_length: float | None = 1.0,
                         threshold_factor: float | Sequence[float] = BETTI_FACTORS, backend: str = "auto") -> dict[str, Any]:
    """Persistence diagrams, Betti numbers and total persistence of one point cloud, on landmarks.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points.
    landmarks : array-like of int, optional
        Landmark row indices (e.g. chosen in another space); else farthest-point sampling.
    n_landmarks : int, default=300
        Landmarks for farthest-point sampling.
    start : int, default=0
        First landmark of the farthest-point sampling.
    max_dim : int, default=1
        Highest homology dimension.
    complex : {"rips", "alpha"}, default="rips"
        See :func:`persistence_diagrams`.
    normalize : {"median", "diameter", None}, default="median"
        Divide the landmark coordinates by their median pairwise distance, their diameter, or
        nothing.
    max_edge_length : float or None, default=1.0
        Rips truncation in normalised units (1.0 = the median landmark distance with
        ``normalize="median"``, the diameter with ``"diameter"``); ``None`` for the full filtration.
    threshold_factor : float or sequence of float, default=(3.0, 2.0)
        Betti numbers count bars longer than ``factor_d * covering_radius`` (one factor per
        dimension, the last for the higher ones; see the module docstring).
    backend : {"auto", "gudhi", "ripser"}, default="auto"
        Rips engine (see :func:`persistence_diagrams`).

    Returns
    -------
    result : dict
        ``diagrams`` (list of arrays, normalised units), ``betti`` (tuple), ``total_persistence``
        (list), ``covering_radius`` (normalised), ``scale`` (the divisor, in the units of ``x``),
        ``landmarks`` (indices). NaN entries, no bars and Betti numbers 0, with an
        :class:`~latentbench.exceptions.UndefinedMetricWarning`, when the landmark points are
        degenerate: fewer than ``2 * max_dim + 2`` distinct points (the smallest Vietoris-Rips
        complex with a ``max_dim``-dimensional hole, the boundary of the cross-polytope, has that
        many vertices; constant codes have one), or a zero normalising scale.

    Notes
    -----
    Computed on ``x`` divided by a power of two (exact; see :mod:`~latentbench.metrics.scaling`),
    so points at 1e-300 or 1e200 give the diagrams of the same points at unit scale (normalised),
    or those diagrams scaled back exactly (``normalize=None``).
    """
    x = check_array(x, "x", min_rows=2)
    check_param(normalize, "normalize", options=("median", "diameter", None))
    check_param(max_dim, "max_dim", low=0, high=3, integer=True)
    factors = _per_dim(threshold_factor, max_dim + 1, "threshold_factor")
    e = rescale_exponent(x)  # exact: the normalised diagrams are those of x itself
    xs = np.ldexp(x, -e) if e else x
    if landmarks is None:
        lm, _ = farthest_point_sampling(xs, n_landmarks, start=start)
    else:
        lm = np.asarray(landmarks, dtype=np.int64)
        if lm.ndim != 1 or len(lm) < 2 or lm.min() < 0 or lm.max() >= len(x):
            raise InputValidationError(f"'landmarks' must be at least 2 row indices of x, got shape {lm.shape}")
    pts = xs[lm]
    need = 2 * max_dim + 2
    n_pts = n_distinct_rows(pts, at_least=need)
    scale = _scale(pts, normalize) if n_pts > 1 else 0.0
    if n_pts < need or not scale > 0:
        if n_pts < 2:
            why = "the landmarks coincide (constant points)"
        elif n_pts < need:
            why = (f"the landmarks are {n_pts} distinct points; H{max_dim} needs at least {need} (the smallest Rips "
                   f"complex with a {max_dim}-dimensional hole)")
        else:
            why = "more than half of the landmark pairs coincide (zero median distance)"
        undefined("landmark_persistence", why)
        return _nan_persistence(max_dim, lm)
    # normalised: divide by the (rescaled) landmark scale; unnormalised: compute on the rescaled
    # points and scale the bars back by the same power of two
    div, unit = (1.0, e) if normalize is None else (scale, 0)
    if normalize is None and max_edge_length is not None:
        max_edge_length = float(np.ldexp(max_edge_length, -e))
    eps = covering_radius(xs, lm) if len(lm) < len(x) else farthest_point_sampling(pts, len(pts))[1]
    eps /= div
    dgms = persistence_diagrams(pts / div, max_dim=max_dim, complex=complex, max_edge_length=max_edge_length,
                                backend=backend)
    if unit:
        dgms, eps = [np.ldexp(d, unit) for d in dgms], float(np.ldexp(eps, unit))
    return {
        "diagrams": dgms,
        "betti": betti_numbers(dgms, [f * eps for f in factors]),
        "total_persistence": total_persistence(dgms),
        "covering_radius": float(eps),
        "scale": float(np.ldexp(scale, e)) if normalize is not None else 1.0,
        "landmarks": lm,
    }


def _same_points(x: np.ndarray, z: np.ndarray) -> bool:
    """Whether ``z`` is ``x`` value for value (then its diagrams are ``x``'s, computed once)."""
    return z.shape == x.shape and np.array_equal(z, x)


def _jsonable(value: Any) -> Any:
    """A parameter as a JSON value (tuples as lists, numpy numbers as Python numbers) for a memo key."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _nan_persistence(max_dim: int, landmarks: np.ndarray) -> dict[str, Any]:
    """The result of :func:`landmark_persistence` for a degenerate point cloud."""
    nan = float("nan")
    return {"diagrams": [np.empty((0, 2))] * (max_dim + 1), "betti": tuple([0] * (max_dim + 1)),
            "total_persistence": [nan] * (max_dim + 1), "covering_radius": nan, "scale": nan,
            "landmarks": np.asarray(landmarks, dtype=np.int64)}


def compare_topology(x: Any, z: Any, *, n_landmarks: int = 300, max_dim: int = 1, n_draws: int = 5,
                     complex: str = "rips", normalize: str | None = "median", max_edge_length: float | None = 1.0,
                     threshold_factor: float | Sequence[float] = BETTI_FACTORS, confidence: float = 0.95,
                     rng: Any, backend: str = "auto",
                     input_side: Callable[[dict[str, Any], Callable[[], dict[str, Any]]], dict[str, Any]] | None = None,
                     ) -> dict[str, Any]:
    """Compare the persistent homology of input space and latent space on shared landmarks.

    For each of ``n_draws`` draws: farthest-point landmarks in ``x`` from a random start; the same
    row indices in ``z``; each space normalised by its own landmark scale; diagrams, Betti numbers
    and total persistence per space; bottleneck and Wasserstein distance per dimension, with the
    essential bars capped at ``max_edge_length``.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        Input-space points.
    z : array-like or torch.Tensor of shape (n_samples, n_latent)
        Latent codes, row-aligned with ``x``.
    n_landmarks : int, default=300
        Landmarks per draw (see the module docstring for the cost).
    max_dim : int, default=1
        Highest homology dimension.
    n_draws : int, default=5
        Landmark draws (farthest-point starts); the spread across them is the uncertainty.
    complex, normalize, max_edge_length, threshold_factor
        As in :func:`landmark_persistence`; ``complex="alpha"`` needs both spaces in at most 3-D.
    confidence : float, default=0.95
        The interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles over
        draws (:func:`~latentbench.stats.percentile_interval`; the min and max for a handful of draws).
    rng : int or numpy.random.Generator
        Source of the starting points (keyword-only, required).
    backend : {"auto", "gudhi", "ripser"}, default="auto"
        Rips engine (see :func:`persistence_diagrams`); reported as ``backend``.
    input_side : callable, optional
        A memo for the input space's share of the work (its landmarks, diagrams and Betti numbers,
        the same for every ``z`` on the same ``x``): called as ``input_side(key, compute)`` with the
        draws and parameters in ``key``, it returns ``compute()`` or a value an earlier identical
        call returned (a runner shares it across models). ``None`` computes it here.

    Returns
    -------
    result : dict
        ``bottleneck`` and ``wasserstein``: ``{dim: {"mean", "ci_low", "ci_high", "draws"}}``;
        ``betti_x`` and ``betti_z``: the most frequent Betti tuple over draws, with
        ``betti_x_draws`` / ``betti_z_draws``; ``total_persistence_x`` / ``_z``: ``{dim: mean}``;
        ``covering_radius_x`` / ``_z`` (normalised, means); ``n_landmarks``, ``n_draws``;
        ``diagrams_x`` / ``diagrams_z`` (the first draw's diagrams, normalised units, for plots) and
        ``betti_threshold_x`` / ``_z`` (the first draw's per-dimension bar-length thresholds).
        Every distance is NaN, with an :class:`~latentbench.exceptions.UndefinedMetricWarning`, when
        ``x`` or ``z`` is constant after rescaling (then nothing is computed and ``n_landmarks`` is
        0), and in the draws where a space's landmarks are degenerate (see
        :func:`landmark_persistence`).

    Notes
    -----
    Both spaces are handled at unit scale (a power of two, exact; see
    :mod:`~latentbench.metrics.scaling`): codes at 1e-300 or 1e200 get the landmarks, diagrams and
    distances of the same codes at unit scale.
    """
    x = check_array(x, "x", min_rows=2)
    z = check_array(z, "z", min_rows=2)
    check_consistent_length(x=x, z=z)
    check_param(n_draws, "n_draws", low=1, integer=True)
    check_param(confidence, "confidence", low=0.0, high=1.0)
    check_param(max_dim, "max_dim", low=0, high=3, integer=True)
    gen = check_rng(rng)
    starts = gen.choice(len(x), size=min(n_draws, len(x)), replace=False)
    kw = dict(max_dim=max_dim, complex=complex, normalize=normalize, max_edge_length=max_edge_length,
              threshold_factor=threshold_factor, backend=backend)

    def compute_input_side() -> dict[str, Any]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UndefinedMetricWarning)
            rx_all = rescale(x, "x")  # exact powers of two: every number is unchanged
            runs_x = []
            if not rx_all.degenerate:
                for s in starts:
                    lm, _ = farthest_point_sampling(rx_all.x, n_landmarks, start=int(s))
                    runs_x.append(landmark_persistence(x, landmarks=lm, **kw))
        return {"degenerate": rx_all.degenerate or None, "runs": runs_x,
                "warnings": [str(w.message) for w in caught if issubclass(w.category, UndefinedMetricWarning)]}

    side_key = {"starts": [int(s) for s in starts], "n_landmarks": int(n_landmarks), **{k: _jsonable(v) for k, v in kw.items()}}
    rz_all = rescale(z, "z")
    if rz_all.degenerate:  # nothing is compared: the input side's landmarks and diagrams are not needed
        side = {"degenerate": rescale(x, "x").degenerate or None, "runs": [], "warnings": []}
    else:
        side = input_side(side_key, compute_input_side) if input_side is not None else compute_input_side()
    constant = {name: why for name, why in (("x", side["degenerate"]), ("z", rz_all.degenerate)) if why}
    if constant:
        undefined("compare_topology", " and ".join(f"{name} is {why}" for name, why in constant.items()) + " after rescaling")
    else:
        for message in side["warnings"]:  # the input side's warnings, also when it was computed for another model
            warnings.warn(message, UndefinedMetricWarning, stacklevel=2)
    same = _same_points(x, z)  # codes equal to the inputs (the identity): one computation
    runs = []
    for i, s in enumerate(starts):
        if constant:
            nan_run = _nan_persistence(max_dim, np.empty(0, dtype=np.int64))
            dist = {"bottleneck": [np.nan] * (max_dim + 1), "wasserstein": [np.nan] * (max_dim + 1)}
            runs.append((nan_run, nan_run, dist))
            continue
        rx = side["runs"][i]
        rz = rx if same else landmark_persistence(z, landmarks=rx["landmarks"], **kw)
        if np.isnan(rx["covering_radius"]) or np.isnan(rz["covering_radius"]):  # a degenerate space
            dist = {"bottleneck": [np.nan] * (max_dim + 1), "wasserstein": [np.nan] * (max_dim + 1)}
        else:
            dist = diagram_distances(rx["diagrams"], rz["diagrams"], cap=max_edge_length)
        runs.append((rx, rz, dist))

    def summary(vals: list[float]) -> dict[str, Any]:
        v = np.asarray(vals, dtype=float)
        ok = v[~np.isnan(v)]
        if not len(ok):
            return {"mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "draws": v}
        lo, hi = percentile_interval(ok, confidence) if len(ok) > 1 else (float(ok[0]), float(ok[0]))
        return {"mean": float(ok.mean()), "ci_low": lo, "ci_high": hi, "draws": v}

    def mode(tuples: list[tuple[int, ...]]) -> tuple[int, ...]:
        return max(set(tuples), key=lambda t: (tuples.count(t), t))

    dims = range(max_dim + 1)
    out: dict[str, Any] = {
        "bottleneck": {d: summary([r[2]["bottleneck"][d] for r in runs]) for d in dims},
        "wasserstein": {d: summary([r[2]["wasserstein"][d] for r in runs]) for d in dims},
        "betti_x": mode([r[0]["betti"] for r in runs]),
        "betti_z": mode([r[1]["betti"] for r in runs]),
        "betti_x_draws": [r[0]["betti"] for r in runs],
        "betti_z_draws": [r[1]["betti"] for r in runs],
        "total_persistence_x": {d: float(np.mean([r[0]["total_persistence"][d] for r in runs])) for d in dims},
        "total_persistence_z": {d: float(np.mean([r[1]["total_persistence"][d] for r in runs])) for d in dims},
        "covering_radius_x": float(np.mean([r[0]["covering_radius"] for r in runs])),
        "covering_radius_z": float(np.mean([r[1]["covering_radius"] for r in runs])),
        "n_landmarks": int(len(runs[0][0]["landmarks"])),
        "n_draws": len(runs),
        "backend": "gudhi" if complex == "alpha" else rips_backend(backend),
        "diagrams_x": runs[0][0]["diagrams"],
        "diagrams_z": runs[0][1]["diagrams"],
        "betti_threshold_x": [f * runs[0][0]["covering_radius"] for f in _per_dim(threshold_factor, max_dim + 1, "threshold_factor")],
        "betti_threshold_z": [f * runs[0][1]["covering_radius"] for f in _per_dim(threshold_factor, max_dim + 1, "threshold_factor")],
    }
    return out
