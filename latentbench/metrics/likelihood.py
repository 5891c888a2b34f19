"""Likelihood bounds: the ELBO and the importance-weighted bound (IWAE).

For a model with a posterior q(z|x), a likelihood p(x|z) and a prior p(z), draw ``K`` samples
``z_k ~ q(z|x)`` and form the log importance weights ``log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x)``.
Then (Burda et al. 2016)

* ``ELBO = E_q[log w]``, estimated by the mean of the ``K`` log-weights;
* ``IWAE_K = E[log (1/K) sum_k w_k]``, which rises with ``K`` towards ``log p(x)``.

With the exact posterior every weight equals ``p(x)``, so ELBO = IWAE_K = log p(x) for every K.

References
----------
Kingma & Welling (2014), Auto-Encoding Variational Bayes. Burda, Grosse & Salakhutdinov (2016),
Importance Weighted Autoencoders.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ..constants import LOG_2PI as _LOG_2PI
from ..exceptions import InputValidationError
from ..validation import check_array, check_consistent_length

__all__ = [
    "MAX_ABS_LOGVAR",
    "check_logvar",
    "diag_gaussian_log_prob",
    "elbo_from_log_weights",
    "iwae_from_log_weights",
    "nats_to_bits_per_dim",
    "standard_normal_kl",
]

LOG_2PI = _LOG_2PI  # re-exported: metrics.likelihood.LOG_2PI


#: The largest |log-variance| accepted: exp(logvar) and exp(-logvar) stay finite in float64.
MAX_ABS_LOGVAR = 700.0


def check_logvar(logvar: object, name: str = "logvar", **kwargs: Any) -> np.ndarray:
    """A log-variance array (as :func:`~latentbench.validation.check_array`) whose exponential is finite:
    values beyond +/-700 (a variance of e^700) are refused instead of overflowing into NaN."""
    lv = check_array(logvar, name, **kwargs)
    if lv.size and float(np.abs(lv).max()) > MAX_ABS_LOGVAR:
        raise InputValidationError(f"{name} reaches {float(np.abs(lv).max()):.3g}; a log-variance beyond +/-{MAX_ABS_LOGVAR:g} "
                                   f"overflows exp(); the model's posterior is degenerate (check its scale)")
    return lv


def diag_gaussian_log_prob(z: object, mean: object, logvar: object) -> np.ndarray:
    """log N(z; mean, diag(exp(logvar))) summed over the last axis.

    Parameters
    ----------
    z : array-like of shape (..., n_samples, n_latents)
        Points; leading axes broadcast against ``mean``.
    mean, logvar : array-like of shape (n_samples, n_latents)

    Returns
    -------
    log_prob : ndarray of shape (..., n_samples)
    """
    z = check_array(z, "z", ndim=None)
    mean = check_array(mean, "mean")
    logvar = check_logvar(logvar, "logvar")
    if mean.shape != logvar.shape:
        raise InputValidationError(f"mean and logvar must have the same shape, got {mean.shape} and {logvar.shape}")
    if z.ndim < 2 or z.shape[-2:] != mean.shape:
        raise InputValidationError(f"z must have shape (..., {mean.shape[0]}, {mean.shape[1]}) like mean, got {z.shape}")
    return -0.5 * (((z - mean) ** 2) * np.exp(-logvar) + logvar + LOG_2PI).sum(axis=-1)


def standard_normal_kl(mean: object, logvar: object) -> np.ndarray:
    """KL( N(mean, diag(exp(logvar))) || N(0, I) ) per sample and dimension, in nats.

    Returns
    -------
    kl : ndarray of shape (n_samples, n_latents)
    """
    mean = check_array(mean, "mean")
    logvar = check_logvar(logvar, "logvar")
    check_consistent_length(mean=mean, logvar=logvar)
    return 0.5 * (mean**2 + np.exp(logvar) - 1.0 - logvar)


def elbo_from_log_weights(log_w: object) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample ELBO estimate and its Monte-Carlo standard error.

    Parameters
    ----------
    log_w : array-like of shape (n_importance, n_samples)
        Log importance weights ``log p(x|z_k) + log p(z_k) - log q(z_k|x)``.

    Returns
    -------
    elbo : ndarray of shape (n_samples,)
        The mean log-weight.
    mc_stderr : ndarray of shape (n_samples,)
        Its Monte-Carlo standard error (``std / sqrt(K)``; zero when K == 1 is unknowable: NaN).
    """
    lw = check_array(log_w, "log_w")
    k = lw.shape[0]
    se = lw.std(axis=0, ddof=1) / math.sqrt(k) if k > 1 else np.full(lw.shape[1], np.nan)
    return lw.mean(axis=0), se


def iwae_from_log_weights(log_w: object) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample importance-weighted bound ``log mean_k exp(log_w_k)`` and its delta-method standard error.

    Parameters
    ----------
    log_w : array-like of shape (n_importance, n_samples)

    Returns
    -------
    iwae : ndarray of shape (n_samples,)
    mc_stderr : ndarray of shape (n_samples,)
        ``std(w) / (sqrt(K) mean(w))`` computed stably from normalised weights (NaN when K == 1).
    """
    lw = check_array(log_w, "log_w")
    k = lw.shape[0]
    bound = logsumexp(lw, axis=0) - math.log(k)
    if k == 1:
        return bound, np.full(lw.shape[1], np.nan)
    w = np.exp(lw - lw.max(axis=0))
    se = w.std(axis=0, ddof=1) / (math.sqrt(k) * w.mean(axis=0))
    return bound, se


def nats_to_bits_per_dim(log_prob_nats: float, n_features: int) -> float:
    """Convert a log-likelihood (nats per example) to a negative log-likelihood in bits per dimension."""
    return float(-log_prob_nats / (n_features * math.log(2)))
