"""Autoencoders and VAEs: MLPs for vectors and small images, and the standard convolutional
encoder/decoder for 64x64 images (the ``shapes`` grid), with the AE, VAE, beta-VAE and
beta-TC-VAE objectives.

Modules
-------
:class:`MLPVAE`, :class:`ConvVAE`
    A diagonal Gaussian posterior q(z|x), an N(0, I) prior and a Bernoulli (the decoder gives
    logits) or Gaussian (a learned scalar observation variance) likelihood: every capability.
    ``objective`` picks the training loss (see :data:`OBJECTIVES`).
:class:`MLPAE`, :class:`ConvAE`
    Deterministic autoencoders: ``encode(x) -> z`` and ``decode(z)`` only. They have no posterior,
    no likelihood and no prior on purpose: an AE trained by reconstruction alone defines no
    density, so tasks that need one (ELBO, collapse) are reported as skipped, not faked.

Every module has ``loss(x, generator) -> {"loss", "recon", "kl"[, "tc"]}`` (means over the batch,
in nats per example), which the one training loop in :mod:`latentbench.models.zoo` minimises, and
``config()``, the constructor's arguments (stored with each checkpoint).

The convolutional architecture is the one of Burgess et al. (2018) and Locatello et al. (2019,
Table 1; disentanglement_lib's ``conv_encoder``/``deconv_decoder``): four 4x4 stride-2
convolutions with 32, 32, 64, 64 channels and ReLU, a 256-unit layer, a linear layer to the
posterior's mean and log-variance; the decoder mirrors it with transposed convolutions and gives
Bernoulli logits.

References
----------
Kingma & Welling (2014), Auto-Encoding Variational Bayes. Higgins et al. (2017), beta-VAE.
Burgess et al. (2018), Understanding disentangling in beta-VAE. Chen et al. (2018), Isolating
Sources of Disentanglement in VAEs (beta-TC-VAE). Locatello et al. (2019), Challenging Common
Assumptions in the Unsupervised Learning of Disentangled Representations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..constants import LOG_2PI
from ..exceptions import InputValidationError

__all__ = [
    "AE_LOSSES",
    "OBJECTIVES",
    "ConvAE",
    "ConvDecoder",
    "ConvEncoder",
    "ConvVAE",
    "MLPAE",
    "MLPVAE",
    "gaussian_log_density",
    "total_correlation_mws",
]

#: Training objectives of the VAE modules.
#:
#: * ``vae`` -- the negative beta-ELBO, ``-E_q log p(x|z) + beta * KL(q(z|x) || p(z))`` (beta = 1 is
#:   the VAE of Kingma & Welling; ``beta-vae`` is the same loss, the name a spec uses when beta > 1,
#:   Higgins et al. 2017).
#: * ``beta-tc-vae`` -- Chen et al. (2018), eq. 4 with alpha = gamma = 1:
#:   ``-E_q log p(x|z) + KL + (beta - 1) * TC``, where TC is the minibatch-weighted-sampling (MWS)
#:   estimate of the total correlation of the aggregate posterior (needs the training set's size).
#:   The KL term is the analytic one, as in disentanglement_lib's ``BetaTCVAE``.
OBJECTIVES: tuple[str, ...] = ("vae", "beta-vae", "beta-tc-vae")

#: Reconstruction losses of the autoencoders (per example, summed over features).
AE_LOSSES: tuple[str, ...] = ("bernoulli", "gaussian")



def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# ---------------------------------------------------------------------------------------- estimators
def gaussian_log_density(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(z; mean, exp(logvar)) (broadcasting), in nats."""
    return -0.5 * (LOG_2PI + logvar + (z - mean) ** 2 * torch.exp(-logvar))


