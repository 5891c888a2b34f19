"""Supervised disentanglement metrics: pure functions of latent codes and ground-truth factors.

Conventions
-----------
* ``codes`` are ``(n_samples, n_latents)`` floats (posterior means, usually) and ``factors`` are
  integer ``(n_samples, n_factors)`` class labels, **sample-major** (disentanglement_lib, "DL"
  below, stores both transposed). NumPy arrays and torch tensors are accepted; codes are cast to
  float64.
* Every public function returns a ``dict``: the main score under the metric's name (higher is
  better for every ``*_score``), its parts (per-factor values as lists, matrices as nested lists)
  and the sizes and parameters used. The only non-float entry is the optional per-example
  correctness array of :func:`dci_score` (``return_correct=True``), meant for
  :func:`bootstrap_accuracy` rather than for storage.
* Randomness comes only from an explicit ``rng: numpy.random.Generator`` argument; functions
  without one are deterministic.
* A degenerate input warns. An *undefined* part (a factor with a single value in the sample) is
  excluded with an :class:`~latentbench.exceptions.UndefinedMetricWarning` (NaN in the per-factor
  lists), and a score with nothing left to average is NaN. A *collapsed* representation (every
  latent dimension constant, or for the FactorVAE score every dimension pruned) gives NaN with an
  :class:`~latentbench.exceptions.UndefinedMetricWarning` in every metric, never a number: DL's
  formulas give it 0 for MIG, SAP, D, C and modularity, chance-level accuracies and AUC 0.5, values
  that a leaderboard would rank (and that a noise code also gets) although nothing was measured.
  A single constant dimension is not degenerate (a partly collapsed code is an ordinary code).
* Scale: MIG (histogram), modularity, DCI, SAP with ``classifier="threshold"`` and explicitness
  are invariant to rescaling each latent dimension, and compute on every dimension divided by a
  power of two (:mod:`~latentbench.metrics.scaling`; exact, so ordinary codes give the very same
  numbers): codes at 1e-300 (whose squares underflow, and which scikit-learn's trees round to 0 in
  float32) or at 1e200 score what the same codes at unit scale score. SAP with DL's ``LinearSVC``,
  the beta-VAE score (a regularised logistic regression on code differences), the FactorVAE score
  (an absolute pruning threshold) and the sampled MIG (posterior variances) depend on the codes'
  scale by their definitions, as in DL, and are not rescaled.

The metrics
-----------
:func:`mig_score`
    Mutual Information Gap (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs"),
    DL's histogram estimator, vectorised (same value as DL to ~1e-15).
:func:`mig_sampled_score`
    MIG with Chen et al.'s own estimator: entropies of the aggregate posterior by Monte-Carlo.
:func:`dci_score`
    Disentanglement, completeness and informativeness (Eastwood & Williams 2018).
:func:`sap_score`
    Separated Attribute Predictability (Kumar et al. 2018), DL's discrete-factor variant.
:func:`factor_vae_score`
    The FactorVAE metric (Kim & Mnih 2018).
:func:`beta_vae_score`
    The beta-VAE metric (Higgins et al. 2017).
:func:`modularity_score`, :func:`explicitness_score`
    Ridgeway & Mozer 2018.
:func:`bootstrap_accuracy`
    Confidence interval of an accuracy from per-example correctness (no refitting).

Observations with one factor fixed
----------------------------------
DL's FactorVAE and beta-VAE metrics render new observations with one factor fixed. Here they
work from the arrays the caller already has, ``codes`` and ``factors`` of a (sub)sample of a
factorial grid: "factor ``k`` fixed at ``v``" means rows drawn uniformly, with replacement, among
the rows whose factor ``k`` equals ``v`` (the value itself being the factor of a uniformly drawn
row, as in DL). On the full grid this is exactly DL's sampling; on a random subsample the other
factors are sampled from the subsample's conditional distribution. It works for precomputed
latents and for any subset of the grid, provided every value of every factor has a reasonable
number of rows (a value seen once gives batches of one repeated row).

Identical observations with different labels
--------------------------------------------
In the ``shapes`` dataset the square repeats every 90 degrees of orientation (10 of the 40
orientation steps) and the ellipse every 180 degrees (20 steps): orientation labels ``k`` and
``k + 10`` (square) or ``k + 20`` (ellipse) give identical images, and a deterministic encoder
gives them identical codes. No metric can separate them; what it costs each one:

* MIG (both estimators), modularity: ``I(z; orientation) <= I(x; orientation) = H(orientation) -
  H(orientation | x)``. With the three shapes equally frequent and uniform orientations,
  ``H(orientation | x) = (log 4 + log 2 + 0) / 3 = log 2``, so the attainable normalised MI of
  orientation is ``log 20 / log 40 = 0.812`` (0.812 is also what 20 histogram bins allow a
  perfect orientation code on 40 values). A latent that encodes orientation modulo the symmetry
  also carries information about the shape (its range depends on the shape), which lowers the
  shape factor's gap and the latent's modularity.
* Classifiers (DCI informativeness, SAP, explicitness): irreducible error on orientation; the
  Bayes accuracy from the image is ``(1/4 + 1/2 + 1) / 3 = 7/12 = 0.583``. Explicitness (AUC) is
  capped below 1 likewise.
* FactorVAE and beta-VAE scores: unaffected in expectation (fixing the orientation label fixes
  the image's orientation; only which factor was fixed is predicted).

Read orientation scores with this in mind, or relabel orientation modulo its symmetry period
per shape before calling the metrics.

Differences from disentanglement_lib
------------------------------------
* Sample-major arrays; observations with a factor fixed are drawn from the given rows (above).
* Factors with a single value are excluded with a warning (DL divides by a zero entropy, or
  crashes in the classifiers, or lets them vote in FactorVAE / beta-VAE as if they were fixed).
* MIG needs 2 latent dimensions (DL indexes the second-best latent); DCI with one factor (or one
  latent) gives D (or C) = 1 where DL divides by ``log 1``.
* DCI fits its classifiers on the latents in a canonical order, so it is exactly invariant to a
  permutation of the latent dimensions; ``predictor="lasso"`` is a faster option not in DL (L1
  logistic regression, ``|coef|`` importances). Classifiers get seeds from ``rng`` (GBT) or a
  fixed ``random_state``, and ``max_iter=1000`` for lbfgs (beta-VAE, explicitness) where DL kept
  the library defaults.
* SAP offers ``classifier="threshold"`` besides DL's ``LinearSVC``.
* Explicitness uses the fitted classifier's classes for the one-vs-rest AUCs (DL binarises the
  test labels on their own, which misaligns columns when a class is missing from the test set),
  and leaves constant dimensions unscaled (DL divides by their zero standard deviation).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..constants import LOG_2PI
from ..exceptions import InputValidationError, UndefinedMetricWarning
from ..stats import Estimate, percentile_estimate, resample_weights
from ..validation import check_array, check_consistent_length, check_param, check_rng, check_tensor, is_tensor
from . import _discrete as D
from .likelihood import MAX_ABS_LOGVAR
from ._convention import score_function
from .scaling import rescale_exponent

__all__ = [
    "beta_vae_score",
    "bootstrap_accuracy",
    "dci_score",
    "explicitness_score",
    "factor_vae_score",
    "mig_sampled_score",
    "mig_score",
    "modularity_score",
    "sap_score",
]


# ----------------------------------------------------------------------------------- helpers
def _seed(rng: Any) -> int:
    """A 31-bit seed for a scikit-learn estimator, drawn from ``rng``."""
    return int(rng.integers(0, 2**31 - 1))


def _codes(x: Any, name: str, min_cols: int = 1) -> np.ndarray:
    return check_array(x, name, ndim=2, min_cols=min_cols)


def _pair(codes: Any, factors: Any, cname: str = "codes", fname: str = "factors", min_cols: int = 1):
    c = _codes(codes, cname, min_cols)
    f = D.check_factors(factors, fname)
    check_consistent_length(**{cname: c, fname: f})
    return c, f


def _train_test(codes_train, factors_train, codes_test, factors_test, min_cols: int = 1):
    ctr, ftr = _pair(codes_train, factors_train, "codes_train", "factors_train", min_cols)
    cte, fte = _pair(codes_test, factors_test, "codes_test", "factors_test", min_cols)
    if ctr.shape[1] != cte.shape[1]:
        raise InputValidationError(
            f"codes_train has {ctr.shape[1]} latent dimensions but codes_test has {cte.shape[1]}"
        )
    if ftr.shape[1] != fte.shape[1]:
        raise InputValidationError(
            f"factors_train has {ftr.shape[1]} factors but factors_test has {fte.shape[1]}"
        )
    return ctr, ftr, cte, fte


def _tolist(a: np.ndarray) -> list:
    return np.asarray(a, dtype=np.float64).tolist()


def _warn_single_valued(bad: list[int], metric: str) -> None:
    if bad:
        warnings.warn(
            f"{metric}: factor(s) {bad} take a single value in the sample (zero entropy); "
            "they are excluded (NaN in the per-factor lists)",
            UndefinedMetricWarning,
            stacklevel=3,
        )


def _nanmean_or_warn(values: np.ndarray, metric: str) -> float:
    ok = ~np.isnan(values)
    if not ok.any():
        warnings.warn(f"{metric}: no factor left to average; returning NaN", UndefinedMetricWarning, stacklevel=3)
        return float("nan")
    return float(values[ok].mean())


def _collapsed(codes: Any, metric: str) -> bool:
    """True, with an UndefinedMetricWarning, when every latent dimension is constant (a collapsed
    representation: the metric measures nothing and returns NaN)."""
    if codes.shape[0] > 0 and bool((codes == codes[:1]).all()):
        warnings.warn(f"{metric}: every latent dimension is constant (a collapsed representation); returning NaN",
                      UndefinedMetricWarning, stacklevel=3)
        return True
    return False


def _unit_columns(fit: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """``fit`` and ``others`` with each column divided by the power of two that brings ``fit``'s
    centred column to unit scale (exact; see :mod:`~latentbench.metrics.scaling`)."""
    e = rescale_exponent(fit, per_dimension=True)
    if not np.any(e):
        return (fit, *others)
    return tuple(np.ldexp(a, -e) for a in (fit, *others))


def _within_fit_range(fit: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``other`` clipped per column to one unit beyond ``fit``'s range: a tree's thresholds lie
    between fitted values, so its predictions are unchanged, and no value overflows the float32 the
    trees compute in (test codes a million times the training ones)."""
    return np.clip(other, fit.min(axis=0) - 1.0, fit.max(axis=0) + 1.0)


