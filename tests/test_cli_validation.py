"""Every parameter is checked where it enters: a command-line flag by its argparse type, an API
argument before any model is loaded; bad values give one line naming the flag or argument, showing
the value and saying what is allowed, and exit status 2."""

from __future__ import annotations

import numpy as np
import pytest

from latentbench.cli import main
from latentbench.exceptions import InputValidationError


def _cli(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


RUN = ["run", "ref:pca", "--tasks", "reconstruction/digits", "--no-baselines", "--quiet"]


@pytest.mark.parametrize("extra, message", [
    (["--seed", "-1"], r"argument --seed/--seeds: must be an integer in \[0, 2\*\*32\), got '-1'"),
    (["--seed", "0", "2**70"], r"argument --seed/--seeds: must be an integer in \[0, 2\*\*32\), got '2\*\*70'"),
    (["--seed", str(2**32)], r"argument --seed/--seeds: must be an integer in \[0, 2\*\*32\), got '4294967296'"),
    (["--bootstrap-iters", "0"], r"argument --bootstrap-iters/--bootstrap: must be an integer in \[1, 10000\], got '0'"),
    (["--bootstrap-iters", "-5"], r"argument --bootstrap-iters/--bootstrap: must be an integer in \[1, 10000\], got '-5'"),
    (["--bootstrap-iters", "1e9"], r"argument --bootstrap-iters/--bootstrap: must be an integer in \[1, 10000\], got '1e9'"),
    (["--time-limit", "-1"], r"argument --time-limit: must be a finite number of seconds > 0, got '-1'"),
    (["--time-limit", "nan"], r"argument --time-limit: must be a finite number of seconds > 0, got 'nan'"),
    (["--time-limit", "inf"], r"argument --time-limit: must be a finite number of seconds > 0, got 'inf'"),
    (["--out", "{tmp}/afile"], r"argument -o/--output/--out: '.*afile' is a file; pass a folder"),
])
def test_run_flags(tmp_path, capsys, extra, message):
    (tmp_path / "afile").write_text("keep me")
    code = _cli([*RUN, "--store", str(tmp_path / "r.db"), *[e.format(tmp=tmp_path) for e in extra]])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err], err
    assert err.startswith("latentbench: error: ") and "latentbench run --help" in err, err
    import re

    assert re.search(message, err), err
    assert not (tmp_path / "r.db").exists()  # refused before any work
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize("argv, message", [
    (["report", "--store", "{db}", "--out", "{tmp}/rep", "--alpha", "2"], r"argument --alpha: must be a number in \(0, 1\)"),
    (["report", "--store", "{db}", "--out", "{tmp}/rep", "--alpha", "nan"], r"argument --alpha: must be a number in \(0, 1\)"),
    (["report", "--store", "{db}", "--out", "{tmp}/rep", "--alpha", "0"], r"argument --alpha"),
    (["report", "--store", "{db}", "--out", "{tmp}/rep", "--bootstrap-iters", "-1"], r"argument --bootstrap-iters/--resamples: must be an integer in \[1, 100000\], got '-1'"),
    (["report", "--store", "{db}", "--out", "{tmp}/afile"], r"argument -o/--output/--out: '.*afile' is a file"),
    (["compare", "ref:pca", "--store", "{db}", "--alpha", "1"], r"argument --alpha"),
    (["compare", "ref:pca", "--store", "{db}", "--bootstrap-iters", "0"], r"argument --bootstrap-iters/--resamples"),
    (["audit", "ref:pca", "--store", "{db}", "--bootstrap-iters", "0"], r"argument --bootstrap-iters/--bootstrap: must be an integer in \[1, 10000\]"),
    (["audit", "ref:pca", "--store", "{db}", "--seed", "-1"], r"argument --seed: must be an integer in \[0, 2\*\*32\)"),
    (["train", "pca", "--seed", "-1"], r"argument --seed/--seeds: must be an integer in \[0, 2\*\*32\), got '-1'"),
    (["list", "widgets"], r"invalid choice"),
])
def test_other_commands_flags(tmp_path, capsys, argv, message):
    from latentbench.store import ResultStore

    db = tmp_path / "r.db"
    ResultStore(db).close()
    (tmp_path / "afile").write_text("keep me")
    code = _cli([a.format(db=db, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err.strip()
    import re

    assert code == 2 and err.splitlines() == [err] and err.startswith("latentbench: error: ") and re.search(message, err), err
    assert not (tmp_path / "rep").exists() and (tmp_path / "afile").read_text() == "keep me"
    from latentbench.models.zoo import checkpoint_dir

    assert not checkpoint_dir().exists()  # train --seeds -1 trained nothing


def test_good_flags_still_run(tmp_path, capsys):
    assert main([*RUN, "--store", str(tmp_path / "r.db"), "--seed", "0", str(2**32 - 1), "--bootstrap-iters", "10",
                 "--time-limit", "600", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "leaderboard.md").exists()


# ------------------------------------------------------------------------------------------ the Python API
@pytest.mark.parametrize("kwargs, message", [
    ({"seeds": [-1]}, r"'seeds' must be an integer in \[0, 2\*\*32\), got -1"),
    ({"seeds": [2**70]}, r"'seeds' must be an integer in \[0, 2\*\*32\)"),
    ({"seeds": [0.5]}, r"'seeds' must be an integer"),
    ({"seeds": [True]}, r"'seeds' must be an integer"),
    ({"n_bootstrap": 0}, r"'n_bootstrap' must be an integer in \[1, 10000\] \(bootstrap resamples of an interval\), got 0"),
    ({"n_bootstrap": -5}, r"'n_bootstrap' must be an integer in \[1, 10000\]"),
])
def test_evaluate_checks_its_arguments_before_loading_the_model(kwargs, message, monkeypatch):
    import latentbench
    from latentbench.models import loader

    monkeypatch.setattr(loader, "load_model", lambda *a, **k: pytest.fail("the model was loaded before the arguments were checked"))
    with pytest.raises(InputValidationError, match=message):
        latentbench.evaluate("ref:pca", tasks="reconstruction/digits", **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"seeds": [-1]}, r"'seeds' must be an integer in \[0, 2\*\*32\)"),
    ({"n_bootstrap": 0}, r"'n_bootstrap' must be an integer in \[1, 10000\]"),
    ({"time_limit": -1}, r"'time_limit' must be a finite number of seconds > 0 \(or None for no limit\), got -1"),
    ({"time_limit": float("nan")}, r"'time_limit' must be a finite number"),
])
def test_evaluator_checks_its_arguments(kwargs, message):
    from latentbench.runner import Evaluator
    from latentbench.tasks.registry import resolve_tasks

    with pytest.raises(InputValidationError, match=message):
        Evaluator(resolve_tasks("reconstruction/digits"), **kwargs)


@pytest.mark.parametrize("kwargs, message", [({"seed": -1}, r"'seed' must be an integer in \[0, 2\*\*32\), got -1"),
                                             ({"n_bootstrap": 0}, r"'n_bootstrap' must be an integer in \[1, 10000\]")])
def test_audit_checks_its_arguments(kwargs, message, monkeypatch):
    from latentbench import audit as audit_mod
    from latentbench.models import loader

    monkeypatch.setattr(loader, "load_model", lambda *a, **k: pytest.fail("the model was loaded before the arguments were checked"))
    with pytest.raises(InputValidationError, match=message):
        audit_mod.audit("ref:pca", **kwargs)


def test_bootstrap_of_one_resample_runs(tmp_path):
    import latentbench

    res = latentbench.evaluate("ref:pca", tasks="reconstruction/digits", n_bootstrap=1, store=str(tmp_path / "r.db"))
    assert np.isfinite(res.to_dataframe().query("metric == 'mse'")["value"]).all()
