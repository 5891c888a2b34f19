"""Reference bands over training seeds, and the export/import of the reference results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentbench.cli import main
from latentbench.exceptions import InputValidationError
from latentbench.report.bands import BAND_FIELDS, parse_reference, reference_bands
from latentbench.reference_results import export_reference_results, import_reference_results, load_reference_results
from latentbench.store import ResultStore


def _row(model, value, metric="mse", task="reconstruction/digits", seed=0, status="ok", **kw):
    return {"model": model, "task": task, "metric": metric, "value": value, "seed": seed, "status": status, "direction": "lower", **kw}


def test_parse_reference():
    assert parse_reference("ref:vae@2") == ("vae", 2)
    assert parse_reference("ref:beta4-vae-shapes") == ("beta4-vae-shapes", None)
    for bad in ("vae@1", "null:random", "ref:vae@x", "ref:"):
        with pytest.raises(InputValidationError):
            parse_reference(bad)


def test_band_statistics_over_training_seeds():
    rows = [_row("ref:vae@0", 1.0), _row("ref:vae@1", 2.0), _row("ref:vae@2", 4.0),
            # evaluation seeds of one training seed are averaged first: seed 2 -> (4 + 6) / 2 = 5 in the second metric
            _row("ref:vae@0", 10.0, metric="psnr"), _row("ref:vae@2", 4.0, metric="psnr"), _row("ref:vae@2", 6.0, metric="psnr", seed=1),
            # left out: other models, non-ok rows, missing values
            _row("null:random", 99.0), _row("ref:vae@3", None), _row("ref:vae@4", 7.0, status="failed")]
    bands = {b["metric"]: b for b in reference_bands(rows)}
    assert set(bands) == {"mse", "psnr"}
    mse = bands["mse"]
    assert tuple(mse) == BAND_FIELDS
    assert (mse["reference"], mse["n_seeds"], mse["train_seeds"], mse["values"]) == ("vae", 3, [0, 1, 2], [1.0, 2.0, 4.0])
    assert (mse["min"], mse["max"]) == (1.0, 4.0)
    assert mse["mean"] == pytest.approx(7 / 3) and mse["std"] == pytest.approx(np.std([1, 2, 4], ddof=1))
    psnr = bands["psnr"]
    assert psnr["values"] == [10.0, 5.0] and psnr["eval_seeds"] == [0, 1] and psnr["std"] == pytest.approx(np.std([10, 5], ddof=1))


def test_band_groups_by_task_version_and_default_seed():
    rows = [_row("ref:pca", 1.0, task_version=1), _row("ref:pca@1", 3.0, task_version=1), _row("ref:pca@0", 5.0, task_version=2),
            {"reference": "pca", "train_seed": 2, "task": "reconstruction/digits", "metric": "mse", "value": 2.0, "status": "ok",
             "task_version": 1}]
    bands = reference_bands(rows)
    assert [(b["task_version"], b["train_seeds"], b["values"]) for b in bands] == [(1, [0, 1, 2], [1.0, 3.0, 2.0]), (2, [0], [5.0])]
    assert bands[1]["std"] is None  # one seed: no spread


# ------------------------------------------------------------------------------------------ export / import
def test_bands_over_training_seeds_end_to_end(tiny_spec_dir, tmp_path):
    db = tmp_path / "r.db"
    argv = ["run", "ref:tiny@0,1,2", "ref:pca", "--tasks", "reconstruction/digits,collapse/digits", "--store", str(db),
            "--no-baselines", "--quiet", "--bootstrap-iters", "50", "--specs", tiny_spec_dir]
    assert main(argv) == 0
    # the same checkpoint under another name is one model in the store: not counted twice
    assert main(["run", "ref:pca@0", "--tasks", "reconstruction/digits", "--store", str(db), "--no-baselines", "--quiet",
                 "--bootstrap-iters", "50", "--specs", tiny_spec_dir]) == 0
    paths = export_reference_results(str(db), tmp_path / "out", references=["tiny", "pca"])
    data = load_reference_results(paths["results"])
    store_rows = ResultStore(str(db)).rows()
    tiny_rows = [r for r in data["rows"] if r["reference"] == "tiny"]
    assert sorted({r["train_seed"] for r in tiny_rows}) == [0, 1, 2]
    assert {r["model"] for r in tiny_rows} == {"ref:tiny@0", "ref:tiny@1", "ref:tiny@2"}
    pca_rows = [r for r in data["rows"] if r["reference"] == "pca"]
    assert {r["model"] for r in pca_rows} == {"ref:pca@0"} and len({(r["task"], r["metric"]) for r in pca_rows}) == len(pca_rows)
    # every exported value is the stored one, keyed by the checkpoint's fingerprint
    stored = {(r["model_fp"], r["task"], r["metric"], r["seed"]): r["value"] for r in store_rows}
    for r in data["rows"]:
        assert stored[(r["model_fp"], r["task"], r["metric"], r["seed"])] == r["value"]
    band = next(b for b in data["bands"] if b["reference"] == "tiny" and b["task"] == "reconstruction/digits" and b["metric"] == "mse")
    values = [next(r["value"] for r in tiny_rows if r["train_seed"] == s and r["task"] == "reconstruction/digits" and r["metric"] == "mse")
              for s in (0, 1, 2)]
    assert band["values"] == values and band["n_seeds"] == 3 and band["min"] == min(values) and band["max"] == max(values)
    assert len(set(values)) == 3  # three trainings, three different models
    # provenance: versions and device through the run id
    run = data["runs"][tiny_rows[0]["run_id"]]
    assert run["device"] == "cpu" and "torch" in run["versions"]
    ckpts = json.loads(paths["checkpoints"].read_text())["checkpoints"]
    assert sorted((c["name"], c["seed"]) for c in ckpts) == [("pca", 0), ("tiny", 0), ("tiny", 1), ("tiny", 2)]
    tiny0 = next(c for c in ckpts if c["name"] == "tiny" and c["seed"] == 0)
    assert tiny0["fingerprint"] == tiny_rows[0]["model_id"] and tiny0["device"] == "cpu" and tiny0["train_seconds"] > 0
    assert tiny0["log"][0].startswith("tiny seed 0 epoch 1/2: ") and "fingerprint" in tiny0["log"][-1]
    # the export regenerates a store without retraining
    db2 = tmp_path / "imported.db"
    n = import_reference_results(paths["results"], str(db2))
    again = ResultStore(str(db2)).rows()
    assert n == len(again) == len({(r["model_fp"], r["task"], r["seed"], r["metric"]) for r in data["rows"]})
    key = lambda r: (r["model_fp"], r["task"], r["seed"], r["metric"])  # noqa: E731
    assert {key(r): r["value"] for r in again} == {key(r): r["value"] for r in store_rows if r["model_fp"] in {x["model_fp"] for x in data["rows"]}}