def _valid_factors(fac: np.ndarray, sizes: np.ndarray, metric: str) -> list[int]:
    """Factors with at least two values in the sample; warns about the others."""
    bad = [k for k in range(fac.shape[1]) if np.count_nonzero(np.bincount(fac[:, k], minlength=int(sizes[k]))) < 2]
    _warn_single_valued(bad, metric)
    return [k for k in range(fac.shape[1]) if k not in bad]


def _use_torch(codes: Any, backend: str) -> bool:
    check_param(backend, "backend", options=("auto", "numpy", "torch"))
    if backend == "auto":
        return is_tensor(codes) and codes.device.type != "cpu"
    return backend == "torch"


def _histogram_mi(codes: Any, factors: Any, n_bins: int, backend: str, min_cols: int) -> dict[str, Any]:
    """Validated histogram MI matrix, factor entropies and bookkeeping (shared by MIG and modularity)."""
    check_param(n_bins, "n_bins", low=1, integer=True)
    n_bins = int(n_bins)
    if _use_torch(codes, backend):
        import torch

        c = check_tensor(codes, "codes", ndim=2)
        c = torch.as_tensor(c).to(torch.float64)
        if c.shape[0] < 1 or c.shape[1] < min_cols:
            raise InputValidationError(f"codes needs at least 1 row and {min_cols} columns, got shape {tuple(c.shape)}")
        f, sizes = D.factors_to_torch(factors, c.device)
        check_consistent_length(codes=c, factors=f)
        e = rescale_exponent(c.detach().cpu().numpy(), per_dimension=True)  # exact per-column powers of two
        if np.any(e):
            c = torch.ldexp(c, torch.as_tensor(-e, device=c.device))
        bins, constant = D.histogram_bins_torch(c, n_bins)
        mi = D.mutual_info_matrix_torch(bins, n_bins, f, sizes)
        ent = np.array([
            D.entropy_from_counts(torch.bincount(f[:, k], minlength=int(sizes[k])).cpu().numpy())
            for k in range(f.shape[1])
        ])
        used = "torch"
    else:
        c = _codes(codes, "codes", min_cols)
        f, sizes = D.as_factors(factors)
        check_consistent_length(codes=c, factors=f)
        (c,) = _unit_columns(c)
        mi, constant = D.histogram_mutual_info(c, n_bins, f, sizes)
        ent = np.array([D.entropy_from_counts(np.bincount(f[:, k], minlength=int(sizes[k])))
                        for k in range(f.shape[1])])
        used = "numpy"
    return {"mi": mi, "entropy": ent, "constant": np.asarray(constant, dtype=bool), "n": int(c.shape[0]),
            "n_bins": n_bins, "backend": used}


# ------------------------------------------------------------------------------ MIG (histogram)
@score_function("mig")
def mig_score(codes: Any, factors: Any, *, n_bins: int = 20, backend: str = "auto", return_details: bool = False) -> float | dict[str, Any]:
    """Mutual Information Gap with disentanglement_lib's histogram estimator.

    Chen et al. 2018, "Isolating Sources of Disentanglement in Variational Autoencoders", as
    implemented in disentanglement_lib (``mig.py``): every latent dimension is discretised into
    ``n_bins`` equal-width bins over its observed range, exactly as
    ``np.digitize(c, np.histogram(c, n_bins)[1][:-1])``; the discrete mutual information (natural
    log, as ``sklearn.metrics.mutual_info_score``) between every discretised latent ``z_j`` and
    every factor ``v_k`` is computed, and

    ``MIG = mean_k (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k)``

    with ``z_(1)``, ``z_(2)`` the latents of largest and second-largest MI with ``v_k`` and
    ``H(v_k)`` the empirical entropy of the factor. The computation is vectorised (all joint
    histograms from one ``bincount`` per chunk of rows) and agrees with DL's loops to ~1e-15.

    Parameters
    ----------
    codes : array-like or torch.Tensor of shape (n_samples, n_latents)
        Latent codes (posterior means); at least 2 latent dimensions. Cast to float64.
    factors : array-like or torch.Tensor of shape (n_samples, n_factors)
        Integer ground-truth factors.
    n_bins : int, default=20
        Histogram bins per latent dimension (DL's ``discretizer.num_bins``).
    backend : {"auto", "numpy", "torch"}, default="auto"
        ``"auto"`` uses torch for tensors on an accelerator (``torch.bincount`` on the device) and
        NumPy otherwise (NumPy is faster than torch on the CPU). Both give the same value.

    Returns
    -------
    dict
        ``mig`` (float), ``mig_per_factor`` (list, NaN for excluded factors), ``mutual_info``
        (n_latents x n_factors nested list, nats), ``factor_entropy`` (list, nats),
        ``top_latent`` (list of the best latent per factor, -1 when excluded),
        ``n_constant_latents``, ``n``, ``n_bins``, ``estimator`` (``"histogram"``), ``backend``.

    Notes
    -----
    * A constant latent dimension: NumPy's histogram of a constant ``v`` spans ``[v - 0.5,
      v + 0.5]``, so all its values fall in one bin and its MI with every factor is exactly 0 (as
      in DL, where ``mutual_info_score`` returns 0 for a single cluster).
    * All latent dimensions constant: every MI is 0 and so is every gap (DL's MIG 0.0); here MIG
      and the per-factor gaps are NaN with an :class:`UndefinedMetricWarning` (nothing was
      measured; see the module notes).
    * Invariant to rescaling each latent dimension (exactly: see the module notes).
    * A factor with a single value has zero entropy and an undefined normalised gap: it is
      excluded with an :class:`UndefinedMetricWarning`; with none left MIG is NaN.
    """
    del return_details  # applied by @score_function (the float, or every part)
    r = _histogram_mi(codes, factors, n_bins, backend, min_cols=2)
    out = _gap_summary(r["mi"], r["entropy"], "MIG")
    if r["constant"].all():
        warnings.warn("MIG: every latent dimension is constant (a collapsed representation); returning NaN",
                      UndefinedMetricWarning, stacklevel=2)
        out.update(mig=float("nan"), mig_per_factor=[float("nan")] * len(out["mig_per_factor"]))
    out.update(n_constant_latents=int(r["constant"].sum()), n=r["n"], n_bins=r["n_bins"],
               estimator="histogram", backend=r["backend"])
    return out


