"""Domain adaptation: how far apart does a latent space put two domains, and does what it learned transfer?"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..exceptions import NotApplicableError
from ..metrics.transfer import MIN_ROWS, coral_bootstrap, mmd_test, proxy_a_distance, transfer_gap
from ..stats import percentile_estimate
from ..types import Score, ScoreSpec, TaskOutput
from .base import Task
from .context import RunContext

__all__ = ["DomainShift"]

_ACC = (0.0, 1.0)
_GAP = (-1.0, 1.0)
MODEL_SELECTION = ("training-domain validation (DomainBed): the probe's C is chosen by accuracy on held-out source training "
                   "rows; target labels are used only by the oracle, which is reported beside, never to choose")


def _s(name: str, description: str, direction: str = "none", bounds: tuple[float | None, float | None] = _ACC) -> ScoreSpec:
    return ScoreSpec(name, direction, description, bounds)  # type: ignore[arg-type]


class DomainShift(Task):
    """Domain gap and transfer of a latent space on a dataset with a source and a target domain.

    Protocol (rows of the dataset's ``train`` and ``test`` splits, both domains in each):

    * **Transfer** (:func:`latentbench.metrics.transfer.transfer_gap`): a logistic-regression probe
      of the label, trained on source ``train`` codes with ``C`` chosen by **training-domain
      validation** (held-out source rows; DomainBed's rule), scored on source and target ``test``
      codes. ``transfer_gap`` = source minus target accuracy. The **oracle** trains the same
      protocol on labelled target ``train`` codes. The same probes on the raw (flattened) inputs
      give the baseline: ``gap_change`` < 0 says the latent space narrows the gap the inputs have.
    * **Proxy A-distance** (TLlib's): a linear domain classifier trained on ``train`` codes, its
      balanced error on ``test`` codes, ``2 (1 - 2 epsilon)`` folded to [0, 2]; also on the inputs.
    * **MMD^2_u** between source and target ``test`` codes (Gaussian kernel, median-heuristic
      bandwidth, and a linear kernel) with a permutation p-value, and the **CORAL distance**
      (Sun & Saenko 2016), both on codes z-scored with the ``train`` rows' statistics.

    Distances are descriptive (never ranked): a collapsed code has no domain gap and no use; read
    them beside ``target_accuracy``, the primary score.
    """

    class_version = 1
    family = "transfer"
    summary = ("Domain gap (proxy A-distance, MMD, CORAL) and transfer of a source-trained probe to the target domain, "
               "beside the oracle and the raw-input baseline.")
    needs = frozenset({Capability.ENCODE})
    requires = frozenset({"labels", "domain"})
    standardization = "zscore"
    reference = ("proxy A-distance (Ben-David et al., NIPS 2006; TLlib); MMD (Gretton et al., JMLR 2012); "
                 "CORAL (Sun & Saenko, ECCV-W 2016); model selection by training-domain validation (Gulrajani & Lopez-Paz, ICLR 2021)")
    model_selection = MODEL_SELECTION
    scores = (
        _s("target_accuracy", "accuracy on target test rows of the label probe trained on source codes", "higher"),
        _s("source_accuracy", "accuracy of the same probe on held-out source rows"),
        _s("transfer_gap", "source_accuracy - target_accuracy (how much the probe loses on the target)", "lower", _GAP),
        _s("oracle_accuracy", "accuracy on target test rows of the same probe protocol trained on labelled target codes"),
        _s("oracle_gap", "oracle_accuracy - target_accuracy (what a target-trained probe would gain)", bounds=_GAP),
        _s("input_target_accuracy", "target accuracy of the source-trained probe on the raw inputs (baseline)"),
        _s("input_transfer_gap", "transfer gap of the same probe on the raw inputs", bounds=_GAP),
        _s("gap_change", "transfer_gap - input_transfer_gap (< 0: the latent space narrows the gap)", bounds=(-2.0, 2.0)),
        _s("a_distance", "proxy A-distance of the codes (linear domain classifier, folded; 0: indistinguishable, 2: separable)",
           bounds=(0.0, 2.0)),
        _s("input_a_distance", "proxy A-distance of the raw inputs", bounds=(0.0, 2.0)),
        _s("mmd2", "unbiased MMD^2 of the z-scored codes, Gaussian kernel with the median-heuristic bandwidth", bounds=(None, None)),
        _s("mmd_p_value", "permutation p-value of mmd2 (small: the domains differ)"),
        _s("mmd2_linear", "unbiased MMD^2 with a linear kernel (squared distance between the domain means)", bounds=(None, None)),
        _s("coral", "CORAL distance ||C_S - C_T||_F^2 / (4 d^2) of the z-scored codes", bounds=(0.0, None)),
    )
    primary = "target_accuracy"
    defaults = {"C": 1.0, "C_grid": [0.01, 0.1, 1.0, 10.0], "val_fraction": 0.2, "max_train": 3000, "max_test": 3000,
                "mmd_rows": 500, "n_permutations": 200, "input_baseline": True, "confidence": 0.95}
    param_ranges = {"C": "(0, inf)", "C_grid": "(0, inf)", "val_fraction": "[0.05, 0.5]", "max_train": "[8, 1000000]",
                    "max_test": "[8, 1000000]", "mmd_rows": "[4, 5000]", "n_permutations": "[1, 100000]", "confidence": "(0, 1)"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        conf = float(p["confidence"])
        rows_tr, pos_tr = ctx.subsampled_rows("train", int(p["max_train"]))
        rows_te, pos_te = ctx.subsampled_rows("test", int(p["max_test"]))
        d_tr, d_te = data.domain[rows_tr], data.domain[rows_te]
        for split, d in (("train", d_tr), ("test", d_te)):
            counts = [int((d == k).sum()) for k in (0, 1)]
            if min(counts) < MIN_ROWS:
                raise NotApplicableError(f"{self.name}: the {split} split has {counts[0]} source and {counts[1]} target rows; "
                                         f"each domain needs at least {MIN_ROWS} (a dataset with one domain cannot be scored)")
        z_tr, z_te = ctx.latents("train")[pos_tr], ctx.latents("test")[pos_te]
        y_tr, y_te = data.labels[rows_tr], data.labels[rows_te]
        if len(np.unique(y_tr[d_tr == 0])) < 2:
            raise NotApplicableError(f"{self.name}: the source training rows have a single label; the transfer probe needs two")
        grid = tuple(float(c) for c in p["C_grid"])
        nb = ctx.n_bootstrap

        draws = int(ctx.rng.integers(2**31))  # one seed for both probes: the latent and input gaps share their resamples

        def gap(a_tr: np.ndarray, a_te: np.ndarray) -> dict[str, Any]:
            return transfer_gap(a_tr[d_tr == 0], y_tr[d_tr == 0], a_te[d_te == 0], y_te[d_te == 0], a_te[d_te == 1], y_te[d_te == 1],
                                codes_target_train=a_tr[d_tr == 1], labels_target_train=y_tr[d_tr == 1], rng=draws, C_grid=grid,
                                val_fraction=float(p["val_fraction"]), n_resamples=nb, confidence=conf)

        constant = bool(np.all(np.ptp(z_tr, axis=0) == 0))
        if constant:
            raise NotApplicableError(f"{self.name}: the model's codes are constant on the training rows; no probe or domain "
                                     f"classifier can be trained (a collapsed encoder)")
        lat = gap(z_tr, z_te)
        scores: dict[str, Score] = {k: Score.from_estimate(lat[k]) for k in
                                    ("target_accuracy", "source_accuracy", "oracle_accuracy", "oracle_gap")}
        scores["transfer_gap"] = Score.from_estimate(lat["gap"])
        pad = proxy_a_distance(z_tr, d_tr, z_te, d_te, rng=ctx.rng, C=float(p["C"]), n_resamples=nb, confidence=conf)
        scores["a_distance"] = Score.from_estimate(pad)

        mu, sd = z_tr.mean(axis=0), z_tr.std(axis=0)
        zs = (z_te - mu) / np.where(sd > 0, sd, 1.0)
        m = int(p["mmd_rows"])
        src = zs[d_te == 0][ctx.subsample(int((d_te == 0).sum()), m)]
        tgt = zs[d_te == 1][ctx.subsample(int((d_te == 1).sum()), m)]
        mg = mmd_test(src, tgt, rng=ctx.rng, kernel="gaussian", n_permutations=int(p["n_permutations"]), confidence=conf)
        ml = mmd_test(src, tgt, rng=ctx.rng, kernel="linear", n_permutations=int(p["n_permutations"]), confidence=conf)
        scores["mmd2"] = Score.from_estimate(mg["mmd2"])
        scores["mmd_p_value"] = Score.plain(mg["p_value"], len(src) + len(tgt))
        scores["mmd2_linear"] = Score.from_estimate(ml["mmd2"])
        scores["coral"] = Score.from_estimate(coral_bootstrap(src, tgt, rng=ctx.rng, n_resamples=nb, confidence=conf))

        nan = Score.undefined()
        info: dict[str, Any] = {
            "model_selection": lat["model_selection"], "C": lat["C"], "oracle_C": lat["oracle_C"], "validation": lat["validation"],
            "domain_classifier": {"C": p["C"], "error": pad.details.get("epsilon"), "folded": pad.details.get("folded"),
                                  "rule": "balanced held-out error; epsilon > 0.5 folded to 1 - epsilon"},
            "mmd": {"bandwidth": mg["bandwidth"], "kernel": "exp(-||x-y||^2 / (2 sigma^2)), sigma = median pooled distance",
                    "linear_p_value": ml["p_value"], "n_permutations": mg["n_permutations"], "rows_per_domain": [len(src), len(tgt)]},
            "rows": {"train": {"source": int((d_tr == 0).sum()), "target": int((d_tr == 1).sum())},
                     "test": {"source": int((d_te == 0).sum()), "target": int((d_te == 1).sum())}},
            "split_fingerprints": {k: data.split_fingerprint(k) for k in ("source_train", "target_train", "source_test", "target_test")
                                   if k in data.splits},
            "bootstrap": {"resamples": nb, "confidence": conf, "unit": "test rows (each domain on its own)"},
            "dataset_metadata": {k: data.metadata[k] for k in ("shift", "strength", "shift_description", "source_region",
                                                                 "target_region", "label_name") if k in data.metadata},
        }
        if p["input_baseline"]:
            x_tr, x_te = data.get_x(rows_tr, flat=True), data.get_x(rows_te, flat=True)
            inp = gap(x_tr, x_te)
            scores["input_target_accuracy"] = Score.from_estimate(inp["target_accuracy"])
            scores["input_transfer_gap"] = Score.from_estimate(inp["gap"])
            diff = lat["gap"].value - inp["gap"].value
            scores["gap_change"] = Score.from_estimate(percentile_estimate(diff, lat["gap_samples"] - inp["gap_samples"],
                                                                           n=lat["gap"].n, confidence=conf))
            scores["input_a_distance"] = Score.from_estimate(
                proxy_a_distance(x_tr, d_tr, x_te, d_te, rng=ctx.rng, C=float(p["C"]), n_resamples=nb, confidence=conf))
            info["input_C"] = inp["C"]
        else:
            for k in ("input_target_accuracy", "input_transfer_gap", "gap_change", "input_a_distance"):
                scores[k] = nan
        for k, v in scores.items():
            if v.value is not None and not math.isfinite(v.value):
                scores[k] = Score.undefined()
        return TaskOutput(scores, info=info)
