"""Posterior collapse: active units, KL per dimension and the mutual information I(x; z).

References
----------
Burda, Grosse & Salakhutdinov (2016), Importance Weighted Autoencoders (active units).
He, Spokoyny, Neubig & Berg-Kirkpatrick (2019), Lagging Inference Networks and Posterior Collapse
in Variational Autoencoders (the aggregate-posterior estimator of I(x; z)).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import logsumexp

from ..exceptions import UndefinedMetricWarning
from ..validation import check_array, check_consistent_length, check_param
from .likelihood import LOG_2PI, standard_normal_kl

__all__ = ["active_units", "kl_per_dimension", "mutual_information_aggregate"]


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
    variances : ndarray of shape (n_latents,)
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


def mutual_information_aggregate(mean: object, logvar: object, rng: np.random.Generator, *, chunk: int = 1024) -> float:
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
    rng : numpy.random.Generator
        Draws the samples.
    chunk : int, default=1024
        Rows of the N x N log-density matrix computed at once.

    Returns
    -------
    mi : float
        In nats; NaN with a warning for fewer than 2 rows.
    """
    mu = check_array(mean, "mean")
    lv = check_array(logvar, "logvar")
    check_consistent_length(mean=mu, logvar=lv)
    n, d = mu.shape
    if n < 2:
        warnings.warn("I(x;z) needs at least 2 samples", UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    eps = rng.standard_normal(mu.shape)
    z = mu + np.exp(0.5 * lv) * eps
    log_q_own = -0.5 * (d * LOG_2PI + lv.sum(axis=1) + (eps * eps).sum(axis=1))  # log q(z_n | x_n)
    inv_var = np.exp(-lv)
    norm = -0.5 * (d * LOG_2PI + lv.sum(axis=1))  # (n,)
    log_qz = np.empty(n)
    # ||z_i - mu_m||^2 / var_m expanded so each chunk is matrix products, not an (chunk, n, d) tensor
    a = (mu * mu * inv_var).sum(axis=1)  # (n,)
    for s in range(0, n, chunk):
        zc = z[s : s + chunk]
        quad = (zc * zc) @ inv_var.T - 2.0 * zc @ (mu * inv_var).T + a[None, :]
        log_qz[s : s + chunk] = logsumexp(norm[None, :] - 0.5 * quad, axis=1) - math.log(n)
    return float((log_q_own - log_qz).mean())
