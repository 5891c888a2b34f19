"""The :class:`Evaluator`: plans jobs (model x task x seed), encodes each dataset split once per
model, runs the tasks on the cached latents and writes each finished job to the store at once.

Randomness flows from one seed per job, derived per task with
``SeedSequence([seed, crc32(task name)])``, so a result does not depend on which other tasks ran.
"""

from __future__ import annotations

import math
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .adapters import Adapter, PrecomputedAdapter, adapt, resolve_device
from .artifacts import latent_sample_artifacts
from .data import load_dataset
from .data.base import Dataset, hash_json
from .data.binding import binding_problem
from .executors import Executor, make_executor, unit_failure_reason
from .exceptions import (
    AdapterError, CapabilityError, InputValidationError, LatentBenchError, MissingOptionalDependencyError, NotApplicableError,
    TaskFailedError, UndefinedMetricWarning,
)
from .identity import IDENTITY_SCHEME
from .models.baselines import BASELINES
from .paths import latentbench_home
from .progress import log, progress
from .provenance import git_commit, hostname, library_versions
from .results import Results
from .stats import interval_excludes
from .store import JOB_KEY, ResultStore
from .validation import check_run_options, is_tensor
from .tasks.base import Task, TaskOutput
from .tasks.context import LatentCache, RunContext, derive_seed
from .tasks.dataside import DatasetSideCache, shipped_folder
from .tasks.registry import resolve_tasks, retarget_task

__all__ = ["Evaluator", "LatentCache", "ModelSpec", "RunContext", "Unit", "compute_unit", "derive_seed", "evaluate"]


class _BindFailure(str):
    """A model that could not be prepared for a dataset: its tasks there are recorded as failed."""


