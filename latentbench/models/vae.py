"""MLP autoencoders and VAEs for vector data and small (flattened) images.

One class covers AE (``beta = 0`` and a deterministic encoder), VAE (``beta = 1``) and
beta-VAE (``beta > 1``). Likelihoods: ``bernoulli`` (binary data; the decoder gives logits) and
``gaussian`` (a learned scalar observation variance).

References
----------
Kingma & Welling (2014), Auto-Encoding Variational Bayes. Higgins et al. (2017), beta-VAE.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..exceptions import InputValidationError

__all__ = ["MLPVAE"]


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLPVAE(nn.Module):
    """A fully connected VAE with a diagonal Gaussian posterior and an N(0, I) prior.

    Parameters
    ----------
    obs_shape : tuple of int
        The shape of one observation; inputs are flattened.
    latent_dim : int, default=10
    hidden : sequence of int, default=(256, 256)
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
    beta : float, default=1.0
        Weight of the KL term in the training objective.
    """

    prior = "standard_normal"

    def __init__(self, obs_shape: Sequence[int], latent_dim: int = 10, hidden: Sequence[int] = (256, 256),
                 likelihood: str = "gaussian", beta: float = 1.0) -> None:
        super().__init__()
        if likelihood not in ("gaussian", "bernoulli"):
            raise InputValidationError(f"'likelihood' must be 'gaussian' or 'bernoulli', got {likelihood!r}")
        self.obs_shape = tuple(int(s) for s in obs_shape)
        self.n_features = math.prod(self.obs_shape)
        self.latent_dim, self.hidden, self.likelihood, self.beta = int(latent_dim), tuple(hidden), likelihood, float(beta)
        self.encoder = _mlp([self.n_features, *self.hidden, 2 * self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *reversed(self.hidden), self.n_features])
        self.obs_logvar = nn.Parameter(torch.zeros(())) if likelihood == "gaussian" else None

    def config(self) -> dict[str, Any]:
        return {"obs_shape": list(self.obs_shape), "latent_dim": self.latent_dim, "hidden": list(self.hidden),
                "likelihood": self.likelihood, "beta": self.beta}

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x), each ``(n, latent_dim)``."""
        h = self.encoder(x.reshape(len(x), -1))
        mean, logvar = h.chunk(2, dim=1)
        return mean, logvar.clamp(-12.0, 8.0)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.posterior(x)

    def decoder_output(self, z: torch.Tensor) -> torch.Tensor:
        """Logits (Bernoulli) or means (Gaussian), flattened."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The mean of p(x|z): probabilities (Bernoulli) or the Gaussian mean, ``(n, n_features)``."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x|z) per row, in nats."""
        x = x.reshape(len(x), -1)
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1)
        lv = self.obs_logvar
        return -0.5 * (((x - out) ** 2) * torch.exp(-lv) + lv + math.log(2 * math.pi)).sum(1)

    def loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """The negative beta-ELBO of a batch (mean over rows), with its reconstruction and KL terms."""
        mean, logvar = self.posterior(x)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * logvar) * eps
        rec = self.log_likelihood(x, z).mean()
        kl = (0.5 * (mean**2 + logvar.exp() - 1.0 - logvar)).sum(1).mean()
        return {"loss": -(rec - self.beta * kl), "recon": -rec, "kl": kl}
