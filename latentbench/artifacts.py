"""Artifacts the runner stores beside a job's rows for the report to draw (it never recomputes them).

Names are shared by the writer (the runner) and the reader (:mod:`latentbench.report`), so they
live here, below both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import InputValidationError

__all__ = ["LATENT_SAMPLE", "latent_sample_artifacts"]

#: Artifact name of the latent sample the runner may store with a job (see :mod:`latentbench.report.plots`).
LATENT_SAMPLE = "latents/z"


def latent_sample_artifacts(dataset: Any, split: str, z: np.ndarray, *, max_points: int = 500,
                            max_dim: int = 256) -> dict[str, np.ndarray]:
    """A small, fixed sample of a split's latent codes, as artifacts the report projects to 2-D.

    The rows are drawn from the split's fingerprint alone, so every model stores the same rows
    of a dataset. Meant for the runner, once per model, dataset and split (see the report issue).

    Parameters
    ----------
    dataset : Dataset
        Gives the labels (or else the first ground-truth factor) that colour the projection.
    split : str
    z : ndarray of shape (n_split_rows, latent_dim)
        The split's codes, in the split's row order.
    max_points : int, default=500
        At most this many rows (float32 codes: 500 x 10 latents is 20 kB).
    max_dim : int, default=256
        Wider codes (an identity baseline on images) are not stored: nothing is returned.

    Returns
    -------
    dict of str to ndarray
        ``latents/z`` (float32, (m, d)), ``latents/rows`` (indices into the dataset),
        ``latents/labels`` and ``latents/label_name`` (a 0-d string array) when the dataset has labels or factors;
        empty when ``d > max_dim``.
    """
    z = np.asarray(z)
    rows = dataset.split(split)
    if z.ndim != 2 or len(z) != len(rows):
        raise InputValidationError(f"latent_sample_artifacts: 'z' must have shape ({len(rows)}, d), got {z.shape}")
    if z.shape[1] > max_dim:
        return {}
    fp = dataset.split_fingerprint(split)
    rng = np.random.default_rng(int(fp[:12], 16) if all(c in "0123456789abcdef" for c in fp[:12]) else 0)
    idx = np.sort(rng.choice(len(rows), min(max_points, len(rows)), replace=False))
    out = {LATENT_SAMPLE: z[idx].astype(np.float32), "latents/rows": rows[idx].astype(np.int64)}
    if getattr(dataset, "labels", None) is not None:
        out["latents/labels"] = np.asarray(dataset.labels)[rows[idx]]
        out["latents/label_name"] = np.array("label")
    elif getattr(dataset, "factors", None) is not None:
        out["latents/labels"] = np.asarray(dataset.factors)[rows[idx], 0]
        out["latents/label_name"] = np.array(str(dataset.factor_names[0]) if dataset.factor_names else "factor0")
    return out
