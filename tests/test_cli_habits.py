"""The command line and Python API fit the habits of lm-eval, MTEB and scikit-learn users (issue 21):
every flag, every exit status, the JSON readers, the generated metrics page and the README's counts."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import latentbench
from latentbench.cli import EXIT_FAILED, EXIT_NOTHING_MEASURED, EXIT_OK, EXIT_USAGE, _parser, main

ROOT = Path(__file__).resolve().parent.parent

MODELS = textwrap.dedent("""
    import numpy as np
    from sklearn.decomposition import PCA
    from latentbench.data import load_dataset

    SEEN_BATCHES = []

    class Linear:
        def __init__(self, width=4, broken_decode=False):
            d = load_dataset("digits")
            self.pca = PCA(width).fit(d.get_x(d.split("train"), flat=True))
            self.broken_decode = broken_decode

        def encode(self, x):
            SEEN_BATCHES.append(len(x))
            return self.pca.transform(x.reshape(len(x), -1))

        def decode(self, z):
            if self.broken_decode:
                raise RuntimeError("decoder exploded")
            return self.pca.inverse_transform(z)

    class EncodeOnly:
        def encode(self, x):
            return x.reshape(len(x), -1)[:, :3]

    def make(width=4, broken_decode=False):
        return Linear(width, broken_decode)

    def encode_only():
        return EncodeOnly()
