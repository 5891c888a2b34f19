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
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
#board th, #board td { border-bottom: 1px solid var(--line); padding: 6px 9px; text-align: right; vertical-align: top; }
#board th { background: var(--head); cursor: pointer; user-select: none; font-weight: 600; position: sticky; top: 0; min-width: 92px; }
#board th .task { font-weight: 400; color: var(--muted); font-size: 12px; display: block; }
#board th:first-child, #board td:first-child { text-align: left; position: sticky; left: 0; background: #fff; z-index: 1; white-space: nowrap; }
#board th:first-child { background: var(--head); z-index: 2; }
#board th[aria-sort=ascending]::after { content: " ▲"; } #board th[aria-sort=descending]::after { content: " ▼"; }
#board td.best { background: var(--best); font-weight: 700; } #board td.tied { background: var(--tied); }
#board td.tied::after { content: " ≈"; color: #55791f; } #board td.failed { background: var(--bad); }
#board td.skipped, #board td.failed, #board td.undefined { color: var(--muted); font-size: 12px; max-width: 220px; text-align: left; }
#board td small { display: block; color: var(--muted); font-weight: 400; font-size: 11px; }
#board tr.group td { background: var(--head); color: var(--muted); font-style: italic; text-align: left; }
#board tbody.baselines td:first-child { font-style: italic; }
.secondary-hidden .secondary { display: none; } .fam-hidden { display: none; }
figure { display: inline-block; margin: 8px 12px 16px 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 12px; max-width: 640px; }
table.plain td, table.plain th { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; font-size: 12px; vertical-align: top; }
"""

_JS = r"""
(function () {
  const table = document.getElementById('board');
  const heads = Array.from(table.tHead.rows[0].cells);
  function key(td) { const v = td.dataset.v; return (v === undefined || v === '') ? null : parseFloat(v); }
  function sortBy(col) {
    const th = heads[col];
    const first = th.dataset.first || 'ascending';
    const cur = th.getAttribute('aria-sort');
    const dir = cur ? (cur === 'ascending' ? 'descending' : 'ascending') : first;
    heads.forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', dir);
    const sign = dir === 'ascending' ? 1 : -1;
    for (const tb of table.tBodies) {
      const rows = Array.from(tb.rows).filter(r => !r.classList.contains('group'));
      rows.sort((a, b) => {
        if (col === 0) return sign * a.cells[0].textContent.localeCompare(b.cells[0].textContent);
        const x = key(a.cells[col]), y = key(b.cells[col]);
        if (x === null && y === null) return a.cells[0].textContent.localeCompare(b.cells[0].textContent);
        if (x === null) return 1;
        if (y === null) return -1;
        return sign * (x - y) || a.cells[0].textContent.localeCompare(b.cells[0].textContent);
      });
      rows.forEach(r => tb.appendChild(r));
    }
  }
  heads.forEach((th, i) => th.addEventListener('click', () => sortBy(i)));
  const fam = document.getElementById('family');
  const sec = document.getElementById('secondary');
  function filter() {
    const f = fam.value;
    heads.forEach((th, i) => {
      const hide = f !== 'all' && !!th.dataset.family && th.dataset.family !== f;  // a boolean: toggle(c, undefined) flips
      for (const row of table.rows) { if (row.cells.length === heads.length) row.cells[i].classList.toggle('fam-hidden', hide); }
    });
    table.classList.toggle('secondary-hidden', !sec.checked);
  }
  fam.addEventListener('change', filter);
  sec.addEventListener('change', filter);
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


def _provenance_text(board: Leaderboard, row: LeaderboardRow, model: str) -> str:
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
    lines.append(f"device: {', '.join(p['device']) or '–'}; commit: {', '.join(p['git_commit']) or '–'}; run: {', '.join(p['run_ids']) or '–'}")
    if p["versions"]:
        lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(p["versions"].items())))
    if p["training"]:
        lines.append("training: " + ", ".join(f"{k}={v}" for k, v in p["training"].items()))
    if c.tie_note:
        lines.append(c.tie_note)
    return "\n".join(lines)