def total_correlation_mws(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor, dataset_size: int | None = None,
                          *, chunk: int = 256) -> torch.Tensor:
    """Total correlation ``log q(z) - sum_j log q(z_j)`` of the aggregate posterior, per row.

    The aggregate posterior ``q(z) = 1/N sum_n q(z|x_n)`` and its marginals are estimated from a
    batch of ``B`` rows by minibatch-weighted sampling (Chen et al. 2018, section 4.1):
    ``log q(z_i) ~ logsumexp_j log q(z_i|x_j) - log(B N)``, and likewise per dimension.

    Parameters
    ----------
    z : Tensor of shape (B, D)
        One sample of q(z|x_i) per row.
    mean, logvar : Tensor of shape (B, D)
        The posterior parameters of the same rows.
    dataset_size : int, optional
        ``N``, the size of the data set the batch was drawn from (the training set). ``None``
        treats the batch as the whole data set (``log q(z_i) = logsumexp_j log q(z_i|x_j) - log B``):
        the estimator of the TC of a fixed set's aggregate posterior, used for evaluation.
    chunk : int, default=256
        Rows of ``z`` processed at a time (memory ``chunk * B * D``).

    Returns
    -------
    tc : Tensor of shape (B,)
        Per-row estimates in nats; their mean is the estimate. MWS is biased (by a constant
        ``(D - 1) log(N / B)``-order term for large N); only its gradient matters in training.
    """
    if not (z.shape == mean.shape == logvar.shape and z.ndim == 2):
        raise InputValidationError(f"z, mean and logvar must share one (B, D) shape, got {tuple(z.shape)}, "
                                   f"{tuple(mean.shape)}, {tuple(logvar.shape)}")
    b, d = z.shape
    log_norm = math.log(b * dataset_size) if dataset_size is not None else math.log(b)
    out = []
    for s in range(0, b, chunk):
        lq = gaussian_log_density(z[s : s + chunk, None, :], mean[None], logvar[None])  # (c, B, D)
        log_qz = torch.logsumexp(lq.sum(2), dim=1) - log_norm
        log_prod = (torch.logsumexp(lq, dim=1) - log_norm).sum(1)
        out.append(log_qz - log_prod)
    return torch.cat(out)


# ---------------------------------------------------------------------------------------- conv blocks
def _check_image_shape(obs_shape: Sequence[int], n_down: int) -> tuple[int, int, int]:
    if len(obs_shape) != 3:
        raise InputValidationError(f"'obs_shape' must be (channels, height, width) for a convolutional model, got {tuple(obs_shape)}")
    c, h, w = (int(s) for s in obs_shape)
    if h != w or h % (2**n_down) or h < 2**n_down:
        raise InputValidationError(f"'obs_shape' must be square with a side divisible by {2**n_down} "
                                   f"({n_down} stride-2 layers), got {tuple(obs_shape)}")
    return c, h, w


