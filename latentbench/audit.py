"""``audit()``: run the ``audit`` suite on one model and build the audit report.

The auditor may be able to run the model (it encodes the dataset's ``auxiliary`` split like any
other) or may hold only exported latents:

* a latents ``.npz`` with ``z`` (every row) or ``z_<split>`` keys, where ``z_auxiliary`` holds the
  latents of the dataset's own ``auxiliary`` split (encoded by the same model), or
* latents of the audited dataset plus the attacker's pairs as a second file (``auxiliary=...``):
  an ``.npz`` with ``x``, ``z`` and optionally ``sensitive``, appended to the dataset as its
  ``auxiliary`` split (:func:`latentbench.tasks.privacy.attach_auxiliary`).

Reference models trained on ``digits``, ``digits-binary`` or ``shapes`` are audited on the derived
datasets ``digits-fair``, ``digits-binary-fair`` and ``shapes-fair``, which reuse those images and
their train/test split; the binding is checked row by row (:func:`latentbench.data.fairness.derived_binding`)
so that audited rows are held out and member rows are training rows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .adapters import adapt, resolve_device
from .data import load_dataset
from .exceptions import SpecError
from .progress import log
from .report.audit import AuditReport, build_audit_report, write_audit_report
from .results import Results
from .store import ResultStore
from .tasks.registry import get_suite, get_task, list_tasks

__all__ = ["audit"]

AUDIT_FAMILIES = ("fairness", "privacy")
#: The suite a model of words (or sentences) is audited with by default: WEAT 1-10.
TEXT_AUDIT_SUITE = "audit-text"


def _audit_tasks(dataset: str | None, suite: str) -> list[Any]:
    tasks = [get_task(t) for t in get_suite(suite).tasks]
    if dataset is None:
        return tasks
    known = set(list_tasks())
    out = []
    for t in tasks:
        own = f"{t.family}/{dataset}"
        out.append(get_task(own) if own in known else t)  # a spec tuned for the dataset wins over the suite's
    return out


def audit(model: Any, *, dataset: str | None = None, auxiliary: str | Path | None = None, out: str | Path | None = None,
          device: str = "auto", store: ResultStore | str | None = None, force: bool = False, n_bootstrap: int = 1000,
          seed: int = 0, name: str | None = None, suite: str = "audit", executor: Any = "local") -> tuple[AuditReport, Results]:
    """Audit one model for bias amplification, leakage and privacy risk.

    Parameters
    ----------
    model : str or object
        A model spec (``ref:pca``, ``null:identity``, ``latents.npz``, ``package.module:factory``)
        or anything :func:`latentbench.adapt` accepts.
    dataset : str, optional
        The audit dataset (default: each suite task's own, ``digits-fair``). Where a task spec
        ``fairness/<dataset>`` or ``privacy/<dataset>`` exists, its parameters are used.
    auxiliary : path, optional
        The attacker's (x, z) pairs for precomputed latents (see the module docstring).
    out : path, optional
        Folder for ``audit.md``, ``audit.html`` and ``results.json``.
    device, store, force, n_bootstrap, seed
        As for :class:`latentbench.runner.Evaluator`.
    name : str, optional
        The model's display name.
    suite : str, default="audit"
    executor : {"local", "ray"} or RayExecutor, default="local"
        As for :class:`latentbench.runner.Evaluator`: with ``"ray"`` the audit's (model, dataset) units
        run as Ray tasks (a model given as a spec string is loaded on the worker) and this process
        stores every finished job; the numbers are the same.

    Returns
    -------
    (AuditReport, Results)
    """
    from .models.loader import load_model
    from .runner import Evaluator
    from .validation import check_run_options, check_seed

    check_seed(seed, "seed")
    check_run_options(n_bootstrap=n_bootstrap)  # before the model is loaded (or trained)
    t0 = time.perf_counter()
    dev = resolve_device(device)
    display = name or (model if isinstance(model, str) else type(model).__name__)
    obj = load_model(model, device=dev, dataset=dataset) if isinstance(model, str) else model
    adapter = adapt(obj, name=display, device=dev)
    if suite == "audit" and dataset is None and adapter.inputs == frozenset({"items"}):
        suite = TEXT_AUDIT_SUITE  # a word model: its audit is the association tests on the shipped word sets
    tasks = _audit_tasks(dataset, suite)
    targets = {dataset or t.dataset for t in tasks}
    params = {} if dataset else (tasks[0].dataset_params if len(targets) == 1 else {})
    override: Any = dataset
    if auxiliary is not None:
        if len(targets) != 1:
            raise SpecError("--auxiliary needs one audited dataset; pass --dataset")
        from .tasks.privacy import attach_auxiliary

        target, adapter = attach_auxiliary(load_dataset(next(iter(targets)), **params), adapter, auxiliary)
        override = target  # the dataset object itself: nothing is registered globally
    log(f"audit: {display} with {', '.join(t.name for t in tasks)} ({n_bootstrap} bootstrap resamples)")
    evaluator = Evaluator(tasks, dataset=override, seeds=[seed], device=dev, store=store, force=force, n_bootstrap=n_bootstrap,
                          executor=executor)
    runnable: Any = adapter
    if executor != "local" and isinstance(model, str) and auxiliary is None:
        from .runner import ModelSpec

        runnable = ModelSpec(model, None, dataset)  # loaded on the worker, as `run --executor ray` does
    results = evaluator.run({display: runnable})
    seconds = time.perf_counter() - t0
    header = (f"Generated by latentbench's audit of `{display}` (suite `{suite}`"
              f"{', dataset `' + str(getattr(override, 'name', override)) + '`' if override else ''}; seed {seed}; device {dev}; "
              f"{n_bootstrap} bootstrap resamples; store `{evaluator.store.path}`).")
    log("audit: writing the report (findings, numbers, per-group bars, membership ROC, inversions)")
    report = build_audit_report(results.rows, model=display, header=header, seconds=seconds, artifact=evaluator.store.artifact)
    if out is not None:
        paths = write_audit_report(report, out, results_json=results.to_json())
        log(f"wrote {', '.join(str(p) for p in paths)}")
    return report, results
