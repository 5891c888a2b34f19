"""Tests of the Evaluator and the results store: stored rows, reruns from the store, failures and
skips, per-task seeds, crash safety, conversions and provenance."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import latentbench
from latentbench import evaluate, load_results
from latentbench.adapters import Capability
from latentbench.exceptions import TaskFailedError
from latentbench.runner import Evaluator, derive_seed
from latentbench.store import JOB_KEY, ResultStore
from latentbench.tasks.base import Score, ScoreSpec, Task, TaskOutput
from latentbench.tasks.collapse import PosteriorCollapse
from latentbench.tasks.likelihood import Likelihood
from latentbench.tasks.reconstruction import Reconstruction
from latentbench.tasks.registry import get_suite, resolve_tasks

DIGITS_TASKS = ["reconstruction/digits", "likelihood/digits", "collapse/digits"]
ROW_KEY = (*JOB_KEY, "metric")


def keys(rows):
    return {tuple(r[k] for k in ROW_KEY) for r in rows}


def by_key(rows):
    return {tuple(r[k] for k in ROW_KEY): r for r in rows}


class Boom(Task):
    family = "reconstruction"
    scores = (ScoreSpec("v", "higher"), ScoreSpec("w", "none"))
    primary = "v"

    def run(self, adapter, data, ctx):
        raise ValueError("boom: the value was 3\nsecond line of detail")


class Interrupt(Task):
    family = "reconstruction"
    scores = (ScoreSpec("v", "higher"),)
    primary = "v"

    def run(self, adapter, data, ctx):
        raise KeyboardInterrupt


class NeedsFactors(Task):
    family = "disentanglement"
    scores = (ScoreSpec("v", "higher"),)
    primary = "v"
    requires = frozenset({"factors"})

    def run(self, adapter, data, ctx):  # pragma: no cover - never called on digits
        raise AssertionError("must be skipped")


class Draws(Task):
    """Reports a value drawn from ctx.rng, to check per-task seeding."""

    family = "dimension"
    scores = (ScoreSpec("draw", "none"),)
    primary = "draw"

    def run(self, adapter, data, ctx):
        return TaskOutput({"draw": Score.plain(float(ctx.rng.random()))})


def _forbid(monkeypatch, *classes):
    def run(self, *a, **k):
        raise AssertionError(f"{type(self).__name__}.run must not be called: the result is in the store")

    for cls in classes:
        monkeypatch.setattr(cls, "run", run)


# ------------------------------------------------------------------------------------------ store and reruns
def test_quick_suite_with_ref_pca_stores_rows_reruns_from_the_store_and_force_recomputes(tmp_path, monkeypatch):
    db = tmp_path / "results.db"
    suite = get_suite("quick").tasks
    res = evaluate("ref:pca", suite="quick", store=str(db), device="cpu", n_bootstrap=100)
    assert {r["task"] for r in res} == set(suite)
    assert all(r["model"] == "ref:pca" for r in res)
    assert not res.failed
    for r in res:
        if r["dataset"] == "digits":
            assert r["status"] == "ok", r
        else:  # trained on digits: tasks on other datasets are skipped, saying why
            assert r["status"] == "skipped" and "trained on 'digits'" in r["message"]
    # the numbers are the closed-form PPCA's: sanity ranges, not the metric math
    assert 0.005 < res.value("reconstruction/digits") < 0.05
    assert res.value("collapse/digits") == 10.0  # 10 components, all active
    assert res.value("likelihood/digits", "elbo_gap") == pytest.approx(0.0, abs=1e-6)  # exact posterior

    store = ResultStore(db)
    stored = store.rows()
    assert keys(stored) == keys(res) and len(stored) == len(res)
    assert all(r["status"] in ("ok", "skipped") for r in stored)

    # a rerun finds every finished job and does not call the tasks
    with monkeypatch.context() as mp:
        _forbid(mp, Reconstruction, Likelihood, PosteriorCollapse)
        again = evaluate("ref:pca", suite="quick", store=str(db), device="cpu", n_bootstrap=100)
    assert keys(again) == keys(res)
    first = by_key(res.rows)
    for k, r in by_key(again.rows).items():
        if r["status"] == "ok":
            assert r.get("cached") is True
            assert r["value"] == first[k]["value"] or (r["value"] is None and first[k]["value"] is None)
            assert r["ci_low"] == first[k]["ci_low"]
            assert r["run_id"] == first[k]["run_id"]

    # force=True computes again
    calls = []
    original = Reconstruction.run

    def counting(self, *a, **k):
        calls.append(self.name)
        return original(self, *a, **k)

    monkeypatch.setattr(Reconstruction, "run", counting)
    forced = evaluate("ref:pca", tasks="reconstruction/digits", store=str(db), device="cpu", n_bootstrap=100, force=True)
    assert calls == ["reconstruction/digits"]
    assert not any(r.get("cached") for r in forced)
    assert forced.value("reconstruction/digits") == res.value("reconstruction/digits")
    assert {r["run_id"] for r in forced} != {r["run_id"] for r in res}
    assert len(ResultStore(db).rows()) == len(stored)  # replaced, not duplicated
    store.close()


def test_rerun_with_a_different_seed_or_task_version_is_not_cached(tmp_path, tiny_ae):
    db = str(tmp_path / "r.db")
    m = tiny_ae()
    evaluate(m, tasks="reconstruction/digits", store=db, device="cpu", n_bootstrap=20)
    r2 = evaluate(m, tasks="reconstruction/digits", store=db, device="cpu", n_bootstrap=20, seeds=[1])
    assert not any(r.get("cached") for r in r2)
    t = resolve_tasks("reconstruction/digits")[0]
    t.version = 2
    r3 = evaluate(m, tasks=[t], store=db, device="cpu", n_bootstrap=20)
    assert not any(r.get("cached") for r in r3)
    assert {r["task_version"] for r in ResultStore(db).rows()} == {1, 2}
    assert {r["seed"] for r in ResultStore(db).rows()} == {0, 1}
    # a changed parameter changes the key too
    t4 = resolve_tasks("reconstruction/digits")[0]
    t4.params = {**t4.params, "max_samples": 100}
    r4 = evaluate(m, tasks=[t4], store=db, device="cpu", n_bootstrap=20)
    assert not any(r.get("cached") for r in r4)
    assert r4.value("reconstruction/digits", "mse_p50") is not None
    assert next(r for r in r4 if r["metric"] == "mse")["n"] == 100


def test_cached_rows_carry_the_name_given_now(tmp_path, tiny_ae):
    db = str(tmp_path / "r.db")
    m = tiny_ae()
    evaluate(m, tasks="reconstruction/digits", store=db, device="cpu", n_bootstrap=20, name="first")
    res = evaluate(m, tasks="reconstruction/digits", store=db, device="cpu", n_bootstrap=20, name="second")
    assert {r["model"] for r in res} == {"second"}


def test_store_does_not_mix_up_callables_with_different_weights(tmp_path):
    class Linear:
        def __init__(self, W):
            self.W = W

        def encode(self, x):
            return x.reshape(len(x), -1) @ self.W

        def decode(self, z):
            return z @ np.linalg.pinv(self.W)

    rng = np.random.default_rng(0)
    db = str(tmp_path / "r.db")
    a = evaluate(Linear(rng.standard_normal((64, 3))), tasks="reconstruction/digits", store=db, device="cpu", n_bootstrap=20)
    b = evaluate(Linear(rng.standard_normal((64, 8))), tasks="reconstruction/digits", store=db, device="cpu", n_bootstrap=20)
    assert not any(r.get("cached") for r in b)
    assert b.value("reconstruction/digits") != a.value("reconstruction/digits")


# ------------------------------------------------------------------------------------------ failures and skips
def test_a_task_that_raises_is_recorded_as_failed_and_the_others_run(tmp_path, tiny_ae):
    db = str(tmp_path / "r.db")
    res = evaluate(tiny_ae(), tasks=[Boom(name="boom"), "reconstruction/digits"], store=db, device="cpu", n_bootstrap=20,
                   name="ae")
    failed = res.failed
    assert len(failed) == 1
    f = failed[0]
    assert f["task"] == "boom" and f["status"] == "failed" and f["metric"] == "v" and f["value"] is None
    assert f["message"].startswith("ValueError: boom: the value was 3")
    assert "\n" not in f["message"] and "second line" not in f["message"]
    ok = [r for r in res if r["task"] == "reconstruction/digits"]
    assert ok and all(r["status"] == "ok" for r in ok)
    stored = ResultStore(db).rows(tasks=["boom"])
    assert [(r["status"], r["message"]) for r in stored] == [("failed", f["message"])]
    # a failed job is tried again on the next run (not taken from the store)
    again = evaluate(tiny_ae(), tasks=[Boom(name="boom")], store=db, device="cpu", n_bootstrap=20, name="ae")
    assert not again.rows[0].get("cached") and again.rows[0]["status"] == "failed"


def test_on_error_raise(tiny_ae):
    with pytest.raises(TaskFailedError, match=r"boom failed on model 'TinyAE': ValueError: boom: the value was 3"):
        evaluate(tiny_ae(), tasks=[Boom(name="boom")], device="cpu", on_error="raise")


def test_failed_message_detail_is_the_failing_source_line(tiny_ae):
    class KeyBoom(Boom):
        def run(self, adapter, data, ctx):
            table = {"a": 1}
            return table["b"] + 1

    res = evaluate(tiny_ae(), tasks=[KeyBoom(name="keyboom")], device="cpu")
    msg = res.failed[0]["message"]
    assert msg.startswith("KeyError: 'b'")
    assert "^" not in msg and "~" not in msg, msg


def test_task_returning_undeclared_scores_fails(tiny_ae):
    class Wrong(Boom):
        def run(self, adapter, data, ctx):
            return TaskOutput({"v": Score.plain(1.0)})  # "w" is declared but missing

    res = evaluate(tiny_ae(), tasks=[Wrong(name="wrong")], device="cpu")
    assert "declares ['v', 'w']" in res.failed[0]["message"]


def test_score_outside_its_bounds_fails(tiny_ae):
    class OutOfBounds(Task):
        family = "dimension"
        scores = (ScoreSpec("frac", "none", bounds=(0.0, 1.0)),)
        primary = "frac"

        def run(self, adapter, data, ctx):
            return TaskOutput({"frac": Score.plain(1.5)})

    res = evaluate(tiny_ae(), tasks=[OutOfBounds(name="oob")], device="cpu")
    assert "outside its declared bounds" in res.failed[0]["message"]


def test_missing_capability_is_recorded_as_skipped_with_the_reason(tmp_path, tiny_ae):
    db = str(tmp_path / "r.db")
    res = evaluate(tiny_ae(), tasks=DIGITS_TASKS, store=db, device="cpu", n_bootstrap=20, name="ae")
    status = {r["task"]: (r["status"], r["message"]) for r in res if r["is_primary"]}
    assert status["reconstruction/digits"] == ("ok", None)
    st, msg = status["likelihood/digits"]
    assert st == "skipped"
    needs, _, has = msg.partition("; model has ")
    assert needs.startswith("needs ")
    assert set(needs.removeprefix("needs ").split(", ")) == {"posterior", "likelihood", "prior"}
    assert has == "decode, encode"
    assert status["collapse/digits"] == ("skipped", "needs posterior; model has decode, encode")
    skipped = res.skipped
    assert {r["task"] for r in skipped} == {"likelihood/digits", "collapse/digits"}
    assert all(r["value"] is None and r["is_primary"] == 1 for r in skipped)  # one row per skipped job
    assert {(r["task"], r["status"]) for r in ResultStore(db).rows() if r["status"] == "skipped"} == {
        ("likelihood/digits", "skipped"), ("collapse/digits", "skipped")}


def test_missing_dataset_field_is_recorded_as_skipped(tiny_ae):
    res = evaluate(tiny_ae(), tasks=[NeedsFactors(name="needs-factors")], device="cpu")
    assert [(r["status"], r["message"]) for r in res] == [("skipped", "dataset 'digits' has no factors")]


def test_encoder_returning_mean_logvar_runs_posterior_tasks(tiny_vae):
    res = evaluate(tiny_vae(latent_dim=3), tasks=DIGITS_TASKS, device="cpu", n_bootstrap=20)
    assert not res.failed and not res.skipped
    assert res.value("collapse/digits", "active_fraction") == res.value("collapse/digits") / 3
    assert res.value("likelihood/digits", "elbo") <= res.value("likelihood/digits", "iwae") + 1e-9


def test_a_model_that_cannot_run_on_a_later_dataset_fails_only_those_tasks(tiny_ae):
    tasks = ["reconstruction/digits", "reconstruction/shapes"]
    res = evaluate(tiny_ae(n_features=64), tasks=tasks, device="cpu", n_bootstrap=20)
    status = {r["task"]: r["status"] for r in res if r["is_primary"]}
    assert status == {"reconstruction/digits": "ok", "reconstruction/shapes": "failed"}
    assert "raised in encode" in res.failed[0]["message"]


def test_a_model_that_cannot_run_on_the_first_dataset_fails_only_those_tasks(tiny_ae):
    tasks = ["reconstruction/shapes", "reconstruction/digits"]
    res = evaluate(tiny_ae(n_features=64), tasks=tasks, device="cpu", n_bootstrap=20)
    status = {r["task"]: r["status"] for r in res if r["is_primary"]}
    assert status == {"reconstruction/digits": "ok", "reconstruction/shapes": "failed"}


# ------------------------------------------------------------------------------------------ seeds
def test_derive_seed_depends_on_seed_and_task_name():
    s = lambda seed, name: derive_seed(seed, name).generate_state(2).tolist()  # noqa: E731
    assert s(0, "a") == s(0, "a")
    assert s(0, "a") != s(1, "a") and s(0, "a") != s(0, "b")


def _numbers(res, task):
    return {(r["metric"], r["seed"]): (r["value"], r["ci_low"], r["ci_high"], r["stderr"], r["n"])
            for r in res if r["task"] == task}


def test_same_seed_same_numbers_and_independent_of_other_tasks(tiny_vae):
    m = tiny_vae(latent_dim=3)
    kw = dict(device="cpu", n_bootstrap=200)
    alone = evaluate(m, tasks="likelihood/digits", **kw)
    suite = evaluate(m, tasks=DIGITS_TASKS, **kw)
    reordered = evaluate(m, tasks=["collapse/digits", Draws(name="draws"), "likelihood/digits"], **kw)
    ref = _numbers(alone, "likelihood/digits")
    assert len(ref) == 9 and all(v[0] is not None for v in ref.values())
    assert _numbers(suite, "likelihood/digits") == ref
    assert _numbers(reordered, "likelihood/digits") == ref
    assert _numbers(reordered, "collapse/digits") == _numbers(suite, "collapse/digits")
    assert _numbers(evaluate(m, tasks="likelihood/digits", **kw), "likelihood/digits") == ref


def test_ctx_rng_is_derived_from_seed_and_task_name(tiny_ae):
    res = evaluate(tiny_ae(), tasks=[Draws(name="draws-a"), Draws(name="draws-b")], seeds=[0, 1], device="cpu")
    draws = {(r["task"], r["seed"]): r["value"] for r in res}
    for (task, seed), v in draws.items():
        assert v == np.random.default_rng(derive_seed(seed, task)).random()
    assert len(set(draws.values())) == 4


def test_a_different_seed_changes_the_bootstrap_intervals(tiny_vae):
    m = tiny_vae(latent_dim=3)
    res = evaluate(m, tasks=["reconstruction/digits", "likelihood/digits"], seeds=[0, 1], device="cpu", n_bootstrap=200)
    mse = {r["seed"]: r for r in res if r["task"] == "reconstruction/digits" and r["metric"] == "mse"}
    assert mse[0]["value"] == mse[1]["value"]  # deterministic metric
    assert (mse[0]["ci_low"], mse[0]["ci_high"]) != (mse[1]["ci_low"], mse[1]["ci_high"])
    assert mse[0]["ci_low"] < mse[0]["value"] < mse[0]["ci_high"]
    iwae = {r["seed"]: r["value"] for r in res if r["task"] == "likelihood/digits" and r["metric"] == "iwae"}
    assert iwae[0] != iwae[1]  # Monte-Carlo estimate: new draws
    assert iwae[0] == pytest.approx(iwae[1], rel=0.05)


# ------------------------------------------------------------------------------------------ crash safety
def test_store_survives_an_interrupt_mid_run(tmp_path, tiny_vae):
    db = tmp_path / "r.db"
    m = tiny_vae()
    tasks = ["reconstruction/digits", "collapse/digits", Interrupt(name="interrupt"), "likelihood/digits"]
    with pytest.raises(KeyboardInterrupt):
        evaluate(m, tasks=tasks, store=str(db), device="cpu", n_bootstrap=20)
    with ResultStore(db) as s:
        rows = s.rows()
        assert {r["task"] for r in rows} == {"reconstruction/digits", "collapse/digits"}
        assert all(r["status"] == "ok" for r in rows)
        assert len(s.runs()) == 1
    # the rerun resumes: finished jobs come from the store
    res = evaluate(m, tasks=DIGITS_TASKS, store=str(db), device="cpu", n_bootstrap=20)
    cached = {r["task"] for r in res if r.get("cached")}
    assert cached == {"reconstruction/digits", "collapse/digits"}
    assert {r["task"] for r in res if r["status"] == "ok"} == set(DIGITS_TASKS)


def test_store_write_job_replaces_an_earlier_attempt_atomically(tmp_path):
    s = ResultStore(tmp_path / "s.db")
    base = {"model_fp": "m", "task": "t", "task_version": 1, "params_hash": "p", "split_fp": "s", "seed": 0}
    s.write_job([{**base, "metric": "a", "status": "failed", "message": "x"}])
    assert s.job_status(base) == "failed"
    s.write_job([{**base, "metric": "b", "status": "ok", "value": 1.5}, {**base, "metric": "c", "status": "ok",
                                                                        "value": float("nan")}],
                {"per_example/b": np.arange(3.0)})
    assert s.job_status(base) == "ok"
    assert sorted((r["metric"], r["value"]) for r in s.job_rows(base)) == [("b", 1.5), ("c", None)]
    np.testing.assert_array_equal(s.artifact(base, "per_example/b"), [0.0, 1.0, 2.0])
    assert s.artifact(base, "nope") is None
    assert s.job_status({**base, "seed": 1}) is None
    with pytest.raises(Exception):  # a bad row rolls the whole job back
        s.write_job([{**base, "metric": "d", "status": "ok"}, {**base, "metric": "e", "status": None}])
    assert sorted(r["metric"] for r in s.job_rows(base)) == ["b", "c"]
    s.close()


def test_default_store_is_under_latentbench_home(_isolated_latentbench):
    from latentbench.store import default_store_path

    assert default_store_path() == _isolated_latentbench / "results.db"


# ------------------------------------------------------------------------------------------ results and provenance
def test_results_to_dataframe_and_json_round_trip(tmp_path, tiny_vae):
    db = str(tmp_path / "r.db")
    res = evaluate(tiny_vae(), tasks=["reconstruction/digits", "collapse/digits", Boom(name="boom")], store=db,
                   device="cpu", n_bootstrap=20, name="v")
    df = res.to_dataframe()
    assert len(df) == len(res) == 6 + 6 + 1  # reconstruction, collapse (active and inactive units ...), the failure
    assert {"model", "task", "metric", "value", "ci_low", "ci_high", "status", "seed", "model_fp"} <= set(df.columns)
    assert set(df.model) == {"v"}
    mse = df[(df.task == "reconstruction/digits") & (df.metric == "mse")].iloc[0]
    assert mse.value == res.value("reconstruction/digits") and mse.direction == "lower" and mse.is_primary == 1

    path = tmp_path / "results.json"
    text = res.to_json(path)
    assert path.read_text() == text
    data = json.loads(text)
    assert data["schema_version"] == 1 and data["store"] == db
    assert isinstance(data["results"][0]["params"], dict)
    back = latentbench.Results(data["results"]).to_dataframe()
    pd.testing.assert_frame_equal(back, df)

    # the store holds the same rows: load_results gives the same frame (order aside)
    stored = load_results(db).to_dataframe()
    cols = ["model", "task", "metric", "value", "ci_low", "ci_high", "status", "message", "seed", "model_fp",
            "params_hash", "split_fp", "run_id", "n", "direction", "is_primary"]
    order = ["task", "metric"]
    pd.testing.assert_frame_equal(stored[cols].sort_values(order).reset_index(drop=True),
                                  df[cols].sort_values(order).reset_index(drop=True), check_dtype=False)
    assert len(load_results(db, tasks=["boom"])) == 1
    assert len(load_results(db, models=["nobody"])) == 0


def test_store_rows_carry_provenance(tmp_path, tiny_vae):
    db = tmp_path / "r.db"
    res = evaluate(tiny_vae(), tasks="reconstruction/digits", store=str(db), device="cpu", n_bootstrap=20, name="v")
    with ResultStore(db) as s:
        runs = s.runs()
        assert len(runs) == 1
        run = runs[0]
        assert run["device"] == "cpu"
        versions = json.loads(run["versions"])
        assert {"python", "numpy", "torch", "scikit-learn", "latentbench"} <= set(versions)
        assert versions["numpy"] == np.__version__
        assert run["started"] > 0 and run["host"]
        rows = s.rows()
        assert {r["run_id"] for r in rows} == {run["run_id"]} == {r["run_id"] for r in res}
        for r in rows:
            assert r["dataset"] == "digits" and r["split"] == "test" and len(r["dataset_fp"]) == 16
            assert len(r["model_fp"]) == 16 and r["created"] > 0
            params = json.loads(r["params"])
            assert params["estimator"]["class"] == "Reconstruction"
            assert params["estimator"]["params"]["max_samples"] == 20000
        models = s.models()
        assert [(m["name"], m["adapter"]) for m in models] == [("v", "torch")]
        desc = json.loads(models[0]["description"])
        assert desc["capabilities"] == ["decode", "encode", "likelihood", "posterior", "prior"]
        assert desc["fingerprint"] == rows[0]["model_id"]  # the model's own fingerprint; model_fp is its identity on digits
        assert desc["dataset_fp"] == rows[0]["dataset_fp"] and desc["probe"] == "deterministic" and models[0]["model_fp"] == rows[0]["model_fp"]
        key = {k: rows[0][k] for k in JOB_KEY}
        per_example = s.artifact(key, "per_example/mse")
        assert per_example.shape == (359,)
        assert float(per_example.mean()) == pytest.approx(res.value("reconstruction/digits"), rel=1e-5)


def test_evaluator_arguments_are_checked():
    from latentbench.exceptions import InputValidationError

    tasks = resolve_tasks("reconstruction/digits")
    with pytest.raises(InputValidationError, match="on_error"):
        Evaluator(tasks, on_error="ignore")
    with pytest.raises(InputValidationError, match="seeds"):
        Evaluator(tasks, seeds=[])
    with pytest.raises(InputValidationError, match="device"):
        Evaluator(tasks, device="tpu")


def test_several_models_in_one_run(tiny_ae, tiny_vae):
    res = evaluate({"ae": tiny_ae(), "vae": tiny_vae()}, tasks="reconstruction/digits", device="cpu", n_bootstrap=20)
    assert {r["model"] for r in res} == {"ae", "vae"}
    assert res.value("reconstruction/digits", model="ae") != res.value("reconstruction/digits", model="vae")
    with pytest.raises(KeyError, match="no result"):
        res.value("reconstruction/digits", model="nobody")


def test_dataset_override_runs_a_task_on_another_dataset(tiny_ae):
    res = evaluate(tiny_ae(), tasks="reconstruction/digits", dataset="digits-binary", device="cpu", n_bootstrap=20)
    assert {r["dataset"] for r in res} == {"digits-binary"}
    # named for the dataset it ran on (the registered reconstruction/digits-binary computes the same)
    assert {r["task"] for r in res} == {"reconstruction/digits-binary"}
    assert res.value("reconstruction/digits-binary", "bce") is not None  # binary data: cross-entropy is defined
    assert Capability.DECODE in Reconstruction.needs


def test_precomputed_latents_for_one_dataset_skip_tasks_on_another(digits):
    rows = digits.split("test")
    z = digits.get_x(rows, flat=True)[:, :4].astype(np.float64)
    model = {"z_test": z, "mean_test": z, "logvar_test": np.full_like(z, -1.0), "dataset": np.array("digits")}
    # a dict given to evaluate is a {name: model} mapping, so the latents are adapted first
    res = evaluate(latentbench.adapt(model), tasks=["collapse/digits", "collapse/digits-binary"], device="cpu", name="lat")
    status = {r["task"]: (r["status"], r["message"]) for r in res if r["is_primary"]}
    assert status["collapse/digits"] == ("ok", None)
    st, msg = status["collapse/digits-binary"]
    assert st == "skipped" and "are for dataset 'digits', not 'digits-binary'" in msg


def test_dataset_override_with_a_user_npz(tmp_path, tiny_ae):
    from latentbench.data.loaders import load_npz

    rng = np.random.default_rng(0)
    path = tmp_path / "mydata.npz"
    np.savez(path, x=rng.random((60, 64)).astype(np.float32), split=np.array(["train"] * 40 + ["test"] * 20))
    db = str(tmp_path / "r.db")
    res = evaluate(tiny_ae(), tasks="reconstruction/digits", dataset=str(path), store=db, device="cpu", n_bootstrap=20)
    mse = next(r for r in res if r["metric"] == "mse")
    assert mse["status"] == "ok" and mse["n"] == 20 and mse["dataset"] == "mydata"
    d = load_npz(path)
    assert mse["dataset_fp"] == d.fingerprint and mse["split_fp"] == d.split_fingerprint("test")


def test_a_warning_explains_the_scores_it_left_undefined_not_the_others(tiny_ae):
    from latentbench.exceptions import UndefinedMetricWarning

    class HalfDefined(Task):
        family = "dimension"
        scores = (ScoreSpec("fine", "none"), ScoreSpec("undefined", "none"))
        primary = "fine"

        def run(self, adapter, data, ctx):
            warnings.warn("undefined: the codes are constant", UndefinedMetricWarning)
            return TaskOutput({"fine": Score.plain(1.0), "undefined": Score.plain(float("nan"))})

    class AllDefined(HalfDefined):
        def run(self, adapter, data, ctx):
            warnings.warn("only 3 landmarks were distinct", UndefinedMetricWarning)
            return TaskOutput({"fine": Score.plain(1.0), "undefined": Score.plain(2.0)})

    res = evaluate(tiny_ae(), tasks=[HalfDefined(name="half"), AllDefined(name="all")], device="cpu")
    msg = {(r["task"], r["metric"]): r["message"] for r in res}
    assert msg[("half", "fine")] is None and msg[("half", "undefined")] == "undefined: the codes are constant"
    assert msg[("all", "fine")] == msg[("all", "undefined")] == "only 3 landmarks were distinct"
