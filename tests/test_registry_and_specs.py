"""Tests of the registries and the declarative specs: task specs and suites, unknown and duplicate
names, user spec folders and user task classes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import latentbench
from latentbench.adapters import Capability
from latentbench.data import DATASETS, list_datasets, load_dataset, register_dataset
from latentbench.exceptions import DuplicateNameError, SpecError, UnknownNameError
from latentbench.registry import Registry, import_target
from latentbench.specs import add_spec_dir, builtin_spec_root, spec_roots
from latentbench.tasks.base import FAMILIES, Score, ScoreSpec, Task, TaskOutput
from latentbench.tasks.registry import (
    TASK_CLASSES, get_suite, get_task, list_suites, list_tasks, register_task, resolve_tasks,
)

BUILTIN_TASKS = [
    "collapse/digits", "collapse/digits-binary", "collapse/shapes",
    "likelihood/digits", "likelihood/digits-binary", "likelihood/shapes",
    "reconstruction/digits", "reconstruction/digits-binary", "reconstruction/shapes",
]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


# ------------------------------------------------------------------------------------------ built-in specs
def test_builtin_tasks_are_listed():
    assert set(BUILTIN_TASKS) <= set(list_tasks())
    assert list_tasks() == sorted(list_tasks())
    assert (builtin_spec_root() / "tasks").is_dir() and (builtin_spec_root() / "reference_models").is_dir()


@pytest.mark.parametrize("name", list_tasks())
def test_every_task_spec_loads_and_its_class_validates(name):
    task = get_task(name)
    cls = type(task)
    cls.validate_class()
    assert task.name == name
    assert task.family in FAMILIES
    assert task.dataset in list_datasets()
    assert task.version >= 1
    assert task.primary in task.score_specs
    assert task.description  # a summary from the spec or the class
    assert Capability.ENCODE in task.needs
    assert set(task.params) == set(cls.defaults)  # every parameter has a default; none unknown
    for spec in task.scores:
        assert spec.direction in ("higher", "lower", "none")
    assert task.primary_spec.direction in ("higher", "lower", "none")
    # the estimator dict is what goes into the result key: it must carry the parameters
    est = task.estimator(latentbench.adapt(np.zeros((3, 2))))
    assert est["params"] == task.params and est["class"] == cls.__name__


def test_spec_parameters_reach_the_task():
    t = get_task("likelihood/digits")
    assert t.params["k"] == 64 and t.params["max_samples"] == 2000
    assert t.summary != t.description  # the spec's summary wins over the class's


def test_every_suites_tasks_exist():
    suites = {s.name: s for s in list_suites()}
    assert {"quick", "standard"} <= set(suites)
    for s in suites.values():
        assert s.tasks, s.name
        for t in s.tasks:
            assert t in list_tasks(), (s.name, t)
    quick = get_suite("quick").tasks
    assert {"reconstruction/digits", "likelihood/digits", "collapse/digits"} <= set(quick)
    assert len(set(quick)) == len(quick)  # no task twice
    assert set(get_suite("standard").tasks) <= set(list_tasks())


def test_resolve_tasks_from_suite_and_names_deduplicates():
    quick = list(get_suite("quick").tasks)
    names = [t.name for t in resolve_tasks("reconstruction/digits,collapse/digits", suite="quick")]
    assert names == quick  # both are in the suite already: not repeated
    names = [t.name for t in resolve_tasks(["likelihood/digits", "reconstruction/digits", "likelihood/digits"])]
    assert names == ["likelihood/digits", "reconstruction/digits"]
    assert [t.name for t in resolve_tasks(["quick"])] == list(get_suite("quick").tasks)  # a suite name among tasks
    with pytest.raises(SpecError, match="no tasks given"):
        resolve_tasks(None)


# ------------------------------------------------------------------------------------------ unknown names
def _assert_suggests(exc_info, suggestion):
    msg = str(exc_info.value)
    assert f"Did you mean {suggestion!r}" in msg, msg
    assert "\n" not in msg
    assert "Available:" in msg


def test_unknown_task_suggests():
    with pytest.raises(UnknownNameError) as info:
        get_task("reconstruction/digit")
    _assert_suggests(info, "reconstruction/digits")
    assert isinstance(info.value, KeyError) and info.value.name == "reconstruction/digit"


def test_unknown_task_in_resolve_reports_all_unknown_names():
    with pytest.raises(UnknownNameError) as info:
        resolve_tasks(["reconstruction/digit", "colapse/digits"])
    _assert_suggests(info, "reconstruction/digits")
    assert "Also unknown: colapse/digits" in str(info.value)


def test_unknown_suite_suggests():
    with pytest.raises(UnknownNameError) as info:
        get_suite("quik")
    _assert_suggests(info, "quick")


def test_unknown_dataset_suggests():
    with pytest.raises(UnknownNameError) as info:
        load_dataset("digts")
    _assert_suggests(info, "digits")
    assert ".npz" in str(info.value)  # the hint says a file path works too


def test_unknown_reference_model_suggests():
    from latentbench.models.loader import load_model
    from latentbench.models.zoo import get_reference_spec

    with pytest.raises(UnknownNameError) as info:
        get_reference_spec("vea")
    _assert_suggests(info, "vae")
    with pytest.raises(UnknownNameError) as info:
        load_model("ref:pcaa")
    _assert_suggests(info, "pca")


def test_unknown_baseline_suggests():
    from latentbench.models.baselines import make_baseline

    with pytest.raises(UnknownNameError) as info:
        make_baseline("null:randm")
    _assert_suggests(info, "null:random")


def test_unknown_task_class_suggests():
    with pytest.raises(UnknownNameError) as info:
        TASK_CLASSES.get("reconstuction")
    _assert_suggests(info, "reconstruction")


def test_unknown_name_without_close_match_lists_what_exists():
    with pytest.raises(UnknownNameError) as info:
        get_suite("zzzzzz")
    msg = str(info.value)
    assert "Did you mean" not in msg
    assert "quick" in msg and "standard" in msg


def test_bad_import_target():
    with pytest.raises(SpecError, match="no attribute"):
        import_target("latentbench.data:nope")
    with pytest.raises(SpecError, match="cannot import module"):
        import_target("latentbench_nonexistent_mod:x")
    with pytest.raises(SpecError, match="expected 'package.module:attribute'"):
        import_target("nodots")


# ------------------------------------------------------------------------------------------ duplicates
def test_duplicate_name_in_a_registry():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(DuplicateNameError, match="thing 'a' is already registered"):
        reg.add("a", 2)
    assert reg.get("a") == 1
    reg.add("a", 2, replace=True)
    assert reg.get("a") == 2


def test_duplicate_task_class_name():
    with pytest.raises(DuplicateNameError, match="'reconstruction' is already registered"):
        TASK_CLASSES.add("reconstruction", "latentbench.tasks.collapse:PosteriorCollapse")


def test_duplicate_dataset_name():
    with pytest.raises(DuplicateNameError, match="dataset 'digits'"):
        register_dataset("digits", lambda: None)


def test_duplicate_task_spec_name_in_a_user_folder(tmp_path):
    write(tmp_path / "tasks" / "mine" / "dup.toml", """
        name = "reconstruction/digits"
        task = "reconstruction"
        version = 1
        dataset = "digits"
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(DuplicateNameError, match="'reconstruction/digits' is defined twice"):
        list_tasks()


