"""Datasets that ship with registry packages or come from the user's files (no downloads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from .base import FIELDS, Dataset, make_splits

__all__ = ["load_digits", "load_digits_binary", "load_npz"]


def load_digits(*, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), values in [0, 1].

    The raw pixel values 0..16 are divided by 16; ``obs_shape`` is ``(1, 8, 8)``.
    """
    from sklearn.datasets import load_digits as _sk_load

    bunch = _sk_load()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None]
    return Dataset(
        name="digits", x=x, obs_shape=(1, 8, 8), kind="unit", storage="float", version=1,
        params={"seed": seed, "test_fraction": test_fraction}, labels=bunch.target.astype(np.int64),
        splits=make_splits(len(x), seed=seed, test_fraction=test_fraction),
        metadata={"source": "sklearn.datasets.load_digits (UCI optical digits, test part)", "n_classes": 10},
    )


def load_digits_binary(*, seed: int = 0, test_fraction: float = 0.2, threshold: float = 0.5) -> Dataset:
    """The digits binarized at ``threshold`` (pixel > threshold * 16), so a Bernoulli likelihood is a real likelihood."""
    d = load_digits(seed=seed, test_fraction=test_fraction)
    x = (d.x > threshold).astype(np.float32)
    return Dataset(
        name="digits-binary", x=x, obs_shape=d.obs_shape, kind="binary", storage="float", version=1,
        params={"seed": seed, "test_fraction": test_fraction, "threshold": threshold}, labels=d.labels,
        splits=d.splits, metadata={**d.metadata, "binarized_at": threshold},
    )


def load_npz(path: str | Path, *, seed: int = 0, test_fraction: float = 0.2, name: str | None = None) -> Dataset:
    """A dataset from the user's ``.npz`` file: ``x`` and any of ``labels``, ``factors``, ``sensitive``,
    ``domain``, ``is_anomaly``, ``split``.

    ``x`` is ``(n, ...)``: images ``(n, c, h, w)`` in [0, 1] (or ``uint8`` in 0..255), vectors ``(n, d)``.
    ``split`` (optional) is a string array of per-row split names (``train``/``test``/...);
    without it a seeded split is made. Optional ``factor_sizes`` and ``factor_names`` describe factors.
    The fingerprint hashes the file's arrays.
    """
    path = Path(path)
    if not path.exists():
        raise InputValidationError(f"dataset file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError) as exc:
        raise InputValidationError(f"cannot read {str(path)!r} as .npz: {exc}") from None
    if "x" not in arrays:
        raise InputValidationError(f"{path}: no array 'x'; save the observations as x (np.savez(path, x=..., labels=...))")
    allowed = {"x", "split", "factor_sizes", "factor_names", *FIELDS}
    unknown = sorted(set(arrays) - allowed)
    if unknown:
        raise InputValidationError(f"{path}: unknown arrays {unknown}; allowed: {sorted(allowed)}")
    x = arrays["x"]
    if x.ndim < 2:
        raise InputValidationError(f"{path}: x must be (n, ...) with one row per sample, got shape {x.shape}")
    if x.dtype == np.uint8:
        storage, kind = "uint8", "unit"
    else:
        x = x.astype(np.float32)
        if not np.isfinite(x).all():
            raise InputValidationError(f"{path}: x contains NaN or infinite values")
        kind = "binary" if np.isin(x, (0.0, 1.0)).all() else "unit" if (x.min() >= 0 and x.max() <= 1) else "real"
        storage = "float"
    fields: dict[str, Any] = {}
    for f in FIELDS:
        if f in arrays:
            arr = arrays[f]
            if len(arr) != len(x):
                raise InputValidationError(f"{path}: {f!r} has {len(arr)} rows but x has {len(x)}")
            fields[f] = arr.astype(np.int64) if f in ("factors", "labels", "domain", "is_anomaly") else arr
    if "split" in arrays:
        names = arrays["split"].astype(str)
        if len(names) != len(x):
            raise InputValidationError(f"{path}: 'split' has {len(names)} rows but x has {len(x)}")
        splits = {str(s): np.nonzero(names == s)[0] for s in np.unique(names)}
        if "test" not in splits:
            raise InputValidationError(f"{path}: 'split' names {sorted(splits)} but no 'test' split; tasks score the test split")
    else:
        splits = make_splits(len(x), seed=seed, test_fraction=test_fraction)
    extra = {}
    if "factors" in fields:
        if "factor_sizes" in arrays:
            extra["factor_sizes"] = tuple(int(v) for v in arrays["factor_sizes"])
        if "factor_names" in arrays:
            extra["factor_names"] = tuple(str(v) for v in arrays["factor_names"])
    return Dataset(name=name or path.stem, x=x, obs_shape=x.shape[1:], kind=kind, storage=storage, version=1,
                   params={"path": str(path), "seed": seed, "test_fraction": test_fraction}, splits=splits,
                   content_fingerprint=True, metadata={"source": str(path)}, **fields, **extra)
