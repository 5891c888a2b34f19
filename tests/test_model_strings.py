"""Model strings: ``package.module:factory`` is only ever called as a zero-argument factory, its result
is fed data only when it is a model, and the standard library is refused by name before any import;
``ref:NAME@SEED`` seeds are integers in [0, 2**32)."""

from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pytest

from latentbench.cli import main
from latentbench.exceptions import SpecError
from latentbench.models.loader import expand_model_names, load_model


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "lb_user_models.py").write_text(textwrap.dedent("""
        import os
        import numpy as np

        system = os.system
        CALLS = []

        def make_system():
            CALLS.append("make_system")
            return os.system

        def make_number():
            return 42

        def make_function():
            return lambda x: np.asarray(x).reshape(len(x), -1)[:, :3]

        def needs_an_argument(x):
            CALLS.append(x)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("lb_user_models")
    sys.modules.pop("lb_user_models", None)


@pytest.mark.parametrize("spec", ["builtins:exec", "os:system", "subprocess:run", "importlib:import_module", "os.path:join",
                                  "posix:system", "runpy:run_path"])
def test_standard_library_is_refused_before_anything_is_imported(spec, monkeypatch):
    def no_import(*a, **k):
        raise AssertionError(f"{spec} was imported")

    monkeypatch.setattr(importlib, "import_module", no_import)
    with pytest.raises(SpecError, match=r"is part of Python's standard library, not a model; a model string names your own factory"):
        load_model(spec)


@pytest.mark.parametrize("spec", ["lb_user_models:", "lb user:x", "lb_user_models:make-thing", ":exec"])
def test_malformed_factory_strings(spec):
    with pytest.raises(SpecError, match=r"expected package\.module:factory"):
        load_model(spec)


def test_a_builtin_reached_through_a_user_module_is_never_called_or_fed_data(user_module):
    with pytest.raises(SpecError, match=r"names 'system' from Python's standard library"):
        load_model("lb_user_models:system")
    with pytest.raises(SpecError, match=r"returned 'system' from Python's standard library"):
        load_model("lb_user_models:make_system")
    assert user_module.CALLS == ["make_system"]  # the factory ran (zero arguments); its result was refused


def test_a_factory_must_return_a_model(user_module):
    with pytest.raises(SpecError, match=r"gave a int, not a model: the factory must return a torch module"):
        load_model("lb_user_models:make_number")
    f = load_model("lb_user_models:make_function")
    assert f(np.ones((2, 8))).shape == (2, 3)


def test_a_factory_is_called_with_no_arguments(user_module):
    from latentbench.exceptions import AdapterError

    with pytest.raises(AdapterError, match=r"factory 'lb_user_models:needs_an_argument' raised: TypeError"):
        load_model("lb_user_models:needs_an_argument")
    assert user_module.CALLS == []


@pytest.mark.parametrize("seed", ["x", "-1", "1.5", str(2**32), str(2**70), "²"])
def test_reference_training_seeds(seed):
    with pytest.raises(SpecError, match=r"training seeds after '@' must be integers in \[0, 2\*\*32\)"):
        load_model(f"ref:pca@{seed}")
    with pytest.raises(SpecError, match=r"training seeds after '@'"):
        expand_model_names([f"ref:pca@0,{seed}"])
    assert expand_model_names([f"ref:pca@0,{2**32 - 1}"]) == ["ref:pca@0", f"ref:pca@{2**32 - 1}"]


@pytest.mark.parametrize("argv", [["check", "ref:pca@x"], ["check", "ref:pca@-1"], ["check", "builtins:exec"]])
def test_cli_model_strings_fail_in_one_line(argv, capsys):
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and err.startswith("latentbench: error: model "), err


def test_cli_run_builtins_exec_on_a_crafted_dataset(tmp_path, capsys):
    crafted = tmp_path / "crafted.npz"  # a valid dataset whose bytes spell code
    np.savez(crafted, x=np.frombuffer(b"import os; os.system('touch pwned')" * 8, dtype=np.uint8).reshape(8, -1))
    code = main(["run", "builtins:exec", "--dataset", str(crafted), "--tasks", "reconstruction/digits", "--no-baselines",
                 "--quiet", "--store", str(tmp_path / "r.db")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "standard library" in err and err.splitlines() == [err], err
    assert not (tmp_path / "pwned").exists()
