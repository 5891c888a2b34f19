"""Task specs: field types, a safe name, and every task parameter checked against its default's type
and its documented range when the spec is loaded, not when the task runs."""

from __future__ import annotations

import textwrap

import pytest

from latentbench.cli import main
from latentbench.exceptions import SpecError
from latentbench.specs import add_spec_dir
from latentbench.tasks.base import parse_range
from latentbench.tasks.collapse import PosteriorCollapse
from latentbench.tasks.geometry import IntrinsicDimension
from latentbench.tasks.registry import get_task, list_tasks, resolve_tasks


def _spec(tmp_path, body: str) -> str:
    folder = tmp_path / "specs" / "tasks"
    folder.mkdir(parents=True)
    (folder / "x.toml").write_text(textwrap.dedent(body))
    return str(tmp_path / "specs")


BASE = {"name": 'name = "x/digits"', "task": 'task = "intrinsic-dimension"', "version": "version = 1",
        "dataset": 'dataset = "digits"'}


@pytest.mark.parametrize("key, line, message", [
    ("version", 'version = "one"', r"version must be a positive integer .*got 'one'"),
    ("version", "version = 0", r"version must be a positive integer"),
    ("version", "version = true", r"version must be a positive integer"),
    ("params", "params = 5", r"params must be a table \(\[params\] with key = value lines\), got 5"),
    ("name", "name = 42", r"name must be a string, got 42"),
    ("name", 'name = "../../x"', r"task name '\.\./\.\./x' is not a safe name"),
    ("dataset", "dataset = 7", r"dataset must be a string, got 7"),
    ("task", "task = [1]", r"task must be a string"),
])
def test_task_spec_field_types(tmp_path, capsys, key, line, message):
    fields = {**BASE, key: line}
    specs = _spec(tmp_path, "\n".join(fields.values()) + "\n")
    add_spec_dir(specs)
    with pytest.raises(SpecError, match=message):
        list_tasks()
    assert main(["list", "tasks", "--specs", specs, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and err.startswith("latentbench: error: ") and "x.toml" in err, err


@pytest.mark.parametrize("params, message", [
    ('k = "twenty"', r"parameter 'k' must be an integer in \[2, 1000\], got 'twenty'"),
    ("k = -3", r"parameter 'k' must be an integer in \[2, 1000\], got -3"),
    ("k = 2.5", r"parameter 'k' must be an integer"),
    ("k = true", r"parameter 'k' must be an integer"),
    ("max_samples = 200000", r"parameter 'max_samples' must be an integer in \[3, 50000\], got 200000"),
    ("corrdim_max_samples = 20000", r"parameter 'corrdim_max_samples' must be an integer in \[3, 10000\]"),
])
def test_task_params_are_checked_when_the_spec_loads(tmp_path, capsys, params, message):
    specs = _spec(tmp_path, "\n".join(BASE.values()) + f"\n[params]\n{params}\n")
    add_spec_dir(specs)
    with pytest.raises(SpecError, match=r"x\.toml: task 'x/digits': " + message):
        get_task("x/digits")
    # the command fails before any work, in one line (before: the job failed at run time)
    code = main(["run", "ref:pca", "--tasks", "x/digits", "--no-baselines", "--quiet", "--specs", specs,
                 "--store", str(tmp_path / "r.db")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err] and "must be" in err, err
    assert not (tmp_path / "r.db").exists()


@pytest.mark.parametrize("cls, params, message", [
    (PosteriorCollapse, {"mi_max_samples": 200_000}, r"'mi_max_samples' must be an integer in \[2, 50000\], got 200000"),
    (PosteriorCollapse, {"au_threshold": "low"}, r"'au_threshold' must be a number in \[0, inf\), got 'low'"),
    (PosteriorCollapse, {"au_threshold": float("nan")}, r"'au_threshold' must be a number"),
    (IntrinsicDimension, {"ci_rounds": 1}, r"'ci_rounds' must be an integer in \[2, 1000\], got 1"),
])
def test_task_params_from_python(cls, params, message):
    with pytest.raises(SpecError, match=message):
        cls(name="t", params=params)


def test_choices_lists_and_none_defaults():
    from latentbench.tasks.disentanglement import DCI
    from latentbench.tasks.privacy import PrivacyAudit
    from latentbench.tasks.reconstruction import Reconstruction

    with pytest.raises(SpecError, match=r"'predictor' must be one of \['gbt', 'lasso'\], got 'forest'"):
        DCI(params={"predictor": "forest"})
    with pytest.raises(SpecError, match=r"items of parameter 'attackers' must be one of \['ridge', 'mlp'\], got \['ridge', 'svm'\] \(the item 'svm'\)"):
        PrivacyAudit(params={"attackers": ["ridge", "svm"]})
    with pytest.raises(SpecError, match=r"parameter 'attackers' must be a list, got 'ridge'"):
        PrivacyAudit(params={"attackers": "ridge"})
    with pytest.raises(SpecError, match=r"items of parameter 'ridge_alphas' must be a number in \(0, inf\)"):
        PrivacyAudit(params={"ridge_alphas": [1.0, -1.0]})
    with pytest.raises(SpecError, match=r"'data_range' must be a number in \(0, inf\), got 0"):
        Reconstruction(params={"data_range": 0})
    assert Reconstruction(params={"data_range": 255}).params["data_range"] == 255
    assert Reconstruction(params={"data_range": None}).params["data_range"] is None  # its default, passed explicitly
    assert DCI(params={"lasso_c": 2}).params["lasso_c"] == 2  # an int where the default is a float


def test_version_and_params_from_python():
    with pytest.raises(SpecError, match=r"'version' must be a positive integer, got 'one'"):
        PosteriorCollapse(version="one")
    with pytest.raises(SpecError, match=r"'params' must be a table of parameter = value, got 5"):
        PosteriorCollapse(params=5)


def test_every_shipped_spec_and_suite_still_loads():
    assert len(resolve_tasks(suite="standard")) >= 20
    for name in list_tasks():
        t = get_task(name)
        for key, rng in t.param_ranges.items():
            assert key in t.defaults, (name, key)
            parse_range(rng)


def test_parse_range():
    assert parse_range("[1, 50000]") == (1.0, False, 50000.0, False)
    assert parse_range("(0, inf)") == (0.0, True, float("inf"), True)
    with pytest.raises(SpecError, match="interval"):
        parse_range("1..5")


def test_suite_fields(tmp_path):
    folder = tmp_path / "specs" / "tasks" / "suites"
    folder.mkdir(parents=True)
    (folder / "s.toml").write_text('name = "s"\ntasks = "reconstruction/digits"\n')
    add_spec_dir(str(tmp_path / "specs"))
    with pytest.raises(SpecError, match=r"a suite's tasks must be a list of task names"):
        list_tasks()
