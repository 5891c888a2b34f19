"""A planted ladder of encoders for checking that a ranked score orders them correctly.

On a dataset with flattened inputs ``x`` (n, D), four encoders of known quality:

* ``isometry``: a random orthogonal rotation of the flattened input (plus a shift), which preserves
  every distance;
* ``mild``: the same rotation followed by a smooth, invertible warp of bounded distortion (each
  coordinate scaled by a factor between 1/1.25 and 1.25, then a gentle sine bend of amplitude 0.05
  of the data's spread); neighbourhoods and holes survive, distances move a little;
* ``projection``: the coordinates on the two leading principal axes (a linear map that collapses
  everything else);
* ``noise``: two-dimensional Gaussian codes unrelated to the input (seeded by the row's bytes, so
  the same row always gets the same code).

A score that is ranked on a dataset must order them isometry < mild < projection < noise (lower
better) or the reverse (higher better). Run ``python tests/ladder.py TASK [TASK ...]`` to print the
numbers (``--small`` for the fast parameters of the tests).
"""

from __future__ import annotations

import sys
import zlib
from typing import Any, Callable

import numpy as np

LADDER = ("isometry", "mild", "projection", "noise")


def _rotation(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q * np.sign(np.diag(r))  # Haar-distributed


def ladder_encoders(x: np.ndarray, *, seed: int = 0) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """The four encoders, fitted to the flattened inputs ``x`` of a dataset (its spread and principal axes)."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    d = x.shape[1]
    rot = _rotation(d, seed)
    mean = x.mean(axis=0)
    spread = float(np.sqrt(((x - mean) ** 2).sum(axis=1).mean()))  # RMS distance to the mean
    factors = np.geomspace(1 / 1.25, 1.25, d)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    axes = vt[:2].T

    def isometry(a: np.ndarray) -> np.ndarray:
        return (a.reshape(len(a), -1) - mean) @ rot + 1.0

    def mild(a: np.ndarray) -> np.ndarray:
        z = ((a.reshape(len(a), -1) - mean) @ rot) * factors
        return z + 0.05 * spread * np.sin(z / spread)

    def projection(a: np.ndarray) -> np.ndarray:
        return (a.reshape(len(a), -1) - mean) @ axes

    def noise(a: np.ndarray) -> np.ndarray:
        a = np.ascontiguousarray(a.reshape(len(a), -1), dtype=np.float64)
        return np.stack([np.random.default_rng([seed, zlib.crc32(r.tobytes())]).standard_normal(2) for r in a])

    return {"isometry": isometry, "mild": mild, "projection": projection, "noise": noise}


def run_ladder(task_name: str, *, params: dict[str, Any] | None = None, seed: int = 0) -> dict[str, dict[str, float | None]]:
    """Every score of the registered task ``task_name`` (its own dataset and parameters, updated by
    ``params``) for the four ladder encoders: ``{model: {metric: value}}``."""
    import latentbench
    from latentbench.adapters import CallableAdapter
    from latentbench.data import load_dataset
    from latentbench.tasks.registry import get_task

    task = get_task(task_name)
    if params:
        task = type(task)(name=task.name, dataset=task.dataset, dataset_params=task.dataset_params, version=task.version,
                          params={**{k: v for k, v in task.params.items() if k in task.defaults}, **params},
                          summary=task.spec_summary)
    data = load_dataset(task.dataset, **task.dataset_params)
    x = data.get_x(data.split(task.split), flat=True).astype(np.float64)
    models = {name: CallableAdapter(fn, name=name, flatten=True) for name, fn in ladder_encoders(x, seed=seed).items()}
    res = latentbench.evaluate(models, tasks=[task], n_bootstrap=20, seeds=(seed,))
    assert not res.failed, [r["message"] for r in res.failed]
    return {m: {s.name: res.value(task.name, s.name, model=m) for s in task.scores} for m in LADDER}


def ladder_order_ok(values: dict[str, float | None], direction: str) -> bool:
    """Whether ``values`` (model -> score) order the ladder strictly, best first."""
    v = [values[m] for m in LADDER]
    if any(a is None or not np.isfinite(a) for a in v):
        return False
    sign = 1.0 if direction == "lower" else -1.0
    return all(sign * a < sign * b for a, b in zip(v, v[1:]))


SMALL = {"max_samples": 1500, "n_landmarks": 150, "n_draws": 3}  #: fast parameters for the tests


def main(argv: list[str]) -> None:  # pragma: no cover - a report, not a test
    """``python tests/ladder.py TASK [TASK ...] [--small] [--seed=N ...]``: every ranked score and the
    primary of each task, for each seed, and whether they order the ladder."""
    from latentbench.tasks.registry import get_task

    names = [a for a in argv if not a.startswith("--")]
    params = SMALL if "--small" in argv else None
    seeds = [int(a.split("=", 1)[1]) for a in argv if a.startswith("--seed=")] or [0]
    for name in names:
        task = get_task(name)
        # the class's own directions: what would be ranked without the spec's declarations
        declared = {s.name: s.direction for s in type(task).scores}
        for seed in seeds:
            out = run_ladder(name, params=params, seed=seed)
            for metric in [m for m, d in declared.items() if d != "none"]:
                vals = {m: out[m][metric] for m in LADDER}
                ok = ladder_order_ok(vals, declared[metric])
                shown = " ".join(f"{m}={'None' if v is None else f'{v:.4f}'}" for m, v in vals.items())
                print(f"{name:22s} seed={seed} {metric:15s} {declared[metric]:6s} {shown}  ordered={ok}", flush=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