class ConvEncoder(nn.Module):
    """Stride-2 4x4 convolutions with ReLU, a hidden fully connected layer, a linear output.

    Parameters
    ----------
    obs_shape : tuple of int
        ``(channels, height, width)``; the side must be divisible by ``2 ** len(channels)``.
    out_dim : int
        Output width (``2 * latent_dim`` for a Gaussian posterior).
    channels : sequence of int, default=(32, 32, 64, 64)
    hidden : int, default=256
    """

    def __init__(self, obs_shape: Sequence[int], out_dim: int, channels: Sequence[int] = (32, 32, 64, 64), hidden: int = 256) -> None:
        super().__init__()
        c, h, _ = _check_image_shape(obs_shape, len(channels))
        self.obs_shape = (c, h, h)
        layers: list[nn.Module] = []
        prev = c
        for ch in channels:
            layers += [nn.Conv2d(prev, int(ch), 4, stride=2, padding=1), nn.ReLU()]
            prev = int(ch)
        side = h // 2 ** len(channels)
        layers += [nn.Flatten(), nn.Linear(prev * side * side, int(hidden)), nn.ReLU(), nn.Linear(int(hidden), int(out_dim))]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(len(x), *self.obs_shape))


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: two linear layers, then stride-2 4x4 transposed
    convolutions; returns the flattened output ``(n, channels * height * width)``."""

    def __init__(self, obs_shape: Sequence[int], latent_dim: int, channels: Sequence[int] = (32, 32, 64, 64), hidden: int = 256) -> None:
        super().__init__()
        c, h, _ = _check_image_shape(obs_shape, len(channels))
        rev = [int(ch) for ch in reversed(channels)]
        side = h // 2 ** len(channels)
        layers: list[nn.Module] = [nn.Linear(int(latent_dim), int(hidden)), nn.ReLU(), nn.Linear(int(hidden), rev[0] * side * side), nn.ReLU(),
                                   nn.Unflatten(1, (rev[0], side, side))]
        outs = rev[1:] + [c]
        for i, (cin, cout) in enumerate(zip(rev, outs)):
            layers.append(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1))
            if i < len(outs) - 1:
                layers.append(nn.ReLU())
        layers.append(nn.Flatten())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


# ---------------------------------------------------------------------------------------- VAEs
class _GaussianVAE(nn.Module):
    """Shared posterior, likelihood and objectives; subclasses build ``encoder`` and ``decoder``."""

    prior = "standard_normal"

    def _setup(self, obs_shape: Sequence[int], latent_dim: int, likelihood: str, beta: float, objective: str,
               dataset_size: int | None) -> None:
        if likelihood not in ("gaussian", "bernoulli"):
            raise InputValidationError(f"'likelihood' must be 'gaussian' or 'bernoulli', got {likelihood!r}")
        if objective not in OBJECTIVES:
            raise InputValidationError(f"'objective' must be one of {OBJECTIVES}, got {objective!r}")
        if float(beta) < 0:
            raise InputValidationError(f"'beta' must be >= 0, got {beta!r}")
        if objective == "beta-tc-vae" and dataset_size is not None and int(dataset_size) < 1:
            raise InputValidationError(f"'dataset_size' must be a positive integer for beta-tc-vae, got {dataset_size!r}")
        self.obs_shape = tuple(int(s) for s in obs_shape)
        self.n_features = math.prod(self.obs_shape)
        self.latent_dim, self.likelihood, self.beta = int(latent_dim), likelihood, float(beta)
        self.objective = objective
        self.dataset_size = None if dataset_size is None else int(dataset_size)

    def _base_config(self) -> dict[str, Any]:
        return {"obs_shape": list(self.obs_shape), "latent_dim": self.latent_dim, "likelihood": self.likelihood,
                "beta": self.beta, "objective": self.objective, "dataset_size": self.dataset_size}

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x), each ``(n, latent_dim)``."""
        h = self.encoder(x.reshape(len(x), -1) if self._flat_input else x)
        mean, logvar = h.chunk(2, dim=1)
        return mean, logvar.clamp(-12.0, 8.0)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The posterior ``(mean, logvar)``; the mean is the code tasks use."""
        return self.posterior(x)

    def decoder_output(self, z: torch.Tensor) -> torch.Tensor:
        """Logits (Bernoulli) or means (Gaussian), flattened ``(n, n_features)``."""
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
        return -0.5 * (((x - out) ** 2) * torch.exp(-lv) + lv + LOG_2PI).sum(1)

    def loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """The training loss of a batch (mean over rows) with its terms.

        Returns
        -------
        dict
            ``loss`` (what is minimised), ``recon`` (``-E_q log p(x|z)``), ``kl`` (analytic
            ``KL(q(z|x) || N(0, I))``); for ``beta-tc-vae`` also ``tc`` (the MWS estimate).
            ``recon + kl`` is the negative ELBO whatever the objective.
        """
        mean, logvar = self.posterior(x)
        mean, logvar = mean.float(), logvar.float()  # under bf16 autocast, keep the KL and TC terms in fp32 (a no-op in fp32)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * logvar) * eps
        rec = self.log_likelihood(x, z).mean()
        kl = (0.5 * (mean**2 + logvar.exp() - 1.0 - logvar)).sum(1).mean()
        if self.objective == "beta-tc-vae":
            n = self.dataset_size if self.dataset_size is not None else len(x)
            tc = total_correlation_mws(z, mean, logvar, n).mean()
            return {"loss": -rec + kl + (self.beta - 1.0) * tc, "recon": -rec, "kl": kl, "tc": tc}
        return {"loss": -(rec - self.beta * kl), "recon": -rec, "kl": kl}


class MLPVAE(_GaussianVAE):
    """A fully connected VAE with a diagonal Gaussian posterior and an N(0, I) prior.

    Parameters
    ----------
    obs_shape : tuple of int
        The shape of one observation; inputs are flattened.
    latent_dim : int, default=10
    hidden : sequence of int, default=(256, 256)
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
    beta : float, default=1.0
        Weight of the KL term (``vae``, ``beta-vae``) or of the total correlation (``beta-tc-vae``).
    objective : {"vae", "beta-vae", "beta-tc-vae"}, default="vae"
        See :data:`OBJECTIVES`.
    dataset_size : int, optional
        The training set's size, for the MWS estimator of ``beta-tc-vae`` (set by the trainer).
    """

    _flat_input = True

    def __init__(self, obs_shape: Sequence[int], latent_dim: int = 10, hidden: Sequence[int] = (256, 256),
                 likelihood: str = "gaussian", beta: float = 1.0, objective: str = "vae", dataset_size: int | None = None) -> None:
        super().__init__()
        self._setup(obs_shape, latent_dim, likelihood, beta, objective, dataset_size)
        self.hidden = tuple(int(h) for h in hidden)
        self.encoder = _mlp([self.n_features, *self.hidden, 2 * self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *reversed(self.hidden), self.n_features])
        self.obs_logvar = nn.Parameter(torch.zeros(())) if likelihood == "gaussian" else None

    def config(self) -> dict[str, Any]:
        return {**self._base_config(), "hidden": list(self.hidden)}


class ConvVAE(_GaussianVAE):
    """The standard dSprites convolutional VAE (Burgess et al. 2018; Locatello et al. 2019, Table 1).

    Parameters
    ----------
    obs_shape : tuple of int, default=(1, 64, 64)
    latent_dim : int, default=10
    channels : sequence of int, default=(32, 32, 64, 64)
        Output channels of the four 4x4 stride-2 convolutions (mirrored in the decoder).
    hidden : int, default=256
        Width of the fully connected layer.
    likelihood : {"bernoulli", "gaussian"}, default="bernoulli"
    beta : float, default=1.0
    objective : {"vae", "beta-vae", "beta-tc-vae"}, default="vae"
    dataset_size : int, optional
        For ``beta-tc-vae`` (set by the trainer).
    """

    _flat_input = False

    def __init__(self, obs_shape: Sequence[int] = (1, 64, 64), latent_dim: int = 10, channels: Sequence[int] = (32, 32, 64, 64),
                 hidden: int = 256, likelihood: str = "bernoulli", beta: float = 1.0, objective: str = "vae",
                 dataset_size: int | None = None) -> None:
        super().__init__()
        self._setup(obs_shape, latent_dim, likelihood, beta, objective, dataset_size)
        self.channels, self.hidden = tuple(int(c) for c in channels), int(hidden)
        self.encoder = ConvEncoder(self.obs_shape, 2 * self.latent_dim, self.channels, self.hidden)
        self.decoder = ConvDecoder(self.obs_shape, self.latent_dim, self.channels, self.hidden)
        self.obs_logvar = nn.Parameter(torch.zeros(())) if likelihood == "gaussian" else None

    def config(self) -> dict[str, Any]:
        return {**self._base_config(), "channels": list(self.channels), "hidden": self.hidden}


# ---------------------------------------------------------------------------------------- autoencoders
class _Autoencoder(nn.Module):
    """Shared parts of the deterministic autoencoders (no posterior, likelihood or prior)."""

    def _setup(self, obs_shape: Sequence[int], latent_dim: int, loss: str) -> None:
        if loss not in AE_LOSSES:
            raise InputValidationError(f"'loss' must be one of {AE_LOSSES}, got {loss!r}")
        self.obs_shape = tuple(int(s) for s in obs_shape)
        self.n_features = math.prod(self.obs_shape)
        self.latent_dim, self.recon_loss = int(latent_dim), loss

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``z``, ``(n, latent_dim)``."""
        return self.encoder(x.reshape(len(x), -1) if self._flat_input else x)

    def decoder_output(self, z: torch.Tensor) -> torch.Tensor:
        """Logits (``bernoulli`` loss) or values (``gaussian``), flattened."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions in data space, ``(n, n_features)`` (probabilities for the ``bernoulli`` loss)."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.recon_loss == "bernoulli" else out

    def loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Reconstruction loss per example (mean over the batch); ``kl`` is 0 (no prior).

        ``bernoulli``: binary cross-entropy with logits summed over features (nats, the same scale as a
        VAE's reconstruction term); ``gaussian``: half the summed squared error (a unit-variance
        Gaussian without its constant). ``generator`` is unused (the encoder is deterministic).
        """
        xf = x.reshape(len(x), -1)
        out = self.decoder(self.encode(x))
        if self.recon_loss == "bernoulli":
            rec = F.binary_cross_entropy_with_logits(out, xf, reduction="none").sum(1).mean()
        else:
            rec = 0.5 * ((out - xf) ** 2).sum(1).mean()
        return {"loss": rec, "recon": rec, "kl": torch.zeros((), device=rec.device, dtype=rec.dtype)}


