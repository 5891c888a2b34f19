"""Comparing two models' representations of the same rows: CKA between every pair, stored per pair.

A comparison job is one pair of models on one dataset split and seed. Its key
(:data:`latentbench.store.PAIR_KEY`) holds **both** models' identities on the dataset, in
lexicographic order (``model_a_fp < model_b_fp``), so CKA(A, B) and CKA(B, A) are one stored job;
the task is ``cka`` (version :data:`CKA_VERSION`), the metrics are the kernels
(``linear``, ``linear-debiased``, ``rbf``), and the parameters (rows used, resamples, bandwidth factor)
are hashed into ``params_hash`` as for any task.

Rows: the split's rows that **both** models encode (for word models, the words both vocabularies
cover: MiniLM against the word2vec reference is measured on the words word2vec knows), then a
seeded subsample of at most ``max_rows`` of them (the Gram matrices are ``n x n``); the number used
and the coverage are stored with every row. Reference models trained on a draw of the dataset are
compared on its held-out ``test`` rows only, as every task scores them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from .adapters import Adapter, adapt, resolve_device
from .data import load_dataset
from .data.base import Dataset, hash_json
from .data.binding import binding_problem
from .exceptions import InputValidationError
from .identity import IDENTITY_SCHEME
from .metrics.cka import CKA_KERNELS, cka_estimate
from .progress import log
from .provenance import git_commit, hostname, library_versions
from .store import ResultStore
from .tasks.context import LatentCache
from .validation import check_param, check_seed

__all__ = ["CKA_TASK", "CKA_VERSION", "DEFAULT_KERNELS", "cka_pairs"]

CKA_TASK = "cka"
#: Bumped when the computation behind a stored CKA row changes.
CKA_VERSION = 1
#: The kernels computed by default (``rbf-debiased`` on request).
DEFAULT_KERNELS = ("linear", "linear-debiased", "rbf")


class _Side:
    """One model prepared on the dataset: its adapter, identity and which rows it can encode."""

    def __init__(self, name: str, adapter: Adapter, dataset: Dataset, split: str, store: ResultStore) -> None:
        self.name, self.adapter = name, adapter
        mismatch = adapter.input_mismatch(dataset)
        reason = mismatch or binding_problem(name, adapter.metadata.get("dataset"), adapter.metadata.get("dataset_fingerprint"), dataset)
        if reason:
            raise InputValidationError(f"cannot compare {name!r} on {dataset.name!r}: {reason}")
        adapter.bind(dataset)
        state = adapter.fingerprint()
        self.model_fp, probe = adapter.identity(dataset, state=state)
        store.add_model(self.model_fp, adapter.name, adapter.kind, {
            **adapter.describe(fingerprint=state), "dataset": dataset.name, "dataset_fp": dataset.fingerprint,
            "probe": probe, "key_scheme": IDENTITY_SCHEME})
        self.rows = dataset.split(split)
        self.covered = np.asarray(adapter.coverage(dataset, self.rows), dtype=bool)
        self._codes: np.ndarray | None = None
        self._latents = LatentCache(adapter, dataset)  # the runner's cache: the covered rows encoded once
        self._split = split

    def codes(self, positions: np.ndarray) -> np.ndarray:
        """Codes of the split's rows at ``positions`` (all covered rows are encoded once, then indexed)."""
        if self._codes is None:
            covered, z = self._latents.latents_covered(self._split)
            z = np.asarray(z, dtype=np.float64)
            full = np.full((len(self.rows), z.shape[1]), np.nan)
            full[covered] = z
            self._codes = full
        return self._codes[positions]


