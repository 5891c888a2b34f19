"""Tests of the ``latentbench`` command, run in-process through ``latentbench.cli.main``."""

from __future__ import annotations

import csv
import io
import json
import textwrap

import numpy as np
import pytest

from latentbench.cli import main
from latentbench.store import ResultStore
from latentbench.tasks.registry import get_suite, list_suites, list_tasks


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("latentbench: error: "), err
    return lines[0]


# ------------------------------------------------------------------------------------------ list
def test_list_tasks(capsys):
    assert main(["list", "tasks"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["task", "family", "primary", "needs", "dataset", "summary"]
    for name in list_tasks():
        assert name in out
    assert "mse ↓" in out and "iwae ↑" in out and "(descriptive)" in out


def test_list_suites(capsys):
    assert main(["list", "suites"]) == 0
    out = capsys.readouterr().out
    for s in list_suites():
        assert f"{s.name}: {', '.join(s.tasks)}" in out


def test_list_datasets(capsys):
    from latentbench.data import list_datasets

    assert main(["list", "datasets"]) == 0
    out = capsys.readouterr().out
    assert {"digits", "digits-binary", "shapes"} <= set(list_datasets())
    for name in list_datasets():
        assert f"\n{name} " in out
    assert "handwritten digits" in out


def test_list_models(capsys):
    assert main(["list", "models"]) == 0
    out = capsys.readouterr().out
    for name in ("ref:pca", "ref:vae", "ref:vae-binary", "null:random", "null:identity", "null:pca-whiten"):
        assert name in out
    assert "not trained" in out  # a fresh LATENTBENCH_HOME has no checkpoints


def test_list_tasks_with_user_specs(tmp_path, capsys):
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "mine.toml").write_text(textwrap.dedent("""
        name = "reconstruction/mine"
        task = "reconstruction"
        version = 1
        dataset = "digits"
        summary = "My own variant."
    """))
    assert main(["list", "tasks", "--specs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "reconstruction/mine" in out and "My own variant." in out


# ------------------------------------------------------------------------------------------ run
def test_run_ref_pca_quick_suite_writes_the_leaderboard(tmp_path, capsys):
    store, out_dir = tmp_path / "r.db", tmp_path / "out"
    # --no-baselines: null:pca-whiten fits a 64-component PCA on 9,000 shapes images (minutes on a CPU)
    rc = main(["run", "ref:pca", "--suite", "quick", "--store", str(store), "--out", str(out_dir), "--quiet",
               "--no-baselines", "--device", "cpu", "--bootstrap-iters", "100"])
    assert rc == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # --quiet: no progress, no log lines
    assert "reconstruction/digits (v1) · mse ↓ (primary)" in captured.out
    assert "ref:pca" in captured.out
    assert {"leaderboard.md", "leaderboard.json", "leaderboard.csv", "results.json"} <= {p.name for p in out_dir.iterdir()}

    results = json.loads((out_dir / "results.json").read_text())
    rows = results["results"]
    assert {r["task"] for r in rows} == set(get_suite("quick").tasks)
    assert len(rows) == len(ResultStore(store).rows())
    mse = next(r for r in rows if r["task"] == "reconstruction/digits" and r["metric"] == "mse")
    assert mse["status"] == "ok" and 0.005 < mse["value"] < 0.05

    board = json.loads((out_dir / "leaderboard.json").read_text())
    assert board["models"] == ["ref:pca"]
    cell = next(r for r in board["rows"] if r["task"] == "reconstruction/digits" and r["metric"] == "mse")
    assert cell["value"] == mse["value"] and cell["ci_low"] == mse["ci_low"] and cell["is_primary"] is True

    md = (out_dir / "leaderboard.md").read_text()
    assert md.startswith("# latentbench leaderboard: quick")
    assert "reconstruction/digits (v1)" in md

    recs = list(csv.DictReader(io.StringIO((out_dir / "leaderboard.csv").read_text())))
    assert len(recs) == len(board["rows"])
    assert float(next(r for r in recs if r["task"] == "reconstruction/digits" and r["metric"] == "mse")["value"]) == mse["value"]


def test_run_with_baselines_and_two_seeds(tmp_path, capsys):
    store, out_dir = tmp_path / "r.db", tmp_path / "out"
    rc = main(["run", "ref:pca", "--tasks", "reconstruction/digits", "--store", str(store), "--out", str(out_dir),
               "--quiet", "--device", "cpu", "--bootstrap-iters", "20", "--seed", "0", "1"])
    assert rc == 0
    out = capsys.readouterr().out
    board = json.loads((out_dir / "leaderboard.json").read_text())
    assert board["models"] == ["ref:pca", "null:identity", "null:pca-whiten", "null:random"]
    mse = {r["model"]: r for r in board["rows"] if r["metric"] == "mse"}
    assert mse["null:random"]["status"] == "skipped"  # no decoder
    assert mse["null:identity"]["value"] == 0.0
    assert mse["ref:pca"]["seeds"] == 2
    assert "(2 seeds)" in out
    assert {r["seed"] for r in ResultStore(store).rows()} == {0, 1}


def test_run_twice_reuses_the_store(tmp_path, capsys, monkeypatch):
    store = tmp_path / "r.db"
    argv = ["run", "ref:pca", "--tasks", "reconstruction/digits,collapse/digits", "--store", str(store),
            "--no-baselines", "--device", "cpu", "--bootstrap-iters", "50"]
    assert main(argv + ["--quiet"]) == 0
    first = capsys.readouterr().out
    from latentbench.tasks.collapse import PosteriorCollapse
    from latentbench.tasks.reconstruction import Reconstruction

    def forbidden(self, *a, **k):
        raise AssertionError("recomputed")

    monkeypatch.setattr(Reconstruction, "run", forbidden)
    monkeypatch.setattr(PosteriorCollapse, "run", forbidden)
    assert main(argv) == 0  # not quiet: the summary line says what came from the store
    captured = capsys.readouterr()
    # the same table, in the same order, from the stored rows; the header records each command line whole
    drop_header = lambda text: [line for line in text.splitlines() if not line.startswith("Generated by")]  # noqa: E731
    assert drop_header(captured.out) == drop_header(first)
    assert f"Generated by `latentbench {' '.join(argv)} --quiet`" in first and f"Generated by `latentbench {' '.join(argv)}`" in captured.out
    n = len(ResultStore(store).rows())
    assert f"{n} results ({n} from the store)" in captured.err


def test_run_unknown_task_is_one_error_line_with_a_suggestion(tmp_path, capsys):
    rc = main(["run", "ref:pca", "--tasks", "reconstruction/digit", "--store", str(tmp_path / "r.db"), "--quiet"])
    assert rc == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_error_line(captured.err)
    assert "unknown task 'reconstruction/digit'" in line
    assert "Did you mean 'reconstruction/digits'" in line


def test_run_unknown_suite_and_model(tmp_path, capsys):
    assert main(["run", "ref:pca", "--suite", "quik", "--quiet"]) == 2
    assert "Did you mean 'quick'" in one_error_line(capsys.readouterr().err)
    assert main(["run", "ref:pcaa", "--tasks", "reconstruction/digits", "--store", str(tmp_path / "r.db"),
                 "--no-baselines", "--quiet"]) == 2
    assert "Did you mean 'pca'" in one_error_line(capsys.readouterr().err)


def test_run_latents_with_the_wrong_number_of_rows(tmp_path, capsys):
    path = tmp_path / "latents.npz"
    np.savez(path, z=np.zeros((100, 4)))
    rc = main(["run", str(path), "--tasks", "reconstruction/digits", "--store", str(tmp_path / "r.db"), "--quiet"])
    assert rc == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_error_line(captured.err)
    assert "'z' has 100 rows" in line and "has 1797" in line


def test_run_precomputed_latents(tmp_path, capsys):
    from latentbench.data import load_dataset

    d = load_dataset("digits")
    rows = d.split("test")
    z = d.get_x(rows, flat=True)[:, :5].astype(np.float64)
    path = tmp_path / "codes.npz"
    np.savez(path, z_test=z, mean_test=z, logvar_test=np.full_like(z, -2.0))
    out_dir = tmp_path / "out"
    rc = main(["run", str(path), "--tasks", "reconstruction/digits,collapse/digits", "--store", str(tmp_path / "r.db"),
               "--out", str(out_dir), "--no-baselines", "--quiet", "--bootstrap-iters", "20"])
    assert rc == 0
    res = json.loads((out_dir / "results.json").read_text())["results"]
    status = {r["task"]: r["status"] for r in res}
    assert status == {"reconstruction/digits": "skipped", "collapse/digits": "ok"}
    assert {r["model"] for r in res} == {str(path)}


def test_run_missing_latents_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.npz"), "--tasks", "reconstruction/digits", "--quiet",
                 "--store", str(tmp_path / "r.db")]) == 2
    assert "does not exist" in one_error_line(capsys.readouterr().err)


def test_interrupt_and_unexpected_errors(tmp_path, capsys, monkeypatch):
    from latentbench import runner

    def interrupted(self, models):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.Evaluator, "run", interrupted)
    argv = ["run", "ref:pca", "--tasks", "reconstruction/digits", "--store", str(tmp_path / "r.db"), "--no-baselines",
            "--quiet"]
    assert main(argv) == 130
    assert "interrupted" in capsys.readouterr().err

    def crash(self, models):
        raise RuntimeError("kaboom\nmore")

    monkeypatch.setattr(runner.Evaluator, "run", crash)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and "unexpected RuntimeError: kaboom" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="kaboom"):
        main(argv + ["--debug"])


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["list", "widgets"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ check
def test_check_ref_pca_passes(capsys):
    assert main(["check", "ref:pca", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("all checks passed")
    assert "model 'ref:pca': torch adapter with decode, encode, likelihood, posterior, prior" in out
    assert "FAIL" not in out
    assert "[ok  ] smoke run of the first task families" in out


BROKEN_MODELS = {
    "nan": ("""
        class Model:
            def encode(self, x):
                z = x.reshape(len(x), -1)[:, :3].astype(np.float64)
                z[1] = np.nan
                return z
        """, "encode: shape, finite values, input untouched", "NaN/infinite"),
    "inplace": ("""
        class Model:
            def encode(self, x):
                x *= 2
                return x.reshape(len(x), -1)[:, :3]
        """, "encode: shape, finite values, input untouched", "changed its input array in place"),
    "random": ("""
        class Model:
            rng = np.random.default_rng(0)
            def encode(self, x):
                return x.reshape(len(x), -1)[:, :3] + self.rng.standard_normal((len(x), 3))
        """, "encode is deterministic", "two encodings of the same input differ"),
    "batchnorm": ("""
        class Model:
            def encode(self, x):
                f = x.reshape(len(x), -1)[:, :3]
                return f - f.mean(axis=0)
        """, "encode is batch-consistent", "codes depend on the batch"),
    "decode-shape": ("""
        class Model:
            def encode(self, x):
                return x.reshape(len(x), -1)[:, :3]
            def decode(self, z):
                return np.zeros((len(z), 10))
        """, "decode: output matches the input size", "expected (32, 64)"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_MODELS))
def test_check_a_broken_model_names_the_failing_check(kind, tmp_path, monkeypatch, capsys):
    source, check_name, detail = BROKEN_MODELS[kind]
    module = f"lb_broken_{kind.replace('-', '_')}_{tmp_path.name}"
    (tmp_path / f"{module}.py").write_text("import numpy as np\n" + textwrap.dedent(source) +
                                           "\ndef make():\n    return Model()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rc = main(["check", f"{module}:make", "--quiet"])
    assert rc == 1
    out = capsys.readouterr().out
    fails = [line.strip() for line in out.splitlines() if "[FAIL]" in line]
    n_fail = 2 if kind == "random" else 1  # random codes are also batch-inconsistent
    assert len(fails) == n_fail, out
    assert fails[0].startswith(f"[FAIL] {check_name}: ")
    assert detail in fails[0]
    assert out.strip().endswith(f"{n_fail} check(s) failed")
    assert "smoke run" not in out  # no smoke run of a model that failed a check


def test_check_api_report():
    from latentbench.conformance import check

    report = check(lambda x: x.reshape(len(x), -1)[:, :4], smoke=False)
    assert report.passed and report.adapter == "callable" and report.dataset == "digits"
    status = {o.name: o.passed for o in report.outcomes}
    assert status["encode is batch-consistent"] is True
    assert status["posterior: (mean, logvar), mean equals encode"] is None  # not applicable
    assert report.failures() == []


def test_public_check_function_survives_importing_the_conformance_module(monkeypatch):
    import sys

    import latentbench

    monkeypatch.delitem(sys.modules, "latentbench.conformance", raising=False)
    monkeypatch.delitem(latentbench.__dict__, "check", raising=False)
    import latentbench.conformance  # noqa: F401  (what the `check` command imports)

    assert callable(latentbench.check)


# ------------------------------------------------------------------------------------------ report
def test_report_writes_files_from_the_store_without_recomputing(tmp_path, capsys, monkeypatch):
    store, run_out, rep_out = tmp_path / "r.db", tmp_path / "run", tmp_path / "report"
    assert main(["run", "ref:pca", "--tasks", "reconstruction/digits,likelihood/digits", "--store", str(store),
                 "--out", str(run_out), "--no-baselines", "--quiet", "--bootstrap-iters", "50"]) == 0
    capsys.readouterr()
    from latentbench import runner
    from latentbench.tasks.base import Task

    def forbidden(*a, **k):
        raise AssertionError("report must not compute")

    monkeypatch.setattr(runner.Evaluator, "run", forbidden)
    monkeypatch.setattr(Task, "run", forbidden)
    from latentbench.adapters import Adapter

    monkeypatch.setattr(Adapter, "encode", forbidden)
    assert main(["report", "--store", str(store), "--out", str(rep_out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "likelihood/digits (v1) [likelihood=gaussian] · iwae ↑ (primary)" in captured.out
    assert {"leaderboard.md", "leaderboard.json", "leaderboard.csv"} <= {p.name for p in rep_out.iterdir()}
    from_run = json.loads((run_out / "leaderboard.json").read_text())
    from_store = json.loads((rep_out / "leaderboard.json").read_text())
    assert from_store["models"] == from_run["models"] == ["ref:pca"]
    fields = ("task", "task_version", "metric", "model", "status", "value", "ci_low", "ci_high", "n")
    cells = lambda board: sorted(tuple(r.get(f) for f in fields) for r in board["rows"])  # noqa: E731
    assert cells(from_store) == cells(from_run)
    shown = {(c[0], c[2]) for c in cells(from_store)}
    assert {("reconstruction/digits", "mse"), ("reconstruction/digits", "psnr"), ("likelihood/digits", "iwae"),
            ("likelihood/digits", "elbo")} <= shown
    # --suite filters to the suite's tasks
    assert main(["report", "--store", str(store), "--out", str(tmp_path / "r2"), "--suite", "quick", "--quiet"]) == 0
    capsys.readouterr()
    tasks = {r["task"] for r in json.loads((tmp_path / "r2" / "leaderboard.json").read_text())["rows"]}
    assert tasks == {"reconstruction/digits", "likelihood/digits"}


def test_report_on_an_empty_store(tmp_path, capsys):
    ResultStore(tmp_path / "empty.db").close()  # a store that exists but holds nothing (a missing one: test_store_open.py)
    assert main(["report", "--store", str(tmp_path / "empty.db"), "--out", str(tmp_path / "out")]) == 3  # nothing to report
    assert "has no results" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("statuses, flags, expected", [
    (["ok", "ok"], [], 0),
    (["ok", "failed"], [], 1),
    (["ok", "failed"], ["--allow-failures"], 0),
    (["skipped", "skipped"], [], 3),
])
def test_audit_exit_status_follows_run(statuses, flags, expected, tmp_path, monkeypatch, capsys):
    import latentbench.audit as audit_module
    from latentbench.results import Results

    class _Report:
        def to_markdown(self):
            return "# audit"

    rows = [{"task": f"privacy/t{i}", "model": "m", "status": st, "message": "why", "metric": "x", "is_primary": True}
            for i, st in enumerate(statuses)]
    monkeypatch.setattr(audit_module, "audit", lambda *a, **k: (_Report(), Results(rows)))
    assert main(["audit", "null:random", "--store", str(tmp_path / "s.db"), "--quiet", *flags]) == expected
    err = capsys.readouterr().err
    if expected == 1:
        assert "--allow-failures" in err
    if expected == 3:
        assert "nothing was measured" in err
