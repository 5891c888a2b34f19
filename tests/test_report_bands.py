"""Reference bands in the report: one column per reference model, the spread over its training
seeds in a section of its own, and one checkpoint stored under several names shown once."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from test_report_leaderboard import N, add_job, table_cells

from latentbench.cli import main
from latentbench.report.data import ReportData
from latentbench.report.seed_bands import first_seed_columns, seed_band_table
from latentbench.store import ResultStore


def test_first_seed_columns_keep_each_references_lowest_seed():
    models = ["ref:vae@2", "ref:vae@0", "ref:vae@1", "ref:ae@1", "ref:ae@2", "ref:pca", "ref:pca@1", "null:random", "mine.npz"]
    assert first_seed_columns(models) == ["mine.npz", "null:random", "ref:ae@1", "ref:pca", "ref:vae@0"]


def _row(model, value, *, task="t/d", metric="m", primary=1, status="ok", params_hash="h", seed=0):
    return {"model": model, "task": task, "task_version": 1, "params_hash": params_hash, "metric": metric, "value": value,
            "status": status, "is_primary": primary, "direction": "lower", "seed": seed, "params": {}}


def test_band_table_values_are_the_stored_values():
    rows = [_row("ref:a@0", 1.0), _row("ref:a@1", 2.0), _row("ref:a@2", 4.0),
            _row("ref:b@0", 5.0), _row("ref:b@1", 5.0, seed=0), _row("ref:b@1", 7.0, seed=1),  # two evaluation seeds: mean 6
            _row("ref:c@0", 9.0),                                  # one training seed: no band
            _row("ref:a@0", 0.5, metric="secondary", primary=0), _row("ref:a@1", 0.7, metric="secondary", primary=0),
            _row("ref:a@1", None, status="failed"), _row("mine", 0.1)]
    table = seed_band_table(rows)
    assert table.references == ["a", "b"] and table.train_seeds == [0, 1, 2] and len(table.primary_rows) == 1
    assert [r["metric"] for r in table.rows] == ["m", "secondary"]  # secondary scores: in the CSV, not the table
    a, b = table.primary_rows[0]["bands"]["a"], table.primary_rows[0]["bands"]["b"]
    assert a["values"] == [1.0, 2.0, 4.0] and a["mean"] == pytest.approx(7 / 3) and (a["min"], a["max"]) == (1.0, 4.0)
    assert b["values"] == [5.0, 6.0] and b["std"] == pytest.approx(np.std([5.0, 6.0], ddof=1))
    md = table.to_markdown()
    assert "| t/d (v1) | m ↓ | 2.333 [1.000, 4.000] | 5.500 [5.000, 6.000] |" in md
    lines = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert [(r["reference"], r["metric"], r["values"]) for r in lines] == [("a", "m", "1.0 2.0 4.0"), ("b", "m", "5.0 6.0"),
                                                                          ("a", "secondary", "0.5 0.7")]
    assert (float(lines[0]["t_ci_low"]), float(lines[0]["t_ci_high"])) == pytest.approx((-1.4612497, 6.1279164))
    assert 'title="seed 0: 1.000, seed 1: 2.000, seed 2: 4.000"' in table.to_html()
    assert not seed_band_table([_row("ref:c@0", 9.0)]) and seed_band_table([_row("ref:c@0", 9.0)]).to_markdown() == ""


@pytest.fixture()
def seed_store(tmp_path):
    rng = np.random.default_rng(5)
    store = ResultStore(tmp_path / "r.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={}, git_commit="abc", host="h")
    x = rng.uniform(0, 1, N)
    values = {}
    for seed, shift in ((0, 0.00), (1, 0.03), (2, -0.01)):
        add_job(store, f"ref:vae@{seed}", x + shift)
        values[seed] = float(np.mean((x + shift).astype(np.float32).astype(np.float64)))
    add_job(store, "ref:pca@0", x + 0.1)
    add_job(store, "ref:pca@0", rng.normal(-90, 5, N), task="likelihood/digits", metric="iwae", direction="higher", family="likelihood")
    # the deterministic model's other training seed: the same checkpoint, a job recomputed (skipped) under a new name
    add_job(store, "ref:pca@2", status="skipped", task="reconstruction/shapes", message="trained on digits")
    store._conn.execute("UPDATE results SET model_fp='fp-ref:pca@0' WHERE model='ref:pca@2'")
    store._conn.commit()
    add_job(store, "null:random", x + 1.0)
    store.close()
    return tmp_path / "r.db", values


def test_report_shows_one_column_per_reference_and_its_band(seed_store, tmp_path, capsys):
    path, values = seed_store
    out = tmp_path / "rep"
    assert main(["report", "--store", str(path), "--out", str(out), "--bootstrap-iters", "200", "--quiet"]) == 0
    md = capsys.readouterr().out
    board, section = md.split("## reference bands over training seeds")
    cells = table_cells(board)[("reconstruction/digits (v1)", "mse ↓ (primary)")]
    assert set(cells) == {"ref:pca@0", "ref:vae@0", "null:random"}
    assert "the other training seeds (ref:vae@1, ref:vae@2) enter the reference bands section only" in md
    assert "ref:pca@0 is also stored as ref:pca@2: one checkpoint" in md
    mean, low, high = np.mean(list(values.values())), min(values.values()), max(values.values())
    from latentbench.report.leaderboard import fmt

    assert f"| reconstruction/digits (v1) | mse ↓ | {fmt(mean)} [{fmt(low)}, {fmt(high)}] |" in section
    assert "ref:pca" not in section.split("\n| task")[1].split("\n")[0]  # one seed: no band column
    band_rows = list(csv.DictReader(io.StringIO((out / "bands.csv").read_text())))
    assert [float(v) for v in band_rows[0]["values"].split()] == pytest.approx([values[0], values[1], values[2]], abs=1e-12)
    assert (out / "plots" / "reference-bands.png").stat().st_size > 5000
    page = (out / "leaderboard.html").read_text()
    assert 'id="bands"' in page and "Reference bands over training seeds" in page
    doc = json.loads((out / "results.json").read_text())
    assert {r["model"] for r in doc["results"]} >= {"ref:vae@1", "ref:vae@2"}  # the band's rows are in the results
    assert doc["reference_bands"]["references"] == ["vae"]

    assert main(["report", "--store", str(path), "--out", str(tmp_path / "all"), "--bootstrap-iters", "200", "--quiet",
                 "--all-training-seeds", "--no-plots"]) == 0
    md_all = capsys.readouterr().out.split("## reference bands")[0]
    assert set(table_cells(md_all)[("reconstruction/digits (v1)", "mse ↓ (primary)")]) == {"ref:pca@0", "ref:vae@0", "ref:vae@1", "ref:vae@2",
                                                                                   "null:random"}
    assert "--all-training-seeds" in md_all.split("\n")[2]


def test_one_checkpoint_under_two_names_is_one_model(seed_store):
    path, _ = seed_store
    data = ReportData.load(path)
    assert data.aliases == {"ref:pca@0": {"ref:pca@2"}}
    assert {r["model"] for r in data.rows if r["model_fp"] == "fp-ref:pca@0"} == {"ref:pca@0"}
    # asking for either name gives the checkpoint's rows
    assert len(ReportData.load(path, models=["ref:pca@2"]).rows) == len([r for r in data.rows if r["model"] == "ref:pca@0"])


def test_export_arrays_are_compressed_and_old_exports_still_read():
    import base64

    from latentbench.report.data import _decode_array, _encode_array

    grid = np.zeros((10, 3, 7, 1, 64, 64), dtype=np.uint8)
    grid[..., 20:40, 20:40] = 255
    text = _encode_array(grid)
    assert len(text) < grid.nbytes / 20 and text == _encode_array(grid)  # small and deterministic
    np.testing.assert_array_equal(_decode_array({"npy_zlib_b64": text}), grid)
    buf = io.BytesIO()
    np.save(buf, grid[:1])
    old = {"npy_b64": base64.b64encode(buf.getvalue()).decode("ascii")}
    np.testing.assert_array_equal(_decode_array(old), grid[:1])


def test_an_export_keeps_the_names_a_checkpoint_was_stored_under(seed_store, tmp_path):
    from latentbench.report.data import export_store

    path, _ = seed_store
    export_store(ReportData.load(path), tmp_path / "e.json")
    again = ReportData.load(tmp_path / "e.json")
    assert again.aliases == {"ref:pca@0": {"ref:pca@2"}}
    assert {r["model"] for r in json.loads((tmp_path / "e.json").read_text())["results"]} >= {"ref:pca@0", "ref:pca@2"}
