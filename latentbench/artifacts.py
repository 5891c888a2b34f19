"""Artifacts the runner stores beside a job's rows for the report to draw (it never recomputes them).

Names are shared by the writer (the runner) and the reader (:mod:`latentbench.report`), so they
live here, below both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import InputValidationError

__all__ = ["LATENT_SAMPLE", "RECON_INPUTS", "RECON_OUTPUTS", "PRIOR_SAMPLES", "as_images", "fixed_rows",
           "latent_sample_artifacts"]

#: Artifact name of the latent sample the runner may store with a job (see :mod:`latentbench.report.plots`).
LATENT_SAMPLE = "latents/z"
#: Artifact names of the reconstruction task's image grid: fixed test inputs and their reconstructions.
RECON_INPUTS, RECON_OUTPUTS = "recon/inputs", "recon/outputs"
#: Artifact name of a few decoded draws from the prior (models that can sample it).
PRIOR_SAMPLES = "prior/samples"


def _split_rng(dataset: Any, split: str) -> np.random.Generator:
    """A generator seeded by the split's fingerprint alone (the same rows for every model)."""
    fp = dataset.split_fingerprint(split)
    return np.random.default_rng(int(fp[:12], 16) if all(c in "0123456789abcdef" for c in fp[:12]) else 0)


def fixed_rows(dataset: Any, split: str, n: int) -> np.ndarray:
    """``n`` (or fewer) sorted dataset row indices of ``split``, drawn from the split's fingerprint alone.

    Every model and every seed gets the same rows, so the report's image grids line up between models.
    The draw uses its own generator: it never moves a task's random stream (stored numbers unchanged).
    """
    rows = np.asarray(dataset.split(split))
    if n < 1:
        raise InputValidationError(f"fixed_rows: 'n' must be >= 1, got {n}")
    rng = np.random.default_rng(_split_rng(dataset, split).integers(2**63))
    return np.sort(rows[rng.choice(len(rows), min(n, len(rows)), replace=False)]).astype(np.int64)


def as_images(x: np.ndarray, obs_shape: tuple[int, ...], kind: str) -> np.ndarray | None:
    """Flat rows as a compact uint8 image stack ``(n, c, h, w)`` for an artifact, or ``None``.

    Only image data in [0, 1] (``kind`` ``"binary"`` or ``"unit"``, ``obs_shape`` ``(c, h, w)``) are
    stored: values are clipped to [0, 1] (decoder outputs may overshoot) and become ``round(255 x)``.
    Anything else gives ``None``: there is no image to draw.
    """
    if len(obs_shape) != 3 or kind not in ("binary", "unit"):
        return None
    x = np.asarray(x, dtype=np.float64).reshape(len(x), *obs_shape)
    return (np.clip(x, 0.0, 1.0) * 255).round().astype(np.uint8)


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
        ``latents/factors`` (int32, (m, n_factors)) and ``latents/factor_names`` when it has factors;
        empty when ``d > max_dim``.
    """
    z = np.asarray(z)
    rows = dataset.split(split)
    if z.ndim != 2 or len(z) != len(rows):
        raise InputValidationError(f"latent_sample_artifacts: 'z' must have shape ({len(rows)}, d), got {z.shape}")
    if z.shape[1] > max_dim:
        return {}
    rng = _split_rng(dataset, split)
    idx = np.sort(rng.choice(len(rows), min(max_points, len(rows)), replace=False))
    out = {LATENT_SAMPLE: z[idx].astype(np.float32), "latents/rows": rows[idx].astype(np.int64)}
    if getattr(dataset, "labels", None) is not None:
        out["latents/labels"] = np.asarray(dataset.labels)[rows[idx]]
        out["latents/label_name"] = np.array("label")
    elif getattr(dataset, "factors", None) is not None:
        out["latents/labels"] = np.asarray(dataset.factors)[rows[idx], 0]
        out["latents/label_name"] = np.array(str(dataset.factor_names[0]) if dataset.factor_names else "factor0")
    if getattr(dataset, "factors", None) is not None:  # one projection panel per factor
        f = np.asarray(dataset.factors)
        out["latents/factors"] = f[rows[idx]].astype(np.int32)
        names = list(dataset.factor_names) if len(dataset.factor_names) == f.shape[1] else [f"factor{i}" for i in range(f.shape[1])]
        out["latents/factor_names"] = np.array(names, dtype=str)
    return out
