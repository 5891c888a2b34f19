"""Reconstruction: how well ``decode(encode(x))`` gives the test inputs back."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..artifacts import PRIOR_SAMPLES, RECON_INPUTS, RECON_OUTPUTS, as_images, fixed_rows
from ..data.base import Dataset
from ..metrics.reconstruction import binary_cross_entropy_per_sample, error_quantiles, per_sample_squared_error, psnr_per_sample
from ..exceptions import SpecError, UndefinedMetricWarning
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext, derive_seed

#: Images stored for the report's reconstruction grid and prior samples (uint8: 8 x 28 x 28 is 6 kB).
N_GRID_IMAGES = 8


def declared_data_range(data: Any) -> tuple[float | None, str]:
    """The span of a dataset's values for PSNR, and where it comes from.

    ``binary`` and ``unit`` datasets live in [0, 1]: 1.0. Otherwise the dataset must declare it
    in ``metadata["data_range"]`` (a positive number); a ``real`` dataset that does not has no
    known range: ``(None, reason)``. The observed range of the test rows is not used: it moves
    with the sample and with outliers, so PSNRs would not be comparable between datasets or runs.
    """
    declared = data.metadata.get("data_range")
    if declared is not None:
        try:
            value = float(declared)
        except (TypeError, ValueError):
            value = float("nan")
        if not (math.isfinite(value) and value > 0):
            raise SpecError(f"dataset {data.name!r}: metadata['data_range'] must be a positive number, got {declared!r}")
        return value, f"metadata['data_range'] of dataset {data.name!r}"
    if data.kind in ("binary", "unit"):
        return 1.0, f"dataset {data.name!r} is {data.kind!r} (values in [0, 1])"
    return None, (f"dataset {data.name!r} is {data.kind!r} and declares no data range (metadata['data_range']); "
                  "set the task parameter data_range to score PSNR")


class Reconstruction(Task):
    """Mean squared error, binary cross-entropy (binary data), PSNR and the per-sample error distribution.

    The reconstruction of ``x`` is ``decode(encode(x))``, where ``encode`` is the posterior mean for
    probabilistic encoders (no sampling), so the score is deterministic. Intervals are percentile
    bootstraps over test examples (the metrics are means of per-example quantities).

    PSNR needs the span of the data: the ``data_range`` parameter when given, else the dataset's
    (:func:`declared_data_range`: 1 for binary and [0, 1] data, ``metadata["data_range"]`` when a
    dataset declares one). A ``real`` dataset without one gets PSNR NaN with the reason (an
    :class:`~latentbench.exceptions.UndefinedMetricWarning`), never a number computed as if its
    range were 1 (10 dB on a standardised table).

    For the report, image datasets in [0, 1] also get ``recon/inputs`` and ``recon/outputs``
    (uint8, ``(8, c, h, w)``): the same fixed test rows for every model and seed
    (:func:`~latentbench.artifacts.fixed_rows`) and their reconstructions; models that can sample
    their prior also store ``prior/samples``, 8 decoded draws ``decode(z ~ p(z))``. These use their
    own random streams, so the scores do not depend on them.
    """

    family = "reconstruction"
    class_version = 2  # 2: PSNR uses the dataset's declared range (NaN with the reason when unknown), not 1.0
    summary = "Mean squared error, cross-entropy and PSNR of decode(encode(x)) on held-out data."
    needs = frozenset({Capability.ENCODE, Capability.DECODE})
    scores = (
        ScoreSpec("mse", "lower", "mean over test examples of the per-pixel squared error", (0.0, None)),
        ScoreSpec("bce", "lower", "Bernoulli cross-entropy per example (binary data only; NaN otherwise)", (0.0, None), "nats"),
        ScoreSpec("psnr", "higher", "mean per-example PSNR with the dataset's declared data range (NaN when the range is "
                  "unknown), capped at 100 dB", (None, None), "dB"),
        ScoreSpec("mse_p50", "none", "median per-example MSE", (0.0, None)),
        ScoreSpec("mse_p90", "none", "90th percentile of per-example MSE", (0.0, None)),
        ScoreSpec("mse_max", "none", "largest per-example MSE", (0.0, None)),
    )
    primary = "mse"
    reference = "Kingma & Welling (2014); PSNR as in image compression practice"
    defaults = {"max_samples": 20000, "data_range": None}
    param_ranges = {"max_samples": "[1, inf)", "data_range": "(0, inf)"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        rows = ctx.rows()
        z = ctx.latents()
        keep = ctx.subsample(len(rows), self.params["max_samples"])
        rows, z = rows[keep], z[keep]
        mse_parts, bce_parts = [], []
        binary = data.kind == "binary"
        step = adapter.batch_size
        for s in range(0, len(rows), step):
            x = data.get_x(rows[s : s + step], flat=True)
            x_hat = adapter.decode(z[s : s + step])
            mse_parts.append(per_sample_squared_error(x, x_hat))
            if binary:
                bce_parts.append(binary_cross_entropy_per_sample(x, np.clip(x_hat, 0.0, 1.0)))
        mse = np.concatenate(mse_parts)
        data_range, source = self._data_range(data)
        if data_range is None:
            warnings.warn(f"psnr: {source}; returning NaN", UndefinedMetricWarning, stacklevel=2)
            psnr_score = Score(float("nan"))
        else:
            psnr_score = ctx.mean_score(psnr_per_sample(mse, data_range=data_range))
        q = error_quantiles(mse)
        scores = {
            "mse": ctx.mean_score(mse),
            "bce": ctx.mean_score(np.concatenate(bce_parts)) if binary else Score(float("nan")),
            "psnr": psnr_score,
            "mse_p50": Score.plain(q["p50"], len(mse)),
            "mse_p90": Score.plain(q["p90"], len(mse)),
            "mse_max": Score.plain(q["max"], len(mse)),
        }
        artifacts = {"per_sample_mse": mse.astype(np.float32), **self._image_artifacts(adapter, data, ctx)}
        return TaskOutput(scores, artifacts=artifacts,
                          info={"decoded_from": "posterior mean" if adapter.has(Capability.POSTERIOR) else "encode",
                                "psnr_data_range": data_range, "psnr_data_range_from": source})

    def _image_artifacts(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> dict[str, np.ndarray]:
        """Fixed inputs above their reconstructions, and decoded prior samples, for the report (image data only)."""
        if as_images(np.zeros((0, data.n_features)), data.obs_shape, data.kind) is None:
            return {}
        rows = fixed_rows(data, ctx.split, N_GRID_IMAGES)
        x = data.get_x(rows, flat=True)
        split_rows = ctx.rows()
        order = np.argsort(split_rows, kind="stable")
        z = ctx.latents()[order[np.searchsorted(split_rows[order], rows)]]  # the cached codes the scores use
        out = {RECON_INPUTS: as_images(x, data.obs_shape, data.kind),
               RECON_OUTPUTS: as_images(adapter.decode(z), data.obs_shape, data.kind)}
        if adapter.has(Capability.PRIOR):
            rng = np.random.default_rng(derive_seed(ctx.seed, f"{self.name}/prior_samples"))
            out[PRIOR_SAMPLES] = as_images(adapter.decode(adapter.sample_prior(N_GRID_IMAGES, rng)), data.obs_shape, data.kind)
        return {k: v for k, v in out.items() if v is not None}

    def _data_range(self, data: Any) -> tuple[float | None, str]:
        given = self.params["data_range"]
        if given is None:
            return declared_data_range(data)
        try:
            value = float(given)
        except (TypeError, ValueError):
            value = float("nan")
        if not (math.isfinite(value) and value > 0):
            raise SpecError(f"task {self.name!r}: 'data_range' must be a positive number (or absent), got {given!r}")
        return value, "the task parameter data_range"