class MLPAE(_Autoencoder):
    """A fully connected deterministic autoencoder.

    Parameters
    ----------
    obs_shape : tuple of int
    latent_dim : int, default=10
    hidden : sequence of int, default=(256, 256)
    loss : {"bernoulli", "gaussian"}, default="gaussian"
        Binary cross-entropy (data in [0, 1]) or squared error.
    """

    _flat_input = True

    def __init__(self, obs_shape: Sequence[int], latent_dim: int = 10, hidden: Sequence[int] = (256, 256), loss: str = "gaussian") -> None:
        super().__init__()
        self._setup(obs_shape, latent_dim, loss)
        self.hidden = tuple(int(h) for h in hidden)
        self.encoder = _mlp([self.n_features, *self.hidden, self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *reversed(self.hidden), self.n_features])

    def config(self) -> dict[str, Any]:
        return {"obs_shape": list(self.obs_shape), "latent_dim": self.latent_dim, "hidden": list(self.hidden), "loss": self.recon_loss}


class ConvAE(_Autoencoder):
    """The convolutional architecture of :class:`ConvVAE` as a deterministic autoencoder
    (the encoder's last layer gives ``latent_dim`` values instead of a mean and a log-variance).

    Parameters
    ----------
    obs_shape : tuple of int, default=(1, 64, 64)
    latent_dim : int, default=10
    channels : sequence of int, default=(32, 32, 64, 64)
    hidden : int, default=256
    loss : {"bernoulli", "gaussian"}, default="bernoulli"
    """

    _flat_input = False

    def __init__(self, obs_shape: Sequence[int] = (1, 64, 64), latent_dim: int = 10, channels: Sequence[int] = (32, 32, 64, 64),
                 hidden: int = 256, loss: str = "bernoulli") -> None:
        super().__init__()
        self._setup(obs_shape, latent_dim, loss)
        self.channels, self.hidden = tuple(int(c) for c in channels), int(hidden)
        self.encoder = ConvEncoder(self.obs_shape, self.latent_dim, self.channels, self.hidden)
        self.decoder = ConvDecoder(self.obs_shape, self.latent_dim, self.channels, self.hidden)

    def config(self) -> dict[str, Any]:
        return {"obs_shape": list(self.obs_shape), "latent_dim": self.latent_dim, "channels": list(self.channels),
                "hidden": self.hidden, "loss": self.recon_loss}
