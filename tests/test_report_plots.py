"""The plots drawn from stored per-dimension artifacts (KL per dimension, DCI importance, MIG per
factor, scale curves, labelled traversals), the 0 that prints as 0, and the report's progress lines
(silenced by ``--quiet``)."""

from __future__ import annotations

import numpy as np
import pytest
from test_report_leaderboard import N, add_job

from latentbench.cli import main
from latentbench.report.build import write_report
from latentbench.report.data import ReportData
from latentbench.report.leaderboard import fmt
from latentbench.report.plots import _traversal_labels
from latentbench.store import ResultStore

pytest.importorskip("matplotlib")


def _store_with_artifacts(tmp_path) -> ResultStore:
    rng = np.random.default_rng(5)
    store = ResultStore(tmp_path / "r.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    for m in ("ref:vae", "ref:ae", "null:identity"):
        base = add_job(store, m, rng.uniform(0, 1, N), task="collapse/shapes", family="collapse")
        store.write_job(store.job_rows(base), {"per_example/mse": store.artifact(base, "per_example/mse"),
                                               "kl_per_dim": np.array([2.0, 0.0, 1.5])})
        base = add_job(store, m, rng.uniform(0, 1, N), task="dci/shapes", family="disentanglement")
        rows = 4096 if m == "null:identity" else 3
        store.write_job(store.job_rows(base), {"per_example/mse": store.artifact(base, "per_example/mse"),
                                               "importance_matrix": np.eye(rows, 2) + 0.01,
                                               "mig_per_factor": np.array([0.5, 0.1])})
        base = add_job(store, m, rng.uniform(0, 1, N), task="traversals/shapes", family="disentanglement")
        store.write_job(store.job_rows(base), {"per_example/mse": store.artifact(base, "per_example/mse"),
                                               "traversal_grid": (rng.uniform(0, 1, (3, 2, 5, 1, 8, 8)) * 255).astype(np.uint8),
                                               "traversal_change": np.array([0.02, 0.0, 0.01], dtype=np.float32),
                                               "traversal_anchor": (rng.uniform(0, 1, (2, 1, 8, 8)) * 255).astype(np.uint8),
                                               "traversal_anchor_factors": np.array([[1, 4], [0, 2]], dtype=np.int32),
                                               "traversal_factor_names": np.array(["shape", "scale"]),
                                               "traversal_mutual_info": np.array([[0.5, 0.1], [0.0, 0.0], [0.1, 0.9]], dtype=np.float32),
                                               "traversal_factor_entropy": np.array([1.0, 1.8], dtype=np.float32)})
        base = add_job(store, m, rng.uniform(0, 1, N), task="intrinsic-dimension/shapes", family="dimension")
        store.write_job(store.job_rows(base), {"per_example/mse": store.artifact(base, "per_example/mse"),
                                               "scale_curve/radius": np.array([1.0, 2.0, 4.0]),
                                               "scale_curve/dimension": np.array([3.0, 2.5, 2.4])})
    return store


def test_diagnostic_plots_are_drawn_from_the_stored_artifacts(tmp_path):
    store = _store_with_artifacts(tmp_path)
    result = write_report(ReportData(store), tmp_path / "rep", title="t", n_resamples=100)
    names = {p.name for p in (tmp_path / "rep" / "plots").glob("*.png")}
    assert {"kl-per-dim-collapse-shapes.png", "importance-dci-shapes.png", "mig-per-factor-dci-shapes.png",
            "scale-curve-intrinsic-dimension-shapes.png", "traversal-ref-vae-traversals-shapes.png"} <= names
    assert not any(n.startswith("traversal-null-identity") for n in names)  # pixel dimensions: no traversal
    notes = " ".join(result.plot_notes)
    assert "null:identity" in notes and "4096 latent rows" in notes
    page = (tmp_path / "rep" / "leaderboard.html").read_text()
    assert 'href="#plot-kl-per-dim-collapse-shapes"' in page and 'id="plot-kl-per-dim-collapse-shapes"' in page  # linked from the contents
    assert "collapsed dimensions" in page  # each plot has a caption that says what to look for


def test_traversal_rows_carry_their_change_and_main_factor():
    grid = np.zeros((3, 1, 4, 1, 2, 2), dtype=np.uint8)
    importance = np.array([[0.9, 0.1], [0.0, 0.0], [0.2, 0.6]])
    labels = _traversal_labels(grid, np.array([0.02, 0.0, 0.5]), importance)
    assert labels == ["z0  Δ 0.020  → f0 (90%)", "z1  Δ 0", "z2  Δ 0.50  → f1 (75%)"]
    # the task's own mutual information, over each factor's entropy, with the factors' names, wins over DCI's importance
    mi = np.array([[0.5, 0.1], [0.0, 0.0], [0.1, 0.9]])
    labels = _traversal_labels(grid, None, importance, mi, np.array([1.0, 1.8]), ["shape", "scale"])
    assert labels == ["z0  → shape (50% of H)", "z1", "z2  → scale (50% of H)"]


def test_the_traversal_plot_shows_the_anchor_and_its_factor_values(tmp_path):
    from latentbench.report.plots import _anchor_note, traversal_figure

    grid = np.zeros((2, 1, 3, 1, 4, 4), dtype=np.uint8)
    anchor = np.full((1, 4, 4), 255, dtype=np.uint8)
    note = _anchor_note(np.array([[1, 4]]), ["shape", "scale"])
    assert note == "shape = 1\nscale = 4"
    fig = traversal_figure(grid, title="t", anchor_image=anchor, anchor_note=note)
    ax_anchor = fig.axes[0]
    assert ax_anchor.get_title() == "anchor (input)" and ax_anchor.get_xlabel() == note
    np.testing.assert_array_equal(ax_anchor.images[0].get_array(), np.ones((4, 4)))
    assert len(traversal_figure(grid, title="t").axes) == 1  # no anchor stored: the grid alone


def test_a_zero_prints_as_zero():
    assert fmt(0.0) == "0" and fmt(1.384e-308) == "0" and fmt(-5e-324) == "0"
    assert fmt(1e-12) == "1.000e-12" and fmt(0.5) == "0.5000"


def test_report_prints_progress_unless_quiet(tmp_path, capsys):
    store = ResultStore(tmp_path / "r.db")
    add_job(store, "ref:a", np.random.default_rng(0).uniform(0, 1, N))
    store.close()
    assert main(["report", "--store", str(tmp_path / "r.db"), "--out", str(tmp_path / "a"), "--bootstrap-iters", "50", "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "report: 1 stored rows" in err and "report: writing the HTML page" in err
    assert main(["report", "--store", str(tmp_path / "r.db"), "--out", str(tmp_path / "b"), "--bootstrap-iters", "50", "--no-plots",
                 "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_reconstruction_grids_prior_samples_and_factor_panels_are_drawn_from_the_stored_artifacts(tmp_path):
    """Inputs above outputs, prior samples and one projection panel per factor: each plot is written,
    captioned and linked from the contents; the grid's top row is the stored inputs."""
    from latentbench.artifacts import latent_sample_artifacts
    from latentbench.data import load_dataset
    from latentbench.report.images import reconstruction_grid_figure

    rng = np.random.default_rng(2)
    shapes = load_dataset("shapes")
    test = shapes.split("test")
    inputs = (rng.uniform(0, 1, (8, 1, 8, 8)) * 255).astype(np.uint8)
    store = ResultStore(tmp_path / "r.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    for m in ("ref:vae", "ref:ae"):
        base = add_job(store, m, rng.uniform(0, 1, N), task="reconstruction/shapes")
        arts = {"per_example/mse": store.artifact(base, "per_example/mse"), "recon/inputs": inputs,
                "recon/outputs": (rng.uniform(0, 1, (8, 1, 8, 8)) * 255).astype(np.uint8),
                **latent_sample_artifacts(shapes, "test", rng.normal(size=(len(test), 3)), max_points=120)}
        if m == "ref:vae":
            arts["prior/samples"] = (rng.uniform(0, 1, (8, 1, 8, 8)) * 255).astype(np.uint8)
        store.write_job(store.job_rows(base), arts)
    data = ReportData(store)
    sample = data.latent_samples()[0]
    assert sample["factors"].shape == (120, len(shapes.factor_names)) and sample["factor_names"] == list(shapes.factor_names)
    rows = sorted(store.artifact(base, "latents/rows"))
    np.testing.assert_array_equal(sample["factors"], shapes.factors[rows])  # the factor values of the projected rows
    result = write_report(data, tmp_path / "rep", title="t", n_resamples=100)
    names = {p.name for p in (tmp_path / "rep" / "plots").glob("*.png")}
    assert {"reconstructions-reconstruction-shapes.png", "prior-samples-reconstruction-shapes.png",
            "latents-by-factor-ref-vae-shapes.png", "latents-by-factor-ref-ae-shapes.png"} <= names
    page = (tmp_path / "rep" / "leaderboard.html").read_text()
    for name in ("reconstructions-reconstruction-shapes", "prior-samples-reconstruction-shapes", "latents-by-factor-ref-vae-shapes"):
        assert f'href="#plot-{name}"' in page and f'id="plot-{name}"' in page
    assert "fixed test inputs (top row" in page and "one small panel per ground-truth factor" in page
    assert not any("No reconstruction grids" in n for n in result.plot_notes)
    # the figure's top row is the stored inputs, then one row per model
    fig = reconstruction_grid_figure([{"model": "a", "array": inputs}, {"model": "b", "array": inputs}],
                                     [{"model": "a", "array": inputs}, {"model": "b", "array": inputs[::-1]}], task="t")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["input", "a", "b"]
    mosaic = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(mosaic[1:9, 1:9], inputs[0, 0] / 255.0)


def test_bars_and_radar_are_drawn_per_benchmark_with_only_its_models(tmp_path):
    """Two benchmarks (digits and shapes) with different models: each benchmark gets its own bars
    and radar, and a benchmark's bars show only the models evaluated on it."""
    from latentbench.report.leaderboard import Leaderboard
    from latentbench.report.plots import family_bars

    rng = np.random.default_rng(2)
    store = ResultStore(tmp_path / "r.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    for m in ("ref:pca", "ref:vae"):
        add_job(store, m, rng.uniform(0, 1, N), task="reconstruction/digits", family="reconstruction")
    for m in ("ref:ae-shapes", "ref:vae-shapes", "ref:beta-shapes"):
        add_job(store, m, rng.uniform(0, 1, N), task="reconstruction/shapes", family="reconstruction", dataset_fp="data-b", split_fp="split-b")
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=50)
    benches = {b.name: b for b in board.benchmarks()}
    assert set(benches) == {"digits", "shapes"}
    for name, models in (("digits", {"ref:pca", "ref:vae"}), ("shapes", {"ref:ae-shapes", "ref:vae-shapes", "ref:beta-shapes"})):
        fig = family_bars(board, "reconstruction", bench=benches[name])
        shown = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels()}
        assert shown == models, (name, shown)
    write_report(ReportData(store), tmp_path / "rep", title="t", n_resamples=50)
    names = {p.name for p in (tmp_path / "rep" / "plots").glob("bars-*.png")}
    assert names == {"bars-digits-reconstruction.png", "bars-shapes-reconstruction.png"}
