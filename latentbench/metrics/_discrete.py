"""Discrete building blocks shared by the disentanglement metrics.

* histogram discretisation of latent dimensions, bit-for-bit the bins that
  ``np.digitize(c, np.histogram(c, n_bins)[1][:-1])`` gives (disentanglement_lib's
  ``_histogram_discretize``), in NumPy and in torch;
* the matrix of discrete mutual informations between every discretised latent and every factor,
  from joint histograms built with one ``bincount`` per chunk of rows (all pairs at once);
* factor validation and re-coding, entropies, and the row groups "factor ``k`` equals ``v``" used
  to sample observations with one factor fixed.

Everything here is private to :mod:`latentbench.metrics`; the public functions live in
:mod:`latentbench.metrics.disentanglement`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from ..validation import check_array, is_tensor

__all__ = [
    "FactorGroups",
    "as_factors",
    "check_factors",
    "entropy_from_counts",
    "histogram_bins",
    "histogram_bins_torch",
    "histogram_edges",
    "histogram_mutual_info",
    "mutual_info_matrix_torch",
    "factors_to_torch",
]

#: Largest number of int64 indices materialised at once when building joint histograms.
_CHUNK_ELEMENTS = 1 << 22


# --------------------------------------------------------------------------------------- factors
def check_factors(factors: Any, name: str = "factors") -> np.ndarray:
    """Validate integer factors ``(n_samples, n_factors)``; return them as int64 (values unchanged).

    Integer and boolean arrays are accepted, and floating arrays whose values are all integers.
    """
    arr = check_array(factors, name, ndim=2, dtype=None)
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise InputValidationError(
                f"{name} must hold integer factor values (discrete classes), got non-integral floats"
            )
        return arr.astype(np.int64)
    if arr.dtype.kind in "biu":
        return arr.astype(np.int64, copy=False)
    raise InputValidationError(f"{name} must hold integer factor values, got dtype {arr.dtype}")


def as_factors(factors: Any, name: str = "factors") -> tuple[np.ndarray, np.ndarray]:
    """Validate integer factors and re-code every column to ``0 .. size - 1``.

    Parameters
    ----------
    factors : array-like or torch.Tensor of shape (n_samples, n_factors)
        Integer (or boolean, or integral float) factor values.
    name : str
        The argument's name for error messages.

    Returns
    -------
    codes : ndarray of int64, shape (n_samples, n_factors)
        A Fortran-ordered array (contiguous columns). Column ``k`` holds
        ``factors[:, k] - factors[:, k].min()`` when that range is small, otherwise the rank of
        the value among the column's distinct values. Values absent from the sample leave empty
        classes, which change no entropy or mutual information.
    sizes : ndarray of int64, shape (n_factors,)
        The number of classes of each re-coded column (``codes[:, k].max() + 1``).
    """
    arr = check_factors(factors, name)
    n = arr.shape[0]
    codes_t = np.array(arr.T, dtype=np.int64, order="C")  # factor-major: contiguous columns
    sizes = np.empty(arr.shape[1], dtype=np.int64)
    for k in range(arr.shape[1]):
        col = codes_t[k]
        lo, hi = int(col.min()), int(col.max())
        if hi - lo < 2 * n + 64:
            if lo != 0:
                col -= lo
            sizes[k] = hi - lo + 1
        else:
            uniq, inv = np.unique(col, return_inverse=True)
            col[:] = inv.reshape(-1)
            sizes[k] = len(uniq)
    return codes_t.T, sizes


def entropy_from_counts(counts: np.ndarray) -> float:
    """Entropy in nats of the empirical distribution with the given class counts (zeros allowed)."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum()
    nz = counts[counts > 0]
    if nz.size <= 1:
        return 0.0
    return float(max(np.log(n) - np.dot(nz, np.log(nz)) / n, 0.0))


