"""Intervals that contain their own estimate: the subsample interval of the statistics core on a
biased estimator and its coverage on an unbiased one, the runner's guard against storing an interval
that leaves out its value silently, and every registered task that reports an interval, run on
small data with several models."""

from __future__ import annotations

import math

import numpy as np
import pytest

import latentbench
from latentbench.data import load_dataset
from latentbench.exceptions import InputValidationError
from latentbench.models.baselines import make_baseline
from latentbench.runner import Evaluator
from latentbench.stats import interval_excludes, subsample_ci
from latentbench.tasks.base import Score, ScoreSpec, Task, TaskOutput
from latentbench.tasks.registry import get_task, list_tasks


def reflected(res, n, level=0.95):
    """The m-out-of-n interval used before: ``[theta - s (q_hi - theta), theta - s (q_lo - theta)]``."""
    theta, m = res.value, res.details["m"]
    s = math.sqrt(m / (n - m))
    q_lo, q_hi = np.quantile(res.details["draws"], [(1 - level) / 2, (1 + level) / 2])
    return theta - s * (q_hi - theta), theta - s * (q_lo - theta)


# ------------------------------------------------------------------------------------------ the statistics core
def test_subsample_interval_contains_a_biased_estimate_that_the_reflected_interval_leaves_out():
    # the mean plus a 1/n bias ten times larger than its standard error: half-size draws sit 10/n above
    x = np.random.default_rng(0).normal(size=400)
    n, bias = len(x), 10 * math.sqrt(len(x))

    def fn(a):
        return float(a.mean()) + bias / len(a)

    res = subsample_ci(fn, x, n_rounds=20, rng=1)
    lo, hi = reflected(res, n)
    assert hi < res.value  # the defect: the interval lands below its own value
    assert res.ci_low <= res.value <= res.ci_high
    assert res.details["shift"] == pytest.approx(bias / res.details["m"] - bias / n, rel=0.2)  # the size dependence, reported
    # the width is the estimator's sampling spread at n, not inflated by the bias
    assert (res.ci_high - res.ci_low) / 2 == pytest.approx(1.96 / math.sqrt(n), rel=0.5)
    assert res.method == "subsample-se(m=200)" and res.n == n


def test_subsample_interval_on_plug_in_entropy_whose_bias_dwarfs_its_spread():
    # plug-in entropy of a uniform distribution on 200 symbols: bias about -(K - 1) / 2n, spread far smaller
    x = np.random.default_rng(3).integers(0, 200, size=2000)

    def entropy(a):
        p = np.bincount(a, minlength=200) / len(a)
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    res = subsample_ci(entropy, x, n_rounds=10, rng=0)
    lo, hi = reflected(res, len(x))
    assert lo > res.value  # half-size draws are lower, so the reflected interval lies above
    assert res.ci_low <= res.value <= res.ci_high <= math.log(200)
    assert res.details["shift"] < 0


def test_subsample_interval_covers_the_mean_near_the_nominal_rate():
    # unbiased root-n case: over repeated samples the interval covers the truth about 95 % of the time,
    # and is about as wide as the normal interval (the width is not made arbitrarily large)
    rng = np.random.default_rng(7)
    n, reps = 300, 300
    hit, widths = 0, []
    for _ in range(reps):
        x = rng.normal(size=n)
        res = subsample_ci(lambda a: float(a.mean()), x, n_rounds=20, rng=rng)
        hit += res.ci_low <= 0.0 <= res.ci_high
        widths.append(res.ci_high - res.ci_low)
    assert 0.90 <= hit / reps <= 0.99
    assert np.mean(widths) / (2 * 1.96 / math.sqrt(n)) == pytest.approx(1.0, abs=0.2)


