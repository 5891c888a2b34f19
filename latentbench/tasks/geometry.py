"""Geometry and topology tasks: the latent space next to the input space it came from.

Each task takes the task split's codes and the same rows' inputs (flattened), so every number
comes as a latent value, an input value and their relation. Superlinear work runs on a seeded
subsample of ``max_samples`` rows (stored as n), and intervals come from subsampling without
replacement or from landmark draws (never from resampling with replacement, which would create
zero-distance neighbours).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..metrics import dimension as dim
from ..metrics import neighborhood as nb
from ..metrics import topology as topo
from ..metrics.dimension import GP_MAX_SAMPLES
from ..metrics.neighborhood import NEIGHBOR_MAX_SAMPLES
from ..metrics.topology import MAX_LANDMARKS
from ..metrics.neighbors import KNNGraph, drop_duplicates, knn_graph
from ..stats import subsample_ci
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

__all__ = ["IntrinsicDimension", "NeighbourhoodPreservation", "TopologyPreservation"]


#: Most rows of the geometry tasks (``max_samples``): exact kNN graphs, rank counts and farthest-point
#: landmarks in the input space grow as n^2 (times the input's dimension) in the worst case.
MAX_GEOMETRY_SAMPLES = NEIGHBOR_MAX_SAMPLES


def _paired_sample(task: Task, data, ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Inputs (flattened, float64) and codes of at most ``max_samples`` rows of the task's split, and
    those rows' dataset indices (the key of the input side's share, :meth:`RunContext.dataset_side`),
    refused before any of the superlinear work when that is more than :data:`MAX_GEOMETRY_SAMPLES`."""
    rows = ctx.rows()
    ctx.guard_size(min(len(rows), task.params["max_samples"]), MAX_GEOMETRY_SAMPLES,
                   "the neighbour graphs of inputs and latents", "max_samples")
    z = ctx.latents()
    pos = ctx.subsample(len(rows), task.params["max_samples"])
    x = data.get_x(rows[pos], flat=True).astype(np.float64)
    return x, z[pos], rows[pos]


def _same(x: np.ndarray, z: np.ndarray) -> bool:
    """Codes equal to the inputs (the identity baseline): the latent side is the input side, exactly."""
    return x.shape == z.shape and np.array_equal(x, z)


def _input_knn(ctx: RunContext, x: np.ndarray, used: np.ndarray, k: int) -> Any:
    """The inputs' kNN graph, computed once per dataset, rows and ``k`` for every model."""
    d, i = ctx.dataset_side("knn-input", used, {"k": k}, lambda: tuple(knn_graph(x, k)))
    return KNNGraph(d, i)


def twonn_mle(a: np.ndarray, k: int) -> dict[str, float]:
    """TwoNN and MLE (``k`` neighbours) of ``a``, the two estimates the subsample intervals need.

    One call asking for just these two: the same numbers as ``intrinsic_dimension(a, k=k)``'s
    ``"twonn"`` and ``"mle"`` (both read the first 2 and ``k`` neighbours of an exact kNN graph,
    and an exact graph's first ``k`` neighbours do not depend on how many were searched), without
    CorrInt's ``2 * k2``-neighbour graph and pair counts; ``tests/test_tasks_geometry.py`` pins the
    equality bit for bit. (The intervals called the three-estimator function twice per subsample
    before: about 3x the work on the identity baseline's 4,096-D codes.)
    """
    res = dim.intrinsic_dimension(a, k=k, estimators=("twonn", "mle"))
    return {"twonn": res["twonn"], "mle": res["mle"]}


