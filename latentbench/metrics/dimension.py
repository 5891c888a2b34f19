"""Intrinsic-dimension (ID) estimators computed from one shared k-nearest-neighbour graph.

The neighbour-based estimators follow scikit-dimension's definitions exactly, so that on the same
points and parameters they return the same numbers (to rounding):

* :func:`twonn` — TwoNN (Facco et al. 2017) as ``skdim.id.TwoNN(discard_fraction=0.1)``.
* :func:`mle` — Levina & Bickel (2005) with MacKay & Ghahramani's averaging of the inverses, as
  ``skdim.id.MLE()`` (``dnoise=None``, ``unbiased=False``, ``neighborhood_based=True``) fitted with
  ``n_neighbors=20, comb="mle"``.
* :func:`corrint` — the two-radius correlation integral, as ``skdim.id.CorrInt(k1=10, k2=20)``.

and three more:

* :func:`correlation_dimension` — Grassberger & Procaccia (1983) on all pairs of a subsample, with
  a fixed scaling window and a subsampling confidence interval.
* :func:`id_scale_curve` — the ID as the neighbourhood grows (Gride, Denti et al. 2022, on the
  ``r_{2n}/r_n`` ratios, or MLE as ``k`` grows), to see where noise or curvature takes over.
* :func:`intrinsic_dimension` — several estimators from one graph, with the duplicate policy of
  :mod:`~latentbench.metrics.neighbors` (distinct rows only, the number dropped reported).

Scale: every estimator is invariant to a rescaling of the points and computes on them divided by
a power of two (:mod:`~latentbench.metrics.scaling`; exact, so ordinary inputs give the very same
numbers): points at 1e-300 or 1e200 get the dimension of the same points at unit scale. Constant
points (or too few distinct ones) are degenerate: :func:`intrinsic_dimension` and
:func:`correlation_dimension` return NaN with an
:class:`~latentbench.exceptions.UndefinedMetricWarning`.

Confidence intervals come from :func:`subsample_ci`: subsamples drawn *without* replacement
(m-out-of-n), never the bootstrap with replacement, whose repeated rows are zero-distance
neighbours that break every estimator here. Every estimator here shifts with the sample size (a
smaller sample sees a larger neighbourhood scale), so the interval is the estimator's sampling
variability at the full size, centred on its value; it does not include that finite-sample bias.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, ResourceLimitError, UndefinedMetricWarning
from ..stats import subsample_ci
from ..validation import check_array, check_param, check_rng
from .neighbors import KNNGraph, centered, drop_duplicates, expansion_band, knn_graph, pair_distances
from .scaling import rescale_exponent

__all__ = [
    "twonn",
    "mle",
    "corrint",
    "correlation_dimension",
    "id_scale_curve",
    "intrinsic_dimension",
    "subsample_ci",
    "ESTIMATORS",
]

#: Names accepted by :func:`intrinsic_dimension`.
ESTIMATORS = ("twonn", "mle", "corrint", "correlation")

#: Largest subsample for :func:`correlation_dimension` (all pairs are held: n^2/2 float64).
GP_MAX_SAMPLES = 10_000

_CHUNK_VALUES = 1 << 22




def _unit_scale(x: np.ndarray, knn: KNNGraph | None = None) -> tuple[np.ndarray, KNNGraph | None, int]:
    """``x / 2**e`` and ``knn`` with its distances divided likewise (exact), and ``e``."""
    e = rescale_exponent(x)
    if not e:
        return x, knn, 0
    return np.ldexp(x, -e), (knn.scaled(-e) if isinstance(knn, KNNGraph) else knn), e


def _graph(x: np.ndarray, knn: KNNGraph | None, k: int, backend: str, name: str) -> KNNGraph:
    """The graph to use: ``knn`` truncated to ``k`` (checked against ``x``), or a new one."""
    n = len(x)
    if n < k + 1:
        raise InputValidationError(f"{name} with k={k} needs at least {k + 1} samples, got {n}")
    if knn is None:
        g = knn_graph(x, k, backend=backend)
    else:
        if not isinstance(knn, KNNGraph):
            raise InputValidationError(f"'knn' must be a KNNGraph (from knn_graph), got {type(knn).__name__}")
        if knn.n_samples != n:
            raise InputValidationError(
                f"'knn' was built on {knn.n_samples} points but x has {n}; pass the graph of these points"
            )
        if knn.k < k:
            raise InputValidationError(
                f"{name} needs a graph with k >= {k}, got k={knn.k}; build it with knn_graph(x, {k})"
            )
        g = knn.truncate(k)
    return g


def _no_duplicates(g: KNNGraph, name: str) -> None:
    n_zero = int(np.count_nonzero(g.distances[:, 0] == 0))
    if n_zero:
        raise InputValidationError(
            f"{name}: {n_zero} points have a duplicate (zero nearest-neighbour distance), which makes the "
            "estimator undefined; remove them with latentbench.metrics.neighbors.drop_duplicates(x) or use "
            "intrinsic_dimension(), which does so and reports the count"
        )


# --------------------------------------------------------------------------- TwoNN


def twonn(x: Any, *, discard_fraction: float = 0.1, knn: KNNGraph | None = None, backend: str = "auto") -> float:
    """TwoNN intrinsic dimension (Facco et al. 2017), scikit-dimension's linear-fit variant.

    For each point, ``mu = r2 / r1`` (second over first neighbour distance) is Pareto(1, d)
    distributed, so ``-log(1 - F(mu)) = d log(mu)``. The ``N`` ratios are sorted, the largest
    ``N - int(N * (1 - discard_fraction))`` are discarded, the empirical CDF of the ``i``-th smallest
    kept ratio is ``i / N`` (``N``, not the number kept), and ``d`` is the least-squares slope of
    ``-log(1 - i/N)`` on ``log(mu_(i))`` through the origin.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points, without duplicate rows.
    discard_fraction : float, default=0.1
        Fraction of the largest ratios discarded, in ``(0, 1)`` (the last kept point must have
        ``F < 1``).
    knn : KNNGraph, optional
        A precomputed graph of ``x`` with ``k >= 2``.
    backend : str, default="auto"
        :func:`~latentbench.metrics.neighbors.knn_graph` backend when ``knn`` is not given.

    Returns
    -------
    dimension : float

    References
    ----------
    E. Facco, M. d'Errico, A. Rodriguez, A. Laio. Estimating the intrinsic dimension of datasets by
    a minimal neighborhood information. Scientific Reports 7, 12140 (2017).
    """
    x = check_array(x, "x")
    check_param(discard_fraction, "discard_fraction", low=0.0, high=1.0)
    g = _graph(x, knn, 2, backend, "twonn")
    _no_duplicates(g, "twonn")
    return _twonn_from_graph(g, discard_fraction)


def _twonn_from_graph(g: KNNGraph, discard_fraction: float) -> float:
    mu = g.distances[:, 1] / g.distances[:, 0]
    n = len(mu)
    n_keep = int(n * (1 - discard_fraction))  # the same expression as skdim, for the same rounding
    if n_keep >= n:
        raise InputValidationError(
            "'discard_fraction' must leave out at least one ratio (F = 1 gives an infinite ordinate), "
            f"got {discard_fraction!r}"
        )
    if n_keep < 2:
        return _undefined("twonn: fewer than 2 ratios left after discarding")
    log_mu = np.log(np.sort(mu)[:n_keep])
    y = -np.log1p(-np.arange(1, n_keep + 1) / n)
    denom = float(log_mu @ log_mu)
    if denom == 0.0:
        return _undefined("twonn: all neighbour-distance ratios are 1 (a lattice or tied distances)")
    return float(log_mu @ y) / denom


# --------------------------------------------------------------------------- MLE


def mle(x: Any, *, k: int = 20, average: str = "inverse", knn: KNNGraph | None = None,
        backend: str = "auto", return_pointwise: bool = False) -> float | tuple[float, np.ndarray]:
    """Maximum-likelihood intrinsic dimension (Levina & Bickel 2005).

    Around each point ``i`` with neighbour distances ``T_1 <= ... <= T_k``,
    ``m_i = (k - 1) / sum_{j=1}^{k} log(T_k / T_j)`` (the ``j = k`` term is zero; the ``k - 1``
    normalisation is Levina & Bickel's). The global estimate averages the inverses (MacKay &
    Ghahramani 2005): ``1 / mean(1 / m_i)``. This is ``skdim.id.MLE()`` fitted with
    ``n_neighbors=k, comb="mle"``.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points, without duplicate rows.
    k : int, default=20
        Neighbours per point, ``k >= 2``.
    average : {"inverse", "mean", "median"}, default="inverse"
        How pointwise estimates are combined: MacKay-Ghahramani (skdim ``comb="mle"``), or the
        arithmetic mean / median of the ``m_i``.
    knn : KNNGraph, optional
        A precomputed graph of ``x`` with at least ``k`` neighbours.
    backend : str, default="auto"
        Neighbour backend when ``knn`` is not given.
    return_pointwise : bool, default=False
        Also return the ``m_i``, shape (n_samples,).

    Returns
    -------
    dimension : float
    pointwise : ndarray of shape (n_samples,)
        Only with ``return_pointwise=True``.

    References
    ----------
    E. Levina, P. Bickel. Maximum likelihood estimation of intrinsic dimension. NIPS 17 (2005).
    D. MacKay, Z. Ghahramani. Comments on 'Maximum likelihood estimation of intrinsic dimension'
    by E. Levina and P. Bickel (2005).
    """
    x = check_array(x, "x")
    check_param(k, "k", low=2, integer=True)
    check_param(average, "average", options=("inverse", "mean", "median"))
    g = _graph(x, knn, k, backend, "mle")
    _no_duplicates(g, "mle")
    d, pw = _mle_from_graph(g, average)
    return (d, pw) if return_pointwise else d


def _mle_from_graph(g: KNNGraph, average: str = "inverse") -> tuple[float, np.ndarray]:
    t = g.distances
    k = t.shape[1]
    s = np.log(t[:, -1:] / t).sum(axis=1)
    with np.errstate(divide="ignore"):
        pw = (k - 1) / s
    if average == "inverse":
        d = 1.0 / np.mean(s / (k - 1))
    elif average == "mean":
        d = float(np.mean(pw))
    else:
        d = float(np.median(pw))
    if not np.isfinite(d):
        return _undefined("mle: all k neighbours are at the same distance for some points"), pw
    return float(d), pw


# --------------------------------------------------------------------------- CorrInt


def corrint(x: Any, *, k1: int = 10, k2: int = 20, knn: KNNGraph | None = None, backend: str = "auto") -> float:
    """Two-radius correlation-integral dimension, scikit-dimension's ``CorrInt``.

    ``r1`` and ``r2`` are the medians over points of the distance to the ``k1``-th and ``k2``-th
    neighbour; ``C(r) = #{(i, j), i != j : d(i, j) < r} / n^2`` counts *all* ordered pairs, and the
    dimension is ``log(C(r2) / C(r1)) / log(r2 / r1)`` (Grassberger & Procaccia 1983 with two radii).

    Pairs are counted from the kNN graph for every point whose last graph neighbour lies at or
    beyond the radius, and exactly (float64, all points) for the others, so a graph with more than
    ``k2`` neighbours (:func:`intrinsic_dimension` uses ``2 * k2``) makes the count cheap.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points, without duplicate rows.
    k1, k2 : int, default=10, 20
        Neighbour ranks that set the two radii, ``1 <= k1 < k2``.
    knn : KNNGraph, optional
        A precomputed graph of ``x`` with at least ``k2`` neighbours.
    backend : str, default="auto"
        Neighbour backend when ``knn`` is not given.

    Returns
    -------
    dimension : float
        NaN with an :class:`~latentbench.exceptions.UndefinedMetricWarning` when ``r1 == r2``.

    References
    ----------
    P. Grassberger, I. Procaccia. Measuring the strangeness of strange attractors.
    Physica D 9, 189-208 (1983). H. Hino, ider: R package (2017).
    """
    x = check_array(x, "x")
    check_param(k1, "k1", low=1, integer=True)
    check_param(k2, "k2", low=k1 + 1, integer=True)
    x, knn, _ = _unit_scale(x, knn)  # the pair counts use squared distances
    if knn is None and len(x) > k2:
        knn = knn_graph(x, min(len(x) - 1, 2 * k2), backend=backend)
    _graph(x, knn, k2, backend, "corrint")  # checks the size and the graph
    g = knn  # all of its neighbours help the pair counts
    _no_duplicates(g, "corrint")
    return _corrint_from_graph(x, g, k1, k2)


def _corrint_from_graph(x: np.ndarray, g: KNNGraph, k1: int, k2: int) -> float:
    n = len(x)
    r1 = float(np.median(g.distances[:, k1 - 1]))
    r2 = float(np.median(g.distances[:, k2 - 1]))
    if not r2 > r1:
        return _undefined("corrint: the k1-th and k2-th neighbour radii are equal")
    s1, s2 = _count_pairs_below(x, g, (r1, r2))
    c1, c2 = s1 / n**2, s2 / n**2
    if c1 == 0:
        return _undefined("corrint: no pair closer than r1")
    return float((np.log(c2) - np.log(c1)) / np.log(r2 / r1))


def _count_pairs_below(x: np.ndarray, g: KNNGraph, radii: Sequence[float]) -> list[int]:
    """Exact numbers of ordered pairs ``i != j`` with ``d(i, j) < r``, for ascending radii."""
    radii = list(radii)
    last = g.distances[:, -1]
    r_max = radii[-1]
    covered = last >= r_max  # every neighbour closer than r_max is in the graph
    counts = [int(np.count_nonzero(g.distances[covered] < r)) for r in radii]
    rows = np.flatnonzero(~covered)
    if len(rows):
        xc = centered(x)
        sqn = np.einsum("ij,ij->i", xc, xc)
        err_sq, shift = expansion_band(xc, x)
        n = len(x)
        chunk = max(1, _CHUNK_VALUES // n)
        for s in range(0, len(rows), chunk):
            r = rows[s : s + chunk]
            d2 = sqn[r, None] + sqn[None, :] - 2.0 * (xc[r] @ xc.T)
            d2[np.arange(len(r)), r] = np.inf  # self
            for q, rad in enumerate(radii):
                t = rad * rad
                err = err_sq + 2.0 * rad * shift + shift * shift  # |expansion - exact^2| bound
                sure = int(np.count_nonzero(d2 < t - err))
                if int(np.count_nonzero(d2 <= t + err)) > sure:
                    # pairs within the expansion's rounding error of the radius: decide them exactly
                    amb_i, amb_j = np.nonzero(np.abs(d2 - t) <= err)
                    sure += int(np.count_nonzero(pair_distances(x, r[amb_i], amb_j) < rad))
                counts[q] += sure
    return counts


# --------------------------------------------------------------------------- Grassberger-Procaccia


def correlation_dimension(x: Any, *, n_max: int = 2000, window: tuple[float, float] = (1e-3, 1e-2),
                          n_radii: int = 16, ci: bool = True, n_rounds: int = 20, confidence: float = 0.95,
                          rng: Any) -> dict[str, Any]:
    """Correlation dimension (Grassberger & Procaccia 1983) from all pairwise distances of a subsample.

    ``C(r)`` is the fraction of *all* pairs of the subsample closer than ``r``, and the dimension is
    the least-squares slope of ``log C(r)`` against ``log r`` over the scaling window.

    Scaling window: ``r`` runs over ``n_radii`` log-spaced radii between the ``window[0]`` and
    ``window[1]`` quantiles of the pairwise distances, i.e. the window is where 0.1 % to 1 % of all
    pairs are closer than ``r`` by default. Why quantiles: they are properties of the distance
    distribution, not of the sample size, so subsamples of different sizes (for the CI) estimate
    the same slope; and a fixed fraction of pairs keeps the count statistics controlled. Why
    ``(1e-3, 1e-2)``: with ``n_max = 2000`` that is about 2 to 20 neighbours per point, the scales
    of TwoNN and MLE (k = 20), with 2,000 pairs at the smallest radius; larger fractions bend the
    curve through curvature, boundaries and the finite extent of the data (saturation), smaller
    ones are noise-dominated and have few pairs.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points.
    n_max : int, default=2000
        Size of the subsample (without replacement) whose ``n_max (n_max - 1) / 2`` pairwise
        distances are held in memory; all rows are used when ``n_samples <= n_max``. 2,000 points
        give two million pairs (16 MB) and take about 0.1 s. At most ``GP_MAX_SAMPLES``.
    window : (float, float), default=(1e-3, 1e-2)
        Quantiles of the pairwise distances bounding the scaling window, ``0 < lo < hi < 1``.
    n_radii : int, default=16
        Number of log-spaced radii in the window.
    ci : bool, default=True
        Also compute a confidence interval by :func:`subsample_ci` (half-size subsamples of the
        subsample, without replacement): the sampling variability of the slope at ``n_used``
        points, around the estimate; the slope's shift with the sample size is not in it.
    n_rounds : int, default=20
        Subsamples for the interval.
    confidence : float, default=0.95
        Confidence level.
    rng : int or numpy.random.Generator
        Source of the subsample draws (keyword-only, required).

    Returns
    -------
    result : dict
        ``dimension`` (float), ``ci_low``, ``ci_high`` (NaN without ``ci``), ``ci_method`` (how the
        interval was made, ``None`` without one), ``ci_shift`` (mean of the half-size estimates
        minus ``dimension``: how far the slope moves with the sample size), ``radii`` and ``C``
        (the curve on the window, arrays of shape (n_radii,); radii in the units of ``x``),
        ``n_used`` (points in the subsample). ``dimension`` is NaN with an
        :class:`~latentbench.exceptions.UndefinedMetricWarning` when the window is empty (constant
        points, or too many duplicates).

    Raises
    ------
    ResourceLimitError
        If ``n_max > GP_MAX_SAMPLES``.

    References
    ----------
    P. Grassberger, I. Procaccia. Characterization of strange attractors. PRL 50, 346 (1983).
    """
    from scipy.spatial.distance import pdist

    x = check_array(x, "x", min_rows=3)
    check_param(n_max, "n_max", low=3, integer=True)
    if n_max > GP_MAX_SAMPLES:
        raise ResourceLimitError(
            f"correlation_dimension holds all n_max^2/2 pairwise distances; n_max={n_max} exceeds the guard "
            f"of {GP_MAX_SAMPLES} ({GP_MAX_SAMPLES**2 * 4 / 1e9:.1f} GB); pass a smaller n_max"
        )
    lo, hi = window
    check_param(lo, "window[0]", low=0.0, high=1.0)
    check_param(hi, "window[1]", low=0.0, high=1.0)
    if not 0 < lo < hi < 1:
        raise InputValidationError(f"'window' must satisfy 0 < lo < hi < 1, got {window!r}")
    check_param(n_radii, "n_radii", low=2, integer=True)
    gen = check_rng(rng)
    if len(x) > n_max:
        x = x[np.sort(gen.choice(len(x), n_max, replace=False))]
    x, _, e = _unit_scale(x)  # pdist squares the coordinate differences

    def slope(pts: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        d = np.sort(pdist(pts))
        r_lo, r_hi = np.quantile(d, [lo, hi])
        if not r_lo > 0 or not r_hi > r_lo:
            return np.nan, np.full(n_radii, np.nan), np.full(n_radii, np.nan)
        radii = np.geomspace(r_lo, r_hi, n_radii)
        c = np.searchsorted(d, radii, side="left") / len(d)
        if c[0] == 0:
            return np.nan, radii, c
        lr, lc = np.log(radii), np.log(c)
        lr0 = lr - lr.mean()
        return float(lr0 @ (lc - lc.mean()) / (lr0 @ lr0)), radii, c

    dim, radii, c = slope(x)
    if not np.isfinite(dim):
        dim = _undefined("correlation_dimension: the scaling window is empty (duplicate or constant points)")
    out = {"dimension": dim, "ci_low": np.nan, "ci_high": np.nan, "ci_method": None, "ci_shift": np.nan,
           "radii": np.ldexp(radii, e), "C": c, "n_used": len(x)}
    if ci and np.isfinite(dim):
        res = subsample_ci(lambda p: slope(p)[0], x, m=len(x) // 2, n_rounds=n_rounds, confidence=confidence,
                           rng=gen, estimate=dim)
        out.update(ci_low=res.ci_low, ci_high=res.ci_high, ci_method=res.method, ci_shift=res.details["shift"])
    return out


# --------------------------------------------------------------------------- scale curve


def id_scale_curve(x: Any, *, method: str = "gride", max_rank: int = 64, knn: KNNGraph | None = None,
                   backend: str = "auto") -> dict[str, np.ndarray]:
    """The intrinsic dimension as the neighbourhood grows.

    With ``method="gride"``: for ``n1 = 1, 2, 4, ...`` and ``n2 = 2 n1 <= max_rank``, the ratio
    ``mu = r_{n2} / r_{n1}`` has density
    ``d (mu^d - 1)^(n2 - n1 - 1) / (B(n2 - n1, n1) mu^((n2 - 1) d + 1))`` (Denti et al. 2022) and the
    maximum-likelihood ``d`` is found by root finding; at ``n1 = 1`` it is TwoNN's MLE ``N / sum log mu``.
    With ``method="mle"``: Levina-Bickel MLE (inverse-averaged) at ``k = 4, 8, ..., max_rank``.

    Noise shows as an estimate that rises towards the ambient dimension at the smallest ranks;
    curvature, boundaries and the data's finite extent show as a drop at the largest. A plateau
    between them is the ID.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points, without duplicate rows.
    method : {"gride", "mle"}, default="gride"
    max_rank : int, default=64
        The largest neighbour rank used (``n_samples - 1`` at most).
    knn : KNNGraph, optional
        A precomputed graph of ``x`` with at least ``max_rank`` neighbours.
    backend : str, default="auto"
        Neighbour backend when ``knn`` is not given.

    Returns
    -------
    curve : dict of ndarrays, all of shape (n_scales,)
        ``rank`` (``n1`` for Gride, ``k`` for MLE), ``dimension``, ``error`` (Gride: 1 / sqrt of the
        observed Fisher information; MLE: NaN), ``radius`` (median distance to the farthest
        neighbour used, the scale in the data's units). Empty, with an
        :class:`~latentbench.exceptions.UndefinedMetricWarning`, for fewer than 3 points.

    References
    ----------
    F. Denti, D. Doimo, A. Laio, A. Mira. The generalized ratios intrinsic dimension estimator.
    Scientific Reports 12, 20005 (2022).
    """
    x = check_array(x, "x")
    check_param(method, "method", options=("gride", "mle"))
    check_param(max_rank, "max_rank", low=2, integer=True)
    if len(x) < 3:
        _undefined(f"id_scale_curve: {len(x)} points, at least 3 are needed (constant codes have one distinct row)")
        return {key: np.empty(0) for key in ("rank", "dimension", "error", "radius")}
    max_rank = min(max_rank, len(x) - 1)
    g = _graph(x, knn, max_rank, backend, "id_scale_curve")
    _no_duplicates(g, "id_scale_curve")
    ranks, dims, errs, rads = [], [], [], []
    if method == "gride":
        n1 = 1
        while 2 * n1 <= max_rank:
            d, e = _gride(g.distances[:, n1 - 1], g.distances[:, 2 * n1 - 1], n1, 2 * n1)
            ranks.append(n1), dims.append(d), errs.append(e)
            rads.append(float(np.median(g.distances[:, 2 * n1 - 1])))
            n1 *= 2
    else:
        k = 4
        while k <= max_rank:
            ranks.append(k), dims.append(_mle_from_graph(g.truncate(k))[0]), errs.append(np.nan)
            rads.append(float(np.median(g.distances[:, k - 1])))
            k *= 2
    return {"rank": np.array(ranks), "dimension": np.array(dims), "error": np.array(errs), "radius": np.array(rads)}


def _gride(r_n1: np.ndarray, r_n2: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    from scipy.optimize import brentq

    log_mu = np.log(r_n2 / r_n1)
    log_mu = log_mu[log_mu > 0]  # equal distances carry no information on d
    n = len(log_mu)
    if n < 2:
        return np.nan, np.nan
    s = float(log_mu.sum())
    a = n2 - n1 - 1
    if a == 0:
        d = n / s
        return d, d / np.sqrt(n)

    def score(d: float) -> float:  # derivative of the log-likelihood, decreasing in d
        return n / d + a * float(np.sum(log_mu / -np.expm1(-d * log_mu))) - (n2 - 1) * s

    lo, hi = 1e-6, 1.0
    while score(hi) > 0:
        hi *= 2.0
        if hi > 1e6:
            return np.nan, np.nan
    d = brentq(score, lo, hi, xtol=1e-12, rtol=1e-12)
    info = n / d**2 + a * float(np.sum((log_mu / (2.0 * np.sinh(d * log_mu / 2.0))) ** 2))
    return float(d), float(1.0 / np.sqrt(info))


# --------------------------------------------------------------------------- all at once


def intrinsic_dimension(x: Any, *, estimators: Sequence[str] = ("twonn", "mle", "corrint"),
                        knn: KNNGraph | None = None, k: int = 20, k1: int = 10, k2: int = 20,
                        discard_fraction: float = 0.1, dedup: bool = True, backend: str = "auto",
                        correlation_kwargs: Mapping[str, Any] | None = None, rng: Any = None) -> dict[str, float]:
    """Several intrinsic-dimension estimates from one shared kNN graph.

    Parameters
    ----------
    x : array-like or torch.Tensor of shape (n_samples, n_features)
        The points (a model's latent codes, or the inputs).
    estimators : sequence of str, default=("twonn", "mle", "corrint")
        Any of ``ESTIMATORS``: ``"twonn"`` (:func:`twonn`), ``"mle"`` (:func:`mle`, ``k``),
        ``"corrint"`` (:func:`corrint`, ``k1``, ``k2``), ``"correlation"``
        (:func:`correlation_dimension`, which uses its own subsample and adds
        ``correlation_ci_low`` / ``correlation_ci_high``).
    knn : KNNGraph, optional
        A precomputed graph of the distinct rows of ``x`` (of ``x`` itself when it has no
        duplicates). Built here otherwise with ``max(k, 2 * k2)`` neighbours (the extra neighbours
        let CorrInt count its pairs from the graph).
    k : int, default=20
        MLE neighbours.
    k1, k2 : int, default=10, 20
        CorrInt neighbour ranks.
    discard_fraction : float, default=0.1
        TwoNN's discarded fraction.
    dedup : bool, default=True
        Drop exact duplicate rows first (the package policy). With ``False``, duplicates raise.
    backend : str, default="auto"
        Neighbour backend.
    correlation_kwargs : mapping, optional
        Keyword arguments for :func:`correlation_dimension`.
    rng : int or numpy.random.Generator, optional
        Required with the ``"correlation"`` estimator (its subsample and interval draws).

    Returns
    -------
    result : dict of str to float
        One entry per estimator, plus ``n_samples`` (rows given), ``n_unique`` (rows used) and
        ``n_duplicates`` (rows dropped). Estimates are NaN, with an
        :class:`~latentbench.exceptions.UndefinedMetricWarning`, when fewer distinct points remain
        than an estimator needs (for example constant latents).
    """
    x = check_array(x, "x")
    est = [estimators] if isinstance(estimators, str) else list(estimators)
    for e in est:
        check_param(e, "estimators", options=ESTIMATORS)
    if not est:
        raise InputValidationError("'estimators' must name at least one estimator")
    check_param(k, "k", low=2, integer=True)
    check_param(k1, "k1", low=1, integer=True)
    check_param(k2, "k2", low=k1 + 1, integer=True)
    check_param(discard_fraction, "discard_fraction", low=0.0, high=1.0)
    n_samples = len(x)
    n_dup = 0
    if dedup:
        x, _, n_dup = drop_duplicates(x)
    out: dict[str, float] = {"n_samples": n_samples, "n_unique": len(x), "n_duplicates": n_dup}
    need = max([2] + [k for e in est if e == "mle"] + [k2 for e in est if e == "corrint"])
    if len(x) < need + 1:
        for e in est:
            out[e] = _undefined(f"intrinsic_dimension: {len(x)} distinct points, {e} needs at least {need + 1}")
            if e == "correlation":
                out["correlation_ci_low"] = out["correlation_ci_high"] = np.nan
        return out
    graph_est = [e for e in est if e != "correlation"]
    if n_dup and isinstance(knn, KNNGraph) and knn.n_samples == n_samples:
        raise InputValidationError(
            f"'knn' was built on all {n_samples} rows, but x has {n_dup} duplicate rows that are dropped before "
            "estimation; build the graph on drop_duplicates(x)[0]"
        )
    x, knn, _ = _unit_scale(x, knn)  # CorrInt's pair counts use squared distances
    if graph_est:
        if knn is None:
            k_graph = max(need, 2 * k2) if "corrint" in est else need
            knn = knn_graph(x, min(len(x) - 1, k_graph), backend=backend)
        _graph(x, knn, need, backend, "intrinsic_dimension")  # checks the size and the graph
        g = knn  # all of its neighbours help CorrInt's pair counts
        _no_duplicates(g, "intrinsic_dimension")
        for e in graph_est:
            if e == "twonn":
                out[e] = _twonn_from_graph(g.truncate(2), discard_fraction)
            elif e == "mle":
                out[e] = _mle_from_graph(g.truncate(k))[0]
            elif e == "corrint":
                out[e] = _corrint_from_graph(x, g, k1, k2)
    if "correlation" in est:
        if rng is None:
            raise InputValidationError("intrinsic_dimension: the 'correlation' estimator draws subsamples; pass rng (an int seed "
                                       "or a numpy Generator)")
        res = correlation_dimension(x, rng=rng, **dict(correlation_kwargs or {}))
        out["correlation"] = res["dimension"]
        out["correlation_ci_low"], out["correlation_ci_high"] = res["ci_low"], res["ci_high"]
    return {key: out[key] for key in [*est, *(k_ for k_ in out if k_ not in est)]}


# --------------------------------------------------------------------------- subsampling CIs


def _undefined(msg: str) -> float:
    warnings.warn(msg + "; returning NaN", UndefinedMetricWarning, stacklevel=3)
    return float("nan")