def _gap_summary(mi: np.ndarray, entropy: np.ndarray, metric: str, key: str = "mig") -> dict[str, Any]:
    """Per-factor normalised gap between the two largest MIs (``mi`` is n_latents x n_factors)."""
    n_fac = mi.shape[1]
    per = np.full(n_fac, np.nan)
    top = np.full(n_fac, -1, dtype=np.int64)
    bad = [k for k in range(n_fac) if not entropy[k] > 0]
    _warn_single_valued(bad, metric)
    for k in range(n_fac):
        if k in bad:
            continue
        order = np.argsort(-mi[:, k], kind="stable")
        top[k] = order[0]
        second = mi[order[1], k] if len(order) > 1 else 0.0
        per[k] = (mi[order[0], k] - second) / entropy[k]
    return {key: _nanmean_or_warn(per, metric), f"{key}_per_factor": _tolist(per),
            "mutual_info": _tolist(mi), "factor_entropy": _tolist(entropy), "top_latent": top.tolist()}


# ------------------------------------------------------------------------------- MIG (sampled)
@score_function("mig")
def mig_sampled_score(
    mean: Any,
    logvar: Any,
    factors: Any,
    *,
    rng: Any,
    n_samples: int = 10000,
    max_rows: int | None = None,
    device: Any = None,
    chunk_elements: int | None = None, return_details: bool = False
) -> float | dict[str, Any]:
    """MIG with the sampled entropy estimator of Chen et al. 2018 (their beta-TC-VAE code).

    The encoder's Gaussian posteriors ``q(z|x_n) = N(mean_n, diag(exp(logvar_n)))`` of the rows
    define the aggregate posterior ``q(z) = (1/N) sum_n q(z|x_n)``. One ``z`` is drawn from each
    row's posterior; for every latent ``j``

    ``H(z_j) ~= mean_s [log N - logsumexp_n log q(z_sj | x_n)]``

    over ``S = min(n_samples, N)`` of those draws (rows chosen without replacement), the
    log-sum-exp running over all ``N`` posterior components. The conditional entropy stratifies on
    each factor value: ``H(z_j | v_k) = sum_v p(v) H(z_j | v_k = v)`` where ``H(z_j | v_k = v)`` is
    the same estimate restricted to the rows with ``v_k = v`` (components and draws). Then
    ``I(z_j; v_k) = max(H(z_j) - H(z_j | v_k), 0)``, normalised by the empirical entropy
    ``H(v_k)`` (``log |v_k|`` on a full grid, as in Chen et al.), and MIG is the mean over factors
    of the gap between the two largest normalised MIs.

    Parameters
    ----------
    mean, logvar : array-like or torch.Tensor of shape (n_samples, n_latents)
        Posterior means and log-variances; at least 2 latent dimensions.
    factors : array-like or torch.Tensor of shape (n_samples, n_factors)
        Integer ground-truth factors.
    rng : numpy.random.Generator
        Draws the ``z`` samples (NumPy, so the value does not depend on the device), the row
        subsample and the draws used per stratum.
    n_samples : int, default=10000
        Number of ``z`` draws ``S`` per entropy estimate (Chen et al.'s ``n_samples``); strata with
        fewer rows use all of them.
    max_rows : int, optional
        Use a random subsample of this many rows as the dataset (the mixture components and the
        strata). The cost is about ``(S N + sum_k sum_v S_v N_v) * n_latents`` log-densities
        (with ``S = N = 5000``, 10 latents and the shapes factors about 4e8: ~6 s on one CPU
        core), so on a CPU use a few thousand rows; ``None`` uses all rows (Chen et al. used the full
        737,280-image grid on a GPU). Small strata bias ``H(z_j | v_k = v)`` low, so keep
        ``N / |v_k|`` in the hundreds at least.
    device : str or torch.device, optional
        Where to compute; default: the device of ``mean`` if it is a tensor, else the CPU.
    chunk_elements : int, optional
        Largest block of log-densities (draws x components, one latent at a time) evaluated at
        once; log-sum-exps are accumulated over component blocks, so memory stays about
        ``3 * 8 * chunk_elements`` bytes. Default: ``2**16`` on the CPU (cache-sized; about
        15 ns per log-density on one core), ``2**24`` on CUDA.

    Returns
    -------
    dict
        ``mig``, ``mig_per_factor``, ``mutual_info`` (normalised MI, n_latents x n_factors),
        ``mutual_info_nats`` (unnormalised), ``entropy_latent`` (H(z_j), list),
        ``factor_entropy``, ``top_latent``, ``n`` (rows used), ``n_samples`` (draws used for the
        marginal entropies), ``estimator`` (``"sampled"``). ``mig`` is NaN, with an
        :class:`UndefinedMetricWarning`, when every posterior mean is the same.
    """
    del return_details  # applied by @score_function (the float, or every part)
    import torch

    rng = check_rng(rng)
    check_param(n_samples, "n_samples", low=1, integer=True)
    if chunk_elements is not None:
        check_param(chunk_elements, "chunk_elements", low=1, integer=True)
    if max_rows is not None:
        check_param(max_rows, "max_rows", low=2, integer=True)
    mu = check_tensor(mean, "mean", ndim=2)
    lv = check_tensor(logvar, "logvar", ndim=2)
    if lv.numel() if is_tensor(lv) else lv.size:
        peak = float(lv.abs().max()) if is_tensor(lv) else float(np.abs(lv).max())
        if peak > MAX_ABS_LOGVAR:
            raise InputValidationError(f"logvar reaches {peak:.3g}; a log-variance beyond +/-{MAX_ABS_LOGVAR:g} overflows exp(); "
                                       f"the model's posterior is degenerate (check its scale)")
    if tuple(mu.shape) != tuple(lv.shape):
        raise InputValidationError(
            f"mean and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(lv.shape)}"
        )
    if mu.shape[1] < 2:
        raise InputValidationError(f"mean needs at least 2 latent dimensions, got shape {tuple(mu.shape)}")
    f = D.check_factors(factors, "factors")
    n_all = check_consistent_length(mean=mu, logvar=lv, factors=f)
    collapsed = _collapsed(mu, "sampled MIG")
    if device is None:
        device = mu.device if is_tensor(mu) else "cpu"
    dev = torch.device(device)
    rows = None
    if max_rows is not None and n_all > max_rows:
        rows = np.sort(rng.choice(n_all, size=int(max_rows), replace=False))
        f = f[rows]
    fac, sizes = D.as_factors(f)
    n, n_lat = fac.shape[0], mu.shape[1]

    def to_dev(a: Any) -> Any:
        t = a if is_tensor(a) else torch.as_tensor(np.asarray(a))
        t = t.to(device=dev, dtype=torch.float64)
        if rows is not None:
            t = t[torch.as_tensor(rows, device=dev)]
        return t

    mu_t, lv_t = to_dev(mu), to_dev(lv)
    eps = torch.as_tensor(rng.standard_normal((n, n_lat)), device=dev)
    z = mu_t + torch.exp(0.5 * lv_t) * eps
    hiv = -0.5 * torch.exp(-lv_t)  # -1 / (2 sigma^2)
    log_norm = -0.5 * (LOG_2PI + lv_t)
    chunk = int(chunk_elements) if chunk_elements is not None else (1 << 24 if dev.type == "cuda" else 1 << 16)

    def entropy(members: np.ndarray) -> Any:
        """Estimated H(z_j) of the mixture of the given rows' posteriors, shape (n_latents,)."""
        m = len(members)
        draws = members if m <= n_samples else rng.choice(members, size=int(n_samples), replace=False)
        comp = torch.as_tensor(members, device=dev)
        c_mu, c_hiv, c_ln = mu_t[comp].T.contiguous(), hiv[comp].T.contiguous(), log_norm[comp].T.contiguous()
        zs = z[torch.as_tensor(draws, device=dev)].T.contiguous()  # (L, S)
        bm = max(1, min(m, chunk))
        bs = max(1, chunk // bm)
        out = np.empty(n_lat)
        for j in range(n_lat):  # one latent at a time: 2-D blocks, in place, sized for the cache
            total = torch.zeros((), dtype=torch.float64, device=dev)
            for a in range(0, len(draws), bs):
                zb = zs[j, a : a + bs, None]  # (bs, 1)
                acc = None
                for c in range(0, m, bm):
                    d = zb - c_mu[j, None, c : c + bm]  # (bs, bm)
                    d.mul_(d).mul_(c_hiv[j, None, c : c + bm]).add_(c_ln[j, None, c : c + bm])
                    lse = torch.logsumexp(d, dim=1)
                    acc = lse if acc is None else torch.logaddexp(acc, lse)
                total += acc.sum()
            out[j] = np.log(m) - float(total) / len(draws)
        return out

    all_rows = np.arange(n)
    h_marg = entropy(all_rows)
    groups = D.FactorGroups.build(fac, sizes)
    n_fac = fac.shape[1]
    h_cond = np.zeros((n_lat, n_fac))
    ent = np.zeros(n_fac)
    for k in range(n_fac):
        counts = groups.count[k]
        ent[k] = D.entropy_from_counts(counts)
        if not ent[k] > 0:
            continue
        for v in np.flatnonzero(counts):
            members = groups.order[k][groups.start[k][v] : groups.start[k][v] + counts[v]]
            h_cond[:, k] += counts[v] / n * entropy(np.sort(members))
    mi_nats = np.maximum(h_marg[:, None] - h_cond, 0.0)
    mi_nats[:, ~(ent > 0)] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        mi_norm = np.where(ent > 0, mi_nats / np.where(ent > 0, ent, 1.0), 0.0)
    out = _gap_summary(mi_norm, np.where(ent > 0, 1.0, 0.0), "sampled MIG")
    if collapsed:  # every posterior mean is the same: the estimates are Monte-Carlo noise around 0
        out.update(mig=float("nan"), mig_per_factor=[float("nan")] * n_fac)
    out["factor_entropy"] = _tolist(ent)
    out.update(mutual_info_nats=_tolist(mi_nats), entropy_latent=_tolist(h_marg), n=int(n),
               n_samples=int(min(n_samples, n)), estimator="sampled")
    return out


# ------------------------------------------------------------------------------------------ DCI
def _dci_entropy_score(p: np.ndarray, base: int) -> np.ndarray:
    """``1 - entropy(p + 1e-11, base)`` along axis 0, exactly DL's ``scipy.stats.entropy`` use."""
    from scipy.stats import entropy

    if base < 2:
        return np.ones(p.shape[1])
    return 1.0 - entropy(p + 1e-11, base=base, axis=0)


@score_function("disentanglement")
def dci_score(
    codes_train: Any,
    factors_train: Any,
    codes_test: Any,
    factors_test: Any,
    *,
    rng: Any,
    predictor: str = "gbt",
    lasso_c: float = 1.0,
    return_correct: bool = False, return_details: bool = False
) -> float | dict[str, Any]:
    """Disentanglement, completeness and informativeness (Eastwood & Williams 2018).

    As disentanglement_lib's ``dci.py``: one classifier per factor predicts the factor from all
    latent dimensions; its feature importances fill column ``k`` of the importance matrix
    ``R`` (n_latents x n_factors). Then

    * disentanglement ``D = sum_j rho_j (1 - H_F(P_j.))`` with ``P_jk = R_jk / sum_k R_jk``, the
      entropy in base ``n_factors`` and ``rho_j = sum_k R_jk / sum R`` (DL adds 1e-11 inside the
      entropy, as here);
    * completeness ``C = sum_k rho_k (1 - H_L(P~_.k))`` with ``P~_jk = R_jk / sum_j R_jk`` in base
      ``n_latents``;
    * informativeness: the classifiers' accuracy on the test set (and on the training set),
      averaged over factors (DL reports accuracies under these names, not errors).

    Parameters
    ----------
    codes_train, codes_test : array-like of shape (n_train, n_latents), (n_test, n_latents)
    factors_train, factors_test : array-like of int, shape (n_train, n_factors), (n_test, n_factors)
        DL uses 10,000 training and 5,000 test points.
    rng : numpy.random.Generator
        Seeds the classifiers (GBT's tie-breaking between features).
    predictor : {"gbt", "lasso"}, default="gbt"
        ``"gbt"``: ``sklearn.ensemble.GradientBoostingClassifier()`` with default settings and
        ``feature_importances_`` (DL; slow: 100 stages of one tree per class). ``"lasso"``: a
        faster option not in DL: L1-penalised logistic regression (one-vs-rest, liblinear,
        ``C=lasso_c``) on codes standardised with the training mean and standard deviation;
        importance of a latent = sum over classes of ``|coef|``, each column rescaled to sum 1
        like GBT importances. The two predictors give different D, C and I values.
    lasso_c : float, default=1.0
        Inverse L1 strength for ``predictor="lasso"`` (on standardised codes). Strong penalties
        (``lasso_c`` of 0.1 and below) keep one or two latents per factor even when the codes are
        noise or a rotation of the factors, which inflates D and C; at 1.0 noise codes score
        D, C ~0.05 and a random rotation ~0.15 (GBT: ~0.002 on noise).
    return_correct : bool, default=False
        Add ``correct_test``, a float array (n_test, n_factors) of 1.0/0.0 per test example
        (NaN columns for excluded factors), for :func:`bootstrap_accuracy`.

    Returns
    -------
    dict
        ``disentanglement``, ``completeness``, ``informativeness_test``,
        ``informativeness_train``, their per-factor / per-code parts
        (``disentanglement_per_code``, ``completeness_per_factor``, ``code_importance``,
        ``informativeness_test_per_factor``, ``informativeness_train_per_factor``),
        ``importance_matrix`` (n_latents x n_factors nested list; excluded factors' columns are
        NaN), ``predictor``, ``n_train``, ``n_test``, and ``correct_test`` on request.

    Notes
    -----
    * A factor with a single value in the training set cannot be classified: it is excluded with
      an :class:`UndefinedMetricWarning` and D and C are computed on the remaining factors.
    * The classifiers see the latents in a canonical order (sorted by their training values), so
      the scores are exactly invariant to a permutation of the latent dimensions (GBT and
      liblinear otherwise break ties between features by column order).
    * With a single factor D is 1 by definition (entropy over one factor), and with a single
      latent C is 1; DL would divide by ``log(1)``.
    * Every latent dimension constant in the training codes: nothing is fitted and every score is
      NaN with an :class:`UndefinedMetricWarning` (DL's D = C = 0 and chance accuracy are not
      measurements).
    * Invariant to rescaling each latent dimension: the codes are rescaled column by column by
      powers of two (exact) before the fit, which also keeps them inside float32, where
      scikit-learn's trees work.
    """
    del return_details  # applied by @score_function (the float, or every part)
    rng = check_rng(rng)
    check_param(predictor, "predictor", options=("gbt", "lasso"))
    check_param(lasso_c, "lasso_c", low=0)
    if not lasso_c > 0:
        raise InputValidationError(f"'lasso_c' must be > 0, got {lasso_c!r}")
    ctr, ftr, cte, fte = _train_test(codes_train, factors_train, codes_test, factors_test)
    n_lat, n_fac = ctr.shape[1], ftr.shape[1]
    imp = np.full((n_lat, n_fac), np.nan)
    acc_tr = np.full(n_fac, np.nan)
    acc_te = np.full(n_fac, np.nan)
    correct = np.full((cte.shape[0], n_fac), np.nan)
    collapsed = _collapsed(ctr, "DCI")
    if collapsed:
        bad = list(range(n_fac))
    else:
        bad = [k for k in range(n_fac) if len(np.unique(ftr[:, k])) < 2]
        _warn_single_valued(bad, "DCI")
    ctr, cte = _unit_columns(ctr, cte)
    # Fit on the latents in a canonical order and map the importances back: the classifiers break
    # ties between features by visiting order, so this makes the scores exactly invariant to a
    # permutation of the latent dimensions. The order is by each column's rank pattern (the bytes
    # of its stable argsort), then by its values: the rank pattern does not change when a
    # dimension is rescaled, so neither do the scores.
    canon = np.array(sorted(range(n_lat), key=lambda j: (np.argsort(ctr[:, j], kind="stable").tobytes(),
                                                         np.ascontiguousarray(ctr[:, j]).tobytes())), dtype=np.int64)
    xtr, xte = ctr[:, canon], cte[:, canon]
    if predictor == "gbt":
        xte = _within_fit_range(xtr, xte)
    if predictor == "lasso":
        mu, sd = xtr.mean(axis=0), xtr.std(axis=0)
        sd[sd == 0] = 1.0
        xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    for k in range(n_fac):
        if k in bad:
            continue
        seed = _seed(rng)
        if predictor == "gbt":
            from sklearn.ensemble import GradientBoostingClassifier

            model = GradientBoostingClassifier(random_state=seed).fit(xtr, ftr[:, k])
            imp[canon, k] = np.abs(model.feature_importances_)
        else:
            model, coef = _l1_logistic(xtr, ftr[:, k], lasso_c, seed)
            col = np.abs(coef).sum(axis=0)
            imp[canon, k] = col / col.sum() if col.sum() > 0 else col
        acc_tr[k] = np.mean(model.predict(xtr) == ftr[:, k])
        hit = model.predict(xte) == fte[:, k]
        correct[:, k] = hit
        acc_te[k] = hit.mean()
    used = [k for k in range(n_fac) if k not in bad]
    out: dict[str, Any] = {}
    if used:
        r = imp[:, used]
        per_code = _dci_entropy_score(r.T, len(used))  # (n_latents,)
        per_factor = _dci_entropy_score(r, n_lat)  # (n_used,)
        w = np.ones_like(r) if r.sum() == 0 else r
        code_w = w.sum(axis=1) / w.sum()
        fac_w = w.sum(axis=0) / w.sum()
        d, c = float(np.sum(per_code * code_w)), float(np.sum(per_factor * fac_w))
        comp = np.full(n_fac, np.nan)
        comp[used] = per_factor
    else:
        if not collapsed:
            warnings.warn("DCI: no factor left; returning NaN", UndefinedMetricWarning, stacklevel=2)
        per_code, code_w, comp = np.full(n_lat, np.nan), np.full(n_lat, np.nan), np.full(n_fac, np.nan)
        d = c = float("nan")
    out.update(
        disentanglement=d,
        completeness=c,
        informativeness_test=float(np.mean(acc_te[used])) if used else float("nan"),
        informativeness_train=float(np.mean(acc_tr[used])) if used else float("nan"),
        disentanglement_per_code=_tolist(per_code),
        code_importance=_tolist(code_w),
        completeness_per_factor=_tolist(comp),
        informativeness_test_per_factor=_tolist(acc_te),
        informativeness_train_per_factor=_tolist(acc_tr),
        importance_matrix=_tolist(imp),
        predictor=predictor,
        n_train=int(ctr.shape[0]),
        n_test=int(cte.shape[0]),
    )
    if return_correct:
        out["correct_test"] = correct
    return out


def _l1_logistic(x: np.ndarray, y: np.ndarray, c: float, seed: int):
    """L1 logistic regression (liblinear; one-vs-rest for >2 classes); returns (model, |coef| rows)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    base = LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", random_state=seed, max_iter=1000)
    if len(np.unique(y)) == 2:
        model = base.fit(x, y)
        return model, model.coef_
    model = OneVsRestClassifier(base).fit(x, y)
    return model, np.vstack([e.coef_ for e in model.estimators_])


def bootstrap_accuracy(correct: Any, *, rng: Any, n_resamples: int = 1000, confidence: float = 0.95) -> Estimate:
    """Percentile bootstrap interval of a mean accuracy from per-example correctness.

    Rows (test examples) are resampled with replacement (:func:`latentbench.stats.resample_weights`),
    jointly for all factors, and the statistic is the mean over factors of the per-factor accuracy,
    as DCI's informativeness. No classifier is refitted: the interval covers test-set sampling only.

    Parameters
    ----------
    correct : array-like of shape (n_test, n_factors) or (n_test,)
        1/0 (or True/False) per example and factor, e.g. ``dci_score(...,
        return_correct=True)["correct_test"]``; all-NaN columns (excluded factors) are ignored.
    rng : int or numpy.random.Generator
        Keyword-only, required.
    n_resamples : int, default=1000
    confidence : float, default=0.95

    Returns
    -------
    Estimate
        The mean accuracy with its interval; ``details["per_factor"]`` holds one
        :class:`~latentbench.stats.Estimate` per factor column (NaN for excluded columns).
    """
    check_param(confidence, "confidence", low=0.0, high=1.0)
    a = check_array(correct, "correct", ndim=(1, 2), finite=False)
    if np.isinf(a).any():
        raise InputValidationError("correct contains infinite values; it holds 1/0 per example (NaN only for excluded factors)")
    if a.ndim == 1:
        a = a[:, None]
    keep = ~np.all(np.isnan(a), axis=0)
    if not keep.any():
        raise InputValidationError("correct has no column with values")
    x = a[:, keep]
    if np.isnan(x).any():
        raise InputValidationError("correct contains NaN inside a factor's column")
    n = x.shape[0]
    reps = resample_weights(n, rng=rng, n_resamples=n_resamples) @ x / n
    per_factor = [Estimate(float("nan"), n=n, confidence=confidence) for _ in range(a.shape[1])]
    for j, col in zip(np.nonzero(keep)[0], range(x.shape[1])):
        per_factor[j] = percentile_estimate(float(x[:, col].mean()), reps[:, col], n=n, confidence=confidence)
    overall = percentile_estimate(float(x.mean(axis=0).mean()), reps.mean(axis=1), n=n, confidence=confidence)
    return Estimate(overall.value, overall.ci_low, overall.ci_high, overall.method, n, confidence,
                    details={"per_factor": per_factor})


# ------------------------------------------------------------------------------------------ SAP
#: Largest absolute code value for SAP's ``"linear_svc"`` classifier. LinearSVC(C=0.01) is
#: regularised, so the score depends on the codes' scale and they cannot be rescaled first. On
#: larger codes liblinear stops far from its optimum (its tolerance is relative to the gradient at
#: zero, while the intercept keeps unit scale: the accuracy drifts from 1e4 on), and from about 1e77
#: its trust-region solver never returns (squared gradients overflow; it holds the GIL, so no time
#: limit can stop it). Beyond this bound SAP is NaN with an UndefinedMetricWarning.
SAP_SVC_MAX_ABS = 1e4


@score_function("sap")
def sap_score(
    codes_train: Any,
    factors_train: Any,
    codes_test: Any,
    factors_test: Any,
    *,
    classifier: str = "linear_svc", return_details: bool = False
) -> float | dict[str, Any]:
    """Separated Attribute Predictability (Kumar et al. 2018, "Variational Inference of
    Disentangled Latent Concepts from Unlabeled Observations"), for discrete factors.

    A score matrix ``S`` (n_latents x n_factors) holds, for every latent dimension ``j`` and factor
    ``k``, the test accuracy of a classifier that predicts ``v_k`` from ``z_j`` alone; SAP is the
    mean over factors of the gap between the two largest scores of the factor's column.

    Parameters
    ----------
    codes_train, codes_test : array-like of shape (n_train, n_latents), (n_test, n_latents)
        At least 2 latent dimensions. DL uses 10,000 training and 5,000 test points.
    factors_train, factors_test : array-like of int, shape (n_train, n_factors), (n_test, n_factors)
    classifier : {"linear_svc", "threshold"}, default="linear_svc"
        ``"linear_svc"``: disentanglement_lib's ``sap_score.py`` with
        ``continuous_factors=False``: ``sklearn.svm.LinearSVC(C=0.01, class_weight="balanced")``
        on the single dimension (one-vs-rest), scored by plain accuracy. A linear one-vs-rest rule
        on one dimension cannot isolate middle classes of an ordinal factor, so even a perfect
        code scores well below 1 on factors with many values. ``"threshold"``: our reading of
        the paper's threshold classifier: a decision tree on the single dimension with at most
        ``2 * n_classes`` leaves (thresholds) and balanced class weights, scored by balanced
        accuracy (chance is ``1 / n_classes`` for every factor).

    Returns
    -------
    dict
        ``sap``, ``sap_per_factor`` (NaN for excluded factors), ``score_matrix`` (nested list),
        ``classifier``, ``n_train``, ``n_test``.

    Notes
    -----
    Because the runner-up dimension scores about chance, SAP of a perfect code is about
    ``mean_k (1 - 1/|v_k|)`` (on a uniform grid), not 1. Every latent dimension constant: NaN with
    an :class:`UndefinedMetricWarning`. ``"threshold"`` is invariant to rescaling a dimension (the
    codes are rescaled by powers of two first, exactly); DL's ``"linear_svc"`` is not (its
    regularisation has a scale), and the codes are used as given: codes beyond
    :data:`SAP_SVC_MAX_ABS` in absolute value give NaN with a warning (the solver cannot fit them; it
    would stop far from the optimum or, from about 1e77, never return).
    """
    del return_details  # applied by @score_function (the float, or every part)
    check_param(classifier, "classifier", options=("linear_svc", "threshold"))
    ctr, ftr, cte, fte = _train_test(codes_train, factors_train, codes_test, factors_test, min_cols=2)
    n_lat, n_fac = ctr.shape[1], ftr.shape[1]
    score = np.full((n_lat, n_fac), np.nan)
    if _collapsed(ctr, "SAP"):
        return {"sap": float("nan"), "sap_per_factor": [float("nan")] * n_fac, "score_matrix": _tolist(score),
                "classifier": classifier, "n_train": int(ctr.shape[0]), "n_test": int(cte.shape[0])}
    if classifier == "threshold":  # trees: invariant to rescaling a dimension, but they work in float32
        ctr, cte = _unit_columns(ctr, cte)
        cte = _within_fit_range(ctr, cte)
    else:
        largest = float(max(np.abs(ctr).max(), np.abs(cte).max()))
        if largest > SAP_SVC_MAX_ABS:  # checked before any fit: liblinear cannot be interrupted
            warnings.warn(f"SAP: codes reach |z| = {largest:.3g}, beyond {SAP_SVC_MAX_ABS:g} where LinearSVC(C=0.01) cannot be "
                          f"fitted (it is regularised, so the codes cannot be rescaled for it); returning NaN. Bring the codes "
                          f"to the prior's scale or use classifier='threshold' (scale-invariant)", UndefinedMetricWarning, stacklevel=2)
            return {"sap": float("nan"), "sap_per_factor": [float("nan")] * n_fac, "score_matrix": _tolist(score),
                    "classifier": classifier, "n_train": int(ctr.shape[0]), "n_test": int(cte.shape[0])}
    bad = [k for k in range(n_fac) if len(np.unique(ftr[:, k])) < 2]
    _warn_single_valued(bad, "SAP")
    with warnings.catch_warnings():
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)  # LinearSVC on a constant dimension
        for k in range(n_fac):
            if k in bad:
                continue
            for j in range(n_lat):
                score[j, k] = _single_dim_score(ctr[:, j : j + 1], ftr[:, k], cte[:, j : j + 1], fte[:, k], classifier)
    per = np.full(n_fac, np.nan)
    for k in range(n_fac):
        if k not in bad:
            col = np.sort(score[:, k])
            per[k] = col[-1] - col[-2]
    return {"sap": _nanmean_or_warn(per, "SAP"), "sap_per_factor": _tolist(per), "score_matrix": _tolist(score),
            "classifier": classifier, "n_train": int(ctr.shape[0]), "n_test": int(cte.shape[0])}


def _single_dim_score(xtr, ytr, xte, yte, classifier: str) -> float:
    if classifier == "linear_svc":
        from sklearn.svm import LinearSVC

        model = LinearSVC(C=0.01, class_weight="balanced", random_state=0, max_iter=1000).fit(xtr, ytr)
        return float(np.mean(model.predict(xte) == yte))
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.tree import DecisionTreeClassifier

    n_cls = len(np.unique(ytr))
    model = DecisionTreeClassifier(max_leaf_nodes=max(2, 2 * n_cls), class_weight="balanced", random_state=0)
    model.fit(xtr, ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "y_pred contains classes not in y_true"
        return float(balanced_accuracy_score(yte, model.predict(xte)))


# ----------------------------------------------------------------------------- FactorVAE score
@score_function("factor_vae")
def factor_vae_score(
    codes: Any,
    factors: Any,
    *,
    rng: Any,
    batch_size: int = 64,
    n_train: int = 10000,
    n_eval: int = 5000,
    n_variance: int = 10000,
    prune_threshold: float = 0.05, return_details: bool = False
) -> float | dict[str, Any]:
    """The FactorVAE disentanglement metric (Kim & Mnih 2018, "Disentangling by Factorising").

    As disentanglement_lib's ``factor_vae.py``: the per-dimension variance of the codes is
    estimated on ``n_variance`` rows drawn uniformly (``ddof=1``); dimensions whose standard
    deviation is below ``prune_threshold`` are pruned (DL's ``prune_dims.threshold = 0.05``:
    collapsed to a point, on the scale of a unit-variance prior). Each vote picks a factor ``k``
    uniformly, a batch of ``batch_size`` rows with ``v_k`` fixed (see the module notes), divides the
    batch's per-dimension variances by the global ones and votes ``(k, argmin dimension)``. The
    classifier maps every active dimension to the factor with most training votes (majority
    vote); accuracy is the fraction of votes it gets right, on the ``n_train`` training votes and
    on ``n_eval`` fresh evaluation votes.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_latents)
        Latent codes of (a sample of) the factorial grid.
    factors : array-like of int, shape (n_samples, n_factors)
    rng : numpy.random.Generator
    batch_size : int, default=64
        Rows per vote (at least 2).
    n_train, n_eval : int, default=10000, 5000
        Training and evaluation votes.
    n_variance : int, default=10000
        Rows (drawn with replacement) for the global variances.
    prune_threshold : float, default=0.05
        Standard deviation below which a dimension is pruned (not rescaled: codes are assumed to
        live on the prior's scale, as in DL).

    Returns
    -------
    dict
        ``factor_vae`` (= ``eval_accuracy``), ``train_accuracy``, ``eval_accuracy``,
        ``n_active_dims``, ``active_dims`` (list), ``votes_train`` (n_factors x n_latents nested
        list, zero columns for pruned dimensions), ``batch_size``, ``n_train``, ``n_eval``,
        ``n_variance``.

    Notes
    -----
    With every dimension pruned (constant codes, or codes far below the prior's scale) the metric
    has no classifier: the accuracies are NaN with an :class:`UndefinedMetricWarning` (DL returns
    0.0, a number that would be ranked). The score depends on the codes' scale through
    ``prune_threshold``, as in DL.
    """
    del return_details  # applied by @score_function (the float, or every part)
    rng = check_rng(rng)
    for name, val, low in (("batch_size", batch_size, 2), ("n_train", n_train, 1), ("n_eval", n_eval, 1),
                           ("n_variance", n_variance, 2)):
        check_param(val, name, low=low, integer=True)
    check_param(prune_threshold, "prune_threshold", low=0.0)
    c, f = _pair(codes, factors)
    fac, sizes = D.as_factors(f)
    n, n_lat = c.shape
    n_fac = fac.shape[1]
    valid = np.asarray(_valid_factors(fac, sizes, "FactorVAE score"), dtype=np.int64)
    var_rows = rng.integers(0, n, size=int(n_variance))
    # variances of the columns divided by powers of two (exact): they overflow from about 1e154 on,
    # and every ratio of variances below is invariant to it; pruning compares the unscaled deviation
    e = rescale_exponent(c, per_dimension=True)
    c = np.ldexp(c, -e) if np.any(e) else c
    global_var = c[var_rows].var(axis=0, ddof=1)
    active = np.flatnonzero(np.ldexp(np.sqrt(global_var), e) >= prune_threshold)
    base = {"batch_size": int(batch_size), "n_train": int(n_train), "n_eval": int(n_eval),
            "n_variance": int(n_variance), "active_dims": active.tolist(), "n_active_dims": int(len(active))}
    if len(valid) == 0:
        warnings.warn("FactorVAE score: no factor takes two values; returning NaN",
                      UndefinedMetricWarning, stacklevel=2)
        nan = float("nan")
        return {"factor_vae": nan, "train_accuracy": nan, "eval_accuracy": nan,
                "votes_train": np.zeros((n_fac, n_lat)).tolist(), **base}
    if len(active) == 0:
        warnings.warn(f"FactorVAE score: every latent dimension has standard deviation below {prune_threshold} "
                      "(pruned as collapsed); returning NaN", UndefinedMetricWarning, stacklevel=2)
        nan = float("nan")
        return {"factor_vae": nan, "train_accuracy": nan, "eval_accuracy": nan,
                "votes_train": np.zeros((n_fac, n_lat)).tolist(), **base}
    groups = D.FactorGroups.build(fac, sizes)
    ca = np.ascontiguousarray(c[:, active])
    gv = global_var[active]

    def votes(n_points: int) -> np.ndarray:
        out = np.zeros((n_fac, len(active)), dtype=np.int64)
        ks = valid[rng.integers(0, len(valid), size=n_points)]
        anchors = rng.integers(0, n, size=n_points)
        step = max(1, (1 << 21) // (batch_size * len(active)))
        for k in valid:
            sel = anchors[ks == k]
            for s in range(0, len(sel), step):
                a = sel[s : s + step]
                rows = np.concatenate([a[:, None], groups.sample_same(k, fac[a, k], batch_size - 1, rng)], axis=1)
                local = ca[rows].var(axis=1, ddof=1) / gv  # (m, n_active)
                np.add.at(out[k], np.argmin(local, axis=1), 1)
        return out

    train_votes = votes(int(n_train))
    classifier = np.argmax(train_votes, axis=0)  # factor assigned to each active dimension
    cols = np.arange(len(active))
    train_acc = float(train_votes[classifier, cols].sum() / train_votes.sum())
    eval_votes = votes(int(n_eval))
    eval_acc = float(eval_votes[classifier, cols].sum() / eval_votes.sum())
    full_votes = np.zeros((n_fac, n_lat), dtype=np.int64)
    full_votes[:, active] = train_votes
    return {"factor_vae": eval_acc, "train_accuracy": train_acc, "eval_accuracy": eval_acc,
            "votes_train": full_votes.tolist(), **base}


# ------------------------------------------------------------------------------ beta-VAE score
@score_function("beta_vae")
def beta_vae_score(
    codes: Any,
    factors: Any,
    *,
    rng: Any,
    batch_size: int = 64,
    n_train: int = 10000,
    n_eval: int = 5000, return_details: bool = False
) -> float | dict[str, Any]:
    """The beta-VAE disentanglement metric (Higgins et al. 2017, "beta-VAE: Learning Basic Visual
    Concepts with a Constrained Variational Framework").

    As disentanglement_lib's ``beta_vae.py``: each training point picks a factor ``k`` uniformly
    and ``batch_size`` pairs of rows that share the value of ``v_k`` (the first row of a pair
    uniform, the second uniform among the rows with the same ``v_k``; see the module notes); its
    features are the mean absolute difference of the pair's codes per dimension and its label is
    ``k``. A ``LogisticRegression`` (lbfgs, ``C=1``; ``max_iter=1000`` where DL kept the default
    100) is trained on ``n_train`` points and scored on ``n_eval`` fresh ones.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_latents)
    factors : array-like of int, shape (n_samples, n_factors)
    rng : numpy.random.Generator
    batch_size : int, default=64
        Pairs averaged per point.
    n_train, n_eval : int, default=10000, 5000
        Training and evaluation points.

    Returns
    -------
    dict
        ``beta_vae`` (= ``eval_accuracy``), ``train_accuracy``, ``eval_accuracy``,
        ``batch_size``, ``n_train``, ``n_eval``. NaN with an :class:`UndefinedMetricWarning` when
        every latent dimension is constant (DL would report the accuracy of a constant guess). The
        score depends on the codes' scale (the classifier is regularised), as in DL.
    """
    del return_details  # applied by @score_function (the float, or every part)
    from sklearn.linear_model import LogisticRegression

    rng = check_rng(rng)
    for name, val in (("batch_size", batch_size), ("n_train", n_train), ("n_eval", n_eval)):
        check_param(val, name, low=1, integer=True)
    c, f = _pair(codes, factors)
    info = {"batch_size": int(batch_size), "n_train": int(n_train), "n_eval": int(n_eval)}
    if _collapsed(c, "beta-VAE score"):
        nan = float("nan")
        return {"beta_vae": nan, "train_accuracy": nan, "eval_accuracy": nan, **info}
    fac, sizes = D.as_factors(f)
    n, n_lat = c.shape
    valid = np.asarray(_valid_factors(fac, sizes, "beta-VAE score"), dtype=np.int64)
    if len(valid) < 2:
        warnings.warn("beta-VAE score: fewer than 2 factors take two values; returning NaN",
                      UndefinedMetricWarning, stacklevel=2)
        nan = float("nan")
        return {"beta_vae": nan, "train_accuracy": nan, "eval_accuracy": nan, **info}
    groups = D.FactorGroups.build(fac, sizes)

    def points(n_points: int) -> tuple[np.ndarray, np.ndarray]:
        labels = valid[rng.integers(0, len(valid), size=n_points)]
        feats = np.empty((n_points, n_lat))
        step = max(1, (1 << 21) // (batch_size * n_lat))
        for k in valid:
            idx = np.flatnonzero(labels == k)
            for s in range(0, len(idx), step):
                ii = idx[s : s + step]
                r1 = rng.integers(0, n, size=(len(ii), batch_size))
                r2 = groups.sample_same(k, fac[r1.ravel(), k], 1, rng).reshape(r1.shape)
                feats[ii] = _mean_abs_pair_diff(c, r1, r2)
        return feats, labels

    xtr, ytr = points(int(n_train))
    xev, yev = points(int(n_eval))
    if len(np.unique(ytr)) < 2:
        warnings.warn("beta-VAE score: the training points cover a single factor (n_train too small); "
                      "returning NaN", UndefinedMetricWarning, stacklevel=2)
        nan = float("nan")
        return {"beta_vae": nan, "train_accuracy": nan, "eval_accuracy": nan, **info}
    model = LogisticRegression(random_state=_seed(rng), max_iter=1000).fit(xtr, ytr)
    train_acc = float(np.mean(model.predict(xtr) == ytr))
    eval_acc = float(np.mean(model.predict(xev) == yev))
    return {"beta_vae": eval_acc, "train_accuracy": train_acc, "eval_accuracy": eval_acc, **info}


def _mean_abs_pair_diff(c: np.ndarray, r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """``np.abs(c[r1] - c[r2]).mean(axis=1)`` for index arrays ``r1``, ``r2`` of shape (m, batch).

    Wide codes (:data:`_PAIR_DIFF_ACCUMULATE_FROM` latents or more) are summed one pair column at a
    time into an (m, n_latents) buffer instead of materialising the (m, batch, n_latents) gather
    twice: the same additions in the same order (NumPy reduces a non-contiguous axis sequentially),
    so the result is bit for bit the same (``tests/test_disentanglement.py`` pins it), at about 2.4x
    less time on 4,096-D codes (the identity baseline on shapes).
    """
    if c.shape[1] < _PAIR_DIFF_ACCUMULATE_FROM or r1.shape[1] < 2:
        return np.abs(c[r1] - c[r2]).mean(axis=1)
    acc = np.abs(c[r1[:, 0]] - c[r2[:, 0]])
    tmp = np.empty_like(acc)
    for b in range(1, r1.shape[1]):
        np.subtract(c[r1[:, b]], c[r2[:, b]], out=tmp)
        np.abs(tmp, out=tmp)
        acc += tmp
    acc /= r1.shape[1]
    return acc


#: Latent count from which :func:`_mean_abs_pair_diff` accumulates pair by pair (below it the one
#: gather is as fast, and a short contiguous row could be reduced pairwise by NumPy).
_PAIR_DIFF_ACCUMULATE_FROM = 64


# ---------------------------------------------------------------- modularity and explicitness
@score_function("modularity")
def modularity_score(codes: Any, factors: Any, *, n_bins: int = 20, backend: str = "auto", return_details: bool = False) -> float | dict[str, Any]:
    """Modularity (Ridgeway & Mozer 2018, "Learning Deep Disentangled Embeddings with the
    F-Statistic Loss"), as disentanglement_lib's ``modularity_explicitness.py``.

    With ``m_jk`` the histogram mutual information between latent ``j`` and factor ``k`` (the same
    estimator as :func:`mig_score`, ``n_bins`` bins), each latent gets
    ``1 - sum_{k != k*} m_jk^2 / (m_jk*^2 (n_factors - 1))`` where ``k*`` is its best factor, and
    0 when it has no information about any factor (DL's convention, so constant or pure-noise
    latents pull the mean down); modularity is the mean over latents. DL computes it on its
    10,000 training points. When every latent is constant the score is NaN with an
    :class:`UndefinedMetricWarning` (a collapsed code, not a measurement). Invariant to rescaling
    each latent dimension, exactly (see the module notes).

    Parameters
    ----------
    codes : array-like or torch.Tensor of shape (n_samples, n_latents)
    factors : array-like or torch.Tensor of int, shape (n_samples, n_factors)
        At least 2 factors with more than one value (single-valued factors are excluded with a
        warning; fewer than 2 left gives NaN).
    n_bins : int, default=20
    backend : {"auto", "numpy", "torch"}, default="auto"
        As in :func:`mig_score`.

    Returns
    -------
    dict
        ``modularity``, ``modularity_per_latent`` (list), ``mutual_info`` (nested list, nats),
        ``n``, ``n_bins``.
    """
    del return_details  # applied by @score_function (the float, or every part)
    r = _histogram_mi(codes, factors, n_bins, backend, min_cols=1)
    collapsed = bool(r["constant"].all())
    if collapsed:
        warnings.warn("modularity: every latent dimension is constant (a collapsed representation); returning NaN",
                      UndefinedMetricWarning, stacklevel=2)
    ent = r["entropy"]
    bad = [k for k in range(len(ent)) if not ent[k] > 0]
    _warn_single_valued(bad, "modularity")
    used = [k for k in range(len(ent)) if k not in bad]
    mi = r["mi"]
    base = {"mutual_info": _tolist(mi), "n": r["n"], "n_bins": r["n_bins"]}
    if len(used) < 2:
        warnings.warn("modularity needs at least 2 factors with more than one value; returning NaN",
                      UndefinedMetricWarning, stacklevel=2)
        return {"modularity": float("nan"), "modularity_per_latent": [float("nan")] * mi.shape[0], **base}
    sq = mi[:, used] ** 2
    mx = sq.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = 1.0 - (sq.sum(axis=1) - mx) / (mx * (len(used) - 1))
    per[mx == 0] = 0.0
    if collapsed:
        return {"modularity": float("nan"), "modularity_per_latent": [float("nan")] * mi.shape[0], **base}
    return {"modularity": float(per.mean()), "modularity_per_latent": _tolist(per), **base}


@score_function("explicitness")
def explicitness_score(codes_train: Any, factors_train: Any, codes_test: Any, factors_test: Any, *, return_details: bool = False) -> float | dict[str, Any]:
    """Explicitness (Ridgeway & Mozer 2018), as disentanglement_lib's ``modularity_explicitness.py``.

    Codes are standardised with the training mean and standard deviation (a constant dimension
    is only centred). Per factor, a ``LogisticRegression`` (lbfgs, ``C=1``; ``max_iter=1000``
    where DL kept the default 100) predicts the factor from all latents; its explicitness is the
    macro average over classes of the one-vs-rest ROC AUC of the predicted class probabilities
    (classes absent from the evaluated set, or making all of it, are skipped). The score is the
    mean over factors, on the test set (``explicitness``) and on the training set.

    Parameters
    ----------
    codes_train, codes_test : array-like of shape (n_train, n_latents), (n_test, n_latents)
    factors_train, factors_test : array-like of int, shape (n_train, n_factors), (n_test, n_factors)
        DL uses 10,000 training and 5,000 test points.

    Returns
    -------
    dict
        ``explicitness`` (test), ``explicitness_train``, ``explicitness_per_factor``,
        ``explicitness_train_per_factor`` (NaN for excluded factors), ``n_train``, ``n_test``.
        NaN with an :class:`UndefinedMetricWarning` when every latent dimension is constant (DL:
        AUC 0.5). Invariant to rescaling each latent dimension, exactly (see the module notes).
    """
    del return_details  # applied by @score_function (the float, or every part)
    from sklearn.linear_model import LogisticRegression

    ctr, ftr, cte, fte = _train_test(codes_train, factors_train, codes_test, factors_test)
    n_fac = ftr.shape[1]
    if _collapsed(ctr, "explicitness"):
        nan_list = [float("nan")] * n_fac
        return {"explicitness": float("nan"), "explicitness_train": float("nan"), "explicitness_per_factor": nan_list,
                "explicitness_train_per_factor": list(nan_list), "n_train": int(ctr.shape[0]), "n_test": int(cte.shape[0])}
    ctr, cte = _unit_columns(ctr, cte)  # exact; keeps the standard deviations of tiny codes from underflowing
    mu, sd = ctr.mean(axis=0), ctr.std(axis=0)
    sd[sd == 0] = 1.0
    xtr, xte = (ctr - mu) / sd, (cte - mu) / sd
    bad = [k for k in range(n_fac) if len(np.unique(ftr[:, k])) < 2]
    _warn_single_valued(bad, "explicitness")
    auc_tr, auc_te = np.full(n_fac, np.nan), np.full(n_fac, np.nan)
    for k in range(n_fac):
        if k in bad:
            continue
        model = LogisticRegression(max_iter=1000).fit(xtr, ftr[:, k])
        auc_tr[k] = _ovr_auc(ftr[:, k], model.predict_proba(xtr), model.classes_)
        auc_te[k] = _ovr_auc(fte[:, k], model.predict_proba(xte), model.classes_)
    return {"explicitness": _nanmean_or_warn(auc_te, "explicitness"),
            "explicitness_train": _nanmean_or_warn(auc_tr, "explicitness"),
            "explicitness_per_factor": _tolist(auc_te), "explicitness_train_per_factor": _tolist(auc_tr),
            "n_train": int(ctr.shape[0]), "n_test": int(cte.shape[0])}


def _ovr_auc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    aucs = []
    for i, cls in enumerate(classes):
        pos = y == cls
        if pos.any() and not pos.all():
            aucs.append(roc_auc_score(pos, proba[:, i]))
    return float(np.mean(aucs)) if aucs else float("nan")