def test_subsample_interval_with_a_dict_statistic_bounds_and_undefined_draws():
    x = np.random.default_rng(0).uniform(size=(300, 2))
    res = subsample_ci(lambda a: {"a": float(a[:, 0].mean()), "b": float(a[:, 1].min())}, x, n_rounds=5, rng=0,
                       bounds=(0.0, 1.0))
    for key in ("a", "b"):
        r = res[key]
        assert r.details["m"] == 150 and r.method == "subsample-se(m=150)"
        assert 0.0 <= r.ci_low <= r.value <= r.ci_high <= 1.0
        assert len(r.details["draws"]) == 5 and r.stderr > 0
    # the minimum of uniforms is near 0: the symmetric interval is clipped at the bound
    assert res["b"].ci_low == 0.0
    nan = subsample_ci(lambda a: float("nan"), x, n_rounds=3, rng=0, estimate=0.5)
    assert math.isnan(nan.ci_low) and math.isnan(nan.ci_high)
    with pytest.raises(InputValidationError, match="bounds"):
        subsample_ci(lambda a: 0.0, x, bounds=(1.0, 0.0), rng=0)


def test_interval_excludes():
    assert interval_excludes(2.586, 3.272, 3.386) and interval_excludes(1.0, -1.0, 0.5)
    assert not interval_excludes(1.0, 1.0, 1.0) and not interval_excludes(1.0, 1.0 + 1e-12, 2.0)  # rounding
    assert not interval_excludes(None, 0.0, 1.0) and not interval_excludes(1.0, float("nan"), float("nan"))
    assert not interval_excludes(5.0, None, None)


# ------------------------------------------------------------------------------------------ the runner's guard
class FixedInterval(Task):
    """Reports 2.586 with whatever interval and note the class attributes say."""

    family = "dimension"
    scores = (ScoreSpec("d", "none"),)
    primary = "d"
    interval = (3.272, 3.386)
    note: str | None = None

    def run(self, adapter, data, ctx):
        return TaskOutput({"d": Score(2.586, *self.interval, "made-up", n=10, ci_note=self.note)})


def test_runner_records_an_interval_that_excludes_its_estimate(tiny_ae):
    res = latentbench.evaluate(tiny_ae(), tasks=[FixedInterval(name="fixed")], device="cpu")
    (row,) = res.rows
    assert row["status"] == "ok" and row["value"] == 2.586
    assert "excludes the estimate 2.586" in row["message"] and "[3.272, 3.386] (made-up)" in row["message"]


def test_runner_stores_the_tasks_reason_for_such_an_interval(tiny_ae):
    class Noted(FixedInterval):
        note = "the interval is for the bias-corrected dimension"

    (row,) = latentbench.evaluate(tiny_ae(), tasks=[Noted(name="noted")], device="cpu").rows
    assert row["message"] == Noted.note


def test_runner_adds_no_message_to_an_interval_that_contains_its_estimate(tiny_ae):
    class Fine(FixedInterval):
        interval = (2.5, 2.7)

    (row,) = latentbench.evaluate(tiny_ae(), tasks=[Fine(name="fine")], device="cpu").rows
    assert row["message"] is None


# ------------------------------------------------------------------------------------------ every registered task
#: Caps on size parameters so that every task runs in about a second; a cap applies to a task only
#: where the task class has that parameter (never a list of tasks).
CHEAP_PARAMS = {"max_samples": 400, "mi_max_samples": 400, "max_train": 600, "max_test": 400, "max_aux": 400,
                "max_members": 200, "mlp_steps": 30, "mlp_hidden": 16, "elbo_samples": 2, "ci_rounds": 10,
                "corrdim_max_samples": 400, "n_landmarks": 40, "n_draws": 3, "n_train": 300, "n_eval": 150,
                "n_variance": 1000, "n_samples": 500, "max_rows": 300, "n_pairs": 2000}
#: Rows of generated datasets (only where the spec sets the dataset's ``n``).
CHEAP_N = 2000


def cheap(task: Task) -> Task:
    """The same task class, dataset and parameters, with size parameters capped."""
    cls, params = type(task), dict(task.params)
    for key, cap in CHEAP_PARAMS.items():
        if key not in cls.defaults:
            continue
        now = params.get(key, cls.defaults[key])
        if isinstance(now, list) and all(isinstance(v, int) for v in now):
            params[key] = [min(v, cap) for v in now][:1]  # hidden layer widths
        elif isinstance(now, (int, float)) and not isinstance(now, bool):
            params[key] = type(now)(min(now, cap))
    dataset_params = dict(task.dataset_params)
    if "n" in dataset_params:
        dataset_params["n"] = min(dataset_params["n"], CHEAP_N)
    return cls(name=task.name, dataset=task.dataset, dataset_params=dataset_params, version=task.version, params=params)


