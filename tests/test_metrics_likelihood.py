"""Likelihood bounds checked where the answer is known: probabilistic PCA has an analytic log p(x)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from sklearn.decomposition import PCA

from latentbench.adapters import TorchAdapter
from latentbench.data import load_dataset
from latentbench.metrics.likelihood import (
    diag_gaussian_log_prob, elbo_from_log_weights, iwae_from_log_weights, nats_to_bits_per_dim, standard_normal_kl,
)
from latentbench.models.ppca import ProbabilisticPCA
from latentbench.runner import LatentCache, RunContext
from latentbench.tasks.likelihood import Likelihood

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits_ppca():
    d = load_dataset("digits")
    x_train = d.get_x(d.split("train"), flat=True).astype(np.float64)
    return d, x_train, ProbabilisticPCA.fit(x_train, 10, obs_shape=d.obs_shape)


def test_ppca_log_marginal_equals_sklearn(digits_ppca):
    d, x_train, model = digits_ppca
    x_test = d.get_x(d.split("test"), flat=True).astype(np.float64)
    sk = PCA(10, svd_solver="full").fit(x_train)
    ours = model.log_marginal(torch.as_tensor(x_test)).numpy()
    np.testing.assert_allclose(ours, sk.score_samples(x_test), rtol=1e-9, atol=1e-8)


def test_ppca_posterior_is_exact(digits_ppca):
    """With the exact posterior each importance weight equals p(x): log w_k = log p(x) for every sample."""
    d, _, model = digits_ppca
    x = torch.as_tensor(d.get_x(d.split("test")[:50], flat=True), dtype=torch.float64)
    mean, logvar = model.posterior(x)
    rng = np.random.default_rng(0)
    log_px = model.log_marginal(x).numpy()
    for _ in range(3):
        z = mean.numpy() + np.exp(0.5 * logvar.numpy()) * rng.standard_normal(mean.shape)
        log_w = (model.log_likelihood(x, torch.as_tensor(z)).numpy()
                 - 0.5 * (z**2 + math.log(2 * math.pi)).sum(1)
                 - diag_gaussian_log_prob(z, mean.numpy(), logvar.numpy()))
        np.testing.assert_allclose(log_w, log_px, rtol=0, atol=1e-8)


def _run_likelihood(adapter, dataset, k, seed=0):
    task = Likelihood(name="likelihood/test", dataset=dataset.name, params={"k": k, "max_samples": 400})
    cache = LatentCache(adapter, dataset)
    ctx = RunContext(cache=cache, task=task, seed=seed, device="cpu", n_bootstrap=200)
    return task.run(adapter, dataset, ctx)


@pytest.mark.parametrize("k", [1, 8, 64])
def test_elbo_equals_iwae_equals_log_px_for_exact_posterior(digits_ppca, k):
    d, _, model = digits_ppca
    out = _run_likelihood(TorchAdapter(model, name="ppca"), d, k)
    log_px = float(model.log_marginal(torch.as_tensor(d.get_x(d.split("test"), flat=True), dtype=torch.float64)).mean())
    assert out.scores["elbo"].value == pytest.approx(log_px, abs=1e-7)
    assert out.scores["iwae"].value == pytest.approx(log_px, abs=1e-7)
    assert abs(out.scores["elbo_gap"].value) < 1e-9
    assert out.info["likelihood"] == "gaussian"


class _PerturbedPPCA(torch.nn.Module):
    """PPCA whose posterior is deliberately wrong (shifted mean, inflated variance)."""

    likelihood = "gaussian"
    prior = "standard_normal"

    def __init__(self, base: ProbabilisticPCA) -> None:
        super().__init__()
        self.base = base
        self.latent_dim = base.latent_dim

    def encode(self, x):
        mean, logvar = self.base.posterior(x)
        return mean + 0.3, logvar + 0.7

    def decode(self, z):
        return self.base.decode(z)

    def log_likelihood(self, x, z):
        return self.base.log_likelihood(x, z)


def test_perturbed_posterior_elbo_below_iwae_rising_with_k(digits_ppca):
    d, _, model = digits_ppca
    adapter = TorchAdapter(_PerturbedPPCA(model), name="perturbed").bind(d)
    log_px = float(model.log_marginal(torch.as_tensor(d.get_x(d.split("test"), flat=True), dtype=torch.float64)).mean())
    iwae = {}
    for k in (1, 8, 64, 512):
        out = _run_likelihood(adapter, d, k)
        iwae[k] = (out.scores["iwae"].value, out.scores["iwae_mc_se"].value if k > 1 else 0.0)
        if k > 1:
            assert out.scores["elbo"].value < out.scores["iwae"].value
        assert out.scores["elbo"].value < log_px
    values = [iwae[k][0] for k in (1, 8, 64, 512)]
    assert values == sorted(values), f"IWAE_K must rise with K: {values}"
    # the bound approaches log p(x) from below: the gap at K=512 is far smaller than at K=1
    assert log_px - values[-1] < 0.25 * (log_px - values[0])
    assert values[-1] <= log_px + 3 * iwae[512][1]


def test_iwae_and_elbo_from_log_weights_known_values():
    log_w = np.log(np.array([[1.0, 2.0], [3.0, 2.0]]))
    elbo, elbo_se = elbo_from_log_weights(log_w)
    iwae, iwae_se = iwae_from_log_weights(log_w)
    np.testing.assert_allclose(elbo, [(0 + math.log(3)) / 2, math.log(2)])
    np.testing.assert_allclose(iwae, [math.log(2), math.log(2)])
    assert iwae_se[1] == 0.0 and iwae_se[0] > 0
    assert elbo_se[1] == 0.0
    np.testing.assert_allclose(iwae, logsumexp(log_w, axis=0) - math.log(2))


def test_standard_normal_kl_matches_closed_form_and_mc():
    rng = np.random.default_rng(0)
    mean, logvar = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)) * 0.3
    kl = standard_normal_kl(mean, logvar)
    z = mean[None] + np.exp(0.5 * logvar)[None] * rng.standard_normal((200000, 3, 2))
    log_q = -0.5 * ((z - mean) ** 2 / np.exp(logvar) + logvar + math.log(2 * math.pi))
    log_p = -0.5 * (z**2 + math.log(2 * math.pi))
    np.testing.assert_allclose(kl, (log_q - log_p).mean(0), atol=0.01)
    np.testing.assert_allclose(standard_normal_kl(np.zeros((2, 3)), np.zeros((2, 3))), 0.0)


def test_bits_per_dim():
    assert nats_to_bits_per_dim(-64 * math.log(2), 64) == pytest.approx(1.0)
