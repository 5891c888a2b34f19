"""A leaderboard is a set of benchmarks: one per dataset (or declared group), each with only its
models and a mean rank over the same tasks for every model (``n/N tasks`` otherwise)."""

from __future__ import annotations

import numpy as np
import pytest
from test_report_leaderboard import N, add_job, parse_html, table_cells

from latentbench.report.benchmarks import RankSummary, model_metadata, split_benchmarks
from latentbench.report.data import ReportData
from latentbench.report.html import render_html
from latentbench.report.leaderboard import Leaderboard
from latentbench.store import ResultStore


@pytest.fixture()
def two_datasets() -> ResultStore:
    """digits: a, b, c on mse (lower) and iwae (higher); c has no likelihood (skipped).
    shapes: d, e on mse; a was trained on digits (its shapes cells say so)."""
    rng = np.random.default_rng(3)
    store = ResultStore(":memory:")
    base = rng.uniform(0, 0.1, N)
    for m, off in (("ref:a", 0.0), ("ref:b", 0.01), ("ref:c", 0.02)):  # mse: a 1, b 2, c 3
        add_job(store, m, base + off)
    for m, off in (("ref:a", 0.0), ("ref:b", 5.0)):  # iwae (higher): b 1, a 2
        add_job(store, m, rng.normal(-90, 1, N) + off, task="likelihood/digits", metric="iwae", direction="higher", family="likelihood")
    add_job(store, "ref:c", task="likelihood/digits", metric="iwae", direction="higher", family="likelihood", status="skipped",
            message="needs likelihood; model has decode, encode")
    add_job(store, "null:random", base + 1.0)
    for m, off in (("ref:d", 0.0), ("ref:e", 0.05)):
        add_job(store, m, base + off, task="reconstruction/shapes", split_fp="split-s", dataset_fp="data-s")
    add_job(store, "ref:a", task="reconstruction/shapes", split_fp="split-s", dataset_fp="data-s", status="skipped",
            message="ref:a was trained on digits, not shapes")
    return store


def test_one_benchmark_per_dataset_with_only_its_models(two_datasets):
    data = ReportData(two_datasets)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=200)
    digits, shapes = split_benchmarks(board)
    assert (digits.name, shapes.name) == ("digits", "shapes")
    assert digits.models == ["ref:a", "ref:b", "ref:c"] and digits.baselines == ["null:random"]
    assert shapes.models == ["ref:d", "ref:e"] and shapes.baselines == []  # ref:a was trained elsewhere: not a column here
    # a declared group puts both datasets in one benchmark
    (both,) = split_benchmarks(board, {"all": ["digits", "shapes"]})
    assert both.datasets == ("digits", "shapes") and set(both.models) == {"ref:a", "ref:b", "ref:c", "ref:d", "ref:e"}


def test_mean_rank_is_over_the_same_tasks_for_every_model(two_datasets):
    data = ReportData(two_datasets)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=200)
    digits, shapes = split_benchmarks(board)
    ranks = digits.mean_ranks()
    # mse: a 1, b 2, c 3; iwae: b 1, a 2; c has no iwae -> no mean rank, 1/2 tasks
    assert ranks == {"ref:a": RankSummary(1.5, 2, 2), "ref:b": RankSummary(1.5, 2, 2), "ref:c": RankSummary(None, 1, 2)}
    assert ranks["ref:c"].text() == "1/2 tasks" and ranks["ref:a"].text() == "1.50"
    # per family: over that family's rows only, where c has everything
    assert digits.mean_ranks("reconstruction")["ref:c"] == RankSummary(3.0, 1, 1)
    assert digits.mean_ranks("likelihood")["ref:c"] == RankSummary(None, 0, 1)
    assert digits.ordered_models() == ["ref:a", "ref:b", "ref:c"]  # by mean rank, then those without one
    assert shapes.mean_ranks() == {"ref:d": RankSummary(1.0, 1, 1), "ref:e": RankSummary(2.0, 1, 1)}
    # the JSON carries the same numbers
    (bd, _) = board.to_dict()["benchmarks"]
    assert bd["mean_ranks"]["ref:c"] == {"mean_rank": None, "n": 1, "of": 2} and bd["mean_ranks"]["ref:a"]["mean_rank"] == 1.5


