"""Disentanglement tasks: thin glue between a dataset with ground-truth factors, the cached
latents and the metric functions of :mod:`latentbench.metrics.disentanglement`.

Every task scores the codes of the task's split (the posterior mean for probabilistic encoders,
as disentanglement_lib's ``mean`` representation). Metrics that train classifiers split those rows
into a fitting part and an evaluation part (``train_fraction``), seeded per job. Metrics that need
observations with one factor fixed draw them from the same rows (a full-factorial dataset such
as ``shapes`` makes that exact), so precomputed latents work too.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..artifacts import as_images
from ..exceptions import ResourceLimitError, UndefinedMetricWarning
from ..metrics import disentanglement as dm
from ..stats import subsample_ci
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

__all__ = ["BetaVAEScore", "DCI", "FactorVAEScore", "MIG", "MIGSampled", "Modularity", "SAP", "Traversals"]

_FACTORS = frozenset({"factors"})

#: Above this many latent dimensions, DCI with gradient-boosted trees (one multiclass ensemble per
#: factor over every dimension) and SAP (one classifier per dimension and factor) refuse to start:
#: on 4,096 raw pixels DCI's trees ran for over ten minutes without finishing. ``dci-lasso`` and
#: the other scores have no such limit.
MAX_LATENTS_PER_DIM_FITS = 256

#: Most rows the classifier-based scores (DCI's boosted trees, SAP, modularity and explicitness) fit
#: on: their fits grow faster than the rows (DCI's trees sort them, n log n per split).
MAX_FIT_SAMPLES = 100_000
#: Most rows (mixture components) and draws of the sampled MIG, whose cost is their product.
MAX_SAMPLED_ROWS = 50_000


def _check_latent_count(task: Task, codes: np.ndarray, fix: str) -> None:
    if codes.shape[1] > MAX_LATENTS_PER_DIM_FITS:
        raise ResourceLimitError(f"{task.name}: {codes.shape[1]} latent dimensions, more than the {MAX_LATENTS_PER_DIM_FITS} "
                                 f"this score fits in reasonable time; {fix}")


def _codes_and_factors(task: Task, data, ctx) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Codes and factors of at most ``max_samples`` rows of the task's split (seeded subsample)."""
    z, factors = ctx.latents(), data.field("factors", task.split)
    pos = ctx.subsample(len(z), task.params["max_samples"])
    return z[pos], factors[pos]


def _fit_eval(task: Task, data, ctx):  # type: ignore[no-untyped-def]
    """``(codes_fit, factors_fit, codes_eval, factors_eval)``: the scored rows split by ``train_fraction``."""
    codes, factors = _codes_and_factors(task, data, ctx)
    ctx.guard_size(len(codes), MAX_FIT_SAMPLES, "the classifiers' rows", "max_samples")
    perm = ctx.rng.permutation(len(codes))
    k = int(round(len(codes) * task.params["train_fraction"]))
    fit, ev = np.sort(perm[:k]), np.sort(perm[k:])
    return codes[fit], factors[fit], codes[ev], factors[ev]