def _where(exc: BaseException) -> str:
    """`` (at file:line in function)`` of the innermost frame of an exception's traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    return f" (at {f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name})"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


class Evaluator:
    """Run tasks on models and store the results.

    Parameters
    ----------
    tasks : sequence of Task
        What to run (see :func:`latentbench.tasks.registry.resolve_tasks`).
    dataset : str or Dataset, optional
        Run every task on this dataset instead of its own: a registered name, a reference with
        parameters (``shapes[n=300]``), an ``.npz`` path, or a :class:`~latentbench.data.base.Dataset`
        object (used as it is, without registering it anywhere). Each task is then named for it
        (:func:`~latentbench.tasks.registry.retarget_task`).
    seeds : sequence of int, default=(0,)
    device : {"auto", "cpu", "cuda"}, default="auto"
    store : ResultStore, str or None
        Where results go; ``None`` uses an in-memory store (nothing is written to disk).
    force : bool, default=False
        Recompute jobs that the store already has.
    n_bootstrap : int, default=1000
    on_error : {"record", "raise"}, default="record"
        A task that raises is recorded as failed (and the others go on), or the error propagates.
    time_limit : float, optional
        Seconds a task may run before it is stopped at its next check.
    command : str, optional
        The command line recorded with the run (default: the process's arguments).
    batch_size : int, optional
        Rows per call of each model (default: its adapter's); not part of the results' key.
    limit : int, optional
        Keep only the first ``limit`` rows of every split of every dataset (lm-eval's ``--limit``):
        a quick look, never mixed with full runs, since each task is then named
        ``<task>[limit=N]`` and its dataset has another fingerprint.
    progress : bool, default=True
        Show a progress bar of the jobs (on stderr; nothing when messages are silenced).
    executor : {"local", "ray"}, LocalExecutor or RayExecutor, default="local"
        Where the (model, dataset) units run: ``"local"`` (:class:`~latentbench.executors.LocalExecutor`)
        in this process, one after another; ``"ray"`` (or a :class:`~latentbench.executors.RayExecutor`
        with an address and resources) as one Ray task per unit. Either way the run is planned here
        (:meth:`plan`), each unit is computed by :func:`compute_unit`, and this process alone writes
        the store, each job as it arrives: the numbers are the same.
    """

    def __init__(self, tasks: Sequence[Task], *, dataset: str | Dataset | None = None, seeds: Iterable[int] = (0,), device: str = "auto",
                 store: ResultStore | str | None = None, force: bool = False, n_bootstrap: int = 1000,
                 on_error: str = "record", time_limit: float | None = None, command: str | None = None,
                 batch_size: int | None = None, limit: int | None = None, progress: bool = True,
                 executor: str | Executor = "local") -> None:
        if on_error not in ("record", "raise"):
            raise InputValidationError(f"'on_error' must be 'record' or 'raise', got {on_error!r}")
        seeds = list(seeds) if not isinstance(seeds, (int, np.integer)) else [seeds]
        check_run_options(seeds=seeds, n_bootstrap=n_bootstrap, time_limit=time_limit, batch_size=batch_size, limit=limit)
        self._given: dict[str, Dataset] = {}
        if isinstance(dataset, Dataset):
            self._given[dataset.name] = dataset
            dataset = dataset.name
        elif dataset is not None and not isinstance(dataset, str):
            raise InputValidationError(f"'dataset' must be a dataset name, an .npz path or a Dataset, got {type(dataset).__name__}")
        self.dataset = dataset
        self.tasks = [retarget_task(t, dataset, _dataset_name(dataset)) for t in tasks] if dataset else list(tasks)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.limit = None if limit is None else int(limit)
        self.show_progress = bool(progress)
        if self.limit is not None:
            self.tasks = [_limited_task(t, self.limit) for t in self.tasks]
        self._limited: dict[str, Dataset] = {}
        self.seeds = [int(s) for s in seeds]
        if not self.seeds:
            raise InputValidationError("'seeds' is empty; pass at least one seed")
        self.device = resolve_device(device)
        self.store = store if isinstance(store, ResultStore) else ResultStore(store or ":memory:")
        self.force = force
        self.n_bootstrap = n_bootstrap
        self.on_error = on_error
        self.time_limit = time_limit
        self.command = command
        self.run_id = uuid.uuid4().hex[:12]
        self._run_recorded = False
        self._latent_samples: set[tuple[str, str, str]] = set()
        # the dataset's side of the tasks, once for every model: on disk beside a store on disk, else in memory
        self.dataside = DatasetSideCache.default() if self.store.path not in (None, ":memory:") else DatasetSideCache()
        self._versions: dict[str, str] | None = None
        self.executor = make_executor(executor)
        if getattr(self.executor, "device", "") is None:
            self.executor.device = self.device  # a GPU per unit when the run is on cuda
        # set on each unit's copy (see compute_unit): the events handed to the driver, and what the store had at planning
        self._events: list[tuple[Any, ...]] | None = None
        self._stored: frozenset[tuple[Any, ...]] = frozenset()

    def _record_run(self) -> None:
        if not self._run_recorded:
            self.store.add_run(self.run_id, argv=self.command or " ".join(sys.argv), device=self.device, versions=library_versions(),
                               git_commit=git_commit(), host=hostname())
            self._run_recorded = True

    def _dataset_for(self, task: Task) -> Dataset:
        if task.dataset in self._given and not task.dataset_params:
            dataset = self._given[task.dataset]
        else:
            dataset = load_dataset(task.dataset, **task.dataset_params)
        if self.limit is None:
            return dataset
        if dataset.fingerprint not in self._limited:
            self._limited[dataset.fingerprint] = dataset.limited(self.limit)
        return self._limited[dataset.fingerprint]

    def _adapter(self, name: str, model: Any) -> Adapter:
        if isinstance(model, ModelSpec):
            model = model.load(self.device)
        adapter = adapt(model, name=name, device=self.device)
        adapter.to(self.device)
        if self.batch_size is not None:
            adapter.batch_size = self.batch_size
        return adapter

    def run(self, models: Mapping[str, Any] | Any) -> Results:
        """Evaluate every model on every task and seed; returns the results (also in the store).

        ``models`` is one model, or a mapping ``{name: model}`` of several (see :func:`evaluate`
        for the one reading of mappings and the ambiguous case that is refused).
        """
        models = _as_model_mapping(models)
        self._record_run()
        results = self._run_units(models)
        if self.dataside.from_shipped["baseline-job"]:
            log(f"  {self.dataside.from_shipped['baseline-job']} null-baseline job(s) read from the rows shipped with the package "
                "(the same code and library versions computed them; LATENTBENCH_SHIPPED_BASELINES=0 or --force recomputes)")
        return results

    def plan(self, models: Mapping[str, Any] | Any) -> list[dict[str, Any]]:
        """What :meth:`run` would do, without running, fitting, training or writing anything.

        One dict per job (model x task x seed): ``model``, ``task``, ``seed``, ``action`` (``cached``:
        the store has it; ``run``; ``skip``; ``fail``: it cannot run, with the reason; ``unknown``: the
        model's identity needs it fitted first, so whether the store has it is not known),
        ``reason`` and ``estimate_s`` (the median time of that task's stored jobs, ``None`` if none).
        """
        models = _as_model_mapping(models)
        estimates = self.store.task_seconds()
        out: list[dict[str, Any]] = []
        for name, model in models.items():
            adapter = self._adapter(name, model)
            state = adapter.fingerprint()
            for task in self.tasks:
                dataset = self._dataset_for(task)
                reason = self._static_bind_problem(adapter, dataset) or task.skip_reason(adapter, dataset)
                action, model_fp = ("skip", None) if reason else ("run", None)
                if not reason:
                    try:
                        model_fp, _ = adapter.identity(dataset, state=state)
                    except Exception as exc:  # noqa: BLE001 - an unbound baseline, a model that fails on the probe rows
                        action, reason = "unknown", f"identity needs the model bound or fitted first ({_one_line(exc)})"
                for seed in self.seeds:
                    act = action
                    if model_fp is not None and not self.force:
                        if self.store.job_status(self._job_base(adapter, model_fp, state, task, dataset, seed)) == "ok":
                            act = "cached"
                    out.append({"model": adapter.name, "task": task.name, "seed": seed, "action": act, "reason": reason,
                                "estimate_s": estimates.get(task.name) if act in ("run", "unknown") else None})
        return out

    def _static_bind_problem(self, adapter: Adapter, dataset: Dataset) -> str | None:
        """The reasons :meth:`_bind` would skip a model on a dataset that need no fitting."""
        if isinstance(adapter, PrecomputedAdapter) and not adapter.belongs_to(dataset):
            return f"latents in {adapter.source} are for dataset {adapter.dataset_name!r}, not {dataset.name!r}"
        return adapter.input_mismatch(dataset) or binding_problem(
            adapter.name, adapter.metadata.get("dataset"), adapter.metadata.get("dataset_fingerprint"), dataset)

    def _jobs(self, adapter: Adapter) -> Iterator[list[dict[str, Any]]]:
        """Each job's rows (task x seed, in order) of one model, as each finishes."""
        state = adapter.fingerprint()  # once per run: a model whose weights changed since the last run gets a new one
        caches: dict[str, LatentCache] = {}
        identities: dict[str, tuple[str, str | None]] = {}
        for task in self.tasks:
            try:
                dataset = self._dataset_for(task)
            except MissingOptionalDependencyError as exc:  # the text datasets without the text extra: a skip
                for seed in self.seeds:
                    yield self._unavailable(adapter, state, task, seed, str(exc))
                continue
            if dataset.fingerprint not in caches:
                caches[dataset.fingerprint] = LatentCache(adapter, dataset)
            cache = caches[dataset.fingerprint]
            bind_error = self._bind(adapter, dataset)
            if dataset.fingerprint not in identities:
                identities[dataset.fingerprint] = self._identify(adapter, dataset, state, bind_error)
            model_fp, identity_error = identities[dataset.fingerprint]
            for seed in self.seeds:
                yield self._run_job(adapter, model_fp, state, task, dataset, cache, seed, bind_error or identity_error)

    def _unavailable(self, adapter: Adapter, state: str, task: Task, seed: int, reason: str) -> list[dict[str, Any]]:
        """Skipped rows for a task whose dataset cannot be loaded without an optional extra (the message
        names the install command); keyed on the dataset's name and parameters, as there is no data
        to fingerprint."""
        from .identity import combine_digests

        dataset_fp = "unavailable-" + hash_json({"dataset": task.dataset, "params": task.dataset_params})[:4]
        params = {"estimator": task.estimator(adapter), "dataset_params": task.dataset_params}
        base = self._unloaded_job_base(adapter.name, combine_digests(state, dataset_fp, "unavailable"), state, task, seed,
                                       dataset_fp, params)
        rows = [self._status_row(base, task, "skipped", reason, 0.0)]
        self._write(rows)
        return rows

    def _identify(self, adapter: Adapter, dataset: Dataset, state: str, bind_error: str | None) -> tuple[str, str | None]:
        """The model's identity on the dataset (the result key's ``model_fp``) and, when the probe
        failed, why; stores the model's description under it."""
        from .identity import combine_digests

        if bind_error is not None:  # nothing runs there: the key only has to differ from every runnable model's
            return combine_digests(state, dataset.fingerprint, "unbound"), None
        try:
            model_fp, probe = adapter.identity(dataset, state=state)
        except (AdapterError, CapabilityError) as exc:
            return (combine_digests(state, dataset.fingerprint, "probe-failed"),
                    _BindFailure(f"cannot run {adapter.name!r} on the probe rows of {dataset.name!r}: {exc}"))
        self._add_model(model_fp, adapter.name, adapter.kind, {
            **adapter.describe(fingerprint=state), "dataset": dataset.name, "dataset_fp": dataset.fingerprint,
            "probe": probe, "key_scheme": IDENTITY_SCHEME})
        return model_fp, None

    def _bind(self, adapter: Adapter, dataset: Dataset) -> str | None:
        if isinstance(adapter, PrecomputedAdapter) and not adapter.belongs_to(dataset):
            return f"latents in {adapter.source} are for dataset {adapter.dataset_name!r}, not {dataset.name!r}"
        mismatch = adapter.input_mismatch(dataset)  # a text model on images, an image model on words: skipped
        if mismatch:
            return mismatch
        reason = binding_problem(adapter.name, adapter.metadata.get("dataset"), adapter.metadata.get("dataset_fingerprint"), dataset)
        if reason is not None:
            return reason
        try:
            adapter.bind(dataset)
        except InputValidationError:
            raise  # precomputed latents of the wrong size: the user must fix the file, nothing can run
        except AdapterError as exc:
            return _BindFailure(f"cannot use {adapter.name!r} on dataset {dataset.name!r}: {exc}")
        return None

    def _job_base(self, adapter: Adapter, model_fp: str, state: str, task: Task, dataset: Dataset, seed: int) -> dict[str, Any]:
        estimator = task.estimator(adapter)
        params = {"estimator": estimator, "dataset_params": task.dataset_params}
        if self.limit is not None:
            params["limit"] = self.limit
        return {
            "model_fp": model_fp, "task": task.name, "task_version": task.version,
            "params_hash": hash_json(params)[:16], "split_fp": dataset.split_fingerprint(task.split), "seed": seed,
            "model": adapter.name, "family": task.family, "dataset": dataset.name, "dataset_fp": dataset.fingerprint,
            "split": task.split, "params": params, "run_id": self.run_id, "model_id": state, "key_scheme": IDENTITY_SCHEME,
        }

    def _run_job(self, adapter: Adapter, model_fp: str, state: str, task: Task, dataset: Dataset, cache: LatentCache,
                 seed: int, bind_error: str | None) -> list[dict[str, Any]]:
        base = self._job_base(adapter, model_fp, state, task, dataset, seed)
        if not self.force and self._is_stored(base):  # the driver reads the stored rows
            self._events.append(("cached", {k: base[k] for k in JOB_KEY}, adapter.name))
            return [{**base, "cached": True}]
        if isinstance(bind_error, _BindFailure):
            rows = [self._status_row(base, task, "failed", str(bind_error), 0.0)]
            self._write(rows)
            return rows
        reason = bind_error or task.skip_reason(adapter, dataset)
        if reason:
            rows = [self._status_row(base, task, "skipped", reason, 0.0)]
            self._write(rows)
            return rows
        shared = self._shared_job_key(adapter, base)
        if shared is not None and not self.force:  # a null baseline's job: the dataset fixes it, so any earlier run's rows are its rows
            got = self.dataside.peek("baseline-job", shared)
            if got is not None:
                rows = [{**r, "run_id": self.run_id} for r in got["rows"]]
                self._write([{**r, "cached": True} for r in rows], got["artifacts"])
                return [{**r, "cached": True} for r in rows]
        ctx = RunContext(cache=cache, task=task, seed=seed, device=self.device, n_bootstrap=self.n_bootstrap,
                         time_limit=self.time_limit, dataside=self.dataside)
        encode_before = cache.seconds
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UndefinedMetricWarning)
                output = task.run(adapter, dataset, ctx)
            seconds = time.perf_counter() - t0 - (cache.seconds - encode_before)
            rows = self._score_rows(base, task, output, seconds, caught)
        except KeyboardInterrupt:
            raise
        except NotApplicableError as exc:  # found while running (no input arrays, words out of vocabulary): a skip
            rows = [self._status_row(base, task, "skipped", str(exc), time.perf_counter() - t0)]
            self._write(rows)
            return rows
        except Exception as exc:
            seconds = time.perf_counter() - t0
            if self.on_error == "raise":
                raise TaskFailedError(f"{task.name} failed on model {adapter.name!r}: {_one_line(exc)}") from exc
            detail = "" if isinstance(exc, LatentBenchError) else _where(exc)
            rows = [self._status_row(base, task, "failed", _one_line(exc) + detail, seconds)]
            log(f"  {task.name} failed on {adapter.name}: {_one_line(exc)}")
            self._write(rows)
            return rows
        artifacts = dict(output.artifacts)
        for name, score in output.scores.items():
            if score.per_example is not None:
                artifacts[f"per_example/{name}"] = score.per_example
        artifacts.update(self._latent_sample(model_fp, cache, task.split))
        self._write(rows, artifacts)
        if shared is not None:
            self.dataside.put("baseline-job", shared, {"rows": rows, "artifacts": artifacts})
        return rows

    # ------------------------------------------------------------------ where results go: to the driver
    # Jobs run in a unit's copy of the evaluator (compute_unit, under any executor): they hand their
    # rows and the model's description to the driver as events; the driver alone writes the store.
    def _write(self, rows: list[dict[str, Any]], artifacts: Mapping[str, np.ndarray] | None = None) -> None:
        """A finished job, handed to the driver."""
        self._events.append(("job", rows, dict(artifacts or {})))

    def _add_model(self, model_fp: str, name: str, kind: str, description: Mapping[str, Any]) -> None:
        self._events.append(("model", model_fp, name, kind, dict(description)))

    def _is_stored(self, base: Mapping[str, Any]) -> bool:
        """Whether the store had the job when the run was planned (the unit's ``stored`` keys)."""
        return tuple(base[k] for k in JOB_KEY) in self._stored

    # ------------------------------------------------------------------ plan / compute / persist
    def _plan_units(self, models: Mapping[Any, Any]) -> list[Unit]:
        """Plan (driver): one unit per (model, dataset), the tasks that share its encoding pass, and the
        keys of the jobs the store already has (the worker skips those and the driver reads them)."""
        groups: dict[str, list[Task]] = {}
        for task in self.tasks:
            groups.setdefault(hash_json({"dataset": task.dataset, "params": task.dataset_params}), []).append(task)
        units = []
        for label, model in models.items():
            name = label if label is not None else (model.spec if isinstance(model, ModelSpec) else None)
            for tasks in groups.values():
                stored = frozenset() if self.force else self.store.ok_job_keys(t.name for t in tasks)
                units.append(Unit(label=name, model=model, tasks=tuple(tasks), seeds=tuple(self.seeds), stored=stored,
                                  evaluator=self._worker_copy(tasks)))
        return units

    def _worker_copy(self, tasks: Sequence[Task]) -> Evaluator:
        """What a worker needs of this evaluator: its options and these tasks; no store, no executor."""
        import copy

        w = copy.copy(self)
        w.tasks, w.store, w.executor, w._limited, w._latent_samples = list(tasks), None, None, {}, set()
        w._dataside_folder = None if self.dataside.folder is None else str(self.dataside.folder)
        w._dataside_shipped = self.dataside.shipped is not None  # the worker's own copy of the package's shipped rows
        w._home = str(latentbench_home())
        # in this process (LocalExecutor): the driver's own dataset-side cache, so every model of the
        # run shares it in memory even when the store (and so the cache) is not on disk
        w._shared_dataside = self.dataside if getattr(self.executor, "in_process", False) else None
        w.dataside = None
        return w

    def _run_units(self, models: Mapping[Any, Any]) -> Results:
        """Persist (driver): run the planned units on the executor and write each job as it arrives."""
        units = self._plan_units(models)
        n_jobs = sum(len(u.tasks) * len(u.seeds) for u in units)
        bar = progress(range(n_jobs), total=n_jobs, desc="jobs", unit="job") if self.show_progress else iter(range(n_jobs))
        done: list[set[tuple[str, int]]] = [set() for _ in units]
        rows: dict[tuple[Any, ...], list[dict[str, Any]]] = {}  # (unit, job key) -> the job's rows
        written: dict[tuple[Any, ...], int] = {}  # job key -> the unit whose rows this run stored (the earliest planned wins)
        described: dict[str, int] = {}  # model identity -> the unit whose description this run stored
        for i, event in self.executor.map_units(compute_unit, units):
            unit = units[i]
            if isinstance(event, BaseException):  # the unit stopped: every job it had not finished is failed
                reason = unit_failure_reason(event)
                if self.on_error == "raise":
                    raise TaskFailedError(f"model {unit.label!r} failed on dataset {unit.tasks[0].dataset!r}: {reason}") from event
                log(f"  unit {unit.label} on {unit.tasks[0].dataset} failed: {reason}")
                for task in unit.tasks:
                    for seed in unit.seeds:
                        if (task.name, seed) not in done[i]:
                            got = self._unit_failed_rows(unit, task, seed, reason)
                            self.store.write_job(got)
                            rows[(i, *(got[0][k] for k in JOB_KEY))] = got
                            done[i].add((task.name, seed))
                            next(bar, None)
                continue
            kind = event[0]
            if kind == "model":
                if described.get(event[1], i) >= i:
                    described[event[1]] = i
                    self.store.add_model(*event[1:])
                continue
            if kind == "cached":
                key = event[1]
                got = [{**r, "model": event[2], "cached": True} for r in self.store.job_rows(key)]
            else:
                got, artifacts = event[1], event[2]
                key = {k: got[0][k] for k in JOB_KEY}
                jk = tuple(key[k] for k in JOB_KEY)
                if written.get(jk, i) < i:  # the same model under an earlier name, computed in parallel (Ray): the earlier
                    # name's rows stay, as in one process, where this unit would have found them stored
                    got = [{**r, "model": unit.label, "cached": True} for r in self.store.job_rows(key)]
                else:
                    written[jk] = i
                    self.store.write_job([{k: v for k, v in r.items() if k != "cached"} for r in got], artifacts)
                    if any(r.get("cached") for r in got):  # a null baseline's rows reused from the dataset-side cache
                        got = [{**r, "cached": True} for r in got]
            done[i].add((key["task"], int(key["seed"])))
            rows[(i, *(key[k] for k in JOB_KEY))] = got  # by unit too: one model under two names keeps both
            next(bar, None)
        for _ in bar:  # drain the bar
            pass
        return Results([r for got in rows.values() for r in got], store_path=self.store.path)

    def _unit_failed_rows(self, unit: Unit, task: Task, seed: int, reason: str) -> list[dict[str, Any]]:
        """A failed row for a job of a unit that stopped before it (the model did not load, the worker
        died twice): keyed on the model's name and the dataset's reference, as no identity is known."""
        from .identity import combine_digests

        dataset_fp = "unit-" + hash_json({"dataset": task.dataset, "params": task.dataset_params})[:8]
        params = {"dataset_params": task.dataset_params, "unit_failed": True}
        base = self._unloaded_job_base(unit.label, combine_digests(str(unit.label), dataset_fp, "unit-failed"), None, task, seed,
                                       dataset_fp, params)
        return [self._status_row(base, task, "failed", reason, 0.0)]

    def _unloaded_job_base(self, name: Any, model_fp: str, model_id: str | None, task: Task, seed: int, dataset_fp: str,
                           params: dict[str, Any]) -> dict[str, Any]:
        """The key and provenance of a job whose dataset or model never loaded (a missing extra, a unit
        that stopped): no dataset to fingerprint, so ``dataset_fp`` stands for the split too."""
        return {"model_fp": model_fp, "task": task.name, "task_version": task.version, "params_hash": hash_json(params)[:16],
                "split_fp": dataset_fp, "seed": seed, "model": name, "family": task.family, "dataset": task.dataset,
                "dataset_fp": dataset_fp, "split": task.split, "params": params, "run_id": self.run_id,
                "model_id": model_id, "key_scheme": IDENTITY_SCHEME}

    def _shared_job_key(self, adapter: Adapter, base: dict[str, Any]) -> dict[str, Any] | None:
        """For a null baseline (its recipe and the dataset fix its codes), the content address of a
        job's rows in the dataset-side cache: the store's job key, the library versions that can
        change a number and the device; ``None`` for any other model."""
        if type(adapter) not in BASELINES.values():
            return None
        if self._versions is None:
            self._versions = {**library_versions(), "latentbench": _latentbench_version()}
        return {**{k: base[k] for k in JOB_KEY}, "key_scheme": IDENTITY_SCHEME, "versions": self._versions, "device": self.device}

    def _latent_sample(self, model_fp: str, cache: LatentCache, split: str) -> dict[str, np.ndarray]:
        """A small fixed sample of codes, stored once per model, dataset and split, for the report's
        projections; taken from codes already computed (never encodes for it)."""
        key = (model_fp, cache.dataset.fingerprint, split)
        if key in self._latent_samples:
            return {}
        z = cache.peek("z", split)
        if z is None:
            post = cache.peek("posterior", split)
            z = post[0] if post is not None else None
        if z is None:
            return {}
        self._latent_samples.add(key)
        return latent_sample_artifacts(cache.dataset, split, z)

    def _status_row(self, base: dict[str, Any], task: Task, status: str, message: str, seconds: float) -> dict[str, Any]:
        spec = task.primary_spec
        return {**base, **_describe_score(task, spec.name), "value": None, "ci_low": None, "ci_high": None, "ci_method": None,
                "stderr": None, "n": None, "direction": spec.direction, "is_primary": 1, "status": status, "message": message,
                "seconds": seconds}

    def _score_rows(self, base: dict[str, Any], task: Task, output: TaskOutput, seconds: float,
                    caught: list[warnings.WarningMessage]) -> list[dict[str, Any]]:
        if not isinstance(output, TaskOutput):
            raise TypeError(f"{type(task).__name__}.run must return a TaskOutput, got {type(output).__name__}")
        specs = task.score_specs
        extra, lacking = set(output.scores) - set(specs), set(specs) - set(output.scores)
        if extra or lacking:
            raise TypeError(f"{type(task).__name__}.run returned scores {sorted(output.scores)} but declares {sorted(specs)}")
        notes = sorted({str(w.message) for w in caught if issubclass(w.category, UndefinedMetricWarning)})
        if output.info:
            base = {**base, "params": {**base["params"], "info": output.info}}
        rows = []
        undefined = {n for n, sc in output.scores.items() if sc.value is None or not math.isfinite(float(sc.value))}
        for name, spec in specs.items():
            s = output.scores[name]
            value = float(s.value) if s.value is not None else float("nan")
            # a warning explains the scores it left undefined; when every score is defined it concerns them all
            message = "; ".join(notes) if notes and (name in undefined or not undefined) else None
            if not math.isfinite(value):
                message = message or "undefined on this input"
            if s.ci_note or interval_excludes(value, s.ci_low, s.ci_high):  # never store such an interval silently
                why = s.ci_note or (f"the interval [{s.ci_low:.6g}, {s.ci_high:.6g}] ({s.ci_method or 'method not given'}) "
                                    f"excludes the estimate {value:.6g}")
                message = f"{message}; {why}" if message else why
            lo, hi = spec.bounds
            if math.isfinite(value) and ((lo is not None and value < lo - 1e-9) or (hi is not None and value > hi + 1e-9)):
                raise ValueError(f"score {name!r} = {value} is outside its declared bounds {spec.bounds}")
            rows.append({**base, **_describe_score(task, name), "value": value if math.isfinite(value) else None,
                         "ci_low": _finite(s.ci_low), "ci_high": _finite(s.ci_high), "ci_method": s.ci_method,
                         "stderr": _finite(s.stderr), "n": s.n,
                         "direction": spec.direction, "is_primary": int(name == task.primary), "status": "ok",
                         "message": message, "seconds": seconds})
        return rows


def evaluate(model: Any, tasks: str | Task | Sequence[str | Task] | None = None, *, suite: str | None = None,
             dataset: str | Dataset | None = None, seeds: Iterable[int] = (0,), device: str = "auto",
             store: ResultStore | str | None = None, force: bool = False, name: str | None = None,
             n_bootstrap: int = 1000, on_error: str = "record", batch_size: int | None = None,
             limit: int | None = None, progress: bool = True, executor: str | Executor = "local") -> Results:
    """Evaluate a model (or several) on tasks and return the results.

    Parameters
    ----------
    model : object or mapping of str to object
        Anything :func:`latentbench.adapt` accepts, a model spec string (``"ref:vae"``,
        ``"package.module:factory"``, ``"latents.npz"``), or a mapping ``{name: model}`` of
        several models. A mapping is always read as several models (``adapt`` reads one as one
        model's latents); an ``np.load`` result of a ``.npz`` file is one model's latents. A mapping
        with latent-like keys (``z``, ``mean``, ``logvar``, ``z_<split>``...) holding arrays is
        ambiguous and refused: pass ``adapt({...})`` (one model) or ``{"name": adapt({...})}``.
    tasks : str, Task or sequence, optional
        Registered task names (comma-separated allowed) or Task instances.
    suite : str, optional
        A suite name (``quick``, ``standard``).
    dataset : str or Dataset, optional
        Run every task on this dataset (see :class:`Evaluator`).
    seeds : iterable of int, default=(0,)
    device : {"auto", "cpu", "cuda"}, default="auto"
    store : ResultStore or path, optional
        Where to keep results; ``None`` keeps them in memory only.
    force : bool, default=False
        Recompute what the store already has.
    name : str, optional
        A display name for a single model.
    n_bootstrap : int, default=1000
        Bootstrap resamples of the intervals (1 to 10,000).
    on_error : {"record", "raise"}, default="record"
    batch_size : int, optional
        Rows per call of the model (default: its adapter's); the results do not depend on it.
    limit : int, optional
        Score on the first ``limit`` rows of each split only (a quick look; the tasks are named
        ``<task>[limit=N]`` and never mixed with full runs).
    progress : bool, default=True
        Show a progress bar of the jobs on stderr.
    executor : {"local", "ray"} or RayExecutor, default="local"
        ``"ray"`` runs each (model, dataset) unit as a Ray task (local Ray, or a cluster through
        ``RayExecutor(address=...)``); model spec strings are then loaded on the workers. The
        stored numbers are the same as with ``"local"``.

    Returns
    -------
    Results
        Convert with ``.to_dataframe()`` or ``.to_json()``.

    Examples
    --------
    >>> import latentbench
    >>> from sklearn.decomposition import PCA
    >>> from latentbench.data import load_dataset
    >>> d = load_dataset("digits")
    >>> pca = PCA(8).fit(d.get_x(d.split("train"), flat=True))
    >>> res = latentbench.evaluate(pca, tasks="reconstruction/digits", name="pca8")
    >>> res.to_dataframe().loc[lambda df: df.metric == "mse", "value"].round(3).tolist()  # doctest: +SKIP
    [0.03]
    """
    from .models.loader import load_model

    seeds = list(seeds) if not isinstance(seeds, (int, np.integer)) else [seeds]
    check_run_options(seeds=seeds, n_bootstrap=n_bootstrap, batch_size=batch_size, limit=limit)  # before any model is loaded
    task_list = resolve_tasks(tasks, suite=suite)
    dev = resolve_device(device)
    ref = dataset.name if isinstance(dataset, Dataset) else dataset
    remote = not getattr(make_executor(executor), "in_process", False)

    def load(spec: str) -> Any:  # on a worker for a remote executor, here for the local one
        return ModelSpec(spec, dataset=ref) if remote else load_model(spec, device=dev, dataset=ref)

    if isinstance(model, Mapping) and not _is_npz_file(model):
        model = _as_model_mapping(model)
        models = {k: load(v) if isinstance(v, str) else v for k, v in model.items()}
    else:
        obj = load(model) if isinstance(model, str) else model
        models = {name or (model if isinstance(model, str) else None): obj}
    return Evaluator(task_list, dataset=dataset, seeds=seeds, device=dev, store=store, force=force,
                     n_bootstrap=n_bootstrap, on_error=on_error, batch_size=batch_size, limit=limit,
                     progress=progress, executor=executor).run(models)


# ---------------------------------------------------------------------------------------- units
@dataclass(frozen=True)
class ModelSpec:
    """A model by its spec string (``ref:vae@1``, ``pkg.mod:factory``, ``latents.npz``), loaded where it runs.

    Parameters
    ----------
    spec : str
        What :func:`latentbench.models.loader.load_model` reads.
    model_args : dict, optional
        Keyword arguments of a ``package.module:factory``.
    dataset : str, optional
        The run's ``--dataset`` (a reference model is drawn for it).
    """

    spec: str
    model_args: Mapping[str, Any] | None = None
    dataset: str | None = None

    def load(self, device: str) -> Any:
        from .models.loader import load_model

        return load_model(self.spec, device=device, dataset=self.dataset, model_args=dict(self.model_args) if self.model_args else None)


@dataclass
class Unit:
    """The jobs of one model on one dataset: they share one encoding pass, so they run together."""

    label: Any
    model: Any
    tasks: tuple[Task, ...]
    seeds: tuple[int, ...]
    stored: frozenset[tuple[Any, ...]]
    evaluator: Evaluator = field(repr=False)


def compute_unit(unit: Unit) -> Iterator[tuple[Any, ...]]:
    """Compute (anywhere): run a unit's jobs and yield, as each finishes, what the driver stores.

    Yields ``("model", model_fp, name, kind, description)`` once the model's identity on the dataset
    is known, then per job ``("job", rows, artifacts)`` or ``("cached", job_key)`` (the store had it:
    the driver reads it). Never opens the store. The dataset-side cache is the driver's own under the
    in-process :class:`~latentbench.executors.LocalExecutor`; elsewhere the one under
    ``$LATENTBENCH_HOME`` when the driver's store is on disk (else one in memory for the unit).
    """
    import copy
    import os

    w = copy.copy(unit.evaluator)
    if w._shared_dataside is not None:
        w.dataside = w._shared_dataside
    elif w._dataside_folder:
        w.dataside = DatasetSideCache(w._dataside_folder, shipped=shipped_folder() if w._dataside_shipped else None)
    else:
        w.dataside = DatasetSideCache()
    w._events, w._stored, w._latent_samples, w._limited = [], unit.stored, set(), {}
    before = os.environ.get("LATENTBENCH_HOME")
    os.environ["LATENTBENCH_HOME"] = w._home  # the driver's checkpoints and caches (a shared path on a cluster)
    try:
        adapter = w._adapter(unit.label, unit.model)
        for _ in w._jobs(adapter):
            events, w._events = w._events, []
            for event in events:  # not `yield from`: Ray resumes its generators with send()
                yield event
    finally:
        if before is None:
            os.environ.pop("LATENTBENCH_HOME", None)
        else:
            os.environ["LATENTBENCH_HOME"] = before


# ---------------------------------------------------------------------------------------- helpers
def _latentbench_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("latentbench")
    except metadata.PackageNotFoundError:
        return "unknown"


_LATENT_KEY_BASES = ("z", "mean", "logvar")


def _describe_score(task: Task, name: str) -> dict[str, Any]:
    """What the report needs to order and name a score without the task: its rank in the task's
    declaration, its one-line description and its unit."""
    rank = next(i for i, s in enumerate(task.scores) if s.name == name)
    spec = task.scores[rank]
    return {"metric": name, "metric_rank": rank, "metric_label": spec.description or None, "unit": spec.unit or None}


def _finite(value: Any) -> float | None:
    """A finite float, or ``None`` (as the store keeps missing and non-finite numbers)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _is_latent_key(key: Any) -> bool:
    return isinstance(key, str) and (key in _LATENT_KEY_BASES or key.partition("_")[0] in _LATENT_KEY_BASES and "_" in key)


def _is_npz_file(obj: Any) -> bool:
    return isinstance(obj, np.lib.npyio.NpzFile)


def _as_model_mapping(models: Any) -> dict[Any, Any]:
    """``{name: model}`` from what :meth:`Evaluator.run` and :func:`evaluate` accept (see there)."""
    if not isinstance(models, Mapping) or _is_npz_file(models):
        return {None: models}
    ambiguous = sorted(str(k) for k, v in models.items() if _is_latent_key(k) and (isinstance(v, np.ndarray) or is_tensor(v)))
    if models and all(isinstance(v, np.ndarray) and v.ndim == 1 for v in models.values()):
        raise InputValidationError(
            "ambiguous models mapping: every value is a 1-D array, as in one model's word vectors {word: vector}, but a "
            "mapping passed to evaluate() is read as {name: model}; pass latentbench.adapt({...}) for word vectors, and "
            "to name them {'my-vectors': latentbench.adapt({...})}")
    if ambiguous:
        raise InputValidationError(
            f"ambiguous models mapping: its keys {ambiguous} hold arrays named like one model's latents, but a mapping "
            f"passed to evaluate() is read as {{name: model}}; for one model's precomputed latents pass "
            f"latentbench.adapt({{...}}) or a .npz path, and to name it {{'my-model': latentbench.adapt({{...}})}}"
        )
    return dict(models)


def _dataset_name(ref: str) -> str:
    """The name a dataset reference loads as: a registered name, or an ``.npz`` file's stem."""
    return Path(ref).stem if str(ref).endswith(".npz") else str(ref)


def _limited_task(task: Task, limit: int) -> Task:
    """``task`` under ``--limit N``: named ``<task>[limit=N]`` so its results never mix with full runs."""
    import copy

    new = copy.copy(task)
    new.name = f"{task.name}[limit={limit}]"
    return new
