"""The Ray executor: the same stored numbers as the local runner, job by job; failures recorded per
unit; a killed worker retried; a rerun recomputing nothing; an interrupted run resumed; bad input in
one line. One local Ray (2 CPUs, no dashboard) is started for the module and shut down after it."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA

from latentbench import evaluate
from latentbench.cli import main
from latentbench.exceptions import InputValidationError, MissingOptionalDependencyError
from latentbench.runner import Evaluator, ModelSpec
from latentbench.store import JOB_KEY, ResultStore
from latentbench.tasks.registry import resolve_tasks

TASKS = ["reconstruction/digits", "intrinsic-dimension/digits", "neighbourhood/digits"]
LIMIT = 300  # rows of each split: small and fast, the same for both executors


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'latentbench[distributed]'")
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test's model classes travel by value
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def _pca(k: int = 6) -> PCA:
    from latentbench.data import load_dataset

    d = load_dataset("digits")
    return PCA(k, random_state=0).fit(d.get_x(d.split("train"), flat=True))


def _stored(db: Path) -> dict[tuple, tuple]:
    with ResultStore(db, create=False) as s:
        return {(r["model"], r["task"], r["seed"], r["metric"]): (r["value"], r["ci_low"], r["ci_high"], r["n"], r["status"])
                for r in s.rows()}


def test_ray_stores_the_same_values_as_the_local_runner_job_by_job_and_a_rerun_recomputes_nothing(ray_local, tmp_path, monkeypatch):
    models = {"pca": _pca(), "null:random": "null:random"}  # a picklable object and a spec string loaded on the worker
    kw = dict(tasks=TASKS, seeds=[0, 1], device="cpu", n_bootstrap=50, limit=LIMIT, progress=False)
    local = evaluate(models, store=str(tmp_path / "local.db"), **kw)
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "other-home"))  # no dataside entry of the local run is reused
    remote = evaluate(models, store=str(tmp_path / "ray.db"), executor="ray", **kw)
    a, b = _stored(tmp_path / "local.db"), _stored(tmp_path / "ray.db")
    assert len(a) >= 2 * 3 * 2 and a.keys() == b.keys()
    assert {k: v for k, v in a.items() if v != b[k]} == {}
    assert sum(v[-1] == "ok" for v in b.values()) >= 2 * 3 * 2  # real numbers, not skips
    assert {(r["model"], r["task"], r["seed"]) for r in remote.rows} == {(r["model"], r["task"], r["seed"]) for r in local.rows}
    with ResultStore(tmp_path / "ray.db", create=False) as s:  # the driver stored the models and the latent samples too
        assert {m["name"] for m in s.models()} >= {"pca", "null:random"}
    again = evaluate(models, store=str(tmp_path / "ray.db"), executor="ray", **kw)
    ok = [r for r in again.rows if r["status"] == "ok"]
    assert ok and all(r.get("cached") for r in ok)
    assert _stored(tmp_path / "ray.db") == b


def test_one_model_under_two_names_is_stored_under_the_first_name_on_ray_as_locally(ray_local, tmp_path):
    """Two names for one model (three seeds of a closed-form PCA are one model): one process finds the
    first name's rows stored for the second; Ray computes both units in parallel, and the driver
    keeps the earlier-planned name's rows and description in the store, whatever order the units
    finish in."""
    pca = _pca()
    models = {"first": pca, "second": pca}
    kw = dict(tasks=TASKS[:1], device="cpu", n_bootstrap=50, limit=LIMIT, progress=False)
    local = evaluate(models, store=str(tmp_path / "local.db"), **kw)
    remote = evaluate(models, store=str(tmp_path / "ray.db"), executor="ray", **kw)
    for db in ("local.db", "ray.db"):
        with ResultStore(tmp_path / db, create=False) as s:
            assert {r["model"] for r in s.rows()} == {"first"}, db
            assert {m["name"] for m in s.models()} == {"first"}, db
    for res in (local, remote):
        assert {r["model"] for r in res.rows} == {"first", "second"}  # both names in the results, the second's as cached
        vals = {m: sorted((r["metric"], r["value"]) for r in res.rows if r["model"] == m) for m in ("first", "second")}
        assert vals["first"] == vals["second"]  # one model: the same numbers under both names (Ray may have computed both)
    assert _stored(tmp_path / "local.db") == _stored(tmp_path / "ray.db")


def test_a_unit_whose_model_fails_is_recorded_as_failed_and_the_others_are_stored(ray_local, tmp_path):
    db = tmp_path / "r.db"
    res = evaluate({"pca": _pca(), "broken": "no_such_package_xyz.models:factory"}, tasks=TASKS[:2], seeds=[0], device="cpu",
                   n_bootstrap=20, limit=LIMIT, store=str(db), executor="ray", progress=False)
    broken = [r for r in res.rows if r["model"] == "broken"]
    assert len(broken) == 2 and all(r["status"] == "failed" for r in broken)
    assert all("no_such_package_xyz" in r["message"] for r in broken)
    stored = _stored(db)
    assert all(v[-1] == "ok" for k, v in stored.items() if k[0] == "pca" and k[1].startswith("reconstruction"))
    assert sum(k[0] == "broken" and v[-1] == "failed" for k, v in stored.items()) == 2


class DiesOnce(PCA):
    """A PCA whose first transform kills its process (a worker that crashes); later ones work."""

    def __init__(self, n_components=None, *, marker: str = "", random_state=None):
        super().__init__(n_components, random_state=random_state)
        self.marker = marker

    def transform(self, X):
        if not os.path.exists(self.marker):
            Path(self.marker).touch()
            os._exit(1)
        return super().transform(X)


def test_a_killed_worker_is_retried_and_its_unit_stored(ray_local, tmp_path):
    from latentbench.data import load_dataset

    d = load_dataset("digits")
    model = DiesOnce(6, marker=str(tmp_path / "died"), random_state=0).fit(d.get_x(d.split("train"), flat=True))
    res = evaluate({"dies-once": model}, tasks=TASKS[:1], seeds=[0], device="cpu", n_bootstrap=20, limit=LIMIT,
                   store=str(tmp_path / "r.db"), executor="ray", progress=False)
    assert (tmp_path / "died").exists()  # the first attempt died
    assert {r["status"] for r in res.rows} == {"ok"}


def test_an_interrupted_ray_run_resumes_with_only_the_rest(ray_local, tmp_path, monkeypatch):
    db = tmp_path / "r.db"
    kw = dict(tasks=TASKS, seeds=[0, 1], device="cpu", n_bootstrap=20, limit=LIMIT, progress=False)
    writes = []
    real = ResultStore.write_job

    def write_then_die(self, rows, artifacts=None):
        real(self, rows, artifacts)
        writes.append(rows[0]["task"])
        if len(writes) == 2:
            raise KeyboardInterrupt  # Ctrl-C on the driver after two jobs were stored
    monkeypatch.setattr(ResultStore, "write_job", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        evaluate({"pca": _pca()}, store=str(db), executor="ray", **kw)
    monkeypatch.setattr(ResultStore, "write_job", real)
    n_before = sum(v[-1] == "ok" for v in _stored(db).values())
    assert n_before >= 2
    res = evaluate({"pca": _pca()}, store=str(db), executor="ray", **kw)
    cached_jobs = {(r["task"], r["seed"]) for r in res.rows if r.get("cached")}
    assert len(cached_jobs) == 2 and len({(r["task"], r["seed"]) for r in res.rows}) == 6


def test_the_cli_runs_on_ray_and_refuses_ray_options_without_it(ray_local, tmp_path, capsys):
    db = tmp_path / "cli.db"
    args = ["run", "null:random", "--tasks", TASKS[1], "--no-baselines", "--limit", str(LIMIT), "--bootstrap-iters", "20",
            "--store", str(db), "--device", "cpu", "--quiet"]
    assert main([*args, "--executor", "ray", "--cpus-per-unit", "1"]) == 0
    assert any(v[-1] == "ok" for v in _stored(db).values())
    assert main([*args, "--address", "auto"]) == 2
    assert "--executor ray" in capsys.readouterr().err


def test_a_model_ray_cannot_serialise_is_one_line_naming_spec_strings(ray_local, tmp_path):
    model = _pca()
    model.lock = threading.Lock()
    with pytest.raises(InputValidationError, match="spec string"):
        evaluate({"locked": model}, tasks=TASKS[:1], device="cpu", n_bootstrap=20, limit=LIMIT, executor="ray", progress=False)


def test_without_ray_the_executor_names_the_install_command(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingOptionalDependencyError, match=r"latentbench\[distributed\]"):
        evaluate("null:random", tasks=TASKS[:1], device="cpu", executor="ray", progress=False)
    assert main(["run", "null:random", "--tasks", TASKS[0], "--executor", "ray", "--quiet"]) == 2
    assert "pip install 'latentbench[distributed]'" in capsys.readouterr().err


def test_executor_and_model_spec_arguments_are_checked():
    with pytest.raises(InputValidationError, match="'executor'"):
        Evaluator(resolve_tasks(TASKS[:1]), executor="dask")
    spec = ModelSpec("null:random")
    assert spec.load("cpu") is not None


def test_plan_groups_jobs_into_units_of_one_model_and_one_dataset():
    tasks = resolve_tasks(["reconstruction/digits", "reconstruction/shapes", "likelihood/digits"])
    ev = Evaluator(tasks, seeds=[0, 1], device="cpu", executor="ray")
    units = ev._plan_units({"a": ModelSpec("null:random"), "b": ModelSpec("null:identity")})
    assert len(units) == 4 and all(len({t.dataset for t in u.tasks}) == 1 for u in units)
    assert sorted(len(u.tasks) for u in units) == [1, 1, 2, 2] and all(u.seeds == (0, 1) for u in units)
    assert all(u.evaluator.store is None for u in units)  # workers never get the store
    assert np.all([u.stored == frozenset() for u in units])
    assert JOB_KEY[0] == "model_fp"


def test_the_default_local_executor_computes_every_unit_in_process_through_compute_unit(monkeypatch):
    """The default is a LocalExecutor: the same plan / compute / persist as Ray, with each unit's
    compute_unit run in this process (one call per model and dataset), the driver's dataset-side
    cache shared by every unit, and the same rows as a direct call of the runner's job loop."""
    import latentbench.runner as runner
    from latentbench.executors import LocalExecutor

    calls = []
    real = runner.compute_unit

    def counting(unit):
        calls.append((unit.label, unit.tasks[0].dataset))
        yield from real(unit)

    monkeypatch.setattr(runner, "compute_unit", counting)
    tasks = resolve_tasks(["reconstruction/digits", "neighbourhood/digits", "reconstruction/digits-binary"])
    ev = Evaluator(tasks, device="cpu", n_bootstrap=50)
    assert isinstance(ev.executor, LocalExecutor)
    res = ev.run({"a": ModelSpec("null:pca-whiten").load("cpu"), "b": ModelSpec("null:random").load("cpu")})
    assert calls == [("a", "digits"), ("a", "digits-binary"), ("b", "digits"), ("b", "digits-binary")]
    assert {(r["model"], r["task"]) for r in res} == {(m, t.name) for m in "ab" for t in tasks}
    assert ev.dataside.computed["knn-input"] == 1  # the input side once, in the driver's cache, for both models
    direct = Evaluator(tasks, device="cpu", n_bootstrap=50)
    direct._events, direct._stored = [], frozenset()
    adapter = direct._adapter("a", ModelSpec("null:pca-whiten").load("cpu"))
    rows = [r for job in direct._jobs(adapter) for r in job]
    keep = ("task", "metric", "value", "ci_low", "ci_high", "status")
    assert sorted(tuple(r[k] for k in keep) for r in rows) == sorted(tuple(r[k] for k in keep) for r in res if r["model"] == "a")