def cka_pairs(models: Mapping[str, Any], dataset: str | Dataset, *, split: str = "test", kernels: Sequence[str] = DEFAULT_KERNELS,
              max_rows: int = 1000, seed: int = 0, n_rounds: int = 50, threshold: float = 1.0, device: str = "cpu",
              store: ResultStore | None = None, force: bool = False, command: str = "") -> list[dict[str, Any]]:
    """CKA between every pair of ``models`` on the same rows of ``dataset``, stored per pair.

    Parameters
    ----------
    models : mapping of str to model
        At least two models, by name (anything :func:`latentbench.adapt` accepts).
    dataset : str or Dataset
        A dataset name (``"shapes[n=3000]"`` style parameters allowed) or a Dataset.
    split : str, default="test"
    kernels : sequence of str, default=("linear", "linear-debiased", "rbf")
        Any of :data:`latentbench.metrics.cka.CKA_KERNELS`.
    max_rows : int, default=1000
        At most this many shared rows (a seeded subsample): the Gram matrices are ``n x n``.
    seed : int, default=0
        Picks the subsample and the resamples.
    n_rounds : int, default=50
        Half-size subsamples of the rows (without replacement) behind each interval.
    threshold : float, default=1.0
        RBF bandwidth factor (median heuristic).
    store : ResultStore, optional
        Where the pair rows go (default: an in-memory store).
    force : bool, default=False
        Recompute pairs the store already holds.

    Returns
    -------
    list of dict
        One row per pair and kernel (the :data:`latentbench.store.PAIR_COLUMNS`), ``cached`` set on
        rows read back from the store.
    """
    if not isinstance(models, Mapping) or len(models) < 2:
        raise InputValidationError("cka_pairs needs a mapping of at least two models {name: model}")
    bad = [k for k in kernels if k not in CKA_KERNELS]
    if bad or not kernels:
        raise InputValidationError(f"kernels must be some of {list(CKA_KERNELS)}, got {list(kernels)!r}")
    check_param(max_rows, "max_rows", low=8, high=20_000, integer=True)
    check_param(n_rounds, "n_rounds", low=2, high=10_000, integer=True)
    check_param(threshold, "threshold", low=1e-3, high=1e3)
    seed = check_seed(seed)
    store = store if store is not None else ResultStore(":memory:")
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    run_id = uuid.uuid4().hex[:12]
    store.add_run(run_id, argv=command or "latentbench.comparison.cka_pairs", device=device,
                  versions=library_versions(), git_commit=git_commit(), host=hostname())
    device = resolve_device(device)
    sides = []
    for name, model in models.items():
        adapter = adapt(model, name=name, device=device)
        adapter.to(device)
        sides.append(_Side(name, adapter, ds, split, store))
    params = {"kernels": sorted(kernels), "max_rows": int(max_rows), "n_rounds": int(n_rounds), "interval": "subsample-se", "threshold": float(threshold),
              "row_selection": "rows both models cover, seeded subsample", "dataset_params": dict(getattr(ds, "params", None) or {})}
    out: list[dict[str, Any]] = []
    for a, b in combinations(sides, 2):
        if a.model_fp == b.model_fp:
            log(f"{a.name} and {b.name} are the same model on {ds.name} (one identity): CKA 1 by definition, nothing stored")
            continue
        a, b = (a, b) if a.model_fp < b.model_fp else (b, a)
        base = {"model_a_fp": a.model_fp, "model_b_fp": b.model_fp, "task": CKA_TASK, "task_version": CKA_VERSION,
                "params_hash": hash_json(params)[:16], "split_fp": ds.split_fingerprint(split), "seed": seed,
                "model_a": a.name, "model_b": b.name, "family": "comparison", "dataset": ds.name, "dataset_fp": ds.fingerprint,
                "split": split, "run_id": run_id, "key_scheme": IDENTITY_SCHEME}
        if not force:
            stored = store.pair_job_rows(base)
            if stored and all(r["status"] == "ok" for r in stored):
                out += [{**r, "cached": True} for r in stored]
                continue
        out += _one_pair(a, b, base, params, kernels, max_rows, seed, n_rounds, threshold, store)
    return out


def _one_pair(a: _Side, b: _Side, base: dict[str, Any], params: dict[str, Any], kernels: Sequence[str], max_rows: int,
              seed: int, n_rounds: int, threshold: float, store: ResultStore) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    shared = np.nonzero(a.covered & b.covered)[0]
    n_split = len(a.rows)
    rng = np.random.default_rng(np.random.SeedSequence([seed, *(int(x, 16) for x in (a.model_fp[:8], b.model_fp[:8]))]))
    pos = np.sort(rng.choice(shared, max_rows, replace=False)) if len(shared) > max_rows else shared
    info = {**params, "rows_used": int(len(pos)), "rows_shared": int(len(shared)), "rows_in_split": int(n_split),
            "coverage": float(len(shared) / n_split) if n_split else 0.0}
    rows = []
    if len(pos) < 8:
        msg = f"only {len(pos)} rows of {base['dataset']!r} are encoded by both models (at least 8 needed)"
        rows = [{**base, "metric": k, "status": "skipped", "message": msg, "params": info, "n": int(len(pos))} for k in kernels]
    else:
        X, Y = a.codes(pos), b.codes(pos)
        for k in kernels:
            t1 = time.perf_counter()
            try:
                est = cka_estimate(X, Y, kernel=k, rng=rng, n_rounds=n_rounds, threshold=threshold)
            except InputValidationError as exc:
                rows.append({**base, "metric": k, "status": "failed", "message": str(exc), "params": info})
                continue
            rows.append({**base, "metric": k, "value": est.value, "ci_low": est.ci_low, "ci_high": est.ci_high,
                         "ci_method": est.method, "n": est.n, "status": "ok" if np.isfinite(est.value) else "failed",
                         "message": None if np.isfinite(est.value) else "CKA undefined (constant codes)",
                         "seconds": time.perf_counter() - t1, "params": info})
    store.write_pair_job(rows)
    log(f"cka {a.name} vs {b.name} on {base['dataset']}: " + ", ".join(
        f"{r['metric']}={r['value']:.3f}" for r in rows if r.get("value") is not None) + f" ({time.perf_counter() - t0:.1f} s)")
    return rows
