"""Reconstruction: how well ``decode(encode(x))`` gives the test inputs back."""

from __future__ import annotations

import numpy as np

from ..adapters import Capability
from ..metrics.reconstruction import binary_cross_entropy_per_sample, error_quantiles, per_sample_squared_error, psnr_per_sample
from .base import Score, ScoreSpec, Task, TaskOutput


class Reconstruction(Task):
    """Mean squared error, binary cross-entropy (binary data), PSNR and the per-sample error distribution.

    The reconstruction of ``x`` is ``decode(encode(x))``, where ``encode`` is the posterior mean for
    probabilistic encoders (no sampling), so the score is deterministic. Intervals are percentile
    bootstraps over test examples (the metrics are means of per-example quantities).
    """

    family = "reconstruction"
    summary = "Mean squared error, cross-entropy and PSNR of decode(encode(x)) on held-out data."
    needs = frozenset({Capability.ENCODE, Capability.DECODE})
    scores = (
        ScoreSpec("mse", "lower", "mean over test examples of the per-pixel squared error", (0.0, None)),
        ScoreSpec("bce", "lower", "Bernoulli cross-entropy per example (binary data only; NaN otherwise)", (0.0, None), "nats"),
        ScoreSpec("psnr", "higher", "mean per-example PSNR, capped at 100 dB", (None, None), "dB"),
        ScoreSpec("mse_p50", "none", "median per-example MSE", (0.0, None)),
        ScoreSpec("mse_p90", "none", "90th percentile of per-example MSE", (0.0, None)),
        ScoreSpec("mse_max", "none", "largest per-example MSE", (0.0, None)),
    )
    primary = "mse"
    reference = "Kingma & Welling (2014); PSNR as in image compression practice"
    defaults = {"max_samples": 20000, "data_range": 1.0}

    def run(self, adapter, data, ctx):  # type: ignore[no-untyped-def]
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
        psnr = psnr_per_sample(mse, data_range=self.params["data_range"])
        q = error_quantiles(mse)
        scores = {
            "mse": ctx.mean_score(mse),
            "bce": ctx.mean_score(np.concatenate(bce_parts)) if binary else Score(float("nan")),
            "psnr": ctx.mean_score(psnr),
            "mse_p50": Score.plain(q["p50"], len(mse)),
            "mse_p90": Score.plain(q["p90"], len(mse)),
            "mse_max": Score.plain(q["max"], len(mse)),
        }
        return TaskOutput(scores, artifacts={"per_sample_mse": mse.astype(np.float32)},
                          info={"decoded_from": "posterior mean" if adapter.has(Capability.POSTERIOR) else "encode"})
