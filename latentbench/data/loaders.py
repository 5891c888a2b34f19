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
    """A dataset from the user's ``.npz`` file.

    Arrays (every one optional but ``x``):

    * ``x``: ``(n, ...)`` observations: images ``(n, c, h, w)`` in [0, 1] (or ``uint8`` in 0..255),
      vectors ``(n, d)``. Real numbers only (complex values are refused).
    * ``labels``, ``factors`` (``(n, k)``), ``sensitive``, ``domain``, ``is_anomaly``: integer codes
      (floats with integral values are accepted; others are refused, never truncated).
    * ``split``: a string per row naming its split (``train``, ``test``, ...).
    * ``split_<name>``: one more split, possibly overlapping the others, as a boolean mask of ``n``
      rows or an array of row indices. Audits use ``split_auxiliary`` (the attacker's pairs),
      ``split_member`` (rows the model was trained on) and ``split_non_member`` (held-out rows),
      so one file can hold ``split`` for train/test and the audit splits beside it.
    * ``factor_sizes`` and ``factor_names`` describe ``factors``.

    Without ``split`` and ``split_*`` arrays a seeded train/test split is made (``seed``,
    ``test_fraction``); with them, a ``test`` split is required (tasks score it). The fingerprint
    hashes every array and every split.
    """
    path = Path(path)
    if not path.exists():
        raise InputValidationError(f"dataset file {str(path)!r} does not exist")
    from ..safeio import read_npz

    arrays = read_npz(path)  # no pickle; the declared sizes are checked before anything is decompressed
    if "x" not in arrays:
        raise InputValidationError(f"{path}: no array 'x'; save the observations as x (np.savez(path, x=..., labels=...))")
    allowed = {"x", "split", "factor_sizes", "factor_names", *FIELDS}
    unknown = sorted(k for k in set(arrays) - allowed if not k.startswith("split_"))
    if unknown:
        raise InputValidationError(f"{path}: unknown arrays {unknown}; allowed: {sorted(allowed)} and split_<name>")
    x = arrays["x"]
    if x.ndim < 2:
        raise InputValidationError(f"{path}: x must be (n, ...) with one row per sample, got shape {x.shape}")
    if x.dtype.kind == "c":
        raise InputValidationError(f"{path}: x holds complex values; save real observations (the real and imaginary parts as separate features)")
    if x.dtype.kind not in "fiub":
        raise InputValidationError(f"{path}: x has dtype {x.dtype}; save numbers")
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
            fields[f] = arr  # the Dataset refuses non-integral codes
    splits = _npz_splits(path, arrays, len(x))
    if not splits:
        splits = make_splits(len(x), seed=seed, test_fraction=test_fraction)
    elif "test" not in splits:
        raise InputValidationError(f"{path}: the file names {sorted(splits)} but no 'test' split; tasks score the test split")
    extra = {}
    if "factors" in fields:
        if "factor_sizes" in arrays:
            extra["factor_sizes"] = tuple(int(v) for v in arrays["factor_sizes"])
        if "factor_names" in arrays:
            extra["factor_names"] = tuple(str(v) for v in arrays["factor_names"])
    return Dataset(name=name or path.stem, x=x, obs_shape=x.shape[1:], kind=kind, storage=storage, version=1,
                   params={"path": str(path), "seed": seed, "test_fraction": test_fraction}, splits=splits,
                   metadata={"source": str(path)}, **fields, **extra)


def _npz_splits(path: Path, arrays: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Splits from a ``split`` array (a name per row) and ``split_<name>`` arrays (masks or row indices)."""
    splits: dict[str, np.ndarray] = {}
    if "split" in arrays:
        names = arrays["split"]
        if names.dtype.kind not in "UST":
            raise InputValidationError(f"{path}: 'split' must hold a split name (string) per row, got dtype {names.dtype}")
        names = names.astype(str)
        if names.ndim != 1 or len(names) != n:
            raise InputValidationError(f"{path}: 'split' has {len(names) if names.ndim else 0} rows but x has {n}; give one name per row")
        splits = {str(s): np.nonzero(names == s)[0] for s in np.unique(names)}
    for key in sorted(k for k in arrays if k.startswith("split_")):
        split, arr = key[len("split_"):], arrays[key]
        if not split:
            raise InputValidationError(f"{path}: {key!r} names no split; use split_<name>, e.g. split_member")
        if split in splits:
            raise InputValidationError(f"{path}: split {split!r} is given twice ('split' names it and {key!r} holds it); keep one")
        if arr.ndim != 1:
            raise InputValidationError(f"{path}: {key!r} must be 1-D (a mask of {n} rows or row indices), got shape {arr.shape}")
        if arr.dtype.kind == "b":
            if len(arr) != n:
                raise InputValidationError(f"{path}: mask {key!r} has {len(arr)} rows but x has {n}")
            rows = np.nonzero(arr)[0]
        elif arr.dtype.kind in "iu":
            rows = np.unique(arr.astype(np.int64))
            if len(rows) != len(arr):
                raise InputValidationError(f"{path}: {key!r} lists a row twice")
            if len(rows) and (rows[0] < 0 or rows[-1] >= n):
                raise InputValidationError(f"{path}: {key!r} has row indices outside [0, {n})")
        else:
            raise InputValidationError(f"{path}: {key!r} must be a boolean mask or integer row indices, got dtype {arr.dtype}")
        splits[split] = rows
    return splits
