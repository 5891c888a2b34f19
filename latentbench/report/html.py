"""The leaderboard as ONE self-contained HTML file.

Inline CSS and JavaScript, images as ``data:`` URIs, and a Content-Security-Policy that forbids
every network request: the file can be mailed, archived or opened offline and shows the same.
The table has a row per model (null baselines in a group of their own, never ranked) and a
column per task score; clicking a column header sorts the models by it (best first for ranked
scores, click again to reverse), a selector filters the columns by family, and hovering a cell
shows its provenance (estimator, parameters, n, seeds, seconds, device, library versions, run).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .benchmarks import META_COLUMNS, Benchmark, model_metadata
from .leaderboard import Leaderboard, LeaderboardRow, fmt, is_baseline, trained_elsewhere

if TYPE_CHECKING:
    from .plots import PlotFile

__all__ = ["render_html"]

_CSS = """
:root { --fg:#1d2330; --muted:#5d6677; --line:#d8dce3; --best:#e3f4e3; --tied:#f3f8e6; --bad:#fbe9e9; --head:#f4f6f9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
       margin: 24px auto; max-width: 1400px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
p.header, .notes li { color: var(--muted); } code { background: var(--head); padding: 0 3px; border-radius: 3px; }
.controls { display: flex; gap: 18px; align-items: center; margin: 12px 0; flex-wrap: wrap; }
.wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
#toc { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; margin: 12px 0; font-size: 13px; }
#toc ul { margin: 4px 0; padding-left: 18px; } #toc ul ul { columns: 3; font-size: 12px; } .muted { color: var(--muted); }
.tabs { display: flex; gap: 4px; flex-wrap: wrap; margin: 8px 0 0; border-bottom: 2px solid var(--line); }
.tabs button { font: inherit; border: 1px solid var(--line); border-bottom: none; background: var(--head); padding: 6px 14px;
               border-radius: 6px 6px 0 0; cursor: pointer; }
.tabs button[aria-selected=true] { background: #fff; font-weight: 700; border-color: #8a93a3; }
th button { font: inherit; font-weight: 600; background: none; border: none; padding: 0; cursor: pointer; color: inherit; text-align: inherit; }
th button:focus-visible, .tabs button:focus-visible { outline: 2px solid #2a62c9; outline-offset: 2px; }
td.meta { color: var(--muted); font-size: 12px; white-space: nowrap; } .search-hidden { display: none; }
table.board th, table.board td { border-bottom: 1px solid var(--line); padding: 6px 9px; text-align: right; vertical-align: top; }
table.board th { background: var(--head); cursor: pointer; user-select: none; font-weight: 600; position: sticky; top: 0; min-width: 92px; }
table.board th .task { font-weight: 400; color: var(--muted); font-size: 12px; display: block; }
table.board th:first-child, table.board td:first-child { text-align: left; position: sticky; left: 0; background: #fff; z-index: 1; white-space: nowrap; }
table.board th:first-child { background: var(--head); z-index: 2; }
table.board th[aria-sort=ascending]::after { content: " ▲"; } table.board th[aria-sort=descending]::after { content: " ▼"; }
table.board td.best { background: var(--best); font-weight: 700; } table.board td.tied { background: var(--tied); }
table.board td.tied::after { content: " ≈"; color: #55791f; } table.board td.failed { background: var(--bad); }
table.board td.skipped, table.board td.failed, table.board td.undefined { color: var(--muted); font-size: 12px; max-width: 220px; text-align: left; }
table.board td small { display: block; color: var(--muted); font-weight: 400; font-size: 11px; }
table.board td:not(.skipped):not(.failed):not(.undefined) { white-space: nowrap; }
table.board td.skipped small, table.board td.failed small, table.board td.undefined small { white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; max-width: 180px; }
table.board tr.group td { background: var(--head); color: var(--muted); font-style: italic; text-align: left; }
table.board tbody.baselines td:first-child { font-style: italic; }
.secondary-hidden .secondary { display: none; } .fam-hidden { display: none; }
figure { display: inline-block; margin: 8px 12px 16px 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 12px; max-width: 640px; }
table.plain td, table.plain th { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; font-size: 12px; vertical-align: top; }
"""

_JS = r"""
(function () {
  const tables = Array.from(document.querySelectorAll('table.board'));
  const name = r => r.cells[0].textContent;
  function key(td) { const v = td.dataset.v; return (v === undefined || v === '') ? null : parseFloat(v); }
  function sortBy(table, col) {
    const heads = Array.from(table.tHead.rows[0].cells);
    const th = heads[col];
    const first = th.dataset.first || 'ascending';
    const cur = th.getAttribute('aria-sort');
    const dir = (cur === 'ascending' || cur === 'descending') ? (cur === 'ascending' ? 'descending' : 'ascending') : first;
    heads.forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', dir);
    const sign = dir === 'ascending' ? 1 : -1;
    const kind = th.dataset.kind;
    for (const tb of table.tBodies) {
      const rows = Array.from(tb.rows).filter(r => !r.classList.contains('group'));
      rows.sort((a, b) => {
        if (kind === 'name' || kind === 'text') {
          return sign * a.cells[col].textContent.localeCompare(b.cells[col].textContent) || name(a).localeCompare(name(b));
        }
        const x = key(a.cells[col]), y = key(b.cells[col]);
        if (x === null && y === null) return name(a).localeCompare(name(b));
        if (x === null) return 1;
        if (y === null) return -1;
        return sign * (x - y) || name(a).localeCompare(name(b));
      });
      rows.forEach(r => tb.appendChild(r));
    }
  }
  // a click anywhere in a header sorts; its button (Tab, then Enter or Space) sends the same click from the keyboard
  tables.forEach(t => Array.from(t.tHead.rows[0].cells).forEach((th, i) => th.addEventListener('click', () => sortBy(t, i))));
  // the mean rank over the ranked primary scores left visible by the family filter: the same tasks for every model
  function meanRanks(table) {
    const heads = Array.from(table.tHead.rows[0].cells);
    const cols = heads.map((h, i) => i).filter(i => heads[i].classList.contains('ranked') && !heads[i].classList.contains('fam-hidden'));
    const mr = heads.findIndex(h => h.classList.contains('meanrank'));
    const tb = table.querySelector('tbody.models');
    if (!tb || mr < 0) return;
    for (const row of tb.rows) {
      const ranks = cols.map(i => row.cells[i].dataset.rank).filter(v => v !== undefined).map(parseFloat);
      const td = row.cells[mr];
      if (!cols.length) { td.textContent = '–'; td.dataset.v = ''; }
      else if (ranks.length === cols.length) {
        const m = ranks.reduce((a, b) => a + b, 0) / ranks.length;
        td.textContent = m.toFixed(2); td.dataset.v = String(m);
      } else { td.textContent = ranks.length + '/' + cols.length + ' tasks'; td.dataset.v = ''; }
      td.title = 'over ' + cols.length + ' ranked primary scores; this model has ' + ranks.length;
    }
    const th = heads[mr];
    if (th.getAttribute('aria-sort')) { th.removeAttribute('aria-sort'); sortBy(table, mr); }
  }
  const fam = document.getElementById('family');
  const sec = document.getElementById('secondary');
  const search = document.getElementById('search');
  function filter() {
    const f = fam.value;
    for (const table of tables) {
      const heads = Array.from(table.tHead.rows[0].cells);
      heads.forEach((th, i) => {
        const hide = f !== 'all' && !!th.dataset.family && th.dataset.family !== f;  // a boolean: toggle(c, undefined) flips
        th.classList.toggle('fam-hidden', hide);
        for (const row of table.tBodies) for (const r of row.rows) { if (r.cells.length === heads.length) r.cells[i].classList.toggle('fam-hidden', hide); }
      });
      table.classList.toggle('secondary-hidden', !sec.checked);
      meanRanks(table);
    }
  }
  function find() {
    const q = search.value.trim().toLowerCase();
    document.querySelectorAll('table.board tr[data-model]').forEach(r => r.classList.toggle('search-hidden', !!q && !r.dataset.model.toLowerCase().includes(q)));
  }
  fam.addEventListener('change', filter);
  sec.addEventListener('change', filter);
  search.addEventListener('input', find);
  // tabs: one benchmark shown at a time; the contents and the URL's #bench-... choose it
  const tabs = Array.from(document.querySelectorAll('[role=tab]'));
  function show(slug) {
    tabs.forEach(t => {
      const on = t.id === 'tab-' + slug;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    });
  }
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => show(t.id.slice(4)));
    t.addEventListener('keydown', ev => {
      const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
      if (d) { const n = tabs[(i + d + tabs.length) % tabs.length]; show(n.id.slice(4)); n.focus(); }
    });
  });
  function fromHash() { const h = location.hash.slice(1); if (h.startsWith('bench-') && document.getElementById('tab-' + h.slice(6))) show(h.slice(6)); }
  window.addEventListener('hashchange', fromHash);
  fromHash();
  filter();
})();
"""


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _inline_md(s: str) -> str:
    """Escape, then turn `code` and **bold** into HTML (the header and notes use them)."""
    s = _e(s)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)


#: Provenance lines that a column's cells usually share (said once, in the column header's hover).
_SHARED_PREFIXES = ("estimator: ", "parameters: ", "standardization: ", "dataset: ")


def _column_settings(board: Leaderboard, row: LeaderboardRow, models: Sequence[str]) -> list[str]:
    """The estimator, parameter, standardization and dataset lines every model of ``models`` with a
    cell in ``row`` has in common: said once in the column header's hover instead of in every cell."""
    lines = [[ln for ln in _provenance_text(board, row, m).split("\n") if ln.startswith(_SHARED_PREFIXES)]
             for m in models if m in row.cells]
    if len(lines) < 2:
        return []
    return [ln for ln in lines[0] if all(ln in other for other in lines[1:])]


def _provenance_text(board: Leaderboard, row: LeaderboardRow, model: str, shared: Sequence[str] = ()) -> str:
    """The hover text of a cell; lines in ``shared`` (the column's settings, in its header) are left out."""
    c = row.cells[model]
    p = board.provenance(row, model)
    lines = [f"{model} · {row.task} (v{row.task_version}) · {row.metric} ({row.direction})"]
    if c.status != "ok":
        lines.append(f"{c.status}: {c.message}")
    est = f"estimator: {p['estimator']} v{p['estimator_version']}" if p["estimator"] else "estimator: –"
    if p["estimator_extra"]:
        est += " (" + ", ".join(f"{k}={v}" for k, v in sorted(p["estimator_extra"].items())) + ")"
    lines.append(est)
    if p["parameters"]:
        lines.append("parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(p["parameters"].items())))
    if p["standardization"]:
        lines.append(f"standardization: {p['standardization']}")
    lines.append(f"dataset: {p['dataset']} (fingerprint {p['dataset_fp']}, split {p['split_fp']})"
                 + (f", {json.dumps(p['dataset_params'], sort_keys=True)}" if p["dataset_params"] else ""))
    if c.status == "ok" and c.value is not None:
        lines.append(f"value: {c.value!r}; interval: [{fmt(c.ci_low)}, {fmt(c.ci_high)}] ({c.ci_method or 'none'})")
        if c.message:
            lines.append(f"note: {c.message}")
    lines.append(f"n: {p['n'] if p['n'] is not None else '–'}; seeds: {', '.join(map(str, p['seeds'])) or '–'}; "
                 f"seconds: {fmt(p['seconds'], 3) if p['seconds'] is not None else '–'}")
    lines.append(f"device: {', '.join(p['device']) or '–'}; commit: {', '.join(p['git_commit']) or '–'}; run: {', '.join(p['run_ids']) or '–'}"
                 + ("; library versions: the run's row in Runs" if p["versions"] and board.data is not None and p["run_ids"] else ""))
    if p["versions"] and (board.data is None or not p["run_ids"]):  # else once per run in the Runs table, not in every cell
        lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(p["versions"].items())))
    if p["training"]:
        lines.append("training: " + ", ".join(f"{k}={v}" for k, v in p["training"].items()))
    if c.tie_note:
        lines.append(c.tie_note)
    if shared:
        lines = [ln for ln in lines if ln not in shared]
        lines.insert(1 if c.status == "ok" else 2, "(estimator, parameters and dataset: the column header's hover)")
    return "\n".join(lines)


def _cell_html(board: Leaderboard, row: LeaderboardRow, model: str, rank: float | None = None, shared: Sequence[str] = ()) -> str:
    cls = ["secondary"] if not row.is_primary else []
    attrs = f' data-family="{_e(row.family)}"'
    if rank is not None:
        attrs += f' data-rank="{rank!r}"'
    if model not in row.cells:
        return f'<td class="{" ".join(cls)}"{attrs} data-v="" title="no result here (see Notes)">–</td>'
    c = row.cells[model]
    title = _e(_provenance_text(board, row, model, shared))
    if trained_elsewhere(c):  # as in the Markdown: a dash, the reason on hover
        cls.append("skipped")
        body, v = "–", ""
    elif c.status == "skipped":
        cls.append("skipped")
        body = f"skipped<small>{_e(c.message)}</small>"
        v = ""
    elif c.status == "failed":
        cls.append("failed")
        body = f"failed<small>{_e(c.message)}</small>"
        v = ""
    elif c.value is None:
        cls.append("undefined")
        body = "undefined" + (f"<small>{_e(c.message)}</small>" if c.message else "")
        v = ""
    else:
        v = repr(float(c.value))
        if c.tie in ("best", "tied"):
            cls.append(c.tie)
        body = _e(c.number_text())
        if c.tie == "n/a":
            body += "<small>tie test n/a</small>"
    return f'<td class="{" ".join(cls)}"{attrs} data-v="{v}" title="{title}">{body}</td>'


def _inline_png(path: Path) -> bytes:
    """The PNG to inline: reduced to a 64-colour palette when that makes it smaller (plots have few colours,
    and colour maps keep 64 steps; the PNG and SVG files beside the page keep every colour)."""
    raw = path.read_bytes()
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return raw
    with Image.open(io.BytesIO(raw)) as im:
        pal = im.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    pal.save(buf, format="PNG", optimize=True)
    return buf.getvalue() if buf.tell() < len(raw) else raw


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(_inline_png(path)).decode("ascii")
    return f'<img alt="{_e(alt)}" loading="lazy" src="data:image/png;base64,{data}">'


def _meta_cell(key: str, value: str) -> str:
    num = ""
    if key in ("latent size", "parameters", "training time"):
        digits = value.replace(",", "").removesuffix(" s")
        try:
            num = repr(float(digits))
        except ValueError:
            num = ""
    return f'<td class="meta" data-v="{num}">{_e(value)}</td>'


def _sort_head(label: str, *, first: str, title: str, cls: str = "", family: str | None = None, kind: str = "num",
               sort: str | None = None, extra: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    if family is not None:
        attrs += f' data-family="{_e(family)}"'
    if sort:
        attrs += f' aria-sort="{sort}"'
    return (f'<th{attrs} data-kind="{kind}" data-first="{first}" title="{_e(title)}"{extra}>'
            f'<button type="button">{label}</button></th>')


def _benchmark_html(board: Leaderboard, bench: Benchmark, active: bool) -> list[str]:
    fams = bench.families()
    total = bench.mean_ranks()
    fam_ranks = {f: bench.mean_ranks(f) for f in fams}
    ranked = {r.key for r in bench.ranked_rows()}
    rows = bench.rows
    out = [f'<section class="bench" id="bench-{bench.slug}" role="tabpanel" aria-labelledby="tab-{bench.slug}" '
           f'data-name="{_e(bench.name)}"{"" if active else " hidden"}>',
           f"<h2>benchmark: {_e(bench.name)}</h2>",
           f'<p class="header">Datasets: {_e(", ".join(bench.datasets))}. {len(bench.models)} model(s)'
           + (f" and {len(bench.baselines)} null baseline(s) (never ranked)" if bench.baselines else "")
           + f". Mean rank (1 = best) over the same {len(ranked)} ranked primary score(s) for every model, recomputed for the "
           "family chosen above; a model without a value in some of them shows <i>n/N tasks</i> and gets no mean rank. "
           "Family columns: the mean rank over that family&#39;s ranked primary scores.</p>",
           f'<div class="wrap"><table class="board" id="board-{bench.slug}"><thead><tr>',
           _sort_head("model", first="ascending", title="model name", kind="name")]
    for k in META_COLUMNS:
        kind = "num" if k in ("latent size", "parameters", "training time") else "text"
        out.append(_sort_head(_e(k), first="ascending" if kind == "text" else "descending", title=f"model metadata: {k}",
                              cls="meta", kind=kind))
    out.append(_sort_head("mean rank", first="ascending", sort="ascending", kind="rank", cls="meanrank",
                          title=f"mean rank over the same {len(ranked)} ranked primary scores for every model (1 = best); "
                                "n/N tasks where a model lacks some"))
    for f in fams:
        out.append(_sort_head(f"{_e(f)}<span class=\"task\">mean rank</span>", first="ascending", family=f, cls="famrank",
                              title=f"mean rank over the ranked primary {f} scores of this benchmark"))
    everyone = [*bench.ordered_models(), *bench.baselines]
    settings = {row.key: _column_settings(board, row, everyone) for row in rows}
    for row in rows:
        first = "descending" if row.direction == "higher" else "ascending"
        cls = ("" if row.is_primary else "secondary") + (" ranked" if row.key in ranked else "")
        tip = f"{row.task} (v{row.task_version}) · {row.metric} · " + {"higher": "higher is better", "lower": "lower is better",
                                                                   "none": "descriptive, not ranked"}[row.direction]
        if row.extra_label:
            tip += f" · kept apart: {row.extra_label}"
        if row.tie_summary:
            tip += f" · † {row.tie_summary}"
        if settings[row.key]:
            tip += "\n" + "\n".join(settings[row.key])
        label = f'<span class="task">{_e(row.label)}</span>{_e(row.metric_label)}{" †" if row.tie_summary else ""}'
        out.append(_sort_head(label, first=first, title=tip, cls=cls.strip(), family=row.family,
                              extra=f' data-dir="{row.direction}"'))
    out.append("</tr></thead>")
    n_cols = 2 + len(META_COLUMNS) + len(fams) + len(rows)
    for group, names in (("models", bench.ordered_models()), ("baselines", bench.baselines)):
        if not names:
            continue
        out.append(f'<tbody class="{group}">')
        if group == "baselines":
            out.append(f'<tr class="group"><td colspan="{n_cols}">null baselines: shown for reading the numbers, never ranked</td></tr>')
        for m in names:
            meta = model_metadata(board, bench, m)
            cells = [f"<td>{_e(m)}</td>"] + [_meta_cell(k, meta[k]) for k in META_COLUMNS]
            if group == "models":
                s = total[m]
                cells.append(f'<td class="meanrank" data-v="{"" if s.mean is None else repr(s.mean)}" '
                             f'title="over {s.total} ranked primary scores; this model has {s.n}">{_e(s.text())}</td>')
                for f in fams:
                    fs = fam_ranks[f][m]
                    cells.append(f'<td class="famrank" data-family="{_e(f)}" data-v="{"" if fs.mean is None else repr(fs.mean)}">'
                                 f"{_e(fs.text())}</td>")
            else:
                cells.append('<td class="meanrank" data-v="">never ranked</td>')
                cells += [f'<td class="famrank" data-family="{_e(f)}" data-v=""></td>' for f in fams]
            for row in rows:
                rank = row.ranks().get(m) if row.key in ranked else None
                cells.append(_cell_html(board, row, m, rank, settings[row.key]))
            out.append(f'<tr data-model="{_e(m)}">' + "".join(cells) + "</tr>")
        out.append("</tbody>")
    out.append("</table></div></section>")
    return out


def render_html(board: Leaderboard, *, title: str, header: Sequence[str] = (), plots: Sequence[PlotFile] = (),
                plot_notes: Sequence[str] = (), sections: Sequence[str] = (), benchmarks: Sequence[Benchmark] | None = None) -> str:
    """Render the leaderboard (and its plots) as one self-contained HTML page.

    Parameters
    ----------
    board : Leaderboard
    title : str
    header : sequence of str
        Paragraphs under the title (Markdown-style `code` and **bold** allowed).
    plots : sequence of PlotFile
        PNG files embedded as ``data:`` URIs (reduced to a 256-colour palette to keep the page light).
    plot_notes : sequence of str
        Why some plots are absent.
    sections : sequence of str
        Further HTML sections (already escaped), placed between the notes and the plots.
    benchmarks : sequence of Benchmark, optional
        The tabs (default: ``board.benchmarks()``, one per dataset or declared group).

    Returns
    -------
    str
        The HTML text; it loads nothing from anywhere.
    """
    benches = list(board.benchmarks() if benchmarks is None else benchmarks)
    rows = board.rows
    families = list(dict.fromkeys(f for b in benches for f in b.families()))
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
           'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    out += [f'<p class="header">{_inline_md(h)}</p>' for h in header]
    toc = ['<nav id="toc" aria-label="contents"><b>Contents</b><ul>']
    toc += [f'<li><a href="#bench-{b.slug}" data-tab="{b.slug}">benchmark: {_e(b.name)}</a> '
            f'<span class="muted">({len(b.models)} models, {len(b.ranked_rows())} ranked scores)</span></li>' for b in benches]
    toc.append('<li><a href="#notes">Notes</a></li>')
    toc += [f'<li><a href="#{_e(sid)}">{_e(name)}</a></li>' for sid, name in _section_ids(sections)]
    if plots or plot_notes:
        toc.append('<li><a href="#plots">Plots</a><ul>' + "".join(f'<li><a href="#plot-{_e(p.name)}">{_e(p.name)}</a></li>'
                                                                  for p in plots) + "</ul></li>")
    if board.data is not None:
        toc.append('<li><a href="#runs">Runs</a></li><li><a href="#models">Models</a></li>')
    toc.append("</ul></nav>")
    out += toc
    out.append('<div class="controls"><label>Search models <input type="search" id="search" placeholder="name contains…" '
               'aria-label="search models by name"></label>'
               '<label>Family <select id="family"><option value="all">all families</option>'
               + "".join(f'<option value="{_e(f)}">{_e(f)}</option>' for f in families) + "</select></label>"
               '<label><input type="checkbox" id="secondary"> show secondary scores</label>'
               "<span>Click (or Tab to and press Enter on) a column header to sort; hover a cell for its provenance.</span></div>")
    tab_attrs = ['aria-selected="true"'] + ['aria-selected="false" tabindex="-1"'] * (len(benches) - 1)
    out.append('<div class="tabs" role="tablist" aria-label="benchmarks">'
               + "".join(f'<button type="button" role="tab" id="tab-{b.slug}" aria-controls="bench-{b.slug}" {a}>{_e(b.name)}</button>'
                         for b, a in zip(benches, tab_attrs)) + "</div>")
    for i, b in enumerate(benches):
        out += _benchmark_html(board, b, i == 0)
    out.append('<h2 id="notes">Notes</h2><ul class="notes">' + "".join(f"<li>{_inline_md(n)}</li>" for n in board.legend()))
    out.append("<li>–: the model was trained on another dataset than the task&#39;s, or reads another kind of input (its reason is on hover); "
               "a dash whose hover says &quot;no result here&quot;: the store holds no result of this model with this task version, "
               "data and estimator (a result kept apart is in another column).</li>")
    if board.kept_apart:
        out.append("<li>Kept apart (never one column): " + _e("; ".join(board.kept_apart)) + ".</li>")
    out += [f"<li>{_inline_md(n)}</li>" for n in board.notes]
    dagger = [r for r in rows if r.tie_summary]
    out += [f"<li>† {_e(r.label)} {_e(r.metric)}: {_e(r.tie_summary)}</li>" for r in dagger]
    out.append("</ul>")
    out += list(sections)
    out.append('<h2 id="plots">Plots</h2>')
    for note in plot_notes:
        out.append(f'<p class="header">{_inline_md(note)}</p>')
    for p in plots:
        out.append(f'<figure id="plot-{_e(p.name)}">{_img(p.png, p.caption)}<figcaption>{_inline_md(p.caption)}</figcaption></figure>')
    out += _provenance_tables(board)
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"


def _section_ids(sections: Sequence[str]) -> list[tuple[str, str]]:
    """(id, heading text) of the first ``<h2 id=...>`` of each extra section."""
    out = []
    for s in sections:
        m = re.search(r'<h2 id="([^"]+)">(.*?)</h2>', s)
        if m:
            out.append((html.unescape(m.group(1)), re.sub(r"<[^>]+>", "", html.unescape(m.group(2)))))
    return out


def _provenance_tables(board: Leaderboard) -> list[str]:
    data = board.data
    if data is None:
        return []
    run_ids = sorted({j.get("run_id") for r in board.rows for c in r.cells.values() for j in c.jobs if j.get("run_id")})
    out = ['<h2 id="runs">Runs</h2>', '<div class="wrap"><table class="plain"><tr><th>run</th><th>device</th><th>commit</th>'
           "<th>host</th><th>command</th><th>versions</th></tr>"]
    for rid in run_ids:
        r = data.run(rid)
        versions = ", ".join(f"{k} {v}" for k, v in sorted(r.get("versions", {}).items()))
        out.append(f"<tr><td>{_e(rid)}</td><td>{_e(r.get('device', '–'))}</td><td>{_e(r.get('git_commit') or '–')}</td>"
                   f"<td>{_e(r.get('host') or '–')}</td><td><code>{_e(r.get('argv') or '–')}</code></td><td>{_e(versions)}</td></tr>")
    out.append("</table></div>")
    fps = {}
    for r in board.rows:
        for m, c in r.cells.items():
            for j in c.jobs:
                fps.setdefault(j.get("model_fp"), m)
    out += ['<h2 id="models">Models</h2>', '<div class="wrap"><table class="plain"><tr><th>model</th><th>fingerprint</th><th>adapter</th>'
            "<th>capabilities</th><th>latent size</th><th>training</th></tr>"]
    for fp, name in sorted(fps.items(), key=lambda kv: (is_baseline(kv[1]), kv[1])):
        d = data.model_description(fp or "")
        meta = d.get("metadata", {}) or {}
        train = ", ".join(f"{k}={meta[k]}" for k in ("tier", "seed", "device", "train_seconds", "dataset") if k in meta)
        out.append(f"<tr><td>{_e(name)}</td><td>{_e(fp)}</td><td>{_e(d.get('adapter', '–'))}</td>"
                   f"<td>{_e(', '.join(d.get('capabilities', [])))}</td><td>{_e(d.get('latent_dim', '–'))}</td><td>{_e(train or '–')}</td></tr>")
    out.append("</table></div>")
    return out