def _cell_html(board: Leaderboard, row: LeaderboardRow, model: str) -> str:
    cls = ["secondary"] if not row.is_primary else []
    attrs = f' data-family="{_e(row.family)}"'
    if model not in row.cells:
        return (f'<td class="{" ".join(cls)}"{attrs} data-v="" title="no result with this task version, data and estimator '
                f'(a result kept apart is in another column)">–</td>')
    c = row.cells[model]
    title = _e(_provenance_text(board, row, model))
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


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def render_html(board: Leaderboard, *, title: str, header: Sequence[str] = (), plots: Sequence[PlotFile] = (),
                plot_notes: Sequence[str] = (), sections: Sequence[str] = ()) -> str:
    """Render the leaderboard (and its plots) as one self-contained HTML page.

    Parameters
    ----------
    board : Leaderboard
    title : str
    header : sequence of str
        Paragraphs under the title (Markdown-style `code` and **bold** allowed).
    plots : sequence of PlotFile
        PNG files embedded as ``data:`` URIs.
    plot_notes : sequence of str
        Why some plots are absent.
    sections : sequence of str
        Further HTML sections (already escaped), placed between the notes and the plots.

    Returns
    -------
    str
        The HTML text; it loads nothing from anywhere.
    """
    models = [m for m in board.models if not is_baseline(m)]
    baselines = [m for m in board.models if is_baseline(m)]
    ranks, counts = board.mean_ranks(), board.rank_counts()
    rows = board.rows
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
           'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    out += [f'<p class="header">{_inline_md(h)}</p>' for h in header]
    out.append('<div class="controls"><label>Family <select id="family"><option value="all">all families</option>'
               + "".join(f'<option value="{_e(f)}">{_e(f)}</option>' for f in board.families()) + "</select></label>"
               '<label><input type="checkbox" id="secondary"> show secondary scores</label>'
               "<span>Click a column header to sort; hover a cell for its provenance.</span></div>")
    out.append('<div class="wrap"><table id="board"><thead><tr>')
    out.append('<th data-first="ascending" title="model name">model</th>')
    out.append('<th data-first="ascending" data-family="" title="mean rank over the ranked primary scores (1 = best); '
               'rows counted in brackets">mean rank</th>')
    for row in rows:
        first = "descending" if row.direction == "higher" else "ascending"
        cls = "" if row.is_primary else ' class="secondary"'
        tip = f"{row.task} (v{row.task_version}) · {row.metric} · " + {"higher": "higher is better", "lower": "lower is better",
                                                                   "none": "descriptive, not ranked"}[row.direction]
        if row.extra_label:
            tip += f" · kept apart: {row.extra_label}"
        if row.tie_summary:
            tip += f" · † {row.tie_summary}"
        label = _e(row.label)
        out.append(f'<th{cls} data-family="{_e(row.family)}" data-dir="{row.direction}" data-first="{first}" '
                   f'title="{_e(tip)}"><span class="task">{label}</span>{_e(row.metric_label)}{" †" if row.tie_summary else ""}</th>')
    out.append("</tr></thead>")
    n_cols = len(rows) + 2
    for group, names in (("models", models), ("baselines", baselines)):
        if not names:
            continue
        out.append(f'<tbody class="{group}">')
        if group == "baselines":
            out.append(f'<tr class="group"><td colspan="{n_cols}">null baselines: shown for reading the numbers, never ranked</td></tr>')
        for m in names:
            rank = ranks.get(m)
            rank_cell = (f'<td data-v="{rank!r}" title="mean over {counts[m]["rows"]} ranked primary rows; best in '
                         f'{counts[m]["best"]}, tied with the best in {counts[m]["tied"]}">{rank:.2f} ({counts[m]["rows"]})</td>'
                         if rank is not None else '<td data-v="">–</td>')
            out.append(f'<tr data-model="{_e(m)}"><td>{_e(m)}</td>{rank_cell}'
                       + "".join(_cell_html(board, row, m) for row in rows) + "</tr>")
        out.append("</tbody>")
    out.append("</table></div>")
    out.append('<h2>Notes</h2><ul class="notes">' + "".join(f"<li>{_inline_md(n)}</li>" for n in board.legend()))
    if board.kept_apart:
        out.append("<li>Kept apart (never one column): " + _e("; ".join(board.kept_apart)) + ".</li>")
    out += [f"<li>{_inline_md(n)}</li>" for n in board.notes]
    dagger = [r for r in rows if r.tie_summary]
    out += [f"<li>† {_e(r.label)} {_e(r.metric)}: {_e(r.tie_summary)}</li>" for r in dagger]
    out.append("</ul>")
    out += list(sections)
    out.append("<h2>Plots</h2>")
    for note in plot_notes:
        out.append(f'<p class="header">{_inline_md(note)}</p>')
    for p in plots:
        out.append(f"<figure>{_img(p.png, p.caption)}<figcaption>{_inline_md(p.caption)}</figcaption></figure>")
    out += _provenance_tables(board)
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"


def _provenance_tables(board: Leaderboard) -> list[str]:
    data = board.data
    if data is None:
        return []
    run_ids = sorted({j.get("run_id") for r in board.rows for c in r.cells.values() for j in c.jobs if j.get("run_id")})
    out = ["<h2>Runs</h2>", '<div class="wrap"><table class="plain"><tr><th>run</th><th>device</th><th>commit</th>'
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
    out += ["<h2>Models</h2>", '<div class="wrap"><table class="plain"><tr><th>model</th><th>fingerprint</th><th>adapter</th>'
            "<th>capabilities</th><th>latent size</th><th>training</th></tr>"]
    for fp, name in sorted(fps.items(), key=lambda kv: (is_baseline(kv[1]), kv[1])):
        d = data.model_description(fp or "")
        meta = d.get("metadata", {}) or {}
        train = ", ".join(f"{k}={meta[k]}" for k in ("tier", "seed", "device", "train_seconds", "dataset") if k in meta)
        out.append(f"<tr><td>{_e(name)}</td><td>{_e(fp)}</td><td>{_e(d.get('adapter', '–'))}</td>"
                   f"<td>{_e(', '.join(d.get('capabilities', [])))}</td><td>{_e(d.get('latent_dim', '–'))}</td><td>{_e(train or '–')}</td></tr>")
    out.append("</table></div>")
    return out