def test_duplicate_suite_name_in_a_user_folder(tmp_path):
    write(tmp_path / "tasks" / "suites" / "quick.toml", """
        name = "quick"
        tasks = ["reconstruction/digits"]
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(DuplicateNameError, match="suite 'quick' is defined twice"):
        list_suites()


# ------------------------------------------------------------------------------------------ malformed specs
def test_unknown_parameter_in_a_task_spec(tmp_path):
    path = write(tmp_path / "tasks" / "likelihood" / "typo.toml", """
        name = "likelihood/typo"
        task = "likelihood"
        version = 1
        dataset = "digits"
        [params]
        kk = 8
    """)
    add_spec_dir(tmp_path)
    assert "likelihood/typo" in list_tasks()
    with pytest.raises(SpecError) as info:
        get_task("likelihood/typo")
    msg = str(info.value)
    assert "unknown parameter 'kk'" in msg
    assert "Did you mean 'k'?" in msg
    assert str(path) in msg  # names the file
    assert "\n" not in msg


def test_unknown_parameter_of_a_task_class():
    from latentbench.tasks.reconstruction import Reconstruction

    with pytest.raises(SpecError, match=r"unknown parameter 'max_sample'.*Did you mean 'max_samples'"):
        Reconstruction(params={"max_sample": 10})


def test_spec_declares_scores_descriptive_for_its_task_only(tmp_path):
    write(tmp_path / "tasks" / "mine.toml", """
        name = "reconstruction/unranked-psnr"
        task = "reconstruction"
        version = 2
        dataset = "digits"
        [descriptive]
        psnr = "the data range is not known on this dataset"
    """)
    add_spec_dir(tmp_path)
    task = get_task("reconstruction/unranked-psnr")
    assert task.descriptive == {"psnr": "the data range is not known on this dataset"}
    assert task.score_specs["psnr"].direction == "none"
    assert "descriptive here: the data range is not known" in task.score_specs["psnr"].description
    assert task.score_specs["mse"].direction == "lower"  # the others keep their direction
    # the class and the other registered tasks of the class are untouched
    assert {s.name: s.direction for s in type(task).scores}["psnr"] == "higher"
    assert get_task("reconstruction/digits").score_specs["psnr"].direction == "higher"
    from latentbench.cli import _tasks_markdown

    md = _tasks_markdown([task])
    assert "| psnr | none |" in md and "descriptive on this task (shown, never ranked): psnr" in md


def test_spec_descriptive_rows_are_stored_without_a_direction(tmp_path):
    write(tmp_path / "tasks" / "mine.toml", """
        name = "reconstruction/unranked"
        task = "reconstruction"
        version = 2
        dataset = "digits"
        [params]
        max_samples = 50
        [descriptive]
        mse = "a test of the spec key"
    """)
    add_spec_dir(tmp_path)
    from sklearn.decomposition import PCA

    x = load_dataset("digits").get_x(flat=True)
    res = latentbench.evaluate(PCA(4).fit(x), tasks="reconstruction/unranked", n_bootstrap=20)
    row = next(r for r in res.rows if r["metric"] == "mse")
    assert row["direction"] == "none" and row["is_primary"] == 1 and row["value"] > 0


@pytest.mark.parametrize(("table", "match"), [
    ('psnrr = "x"', r"'descriptive' names 'psnrr', not a score of Reconstruction. Did you mean 'psnr'"),
    ('psnr = ""', r"'descriptive' needs a reason for 'psnr'"),
])
def test_spec_descriptive_names_must_be_scores_with_a_reason(tmp_path, table, match):
    path = write(tmp_path / "tasks" / "bad.toml", f"""
        name = "reconstruction/bad"
        task = "reconstruction"
        version = 1
        dataset = "digits"
        [descriptive]
        {table}
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(SpecError, match=match) as info:
        get_task("reconstruction/bad")
    assert str(path) in str(info.value)


def test_spec_with_unknown_key_or_missing_key(tmp_path):
    write(tmp_path / "tasks" / "bad.toml", """
        name = "x/y"
        task = "reconstruction"
        version = 1
        dataset = "digits"
        datset_params = {}
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(SpecError, match=r"unknown keys \['datset_params'\]"):
        list_tasks()


def test_spec_missing_keys(tmp_path):
    write(tmp_path / "tasks" / "bad.toml", """
        name = "x/y"
        task = "reconstruction"
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(SpecError, match="missing version, dataset"):
        list_tasks()


def test_spec_toml_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path / "tasks" / "broken.toml", "name = \n")
    add_spec_dir(tmp_path)
    with pytest.raises(SpecError, match="broken.toml"):
        list_tasks()
    assert str(path)


def test_suite_listing_an_unknown_task(tmp_path):
    write(tmp_path / "tasks" / "suites" / "mine.toml", """
        name = "mine"
        tasks = ["reconstruction/digitz"]
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(UnknownNameError) as info:
        list_suites()
    _assert_suggests(info, "reconstruction/digits")
    assert "suite 'mine'" in str(info.value)


def test_spec_naming_an_unknown_task_class(tmp_path):
    write(tmp_path / "tasks" / "x.toml", """
        name = "x/digits"
        task = "reconstrution"
        version = 1
        dataset = "digits"
    """)
    add_spec_dir(tmp_path)
    with pytest.raises(UnknownNameError) as info:
        get_task("x/digits")
    _assert_suggests(info, "reconstruction")


def test_add_spec_dir_that_does_not_exist(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        add_spec_dir(tmp_path / "nope")


# ------------------------------------------------------------------------------------------ user specs
def test_add_spec_dir_adds_a_user_task_and_suite(tmp_path):
    write(tmp_path / "tasks" / "reconstruction" / "small.toml", """
        name = "reconstruction/digits-small"
        task = "reconstruction"
        version = 3
        dataset = "digits"
        summary = "Reconstruction on 50 test digits."
        [params]
        max_samples = 50
    """)
    write(tmp_path / "tasks" / "suites" / "mine.toml", """
        name = "mine"
        description = "my suite"
        tasks = ["reconstruction/digits-small", "collapse/digits"]
    """)
    assert "reconstruction/digits-small" not in list_tasks()
    add_spec_dir(tmp_path)
    assert spec_roots()[-1] == tmp_path.resolve()
    assert "reconstruction/digits-small" in list_tasks()
    assert set(BUILTIN_TASKS) < set(list_tasks())  # the built-ins stay
    t = get_task("reconstruction/digits-small")
    assert (t.version, t.params["max_samples"], t.description) == (3, 50, "Reconstruction on 50 test digits.")
    assert [x.name for x in resolve_tasks(suite="mine")] == ["reconstruction/digits-small", "collapse/digits"]


def test_add_spec_dir_with_task_files_directly(tmp_path):
    write(tmp_path / "flat.toml", """
        name = "collapse/flat"
        task = "collapse"
        version = 1
        dataset = "digits"
    """)
    add_spec_dir(tmp_path)
    assert "collapse/flat" in list_tasks()


def test_add_spec_dir_with_only_reference_models(tmp_path):
    from latentbench.models.zoo import list_reference_models

    write(tmp_path / "reference_models" / "pca5.toml", """
        name = "pca5"
        architecture = "ppca"
        tier = "quick"
        dataset = "digits"
        [model]
        latent_dim = 5
    """)
    builtin = set(list_tasks())
    add_spec_dir(tmp_path)
    assert "pca5" in [s.name for s in list_reference_models()]
    assert set(list_tasks()) == builtin


def test_add_spec_dir_with_reference_models_and_tasks(tmp_path):
    from latentbench.models.zoo import get_reference_spec

    write(tmp_path / "reference_models" / "pca5.toml", """
        name = "pca5"
        architecture = "ppca"
        tier = "quick"
        dataset = "digits"
        [model]
        latent_dim = 5
    """)
    write(tmp_path / "tasks" / "suites" / "empty-ish.toml", """
        name = "just-recon"
        tasks = ["reconstruction/digits"]
    """)
    builtin = set(list_tasks())
    add_spec_dir(tmp_path)
    assert get_reference_spec("pca5").model == {"latent_dim": 5}
    assert set(list_tasks()) == builtin
    assert get_suite("just-recon").tasks == ("reconstruction/digits",)


# ------------------------------------------------------------------------------------------ user task classes
class MeanNorm(Task):
    """The mean L2 norm of the codes (a toy task)."""

    family = "dimension"
    summary = "Mean L2 norm of the latent codes."
    scores = (ScoreSpec("norm", "none", "mean L2 norm", (0.0, None)), ScoreSpec("dims", "none", "latent size"))
    primary = "norm"
    defaults = {"scale": 1.0}

    def run(self, adapter, data, ctx):
        z = ctx.latents()
        norms = np.linalg.norm(z, axis=1) * self.params["scale"]
        return TaskOutput({"norm": ctx.mean_score(norms), "dims": Score.plain(z.shape[1])})


def test_register_task_validates_the_class():
    class NoScores(Task):
        family = "dimension"

    with pytest.raises(SpecError, match="declares no scores"):
        register_task(NoScores)

    class BadFamily(MeanNorm):
        family = "astrology"

    with pytest.raises(SpecError, match="family must be one of"):
        register_task(BadFamily)

    class BadPrimary(MeanNorm):
        primary = "nope"

    with pytest.raises(SpecError, match="primary 'nope' is not one of its scores"):
        register_task(BadPrimary)

    class NoEncode(MeanNorm):
        needs = frozenset({Capability.DECODE})

    with pytest.raises(SpecError, match="needs must include"):
        register_task(NoEncode)
    with pytest.raises(SpecError, match="direction must be"):
        ScoreSpec("x", "up")
    with pytest.raises(SpecError, match="expects a Task subclass"):
        register_task(int)


def test_register_task_duplicate_name():
    register_task(MeanNorm, name="meannorm-dup")
    with pytest.raises(DuplicateNameError, match="'meannorm-dup' is already registered"):
        register_task(MeanNorm, name="meannorm-dup")
    register_task(MeanNorm, name="meannorm-dup", replace=True)


def test_register_task_as_decorator_and_run_through_evaluate(tmp_path):
    @register_task(name="meannorm")
    class MyTask(MeanNorm):
        pass

    assert TASK_CLASSES.get("meannorm") is MyTask
    assert MyTask.class_name() == "meannorm"
    write(tmp_path / "tasks" / "dimension" / "norm.toml", """
        name = "norm/digits"
        task = "meannorm"
        version = 2
        dataset = "digits"
        [params]
        scale = 2.0
    """)
    add_spec_dir(tmp_path)
    W = np.random.default_rng(0).standard_normal((64, 3))
    d = load_dataset("digits")
    z = d.get_x(d.split("test"), flat=True).astype(np.float64) @ W
    expected = float(np.linalg.norm(z, axis=1).mean() * 2.0)

    res = latentbench.evaluate(lambda x: x.reshape(len(x), -1) @ W, tasks="norm/digits", name="lin", device="cpu",
                               n_bootstrap=50)
    by_metric = {r["metric"]: r for r in res}
    assert set(by_metric) == {"norm", "dims"}
    assert by_metric["norm"]["status"] == "ok" and by_metric["norm"]["task_version"] == 2
    assert by_metric["norm"]["value"] == pytest.approx(expected, rel=1e-5)
    assert by_metric["norm"]["ci_low"] < by_metric["norm"]["value"] < by_metric["norm"]["ci_high"]
    assert by_metric["dims"]["value"] == 3.0
    assert by_metric["norm"]["family"] == "dimension" and by_metric["norm"]["is_primary"] == 1
    assert res.value("norm/digits") == by_metric["norm"]["value"]


def test_task_instance_runs_through_evaluate_without_registration():
    res = latentbench.evaluate(lambda x: x.reshape(len(x), -1)[:, :4], tasks=[MeanNorm(name="adhoc", dataset="digits")],
                               device="cpu", n_bootstrap=20)
    assert res.value("adhoc", "dims") == 4.0


# ------------------------------------------------------------------------------------------ skip messages
def test_skip_reason_is_the_same_in_every_process():
    code = ("from latentbench.tasks.registry import get_task; import latentbench, numpy as np; "
            "print(get_task('likelihood/digits').skip_reason(latentbench.adapt(np.zeros((3, 2))), None))")
    procs = [subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in ("0", "1")]
    outs = set()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.add(out.strip())
    assert len(outs) == 1, outs


def test_every_task_class_runs_on_a_tiny_dataset(tiny_vae):
    """MTEB's mock_run habit: one registered task of every task class runs, end to end through the
    runner, on its dataset with small parameters and a tiny model that has every capability; each
    declared score gets a row, the job is ok, and the primary score is a number."""
    from task_cases import cheap, models_for, one_spec_per_class

    names = one_spec_per_class()
    ran = set()
    for name in names:
        task = cheap(get_task(name))
        models = models_for(task, tiny_vae)
        label = "tiny-vae" if "tiny-vae" in models else "tiny-text"  # a text model on a dataset of words
        res = latentbench.evaluate(models[label], tasks=[task], name=label, n_bootstrap=50, device="cpu")
        assert {r["status"] for r in res} == {"ok"}, (name, [r["message"] for r in res if r["status"] != "ok"][:1])
        assert {r["metric"] for r in res} == {s.name for s in task.scores}, name
        primary = next(r for r in res if r["is_primary"])
        assert primary["value"] is not None, (name, primary["message"])
        ran.add(type(task).registered_as)
    with_specs = {get_task(n).registered_as for n in list_tasks()}
    assert ran == with_specs and ran <= set(TASK_CLASSES.names())
