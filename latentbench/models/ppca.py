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
from typing import Any

import numpy as np
import torch
from torch import nn

from ..exceptions import InputValidationError

__all__ = ["ProbabilisticPCA"]


class ProbabilisticPCA(nn.Module):
    """Probabilistic PCA with ``latent_dim`` components, Gaussian likelihood and an N(0, I) prior.

    Build it with :meth:`fit` (scikit-learn's PCA on the CPU; ``torch.linalg.eigh`` of the
    covariance on a GPU: the same subspace, since both are exact eigendecompositions).
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
    def fit(cls, x: np.ndarray, latent_dim: int, *, obs_shape: tuple[int, ...] | None = None, device: str = "cpu") -> ProbabilisticPCA:
        """Fit by maximum likelihood to ``x`` of shape ``(n_samples, n_features)`` (float64 arithmetic)."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        n, d = x.shape
        if not 0 < latent_dim < min(n, d):
            raise InputValidationError(f"'latent_dim' must be in [1, {min(n, d) - 1}] for {n} samples of {d} features, got {latent_dim}")
        if device == "cpu":
            from sklearn.decomposition import PCA

            pca = PCA(n_components=latent_dim, svd_solver="full").fit(x)
            components, lam, sigma2, mean = pca.components_.T, pca.explained_variance_, float(pca.noise_variance_), pca.mean_
        else:
            xt = torch.as_tensor(x, device=device)
            mean_t = xt.mean(0)
            cov = torch.cov((xt - mean_t).T)  # unbiased, as scikit-learn's explained_variance_
            evals, evecs = torch.linalg.eigh(cov)
            evals, evecs = evals.flip(0), evecs.flip(1)
            lam, components = evals[:latent_dim].cpu().numpy(), evecs[:, :latent_dim].cpu().numpy()
            sigma2, mean = float(evals[latent_dim:].mean()), mean_t.cpu().numpy()
        model = cls(d, latent_dim, obs_shape)
        model.mu.copy_(torch.as_tensor(mean))
        model.W.copy_(torch.as_tensor(components * np.sqrt(np.maximum(lam - sigma2, 0.0))))
        model.eigenvalues.copy_(torch.as_tensor(lam))
        model.sigma2.fill_(sigma2)
        return model.to(device)

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
        return -0.5 * ((r * r).sum(1) / self.sigma2 + self.n_features * (math.log(2 * math.pi) + torch.log(self.sigma2)))

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) = log N(x; mu, W W^T + sigma^2 I)."""
        cov = self.W @ self.W.T + self.sigma2 * torch.eye(self.n_features, dtype=self.W.dtype, device=self.W.device)
        dist = torch.distributions.MultivariateNormal(self.mu, covariance_matrix=cov)
        return dist.log_prob(self._flat(x))

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, latent_dim={self.latent_dim}, sigma2={float(self.sigma2):.4g}"

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "latent_dim": self.latent_dim, "obs_shape": list(self.obs_shape)}
