"""Exact k-nearest-neighbour graphs shared by the geometry metrics, and the duplicate-row policy.

Every estimator in :mod:`~latentbench.metrics.dimension` and :mod:`~latentbench.metrics.neighborhood`
reads one :class:`KNNGraph`, so a set of metrics on the same points pays for one neighbour search.

Exactness
---------
The backends search in their working precision (faiss: float32; torch: the tensor's dtype; sklearn:
float64 through the ``|x|^2 + |y|^2 - 2 x.y`` expansion; the k-d tree: float64 coordinate
differences) for ``k + 1 + margin`` candidates per point.
The candidates' distances are then recomputed in float64 from coordinate differences, sorted by
(distance, index) and cut to ``k``. A row is accepted only if a rounding-error bound proves that no
point outside its candidate list can be closer than its ``k``-th neighbour; the other rows are searched
again exactly in float64. The result is therefore the exact float64 Euclidean kNN graph, and two
backends return the same graph whenever the ``k``-th and ``(k+1)``-th distances are not tied.

Scale
-----
The search runs on the points divided by a power of two (:func:`~latentbench.metrics.scaling.rescale_exponent`;
exact), so codes at 1e-300 or 1e200, whose squared distances would underflow or overflow, get the
graph of the same codes at unit scale; the distances are returned in the points' own units.

Duplicates
----------
Exact duplicate rows give zero neighbour distances, which make ratio and log-distance estimators
undefined (TwoNN's ``r2 / r1``, MLE's ``log(r_k / r_j)``). The policy of this package is: intrinsic
dimension is estimated on the distinct rows (:func:`drop_duplicates`, keeping each row's first
occurrence) and the number of dropped rows is reported next to the estimate. :func:`knn_graph` itself
accepts duplicates (a duplicate is a neighbour at distance 0; a point is never its own neighbour).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from ..validation import check_array, check_param, is_tensor
from .scaling import rescale_exponent

__all__ = ["KNNGraph", "KDTREE_MAX_FEATURES", "knn_graph", "knn_query", "find_duplicates", "drop_duplicates", "available_backends",
           "pair_distances", "centered", "centering_shift", "expansion_band"]

BACKENDS = ("auto", "faiss", "kdtree", "torch", "sklearn")

#: With ``backend="auto"``, CPU data with at most this many features use the k-d tree: in 3-D it was
#: 8x faster than faiss' brute force for 10,000 points and 46 neighbours (0.16 s against 1.3 s), in
#: 50-D 10x slower (10 s against 0.8 s).
KDTREE_MAX_FEATURES = 8

# Rows are processed in chunks so that no temporary exceeds about this many float64 values.
_CHUNK_VALUES = 1 << 22
_EPS64 = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class KNNGraph:
    """The ``k`` nearest neighbours of every point, self excluded.

    Unpacks like the tuple ``(distances, indices)``.

    Attributes
    ----------
    distances : ndarray of shape (n_samples, k), float64
        Euclidean (not squared) distances, ascending along each row.
    indices : ndarray of shape (n_samples, k), int64
        The neighbours' row indices; ties in distance are ordered by index.
    """

    distances: np.ndarray
    indices: np.ndarray

    def __post_init__(self) -> None:
        if self.distances.shape != self.indices.shape or self.distances.ndim != 2:
            raise InputValidationError(
                f"KNNGraph needs distances and indices of the same 2-D shape, got {self.distances.shape} "
                f"and {self.indices.shape}"
            )

    @property
    def k(self) -> int:
        """The number of neighbours per point."""
        return int(self.distances.shape[1])

    @property
    def n_samples(self) -> int:
        """The number of points."""
        return int(self.distances.shape[0])

    def truncate(self, k: int) -> KNNGraph:
        """The graph of the ``k`` nearest neighbours (``k`` at most :attr:`k`), as views."""
        check_param(k, "k", low=1, high=self.k, integer=True)
        return KNNGraph(self.distances[:, :k], self.indices[:, :k])

    def scaled(self, exponent: int) -> KNNGraph:
        """The same graph with every distance multiplied by ``2 ** exponent`` (exact: the graph of
        the points scaled by that power of two, see :mod:`~latentbench.metrics.scaling`)."""
        return self if not exponent else KNNGraph(np.ldexp(self.distances, int(exponent)), self.indices)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.distances, self.indices))

    def __len__(self) -> int:
        return 2


def available_backends() -> tuple[str, ...]:
    """The backends usable here (``"kdtree"`` and ``"sklearn"`` always are)."""
    out = ["kdtree"]
    try:
        import faiss  # noqa: F401

        out.append("faiss")
    except ImportError:
        pass
    try:
        import torch  # noqa: F401

        out.append("torch")
    except ImportError:
        pass
    out.append("sklearn")
    return tuple(out)


def find_duplicates(x: Any) -> np.ndarray:
    """Indices of rows that repeat an earlier row exactly.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points.

    Returns
    -------
    duplicates : ndarray of int64, sorted
        Row indices ``i`` such that ``x[i] == x[j]`` for some ``j < i`` (``-0.0`` equals ``0.0``).
    """
    x = check_array(x, "x")
    keep = _first_occurrences(x)
    mask = np.ones(len(x), dtype=bool)
    mask[keep] = False
    return np.flatnonzero(mask)


def drop_duplicates(x: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Remove exact duplicate rows, keeping each row's first occurrence and the row order.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points.

    Returns
    -------
    x_unique : ndarray of shape (n_unique, n_features), float64
        The distinct rows, in their original order.
    kept : ndarray of int64 of shape (n_unique,)
        Their indices in ``x``.
    n_dropped : int
        ``n_samples - n_unique``.
    """
    x = check_array(x, "x")
    kept = _first_occurrences(x)
    return x[kept], kept, int(len(x) - len(kept))


