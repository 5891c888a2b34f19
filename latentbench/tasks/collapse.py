"""Posterior collapse (active and inactive units, KL per dimension and the dimensions with low KL,
I(x; z)) and the KL decomposition (index-code MI, total correlation, dimension-wise KL)."""

from __future__ import annotations

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..metrics.collapse import active_units, kl_decomposition, kl_per_dimension, mutual_information_aggregate
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

#: Largest sample of the aggregate-posterior estimators (I(x;z), the KL decomposition), which are
#: O(N^2): 2.4 s at N = 8,000 on the 2-core development machine, so about 1.5 min at this bound (and
#: 0.4 h at 200,000). The defaults (5,000) take about a second.
MAX_AGGREGATE_SAMPLES = 50_000


class PosteriorCollapse(Task):
    """Diagnostics of posterior collapse from q(z|x) on held-out data.

    * active units (Burda et al. 2016): dimensions with ``Var_x E[z_j|x] > au_threshold`` (0.01,
      unbiased variance; the threshold presumes an N(0, I) prior). This is the collapse verdict:
      ``inactive_units = latent_dim - active_units`` are the collapsed dimensions, so the two
      counts always add up to the latent dimension;
    * KL per dimension to N(0, 1), its total, and ``low_kl_dims``: the dimensions whose average KL
      is below ``kl_threshold`` nats. A different criterion, reported beside the verdict and named
      apart from it: a dimension can have a posterior mean that varies (active) while its average
      KL stays small (for example ``Var_x E[z_j|x] = 0.015`` with posterior variances near 1 gives
      a KL of about 0.008 nats), and then it counts in ``active_units`` and in ``low_kl_dims``;
    * I(x; z) with the aggregate-posterior estimator of He et al. (2019), bounded by log N.

    All are descriptive (never ranked): more active units is not better in itself.
    """

    family = "collapse"
    class_version = 2  # 2: inactive_units (latent_dim - active_units) and low_kl_dims replace collapsed_dims
    summary = "Active and inactive units, KL per dimension, low-KL dimensions and I(x;z) of the posterior."
    needs = frozenset({Capability.ENCODE, Capability.POSTERIOR})
    scores = (
        ScoreSpec("active_units", "none", "dimensions with Var_x E[z|x] above au_threshold (Burda et al. 2016)", (0.0, None)),
        ScoreSpec("active_fraction", "none", "active units / latent dimensions", (0.0, 1.0)),
        ScoreSpec("inactive_units", "none", "latent dimensions - active units: the collapsed dimensions by the same criterion", (0.0, None)),
        ScoreSpec("kl_total", "none", "sum over dimensions of the mean KL to N(0,1)", (0.0, None), "nats"),
        ScoreSpec("low_kl_dims", "none", "dimensions whose mean KL to N(0,1) is below kl_threshold (a KL criterion, "
                  "not the active-unit verdict: an active unit can have a low KL)", (0.0, None)),
        ScoreSpec("mutual_info", "none", "I(x;z), aggregate-posterior estimator (<= log N)", (None, None), "nats"),
    )
    primary = "active_units"
    reference = "Burda et al. (2016); He et al. (2019)"
    defaults = {"au_threshold": 0.01, "kl_threshold": 0.01, "mi_max_samples": 5000}
    param_ranges = {"au_threshold": "[0, inf)", "kl_threshold": "[0, inf)", "mi_max_samples": f"[2, {MAX_AGGREGATE_SAMPLES}]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        mean, logvar = ctx.posterior()
        n, d = mean.shape
        idx = ctx.subsample(n, self.params["mi_max_samples"])
        m = len(idx)
        ctx.guard_size(m, MAX_AGGREGATE_SAMPLES, "I(x;z) (O(N^2) over the aggregate posterior)", "mi_max_samples")
        n_active, variances = active_units(mean, threshold=self.params["au_threshold"], ddof=1)
        kl = kl_per_dimension(mean, logvar)
        mi = mutual_information_aggregate(mean[idx], logvar[idx], rng=ctx.rng)
        scores = {
            "active_units": Score.plain(n_active, n),
            "active_fraction": Score.plain(n_active / d, n),
            "inactive_units": Score.plain(d - n_active, n),
            "kl_total": Score.plain(float(kl.sum()), n),
            "low_kl_dims": Score.plain(int((kl < self.params["kl_threshold"]).sum()), n),
            "mutual_info": Score.plain(mi, m),
        }
        return TaskOutput(scores, artifacts={"kl_per_dim": kl, "mean_variance_per_dim": variances},
                          info={"mi_estimator": "aggregate-posterior (He et al. 2019)", "mi_upper_bound": float(np.log(m)),
                                "au_variance": "unbiased (ddof=1)", "kl_reference": "N(0, I)"})


class KLDecomposition(Task):
    """The KL term of the ELBO split into index-code MI, total correlation and dimension-wise KL
    (Chen et al. 2018), on held-out data.

    The total correlation of the aggregate posterior, ``KL(q(z) || prod_j q(z_j))``, is what the
    beta-TC-VAE penalises: it is 0 when the code dimensions are independent under q(z). All four
    scores are descriptive (never ranked): a collapsed posterior has a total correlation of 0 too.
    Intervals are bootstraps over rows of the per-row terms, with the aggregate posterior (all
    ``max_samples`` rows) held fixed.
    """

    family = "disentanglement"
    summary = "KL(q(z|x)||p(z)) = index-code MI + total correlation of q(z) + dimension-wise KL."
    needs = frozenset({Capability.ENCODE, Capability.POSTERIOR})
    scores = (
        ScoreSpec("total_correlation", "none", "KL(q(z) || prod_j q(z_j)): dependence between code dimensions", (None, None), "nats"),
        ScoreSpec("index_code_mi", "none", "I(x;z) under the aggregate posterior (<= log N)", (None, None), "nats"),
        ScoreSpec("dimwise_kl", "none", "sum_j KL(q(z_j) || N(0,1))", (None, None), "nats"),
        ScoreSpec("kl", "none", "Monte-Carlo KL(q(z|x) || N(0,I)), the sum of the three terms", (None, None), "nats"),
    )
    primary = "total_correlation"
    reference = "Chen, Li, Grosse & Duvenaud (2018), Isolating Sources of Disentanglement in VAEs"
    defaults = {"max_samples": 5000}
    param_ranges = {"max_samples": f"[2, {MAX_AGGREGATE_SAMPLES}]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        mean, logvar = ctx.posterior()
        n = len(mean)
        idx = ctx.subsample(n, self.params["max_samples"])
        m = len(idx)
        ctx.guard_size(m, MAX_AGGREGATE_SAMPLES, "the KL decomposition (O(N^2) over the aggregate posterior)", "max_samples")
        terms = kl_decomposition(mean[idx], logvar[idx], rng=ctx.rng)
        scores = {name: ctx.mean_score(values) for name, values in terms.items()}
        return TaskOutput(scores, info={"estimator": "aggregate posterior over the scored rows (Chen et al. 2018, full-data form)",
                                        "n_aggregate": m, "mi_upper_bound": float(np.log(m))})