def test_markdown_has_models_as_rows_and_reasons_as_footnotes(two_datasets):
    data = ReportData(two_datasets)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=200)
    md = board.to_markdown(title="t")
    assert "## benchmark: digits" in md and "## benchmark: shapes" in md
    overview = [line for line in md.splitlines() if line.startswith("| ref:c |") and "1/2 tasks" in line]
    assert overview, "the overview row of ref:c shows 1/2 tasks instead of a mean rank"
    cells = table_cells(md)
    assert cells[("likelihood/digits (v1)", "iwae ↑ (primary)")]["ref:c"] == "skipped: needs likelihood; model has decode, encode"
    assert "[^1]: needs likelihood; model has decode, encode" in md  # the reason once, as a footnote
    assert "needs likelihood" not in "".join(line for line in md.splitlines() if line.startswith("| ref:c |"))
    assert set(cells[("reconstruction/shapes (v1)", "mse ↓ (primary)")]) == {"ref:d", "ref:e"}


def test_html_has_a_tab_per_benchmark_and_a_truthful_initial_sort(two_datasets):
    data = ReportData(two_datasets)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=200)
    page = render_html(board, title="t")
    assert page.count('role="tab"') == 2 and page.count('role="tabpanel"') == 2
    assert 'id="search"' in page and '<nav id="toc"' in page and 'href="#bench-shapes"' in page
    parsed = parse_html(page)
    sorted_heads = [h for h in parsed.heads if "aria-sort" in h]
    assert [h["aria-sort"] for h in sorted_heads] == ["ascending", "ascending"]  # mean rank, one per table
    assert all("mean rank" in h["text"] for h in sorted_heads)
    # the rows are in that order: mean rank ascending, those without one last
    order = [m for m in parsed.rows if m.startswith("ref:") and m in ("ref:a", "ref:b", "ref:c")]
    assert order == ["ref:a", "ref:b", "ref:c"]
    assert page.count("<button type=\"button\">") >= 2 * 5  # every header sorts from the keyboard


def test_report_groups_the_text_and_anomaly_datasets_into_one_benchmark_each(capsys):
    """By default the report makes one benchmark of each of the text and anomaly suites' datasets
    (many small datasets, one question), leaves a dataset another suite uses (digits) and the
    transfer suite's shifted datasets (disjoint models) their own, and takes --benchmark NAME=DS,DS
    declarations first; a malformed one is a usage error."""
    from latentbench.cli import _benchmark_groups, main

    groups = _benchmark_groups([])
    assert groups["text"] == ["google-analogies", "wordsim353", "simlex999"]
    assert "digits" not in {d for ds in groups.values() for d in ds}
    assert "transfer" not in groups and "shapes-anomaly" in groups["anomaly"]
    mine = _benchmark_groups([("words", ["wordsim353", "simlex999"])])
    assert mine["words"] == ["wordsim353", "simlex999"] and mine["text"] == ["google-analogies"]
    with pytest.raises(SystemExit) as exc:
        main(["report", "--benchmark", "nodatasets", "--out", "x"])
    assert exc.value.code == 2 and "NAME=DATASET" in capsys.readouterr().err


def test_training_record_is_found_past_a_job_skipped_on_another_dataset(tmp_path):
    """A reference's first job in the table may be one skipped on a dataset it was not trained for,
    whose identity has no stored description; the header and the metadata columns still find the
    training record under the model's other identity."""
    from latentbench.report.build import describe_provenance

    store = ResultStore(tmp_path / "r.db")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    add_job(store, "ref:vae-shapes@0", status="skipped", message="trained on shapes", task="reconstruction/digits")
    base = add_job(store, "ref:vae-shapes@0", np.linspace(0, 1, N), task="reconstruction/shapes", dataset_fp="data-b", split_fp="split-b")
    base2 = add_job(store, "ref:ae-shapes@0", np.linspace(0, 2, N), task="reconstruction/shapes", dataset_fp="data-b", split_fp="split-b")
    store.close()  # add_job gives both jobs the same fake identity: the skipped one gets an undescribed one

    import sqlite3

    con = sqlite3.connect(tmp_path / "r.db")
    con.execute("update results set model_fp = 'fp-unbound' where task = 'reconstruction/digits'")
    con.execute("update results set model_id = 'state-of-' || model")  # one model (state), two identities
    con.commit()
    con.close()
    store = ResultStore(tmp_path / "r.db")
    for name, b in (("ref:vae-shapes@0", base), ("ref:ae-shapes@0", base2)):
        store.add_model(b["model_fp"], name, "torch", {"latent_dim": 10, "n_parameters": 1234,
                                                      "metadata": {"tier": "quick", "seed": 0, "device": "cpu", "train_seconds": 12.5,
                                                                   "dataset": "shapes"}})
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=50)
    header = " ".join(describe_provenance(data, board))
    assert "ref:vae-shapes@0: quick spec, seed 0, trained on cpu in 12.5 s" in header and "no training record" not in header
    shapes = next(b for b in board.benchmarks() if b.name == "shapes")
    meta = model_metadata(board, shapes, "ref:vae-shapes@0")
    assert meta["parameters"] == "1,234" and meta["training time"] == "12.5 s"