class IntrinsicDimension(Task):
    """Intrinsic dimension of the latents and of the inputs: TwoNN, MLE and CorrInt from one shared
    kNN graph per space (definitions pinned to scikit-dimension's), the Grassberger-Procaccia
    correlation dimension, and the latent/input ratio. Exact duplicate rows are dropped first (their
    count is stored). Descriptive: a dimension is never ranked.

    The latent estimators' intervals are the spread of half-size subsample estimates turned into a
    standard error at the full size (:func:`~latentbench.stats.subsample_ci`): the estimate's
    sampling variability, centred on it. kNN estimators shift with the sample size, and that
    finite-sample bias is not in the interval; ``info["subsample_shift"]`` records it (the mean
    half-size estimate minus the full one).
    """

    family = "dimension"
    class_version = 2  # v2: subsample-se intervals (v1's reflected subsample intervals could exclude the estimate)
    summary = "Intrinsic dimension (TwoNN, MLE, CorrInt, correlation dimension) of latents and inputs."
    needs = frozenset({Capability.ENCODE})
    scores = (
        ScoreSpec("twonn_latent", "none", "TwoNN (Facco et al. 2017) of the latents", (0.0, None)),
        ScoreSpec("mle_latent", "none", "MLE (Levina & Bickel 2005, k=20, MacKay-Ghahramani averaging) of the latents", (0.0, None)),
        ScoreSpec("corrint_latent", "none", "two-radius correlation integral (k1=10, k2=20) of the latents", (0.0, None)),
        ScoreSpec("corrdim_latent", "none", "Grassberger-Procaccia correlation dimension of the latents", (None, None)),
        ScoreSpec("twonn_input", "none", "TwoNN of the inputs", (0.0, None)),
        ScoreSpec("mle_input", "none", "MLE of the inputs", (0.0, None)),
        ScoreSpec("mle_ratio", "none", "MLE of the latents / MLE of the inputs", (0.0, None)),
    )
    primary = "twonn_latent"
    reference = "Facco et al. (2017); Levina & Bickel (2005); Grassberger & Procaccia (1983)"
    defaults = {"max_samples": 5000, "k": 20, "ci_rounds": 10, "corrdim_max_samples": 2000}
    param_ranges = {"max_samples": f"[3, {MAX_GEOMETRY_SAMPLES}]", "k": "[2, 1000]", "ci_rounds": "[2, 1000]",
                    "corrdim_max_samples": f"[3, {GP_MAX_SAMPLES}]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        ctx.guard_size(min(len(ctx.rows()), self.params["corrdim_max_samples"]), GP_MAX_SAMPLES,
                       "the correlation dimension's pairwise distances", "corrdim_max_samples")
        x, z, used = _paired_sample(self, data, ctx)
        k = self.params["k"]
        ids = lambda a: dim.intrinsic_dimension(a, k=k)  # noqa: E731
        inp = ctx.dataset_side("id-input", used, {"k": k}, lambda: ids(x))
        lat = dict(inp) if _same(x, z) else ids(z)
        ci = subsample_ci(lambda a: twonn_mle(a, k), z, rng=ctx.rng,
                          n_rounds=self.params["ci_rounds"], estimate={"twonn": lat["twonn"], "mle": lat["mle"]})
        cd = dim.correlation_dimension(z, n_max=self.params["corrdim_max_samples"], rng=ctx.rng)
        curve = dim.id_scale_curve(drop_duplicates(z)[0])  # identical codes (a square turned by 90 degrees) break it
        n = len(z)
        scores = {
            "twonn_latent": Score.from_estimate(ci["twonn"]), "mle_latent": Score.from_estimate(ci["mle"]),
            "corrint_latent": Score.plain(lat["corrint"], n),
            "corrdim_latent": Score(cd["dimension"], cd["ci_low"], cd["ci_high"], cd["ci_method"], n=cd["n_used"]),
            "twonn_input": Score.plain(inp["twonn"], n), "mle_input": Score.plain(inp["mle"], n),
            "mle_ratio": Score.plain(lat["mle"] / inp["mle"] if inp["mle"] > 0 else float("nan"), n),
        }
        return TaskOutput(scores, artifacts={f"scale_curve/{key}": np.asarray(v, dtype=float) for key, v in curve.items()},
                          info={"duplicates_dropped_latent": lat["n_duplicates"], "duplicates_dropped_input": inp["n_duplicates"],
                                "subsample_shift": {"twonn_latent": ci["twonn"].details["shift"], "mle_latent": ci["mle"].details["shift"],
                                                    "corrdim_latent": cd["ci_shift"]},
                                "known_intrinsic_dim": data.metadata.get("intrinsic_dim")})


