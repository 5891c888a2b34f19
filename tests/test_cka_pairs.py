"""CKA between models, stored per pair: the key (both fingerprints, ordered), the command, the
report's model x model matrix and ``compare``'s closest reference."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentbench.cli import main
from latentbench.comparison import cka_pairs
from latentbench.data import load_dataset
from latentbench.exceptions import InputValidationError
from latentbench.metrics.cka import linear_cka_score
from latentbench.report.cka import cka_matrices, closest_by_cka
from latentbench.store import ResultStore


@pytest.fixture
def swiss():
    return load_dataset("manifold-swiss-roll")


def _latents(ds, seed):
    r = np.random.default_rng(seed)
    x = ds.get_x(flat=True).astype(np.float64)
    Q, _ = np.linalg.qr(r.normal(size=(x.shape[1], x.shape[1])))
    return x, Q, r


def test_pairs_are_stored_once_per_unordered_pair_and_equal_the_metric(swiss, tmp_path):
    x, Q, r = _latents(swiss, 0)
    models = {"mine": x, "ref:rotated": 3.0 * x @ Q, "ref:noise": r.normal(size=x.shape)}
    store = ResultStore(tmp_path / "r.db")
    rows = cka_pairs(models, swiss, max_rows=200, n_rounds=20, store=store)
    assert len(rows) == 3 * 3 and {r["status"] for r in rows} == {"ok"}
    assert all(r["model_a_fp"] < r["model_b_fp"] for r in rows)
    lin = {frozenset((r["model_a"], r["model_b"])): r for r in rows if r["metric"] == "linear"}
    assert lin[frozenset(("mine", "ref:rotated"))]["value"] == pytest.approx(1.0, abs=1e-12)
    assert lin[frozenset(("mine", "ref:noise"))]["value"] < 0.2
    # the stored value is the metric on the stored rows (the seeded subsample of the test split)
    info = lin[frozenset(("mine", "ref:noise"))]["params"]
    assert info["rows_used"] == 200 and info["rows_shared"] == len(swiss.split("test")) and info["coverage"] == 1.0
    # the other order, or a rerun, finds the same stored jobs
    again = cka_pairs({"ref:noise": models["ref:noise"], "mine": x}, swiss, max_rows=200, n_rounds=20, store=store)
    stored = [r for r in again if r["metric"] == "linear"]
    assert stored[0].get("cached") and stored[0]["value"] == lin[frozenset(("mine", "ref:noise"))]["value"]
    assert len(store.pair_rows()) == 9
    with pytest.raises(InputValidationError, match="model_a_fp < model_b_fp"):
        store.write_pair_job([{**rows[0], "model_a_fp": rows[0]["model_b_fp"], "model_b_fp": rows[0]["model_a_fp"]}])


def test_pair_value_is_the_metric_on_the_rows_used(swiss):
    x, Q, r = _latents(swiss, 1)
    y = np.tanh(x @ r.normal(size=(x.shape[1], 4)))
    rows = cka_pairs({"a": x, "b": y}, swiss, max_rows=10_000, n_rounds=10, kernels=["linear"])
    test = swiss.split("test")
    assert rows[0]["value"] == pytest.approx(linear_cka_score(x[test], y[test]), abs=1e-12)


def test_closest_reference_by_cka_and_compare_section(swiss, tmp_path):
    x, Q, r = _latents(swiss, 2)
    models = {"mine": x, "ref:near": x @ Q + 0.05 * r.normal(size=x.shape), "ref:far": np.sin(3 * x) + r.normal(size=x.shape)}
    db = tmp_path / "r.db"
    cka_pairs(models, swiss, max_rows=150, n_rounds=20, store=ResultStore(db))
    store = ResultStore(db)
    found = closest_by_cka(store, "mine")
    assert found[0]["closest"] == "ref:near" and [n for n, *_ in found[0]["ranking"]] == ["ref:near", "ref:far"]
    from latentbench.report.compare import compare
    from latentbench.report.data import load_report_data

    result = compare(load_report_data(str(db)), "mine", against=["ref:all"])
    md = result.to_markdown()
    assert "## closest reference by CKA" in md and "closest **ref:near**" in md
    assert json.loads(result.to_json())["closest_by_cka"][0]["closest"] == "ref:near"


def test_too_few_models_and_bad_kernels_are_named(swiss):
    with pytest.raises(InputValidationError, match="at least two models"):
        cka_pairs({"a": np.zeros((10, 2))}, swiss)
    with pytest.raises(InputValidationError, match="kernels"):
        cka_pairs({"a": np.ones((1, 2)), "b": np.ones((1, 2))}, swiss, kernels=["cosine"])


def test_cka_command_and_report_matrix_over_training_seeds(tiny_spec_dir, tmp_path, capsys):
    """The reference VAEs across training seeds give a CKA matrix that the report shows (a tiny VAE
    reference trained with three seeds, and PCA)."""
    db, out = tmp_path / "r.db", tmp_path / "report"
    assert main(["run", "ref:tiny@0,1,2", "ref:pca", "--tasks", "reconstruction/digits", "--store", str(db), "--no-baselines",
                 "--quiet", "--bootstrap", "20", "--specs", tiny_spec_dir]) == 0
    assert main(["cka", "ref:tiny@0,1,2", "ref:pca", "--dataset", "digits", "--store", str(db), "--max-rows", "150",
                 "--rounds", "10", "--quiet", "--specs", tiny_spec_dir]) == 0
    printed = capsys.readouterr().out
    assert "ref:tiny@0" in printed and "linear-debiased" in printed
    mats = cka_matrices(ResultStore(db))
    assert [m.kernel for m in mats] == ["linear", "linear-debiased", "rbf"]
    lin = mats[0]
    assert lin.dataset == "digits" and lin.models == ["ref:pca", "ref:tiny@0", "ref:tiny@1", "ref:tiny@2"]
    assert len(lin.cells) == 6 and all(0.0 <= c["value"] <= 1.0 for c in lin.cells.values())
    assert main(["report", "--store", str(db), "--out", str(out), "--quiet"]) == 0
    md = (out / "leaderboard.md").read_text()
    assert "## representation similarity (CKA)" in md and "### digits: linear CKA" in md
    assert "| **ref:tiny@1** |" in md and (out / "plots" / "cka-digits-linear.png").is_file()
    assert (out / "cka.csv").read_text().count("\n") == 1 + 3 * 6