def models_for(task: Task, vae: type) -> dict[str, object]:
    """A random projection and a tiny VAE (every capability), plus a whitening PCA and the identity on
    inputs of at most 64 features (fitting the PCA of 4,096-pixel images takes seconds)."""
    features = int(np.prod(load_dataset(task.dataset, **task.dataset_params).obs_shape))
    models = {"null:random": make_baseline("null:random"), "tiny-vae": vae(n_features=features, latent_dim=3)}
    if features <= 64:
        models.update({"null:pca-whiten": make_baseline("null:pca-whiten"), "null:identity": make_baseline("null:identity")})
    return models


def run_and_check(task_names: list[str], monkeypatch, vae: type) -> dict[str, int]:
    """Run the tasks (one run per dataset, so its models are fitted once); every row with an interval
    contains its value, or the task said why (its ``ci_note``, which the row's message carries).

    Returns the number of rows with an interval per task class.
    """
    notes: dict[tuple, str | None] = {}
    score_rows = Evaluator._score_rows

    def spy(self, base, task, output, seconds, caught):
        rows = score_rows(self, base, task, output, seconds, caught)
        for r in rows:
            notes[(r["task"], r["model"], r["metric"], r["seed"])] = output.scores[r["metric"]].ci_note
        return rows

    monkeypatch.setattr(Evaluator, "_score_rows", spy)
    by_data: dict[str, list[Task]] = {}
    for name in task_names:
        task = cheap(get_task(name))
        by_data.setdefault(f"{task.dataset} {sorted(task.dataset_params.items())}", []).append(task)
    with_interval: dict[str, int] = {}
    for tasks in by_data.values():
        res = latentbench.evaluate(models_for(tasks[0], vae), tasks=tasks, n_bootstrap=200, device="cpu")
        classes = {t.name: type(t).registered_as for t in tasks}
        for r in res.rows:
            if r["status"] != "ok" or r["value"] is None or r["ci_low"] is None or r["ci_high"] is None:
                continue
            if not (math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"])):
                continue
            with_interval[classes[r["task"]]] = with_interval.get(classes[r["task"]], 0) + 1
            if interval_excludes(r["value"], r["ci_low"], r["ci_high"]):
                note = notes[(r["task"], r["model"], r["metric"], r["seed"])]
                where = f"{r['model']} {r['task']} {r['metric']} = {r['value']} [{r['ci_low']}, {r['ci_high']}] ({r['ci_method']})"
                assert note, f"the interval excludes the estimate without a reason: {where}"
                assert note in r["message"], where
    return with_interval


def one_spec_per_class() -> list[str]:
    """For every task class with a registered task, its first registered task."""
    first: dict[str, str] = {}
    for name in list_tasks():
        first.setdefault(get_task(name).registered_as, name)
    return sorted(first.values())


def test_every_task_class_reports_intervals_that_contain_the_estimate(monkeypatch, tiny_vae):
    names = one_spec_per_class()
    with_interval = run_and_check(names, monkeypatch, tiny_vae)
    # the test looks at something: the kNN dimensions, MIG and the bootstrap families among them
    assert {"intrinsic-dimension", "mig", "reconstruction", "fairness"} <= set(with_interval), with_interval


def test_intrinsic_dimension_intervals_on_several_datasets(monkeypatch, tiny_vae):
    # the kNN estimators shift most with the sample size: every registered dataset of the task
    names = [n for n in list_tasks() if get_task(n).registered_as == "intrinsic-dimension"]
    assert len(names) >= 2
    assert run_and_check(names, monkeypatch, tiny_vae)["intrinsic-dimension"] >= 3 * len(names)


@pytest.mark.slow
def test_every_registered_task_reports_intervals_that_contain_the_estimate(monkeypatch, tiny_vae):
    run_and_check(list_tasks(), monkeypatch, tiny_vae)