class NeighbourhoodPreservation(Task):
    """Trustworthiness and continuity (scikit-learn's definition) at several k, kNN recall, and the
    distortion of distances (spread of latent/input distance ratios over random pairs), from one
    kNN graph per space."""

    class_version = 2  # 2: codes constant (or with <= k distinct rows) after rescaling give NaN, not continuity 1.0
    family = "topology"
    summary = "Trustworthiness, continuity, kNN recall and distance distortion between inputs and latents."
    needs = frozenset({Capability.ENCODE})
    scores = (
        ScoreSpec("trustworthiness", "higher", "trustworthiness at k=10 (no false latent neighbours)", (0.0, 1.0)),
        ScoreSpec("continuity", "higher", "continuity at k=10 (input neighbours kept)", (0.0, 1.0)),
        ScoreSpec("trustworthiness_k5", "higher", "trustworthiness at k=5", (0.0, 1.0)),
        ScoreSpec("trustworthiness_k20", "higher", "trustworthiness at k=20", (0.0, 1.0)),
        ScoreSpec("knn_recall", "higher", "overlap of the 10-neighbour sets", (0.0, 1.0)),
        ScoreSpec("distortion", "lower", "q99/q01 of latent/input distance ratios over random pairs (1 = similarity)", (1.0, None)),
    )
    primary = "trustworthiness"
    reference = "Venna & Kaski (2001); scikit-learn manifold.trustworthiness"
    defaults = {"max_samples": 5000, "n_pairs": 10000}
    param_ranges = {"max_samples": f"[41, {MAX_GEOMETRY_SAMPLES}]", "n_pairs": "[1, 10000000]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        x, z, used = _paired_sample(self, data, ctx)
        knn_x = _input_knn(ctx, x, used, 21)
        knn_z = knn_x if _same(x, z) else knn_graph(z, 21)
        tc = nb.trustworthiness_continuity(x, z, (5, 10, 20), knn_x=knn_x, knn_z=knn_z)
        recall = nb.knn_recall(x, z, 10, knn_x=knn_x, knn_z=knn_z)
        dist = nb.distortion(x, z, n_pairs=self.params["n_pairs"], rng=ctx.rng)
        n = len(z)
        t, c = tc["trustworthiness"], tc["continuity"]
        scores = {
            "trustworthiness": Score.plain(t[10], n), "continuity": Score.plain(c[10], n),
            "trustworthiness_k5": Score.plain(t[5], n), "trustworthiness_k20": Score.plain(t[20], n),
            "knn_recall": Score.plain(recall[10] if isinstance(recall, dict) else recall, n),
            "distortion": Score.plain(dist["distortion_quantile"], dist.get("n_pairs", n)),
        }
        return TaskOutput(scores, info={"continuity_k5": c[5], "continuity_k20": c[20], "distortion_max": dist["distortion_max"]})


class TopologyPreservation(Task):
    """Persistent homology of inputs and latents on the same farthest-point landmarks (Vietoris-Rips
    with edge collapse, via gudhi): Betti numbers of each space, and bottleneck and Wasserstein
    distances between the input and latent diagrams after scale normalisation. The interval is the
    spread over landmark draws."""

    class_version = 2  # 2: degenerate codes give NaN (and NaN latent Betti numbers); scale handled exactly
    family = "topology"
    summary = "Persistence diagrams of inputs vs latents on shared landmarks: Betti numbers and diagram distances."
    needs = frozenset({Capability.ENCODE})
    scores = (
        ScoreSpec("bottleneck_h1", "lower", "bottleneck distance between input and latent H1 diagrams", (0.0, None)),
        ScoreSpec("bottleneck_h0", "lower", "bottleneck distance between H0 diagrams", (0.0, None)),
        ScoreSpec("wasserstein_h1", "lower", "1-Wasserstein distance between H1 diagrams", (0.0, None)),
        ScoreSpec("betti0_latent", "none", "connected components of the latent landmarks", (0.0, None)),
        ScoreSpec("betti1_latent", "none", "loops of the latent landmarks", (0.0, None)),
        ScoreSpec("betti0_input", "none", "connected components of the input landmarks", (0.0, None)),
        ScoreSpec("betti1_input", "none", "loops of the input landmarks", (0.0, None)),
    )
    primary = "bottleneck_h1"
    reference = "Edelsbrunner & Harer (2010); GUDHI; Moor et al. (2020), Topological Autoencoders"
    defaults = {"max_samples": 5000, "n_landmarks": 300, "n_draws": 5, "max_edge_length": 1.0}
    param_ranges = {"max_samples": f"[2, {MAX_GEOMETRY_SAMPLES}]", "n_landmarks": f"[2, {MAX_LANDMARKS}]", "n_draws": "[1, 100]",
                    "max_edge_length": "(0, inf]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        ctx.guard_size(self.params["n_landmarks"], MAX_LANDMARKS, "the Rips complexes' landmarks", "n_landmarks")
        x, z, used = _paired_sample(self, data, ctx)
        res = topo.compare_topology(x, z, n_landmarks=min(self.params["n_landmarks"], len(z)), max_dim=1,
                                    n_draws=self.params["n_draws"], max_edge_length=self.params["max_edge_length"],
                                    rng=ctx.rng,
                                    input_side=lambda key, compute: ctx.dataset_side("topology-input", used, key, compute))
        m = res["n_landmarks"]
        dist = lambda kind, d: Score(res[kind][d]["mean"], res[kind][d]["ci_low"], res[kind][d]["ci_high"], "landmark-draws", n=m)  # noqa: E731
        nan2 = (float("nan"), float("nan"))  # a degenerate space (warned) has no Betti numbers
        bx = tuple(res["betti_x"]) + (0, 0) if np.isfinite(res["covering_radius_x"]) else nan2
        bz = tuple(res["betti_z"]) + (0, 0) if np.isfinite(res["covering_radius_z"]) else nan2
        scores = {
            "bottleneck_h1": dist("bottleneck", 1), "bottleneck_h0": dist("bottleneck", 0), "wasserstein_h1": dist("wasserstein", 1),
            "betti0_latent": Score.plain(bz[0], m), "betti1_latent": Score.plain(bz[1], m),
            "betti0_input": Score.plain(bx[0], m), "betti1_input": Score.plain(bx[1], m),
        }
        return TaskOutput(scores, artifacts=persistence_artifacts(res, self.params["max_edge_length"]),
                          info={"n_landmarks": m, "n_draws": res["n_draws"], "rips_backend": res["backend"],
                                "known_betti": data.metadata.get("betti")})


def persistence_artifacts(res: dict[str, Any], cap: float | None) -> dict[str, np.ndarray]:
    """The first landmark draw's diagrams as artifacts for the report's persistence plots.

    ``persistence/<space>/h<d>`` (bars as (birth, death), normalised units, ``inf`` for essential
    bars), ``persistence/<space>/threshold`` (the bar length each Betti number counts from, per
    dimension) and ``persistence/cap`` (the Rips truncation; essential bars are drawn there).
    """
    out: dict[str, np.ndarray] = {"persistence/cap": np.asarray([np.inf if cap is None else cap], dtype=float)}
    for space, key in (("input", "x"), ("latent", "z")):
        for d, dgm in enumerate(res[f"diagrams_{key}"]):
            out[f"persistence/{space}/h{d}"] = np.asarray(dgm, dtype=float).reshape(-1, 2)
        out[f"persistence/{space}/threshold"] = np.asarray(res[f"betti_threshold_{key}"], dtype=float)
    return out
