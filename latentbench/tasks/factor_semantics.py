"""Semantics against ground-truth factors: factor analogies and factor-distance similarity
(family ``semantics``; ranked only within their benchmark, the dataset they run on)."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..exceptions import InputValidationError
from ..metrics.factor_semantics import factor_analogy_score, factor_distance_spearman
from ..stats import bootstrap
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

__all__ = ["FactorAnalogy", "FactorDistanceSimilarity"]


def _categorical(task: Task, data: Dataset) -> list[int]:
    names = list(task.params["categorical_factors"])
    unknown = [n for n in names if n not in data.factor_names]
    if unknown:
        raise InputValidationError(f"{task.name}: parameter 'categorical_factors' names {unknown}, not factors of "
                                   f"{data.name!r} ({', '.join(data.factor_names)}); set it to some of those, or []")
    return [list(data.factor_names).index(n) for n in names]


class FactorAnalogy(Task):
    """Factor analogies: is ``z(a) - z(b) + z(c)`` nearest to the code of the row whose factors are
    ``f(a) - f(b) + f(c)``, among the codes of every row of the split (a, b and c excluded)?

    Questions are drawn among the rows whose answer is present (:func:`latentbench.metrics.
    factor_semantics.analogy_questions`; categorical factors are carried, never added). Top-1 and
    top-k accuracy with percentile-bootstrap intervals over questions; the chance level of the same
    questions (a code ranking candidates at random) is reported beside them. Codes that are the
    factors (up to rotation, isotropic scale and shift) score 1; random codes score the chance level.
    """

    family = "semantics"
    summary = "Factor analogies z(a) - z(b) + z(c) ~ z(d) with f(d) = f(a) - f(b) + f(c): top-1/top-5 accuracy against chance."
    needs = frozenset({Capability.ENCODE})
    requires = frozenset({"factors"})
    scores = (
        ScoreSpec("top1_accuracy", "higher", "share of analogy questions whose nearest candidate code has the answer's factors", (0.0, 1.0)),
        ScoreSpec("top5_accuracy", "higher", "share answered among the 5 nearest candidates", (0.0, 1.0)),
        ScoreSpec("chance_top1", "none", "top-1 accuracy of a random ranking of the candidates on the same questions", (0.0, 1.0)),
        ScoreSpec("chance_top5", "none", "top-5 accuracy of a random ranking on the same questions", (0.0, 1.0)),
    )
    primary = "top1_accuracy"
    reference = "Mikolov, Yih & Zweig (NAACL 2013) word analogies, with generative factors in place of words"
    defaults = {"n_questions": 1000, "categorical_factors": ["shape"], "max_samples": 20000}
    param_ranges = {"n_questions": "[1, 100000]", "max_samples": "[8, 50000]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        cats = _categorical(self, data)
        rows = ctx.rows()
        pos = ctx.subsample(len(rows), int(self.params["max_samples"]))
        z, f = ctx.latents()[pos], data.factors[rows[pos]]
        d = factor_analogy_score(z, f, rng=ctx.rng, n_questions=int(self.params["n_questions"]), top_k=5, categorical=cats,
                                 return_details=True)
        n = int(d["n_questions"])
        if n == 0 or not np.isfinite(d["top1"]):
            return TaskOutput({k: Score.undefined(n) for k in ("top1_accuracy", "top5_accuracy", "chance_top1", "chance_top5")})
        scores = {"top1_accuracy": Score.mean_of(d["hits1"], rng=ctx.rng, n_resamples=ctx.n_bootstrap),
                  "top5_accuracy": Score.mean_of(d["hits5"], rng=ctx.rng, n_resamples=ctx.n_bootstrap),
                  "chance_top1": Score.plain(d["chance_top1"], n), "chance_top5": Score.plain(d["chance_top5"], n)}
        return TaskOutput(scores, info={"n_questions": n, "n_candidates": int(d["n_candidates"]), "categorical": cats})


class FactorDistanceSimilarity(Task):
    """Spearman correlation between latent distances and factor distances over random pairs of rows
    (factors scaled to [0, 1] by their range; categorical factors count 0 or 1), with a percentile
    bootstrap interval over pairs."""

    family = "semantics"
    summary = "Spearman correlation of latent distances with ground-truth factor distances over sampled pairs."
    needs = frozenset({Capability.ENCODE})
    requires = frozenset({"factors"})
    scores = (ScoreSpec("spearman", "higher", "Spearman rank correlation of latent and factor distances over random pairs", (-1.0, 1.0)),)
    primary = "spearman"
    reference = "representational similarity analysis (Kriegeskorte et al. 2008) against ground-truth factors"
    defaults = {"n_pairs": 5000, "categorical_factors": ["shape"]}
    param_ranges = {"n_pairs": "[10, 1000000]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        cats = _categorical(self, data)
        rows = ctx.rows()
        d = factor_distance_spearman(ctx.latents(), data.factors[rows], rng=ctx.rng, n_pairs=int(self.params["n_pairs"]),
                                     categorical=cats, return_details=True)
        n = int(d["n_pairs"])
        if not np.isfinite(d["spearman"]):
            return TaskOutput({"spearman": Score.undefined(n)})
        est = bootstrap(lambda a, b: float(sps.spearmanr(a, b).statistic), d["latent_distance"], d["factor_distance"],
                        rng=ctx.rng, n_resamples=ctx.n_bootstrap, estimate=d["spearman"])
        return TaskOutput({"spearman": Score.from_estimate(est)}, info={"categorical": cats})
