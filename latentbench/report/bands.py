"""Reference bands: the spread of each reference model's scores over its *training* seeds.

A reference model trained with seeds 0, 1, 2 (``latentbench train NAME --seed 0 1 2``) and
evaluated as ``ref:NAME@0 ref:NAME@1 ref:NAME@2`` gives, for every task and metric, three values;
their min, max, mean and standard deviation are the model's *reference band*. A user's model is then
read against the band (inside it, above it, below it) instead of against one number. Evaluation
seeds (``latentbench run --seeds``) only change the tasks' randomness: each training seed's value is
the mean over its evaluation seeds, so a band measures training variability.

GPU training is not bitwise reproducible, so a checkpoint's fingerprint names one training run;
agreement between two trainings of one spec is judged on their scores with this spread.

Everything here is a pure function of result rows (dicts shaped like the store's rows).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..exceptions import InputValidationError

__all__ = ["BAND_FIELDS", "parse_reference", "reference_bands"]

#: Keys of each band returned by :func:`reference_bands`.
BAND_FIELDS: tuple[str, ...] = (
    "reference", "task", "task_version", "params_hash", "metric", "direction", "n_seeds", "train_seeds", "values",
    "min", "max", "mean", "std", "eval_seeds",
)

_REF = re.compile(r"^ref:(?P<name>[^@\s]+)(?:@(?P<seed>-?\d+))?$")


def parse_reference(model: str) -> tuple[str, int | None]:
    """Split a reference model string into its name and training seed.

    Parameters
    ----------
    model : str
        ``ref:NAME`` or ``ref:NAME@SEED``.

    Returns
    -------
    name : str
    seed : int or None
        ``None`` when no seed is given (the spec's default training seed).

    Raises
    ------
    InputValidationError
        If ``model`` is not a reference model string.
    """
    m = _REF.match(str(model))
    if m is None:
        raise InputValidationError(f"'model' must be 'ref:NAME' or 'ref:NAME@SEED', got {model!r}")
    return m["name"], int(m["seed"]) if m["seed"] is not None else None


def _ref_and_seed(row: Mapping[str, Any], default_seed: int) -> tuple[str, int] | None:
    ref, seed = row.get("reference"), row.get("train_seed")
    if ref is None:
        try:
            ref, parsed = parse_reference(str(row.get("model", "")))
        except InputValidationError:
            return None
        seed = parsed if seed is None else seed
    return str(ref), int(default_seed if seed is None else seed)


def reference_bands(rows: Iterable[Mapping[str, Any]], *, default_seed: int = 0) -> list[dict[str, Any]]:
    """The spread over training seeds of every (reference model, task, metric).

    Parameters
    ----------
    rows : iterable of mapping
        Result rows with ``task``, ``metric``, ``value``, ``status`` and either ``reference`` and
        ``train_seed`` (as in the exported reference results) or a ``model`` named ``ref:NAME[@SEED]``;
        optional ``seed`` (the evaluation seed), ``task_version``, ``params_hash`` and ``direction``.
        Rows of other models, rows whose status is not ``ok`` and missing or non-finite values are
        left out.
    default_seed : int, default=0
        The training seed of rows named ``ref:NAME`` without ``@SEED``.

    Returns
    -------
    list of dict
        One band per (reference, task, task_version, params_hash, metric), sorted by those keys, with
        the keys of :data:`BAND_FIELDS`: ``train_seeds`` and ``values`` (one per training seed, the
        mean over its evaluation seeds), ``n_seeds``, ``min``, ``max``, ``mean``, ``std`` (sample
        standard deviation, ``ddof=1``; ``None`` with one seed) and ``eval_seeds``.

    Examples
    --------
    >>> rows = [{"model": f"ref:vae@{s}", "task": "t", "metric": "m", "value": v, "status": "ok"}
    ...         for s, v in [(0, 1.0), (1, 2.0), (2, 4.0)]]
    >>> b = reference_bands(rows)[0]
    >>> (b["n_seeds"], b["min"], b["max"], round(b["mean"], 4), round(b["std"], 4))
    (3, 1.0, 4.0, 2.3333, 1.5275)
    """
    groups: dict[tuple[Any, ...], dict[int, list[float]]] = {}
    eval_seeds: dict[tuple[Any, ...], set[int]] = {}
    directions: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        if row.get("status", "ok") != "ok":
            continue
        value = row.get("value")
        if value is None or not math.isfinite(float(value)):
            continue
        rs = _ref_and_seed(row, default_seed)
        if rs is None:
            continue
        key = (rs[0], str(row["task"]), row.get("task_version"), row.get("params_hash"), str(row["metric"]))
        groups.setdefault(key, {}).setdefault(rs[1], []).append(float(value))
        if row.get("seed") is not None:
            eval_seeds.setdefault(key, set()).add(int(row["seed"]))
        directions.setdefault(key, row.get("direction"))
    out = []
    for key in sorted(groups, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        per_seed = groups[key]
        seeds = sorted(per_seed)
        values = np.array([float(np.mean(per_seed[s])) for s in seeds])
        out.append({
            "reference": key[0], "task": key[1], "task_version": key[2], "params_hash": key[3], "metric": key[4],
            "direction": directions[key], "n_seeds": len(seeds), "train_seeds": seeds, "values": values.tolist(),
            "min": float(values.min()), "max": float(values.max()), "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else None,
            "eval_seeds": sorted(eval_seeds.get(key, ())),
        })
    return out
