"""The HTML leaderboard in a real browser: Debian's headless Chromium driven by Playwright.

A tab per benchmark (one per dataset), each table holding only its models; clicking a column
header (or pressing Enter on it) sorts the models (best first, again reverses), the search box
hides models whose name does not match, the family filter hides other families' columns and
recomputes each model's mean rank over the same ranked scores, cells carry their provenance on
hover, and no request leaves the page
(every request is intercepted; anything but ``file:`` and ``data:`` fails the test). A screenshot
is saved in the test's folder; the reference leaderboard's screenshot is copied to
``reports/reference/screenshot.png`` when that file is absent or ``LATENTBENCH_UPDATE_SCREENSHOT=1``.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the ``playwright`` Python package
(its bundled driver only: no ``playwright install``, no browser download). Skipped, with the
reason shown, when either is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_report_leaderboard import N, add_job

from latentbench.report.build import write_report
from latentbench.report.data import ReportData
from latentbench.store import ResultStore

CHROMIUM = os.environ.get("LATENTBENCH_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]
REFERENCE_HTML = Path(__file__).resolve().parent.parent / "reports" / "reference" / "leaderboard.html"

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    """A page on ``path`` that records every request and lets only file: and data: URLs through."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests: list[str] = []

    def route(r) -> None:
        url = r.request.url
        requests.append(url)
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: requests.append(req.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, requests


def _models(page, bench: str = "digits") -> list[str]:
    return page.eval_on_selector_all(f"#board-{bench} tbody.models tr:not(.search-hidden)", "rows => rows.map(r => r.dataset.model)")


#: every model's shown mean rank next to the mean of the ranks in the visible ranked columns (both None without all of them)
_MEAN_RANKS = """table => {
  const heads = Array.from(table.tHead.rows[0].cells);
  const cols = heads.map((h, i) => i).filter(i => heads[i].classList.contains('ranked') && getComputedStyle(heads[i]).display !== 'none');
  const mr = heads.findIndex(h => h.classList.contains('meanrank'));
  return Array.from(table.querySelectorAll('tbody.models tr')).map(r => {
    const ranks = cols.map(i => r.cells[i].dataset.rank).filter(v => v !== undefined).map(parseFloat);
    return [r.dataset.model, r.cells[mr].textContent, ranks.length === cols.length ? ranks.reduce((a, b) => a + b, 0) / ranks.length : null,
            ranks.length, cols.length];
  });
}"""


def _outside(requests: list[str]) -> list[str]:
    return [u for u in requests if not u.startswith(("file:", "data:"))]


@pytest.fixture()
def report_html(tmp_path) -> tuple[Path, dict[str, dict[str, float]]]:
    rng = np.random.default_rng(11)
    store = ResultStore(":memory:")
    store.add_run("run-1", argv="latentbench run", device="cpu", versions={"numpy": "9.9"}, git_commit="abc", host="h")
    values: dict[str, dict[str, float]] = {"mse": {}, "iwae": {}}
    for m, off in (("ref:pca", 0.02), ("ref:vae", 0.0), ("mine", 0.05), ("ref:beta-vae", 0.03)):
        x = rng.uniform(0, 0.1, N) + off
        add_job(store, m, x)
        y = rng.normal(-90 - 100 * off, 3, N)
        add_job(store, m, y, task="likelihood/digits", metric="iwae", direction="higher", family="likelihood")
        values["mse"][m] = float(x.astype(np.float32).astype(np.float64).mean())
        values["iwae"][m] = float(y.astype(np.float32).astype(np.float64).mean())
    add_job(store, "null:random", status="skipped", message="needs decode; model has encode")
    add_job(store, "ref:vae", task="likelihood/digits", metric="elbo", direction="higher", family="likelihood",
            status="skipped", message="needs nothing", split_fp="split-x")
    for m, off in (("ref:shapes-ae", 0.0), ("ref:shapes-vae", 0.04)):  # a second benchmark with models of its own
        add_job(store, m, rng.uniform(0, 0.1, N) + off, task="reconstruction/shapes", split_fp="split-s", dataset_fp="data-s")
    write_report(ReportData(store), tmp_path / "report", title="browser test", n_resamples=300)
    return tmp_path / "report" / "leaderboard.html", values


def test_sort_filter_hover_and_no_network(browser, report_html, tmp_path):
    path, values = report_html
    page, requests = _open(browser, path)
    assert page.title() == "browser test"
    # the initial order is the one aria-sort announces: mean rank ascending
    initial = page.eval_on_selector("#board-digits", _MEAN_RANKS)
    shown = [float(r[1]) for r in initial]
    assert shown == sorted(shown) and page.get_attribute("#board-digits th.meanrank", "aria-sort") == "ascending"
    mse = page.locator("#board-digits thead th", has_text="mse ↓")
    iwae = page.locator("#board-digits thead th", has_text="iwae ↑")
    mse.click()  # lower is better: ascending first
    assert _models(page) == sorted(values["mse"], key=values["mse"].get)
    assert mse.get_attribute("aria-sort") == "ascending"
    mse.click()
    assert _models(page) == sorted(values["mse"], key=values["mse"].get, reverse=True)
    iwae.click()  # higher is better: descending first
    assert _models(page) == sorted(values["iwae"], key=values["iwae"].get, reverse=True)
    page.locator("#board-digits thead th").first.click()  # by name
    assert _models(page) == sorted(values["mse"])
    # the keyboard reaches the headers: focus the mse header's button, Enter sorts
    page.focus("#board-digits thead th:has-text('mse ↓') button")
    page.keyboard.press("Enter")
    assert _models(page) == sorted(values["mse"], key=values["mse"].get)
    # baselines stay in their own group below the models, whatever the sort
    assert page.eval_on_selector_all("#board-digits tbody.baselines tr[data-model]", "r => r.map(x => x.dataset.model)") == ["null:random"]
    # the mean rank of every model is over the same ranked columns, before and after the family filter
    for fam in ("all", "likelihood", "reconstruction", "all"):
        page.select_option("#family", fam)
        for model, text, mean, n, total in page.eval_on_selector("#board-digits", _MEAN_RANKS):
            assert total > 0
            if mean is None:
                assert text == f"{n}/{total} tasks", (fam, model, text)
            else:
                assert float(text) == pytest.approx(mean, abs=0.005), (fam, model, text)
    # search hides the models whose name does not match
    page.fill("#search", "vae")
    assert _models(page) == ["ref:beta-vae", "ref:vae"] or sorted(_models(page)) == ["ref:beta-vae", "ref:vae"]
    page.fill("#search", "")
    assert len(_models(page)) == 4
    # tabs: the shapes benchmark has its own models only
    assert not page.is_visible("#board-shapes")
    page.click("#tab-shapes")
    assert page.is_visible("#board-shapes") and not page.is_visible("#board-digits")
    assert page.get_attribute("#tab-shapes", "aria-selected") == "true"
    assert sorted(_models(page, "shapes")) == ["ref:shapes-ae", "ref:shapes-vae"]
    page.locator("#board-shapes thead th", has_text="mse ↓").click()
    assert _models(page, "shapes") == ["ref:shapes-ae", "ref:shapes-vae"]
    page.click("#tab-digits")
    # the family filter hides the other families' columns
    model_col = page.locator("#board-digits thead th").first
    page.select_option("#family", "likelihood")
    assert not mse.is_visible() and iwae.is_visible() and model_col.is_visible()  # the names never go
    page.select_option("#family", "reconstruction")
    assert mse.is_visible() and not iwae.is_visible() and model_col.is_visible()
    page.select_option("#family", "all")
    assert mse.is_visible() and model_col.is_visible()
    # hover: provenance in the title attribute
    title = page.locator("#board-digits tbody.models tr[data-model='mine'] td[data-family='reconstruction']:not(.famrank)").first.get_attribute("title")
    assert "n: 300" in title and "device: cpu" in title and "run: run-1" in title and "the column header's hover" in title
    head = page.locator("#board-digits thead th[data-family='reconstruction']:not(.famrank)").first.get_attribute("title")
    assert "estimator: Fake v1" in head  # the column's shared settings, said once
    # the plots are inline images that rendered
    widths = page.eval_on_selector_all("figure img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths and all(w > 100 for w in widths)
    shot = tmp_path / "leaderboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert requests and not _outside(requests), f"requests left the page: {_outside(requests)}"
    page.close()


@pytest.mark.skipif(not REFERENCE_HTML.exists(), reason="reports/reference/leaderboard.html has not been generated")
def test_reference_leaderboard_in_the_browser(browser, tmp_path):
    page, requests = _open(browser, REFERENCE_HTML)
    tabs = page.eval_on_selector_all("[role=tab]", "ts => ts.map(t => t.id.slice(4))")
    assert "shapes" in tabs and "digits" in tabs
    page.click("#tab-shapes")
    board = "#board-shapes"
    for model, text, mean, n, total in page.eval_on_selector(board, _MEAN_RANKS):  # over the same tasks for every model
        assert text == f"{n}/{total} tasks" if mean is None else float(text) == pytest.approx(mean, abs=0.005), (model, text)
    heads = page.locator(f"{board} thead th[data-dir='lower']:not(.secondary)")
    assert heads.count() > 0
    heads.first.click()
    col = page.eval_on_selector(f"{board} thead th[aria-sort]", "th => Array.from(th.parentNode.children).indexOf(th)")
    vals = page.eval_on_selector_all(f"{board} tbody.models tr", f"rows => rows.map(r => r.cells[{col}].dataset.v)")
    numbers = [float(v) for v in vals if v]
    assert numbers == sorted(numbers) and all(not v for v in vals[len(numbers):])  # ascending, missing last
    shot = tmp_path / "reference.png"
    page.screenshot(path=str(shot), full_page=False)
    assert not _outside(requests), f"requests left the page: {_outside(requests)}"
    target = REFERENCE_HTML.parent / "screenshot.png"
    if not target.exists() or os.environ.get("LATENTBENCH_UPDATE_SCREENSHOT") == "1":  # `make test` leaves the checkout clean
        shutil.copyfile(shot, target)
    page.close()
