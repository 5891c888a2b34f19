"""The leaderboard read from a small store built here (rows and per-example artifacts written with
``ResultStore.write_job``): numbers equal the stored ones, ties are marked exactly where the paired
test says so, skipped and failed cells say why, and rows of different versions, data or estimators
are kept apart.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import math
import re
from typing import Any

import numpy as np
import pytest

from latentbench.report.data import ReportData, export_store, load_report_data
from latentbench.report.leaderboard import Leaderboard, fmt
from latentbench.report.significance import holm, paired_bootstrap, seeded_rng
from latentbench.store import ResultStore

N = 300


# ---------------------------------------------------------------------------------------------- helpers
def add_job(store: ResultStore, model: str, values: np.ndarray | None = None, *, task: str = "reconstruction/digits",
            metric: str = "mse", direction: str = "lower", family: str = "reconstruction", version: int = 1,
            status: str = "ok", message: str | None = None, seed: int = 0, split_fp: str = "split-a", dataset_fp: str = "data-a",
            estimator_params: dict[str, Any] | None = None, per_example: bool = True, run_id: str = "run-1",
            extra: dict[str, tuple[str, float | None]] | None = None, ci_method: str = "bootstrap") -> dict[str, Any]:
    """Write one job: a primary metric (mean of ``values`` with a normal interval) and optional extra metrics."""
    est = {"class": "Fake", "class_version": 1, "params": estimator_params or {"k": 1}, "standardization": "none"}
    base = {"model_fp": f"fp-{model}", "task": task, "task_version": version, "params_hash": hashlib.sha256(json.dumps(est, sort_keys=True).encode()).hexdigest()[:16],
            "split_fp": split_fp, "seed": seed, "model": model, "family": family, "dataset": task.split("/")[-1],
            "dataset_fp": dataset_fp, "split": "test", "params": {"estimator": est, "dataset_params": {}}, "run_id": run_id,
            "seconds": 0.25}
    if status != "ok":
        store.write_job([{**base, "metric": metric, "direction": direction, "is_primary": 1, "status": status, "message": message}])
        return base
    v = np.asarray(values, dtype=np.float32)
    mean = float(v.astype(np.float64).mean())
    se = float(v.std(ddof=1) / math.sqrt(len(v)))
    rows = [{**base, "metric": metric, "value": mean, "ci_low": mean - 1.96 * se, "ci_high": mean + 1.96 * se,
             "ci_method": ci_method, "stderr": se, "n": len(v), "direction": direction, "is_primary": 1, "status": "ok"}]
    for name, (d, val) in (extra or {}).items():
        rows.append({**base, "metric": name, "value": val, "n": len(v), "direction": d, "is_primary": 0, "status": "ok"})
    store.write_job(rows, {f"per_example/{metric}": v} if per_example else None)
    return base


def table_cells(md: str) -> dict[tuple[str, str], dict[str, str]]:
    """Markdown leaderboard -> {(task label, metric label): {model: cell text}}.

    Models are rows; a score column is headed ``task (vN) · metric``; a skip or failure reason is a
    footnote ``[^n]``, put back as ``skipped: reason`` here.
    """
    notes = dict(re.findall(r"^\[\^(\d+)\]: (.*)$", md, flags=re.M))
    out: dict[tuple[str, str], dict[str, str]] = {}
    header: list[str] = []
    for line in md.splitlines():
        if line.startswith("| model |"):
            header = [c.strip() for c in line.strip("|").split("|")]
            header = header if len(header) > 1 and header[1] != "kind" else []
        elif line.startswith("|") and header and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for col, text in zip(header[1:], cells[1:]):
                task, metric = col.rsplit(" · ", 1)
                text = re.sub(r"\[\^(\d+)\]", lambda m: ": " + notes[m.group(1)], text)
                out.setdefault((task, metric.removesuffix(" †")), {})[cells[0]] = text
        elif not line.startswith("|"):
            header = []
    return out


class _Cells(html.parser.HTMLParser):
    """Collect the leaderboard table of the HTML: model rows -> list of (attrs, text) per cell."""

    def __init__(self) -> None:
        super().__init__()
        self.heads: list[dict[str, Any]] = []
        self.rows: dict[str, list[tuple[dict[str, str], str]]] = {}
        self._row: str | None = None
        self._cell: dict[str, str] | None = None
        self._th: dict[str, str] | None = None
        self._text: list[str] = []
        self._in_board = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table" and "board" in a.get("class", "").split():
            self._in_board = True
        if not self._in_board:
            return
        if tag == "tr" and "data-model" in a:
            self._row = a["data-model"]
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell, self._text = a, []
        elif tag == "th":
            self._th, self._text = a, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_board = False
        if tag == "td" and self._cell is not None and self._row is not None:
            self.rows[self._row].append((self._cell, "".join(self._text).strip()))
            self._cell = None
        elif tag == "th" and self._th is not None:
            self.heads.append({**self._th, "text": "".join(self._text).strip()})
            self._th = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None or self._th is not None:
            self._text.append(data)

    @property
    def first_score(self) -> int:
        """The index of the first score column (after the model, its metadata and the mean ranks)."""
        return next(i for i, h in enumerate(self.heads) if "data-dir" in h)


def parse_html(text: str) -> _Cells:
    p = _Cells()
    p.feed(text)
    return p


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture()
def tie_store(rng) -> ResultStore:
    """Five models on one lower-is-better row, built so the answers are known.

    * ``ref:best``: the best mean.
    * ``ref:identical``: the same per-example values as ``ref:best`` (exactly tied, both best).
    * ``ref:noise``: ``best`` plus zero-mean noise: a slightly higher mean, no paired difference -> tied.
    * ``ref:shifted``: ``best + 0.02`` on every example: marginal intervals overlap, the paired test
      separates it -> NOT tied.
    * ``ref:far``: clearly worse.
    """
    store = ResultStore(":memory:")
    best = rng.uniform(0.0, 1.0, N).astype(np.float32)
    noise = rng.normal(0.0, 0.01, N)
    noise -= noise.mean() - 1e-5
    add_job(store, "ref:best", best)
    add_job(store, "ref:identical", best.copy())
    add_job(store, "ref:noise", best + noise)
    add_job(store, "ref:shifted", best + 0.02 + rng.normal(0, 0.001, N))
    add_job(store, "ref:far", best + 0.3)
    add_job(store, "null:identity", np.zeros(N))
    return store


# ---------------------------------------------------------------------------------------------- statistics
def test_holm_matches_the_step_down_definition():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm({"a": 0.001, "b": 0.5}) == pytest.approx({"a": 0.002, "b": 0.5})
    assert holm([0.4, 0.3]) == pytest.approx([0.6, 0.6])  # monotone
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # capped at 1
    assert holm([]) == []


def test_paired_bootstrap_identical_and_shifted(rng):
    a = rng.normal(size=200)
    same = paired_bootstrap(a, a.copy(), rng=seeded_rng("x"), n_resamples=500)
    assert same.diff == 0.0 and same.p_value == 1.0 and same.ci_low == same.ci_high == 0.0
    shifted = paired_bootstrap(a + 0.1, a, rng=seeded_rng("x"), n_resamples=500)
    assert shifted.diff == pytest.approx(0.1) and shifted.p_value == pytest.approx(1 / 501)
    with pytest.raises(ValueError, match="same shape"):
        paired_bootstrap(a, a[:10], rng=seeded_rng("x"))


# ---------------------------------------------------------------------------------------------- ties
def test_ties_are_marked_exactly_where_the_paired_test_says(tie_store):
    data = ReportData(tie_store)
    board = Leaderboard.from_rows(data.rows, data=data, n_resamples=1000)
    (row,) = board.rows
    ties = {m: c.tie for m, c in row.cells.items()}
    assert ties == {"ref:best": "best", "ref:identical": "best", "ref:noise": "tied", "ref:shifted": "worse",
                    "ref:far": "worse", "null:identity": None}  # baselines are never ranked, even with a better value
    # the decision is exactly Holm over the paired-bootstrap p-values of the non-best models against the best
    arrays = {m: tie_store.artifact(data.rows[[r["model"] for r in data.rows].index(m)], "per_example/mse").astype(np.float64)
              for m in row.cells}
    ps = {m: paired_bootstrap(arrays[m], arrays["ref:best"], rng=seeded_rng(row.key, m, "ref:best"), n_resamples=1000).p_value
          for m in ("ref:noise", "ref:shifted", "ref:far")}
    adjusted = holm(ps)
    for m, p in adjusted.items():
        assert row.cells[m].p_holm == pytest.approx(p)
        assert (row.cells[m].tie == "tied") == (p > 0.05)
    # overlapping marginal intervals did not make a tie
    s, b = row.cells["ref:shifted"], row.cells["ref:best"]
    assert s.ci_low < b.ci_high, "the construction must have overlapping marginal intervals"
    md = board.to_markdown()
    cells = table_cells(md)[("reconstruction/digits (v1)", "mse ↓ (primary)")]
    assert cells["ref:best"].startswith("**") and cells["ref:identical"].startswith("**")
    assert cells["ref:noise"].endswith(" ≈") and not cells["ref:noise"].startswith("**")
    assert not cells["ref:shifted"].endswith("≈") and not cells["ref:far"].endswith("≈")
    assert "≈" not in cells["null:identity"] and "**" not in cells["null:identity"]


def test_holm_correction_widens_the_ties_in_a_row(rng):
    """Three models each modestly worse than the best: unadjusted several would differ, Holm may keep them tied;
    the marks follow the adjusted p-values, whatever they are."""
    store = ResultStore(":memory:")
    best = rng.uniform(0, 1, N)
    add_job(store, "ref:a", best)
    for i, shift in enumerate((0.004, 0.005, 0.006)):
        add_job(store, f"ref:b{i}", best + shift + rng.normal(0, 0.03, N))
    data = ReportData(store)
    (row,) = Leaderboard.from_rows(data.rows, data=data, n_resamples=1000).rows
    raw = {m: c.vs_best.p_value for m, c in row.cells.items() if c.vs_best is not None}
    assert len(raw) == 3
    adjusted = holm(raw)
    for m in raw:
        assert row.cells[m].p_holm == pytest.approx(adjusted[m]) and row.cells[m].p_holm >= raw[m]
        assert row.cells[m].tie == ("tied" if adjusted[m] > 0.05 else "worse")


def test_tie_test_unavailable_is_said_never_faked(rng):
    store = ResultStore(":memory:")
    best = rng.uniform(0, 1, N)
    add_job(store, "ref:a", best)
    add_job(store, "ref:b", best + 0.5, per_example=False, ci_method="subsample")
    add_job(store, "ref:c", best + 0.001, split_fp="split-a", seed=1)  # another evaluation seed: not paired with ref:a
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data)
    (row,) = board.rows
    assert row.cells["ref:a"].tie == "best"
    assert row.cells["ref:b"].tie == "n/a" and "no per-example values" in row.cells["ref:b"].tie_note
    assert row.cells["ref:c"].tie == "n/a" and "seeds" in row.cells["ref:c"].tie_note
    md = board.to_markdown()
    assert "mse ↓ (primary) †" in md and "† Tie tests not made:" in md and "no per-example values for mse" in md
    assert "≈" not in table_cells(md)[("reconstruction/digits (v1)", "mse ↓ (primary)")]["ref:b"]
    # without a store nothing can be tested, and the table says so
    no_store = Leaderboard.from_rows(data.rows)
    assert {c.tie for m, c in no_store.rows[0].cells.items() if m != "ref:a"} == {"n/a"}
    assert "no store given" in no_store.to_markdown()


def test_per_example_values_that_do_not_reproduce_the_mean_are_not_used(rng):
    store = ResultStore(":memory:")
    best = rng.uniform(0, 1, N)
    add_job(store, "ref:a", best)
    base = add_job(store, "ref:b", best + 0.1)
    rows = store.job_rows(base)
    store.write_job(rows, {"per_example/mse": (best + 0.2).astype(np.float32)})  # artifact of another computation
    data = ReportData(store)
    (row,) = Leaderboard.from_rows(data.rows, data=data).rows
    assert row.cells["ref:b"].tie == "n/a" and "do not average" in row.cells["ref:b"].tie_note


# ---------------------------------------------------------------------------------------------- numbers, statuses, apart
@pytest.fixture()
def mixed_store(rng) -> ResultStore:
    store = ResultStore(":memory:")
    store.add_run("run-1", argv="latentbench run ...", device="cpu", versions={"numpy": "9.9"}, git_commit="abc123", host="h")
    for m, off in (("ref:pca", 0.0), ("ref:vae", 0.05), ("mine", 0.01)):
        add_job(store, m, rng.uniform(0, 0.1, N) + off, extra={"psnr": ("higher", 20.0 - 100 * off), "mse_p50": ("none", 0.03 + off)})
        add_job(store, m, rng.normal(-90 + 100 * off, 5, N), task="likelihood/digits", metric="iwae", direction="higher",
                family="likelihood")
    add_job(store, "null:random", status="skipped", message="needs decode; model has encode")
    add_job(store, "mine", status="failed", task="collapse/digits", metric="active_units", direction="none", family="collapse",
            message="RuntimeError: boom in the encoder")
    add_job(store, "ref:pca", rng.uniform(0, 1, N), task="collapse/digits", metric="active_units", direction="none", family="collapse")
    add_job(store, "null:random", status="skipped", task="likelihood/digits", metric="iwae", direction="higher",
            family="likelihood", message="needs prior, likelihood, posterior; model has encode")
    return store


def _number_of(text: str) -> float:
    return float(text.strip("*").split(" ± ")[0].split(" (")[0])


def test_every_markdown_number_equals_the_stored_value(mixed_store):
    data = ReportData(mixed_store)
    board = Leaderboard.from_rows(data.rows, data=data)
    cells = table_cells(board.to_markdown())
    checked = 0
    for r in data.rows:
        if r["status"] != "ok" or r["value"] is None:
            continue
        arrow = {"higher": " ↑", "lower": " ↓", "none": ""}[r["direction"]]
        label = (f"{r['task']} (v{r['task_version']})", f"{r['metric']}{arrow}" + (" (primary)" if r["is_primary"] else ""))
        text = cells[label][r["model"]]
        assert fmt(r["value"]) in text
        assert _number_of(text) == pytest.approx(r["value"], rel=5e-4, abs=1e-12)
        if r["ci_low"] is not None:
            assert f"± {fmt((r['ci_high'] - r['ci_low']) / 2, 2)}" in text
        checked += 1
    assert checked == 13


def test_every_html_number_equals_the_stored_value(mixed_store):
    from latentbench.report.html import render_html

    data = ReportData(mixed_store)
    board = Leaderboard.from_rows(data.rows, data=data)
    html_text = render_html(board, title="t")
    page = parse_html(html_text)
    first = page.first_score  # model, metadata, mean ranks, then one column per leaderboard row
    cols = page.heads[first:]
    assert len(cols) == len(board.rows)
    # the settings a column's cells share are said once, in its header's hover; library versions once per run
    assert 'title="reconstruction/digits (v1) · mse · lower is better\nestimator: Fake v1' in html_text
    assert "numpy 9.9" in html_text.split('id="runs"')[1]
    checked = 0
    for r in data.rows:
        if r["status"] != "ok" or r["value"] is None:
            continue
        i = next(i for i, row in enumerate(board.rows) if row.task == r["task"] and row.metric == r["metric"])
        attrs, text = page.rows[r["model"]][i + first]
        assert float(attrs["data-v"]) == r["value"]  # the exact stored float
        assert text.startswith(fmt(r["value"]))
        assert f"value: {r['value']!r}" in attrs["title"] and "n: 300" in attrs["title"] and "device: cpu" in attrs["title"]
        assert "run: run-1; library versions: the run's row in Runs" in attrs["title"]
        assert "the column header's hover" in attrs["title"] or "estimator: Fake v1" in attrs["title"]
        checked += 1
    assert checked == 13


def test_an_asymmetric_interval_prints_its_ends_and_a_symmetric_one_plus_minus():
    from latentbench.report.html import render_html
    from latentbench.report.leaderboard import Cell, interval_text, is_symmetric

    # the defect's cell: an interval that leaves out its value was printed "2.586 ± 0.057"
    assert Cell("ok", 2.586, 3.272, 3.386, "subsample(m=179)", seeds=1).number_text() == "2.586 [3.272, 3.386]"
    assert Cell("ok", 0.5, 0.4, 0.6, "bootstrap", seeds=1).number_text() == "0.5000 ± 0.10"
    assert Cell("ok", 0.02, 0.0, 0.09, "subsample-se(m=50)", seeds=1).number_text() == "0.02000 [0, 0.09000]"  # clipped at 0
    assert Cell("ok", 0.5, None, None, seeds=1).number_text() == "0.5000"
    assert is_symmetric(1.0, 0.9, 1.1) and is_symmetric(1.0, 0.905, 1.105)  # ends 5 % of the half-width off: ±
    assert not is_symmetric(1.0, 0.9, 1.15) and not is_symmetric(1.0, 1.0, 1.2) and not is_symmetric(1.0, 1.1, 1.2)
    assert interval_text(1.0, float("nan"), 2.0) == ""
    # the same cells through the store: Markdown, HTML and LaTeX
    store = ResultStore(":memory:")
    store.add_run("run-1", argv="latentbench run ...", device="cpu", versions={"numpy": "9.9"}, git_commit="abc123", host="h")
    for model, (v, lo, hi) in {"skewed": (2.586, 3.272, 3.386), "even": (2.5, 2.4, 2.6)}.items():
        base = add_job(store, model, status="skipped", task="intrinsic-dimension/digits", metric="mle_latent", direction="none",
                       family="dimension")
        store.write_job([{**base, "metric": "mle_latent", "value": v, "ci_low": lo, "ci_high": hi, "ci_method": "subsample(m=179)",
                          "n": 359, "direction": "none", "is_primary": 1, "status": "ok", "message": "a note on the interval"}])
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data)
    cells = table_cells(board.to_markdown())[("intrinsic-dimension/digits (v1)", "mle_latent (primary)")]
    assert cells == {"skewed": "2.586 [3.272, 3.386]", "even": "2.500 ± 0.10"}
    assert "value [low, high] where the interval is not symmetric" in board.to_markdown()
    tex = board.to_latex()
    assert "2.586 [3.272, 3.386]" in tex and "2.500 $\\pm$ 0.10" in tex
    page = parse_html(render_html(board, title="t"))
    texts = {m: c[page.first_score][1] for m, c in page.rows.items()}
    assert texts["skewed"] == "2.586 [3.272, 3.386]" and texts["even"] == "2.500 ± 0.10"
    assert "note: a note on the interval" in page.rows["skewed"][page.first_score][0]["title"]


def test_failed_and_skipped_cells_render_with_reasons(mixed_store):
    from latentbench.report.html import render_html

    data = ReportData(mixed_store)
    board = Leaderboard.from_rows(data.rows, data=data)
    cells = table_cells(board.to_markdown())
    assert cells[("reconstruction/digits (v1)", "mse ↓ (primary)")]["null:random"] == "skipped: needs decode; model has encode"
    assert cells[("collapse/digits (v1)", "active_units (primary)")]["mine"] == "**failed**: RuntimeError: boom in the encoder"
    assert cells[("likelihood/digits (v1)", "iwae ↑ (primary)")]["null:random"].startswith("skipped: needs prior")
    page = parse_html(render_html(board, title="t"))
    texts = [(m, a.get("class", ""), t) for m, cells_ in page.rows.items() for a, t in cells_]
    assert any(m == "mine" and c == "failed" and "RuntimeError: boom in the encoder" in t for m, c, t in texts)
    assert any(m == "null:random" and "skipped" in c and "needs decode; model has encode" in t for m, c, t in texts)


def test_descriptive_rows_are_shown_not_ranked(mixed_store):
    data = ReportData(mixed_store)
    board = Leaderboard.from_rows(data.rows, data=data)
    desc = [r for r in board.rows if r.direction == "none"]
    assert {r.metric for r in desc} == {"mse_p50", "active_units"}
    assert all(r.best() == set() and r.ranks() == {} and all(c.tie is None for c in r.cells.values()) for r in desc)
    assert "**" not in "".join(table_cells(board.to_markdown())[("reconstruction/digits (v1)", "mse_p50")].values())
    # mean rank uses ranked primary rows only: mse (lower) and iwae (higher)
    ranks = board.mean_ranks()
    # mse: ref:pca 1, mine 2, ref:vae 3; iwae: ref:vae 1, mine 2, ref:pca 3
    assert ranks == {"ref:pca": 2.0, "mine": 2.0, "ref:vae": 2.0}
    assert board.rank_counts()["mine"]["rows"] == 2 and "null:random" not in ranks


def test_rows_of_other_versions_data_or_estimators_are_kept_apart(rng):
    store = ResultStore(":memory:")
    v = rng.uniform(0, 1, N)
    add_job(store, "ref:a", v)
    add_job(store, "ref:b", v + 0.1, version=2)                                         # another task version
    add_job(store, "ref:c", v + 0.2, dataset_fp="data-b", split_fp="split-b")           # another draw of the data
    add_job(store, "ref:d", v + 0.3, estimator_params={"k": 16})                        # other estimator parameters
    add_job(store, "ref:e", v + 0.4)                                                    # the same as ref:a: shares its row
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data)
    assert len(board.rows) == 4
    by_models = {frozenset(r.cells): r for r in board.rows}
    assert set(by_models) == {frozenset({"ref:a", "ref:e"}), frozenset({"ref:b"}), frozenset({"ref:c"}), frozenset({"ref:d"})}
    assert by_models[frozenset({"ref:b"})].task_version == 2
    assert "data data-b" in by_models[frozenset({"ref:c"})].label
    assert "k=16" in by_models[frozenset({"ref:d"})].label
    assert len({r.label for r in board.rows}) == 4  # a reader can tell the rows apart
    (note,) = board.kept_apart
    assert "task versions v1, v2" in note and "dataset fingerprints" in note and "params.k: 1 vs 16" in note
    md = board.to_markdown()
    assert "Kept apart (never one row): reconstruction/digits has 4 rows per metric" in md
    # only models in one row are compared with each other
    assert by_models[frozenset({"ref:a", "ref:e"})].cells["ref:e"].tie == "worse"
    # a row with a single ranked model has no "best": there is nothing to be best against
    assert all(c.tie is None for r in board.rows if len(r.cells) == 1 for c in r.cells.values())
    single = [v for (task, _), cells in table_cells(md).items() if task.startswith("reconstruction/digits (v2)") for v in cells.values()]
    assert single and not any("**" in v for v in single)


def test_report_from_a_json_export_equals_the_store(mixed_store, tmp_path):
    data = ReportData(mixed_store)
    export_store(data, tmp_path / "export.json")
    again = load_report_data(tmp_path / "export.json")
    a = Leaderboard.from_rows(data.rows, data=data)
    b = Leaderboard.from_rows(again.rows, data=again)
    assert a.to_markdown() == b.to_markdown() and a.to_json() == b.to_json()
    assert re.search(r"≈|\*\*", a.to_markdown())


def test_latex_is_booktabs_with_marks(tie_store):
    data = ReportData(tie_store)
    tex = Leaderboard.from_rows(data.rows, data=data, n_resamples=500).to_latex()
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert "\\textbf{" in tex and "$\\approx$" in tex and "reconstruction/digits (v1)" in tex
    assert "ref:best" in tex and "\\_" not in "ref:best"


def test_several_evaluation_seeds_are_paired_seed_by_seed(rng):
    store = ResultStore(":memory:")
    arrays = {}
    for seed in (0, 1):
        a = rng.uniform(0, 1, N)
        noise = rng.normal(0, 0.01, N)
        arrays[("ref:a", seed)], arrays[("ref:b", seed)], arrays[("ref:c", seed)] = a, a + noise - noise.mean(), a + 0.01
        for m in ("ref:a", "ref:b", "ref:c"):
            add_job(store, m, arrays[(m, seed)], seed=seed)
    data = ReportData(store)
    (row,) = Leaderboard.from_rows(data.rows, data=data, n_resamples=500).rows
    assert row.cells["ref:a"].seeds == 2 and row.cells["ref:a"].ci_method == "seeds-t"
    f32 = {k: v.astype(np.float32).astype(np.float64) for k, v in arrays.items()}
    best = next(m for m, c in row.cells.items() if c.tie == "best")  # ref:a or ref:b: equal up to float rounding
    for m in {"ref:a", "ref:b", "ref:c"} - {best}:
        expect = paired_bootstrap([f32[(m, 0)], f32[(m, 1)]], [f32[(best, 0)], f32[(best, 1)]],
                                  rng=seeded_rng(row.key, m, best), n_resamples=500)
        assert row.cells[m].vs_best == expect
    assert {m: c.tie for m, c in row.cells.items()} in ({"ref:a": "best", "ref:b": "tied", "ref:c": "worse"},
                                                       {"ref:b": "best", "ref:a": "tied", "ref:c": "worse"})


def test_one_name_from_two_checkpoints_is_two_columns(rng):
    store = ResultStore(":memory:")
    v = rng.uniform(0, 1, N)
    add_job(store, "ref:vae", v)
    base = add_job(store, "ref:other", v + 0.1)
    rows = [{**r, "model": "ref:vae"} for r in store.job_rows(base)]  # a retrained checkpoint stored under the same name
    store.write_job(rows, {"per_example/mse": (v + 0.1).astype(np.float32)})
    data = ReportData(store)
    board = Leaderboard.from_rows(data.rows, data=data)
    assert board.models == ["ref:vae [fp-ref:o]", "ref:vae [fp-ref:v]"]
    assert any("different checkpoints" in k for k in board.kept_apart)
    from latentbench.report.compare import compare

    with pytest.raises(Exception, match="several checkpoints"):
        compare(data, "ref:vae")