def test_an_unreachable_address_is_one_line_at_once():
    from latentbench.executors import _check_reachable

    with pytest.raises(InputValidationError, match="cannot reach a Ray cluster at '127.0.0.1:1'"):
        _check_reachable("127.0.0.1:1")
    with pytest.raises(InputValidationError, match="--address must be"):
        _check_reachable("nowhere")


@pytest.mark.slow
def test_a_driver_killed_with_sigkill_mid_run_resumes_with_only_the_rest(ray_local, tmp_path):
    """A `latentbench run --executor ray` (its own local Ray) killed with SIGKILL once a job is
    stored; the rerun reads every stored job and computes only the others."""
    import signal
    import sqlite3
    import subprocess
    import time

    db = tmp_path / "k.db"
    models, tasks, seeds = ["null:random", "null:identity"], "intrinsic-dimension/digits,neighbourhood/digits", ["0", "1", "2"]
    cmd = [sys.executable, "-m", "latentbench.cli", "run", *models, "--tasks", tasks, "--seeds", *seeds, "--no-baselines",
           "--bootstrap-iters", "50", "--store", str(db), "--device", "cpu", "--executor", "ray", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    count = "SELECT COUNT(DISTINCT model_fp || task || seed) FROM results WHERE status='ok'"
    t0, n = time.time(), 0
    while n == 0 and time.time() - t0 < 120 and proc.poll() is None:
        time.sleep(0.2)
        try:
            n = sqlite3.connect(db).execute(count).fetchone()[0]
        except sqlite3.Error:
            n = 0
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the Ray it started, nothing else
    proc.wait()
    with sqlite3.connect(db) as conn:
        stored = conn.execute(count).fetchone()[0]
    assert 1 <= stored < 12, "the run should be stopped mid-way"
    res = evaluate({m: m for m in models}, tasks=tasks.split(","), seeds=[0, 1, 2], device="cpu", n_bootstrap=50,
                   store=str(db), executor="ray", progress=False)
    with ResultStore(db, create=False) as s:
        killed_run = s.runs()[0]["run_id"]
    jobs = {(r["model"], r["task"], r["seed"]) for r in res.rows}
    # read back from the store: the killed run's rows (the null baselines' other jobs may come from the
    # dataset-side cache, where the killed run's workers left them, under the new run's id)
    from_store = {(r["model"], r["task"], r["seed"]) for r in res.rows if r.get("cached") and r["run_id"] == killed_run}
    assert len(jobs) == 12 and len(from_store) == stored
    assert {r["status"] for r in res.rows} == {"ok"}


def test_train_on_ray_writes_each_checkpoint_with_the_fingerprint_of_a_local_training(ray_local, tmp_path, monkeypatch, capsys):
    from latentbench.models.zoo import cached_metadata, get_reference_spec, train_reference

    spec = get_reference_spec("pca")
    assert main(["train", "pca", "--seeds", "0", "1", "--executor", "ray", "--quiet"]) == 0
    on_ray = {m["seed"]: m["fingerprint"] for m in cached_metadata(spec)}
    assert set(on_ray) == {0, 1}
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "local-home"))
    assert {s: train_reference("pca", seed=s)[1]["fingerprint"] for s in (0, 1)} == on_ray
    assert main(["train", "no-such-reference", "--executor", "ray", "--quiet"]) == 2


