"""Posterior collapse and the structure of the aggregate posterior: active units, KL per dimension,
the mutual information I(x; z), and the KL decomposition (index-code MI, total correlation,
dimension-wise KL).

References
----------
Burda, Grosse & Salakhutdinov (2016), Importance Weighted Autoencoders (active units).
He, Spokoyny, Neubig & Berg-Kirkpatrick (2019), Lagging Inference Networks and Posterior Collapse
in Variational Autoencoders (the aggregate-posterior estimator of I(x; z)).
Chen, Li, Grosse & Duvenaud (2018), Isolating Sources of Disentanglement in VAEs (the KL
decomposition and the total correlation of q(z)).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..exceptions import UndefinedMetricWarning
from ..validation import check_array, check_consistent_length, check_param, check_rng
from .likelihood import LOG_2PI, check_logvar, standard_normal_kl

__all__ = ["active_units", "kl_decomposition", "kl_per_dimension", "mutual_information_aggregate"]


def active_units(mean: object, *, threshold: float = 0.01, ddof: int = 1) -> tuple[int, np.ndarray]:
    """Number of latent dimensions whose posterior mean varies with x (Burda et al. 2016).

    A dimension is active when ``Var_x( E[z_j | x] ) > threshold``. The threshold 0.01 presumes
    an N(0, I) prior (the scale of a dimension that carries information). The variance is the
    unbiased one (``ddof=1``), as in the vae-lagging-encoder code.

    Parameters
    ----------
    mean : array-like of shape (n_samples, n_latents)
        Posterior means E[z|x].
    threshold : float, default=0.01
    ddof : int, default=1

    Returns
    -------
    n_active : int
        The inactive (collapsed) dimensions are the other ``n_latents - n_active``.
    variances : ndarray of shape (n_latents,)

    Notes
    -----
    This is a criterion on the posterior *mean*; a count of dimensions whose average KL to the
    prior is small (:func:`kl_per_dimension` below a threshold) is a different one, and the two
    need not add up to ``n_latents`` (an active unit may have a small KL).
    """
    m = check_array(mean, "mean", min_rows=2)
    check_param(threshold, "threshold", low=0.0)
    var = m.var(axis=0, ddof=ddof)
    return int((var > threshold).sum()), var


def kl_per_dimension(mean: object, logvar: object) -> np.ndarray:
    """Average over x of KL( q(z_j|x) || N(0, 1) ) for each dimension j, in nats.

    Returns
    -------
    kl : ndarray of shape (n_latents,)
    """
    return standard_normal_kl(mean, logvar).mean(axis=0)


def mutual_information_aggregate(mean: object, logvar: object, *, rng: Any, chunk: int = 1024) -> float:
    """I(x; z) under the aggregate posterior q(z) = (1/N) sum_n q(z|x_n) (He et al. 2019).

    ``I = E_x E_{q(z|x)}[log q(z|x) - log q(z)]``, estimated with one sample ``z_n ~ q(z|x_n)`` per
    row: ``mean_n [log q(z_n|x_n) - log q(z_n)]`` with ``log q(z_n) = logsumexp_m log q(z_n|x_m) - log N``.
    Both terms use the same samples, so the estimate is exactly 0 when every posterior is the same
    (collapse) and its Monte-Carlo noise is smaller than with the closed-form entropy used in the
    vae-lagging-encoder code (same expectation). The estimate is bounded above by ``log N`` (each
    sample's own component is in the mixture), so it saturates for very informative codes; compare
    models at the same N.

    Parameters
    ----------
    mean, logvar : array-like of shape (n_samples, n_latents)
    rng : int or numpy.random.Generator
        Keyword-only, required.
        Draws the samples.
    chunk : int, default=1024
        Rows of the N x N log-density matrix computed at once.

    Returns
    -------
    mi : float
        In nats; NaN with a warning for fewer than 2 rows.
    """
    mu = check_array(mean, "mean")
    lv = check_logvar(logvar, "logvar")
    check_consistent_length(mean=mu, logvar=lv)
    n, d = mu.shape
    if n < 2:
        warnings.warn("I(x;z) needs at least 2 samples", UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    eps = check_rng(rng).standard_normal(mu.shape)
    z = mu + np.exp(0.5 * lv) * eps
    log_q_own = -0.5 * (d * LOG_2PI + lv.sum(axis=1) + (eps * eps).sum(axis=1))  # log q(z_n | x_n)
    return float((log_q_own - _log_mixture_density(z, mu, lv, chunk)).mean())


def _log_mixture_density(z: np.ndarray, mu: np.ndarray, lv: np.ndarray, chunk: int) -> np.ndarray:
    """``log (1/N) sum_m N(z_i; mu_m, diag exp(lv_m))`` for every row ``z_i``.

    ``||z_i - mu_m||^2 / var_m`` is expanded so each chunk is matrix products, not a
    (chunk, N, d) tensor.
    """
    n, d = mu.shape
    inv_var = np.exp(-lv)
    norm = -0.5 * (d * LOG_2PI + lv.sum(axis=1))
    a = (mu * mu * inv_var).sum(axis=1)
    out = np.empty(len(z))
    for s in range(0, len(z), chunk):
        zc = z[s : s + chunk]
        quad = (zc * zc) @ inv_var.T - 2.0 * zc @ (mu * inv_var).T + a[None, :]
        out[s : s + chunk] = logsumexp(norm[None, :] - 0.5 * quad, axis=1) - math.log(n)
    return out


def kl_decomposition(mean: object, logvar: object, *, rng: Any, chunk: int = 1024) -> dict[str, np.ndarray]:
    """The KL term of the ELBO split into index-code MI, total correlation and dimension-wise KL.

    With the aggregate posterior ``q(z) = (1/N) sum_n q(z|x_n)`` over the rows given and one sample
    ``z_n ~ q(z|x_n)`` per row (Chen et al. 2018, eq. 2, with the whole sample as the "dataset")::

        KL(q(z|x) || p(z))  =  [log q(z|x) - log q(z)]              index-code MI, I(x; z)
                             + [log q(z) - sum_j log q(z_j)]         total correlation of q(z)
                             + [sum_j log q(z_j) - log p(z_j)]       dimension-wise KL to N(0, 1)

    Every term is evaluated at the same samples, so the three per-row terms add up exactly to the
    Monte-Carlo KL ``log q(z_n|x_n) - log p(z_n)`` of the row. ``log q(z_n)`` and the marginals
    ``log q(z_nj)`` are logsumexps over all N posteriors (the estimator of the beta-TC-VAE code
    for the full data set), so they are biased towards 0 for small N and the MI saturates at
    ``log N``; compare models at the same N.

    Parameters
    ----------
    mean, logvar : array-like of shape (n_samples, n_latents)
        Diagonal Gaussian posteriors ``q(z|x_n)``.
    rng : int or numpy.random.Generator
        Keyword-only, required.
        Draws the samples.
    chunk : int, default=1024
        Rows of each N x N log-density matrix computed at once.

    Returns
    -------
    terms : dict of str to ndarray of shape (n_samples,)
        ``index_code_mi``, ``total_correlation``, ``dimwise_kl`` and ``kl`` (their sum), per row in
        nats; their means are the estimates.

    Raises
    ------
    InputValidationError
        For non-finite or misshapen inputs, or fewer than 2 rows.

    Examples
    --------
    >>> import numpy as np
    >>> mean, logvar = np.zeros((500, 3)), np.zeros((500, 3))      # every posterior is the prior
    >>> t = kl_decomposition(mean, logvar, rng=0)
    >>> [round(abs(float(t[k].mean())), 12) for k in ("index_code_mi", "total_correlation", "dimwise_kl")]
    [0.0, 0.0, 0.0]
    """
    mu = check_array(mean, "mean", min_rows=2)
    lv = check_logvar(logvar, "logvar", min_rows=2)
    check_consistent_length(mean=mu, logvar=lv)
    check_param(chunk, "chunk", low=1, integer=True)
    n, d = mu.shape
    eps = check_rng(rng).standard_normal(mu.shape)
    z = mu + np.exp(0.5 * lv) * eps
    log_q_own = -0.5 * (d * LOG_2PI + lv.sum(axis=1) + (eps * eps).sum(axis=1))
    log_p = -0.5 * (d * LOG_2PI + (z * z).sum(axis=1))
    log_qz = _log_mixture_density(z, mu, lv, chunk)
    log_qzj = np.column_stack([_log_mixture_density(z[:, j : j + 1], mu[:, j : j + 1], lv[:, j : j + 1], chunk)
                               for j in range(d)])
    log_pzj = -0.5 * (LOG_2PI + z * z)
    mi = log_q_own - log_qz
    tc = log_qz - log_qzj.sum(axis=1)
    dwkl = (log_qzj - log_pzj).sum(axis=1)
    return {"index_code_mi": mi, "total_correlation": tc, "dimwise_kl": dwkl, "kl": log_q_own - log_p}
