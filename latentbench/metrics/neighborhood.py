"""Neighbourhood preservation between input space and latent space.

* :func:`trustworthiness` — Venna & Kaski (2001), scikit-learn's definition
  (:func:`sklearn.manifold.trustworthiness`): are the latent neighbours true input neighbours?
* :func:`continuity` — the same with the roles of the spaces swapped: are the input neighbours
  kept as latent neighbours?
* :func:`knn_recall` — the overlap of the two ``k``-neighbour sets.
* :func:`distortion` — the spread of latent/input distance ratios over sampled pairs.

Trustworthiness and continuity are computed exactly from two kNN graphs without an
``n x n`` matrix: the rank (in one space) of each neighbour (from the other space) is read from the
first space's graph when that neighbour lies within the graph, and counted against a chunked
distance row otherwise. All distances are Euclidean, float64.

Ties: a rank is ``1 +`` the number of points strictly closer (scikit-learn orders tied points by
its sort, so the two can differ on data with exactly tied distances).

Scale and degenerate codes: every function here is invariant to a rescaling of either space, and
computes on both spaces divided by a power of two (:mod:`~latentbench.metrics.scaling`; exact, so
ordinary inputs give the very same numbers), so codes at 1e-300 or 1e200 score what the same codes
at unit scale score. Codes that are still degenerate after rescaling get NaN and an
:class:`~latentbench.exceptions.UndefinedMetricWarning`: constant codes everywhere, and for the
neighbour metrics fewer than ``k + 1`` distinct rows in either space (the ``k`` nearest neighbours of
a point are then ties between copies, not a neighbourhood).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, ResourceLimitError, UndefinedMetricWarning
from ..validation import check_array, check_consistent_length, check_param, check_rng
from .neighbors import KNNGraph, centered, expansion_band, knn_graph, pair_distances
from .scaling import Rescaled, n_distinct_rows, rescale, undefined

__all__ = ["trustworthiness", "continuity", "trustworthiness_continuity", "knn_recall", "distortion",
           "NEIGHBOR_MAX_SAMPLES"]

#: Above this many points, trustworthiness/continuity (O(n^2) in the worst case) refuse to run.
NEIGHBOR_MAX_SAMPLES = 50_000

_CHUNK_VALUES = 1 << 22
# up to this many neighbours per row, ranks are counted by comparison, above by sorting
_COMPARE_MAX = 32


def _check_pair(x: Any, z: Any) -> tuple[np.ndarray, np.ndarray]:
    x = check_array(x, "x", min_rows=2)
    z = check_array(z, "z", min_rows=2)
    check_consistent_length(x=x, z=z)
    return x, z


def _check_ks(n_neighbors: int | Sequence[int], n: int, *, strict_half: bool) -> list[int]:
    ks = [n_neighbors] if isinstance(n_neighbors, (int, np.integer)) else list(n_neighbors)
    if not ks:
        raise InputValidationError("'n_neighbors' must hold at least one k")
    for k in ks:
        check_param(k, "n_neighbors", low=1, high=n - 1, integer=True)
        if strict_half and not k < n / 2:
            raise InputValidationError(
                f"'n_neighbors' must be < n_samples / 2 = {n / 2} for trustworthiness/continuity "
                f"(the normalisation 2n - 3k - 1 must stay positive), got {k}"
            )
    return [int(k) for k in ks]


def _get_graph(pts: Rescaled, knn: KNNGraph | None, k: int, backend: str, name: str) -> KNNGraph:
    """The graph of the rescaled points: built here, or ``knn`` (of the original points) rescaled."""
    if knn is None:
        return knn_graph(pts.x, k, backend=backend)
    if not isinstance(knn, KNNGraph):
        raise InputValidationError(f"'{name}' must be a KNNGraph, got {type(knn).__name__}")
    if knn.n_samples != len(pts.x):
        raise InputValidationError(f"'{name}' was built on {knn.n_samples} points, the data have {len(pts.x)}")
    if knn.k < k:
        raise InputValidationError(f"'{name}' has k={knn.k}, at least {k} neighbours are needed")
    return knn.scaled(-pts.exponent)


def _rescaled_pair(x: np.ndarray, z: np.ndarray) -> tuple[Rescaled, Rescaled]:
    return rescale(x, "x"), rescale(z, "z")


def _undefined_ks(metric: str, spaces: Sequence[tuple[str, Rescaled]], ks: list[int]) -> set[int]:
    """The ``k`` at which a neighbour metric is undefined on these spaces; warns once if there are any.

    Undefined: a space that is constant (or otherwise degenerate) after rescaling, or one with at
    most ``k`` distinct rows.
    """
    bad: set[int] = set()
    reasons = []
    for name, r in spaces:
        if r.degenerate:
            bad |= set(ks)
            reasons.append(_degenerate_text(name, r))
            continue
        d = n_distinct_rows(r.x, at_least=max(ks) + 1)
        low = {k for k in ks if d <= k}
        if low:
            bad |= low
            reasons.append(f"{name} has {d} distinct rows, k={min(low)} needs more than {min(low)}")
    if bad:
        undefined(metric, "; ".join(reasons) + f" (at k={', '.join(map(str, sorted(bad)))})", stacklevel=4)
    return bad


def _degenerate_text(name: str, r: Rescaled) -> str:
    return f"{name} is constant" if r.degenerate == "constant" else f"{name} is degenerate ({r.degenerate})"


def _ranks(space: np.ndarray, graph_space: KNNGraph, neighbors: np.ndarray) -> np.ndarray:
    """Rank in ``space`` of each ``neighbors[i, j]`` around ``i``: 1 + #points strictly closer.

    ``graph_space`` is the kNN graph of ``space``; ranks of points within it are read off the graph,
    the others are counted exactly against all points (chunked distance rows from the expansion
    formula, with the pairs within its rounding error of a threshold re-decided exactly).
    """
    n, kb = neighbors.shape
    rows_all = np.broadcast_to(np.arange(n)[:, None], neighbors.shape)
    dist = pair_distances(space, rows_all, neighbors)
    gd = graph_space.distances
    ranks = np.empty((n, kb), dtype=np.int64)
    chunk = max(1, _CHUNK_VALUES // max(kb * gd.shape[1], 1))
    for s in range(0, n, chunk):
        ranks[s : s + chunk] = 1 + (gd[s : s + chunk, None, :] < dist[s : s + chunk, :, None]).sum(axis=2)
    uncovered = dist > gd[:, -1:]  # farther than the graph reaches: count against all points
    rows = np.flatnonzero(uncovered.any(axis=1))
    if not len(rows):
        return ranks
    xc = centered(space)
    sqn = np.einsum("ij,ij->i", xc, xc)
    err_sq, shift = expansion_band(xc, space)
    chunk = max(1, _CHUNK_VALUES // (n * min(kb, _COMPARE_MAX)))
    for s in range(0, len(rows), chunk):
        r = rows[s : s + chunk]
        d2 = sqn[r, None] + sqn[None, :] - 2.0 * (xc[r] @ xc.T)
        d2[np.arange(len(r)), r] = np.inf  # a point is not its own neighbour
        t = np.where(uncovered[r], dist[r], np.nan)  # thresholds; NaN where the graph sufficed
        t2 = t * t
        err = err_sq + 2.0 * np.nan_to_num(t) * shift + shift * shift  # per threshold
        if kb <= _COMPARE_MAX:  # few thresholds per row: compare with the whole row
            below = (d2[:, None, :] < (t2 - err)[:, :, None]).sum(axis=2)
            upto = (d2[:, None, :] <= (t2 + err)[:, :, None]).sum(axis=2)
        else:  # many thresholds: sort each row once
            d2s = np.sort(d2, axis=1)
            below = np.stack([np.searchsorted(d2s[a], t2[a] - err[a], side="left") for a in range(len(r))])
            upto = np.stack([np.searchsorted(d2s[a], t2[a] + err[a], side="right") for a in range(len(r))])
        # the neighbour itself always lies in its threshold's band; anything else there is a
        # near-tie of the expansion formula and is decided from coordinate differences
        for a, c in zip(*np.nonzero(upto - below > 1)):
            i, j = r[a], neighbors[r[a], c]
            band = np.flatnonzero(np.abs(d2[a] - t2[a, c]) <= err[a, c])
            band = band[band != j]
            below[a, c] += int(np.count_nonzero(pair_distances(space, np.full(len(band), i), band) < t[a, c]))
        rr, cc = np.nonzero(uncovered[r])
        ranks[r[rr], cc] = 1 + below[rr, cc]
    return ranks


def _guard(n: int) -> None:
    if n > NEIGHBOR_MAX_SAMPLES:
        raise ResourceLimitError(
            f"trustworthiness/continuity cost up to O(n^2) distance evaluations; n_samples={n} exceeds the guard "
            f"of {NEIGHBOR_MAX_SAMPLES}; evaluate on a random subsample of rows (the same rows of x and z)"
        )


def _trust(space_rank: np.ndarray, graph_rank: KNNGraph, graph_nb: KNNGraph, ks: list[int]) -> dict[int, float]:
    n = len(space_rank)
    kmax = max(ks)
    ranks = _ranks(space_rank, graph_rank, graph_nb.indices[:, :kmax])
    out = {}
    for k in ks:
        pen = np.maximum(ranks[:, :k] - k, 0).sum(dtype=np.float64)
        out[k] = float(1.0 - pen * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))))
    return out


def trustworthiness_continuity(x: Any, z: Any, n_neighbors: int | Sequence[int] = (5, 10, 20), *,
                               knn_x: KNNGraph | None = None, knn_z: KNNGraph | None = None,
                               backend: str = "auto") -> dict[str, dict[int, float]]:
    """Trustworthiness and continuity at several ``k`` from one pair of kNN graphs.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        Input-space points.
    z : array-like or torch.Tensor of shape (n_samples, n_latent)
        Latent codes, row-aligned with ``x``.
    n_neighbors : int or sequence of int, default=(5, 10, 20)
        The ``k`` values, each ``< n_samples / 2``.
    knn_x, knn_z : KNNGraph, optional
        Precomputed graphs of ``x`` and ``z`` with at least ``max(n_neighbors)`` neighbours.
        Larger graphs make the exact rank counting cheaper.
    backend : str, default="auto"
        Neighbour backend for graphs not given.

    Returns
    -------
    result : dict
        ``{"trustworthiness": {k: float}, "continuity": {k: float}}``.

        NaN (with an :class:`~latentbench.exceptions.UndefinedMetricWarning`) at every ``k`` where
        either space is constant after rescaling or has at most ``k`` distinct rows.

    Raises
    ------
    ResourceLimitError
        Above ``NEIGHBOR_MAX_SAMPLES`` points (subsample the rows of both spaces together).
    InputValidationError
        For misaligned or non-finite inputs, or ``k >= n_samples / 2``.

    Notes
    -----
    Invariant to a rescaling of either space: both are divided by a power of two first (see the
    module docstring), so ``z``, ``1e-300 * z`` and ``1e200 * z`` give the same values.
    """
    x, z = _check_pair(x, z)
    n = len(x)
    _guard(n)
    ks = _check_ks(n_neighbors, n, strict_half=True)
    kmax = max(ks)
    rx, rz = _rescaled_pair(x, z)
    bad = _undefined_ks("trustworthiness/continuity", (("x", rx), ("z", rz)), ks)
    nan = {k: float("nan") for k in ks}
    if bad == set(ks):
        return {"trustworthiness": dict(nan), "continuity": dict(nan)}
    gx = _get_graph(rx, knn_x, kmax, backend, "knn_x")
    gz = _get_graph(rz, knn_z, kmax, backend, "knn_z")
    t, c = _trust(rx.x, gx, gz, ks), _trust(rz.x, gz, gx, ks)
    return {"trustworthiness": {k: nan[k] if k in bad else v for k, v in t.items()},
            "continuity": {k: nan[k] if k in bad else v for k, v in c.items()}}


def trustworthiness(x: Any, z: Any, n_neighbors: int | Sequence[int] = (5, 10, 20), *,
                    knn_x: KNNGraph | None = None, knn_z: KNNGraph | None = None,
                    backend: str = "auto") -> dict[int, float]:
    """Trustworthiness of the latent neighbourhoods (Venna & Kaski 2001), scikit-learn's definition.

    ``T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k^z(i)} max(0, r^x(i, j) - k)``, where
    ``N_k^z(i)`` are the ``k`` nearest latent neighbours of ``i`` and ``r^x(i, j)`` the rank of ``j``
    among the input-space neighbours of ``i``. 1 when every latent neighbour is an input neighbour;
    equal to ``sklearn.manifold.trustworthiness(x, z, n_neighbors=k)`` (ties aside).

    Parameters
    ----------
    x, z, n_neighbors, knn_x, knn_z, backend
        As in :func:`trustworthiness_continuity`.

    Returns
    -------
    trustworthiness : dict of int to float
        One value per ``k``; NaN with an :class:`~latentbench.exceptions.UndefinedMetricWarning`
        where either space is constant after rescaling or has at most ``k`` distinct rows.

    References
    ----------
    J. Venna, S. Kaski. Neighborhood preservation in nonlinear projection methods: an experimental
    study. ICANN 2001, 485-491.
    """
    return _trust_one(x, z, n_neighbors, knn_x, knn_z, backend, "trustworthiness", ("x", "z"))


def _trust_one(x: Any, z: Any, n_neighbors: int | Sequence[int], knn_x: KNNGraph | None, knn_z: KNNGraph | None,
               backend: str, metric: str, names: tuple[str, str]) -> dict[int, float]:
    """Trustworthiness of ``z`` with respect to ``x`` (continuity: the spaces swapped, ``names`` too)."""
    x, z = _check_pair(x, z)
    n = len(x)
    _guard(n)
    ks = _check_ks(n_neighbors, n, strict_half=True)
    kmax = max(ks)
    rx, rz = _rescaled_pair(x, z)
    bad = _undefined_ks(metric, ((names[0], rx), (names[1], rz)), ks)
    if bad == set(ks):
        return {k: float("nan") for k in ks}
    out = _trust(rx.x, _get_graph(rx, knn_x, kmax, backend, "knn_x"), _get_graph(rz, knn_z, kmax, backend, "knn_z"), ks)
    return {k: float("nan") if k in bad else v for k, v in out.items()}


def continuity(x: Any, z: Any, n_neighbors: int | Sequence[int] = (5, 10, 20), *,
               knn_x: KNNGraph | None = None, knn_z: KNNGraph | None = None,
               backend: str = "auto") -> dict[int, float]:
    """Continuity (Venna & Kaski 2001): trustworthiness with input and latent space swapped.

    Penalises input-space neighbours that are far in latent space:
    ``C(k) = T(k)`` computed as ``sklearn.manifold.trustworthiness(z, x, n_neighbors=k)``.

    Parameters
    ----------
    x, z, n_neighbors, knn_x, knn_z, backend
        As in :func:`trustworthiness_continuity`.

    Returns
    -------
    continuity : dict of int to float
        One value per ``k``; NaN with a warning where either space is constant after rescaling or
        has at most ``k`` distinct rows (constant codes would otherwise score 1.0: every input
        neighbour is "kept" among the tied copies).
    """
    x, z = _check_pair(x, z)
    return _trust_one(z, x, n_neighbors, knn_z, knn_x, backend, "continuity", ("z", "x"))


def knn_recall(x: Any, z: Any, n_neighbors: int | Sequence[int] = (5, 10, 20), *,
               knn_x: KNNGraph | None = None, knn_z: KNNGraph | None = None,
               backend: str = "auto") -> dict[int, float]:
    """Mean overlap of the input-space and latent-space ``k``-neighbour sets.

    ``R(k) = mean_i |N_k^x(i) & N_k^z(i)| / k``: 1 for a perfect neighbourhood embedding, about
    ``k / (n - 1)`` for an unrelated one. Symmetric in ``x`` and ``z``.

    Parameters
    ----------
    x, z, n_neighbors, knn_x, knn_z, backend
        As in :func:`trustworthiness_continuity` (any ``k < n_samples``).

    Returns
    -------
    recall : dict of int to float
        One value per ``k``; NaN with an :class:`~latentbench.exceptions.UndefinedMetricWarning`
        where either space is constant after rescaling or has at most ``k`` distinct rows.
    """
    x, z = _check_pair(x, z)
    ks = _check_ks(n_neighbors, len(x), strict_half=False)
    kmax = max(ks)
    rx, rz = _rescaled_pair(x, z)
    bad = _undefined_ks("knn_recall", (("x", rx), ("z", rz)), ks)
    if bad == set(ks):
        return {k: float("nan") for k in ks}
    ix = _get_graph(rx, knn_x, kmax, backend, "knn_x").indices
    iz = _get_graph(rz, knn_z, kmax, backend, "knn_z").indices
    out = {}
    n = len(x)
    for k in ks:
        if k in bad:
            out[k] = float("nan")
            continue
        chunk = max(1, _CHUNK_VALUES // (k * k))
        hits = 0
        for s in range(0, n, chunk):
            a, b = ix[s : s + chunk, :k], iz[s : s + chunk, :k]
            hits += int((a[:, :, None] == b[:, None, :]).any(axis=2).sum())
        out[k] = hits / (n * k)
    return out


def distortion(x: Any, z: Any, *, n_pairs: int = 10_000, pairs: str = "random", k: int = 10,
               quantiles: tuple[float, float] = (0.01, 0.99), rng: Any = None,
               knn_x: KNNGraph | None = None, backend: str = "auto") -> dict[str, float]:
    """Spread of the latent/input distance ratios ``rho = |z_i - z_j| / |x_i - x_j|`` over pairs.

    An encoder that is bi-Lipschitz with constants ``a |dx| <= |dz| <= b |dx|`` has all ratios in
    ``[a, b]``; ``b / a`` is its distortion (1 for a similarity, i.e. an isometry up to scale).
    Estimated from a sample of pairs: the robust ``q_high / q_low`` quantile ratio, the raw
    ``max / min`` (a lower bound on the true distortion), and the coefficient of variation.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        Input-space points.
    z : array-like or torch.Tensor of shape (n_samples, n_latent)
        Latent codes, row-aligned with ``x``.
    n_pairs : int, default=10000
        Pairs sampled with ``pairs="random"`` (pairs ``i != j`` drawn uniformly, with replacement
        among pairs).
    pairs : {"random", "knn"}, default="random"
        ``"random"``: global distortion over random pairs; ``"knn"``: local distortion over every
        ``(i, j)`` with ``j`` among the ``k`` nearest input-space neighbours of ``i``.
    k : int, default=10
        Neighbours for ``pairs="knn"``.
    quantiles : (float, float), default=(0.01, 0.99)
        The robust lower and upper quantiles of the ratios.
    rng : int or numpy.random.Generator, optional
        Source of the random pairs: required with ``pairs="random"`` (unused with ``"knn"``).
    knn_x : KNNGraph, optional
        A precomputed input-space graph for ``pairs="knn"``.
    backend : str, default="auto"
        Neighbour backend.

    Returns
    -------
    result : dict of str to float
        ``ratio_mean``, ``ratio_cv`` (std / mean), ``ratio_q_low``, ``ratio_q_high``,
        ``distortion_quantile`` (``q_high / q_low``), ``distortion_max`` (``max / min``; inf if some
        distinct inputs share a code), ``n_pairs`` (pairs used: pairs of identical inputs are skipped).
        NaN with an :class:`~latentbench.exceptions.UndefinedMetricWarning` when either space is
        constant after rescaling, every sampled latent distance is zero, or no pair of distinct inputs
        was drawn.

    Notes
    -----
    The ratios are computed on both spaces divided by a power of two (exact) and scaled back, so
    codes at 1e-300 or 1e200 give the ratios of the same codes at unit scale times that factor, and
    the same ``distortion_quantile``, ``distortion_max`` and ``ratio_cv`` (which are scale-free).
    """
    x, z = _check_pair(x, z)
    rx, rz = _rescaled_pair(x, z)
    check_param(pairs, "pairs", options=("random", "knn"))
    lo_q, hi_q = quantiles
    if not 0 <= lo_q < hi_q <= 1:
        raise InputValidationError(f"'quantiles' must satisfy 0 <= low < high <= 1, got {quantiles!r}")
    n = len(x)
    if pairs == "random":
        check_param(n_pairs, "n_pairs", low=1, integer=True)
        if rng is None:
            raise InputValidationError("distortion: pairs='random' draws pairs; pass rng (an int seed or a numpy Generator)")
        gen = check_rng(rng)
        i = gen.integers(0, n, n_pairs)
        j = (i + gen.integers(1, n, n_pairs)) % n  # uniform over j != i
    else:
        check_param(k, "k", low=1, high=n - 1, integer=True)
        g = _get_graph(rx, knn_x, k, backend, "knn_x")
        i = np.repeat(np.arange(n), k)
        j = g.indices[:, :k].ravel()
    nan = {key: float("nan") for key in ("ratio_mean", "ratio_cv", "ratio_q_low", "ratio_q_high",
                                         "distortion_quantile", "distortion_max")}
    for name, r in (("x", rx), ("z", rz)):
        if r.degenerate:
            undefined("distortion", _degenerate_text(name, r))
            return {**nan, "n_pairs": 0}
    dx = pair_distances(rx.x, i, j)
    dz = pair_distances(rz.x, i, j)
    keep = dx > 0
    if not keep.any():
        warnings.warn("distortion: no pair of distinct input points; returning NaN", UndefinedMetricWarning,
                      stacklevel=2)
        return {**nan, "n_pairs": 0}
    rho = dz[keep] / dx[keep]
    mean = float(rho.mean())
    if mean == 0.0:
        warnings.warn("distortion: all latent distances are zero (constant codes); returning NaN",
                      UndefinedMetricWarning, stacklevel=2)
        return {**nan, "n_pairs": int(keep.sum())}
    q_lo, q_hi = np.quantile(rho, [lo_q, hi_q])
    unit = int(np.asarray(rz.exponent)) - int(np.asarray(rx.exponent))  # ratios on the rescaled spaces -> original units
    with np.errstate(divide="ignore", over="ignore"):
        return {
            "ratio_mean": float(np.ldexp(mean, unit)),
            "ratio_cv": float(rho.std() / mean),
            "ratio_q_low": float(np.ldexp(q_lo, unit)),
            "ratio_q_high": float(np.ldexp(q_hi, unit)),
            "distortion_quantile": float(q_hi / q_lo) if q_lo > 0 else float("inf"),
            "distortion_max": float(rho.max() / rho.min()) if rho.min() > 0 else float("inf"),
            "n_pairs": int(keep.sum()),
        }
