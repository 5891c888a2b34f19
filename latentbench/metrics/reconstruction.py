"""Reconstruction error: how well ``decode(encode(x))`` gives ``x`` back.

Functions named ``*_error`` / ``*_loss`` are lower-better; ``psnr`` is higher-better.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import InputValidationError, UndefinedMetricWarning
from ..validation import check_array, check_consistent_length

__all__ = ["binary_cross_entropy_per_sample", "per_sample_squared_error", "psnr_per_sample", "error_quantiles"]


def _pair(x: object, x_hat: object) -> tuple[np.ndarray, np.ndarray]:
    xa = check_array(x, "x", ndim=None)
    xh = check_array(x_hat, "x_hat", ndim=None)
    for name, arr in (("x", xa), ("x_hat", xh)):
        if arr.ndim == 0:
            raise InputValidationError(f"{name} must be an array of shape (n_samples, ...), got the scalar {arr.item()!r}")
    check_consistent_length(x=xa, x_hat=xh)
    xa, xh = xa.reshape(len(xa), -1), xh.reshape(len(xh), -1)
    if xa.shape != xh.shape:
        raise InputValidationError(f"x has {xa.shape[1]} values per sample but x_hat has {xh.shape[1]}; decode must return the input's shape")
    return xa, xh


def per_sample_squared_error(x: object, x_hat: object) -> np.ndarray:
    """Mean squared error of each sample over its features.

    Parameters
    ----------
    x, x_hat : array-like of shape (n_samples, ...)
        Observations and reconstructions (any trailing shape, flattened).

    Returns
    -------
    mse : ndarray of shape (n_samples,)
    """
    xa, xh = _pair(x, x_hat)
    d = xa - xh
    return np.einsum("ij,ij->i", d, d) / xa.shape[1]


def binary_cross_entropy_per_sample(x: object, p: object, *, eps: float = 1e-7) -> np.ndarray:
    """Bernoulli negative log-likelihood of binary ``x`` under probabilities ``p``, summed over features (nats).

    Parameters
    ----------
    x : array-like of shape (n_samples, ...)
        Values in {0, 1}.
    p : array-like of shape (n_samples, ...)
        Reconstruction probabilities; clipped to ``[eps, 1 - eps]``.

    Returns
    -------
    bce : ndarray of shape (n_samples,)
    """
    xa, pa = _pair(x, p)
    if not np.isin(xa, (0.0, 1.0)).all():
        raise InputValidationError("binary cross-entropy needs binary x (values 0 and 1); use the squared error for other data")
    if (pa < 0).any() or (pa > 1).any():
        raise InputValidationError("x_hat must be probabilities in [0, 1] for binary cross-entropy; apply a sigmoid in decode")
    pa = np.clip(pa, eps, 1 - eps)
    return -(xa * np.log(pa) + (1 - xa) * np.log1p(-pa)).sum(axis=1)


def psnr_per_sample(mse: object, *, data_range: float = 1.0, max_db: float = 100.0) -> np.ndarray:
    """Peak signal-to-noise ratio ``10 log10(data_range^2 / mse)`` of each sample, in dB.

    A perfect reconstruction (``mse == 0``) has infinite PSNR; it is capped at ``max_db`` so a
    mean over samples stays finite (and a warning says so).

    Parameters
    ----------
    mse : array-like of shape (n_samples,)
        Per-sample mean squared errors.
    data_range : float, default=1.0
        The span of the data (1 for images in [0, 1]).
    max_db : float, default=100.0
    """
    m = check_array(mse, "mse", ndim=1)
    if (m < 0).any():
        raise InputValidationError("mse must be non-negative")
    floor = data_range**2 / 10 ** (max_db / 10)
    if (m < floor).any():
        warnings.warn(f"{int((m < floor).sum())} samples reconstructed (almost) perfectly: PSNR capped at {max_db} dB",
                      UndefinedMetricWarning, stacklevel=2)
    return 10.0 * np.log10(data_range**2 / np.maximum(m, floor))


def error_quantiles(errors: object, quantiles: tuple[float, ...] = (0.5, 0.9, 0.99)) -> dict[str, float]:
    """Quantiles and maximum of per-sample errors, keyed ``p50``, ``p90``, ``p99``, ``max``."""
    e = check_array(errors, "errors", ndim=1)
    out = {f"p{round(q * 100):d}": float(np.quantile(e, q)) for q in quantiles}
    out["max"] = float(e.max())
    return out
