"""Probabilistic PCA (Tipping & Bishop 1999) as a torch module with every capability.

With ``W = U (Lambda - sigma^2 I)^{1/2}`` (orthogonal columns, the maximum-likelihood solution
with the rotation set to the identity) the exact posterior q(z|x) is a *diagonal* Gaussian:
``mean = diag(1/lambda) W^T (x - mu)``, ``var = sigma^2 / lambda``. So the ELBO with this
posterior equals log p(x), and so does every importance-weighted bound: a test of the likelihood
task whose answer is known exactly. ``log_marginal`` gives log p(x) in closed form (scikit-learn's
``PCA.score_samples`` is the peer).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..constants import LOG_2PI
from ..exceptions import InputValidationError

__all__ = ["SOLVERS", "ProbabilisticPCA", "principal_angles", "resolve_solver", "streaming_moments"]

#: Solvers of :meth:`ProbabilisticPCA.fit`.
SOLVERS: tuple[str, ...] = ("auto", "sklearn", "eigh", "lowrank")


def resolve_solver(solver: str, device: str) -> str:
    """``auto`` -> ``sklearn`` on the CPU and ``eigh`` on a GPU; other names are checked."""
    if solver not in SOLVERS:
        raise InputValidationError(f"'solver' must be one of {SOLVERS}, got {solver!r}")
    if solver == "auto":
        return "sklearn" if device == "cpu" else "eigh"
    return solver


def _check_latent_dim(latent_dim: int, n: int, d: int) -> None:
    if not 0 < latent_dim < min(n, d):
        raise InputValidationError(f"'latent_dim' must be in [1, {min(n, d) - 1}] for {n} samples of {d} features, got {latent_dim}")


def _flip_signs(components: np.ndarray) -> np.ndarray:
    """scikit-learn's sign convention (``svd_flip`` with ``u_based_decision=False``): in each column
    of ``components`` ``(d, k)`` the entry of largest magnitude is positive."""
    idx = np.argmax(np.abs(components), axis=0)
    signs = np.sign(components[idx, np.arange(components.shape[1])])
    signs[signs == 0] = 1.0
    return components * signs


def streaming_moments(batches: Iterable[Any], *, device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor, int]:
    """Mean ``(d,)``, unbiased covariance ``(d, d)`` and row count of data given in batches.

    Each batch is ``(m, d)`` (array or tensor); sums are accumulated in float64 on ``device``
    around a shift (the first batch's mean) so that centring loses no precision.
    """
    shift = s1 = s2 = None
    n = 0
    for b in batches:
        bt = torch.as_tensor(b, device=device).reshape(len(b), -1).to(torch.float64)
        if shift is None:
            shift = bt.mean(0)
            s1 = torch.zeros_like(shift)
            s2 = torch.zeros(len(shift), len(shift), dtype=torch.float64, device=device)
        c = bt - shift
        s1 += c.sum(0)
        s2 += c.T @ c
        n += len(bt)
    if n < 2:
        raise InputValidationError(f"need at least 2 rows to estimate a covariance, got {n}")
    m = s1 / n
    cov = (s2 - n * torch.outer(m, m)) / (n - 1)
    return shift + m, cov, n


def principal_angles(a: Any, b: Any) -> np.ndarray:
    """Principal angles (radians, ascending) between the column spaces of ``a`` ``(d, k)`` and ``b`` ``(d, l)``.

    Computed from the singular values of ``Q_a^T Q_b`` (orthonormal bases by QR), with the sine
    formula for small angles (Bjorck & Golub 1973), so angles near 0 are accurate.
    """
    qa, _ = np.linalg.qr(np.asarray(a, dtype=np.float64))
    qb, _ = np.linalg.qr(np.asarray(b, dtype=np.float64))
    # sin of the angles: singular values of (I - Qa Qa^T) Qb, sorted to match ascending angles
    resid = qb - qa @ (qa.T @ qb)
    sines = np.sort(np.clip(np.linalg.svd(resid, compute_uv=False), 0.0, 1.0))
    return np.arcsin(sines)


class ProbabilisticPCA(nn.Module):
    """Probabilistic PCA with ``latent_dim`` components, Gaussian likelihood and an N(0, I) prior.

    Build it with :meth:`fit` (scikit-learn's PCA on the CPU; ``torch.linalg.eigh`` of the
    covariance or ``torch.pca_lowrank`` on a GPU: the same subspace up to a stated tolerance) or
    :meth:`fit_moments` (from a mean and covariance accumulated in batches).
    """

    likelihood = "gaussian"
    prior = "standard_normal"

    def __init__(self, n_features: int, latent_dim: int, obs_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.n_features, self.latent_dim = int(n_features), int(latent_dim)
        self.obs_shape = tuple(obs_shape or (n_features,))
        self.register_buffer("mu", torch.zeros(n_features, dtype=torch.float64))
        self.register_buffer("W", torch.zeros(n_features, latent_dim, dtype=torch.float64))
        self.register_buffer("eigenvalues", torch.ones(latent_dim, dtype=torch.float64))
        self.register_buffer("sigma2", torch.ones((), dtype=torch.float64))

    @classmethod
    def fit(cls, x: Any, latent_dim: int, *, obs_shape: tuple[int, ...] | None = None, device: str = "cpu",
            solver: str = "auto", seed: int = 0) -> ProbabilisticPCA:
        """Fit by maximum likelihood to ``x`` of shape ``(n_samples, n_features)`` (float64 arithmetic).

        Parameters
        ----------
        x : array-like or Tensor of shape (n_samples, n_features) (or (n_samples, *obs_shape))
        latent_dim : int
            Components, in ``[1, min(n_samples, n_features) - 1]``.
        obs_shape : tuple of int, optional
            The shape of one observation (for ``decode``'s users); default ``(n_features,)``.
        device : str, default="cpu"
            Where the torch solvers run and where the fitted module lives.
        solver : {"auto", "sklearn", "eigh", "lowrank"}, default="auto"
            ``sklearn``: scikit-learn's ``PCA`` (``svd_solver="full"`` when ``min(n, d) <= 1000``,
            else ``"arpack"``: both exact to machine or ARPACK tolerance). ``eigh``:
            ``torch.linalg.eigh`` of the covariance on ``device`` (exact). ``lowrank``:
            ``torch.pca_lowrank`` (randomized, ``q = latent_dim + 10``, 6 power iterations, seeded by
            ``seed``). ``auto``: ``sklearn`` on the CPU, ``eigh`` elsewhere. All give the same
            subspace up to numerical error (for ``lowrank``, up to its randomized approximation; see
            ``tests/test_models_pca.py`` for the principal-angle tolerances).
        seed : int, default=0
            Seeds the randomized parts (ARPACK's start vector, ``pca_lowrank``).

        Returns
        -------
        ProbabilisticPCA
            On ``device``. Component signs follow scikit-learn's convention (the largest-magnitude
            entry of each component is positive), so every solver gives comparable latents.
        """
        solver = resolve_solver(solver, device)
        if not torch.is_tensor(x):
            x = np.asarray(x)
        n, d = int(x.shape[0]), int(math.prod(x.shape[1:]))
        _check_latent_dim(latent_dim, n, d)
        if solver == "sklearn":
            from sklearn.decomposition import PCA

            xa = np.asarray(x.detach().cpu() if torch.is_tensor(x) else x, dtype=np.float64).reshape(n, d)
            svd_solver = "full" if min(n, d) <= 1000 else "arpack"
            pca = PCA(n_components=latent_dim, svd_solver=svd_solver, random_state=seed).fit(xa)
            return cls._from_parts(pca.mean_, pca.components_.T, pca.explained_variance_, float(pca.noise_variance_),
                                   latent_dim, obs_shape, device)
        xt = torch.as_tensor(x, device=device).reshape(n, d).to(torch.float64)
        if solver == "eigh":
            mean = xt.mean(0)
            cov = torch.cov((xt - mean).T)  # unbiased, as scikit-learn's explained_variance_
            return cls.fit_moments(mean, cov, n, latent_dim, obs_shape=obs_shape, device=device)
        q = min(latent_dim + 10, min(n, d))
        devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            _, s, v = torch.pca_lowrank(xt, q=q, center=True, niter=6)
        lam = (s[:latent_dim] ** 2) / (n - 1)
        total = xt.var(0, unbiased=True).sum()
        sigma2 = float((total - lam.sum()) / (min(n, d) - latent_dim))
        return cls._from_parts(xt.mean(0).cpu().numpy(), v[:, :latent_dim].cpu().numpy(), lam.cpu().numpy(), sigma2,
                               latent_dim, obs_shape, device)

    @classmethod
    def fit_moments(cls, mean: Any, cov: Any, n_samples: int, latent_dim: int, *, obs_shape: tuple[int, ...] | None = None,
                    device: str = "cpu") -> ProbabilisticPCA:
        """Fit from the data's mean ``(d,)`` and unbiased covariance ``(d, d)`` (``torch.linalg.eigh``).

        The way to fit data too large to hold at once: accumulate the moments in batches
        (:func:`streaming_moments`). ``sigma^2`` is the mean of the discarded eigenvalues over
        ``min(n_samples, d) - latent_dim`` of them, as scikit-learn's ``noise_variance_``.
        """
        mean_t = torch.as_tensor(mean, device=device, dtype=torch.float64)
        cov_t = torch.as_tensor(cov, device=device, dtype=torch.float64)
        d = int(mean_t.shape[0])
        _check_latent_dim(latent_dim, int(n_samples), d)
        evals, evecs = torch.linalg.eigh(cov_t)
        evals, evecs = evals.flip(0), evecs.flip(1)
        lam = evals[:latent_dim]
        sigma2 = float((torch.trace(cov_t) - lam.sum()) / (min(int(n_samples), d) - latent_dim))
        return cls._from_parts(mean_t.cpu().numpy(), evecs[:, :latent_dim].cpu().numpy(), lam.cpu().numpy(), sigma2,
                               latent_dim, obs_shape, device)

    @classmethod
    def _from_parts(cls, mean: np.ndarray, components: np.ndarray, lam: np.ndarray, sigma2: float, latent_dim: int,
                    obs_shape: tuple[int, ...] | None, device: str) -> ProbabilisticPCA:
        components = _flip_signs(np.asarray(components, dtype=np.float64))
        lam = np.asarray(lam, dtype=np.float64)
        model = cls(components.shape[0], latent_dim, obs_shape)
        model.mu.copy_(torch.as_tensor(np.asarray(mean, dtype=np.float64)))
        model.W.copy_(torch.as_tensor(components * np.sqrt(np.maximum(lam - sigma2, 0.0))))
        model.eigenvalues.copy_(torch.as_tensor(lam))
        model.sigma2.fill_(sigma2)
        return model.to(device)

    def components(self) -> torch.Tensor:
        """Orthonormal basis of the principal subspace, ``(n_features, latent_dim)`` (the columns of W, normalised)."""
        return self.W / self.W.norm(dim=0).clamp_min(1e-300)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1).to(self.mu.dtype)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact q(z|x): mean ``(n, d)`` and log-variance ``(n, d)``."""
        mean = (self._flat(x) - self.mu) @ self.W / self.eigenvalues
        logvar = torch.log(self.sigma2 / self.eigenvalues).expand_as(mean)
        return mean, logvar

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.posterior(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean of p(x|z): ``W z + mu``, flattened ``(n, n_features)``."""
        return z.to(self.W.dtype) @ self.W.T + self.mu

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log N(x; W z + mu, sigma^2 I)."""
        r = self._flat(x) - self.decode(z)
        return -0.5 * ((r * r).sum(1) / self.sigma2 + self.n_features * (LOG_2PI + torch.log(self.sigma2)))

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) = log N(x; mu, W W^T + sigma^2 I)."""
        cov = self.W @ self.W.T + self.sigma2 * torch.eye(self.n_features, dtype=self.W.dtype, device=self.W.device)
        dist = torch.distributions.MultivariateNormal(self.mu, covariance_matrix=cov)
        return dist.log_prob(self._flat(x))

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, latent_dim={self.latent_dim}, sigma2={float(self.sigma2):.4g}"

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "latent_dim": self.latent_dim, "obs_shape": list(self.obs_shape)}
