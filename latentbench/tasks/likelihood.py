"""Likelihood: the ELBO and the importance-weighted bound, with Monte-Carlo standard errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..metrics.likelihood import diag_gaussian_log_prob, elbo_from_log_weights, iwae_from_log_weights
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext


__all__ = ["Likelihood", "log_weights"]


def log_weights(adapter: Adapter, x: np.ndarray, mean: np.ndarray, logvar: np.ndarray, k: int, *,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Log importance weights ``log p(x|z_k) + log p(z_k) - log q(z_k|x)`` of ``k`` samples
    ``z_k ~ q(z|x)``, shape ``(k, n)``, and the ``log p(x|z_k)`` part of each (shared by the
    likelihood family and the anomaly family's ELBO and IWAE scores)."""
    n = len(x)
    log_w = np.empty((k, n))
    log_px = np.empty((k, n))
    std = np.exp(0.5 * logvar)
    for i in range(k):
        z = mean + std * rng.standard_normal(mean.shape)
        log_px[i] = adapter.log_likelihood(x, z)
        log_w[i] = log_px[i] + adapter.log_prior(z) - diag_gaussian_log_prob(z, mean, logvar)
    return log_w, log_px


class Likelihood(Task):
    """ELBO (with its reconstruction and KL terms) and IWAE_K on held-out data, in nats per example and bits per dimension.

    ``K`` samples ``z_k ~ q(z|x)`` give log-weights ``log p(x|z_k) + log p(z_k) - log q(z_k|x)``;
    the ELBO is their mean and IWAE_K their log-mean-exp. The reconstruction term is
    ``E_q log p(x|z)`` and the KL term ``E_q[log q(z|x) - log p(z)]`` (both Monte Carlo, so any prior
    works). Confidence intervals bootstrap over test examples; the Monte-Carlo standard errors of
    the estimates (from the K samples) are reported as their own scores. The model's likelihood
    family (Bernoulli, Gaussian, ...) is part of the result key, so bounds under different
    families are never put in one column.
    """

    family = "likelihood"
    summary = "ELBO, its reconstruction and KL terms, and the importance-weighted bound IWAE_K."
    needs = frozenset({Capability.ENCODE, Capability.POSTERIOR, Capability.LIKELIHOOD, Capability.PRIOR})
    scores = (
        ScoreSpec("iwae", "higher", "importance-weighted bound IWAE_K on log p(x)", unit="nats"),
        ScoreSpec("elbo", "higher", "evidence lower bound", unit="nats"),
        ScoreSpec("recon_term", "none", "E_q log p(x|z)", unit="nats"),
        ScoreSpec("kl_term", "none", "E_q[log q(z|x) - log p(z)] (Monte Carlo: can be slightly negative when the KL is near 0)",
                  unit="nats"),
        ScoreSpec("iwae_bpd", "lower", "-IWAE_K in bits per dimension", unit="bits/dim"),
        ScoreSpec("elbo_bpd", "lower", "-ELBO in bits per dimension", unit="bits/dim"),
        ScoreSpec("elbo_gap", "none", "IWAE_K - ELBO (how loose the ELBO is)", unit="nats"),
        ScoreSpec("iwae_mc_se", "none", "Monte-Carlo standard error of the mean IWAE_K", (0.0, None), "nats"),
        ScoreSpec("elbo_mc_se", "none", "Monte-Carlo standard error of the mean ELBO", (0.0, None), "nats"),
    )
    primary = "iwae"
    reference = "Kingma & Welling (2014); Burda, Grosse & Salakhutdinov (2016)"
    defaults = {"k": 64, "max_samples": 5000}
    param_ranges = {"k": "[1, 100000]", "max_samples": "[1, inf)"}

    def estimator(self, adapter: Adapter) -> dict[str, Any]:
        return {**super().estimator(adapter), "likelihood": adapter.likelihood or "unspecified"}

    def log_weights(self, adapter, x: np.ndarray, mean: np.ndarray, logvar: np.ndarray, rng: np.random.Generator):  # type: ignore[no-untyped-def]
        """Log importance weights ``(K, n)`` and the likelihood and KL parts of each."""
        return log_weights(adapter, x, mean, logvar, self.params["k"], rng=rng)

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        rows = ctx.rows()
        mean, logvar = ctx.posterior()
        keep = ctx.subsample(len(rows), self.params["max_samples"])
        rows, mean, logvar = rows[keep], mean[keep], logvar[keep]
        parts_w, parts_px = [], []
        step = max(1, adapter.batch_size)
        for s in range(0, len(rows), step):
            x = data.get_x(rows[s : s + step])
            lw, lpx = self.log_weights(adapter, x, mean[s : s + step], logvar[s : s + step], ctx.rng)
            parts_w.append(lw)
            parts_px.append(lpx)
            ctx.check_time()
        log_w, log_px = np.concatenate(parts_w, axis=1), np.concatenate(parts_px, axis=1)
        elbo, elbo_se = elbo_from_log_weights(log_w)
        iwae, iwae_se = iwae_from_log_weights(log_w)
        recon = log_px.mean(axis=0)
        n, d = len(rows), data.n_features
        to_bpd = -1.0 / (d * math.log(2))
        k = self.params["k"]
        # s.e. of a mean of independent per-example estimates; unknown (NaN) with a single sample
        mc = lambda se: float(np.sqrt(np.sum(se**2)) / n) if np.isfinite(se).all() else float("nan")  # noqa: E731
        scores = {
            "iwae": ctx.mean_score(iwae), "elbo": ctx.mean_score(elbo),
            "recon_term": ctx.mean_score(recon), "kl_term": ctx.mean_score(recon - elbo),
            "iwae_bpd": ctx.mean_score(iwae * to_bpd), "elbo_bpd": ctx.mean_score(elbo * to_bpd),
            "elbo_gap": ctx.mean_score(iwae - elbo),
            "iwae_mc_se": Score.plain(mc(iwae_se), n), "elbo_mc_se": Score.plain(mc(elbo_se), n),
        }
        return TaskOutput(scores, info={"likelihood": adapter.likelihood or "unspecified", "k": k, "n_features": d})