@dataclass(frozen=True)
class FactorGroups:
    """Row groups ``{i : factors[i, k] == v}`` for every factor ``k`` and value ``v``.

    ``order[k]`` lists the rows sorted by factor ``k``; the rows with value ``v`` are
    ``order[k][start[k][v] : start[k][v] + count[k][v]]``.
    """

    order: tuple[np.ndarray, ...]
    start: tuple[np.ndarray, ...]
    count: tuple[np.ndarray, ...]

    @classmethod
    def build(cls, codes: np.ndarray, sizes: np.ndarray) -> FactorGroups:
        order, start, count = [], [], []
        for k in range(codes.shape[1]):
            col = codes[:, k]
            order.append(np.argsort(col, kind="stable"))
            c = np.bincount(col, minlength=int(sizes[k]))
            count.append(c)
            start.append(np.concatenate(([0], np.cumsum(c)[:-1])))
        return cls(tuple(order), tuple(start), tuple(count))

    def sample_same(self, k: int, values: np.ndarray, n_per: int, rng: np.random.Generator) -> np.ndarray:
        """For each entry of ``values``, ``n_per`` rows drawn uniformly (with replacement) among the
        rows whose factor ``k`` equals that value; returns shape ``(len(values), n_per)``."""
        st = self.start[k][values]
        ct = self.count[k][values]
        off = np.floor(rng.random((len(values), n_per)) * ct[:, None]).astype(np.int64)
        np.minimum(off, ct[:, None] - 1, out=off)
        return self.order[k][st[:, None] + off]


# ------------------------------------------------------------------------------ discretisation
def _bin_edges(c: np.ndarray, n_bins: int, j: int) -> np.ndarray:
    """``np.histogram(c, n_bins)[1][:-1]``; an unusable range becomes an InputValidationError."""
    try:
        return np.histogram_bin_edges(c, n_bins)[:-1]
    except ValueError as exc:  # e.g. "Too many bins for data range" for a range of a few ulps
        raise InputValidationError(
            f"codes column {j} cannot be split into {n_bins} equal-width bins (range "
            f"[{c.min()!r}, {c.max()!r}]): {exc}"
        ) from None


def histogram_edges(lo: np.ndarray, hi: np.ndarray, n_bins: int) -> np.ndarray:
    """The lower edges ``np.histogram(c, n_bins)[1][:-1]`` of every column, from its min and max.

    NumPy's edges depend on a column only through its minimum and maximum (a constant column
    ``v`` gets the range ``[v - 0.5, v + 0.5]``), so they are computed here from those two values
    with ``np.histogram_bin_edges`` itself: the very same floats. Returns ``(n_latents, n_bins)``.
    """
    return np.stack([_bin_edges(np.array([lo[j], hi[j]]), n_bins, j) for j in range(len(lo))])


def _digitize_rows(
    xt: np.ndarray, tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], *, offset: bool = False
) -> np.ndarray:
    """0-based ``np.digitize(xt[j], edges[j]) - 1`` of every row ``j``; returns int64 ``(L, m)``.

    ``tables`` comes from :func:`_bin_setup`. Rows marked fast use an arithmetic guess
    ``g = trunc((x - lo) / width)`` and one correction against the exact edges,
    ``g - (x < e[g]) + (x >= e[g + 1])`` (with ``e[n_bins] = e[n_bins + 1] = +inf``); this is exact
    when the guess is within one bin of the answer, which holds when the bin width exceeds 1000
    ulps of the values' magnitude (edge and guess errors are then below 0.01 bin). Other rows use
    ``np.searchsorted``. With ``offset=True`` row ``j`` is returned plus ``j * n_bins`` (a bin
    index unique over all latents, which is what the joint histograms need).
    """
    edges, fast, inv_w, lo_tab, hi_tab = tables
    n_lat, m = xt.shape
    n_bins = edges.shape[1]
    y = xt - edges[:, :1]
    y *= inv_w[:, None]
    g = np.empty((n_lat, m), dtype=np.int64)
    np.copyto(g, y, casting="unsafe")  # truncation toward zero; 0 <= y <= n_bins (+ rounding)
    g += (np.arange(n_lat, dtype=np.int64) * (n_bins + 2))[:, None]
    down = xt < lo_tab.take(g)
    up = xt >= hi_tab.take(g)
    g -= down
    g += up
    g -= (np.arange(n_lat, dtype=np.int64) * (2 if offset else n_bins + 2))[:, None]
    for j in np.flatnonzero(~fast):
        g[j] = np.searchsorted(edges[j], xt[j], side="right") - 1 + (j * n_bins if offset else 0)
    return g