""")


@pytest.fixture
def mods(tmp_path, monkeypatch):
    """A package ``lbmods`` in the current folder (not on sys.path: the command must find it there)."""
    pkg = tmp_path / "proj" / "lbmods"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(MODELS)
    monkeypatch.chdir(pkg.parent)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(pkg.parent))])
    for name in [m for m in sys.modules if m.startswith("lbmods")]:
        monkeypatch.delitem(sys.modules, name)
    return pkg


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse refusals
        return int(exc.code or 0)


def last_error(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("latentbench: error: ")]
    assert lines, err
    return lines[-1]


# ----------------------------------------------------------------------------------- entry points
def test_version_and_bare_command_print_and_exit_0(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"latentbench {latentbench.__version__}"
    assert run([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: latentbench") and "Exit status: 0 success" in out and "run" in out


def test_python_dash_m_and_a_closed_pipe(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "LATENTBENCH_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "latentbench", "--version"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"latentbench {latentbench.__version__}"
    # `latentbench list tasks | head -1`: the reader leaves early; no BrokenPipeError, no "please report it"
    proc = subprocess.Popen([sys.executable, "-m", "latentbench", "list", "tasks"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert first.startswith(b"task") and "BrokenPipe" not in err and "report it" not in err


def _options(parser: argparse.ArgumentParser, path: str = "latentbench"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_and_argument_has_help_text():
    missing = [f"{path} {'/'.join(a.option_strings) or a.dest}" for path, a in _options(_parser())
               if not a.help and a.dest != "command"]
    assert not missing, missing


# ----------------------------------------------------------------------------------------- list
@pytest.mark.parametrize("what", ["suites", "datasets", "models"])
def test_list_markdown_is_a_markdown_table(what, capsys):
    assert main(["list", what, "--markdown"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| ") and lines[1].startswith("|---|")
    assert all(ln.startswith("| ") and ln.endswith(" |") for ln in lines[:1] + lines[2:])


def test_list_suites_markdown_names_every_member(capsys):
    from latentbench.tasks.registry import list_suites

    main(["list", "suites", "--markdown"])
    out = capsys.readouterr().out
    for s in list_suites():
        assert f"| {s.name} | {len(s.tasks)} |" in out and all(f"`{t}`" in out for t in s.tasks)


@pytest.mark.parametrize("what", ["tasks", "datasets", "models"])
def test_list_descriptions_are_plain_and_cut_at_word_boundaries(what, capsys):
    main(["list", what])
    lines = capsys.readouterr().out.splitlines()
    start = lines[1].rfind(" ") + 1  # the last column starts after the last gap of the dashes
    for ln in lines[2:]:
        cell = ln[start:]
        assert ":func:" not in cell and ":class:" not in cell and "``" not in cell, ln
        assert len(cell) <= 80, ln
        if cell.endswith("…"):
            assert cell.endswith(" …"), ln  # cut between words, never inside one


# ------------------------------------------------------------------------------------ exit status
def test_exit_status_success(mods, tmp_path, capsys):
    rc = run(["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines",
              "--store", str(tmp_path / "r.db"), "--bootstrap-iters", "20", "--quiet"])
    assert rc == EXIT_OK, capsys.readouterr().err


def test_exit_status_failed_job_and_allow_failures(mods, tmp_path, capsys):
    argv = ["run", "lbmods.models:make", "--model-args", "broken_decode=true", "--tasks",
            "reconstruction/digits,neighbourhood/digits", "--no-baselines", "--store", str(tmp_path / "r.db"),
            "--bootstrap-iters", "20", "--quiet"]
    assert run(argv) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "1 job(s) failed (reconstruction/digits on lbmods.models:make(broken_decode=True)" in last_error(err)
    assert "--allow-failures" in err
    assert run([*argv, "--allow-failures"]) == EXIT_OK  # the failure is recorded (and recomputed), the status is 0
    store = latentbench.load_results(tmp_path / "r.db")
    assert {r["task"]: r["status"] for r in store if r["is_primary"]} == {"reconstruction/digits": "failed",
                                                                          "neighbourhood/digits": "ok"}


def test_exit_status_skipped_only_run_is_nothing_measured(mods, tmp_path, capsys):
    rc = run(["run", "lbmods.models:encode_only", "--tasks", "collapse/digits,reconstruction/digits", "--no-baselines",
              "--store", str(tmp_path / "r.db"), "--quiet", "--allow-failures"])
    assert rc == EXIT_NOTHING_MEASURED
    assert "nothing was measured on lbmods.models:encode_only" in last_error(capsys.readouterr().err)


def test_skips_beside_measured_results_exit_0(mods, tmp_path, capsys):
    rc = run(["run", "lbmods.models:encode_only", "--tasks", "collapse/digits,neighbourhood/digits", "--no-baselines",
              "--store", str(tmp_path / "r.db"), "--quiet"])
    assert rc == EXIT_OK, capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["run", "null:random", "--tasks", "no-such-task"],
    ["run", "null:random", "--tasks", "reconstruction/digits", "--limit", "0"],
    ["run", "null:random", "--tasks", "reconstruction/digits", "--model-args", "width"],
    ["run", "null:random", "--tasks", "reconstruction/digits", "--model-args", "width=3"],
    ["run", "null:random", "--tasks", "reconstruction/digits", "--verbosity", "loud"],
    ["run", "null:random", "--tasks", "reconstruction/digits", "--batch-size", "-2"],
    ["compare", "ref:pca", "--references", "no-such.json"],
    ["list"],
])
def test_exit_status_user_error_is_2_with_one_line(argv, tmp_path, capsys):
    rc = run([*argv, "--store", str(tmp_path / "r.db")] if argv[0] == "run" else argv)
    assert rc == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("latentbench: error: "), err
    assert "unexpected" not in err
    assert not (tmp_path / "r.db").exists()


def test_check_exit_status_and_verdict_when_the_smoke_run_ran_nothing(monkeypatch, capsys):
    import importlib

    conformance = importlib.import_module("latentbench.conformance")  # the module the command imports (another test reloads it)
    SMOKE_CHECK, CheckOutcome, CheckReport = conformance.SMOKE_CHECK, conformance.CheckOutcome, conformance.CheckReport

    report = CheckReport("m", "callable", ["encode"], "wordsim353",
                         [CheckOutcome("encode", True, ""), CheckOutcome(SMOKE_CHECK, None, "the smoke tasks read input arrays")])
    assert report.passed and report.smoke_ran is False and "all checks passed" not in report.to_text()
    monkeypatch.setattr(conformance, "check", lambda *a, **k: report)
    assert main(["check", "null:random", "--quiet"]) == EXIT_NOTHING_MEASURED
    assert capsys.readouterr().out.strip().endswith("nothing was measured")
    ok = CheckReport("m", "callable", ["encode"], "digits", [CheckOutcome(SMOKE_CHECK, True, "ran reconstruction/digits")])
    monkeypatch.setattr(conformance, "check", lambda *a, **k: ok)
    assert main(["check", "null:random", "--quiet"]) == EXIT_OK
    assert capsys.readouterr().out.strip().endswith("all checks passed")


def test_check_prints_no_progress_after_its_verdict(capsys):
    assert main(["check", "null:identity", "--device", "cpu"]) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("all checks passed")
    assert "jobs" not in captured.err  # the smoke run draws no bar (it would trail the verdict)


# ------------------------------------------------------------------------------------------ flags
def test_model_args_reach_the_factory_and_name_the_model(mods, tmp_path, capsys):
    out = tmp_path / "out"
    rc = run(["run", "lbmods.models:make", "--model-args", "width=3", "--tasks", "reconstruction/digits", "--no-baselines",
              "--store", str(tmp_path / "r.db"), "-o", str(out), "--bootstrap-iters", "20", "--quiet"])
    assert rc == EXIT_OK
    assert "lbmods.models:make(width=3)" in capsys.readouterr().out
    rows = json.loads((out / "results.json").read_text())["results"]
    assert {r["model"] for r in rows} == {"lbmods.models:make(width=3)"}
    assert (out / "leaderboard.md").is_file()  # -o is --out
    from latentbench.models.loader import load_model

    assert load_model("lbmods.models:make", model_args={"width": 5}).pca.n_components == 5


def test_model_args_for_a_model_that_is_not_a_factory_is_refused(tmp_path, capsys):
    rc = run(["run", "ref:pca", "--model-args", "width=3", "--tasks", "reconstruction/digits", "--no-baselines",
              "--store", str(tmp_path / "r.db"), "--quiet"])
    assert rc == EXIT_USAGE
    assert "apply to a package.module:factory model only" in capsys.readouterr().err


def test_batch_size_reaches_the_model(mods, tmp_path):
    rc = run(["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--batch-size", "7",
              "--store", str(tmp_path / "r.db"), "--bootstrap-iters", "20", "--quiet"])
    assert rc == EXIT_OK
    seen = sys.modules["lbmods.models"].SEEN_BATCHES
    assert seen and max(seen) == 7


def test_limit_marks_results_and_never_mixes_them_with_full_runs(mods, tmp_path, capsys):
    db = tmp_path / "r.db"
    base = ["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--store", str(db),
            "--bootstrap-iters", "20", "--quiet"]
    assert run([*base, "--limit", "50"]) == EXIT_OK
    assert "LIMITED to the first 50 rows" in capsys.readouterr().out
    limited = [r for r in latentbench.load_results(db) if r["is_primary"]]
    assert [r["task"] for r in limited] == ["reconstruction/digits[limit=50]"] and limited[0]["n"] == 50
    assert json.loads(limited[0]["params"])["limit"] == 50
    assert run(base) == EXIT_OK  # the full run is computed, not served the limited rows
    full = {r["task"]: r for r in latentbench.load_results(db) if r["is_primary"]}
    assert full["reconstruction/digits"]["n"] > 50 and full["reconstruction/digits"]["split_fp"] != limited[0]["split_fp"]


def test_limit_keeps_a_reference_model_scoreable(tmp_path, capsys):
    rc = run(["run", "ref:pca", "--tasks", "reconstruction/digits", "--no-baselines", "--limit", "40",
              "--store", str(tmp_path / "r.db"), "--bootstrap-iters", "20", "--quiet"])
    assert rc == EXIT_OK, capsys.readouterr().err  # the limited test rows are still held out from its training


def test_verbosity_and_deprecated_spellings(mods, tmp_path, capsys):
    rc = run(["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--store",
              str(tmp_path / "r.db"), "--bootstrap", "20", "--seeds", "0", "--verbosity", "error"])
    assert rc == EXIT_OK
    err = capsys.readouterr().err
    assert "--bootstrap is deprecated; use --bootstrap-iters" in err and "--seeds is deprecated; use --seed" in err
    assert "results (" not in err  # ERROR silences the messages
    rc = run(["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--store",
              str(tmp_path / "r.db"), "--bootstrap-iters", "20", "--verbosity", "INFO"])
    assert rc == EXIT_OK and " results (" in capsys.readouterr().err  # INFO: the messages
    with pytest.raises(Exception, match="no-such-task"):  # DEBUG: the traceback, as --debug
        main(["run", "null:random", "--tasks", "no-such-task", "--verbosity", "DEBUG", "--store", str(tmp_path / "x.db")])


def test_dry_run_plans_without_running_or_writing(mods, tmp_path, capsys):
    db = tmp_path / "r.db"
    argv = ["run", "lbmods.models:encode_only", "--tasks", "neighbourhood/digits,collapse/digits", "--no-baselines",
            "--store", str(db), "--seed", "0", "1"]
    assert run([*argv, "--dry-run"]) == EXIT_OK
    out = capsys.readouterr().out
    assert not db.exists()  # nothing written
    assert re.search(r"neighbourhood/digits\s+0\s+run\s+-", out) and re.search(r"collapse/digits\s+1\s+skip\s+-\s+needs posterior", out)
    assert "4 jobs: 0 in the store, 2 to run, 2 to skip" in out and "Nothing was run" in out
    assert run([*argv, "--seed", "0", "--quiet"]) == EXIT_OK  # one seed measured: it is then cached and timed
    capsys.readouterr()
    assert run([*argv, "--dry-run"]) == EXIT_OK
    out = capsys.readouterr().out
    assert re.search(r"neighbourhood/digits\s+0\s+cached", out)
    assert re.search(r"neighbourhood/digits\s+1\s+run\s+\d+\.\d", out)  # the estimate from the stored job
    assert "1 in the store, 1 to run, 2 to skip" in out and "about" in out


def test_current_folder_is_importable_and_the_hint_names_it(mods, tmp_path, capsys):
    assert run(["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--dry-run"]) == EXIT_OK
    capsys.readouterr()
    assert run(["run", "nosuchpkg.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--dry-run"]) == EXIT_USAGE
    assert "current folder" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------- report
def test_report_without_matplotlib_writes_everything_but_the_plots(tmp_path, capsys, monkeypatch):
    import importlib.util

    db = tmp_path / "r.db"
    assert run(["run", "ref:pca", "--tasks", "reconstruction/digits", "--store", str(db), "--no-baselines",
                "--bootstrap-iters", "20", "--quiet"]) == EXIT_OK
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert run(["report", "--store", str(db), "--output", str(tmp_path / "rep")]) == EXIT_OK
    assert "matplotlib is not installed" in capsys.readouterr().err
    assert (tmp_path / "rep" / "leaderboard.md").is_file() and not list((tmp_path / "rep").rglob("*.png"))


# -------------------------------------------------------------------------------------- compare
def test_compare_uses_the_shipped_reference_results(mods, tmp_path, capsys):
    from latentbench.reference_results import shipped_reference_results

    db = tmp_path / "r.db"
    assert run(["run", "lbmods.models:make", "--model-args", "width=8", "--tasks", "reconstruction/digits", "--no-baselines",
                "--store", str(db), "--bootstrap-iters", "20", "--quiet"]) == EXIT_OK
    capsys.readouterr()
    assert Path(shipped_reference_results()).is_file()
    assert run(["compare", "lbmods.models:make(width=8)", "--against", "ref:pca", "ref:vae", "--store", str(db)]) == EXIT_OK
    captured = capsys.readouterr()
    assert "reference results from" in captured.err and "cpu_quick_results.json" in captured.err
    assert "References: ref:pca@0, ref:vae@0" in captured.out  # the shipped rows sit beside the user's store
    assert "reconstruction/digits" in captured.out
    # paired against the references, or told why not: the committed references predate this estimator
    assert ("no paired comparison with a reference was possible" not in captured.out
            or "another version of this task's estimator" in captured.out)
    # within the user's store alone there is no reference to compare with: one line naming the models it has
    assert run(["compare", "lbmods.models:make(width=8)", "--against", "ref:pca", "--store", str(db), "--references", "none",
                "--quiet"]) == EXIT_USAGE
    assert "reference 'ref:pca' has no results" in last_error(capsys.readouterr().err)


# ----------------------------------------------------------------------------------- Python API
def test_load_results_and_from_json_read_the_json_files(mods, tmp_path):
    db, out = tmp_path / "r.db", tmp_path / "out"
    assert run(["run", "lbmods.models:make", "--tasks", "reconstruction/digits", "--no-baselines", "--store", str(db),
                "--out", str(out), "--bootstrap-iters", "20", "--quiet"]) == EXIT_OK
    assert run(["report", "--store", str(db), "--out", str(tmp_path / "rep"), "--no-plots", "--export",
                str(tmp_path / "export.json"), "--quiet"]) == EXIT_OK
    from_db = latentbench.load_results(db)
    values = sorted((r["metric"], r["value"]) for r in from_db)
    for path in (out / "results.json", tmp_path / "export.json"):
        res = latentbench.load_results(path)
        assert sorted((r["metric"], r["value"]) for r in res) == values
        assert sorted((r["metric"], r["value"]) for r in latentbench.Results.from_json(path)) == values
    assert latentbench.load_results(out / "results.json", tasks=["nothing"]).rows == []
    text = latentbench.Results(from_db.rows).to_json()
    assert latentbench.Results.from_json(text).to_json() == text
    with pytest.raises(latentbench.exceptions.InputValidationError, match="not JSON"):
        latentbench.Results.from_json(db)  # a database is not JSON: one line, not a raw decoding error
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": 1}')
    with pytest.raises(latentbench.exceptions.InputValidationError, match="no 'results' list"):
        latentbench.load_results(bad)


def test_evaluate_takes_batch_size_progress_and_limit(capsys):
    from sklearn.decomposition import PCA

    from latentbench.data import load_dataset

    d = load_dataset("digits")
    pca = PCA(4).fit(d.get_x(d.split("train"), flat=True))
    seen = []
    model = lambda x: (seen.append(len(x)), pca.transform(x.reshape(len(x), -1)))[1]  # noqa: E731
    res = latentbench.evaluate(model, tasks="neighbourhood/digits", batch_size=16, progress=False, limit=60, name="f")
    assert max(seen) == 16 and "jobs" not in capsys.readouterr().err
    assert {r["task"] for r in res} == {"neighbourhood/digits[limit=60]"} and all(r["status"] == "ok" for r in res)
    with pytest.raises(latentbench.exceptions.InputValidationError, match="'batch_size' must be None or an integer"):
        latentbench.evaluate(model, tasks="neighbourhood/digits", batch_size=0)


def test_reference_export_never_overwrites_by_default(tmp_path, monkeypatch):
    from latentbench.reference_results import _main, default_export_dir, export_reference_results

    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "home"))
    assert default_export_dir() == tmp_path / "home" / "reference-export"
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "reference_results.json").write_text("committed")
    with pytest.raises(latentbench.exceptions.InputValidationError, match="exist; pass overwrite=True"):
        export_reference_results(tmp_path / "r.db", tmp_path / "ref")
    assert _main(["export", "--store", str(tmp_path / "r.db"), "--out", str(tmp_path / "ref")]) == 2
    assert (tmp_path / "ref" / "reference_results.json").read_text() == "committed"


# --------------------------------------------------------------------------------- docs and README
def test_metrics_page_is_current_and_every_function_imports_from_where_it_says():
    import importlib

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import generate_metrics
    finally:
        sys.path.remove(str(ROOT / "docs"))
    committed = (ROOT / "docs" / "metrics.md").read_text()
    assert generate_metrics.render() + "\n" == committed, \
        "docs/metrics.md is stale: run `python docs/generate_metrics.py > docs/metrics.md`"
    module = None
    documented = 0
    for line in committed.splitlines():
        if line.startswith("## latentbench.metrics."):
            module = importlib.import_module(line[3:])
        elif line.startswith("| `") and module is not None:
            name = line[3:].split("(", 1)[0]
            assert callable(getattr(module, name)) and name in module.__all__, (module.__name__, name)
            documented += 1
    public = sum(len(generate_metrics.public_functions(m)) for m in generate_metrics.metric_modules())
    assert documented == public > 50


def test_help_of_the_package_names_the_metric_functions():
    doc = latentbench.__doc__
    assert "latentbench.metrics.neighborhood import trustworthiness" in doc and "docs/metrics.md" in doc


def test_readme_counts_match_the_registry():
    from latentbench.tasks.registry import get_suite

    readme = (ROOT / "README.md").read_text()
    claims = re.findall(r"`([a-z-]+)` suite \((\d+) tasks", readme) + \
        [(name, n) for n, name in re.findall(r"(\d+)-task `?([a-z-]+)`? suite", readme)]
    assert claims, "the README states suite sizes; this test checks them"
    for name, n in claims:
        assert len(get_suite(name).tasks) == int(n), f"README: the {name} suite has {len(get_suite(name).tasks)} tasks, not {n}"


def test_all_extra_holds_every_user_extra():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    user = {dep for name, deps in extras.items() if name not in ("all", "dev") for dep in deps}
    assert user <= set(extras["all"])
    assert not any(d.startswith(("pytest", "hypothesis", "playwright")) for d in extras["all"])
