"""The HTML leaderboard in a real browser: Debian's headless Chromium driven by Playwright.

Clicking a column header sorts the models (best first, again reverses), the family filter hides
other families' columns, cells carry their provenance on hover, and no request leaves the page
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


def _models(page) -> list[str]:
    return page.eval_on_selector_all("#board tbody.models tr", "rows => rows.map(r => r.dataset.model)")


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
    write_report(ReportData(store), tmp_path / "report", title="browser test", n_resamples=300)
    return tmp_path / "report" / "leaderboard.html", values


def test_sort_filter_hover_and_no_network(browser, report_html, tmp_path):
    path, values = report_html
    page, requests = _open(browser, path)
    assert page.title() == "browser test"
    mse = page.locator("#board thead th", has_text="mse ↓")
    iwae = page.locator("#board thead th", has_text="iwae ↑")
    mse.click()  # lower is better: ascending first
    assert _models(page) == sorted(values["mse"], key=values["mse"].get)
    assert mse.get_attribute("aria-sort") == "ascending"
    mse.click()
    assert _models(page) == sorted(values["mse"], key=values["mse"].get, reverse=True)
    iwae.click()  # higher is better: descending first
    assert _models(page) == sorted(values["iwae"], key=values["iwae"].get, reverse=True)
    page.locator("#board thead th").first.click()  # by name
    assert _models(page) == sorted(values["mse"])
    # baselines stay in their own group below the models, whatever the sort
    assert page.eval_on_selector_all("#board tbody.baselines tr[data-model]", "r => r.map(x => x.dataset.model)") == ["null:random"]
    # the family filter hides the other families' columns
    model_col = page.locator("#board thead th").first
    page.select_option("#family", "likelihood")
    assert not mse.is_visible() and iwae.is_visible() and model_col.is_visible()  # the names never go
    page.select_option("#family", "reconstruction")
    assert mse.is_visible() and not iwae.is_visible() and model_col.is_visible()
    page.select_option("#family", "all")
    assert mse.is_visible() and model_col.is_visible()
    # hover: provenance in the title attribute
    title = page.locator("#board tbody.models tr[data-model='mine'] td").nth(2).get_attribute("title")
    assert "estimator: Fake v1" in title and "n: 300" in title and "device: cpu" in title and "numpy 9.9" in title
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
    heads = page.locator("#board thead th[data-dir='lower']:not(.secondary)")
    assert heads.count() > 0
    heads.first.click()
    col = page.eval_on_selector("#board thead th[aria-sort]", "th => Array.from(th.parentNode.children).indexOf(th)")
    vals = page.eval_on_selector_all("#board tbody.models tr", f"rows => rows.map(r => r.cells[{col}].dataset.v)")
    numbers = [float(v) for v in vals if v]
    assert numbers == sorted(numbers) and all(not v for v in vals[len(numbers):])  # ascending, missing last
    shot = tmp_path / "reference.png"
    page.screenshot(path=str(shot), full_page=False)
    assert not _outside(requests), f"requests left the page: {_outside(requests)}"
    target = REFERENCE_HTML.parent / "screenshot.png"
    if not target.exists() or os.environ.get("LATENTBENCH_UPDATE_SCREENSHOT") == "1":  # `make test` leaves the checkout clean
        shutil.copyfile(shot, target)
    page.close()