def histogram_bins(codes: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-width histogram bins of every column, as disentanglement_lib discretises latents.

    Column ``j`` gets the 0-based bin ``np.digitize(c, np.histogram(c, n_bins)[1][:-1]) - 1`` of
    ``c = codes[:, j]``: ``n_bins`` equal-width bins spanning ``[c.min(), c.max()]``, the maximum
    in the last bin. A constant column gets NumPy's edges ``[v - 0.5, v + 0.5]``, so all its values
    share one bin and it carries no information.

    Parameters
    ----------
    codes : ndarray of float64, shape (n_samples, n_latents)
    n_bins : int

    Returns
    -------
    bins : ndarray of int64, shape (n_latents, n_samples)
        Bin indices in ``0 .. n_bins - 1`` (latent-major).
    constant : ndarray of bool, shape (n_latents,)
        Constant columns (all their values fall into one bin).
    """
    tables, constant = _bin_setup(codes, n_bins)
    xt = np.ascontiguousarray(codes.T)
    return _digitize_rows(xt, tables), constant


def _column_min_max(codes: np.ndarray, block: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and maxima of a C-contiguous ``(n, L)`` array, reducing ``block`` rows at a
    time as one long row (a plain ``min(axis=0)`` has a slow inner loop of length ``L``)."""
    n, n_lat = codes.shape
    head = (n // block) * block
    if head == 0 or not codes.flags.c_contiguous:
        return codes.min(axis=0), codes.max(axis=0)
    wide = codes[:head].reshape(-1, block * n_lat)
    lo = wide.min(axis=0).reshape(block, n_lat).min(axis=0)
    hi = wide.max(axis=0).reshape(block, n_lat).max(axis=0)
    if head < n:
        lo = np.minimum(lo, codes[head:].min(axis=0))
        hi = np.maximum(hi, codes[head:].max(axis=0))
    return lo, hi


def _bin_setup(codes: np.ndarray, n_bins: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Bin edges and lookup tables for :func:`_digitize_rows`, and the constant-column mask."""
    lo, hi = _column_min_max(codes)
    edges = histogram_edges(lo, hi, n_bins)
    constant = lo == hi
    n_lat = codes.shape[1]
    if n_bins > 1:
        width = (edges[:, -1] - edges[:, 0]) / (n_bins - 1)
        mag = np.maximum(np.abs(edges[:, 0]), np.abs(edges[:, -1]) + width)
        fast = np.isfinite(width) & (width > 1000.0 * np.spacing(mag))
        inv_w = np.where(fast, 1.0 / np.where(fast, width, 1.0), 0.0)
    else:
        fast = np.zeros(n_lat, dtype=bool)
        inv_w = np.zeros(n_lat)
    ext = np.concatenate([edges, np.full((n_lat, 3), np.inf)], axis=1)  # e[0..B-1], inf, inf, inf
    lo_tab = np.ascontiguousarray(ext[:, : n_bins + 2]).ravel()  # e[g]
    hi_tab = np.ascontiguousarray(ext[:, 1 : n_bins + 3]).ravel()  # e[g + 1]
    return (edges, fast, inv_w, lo_tab, hi_tab), constant


def histogram_bins_torch(codes: Any, n_bins: int) -> tuple[Any, Any]:
    """Torch version of :func:`histogram_bins` for a float64 tensor on any device.

    The per-column minimum and maximum are computed on the device; the bin edges are computed
    on the CPU with ``np.histogram_bin_edges`` (so they are the very same floats) and copied
    back; ``torch.searchsorted(..., right=True)`` then reproduces ``np.digitize``.
    """
    import torch

    n, n_lat = codes.shape
    lo = codes.min(dim=0).values.cpu().numpy()
    hi = codes.max(dim=0).values.cpu().numpy()
    edges = np.stack([_bin_edges(np.array([lo[j], hi[j]]), n_bins, j) for j in range(n_lat)])
    edges_t = torch.as_tensor(edges, dtype=codes.dtype, device=codes.device).contiguous()
    bins = torch.searchsorted(edges_t, codes.T.contiguous(), right=True) - 1  # (n_latents, n)
    constant = lo == hi
    return bins, constant


# ------------------------------------------------------------------------- mutual information
def _mi_from_joint(joint: np.ndarray, n: int) -> np.ndarray:
    """Mutual information (nats) of each slice ``joint[l]`` of shape ``(n_bins, size)``."""
    j = joint.astype(np.float64)
    a = j.sum(axis=2)  # (L, B) latent-bin counts
    b = j.sum(axis=1)  # (L, K) factor counts (the same in every row)

    def xlogx(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        out = np.zeros_like(x)
        pos = x > 0
        out[pos] = x[pos] * np.log(x[pos])
        return out.sum(axis=axes)

    mi = (xlogx(j, (1, 2)) - xlogx(a, (1,)) - xlogx(b, (1,)) + n * np.log(n)) / n
    mi = np.maximum(mi, 0.0)
    # sklearn's mutual_info_score returns exactly 0 when either labelling has a single class.
    single = ((a > 0).sum(axis=1) <= 1) | ((b > 0).sum(axis=1) <= 1)
    mi[single] = 0.0
    return mi


#: Largest joint-count array (entries) filled by one bincount pass.
_MAX_COUNTS = 1 << 24


def _plan(n_lat: int, n_bins: int, sizes: np.ndarray) -> list[tuple[slice, list[int]]]:
    """Split the (latent, factor) pairs into passes whose joint-count arrays stay bounded."""
    plan: list[tuple[slice, list[int]]] = []
    group: list[int] = []
    k_sum = 0
    for k, size in enumerate(int(s) for s in sizes):
        if n_lat * n_bins * size > _MAX_COUNTS:  # a factor with very many classes: latents in chunks
            step = max(1, _MAX_COUNTS // (n_bins * size))
            plan.extend((slice(a, min(a + step, n_lat)), [k]) for a in range(0, n_lat, step))
            continue
        if group and n_lat * n_bins * (k_sum + size) > _MAX_COUNTS:
            plan.append((slice(0, n_lat), group))
            group, k_sum = [], 0
        group.append(k)
        k_sum += size
    if group:
        plan.append((slice(0, n_lat), group))
    return plan


def _mi_from_counts(counts: np.ndarray, n_bins: int, sizes: list[int], n: int) -> np.ndarray:
    """Split joint counts ``(n_latents, n_bins, sum(sizes))`` per factor; MI of each, ``(n_latents, n_factors)``."""
    out = np.empty((counts.shape[0], len(sizes)))
    o = 0
    for i, size in enumerate(sizes):
        out[:, i] = _mi_from_joint(counts[:, :, o : o + size], n)
        o += size
    return out


def histogram_mutual_info(
    codes: np.ndarray, n_bins: int, factors: np.ndarray, sizes: np.ndarray, *, chunk_rows: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Discrete mutual information (nats) between every histogram-binned latent and every factor.

    For every pair equal (to rounding) to ``sklearn.metrics.mutual_info_score(factors[:, k],
    np.digitize(c, np.histogram(c, n_bins)[1][:-1]))`` with ``c = codes[:, l]``. Rows are
    processed in cache-sized chunks: each chunk is transposed, binned (:func:`_digitize_rows`)
    and counted with one ``np.bincount`` over the combined index
    ``(l * n_bins + bin) * sum(sizes) + offset_k + value``, which fills the joint histograms of
    all (latent, factor) pairs at once (factors with very many classes get passes of their own so
    that the count array stays below ``2**24`` entries). The mutual information of each joint
    histogram ``n_ij`` with margins ``a_i``, ``b_j`` is
    ``(sum n_ij log n_ij - sum a_i log a_i - sum b_j log b_j + n log n) / n``.

    Parameters
    ----------
    codes : ndarray of float64, shape (n_samples, n_latents)
    n_bins : int
    factors : ndarray of int64, shape (n_samples, n_factors)
        Re-coded factors (see :func:`as_factors`).
    sizes : ndarray of int64, shape (n_factors,)
    chunk_rows : int, default=4096

    Returns
    -------
    mi : ndarray of float64, shape (n_latents, n_factors)
    constant : ndarray of bool, shape (n_latents,)
        Constant latents (one bin, so their mutual information is exactly 0).
    """
    n, n_lat = codes.shape
    tables, constant = _bin_setup(codes, n_bins)
    mi = np.empty((n_lat, factors.shape[1]))
    fac_t = np.ascontiguousarray(factors.T)  # (F, n)
    for lat, facs in _plan(n_lat, n_bins, sizes):
        sz = [int(sizes[k]) for k in facs]
        k_tot = int(sum(sz))
        lat_idx = np.arange(n_lat)[lat]
        m_lat = len(lat_idx)
        total = m_lat * n_bins * k_tot
        counts = np.zeros(total, dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(sz)[:-1])).astype(np.int64)[:, None]
        fo_all = fac_t[facs] + offsets  # (F', n)
        sub = codes if m_lat == n_lat else codes[:, lat_idx]
        tabs = tables if m_lat == n_lat else _bin_setup(sub, n_bins)[0]
        for s in range(0, n, chunk_rows):
            xt = np.ascontiguousarray(sub[s : s + chunk_rows].T)
            lb = _digitize_rows(xt, tabs, offset=True)  # (L', m): l * n_bins + bin
            lb *= k_tot
            idx = lb[:, None, :] + fo_all[None, :, s : s + chunk_rows]
            counts += np.bincount(idx.ravel(), minlength=total)
        mi[lat_idx[:, None], np.asarray(facs)[None, :]] = _mi_from_counts(
            counts.reshape(m_lat, n_bins, k_tot), n_bins, sz, n
        )
    return mi, constant


def mutual_info_matrix_torch(bins: Any, n_bins: int, factors: Any, sizes: np.ndarray) -> np.ndarray:
    """Torch version of :func:`mutual_info_matrix`.

    ``bins`` is the ``(n_latents, n_samples)`` output of :func:`histogram_bins_torch` and
    ``factors`` an int64 ``(n_samples, n_factors)`` tensor on the same device. Joint counts are
    accumulated with ``torch.bincount`` over row chunks on the device; the small count arrays are
    then moved to the CPU and finished by the same code as the NumPy path.
    """
    import torch

    n_lat, n = bins.shape
    dev = bins.device
    mi = np.empty((n_lat, factors.shape[1]))
    fac_t = np.ascontiguousarray(factors.T)  # (F, n)
    for lat, facs in _plan(n_lat, n_bins, sizes):
        sz = [int(sizes[k]) for k in facs]
        offsets = torch.as_tensor(np.concatenate(([0], np.cumsum(sz)[:-1])).astype(np.int64), device=dev)
        k_tot = int(sum(sz))
        b = bins[lat]
        f = factors[:, facs]
        m_lat = b.shape[0]
        total = m_lat * n_bins * k_tot
        counts = torch.zeros(total, dtype=torch.int64, device=dev)
        lat_base = (torch.arange(m_lat, device=dev, dtype=torch.int64) * n_bins)[:, None]
        step = max(1, (_CHUNK_ELEMENTS * 4) // (m_lat * len(facs)))
        for s in range(0, n, step):
            lb = (b[:, s : s + step] + lat_base) * k_tot  # (L, m)
            fo = (f[s : s + step] + offsets).T  # (F, m)
            idx = lb[:, None, :] + fo[None, :, :]
            counts += torch.bincount(idx.reshape(-1), minlength=total)
        counts_np = counts.cpu().numpy().reshape(m_lat, n_bins, k_tot)
        mi[lat][:, facs] = _mi_from_counts(counts_np, n_bins, sz, n)
    return mi


def factors_to_torch(factors: Any, device: Any, name: str = "factors") -> tuple[Any, np.ndarray]:
    """Validate factors and return them re-coded as an int64 tensor on ``device`` (see :func:`as_factors`).

    A CUDA tensor is validated and re-coded on its device (no copy of the rows to the host).
    """
    import torch

    if is_tensor(factors) and factors.device.type != "cpu":
        f = factors
        if f.ndim != 2:
            raise InputValidationError(f"{name} must be 2-D, got shape {tuple(f.shape)}")
        if f.is_floating_point():
            if not bool(torch.isfinite(f).all()) or not bool((f == torch.round(f)).all()):
                raise InputValidationError(f"{name} must hold finite integer factor values")
        elif f.dtype.is_complex:
            raise InputValidationError(f"{name} must hold integer factor values, got dtype {f.dtype}")
        f = f.to(torch.int64)
        n = f.shape[0]
        cols, sizes = [], []
        for k in range(f.shape[1]):
            col = f[:, k]
            lo, hi = int(col.min()), int(col.max())
            if hi - lo < 2 * n + 64:
                cols.append(col - lo)
                sizes.append(hi - lo + 1)
            else:
                uniq, inv = torch.unique(col, return_inverse=True)
                cols.append(inv)
                sizes.append(len(uniq))
        return torch.stack(cols, dim=1).to(device), np.asarray(sizes, dtype=np.int64)
    codes, sizes = as_factors(factors, name)
    return torch.as_tensor(codes, device=device), sizes
