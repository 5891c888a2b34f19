"""``compare``: one model inside the band of reference models (paired tests with Holm, seed spread apart)
and ``latentbench report`` end to end on a store built here (every output file, plots, projections)."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest
from test_report_leaderboard import N, add_job

from latentbench.cli import main
from latentbench.report.compare import base_name, compare
from latentbench.report.data import ReportData
from latentbench.report.significance import holm, paired_bootstrap, seeded_rng
from latentbench.store import ResultStore


@pytest.fixture()
def band_store(tmp_path) -> ResultStore:
    rng = np.random.default_rng(3)
    store = ResultStore(tmp_path / "r.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    x = rng.uniform(0, 1, N)
    noise = rng.normal(0, 0.01, N)
    add_job(store, "mine", x)
    add_job(store, "ref:a", x + 0.05)            # clearly worse than mine
    add_job(store, "ref:a@1", x + 0.06)
    add_job(store, "ref:a@2", x + 0.02)          # training seeds of ref:a: a band, no p-value
    add_job(store, "ref:b", x + noise - noise.mean() + 1e-5)  # no paired difference: tied
    add_job(store, "ref:c", x - 0.03, per_example=False, ci_method="subsample")  # better, but untestable
    add_job(store, "mine", status="skipped", task="likelihood/digits", metric="iwae", direction="higher", family="likelihood",
            message="needs likelihood; model has encode")
    add_job(store, "ref:a", rng.normal(-90, 5, N), task="likelihood/digits", metric="iwae", direction="higher", family="likelihood")
    add_job(store, "null:random", x + 1.0)
    return store


def test_compare_places_the_model_and_tests_each_reference(band_store):
    data = ReportData(band_store)
    result = compare(data, "mine", n_resamples=1000)
    assert result.references == ["ref:a", "ref:b", "ref:c"]  # representatives; seeds of ref:a form its band
    (row,) = result.rows
    verdicts = {rr.reference: rr.verdict for rr in row.refs}
    assert verdicts == {"ref:a": "better", "ref:b": "tied", "ref:c": "n/a"}
    assert "no per-example values" in next(rr.note for rr in row.refs if rr.reference == "ref:c")
    assert row.position == "2nd of 4 (behind ref:c)"
    # Holm across the references tested in this row, on the paired-bootstrap p-values
    arr = {r["model"]: band_store.artifact(r, "per_example/mse") for r in data.rows if r["task"] == "reconstruction/digits"}
    raw = {ref: paired_bootstrap(arr["mine"].astype(float), arr[ref].astype(float),
                                 rng=seeded_rng(row.row.key, "mine", ref), n_resamples=1000).p_value for ref in ("ref:a", "ref:b")}
    adjusted = holm(raw)
    for rr in row.refs:
        if rr.reference in adjusted:
            assert rr.p_holm == pytest.approx(adjusted[rr.reference])
    a = next(rr for rr in row.refs if rr.reference == "ref:a")
    assert a.difference.diff == pytest.approx(-0.05, abs=1e-6) and a.difference.ci_high < 0
    # the seed band: range and sd only
    (band,) = row.bands
    assert band.reference == "ref:a" and sorted(band.members) == ["ref:a", "ref:a@1", "ref:a@2"]
    assert band.where(row.cell.value, "lower") == "better than every seed"
    md = result.to_markdown()
    assert "better than ref:a on reconstruction/digits mse" in result.summary()
    assert "tied with ref:b on reconstruction/digits mse" in result.summary()
    band_text = md.split("ref:a over 3 training seeds")[1].split("|")[0]
    assert "p" not in band_text.replace("seed", "").replace("sd", "").replace("spread", "")
    assert "likelihood/digits (v1) iwae: mine skipped (needs likelihood; model has encode)" in md
    assert "null:random" not in md.split("## how to read this")[0]  # baselines are not references


def test_compare_names_and_errors(band_store):
    assert base_name("ref:vae@2") == "ref:vae" and base_name("ref:vae") == "ref:vae" and base_name("a@b") == "a@b"
    data = ReportData(band_store)
    only_b = compare(data, "mine", against=["ref:b"], n_resamples=200)
    assert only_b.references == ["ref:b"]
    with pytest.raises(Exception, match="has no results"):
        compare(data, "nobody")
    with pytest.raises(Exception, match="reference 'ref:zzz' has no results"):
        compare(data, "mine", against=["ref:zzz"])


def test_compare_cli(band_store, tmp_path, capsys):
    band_store.close()
    out = tmp_path / "cmp"
    assert main(["compare", "mine", "--store", str(tmp_path / "r.db"), "--bootstrap-iters", "300", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# mine against the reference models") and "**Summary (primary scores):** mine: better than ref:a" in text
    doc = json.loads((out / "compare.json").read_text())
    assert doc["model"] == "mine" and doc["rows"][0]["references"][0]["verdict"] == "better"
    assert main(["compare", "nobody", "--store", str(tmp_path / "r.db"), "--quiet"]) == 2


def test_report_cli_writes_every_output_from_the_store(band_store, tmp_path, capsys):
    rng = np.random.default_rng(0)
    # a stored latent sample (what the runner is proposed to keep): the report projects it, never encodes
    base = add_job(band_store, "ref:b", rng.uniform(0, 1, N), task="reconstruction/tiny", family="reconstruction")
    rows = band_store.job_rows(base)
    z = np.vstack([rng.normal(0, 1, (30, 5)), rng.normal(4, 1, (30, 5))]).astype(np.float32)
    band_store.write_job(rows, {"per_example/mse": band_store.artifact(base, "per_example/mse"), "latents/z": z,
                                "latents/labels": np.repeat([0, 1], 30), "latents/label_name": np.array("digit"),
                                "traversal_grid": (rng.uniform(0, 1, (3, 2, 5, 1, 8, 8)) * 255).astype(np.uint8)})
    band_store.close()
    out = tmp_path / "rep"
    assert main(["report", "--store", str(tmp_path / "r.db"), "--out", str(out), "--bootstrap-iters", "300", "--quiet",
                 "--note", "A note for the header."]) == 0
    md = capsys.readouterr().out
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"leaderboard.md", "leaderboard.html", "leaderboard.tex", "leaderboard.json", "leaderboard.csv", "results.json",
            "results.csv", "plots/bars-tiny-reconstruction.png", "plots/bars-tiny-reconstruction.svg",
            "plots/bars-digits-reconstruction.png",  # one set of bars per benchmark (dataset)
            "plots/latents-ref-b-tiny.png", "plots/latents-ref-b-tiny.svg", "plots/traversal-ref-b-reconstruction-tiny.png"} <= names
    assert md.startswith("# latentbench leaderboard") and "A note for the header." in md
    assert f"Generated by `latentbench report --store {tmp_path / 'r.db'}" in md
    assert "[latents-ref-b-tiny](plots/latents-ref-b-tiny.png)" in md
    page = (out / "leaderboard.html").read_text()
    assert page.count('src="data:image/png;base64,') == len([n for n in names if n.endswith(".png")])
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page), "the page must load nothing (links within the page only)"
    assert "<script src" not in page and "<link" not in page
    doc = json.loads((out / "results.json").read_text())
    assert doc["schema"] == "latentbench-report" and doc["schema_version"] == 1
    assert doc["runs"][0]["git_commit"] == "abc" and doc["runs"][0]["versions"] == {"numpy": "9.9"}
    assert "numpy" in doc["generated_by"]["library_versions"]
    stored = {(r["model"], r["task"], r["metric"], r["seed"]): r["value"] for r in ResultStore(tmp_path / "r.db").rows()}
    assert {(r["model"], r["task"], r["metric"], r["seed"]): r["value"] for r in doc["results"]} == stored
    cells = {(r["model"], r["task"], r["metric"]): r for r in doc["leaderboard"]["rows"]}
    assert cells[("mine", "reconstruction/digits", "mse")]["value"] == stored[("mine", "reconstruction/digits", "mse", 0)]
    raw = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert len(raw) == len(stored) and {r["device"] for r in raw} == {"cpu"}
    assert "\\begin{tabular}" in (out / "leaderboard.tex").read_text()


def test_latent_sample_artifacts_pick_the_same_rows_for_every_model(tmp_path):
    from latentbench.data import load_dataset
    from latentbench.artifacts import latent_sample_artifacts
    from latentbench.report.data import load_report_data
    from latentbench.report.plots import projection_figure

    d = load_dataset("digits")
    n = len(d.split("test"))
    a = latent_sample_artifacts(d, "test", np.arange(n * 3, dtype=float).reshape(n, 3), max_points=50)
    b = latent_sample_artifacts(d, "test", np.ones((n, 4)), max_points=50)
    assert np.array_equal(a["latents/rows"], b["latents/rows"]) and a["latents/z"].shape == (50, 3)
    assert np.array_equal(a["latents/labels"], d.labels[a["latents/rows"]]) and str(a["latents/label_name"]) == "label"
    assert latent_sample_artifacts(d, "test", np.ones((n, 300))) == {}  # too wide to store
    with pytest.raises(Exception, match="must have shape"):
        latent_sample_artifacts(d, "test", np.ones((n - 1, 4)))
    # stored with a job, the report reads them back (and only them) for the projections
    store = ResultStore(tmp_path / "r.db")
    base = add_job(store, "ref:x", np.linspace(0, 1, N))
    store.write_job(store.job_rows(base), {**a, "per_example/mse": np.linspace(0, 1, N).astype(np.float32)})
    (sample,) = load_report_data(store).latent_samples()
    assert sample["model"] == "ref:x" and sample["label_name"] == "label" and np.array_equal(sample["z"], a["latents/z"])
    fig = projection_figure(sample, methods=("pca",))
    assert len(fig.axes) >= 1