def _first_occurrences(x: np.ndarray) -> np.ndarray:
    # +0.0 turns -0.0 into 0.0 so the byte-wise comparison of np.unique treats them as equal
    _, first = np.unique(x + 0.0, axis=0, return_index=True)
    return np.sort(first).astype(np.int64)


def centered(x: np.ndarray) -> np.ndarray:
    """``x - x.mean(axis=0)`` in float64, for the ``|x|^2 + |y|^2 - 2 x.y`` expansion (small norms).

    Exact distances are computed from the raw coordinates (:func:`pair_distances`): centring
    rounds each coordinate by up to ``eps |x|``, which matters for a tight cluster far from the mean.
    """
    x = np.asarray(x, dtype=np.float64)
    return x - x.mean(axis=0)


def centering_shift(x: np.ndarray) -> float:
    """Bound on how much the centring of :func:`centered` can move any pairwise distance."""
    x = np.asarray(x, dtype=np.float64)
    return 4.0 * np.sqrt(x.shape[1]) * _EPS64 * float(np.abs(x).max(initial=0.0))


def expansion_band(xc: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """``(err, shift)``: a squared distance from the float64 expansion on ``xc`` is within
    ``err + 2 t shift + shift^2`` of the exact squared distance ``t^2`` from the raw coordinates ``x``."""
    sqn_max = float(np.einsum("ij,ij->i", xc, xc).max(initial=0.0))
    return 16.0 * (xc.shape[1] + 8) * _EPS64 * sqn_max, centering_shift(x)


def pair_distances(x: np.ndarray, i: Any, j: Any) -> np.ndarray:
    """Euclidean distances ``|x[i] - x[j]|`` of index pairs, float64, from coordinate differences.

    The one exact distance formula of the package (same rounding wherever a pair is evaluated, so
    that a distance compared with itself is never "strictly closer").

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features), float64
        Raw coordinates (not centred).
    i, j : array-like of int, same shape
        Row indices of the pairs.

    Returns
    -------
    distances : ndarray of the shape of ``i``
    """
    i = np.asarray(i)
    j = np.asarray(j)
    shape = i.shape
    i, j = i.ravel(), j.ravel()
    out = np.empty(len(i))
    chunk = max(1, _CHUNK_VALUES // max(x.shape[1], 1))
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, in words
        for s in range(0, len(i), chunk):
            diff = x[i[s : s + chunk]] - x[j[s : s + chunk]]
            out[s : s + chunk] = np.sqrt((diff * diff).sum(axis=1))
    if not np.isfinite(out).all():  # squared differences overflowed (coordinates near 1e154 or beyond)
        raise InputValidationError(
            f"squared distances overflow float64 (coordinates up to {float(np.abs(x).max()):.3g}); rescale the points "
            f"first (latentbench.metrics.scaling.rescale divides them by a power of two, exactly)")
    return out.reshape(shape)


def knn_query(reference: Any, queries: Any, k: int, *, margin: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of ``reference`` to each row of ``queries`` (a second point set, so no
    row is excluded), with exact float64 distances.

    Candidates (``k + margin``) come from scikit-learn's ``NearestNeighbors`` (a k-d tree in few
    dimensions, brute force in many); their distances are recomputed from coordinate differences
    and sorted by (distance, index), as :func:`knn_graph` does. The one neighbour search of a
    detector: the anomaly family's k-th-nearest-training-code distance reads it.

    Parameters
    ----------
    reference : array-like of shape (n_reference, n_features)
        The points searched (the training codes).
    queries : array-like of shape (n_queries, n_features)
    k : int
        In ``[1, n_reference]``.
    margin : int, default=8
        Extra candidates re-ranked exactly.

    Returns
    -------
    distances : ndarray of shape (n_queries, k)
    indices : ndarray of shape (n_queries, k)
    """
    from sklearn.neighbors import NearestNeighbors

    R = check_array(reference, "reference", ndim=2, dtype=np.float64, min_rows=1)
    Q = check_array(queries, "queries", ndim=2, dtype=np.float64, min_rows=1)
    if Q.shape[1] != R.shape[1]:
        raise InputValidationError(f"queries must have {R.shape[1]} columns like reference, got shape {Q.shape}")
    check_param(k, "k", low=1, high=len(R), integer=True)
    check_param(margin, "margin", low=0, integer=True)
    n_cand = min(len(R), int(k) + int(margin))
    algo = "kd_tree" if R.shape[1] <= KDTREE_MAX_FEATURES else "brute"
    _, cand = NearestNeighbors(n_neighbors=n_cand, algorithm=algo).fit(R).kneighbors(Q)
    dist = np.empty(cand.shape)
    chunk = max(1, _CHUNK_VALUES // max(R.shape[1] * n_cand, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, len(Q), chunk):
            diff = Q[s : s + chunk, None, :] - R[cand[s : s + chunk]]
            dist[s : s + chunk] = np.sqrt((diff * diff).sum(axis=2))
    if not np.isfinite(dist).all():
        raise InputValidationError("squared distances overflow float64; rescale the points first "
                                   "(latentbench.metrics.scaling.rescale divides them by a power of two, exactly)")
    order = np.lexsort((cand, dist), axis=1)[:, : int(k)]
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(cand, order, axis=1)


def knn_graph(x: Any, k: int, *, backend: str = "auto", margin: int | None = None, n_jobs: int = 1) -> KNNGraph:
    """Exact Euclidean k-nearest-neighbour graph, each point's own row excluded.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points. A CUDA tensor is searched on its device with the torch backend.
    k : int
        Neighbours per point, ``1 <= k < n_samples``.
    backend : {"auto", "faiss", "kdtree", "torch", "sklearn"}, default="auto"
        ``"auto"`` takes torch for a CUDA tensor, the k-d tree (:class:`scipy.spatial.cKDTree`) for
        at most ``KDTREE_MAX_FEATURES`` features, else faiss (exact ``IndexFlatL2``) if it is
        importable, else sklearn (brute-force :class:`~sklearn.neighbors.NearestNeighbors`). All
        give the same graph (see the module docstring); they differ only in speed.
    margin : int, optional
        Extra candidates searched per point before the exact float64 refinement; default
        ``max(4, k // 4)``. More candidates make the fallback exact search rarer.
    n_jobs : int, default=1
        Threads of the k-d tree and sklearn backends (``-1``: all cores).

    Returns
    -------
    graph : KNNGraph
        ``distances`` (n_samples, k) float64, ascending, and ``indices`` (n_samples, k) int64.
        Unpacks as ``distances, indices = knn_graph(x, k)``.

    Raises
    ------
    InputValidationError
        For a non-finite or non-2-D ``x``, ``k`` out of range, an unknown or unavailable backend.

    Notes
    -----
    Threads: faiss and torch use their global thread settings (``faiss.omp_set_num_threads``,
    ``torch.set_num_threads``); this function does not change them.
    """
    check_param(backend, "backend", options=BACKENDS)
    on_cuda = is_tensor(x) and x.device.type != "cpu"
    if backend == "auto":
        n_features = x.shape[1] if getattr(x, "ndim", 0) == 2 else np.inf
        if on_cuda:
            backend = "torch"
        elif n_features <= KDTREE_MAX_FEATURES:
            backend = "kdtree"
        else:
            backend = "faiss" if "faiss" in available_backends() else "sklearn"
    elif backend not in available_backends():
        raise InputValidationError(
            f"'backend' {backend!r} is not available (not importable); available: {list(available_backends())}"
        )

    if backend == "torch" and is_tensor(x):
        import torch

        if not bool(torch.isfinite(x).all()):
            raise InputValidationError("x contains NaN or infinite values; check the model's output")
        if x.ndim != 2:
            raise InputValidationError(f"x must be 2-D, got shape {tuple(x.shape)}")
        x_dev = x.detach()
        x64 = x_dev.to("cpu", torch.float64).numpy()
    else:
        x64 = check_array(x, "x")
        x_dev = None
    n = x64.shape[0]
    if n < 2:
        raise InputValidationError(f"x needs at least 2 rows for a neighbour graph, got {n}")
    check_param(k, "k", low=1, high=n - 1, integer=True)
    if margin is None:
        margin = max(4, k // 4)
    check_param(margin, "margin", low=0, integer=True)
    check_param(n_jobs, "n_jobs", integer=True)
    n_cand = min(n, k + 1 + margin)

    # the search runs on x / 2**e (exact), whose squared distances neither underflow nor overflow
    # (codes at 1e-300 or 1e200 get the graph of the same codes at 1); distances are scaled back
    e = rescale_exponent(x64)
    if e:
        x64 = np.ldexp(x64, -e)
    # distances are translation invariant; centring keeps the norms (and so the rounding) small
    center = x64.mean(axis=0)
    xc = centered(x64)
    if backend == "faiss":
        approx, cand, eps = _faiss_candidates(xc, n_cand)
    elif backend == "kdtree":
        approx, cand, eps = _kdtree_candidates(xc, n_cand, n_jobs)
    elif backend == "torch":
        approx, cand, eps = _torch_candidates(x if x_dev is None else x_dev, center, n_cand, e)
    else:
        approx, cand, eps = _sklearn_candidates(xc, n_cand, n_jobs)
    if not (np.isfinite(approx).all() and (cand >= 0).all() and (cand < n).all()):  # a search that found no neighbour
        raise InputValidationError(f"the {backend} neighbour search returned non-finite squared distances or no neighbour "
                                   f"for some rows (coordinates up to {float(np.abs(x64).max()):.3g} after rescaling)")
    graph = _refine(x64, xc, cand, approx, eps, k)
    return KNNGraph(np.ldexp(graph.distances, e), graph.indices) if e else graph


# --------------------------------------------------------------------------- candidate searches


def _faiss_candidates(xc: np.ndarray, n_cand: int) -> tuple[np.ndarray, np.ndarray, float]:
    import faiss

    x32 = np.ascontiguousarray(xc, dtype=np.float32)
    index = faiss.IndexFlatL2(x32.shape[1])
    index.add(x32)
    sq, idx = index.search(x32, n_cand)
    return sq.astype(np.float64), idx.astype(np.int64), float(np.finfo(np.float32).eps)


def _kdtree_candidates(xc: np.ndarray, n_cand: int, n_jobs: int) -> tuple[np.ndarray, np.ndarray, float]:
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(xc).query(xc, k=n_cand, workers=n_jobs)
    n = len(xc)
    return dist.reshape(n, n_cand) ** 2, idx.reshape(n, n_cand).astype(np.int64), _EPS64


def _sklearn_candidates(xc: np.ndarray, n_cand: int, n_jobs: int) -> tuple[np.ndarray, np.ndarray, float]:
    from sklearn.neighbors import NearestNeighbors

    # kneighbors(X) on the training points returns each point itself among the candidates
    nn = NearestNeighbors(n_neighbors=n_cand, algorithm="brute", n_jobs=n_jobs).fit(xc)
    dist, idx = nn.kneighbors(xc, n_neighbors=n_cand)
    return dist**2, idx.astype(np.int64), float(np.finfo(np.float64).eps)


def _torch_candidates(x: Any, center: np.ndarray, n_cand: int, exponent: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    import torch

    if not is_tensor(x):
        x = torch.from_numpy(np.asarray(x, dtype=np.float64))
    dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    x64 = x.to(torch.float64)
    if exponent:  # the same power of two as the float64 copy (``center`` is of the rescaled points)
        x64 = torch.ldexp(x64, torch.tensor(-exponent, device=x.device))
    # centre in float64 first, so that only the (small) centred coordinates are rounded to dtype
    xt = (x64 - torch.as_tensor(center, dtype=torch.float64, device=x.device)).to(dtype)
    n = xt.shape[0]
    sqn = (xt * xt).sum(dim=1)
    chunk = max(1, _CHUNK_VALUES // max(n, 1))
    sq_out = np.empty((n, n_cand))
    idx_out = np.empty((n, n_cand), dtype=np.int64)
    with torch.no_grad():
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            d2 = sqn[s:e, None] + sqn[None, :] - 2.0 * (xt[s:e] @ xt.T)
            vals, ind = torch.topk(d2, n_cand, dim=1, largest=False, sorted=True)
            sq_out[s:e] = vals.double().cpu().numpy()
            idx_out[s:e] = ind.cpu().numpy()
    return sq_out, idx_out, float(torch.finfo(dtype).eps)


def _numpy_candidates(xc: np.ndarray, rows: np.ndarray, n_cand: int) -> tuple[np.ndarray, np.ndarray]:
    """Float64 expansion-based candidates for some rows (the fallback of :func:`_refine`)."""
    n = xc.shape[0]
    sqn = np.einsum("ij,ij->i", xc, xc)
    chunk = max(1, _CHUNK_VALUES // max(n, 1))
    sq_out = np.empty((len(rows), n_cand))
    idx_out = np.empty((len(rows), n_cand), dtype=np.int64)
    for s in range(0, len(rows), chunk):
        r = rows[s : s + chunk]
        d2 = sqn[r, None] + sqn[None, :] - 2.0 * (xc[r] @ xc.T)
        if n_cand < n:
            part = np.argpartition(d2, n_cand - 1, axis=1)[:, :n_cand]
        else:
            part = np.broadcast_to(np.arange(n), (len(r), n)).copy()
        sq_out[s : s + len(r)] = np.take_along_axis(d2, part, axis=1)
        idx_out[s : s + len(r)] = part
    return sq_out, idx_out


# --------------------------------------------------------------------------- exact refinement


def _exact_rows(x: np.ndarray, rows: np.ndarray, cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 distances of candidate pairs from coordinate differences, self removed, sorted, cut.

    Returns the k nearest (distances, indices) and the exact distance of the farthest candidate
    that is not self (the bound every non-candidate distance is compared with).
    """
    dist = pair_distances(x, np.broadcast_to(rows[:, None], cand.shape), cand)
    is_self = cand == rows[:, None]
    dist[is_self] = np.inf
    # sort by distance, ties by index
    order = np.lexsort((cand, dist), axis=1)
    dist = np.take_along_axis(dist, order, axis=1)
    cand = np.take_along_axis(cand, order, axis=1)
    return dist[:, :k], cand[:, :k], dist


def _refine(x: np.ndarray, xc: np.ndarray, cand: np.ndarray, approx_sq: np.ndarray, eps: float, k: int) -> KNNGraph:
    n, c = cand.shape
    rows = np.arange(n)
    dist, ind, _ = _exact_rows(x, rows, cand, k)
    if c >= n:  # every point was a candidate: exact by construction
        return KNNGraph(dist, ind)
    norms = np.sqrt(np.einsum("ij,ij->i", xc, xc))
    big = norms.max()
    # every non-candidate l has approx d2(i, l) >= approx of the last candidate; the true value is
    # within err of the approximation, so the row is exact if last_approx - err >= d_k^2 + slack.
    shift = centering_shift(x)
    bad = ~_certified(approx_sq[:, -1], dist[:, -1], norms, big, eps, xc.shape[1], shift)
    if bad.any():
        rows_b = np.flatnonzero(bad)
        sq_b, cand_b = _numpy_candidates(xc, rows_b, c)
        d_b, i_b, _ = _exact_rows(x, rows_b, cand_b, k)
        still = ~_certified(np.max(sq_b, axis=1), d_b[:, -1], norms[rows_b], big, _EPS64, xc.shape[1], shift)
        if still.any():  # last resort: all n points are candidates
            rows_s = rows_b[still]
            all_cand = np.broadcast_to(np.arange(n), (len(rows_s), n))
            d_s, i_s = _exact_all(x, rows_s, all_cand, k)
            d_b[still], i_b[still] = d_s, i_s
        dist[rows_b], ind[rows_b] = d_b, i_b
    return KNNGraph(dist, ind)


def _exact_all(x: np.ndarray, rows: np.ndarray, all_cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    out_d = np.empty((len(rows), k))
    out_i = np.empty((len(rows), k), dtype=np.int64)
    for j, r in enumerate(rows):
        dd, ii, _ = _exact_rows(x, np.array([r]), np.ascontiguousarray(all_cand[j : j + 1]), k)
        out_d[j], out_i[j] = dd[0], ii[0]
    return out_d, out_i


def _certified(last_approx_sq: np.ndarray, kth: np.ndarray, norms: np.ndarray, big: float, eps: float,
               n_features: int, shift: float) -> np.ndarray:
    # generous bound on |approx - exact| for the squared distance of the expansion formula on the
    # centred coordinates, including their rounding to the working precision; ``shift`` bounds the
    # effect of the centring itself on a distance
    err = 4.0 * (n_features + 8) * eps * (norms + big) ** 2
    lower = np.sqrt(np.maximum(last_approx_sq - err, 0.0)) - shift  # below every non-candidate distance
    return lower > kth + shift