class MIG(Task):
    """Mutual Information Gap with the histogram estimator of disentanglement_lib (Chen et al. 2018).

    Each latent dimension is discretized into ``n_bins`` equal-width bins over its observed range;
    MI with each factor is normalized by the factor's entropy and the gap between the two most
    informative latents is averaged over factors. The interval comes from subsampling half the
    rows without replacement (repeated rows would inflate the plug-in MI): the spread of the
    half-size estimates as a standard error at the full size, centred on the estimate
    (:func:`~latentbench.stats.subsample_ci`). The plug-in MI shifts with the sample size (its bias
    is of order bins / n); that bias is not in the interval, and ``info["subsample_shift"]``
    records it (the mean half-size MIG minus the full one).
    """

    class_version = 2  # 2: collapsed (constant) codes give NaN with a warning, not DL's 0
    family = "disentanglement"
    class_version = 2  # v2: subsample-se intervals (v1's reflected subsample intervals could exclude the estimate)
    summary = "Mutual Information Gap (histogram estimator, 20 bins, as disentanglement_lib)."
    needs = frozenset({Capability.ENCODE})
    requires = _FACTORS
    scores = (ScoreSpec("mig", "higher", "mean over factors of the normalized MI gap", (0.0, 1.0)),)
    primary = "mig"
    reference = "Chen, Li, Grosse & Duvenaud (2018), Isolating Sources of Disentanglement in VAEs; Locatello et al. (2019)"
    defaults = {"n_bins": 20, "max_samples": 10000, "ci_rounds": 20}
    param_ranges = {"n_bins": "[1, 1000]", "max_samples": "[2, inf)", "ci_rounds": "[2, 1000]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        codes, factors = _codes_and_factors(self, data, ctx)
        res = dm.mig_score(codes, factors, n_bins=self.params["n_bins"], return_details=True)
        ci = subsample_ci(lambda c, f: dm.mig_score(c, f, n_bins=self.params["n_bins"]), codes, factors,
                          rng=ctx.rng, n_rounds=self.params["ci_rounds"], estimate=res["mig"], bounds=(0.0, 1.0))
        score = Score.from_estimate(ci)
        return TaskOutput({"mig": score}, artifacts={"mig_per_factor": np.asarray(res["mig_per_factor"], dtype=float)},
                          info={"estimator": "histogram", "factor_names": list(data.factor_names), "subsample_shift": ci.details["shift"]})


class MIGSampled(Task):
    """MIG with the sampled estimator of the original beta-TC-VAE code (entropies from q(z|x)).

    Needs the posterior. On the CPU it runs on at most ``max_rows`` rows (stored as n); on a GPU
    the whole split can be used.
    """

    class_version = 2  # 2: identical posterior means give NaN with a warning, not a Monte-Carlo 0
    family = "disentanglement"
    summary = "Mutual Information Gap with the sampled q(z|x) entropy estimator of Chen et al. (2018)."
    needs = frozenset({Capability.ENCODE, Capability.POSTERIOR})
    requires = _FACTORS
    scores = (ScoreSpec("mig_sampled", "higher", "MIG with entropies estimated from q(z|x)", (0.0, 1.0)),)
    primary = "mig_sampled"
    reference = "Chen, Li, Grosse & Duvenaud (2018)"
    defaults = {"n_samples": 10000, "max_rows": 5000}
    param_ranges = {"n_samples": f"[1, {MAX_SAMPLED_ROWS}]", "max_rows": f"[2, {MAX_SAMPLED_ROWS}]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        ctx.guard_size(min(len(ctx.rows()), self.params["max_rows"]), MAX_SAMPLED_ROWS,
                       "the sampled MIG's mixture (draws x components)", "max_rows")
        mean, logvar = ctx.posterior()
        res = dm.mig_sampled_score(mean, logvar, data.field("factors", self.split), rng=ctx.rng,
                                   n_samples=self.params["n_samples"], max_rows=self.params["max_rows"], return_details=True)
        return TaskOutput({"mig_sampled": Score.plain(res["mig"], res["n"])},
                          info={"estimator": "sampled", "rows_used": res["n"]})


class DCI(Task):
    """Disentanglement, completeness and informativeness (Eastwood & Williams 2018).

    One classifier per factor (``predictor``: gradient-boosted trees as disentanglement_lib, or
    ``lasso``, an L1 logistic regression that is much faster). The informativeness interval
    resamples the evaluation predictions (the trees are never refit).
    """

    class_version = 2  # 2: canonical latent order by rank pattern (scale-invariant; tie-breaks differ), collapsed codes give NaN
    family = "disentanglement"
    summary = "DCI disentanglement, completeness and informativeness from per-factor predictors."
    needs = frozenset({Capability.ENCODE})
    requires = _FACTORS
    scores = (
        ScoreSpec("disentanglement", "higher", "importance-weighted 1 - entropy of each latent's factor importances", (0.0, 1.0)),
        ScoreSpec("completeness", "higher", "importance-weighted 1 - entropy of each factor's latent importances", (0.0, 1.0)),
        ScoreSpec("informativeness", "higher", "mean accuracy of the per-factor predictors on held-out rows", (0.0, 1.0)),
    )
    primary = "disentanglement"
    reference = "Eastwood & Williams (2018), A Framework for the Quantitative Evaluation of Disentangled Representations"
    defaults = {"predictor": "gbt", "max_samples": 3000, "train_fraction": 0.8, "lasso_c": 1.0}
    param_ranges = {"max_samples": f"[10, {MAX_FIT_SAMPLES}]", "train_fraction": "(0, 1)", "lasso_c": "(0, inf)"}
    param_choices = {"predictor": ("gbt", "lasso")}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        c_fit, f_fit, c_ev, f_ev = _fit_eval(self, data, ctx)
        if self.params["predictor"] == "gbt":
            _check_latent_count(self, c_fit, "use the lasso predictor (a dci-lasso task) for wide codes")
        res = dm.dci_score(c_fit, f_fit, c_ev, f_ev, rng=ctx.rng, predictor=self.params["predictor"],
                           lasso_c=self.params["lasso_c"], return_correct=True, return_details=True)
        if np.isfinite(res["informativeness_test"]):
            boot = dm.bootstrap_accuracy(res["correct_test"], rng=ctx.rng, n_resamples=ctx.n_bootstrap)
            info_score = Score(res["informativeness_test"], boot.ci_low, boot.ci_high, "bootstrap(test predictions)", n=len(c_ev))
        else:  # nothing was fitted (collapsed codes, or no factor with two values): undefined, said by a warning
            info_score = Score.plain(res["informativeness_test"], len(c_ev))
        scores = {
            "disentanglement": Score.plain(res["disentanglement"], len(c_ev)),
            "completeness": Score.plain(res["completeness"], len(c_ev)),
            "informativeness": info_score,
        }
        return TaskOutput(scores, artifacts={"importance_matrix": np.asarray(res["importance_matrix"], dtype=float)},
                          info={"predictor": self.params["predictor"], "n_fit": len(c_fit), "n_eval": len(c_ev)})


class SAP(Task):
    """Separated Attribute Predictability (Kumar et al. 2018), disentanglement_lib's classification variant."""

    class_version = 2  # 2: collapsed (constant) codes give NaN with a warning, not DL's 0
    family = "disentanglement"
    summary = "SAP: gap in single-latent predictability of each factor between the two best latents."
    needs = frozenset({Capability.ENCODE})
    requires = _FACTORS
    scores = (ScoreSpec("sap", "higher", "mean over factors of the top-2 gap in single-latent accuracy", (0.0, 1.0)),)
    primary = "sap"
    reference = "Kumar, Sattigeri & Balakrishnan (2018), Variational Inference of Disentangled Latent Concepts"
    defaults = {"classifier": "linear_svc", "max_samples": 3000, "train_fraction": 0.67}
    param_ranges = {"max_samples": f"[4, {MAX_FIT_SAMPLES}]", "train_fraction": "(0, 1)"}
    param_choices = {"classifier": ("linear_svc", "threshold")}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        c_fit, f_fit, c_ev, f_ev = _fit_eval(self, data, ctx)
        _check_latent_count(self, c_fit, "SAP fits one classifier per latent dimension and factor")
        res = dm.sap_score(c_fit, f_fit, c_ev, f_ev, classifier=self.params["classifier"], return_details=True)
        return TaskOutput({"sap": Score.plain(res["sap"], len(c_ev))}, info={"classifier": self.params["classifier"]})


class FactorVAEScore(Task):
    """FactorVAE score (Kim & Mnih 2018): majority-vote accuracy of predicting the fixed factor from
    the least-variant latent of batches with one factor fixed.

    As disentanglement_lib: dimensions whose variance over the scored rows is at most
    ``prune_threshold`` are pruned (an absolute threshold that presumes prior-scale codes, so the
    score depends on the codes' scale), and the least-variant dimension of a batch is chosen by its
    variance divided by its variance over all rows. The codes are not otherwise standardized."""

    class_version = 2  # 2: every dimension pruned gives NaN with a warning, not DL's 0
    family = "disentanglement"
    summary = "FactorVAE score: predict the fixed factor from the least-variant latent in batches."
    needs = frozenset({Capability.ENCODE})
    requires = _FACTORS
    scores = (ScoreSpec("factor_vae", "higher", "evaluation accuracy of the majority-vote classifier", (0.0, 1.0)),)
    primary = "factor_vae"
    reference = "Kim & Mnih (2018), Disentangling by Factorising"
    defaults = {"batch_size": 64, "n_train": 10000, "n_eval": 5000, "n_variance": 10000, "prune_threshold": 0.05}
    param_ranges = {"batch_size": "[2, 10000]", "n_train": "[1, 1000000]", "n_eval": "[1, 1000000]", "n_variance": "[2, 10000000]",
                    "prune_threshold": "[0, inf)"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        res = dm.factor_vae_score(ctx.latents(), data.field("factors", self.split), rng=ctx.rng, batch_size=p["batch_size"],
                                  n_train=p["n_train"], n_eval=p["n_eval"], n_variance=p["n_variance"],
                                  prune_threshold=p["prune_threshold"], return_details=True)
        return TaskOutput({"factor_vae": Score.plain(res["factor_vae"], p["n_eval"])}, info={"train_accuracy": res["train_accuracy"]})


class BetaVAEScore(Task):
    """beta-VAE score (Higgins et al. 2017): a linear classifier predicts which factor was held fixed
    from the mean absolute difference of codes of pairs sharing that factor."""

    class_version = 2  # 2: collapsed (constant) codes give NaN with a warning, not a constant guess's accuracy
    family = "disentanglement"
    summary = "beta-VAE score: linear prediction of the fixed factor from paired code differences."
    needs = frozenset({Capability.ENCODE})
    requires = _FACTORS
    scores = (ScoreSpec("beta_vae", "higher", "evaluation accuracy of the linear classifier", (0.0, 1.0)),)
    primary = "beta_vae"
    reference = "Higgins et al. (2017), beta-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework"
    defaults = {"batch_size": 64, "n_train": 10000, "n_eval": 5000}
    param_ranges = {"batch_size": "[1, 10000]", "n_train": "[1, 1000000]", "n_eval": "[1, 1000000]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        res = dm.beta_vae_score(ctx.latents(), data.field("factors", self.split), rng=ctx.rng, batch_size=p["batch_size"],
                                n_train=p["n_train"], n_eval=p["n_eval"], return_details=True)
        return TaskOutput({"beta_vae": Score.plain(res["beta_vae"], p["n_eval"])}, info={"train_accuracy": res["train_accuracy"]})


class Modularity(Task):
    """Modularity and explicitness (Ridgeway & Mozer 2018)."""

    class_version = 2  # 2: collapsed (constant) codes give NaN with a warning, not DL's 0 and AUC 0.5
    family = "disentanglement"
    summary = "Modularity (each latent informs one factor) and explicitness (factors linearly decodable)."
    needs = frozenset({Capability.ENCODE})
    requires = _FACTORS
    scores = (
        ScoreSpec("modularity", "higher", "mean over latents of 1 - normalized deviation from an ideal one-factor profile", (0.0, 1.0)),
        ScoreSpec("explicitness", "higher", "mean one-vs-rest ROC AUC of logistic regressions", (0.0, 1.0)),
    )
    primary = "modularity"
    reference = "Ridgeway & Mozer (2018), Learning Deep Disentangled Embeddings with the F-Statistic Loss"
    defaults = {"n_bins": 20, "max_samples": 3000, "train_fraction": 0.67}
    param_ranges = {"n_bins": "[1, 1000]", "max_samples": f"[4, {MAX_FIT_SAMPLES}]", "train_fraction": "(0, 1)"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        c_fit, f_fit, c_ev, f_ev = _fit_eval(self, data, ctx)
        mod = dm.modularity_score(c_fit, f_fit, n_bins=self.params["n_bins"], return_details=True)
        exp = dm.explicitness_score(c_fit, f_fit, c_ev, f_ev, return_details=True)
        return TaskOutput({"modularity": Score.plain(mod["modularity"], len(c_fit)),
                           "explicitness": Score.plain(exp["explicitness"], len(c_ev))})


class Traversals(Task):
    """Latent traversals: decode each latent dimension swept across its observed range around a few anchors.

    The grid (dimensions x steps x anchors, as images) is saved as an artifact for the report. The
    score counts dimensions whose sweep changes the decoded image by more than ``threshold`` (mean
    absolute change per pixel): a descriptive number, never ranked.

    For the report the task also stores the anchors' input images (``traversal_anchor``, uint8,
    image data in [0, 1] only) and rows (``traversal_anchor_rows``) and, where the dataset has
    ground-truth factors, the anchors' factor values (``traversal_anchor_factors``), the factor names
    (``traversal_factor_names``) and the histogram mutual information of each swept latent with each
    factor on the split (``traversal_mutual_info``, (dims, factors), nats, MIG's estimator) over the
    factor's entropy (``traversal_factor_entropy``): the factor each latent matters most for.
    """

    family = "disentanglement"
    summary = "Latent traversal grids for the report, and how many latents visibly change the decoding."
    needs = frozenset({Capability.ENCODE, Capability.DECODE})
    scores = (ScoreSpec("decoder_active_dims", "none", "latents whose sweep changes the decoded image visibly", (0.0, None)),)
    primary = "decoder_active_dims"
    reference = "Higgins et al. (2017) (traversal figures)"
    defaults = {"n_anchors": 3, "n_steps": 7, "threshold": 0.01, "max_dims": 16}
    param_ranges = {"n_anchors": "[1, 100]", "n_steps": "[2, 101]", "threshold": "[0, inf)", "max_dims": "[1, 1024]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        z = ctx.latents()
        p = self.params
        d = min(z.shape[1], p["max_dims"])
        pos = ctx.subsample(len(z), p["n_anchors"])
        anchors = z[pos]
        lo, hi = np.quantile(z, 0.02, axis=0), np.quantile(z, 0.98, axis=0)
        steps = np.linspace(0.0, 1.0, p["n_steps"])
        grid = np.repeat(anchors[None, :, None, :], d, axis=0).repeat(p["n_steps"], axis=2)  # (d, anchors, steps, latent)
        for j in range(d):
            grid[j, :, :, j] = lo[j] + steps[None, :] * (hi[j] - lo[j])
        decoded = adapter.decode(grid.reshape(-1, z.shape[1])).reshape(d, len(anchors), p["n_steps"], -1)
        change = np.abs(np.diff(decoded, axis=2)).mean(axis=(1, 2, 3))
        images = np.clip(decoded, 0.0, 1.0).reshape(d, len(anchors), p["n_steps"], *data.obs_shape)
        artifacts = {"traversal_grid": (images * 255).round().astype(np.uint8), "traversal_change": change,
                     **_anchor_artifacts(data, ctx.rows(), pos, z[:, :d])}
        return TaskOutput({"decoder_active_dims": Score.plain(int((change > p["threshold"]).sum()), len(anchors))},
                          artifacts=artifacts)


def _anchor_artifacts(data: Dataset, rows: np.ndarray, pos: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """The traversal anchors' images, rows and factor values, and each swept latent's mutual information
    with each factor (for the report's annotation; no score depends on them)."""
    if len(z) != len(rows):  # codes for part of the split only: the anchors' rows are not known
        return {}
    anchor_rows = np.asarray(rows)[pos].astype(np.int64)
    out: dict[str, np.ndarray] = {"traversal_anchor_rows": anchor_rows}
    images = as_images(data.get_x(anchor_rows, flat=True), data.obs_shape, data.kind)
    if images is not None:
        out["traversal_anchor"] = images
    factors = getattr(data, "factors", None)
    if factors is None:
        return out
    f = np.asarray(factors)
    names = list(data.factor_names) if len(data.factor_names) == f.shape[1] else [f"factor{i}" for i in range(f.shape[1])]
    out["traversal_anchor_factors"] = f[anchor_rows].astype(np.int32)
    out["traversal_factor_names"] = np.array(names, dtype=str)
    if z.shape[1] >= 2:
        with warnings.catch_warnings():  # constant latents and single-valued factors: their MI is 0, said by the plot
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            res = dm.mig_score(z, f[np.asarray(rows)], return_details=True)
        out["traversal_mutual_info"] = np.asarray(res["mutual_info"], dtype=np.float32)
        out["traversal_factor_entropy"] = np.asarray(res["factor_entropy"], dtype=np.float32)
    return out