def test_keep_trained_copies_a_checkpoint_trained_elsewhere_byte_for_byte(tmp_path):
    from latentbench.models.zoo import cached_metadata, get_reference_spec, keep_trained, load_reference, train_unit

    (got,) = list(train_unit(("pca", 0, "cpu", False, str(tmp_path / "worker-home"))))
    spec = get_reference_spec("pca")
    assert cached_metadata(spec) == []  # the driver's cache (this test's LATENTBENCH_HOME) has nothing yet
    keep_trained(got)
    (meta,) = cached_metadata(spec)
    assert meta["fingerprint"] == got["meta"]["fingerprint"]
    keep_trained(got)  # again: the same bytes are left alone
    _, loaded = load_reference("pca", train=False)  # read from the driver's cache, nothing trained here
    assert loaded["fingerprint"] == got["meta"]["fingerprint"]


def test_on_error_raise_stops_a_ray_run_at_the_first_failed_unit(ray_local):
    from latentbench.exceptions import TaskFailedError

    with pytest.raises(TaskFailedError, match="no_such_package_xyz"):
        evaluate({"broken": "no_such_package_xyz.models:factory"}, tasks=TASKS[:1], device="cpu", limit=LIMIT,
                 executor="ray", on_error="raise", progress=False)


def test_audit_on_ray_stores_the_same_numbers_as_a_local_audit(ray_local, tmp_path):
    from latentbench.audit import audit

    kw = dict(dataset=None, device="cpu", n_bootstrap=20, seed=0)
    _, local = audit("null:random", store=str(tmp_path / "local.db"), **kw)
    _, remote = audit("null:random", store=str(tmp_path / "ray.db"), executor="ray", **kw)

    def values(res):
        return {(r["task"], r["metric"]): (r["status"], r["value"]) for r in res.rows}

    assert values(local) == values(remote) and any(s == "ok" for s, _ in values(local).values())
    assert main(["audit", "null:random", "--executor", "ray", "--cpus-per-unit", "1", "--bootstrap-iters", "20",
                 "--store", str(tmp_path / "ray.db"), "--quiet"]) == 0  # the CLI path, every job already stored
