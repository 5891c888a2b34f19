"""Report plots (matplotlib, Agg backend; PNG and SVG), drawn from stored numbers only.

* reference bands: each reference model's primary scores over its training seeds;
* per-family bars: each primary score of a family, one bar per model with its 95% interval,
  null baselines as dashed reference lines;
* a radar of normalized family scores per model;
* persistence diagrams of inputs and latents on shared landmarks (the topology tasks' artifacts);
* latent 2-D projections coloured by label (PCA always, t-SNE from scikit-learn, UMAP when the
  ``umap-learn`` package is installed), drawn only from latent samples the runner stored as
  artifacts (``latents/z``, ``latents/labels``): the report never encodes anything.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..artifacts import PRIOR_SAMPLES, RECON_INPUTS, RECON_OUTPUTS
from .leaderboard import ARROWS, Leaderboard, LeaderboardRow, fmt, is_baseline

if TYPE_CHECKING:
    from .benchmarks import Benchmark
    from .data import ReportData
    from .seed_bands import SeedBandTable

__all__ = ["PlotFile", "factor_projection_figure", "family_bars", "make_plots", "normalized_family_scores", "persistence_figure",
           "persistence_panels", "projection_figure", "radar", "seed_band_figure", "traversal_figure"]


@dataclass(frozen=True)
class PlotFile:
    """One written plot: its name, caption and the PNG and SVG files."""

    name: str
    caption: str
    png: Path
    svg: Path


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "latentbench", "figure.dpi": 100, "font.size": 9})
    return plt


def _colors(models: Sequence[str]) -> dict[str, Any]:
    plt = _plt()
    cmap = plt.get_cmap("tab10")
    return {m: cmap(i % 10) for i, m in enumerate(models)}


def _save(fig: Any, out: Path, name: str, caption: str) -> PlotFile:
    from ..progress import log

    log(f"report: plot {name}")
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    fig.savefig(png, dpi=110, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(svg, bbox_inches="tight", metadata={"Date": None, "Creator": None})
    _plt().close(fig)
    return PlotFile(name, caption, png, svg)


def family_bars(board: Leaderboard, family: str, *, bench: Benchmark | None = None) -> Any | None:
    """Bars with 95% intervals for every primary score of ``family`` (``None`` when no model has one).

    Parameters
    ----------
    board : Leaderboard
    family : str
    bench : Benchmark, optional
        Only this benchmark's rows and models (a plot never mixes benchmarks' models).

    Returns
    -------
    matplotlib.figure.Figure or None
    """
    plt = _plt()
    source = board.rows if bench is None else bench.rows
    rows = [r for r in source if r.family == family and r.is_primary
            and any(c.status == "ok" and c.value is not None and not is_baseline(m) for m, c in r.cells.items())]
    if not rows:
        return None
    models = [m for m in (board.models if bench is None else bench.models) if not is_baseline(m)]
    colors = _colors(models)
    ncols = min(3, len(rows))
    nrows = math.ceil(len(rows) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax, row in zip(axes.ravel(), rows):
        names = [m for m in models if m in row.cells and row.cells[m].status == "ok" and row.cells[m].value is not None]
        vals = np.array([row.cells[m].value for m in names], dtype=float)
        lo = np.array([row.cells[m].ci_low if row.cells[m].ci_low is not None else row.cells[m].value for m in names], dtype=float)
        hi = np.array([row.cells[m].ci_high if row.cells[m].ci_high is not None else row.cells[m].value for m in names], dtype=float)
        x = np.arange(len(names))
        if np.all(vals >= 0):
            bars = ax.bar(x, vals, color=[colors[m] for m in names], yerr=np.clip(np.vstack([vals - lo, hi - vals]), 0.0, None), capsize=4,
                          edgecolor="black", linewidth=[2.0 if row.cells[m].tie == "best" else 0.5 for m in names])
            for b, m in zip(bars, names):
                if row.cells[m].tie == "tied":
                    b.set_hatch("//")
        else:  # negative values (log-likelihoods in nats): bars from 0 would hide the intervals, so points
            for xi, m, v, l, h in zip(x, names, vals, lo, hi):
                tie = row.cells[m].tie
                ax.errorbar([xi], [v], yerr=[[max(v - l, 0.0)], [max(h - v, 0.0)]], fmt="o" if tie != "tied" else "D", color=colors[m], capsize=4,
                            ms=8 if tie == "best" else 6, mec="black", mew=2.0 if tie == "best" else 0.5)
            ax.set_xlim(-0.6, len(names) - 0.4)
        styles = iter([("--", "0.35"), (":", "0.2"), ("-.", "0.5"), ((0, (5, 1, 1, 1)), "0.6")] * 4)
        drawn = False
        for m in (m for m in board.models if is_baseline(m)):
            c = row.cells.get(m)
            if c is not None and c.status == "ok" and c.value is not None and math.isfinite(c.value):
                ls, col = next(styles)
                ax.axhline(c.value, ls=ls, lw=1.2, color=col, label=f"{m} = {fmt(c.value)}")
                drawn = True
        if drawn:
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.8, title="null baselines", title_fontsize=6)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_title(f"{row.label}\n{row.metric} {ARROWS[row.direction]}".strip()
                     + ("" if row.ranked else " (descriptive)"), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.ravel()[len(rows):]:
        ax.axis("off")
    fig.suptitle(f"{family}{'' if bench is None else f' on {bench.name}'}: primary scores with 95% intervals", fontsize=10)
    fig.tight_layout()
    return fig


def normalized_family_scores(board: Leaderboard, *, min_models: int = 2,
                             bench: Benchmark | None = None) -> tuple[dict[str, dict[str, float]], str]:
    """Per model and axis, the mean min-max-normalized primary score (1 = best model, 0 = worst).

    Each ranked primary row with at least ``min_models`` non-baseline values is normalized
    over those models (direction-adjusted; all 1 when they are equal). The axes are the families,
    or the rows themselves when fewer than three families qualify.

    Returns
    -------
    scores : dict of str to dict of str to float
        ``scores[model][axis]``; an axis a model has no score in is absent.
    axis_kind : {"family", "task"}

    With ``bench``, only that benchmark's rows.
    """
    per_row: list[tuple[LeaderboardRow, dict[str, float]]] = []
    for row in (board.rows if bench is None else bench.rows):
        if not (row.is_primary and row.ranked):
            continue
        vals = row._ranked_values()
        if len(vals) < min_models:
            continue
        lo, hi = min(vals.values()), max(vals.values())
        norm = {m: 1.0 if hi == lo else ((v - lo) / (hi - lo) if row.direction == "higher" else (hi - v) / (hi - lo))
                for m, v in vals.items()}
        per_row.append((row, norm))
    families = list(dict.fromkeys(r.family for r, _ in per_row))
    kind = "family" if len(families) >= 3 else "task"
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row, norm in per_row:
        axis = row.family if kind == "family" else f"{row.task}\n{row.metric}"
        for m, v in norm.items():
            acc[m][axis].append(v)
    return {m: {a: float(np.mean(v)) for a, v in axes.items()} for m, axes in acc.items()}, kind


def radar(board: Leaderboard, *, bench: Benchmark | None = None) -> tuple[Any | None, str]:
    """A radar of normalized family scores per model (of ``bench`` when given); ``(None, reason)``
    when there are fewer than 3 axes."""
    plt = _plt()
    scores, kind = normalized_family_scores(board, bench=bench)
    pool = board.models if bench is None else bench.models
    axes_names = list(dict.fromkeys(a for m in pool if m in scores for a in scores[m]))
    where = "this store" if bench is None else f"benchmark {bench.name}"
    if len(axes_names) < 3:
        return None, (f"No radar{'' if bench is None else f' for {bench.name}'}: it needs at least 3 ranked primary scores "
                      f"(or families) with two or more models each; {where} has {len(axes_names)}.")
    models = [m for m in pool if m in scores]
    colors = _colors([m for m in pool if not is_baseline(m)])
    angles = np.linspace(0, 2 * np.pi, len(axes_names), endpoint=False)
    fig = plt.figure(figsize=(6.4, 5.6))
    ax = fig.add_subplot(projection="polar")
    for m in models:
        vals = np.array([scores[m].get(a, np.nan) for a in axes_names])
        closed_a, closed_v = np.append(angles, angles[0]), np.append(vals, vals[0])
        ax.plot(closed_a, closed_v, "-", color=colors[m], lw=1.5, label=m)
        ax.plot(angles, vals, "o", color=colors[m], ms=4)
        if np.isfinite(vals).all():
            ax.fill(angles, vals, color=colors[m], alpha=0.08)
    ax.set_xticks(angles, axes_names, fontsize=7)
    ax.tick_params(axis="x", pad=14)
    ax.set_ylim(0, 1.05)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0], ["0.25", "0.5", "0.75", "1"], fontsize=6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.12, 1.05), fontsize=7)
    what = "family" if kind == "family" else "ranked primary score (fewer than 3 families qualify, so each axis is one score)"
    ax.set_title(f"{'' if bench is None else bench.name + ': '}normalized score per {'family' if kind == 'family' else 'task'} "
                 "(1 = best model)", fontsize=9)
    return fig, (f"Radar: one axis per {what}. Each ranked primary score is min-max normalized over the models that have it "
                 "(1 = best, 0 = worst; scores with fewer than two models left out) and averaged within the axis; "
                 "a model without a score on an axis has no point there (the line breaks). Baselines are not drawn.")


def _embed(z: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.shape[1] <= 2:
        return np.pad(z, ((0, 0), (0, 2 - z.shape[1])))
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(z)
    if method == "t-sne":
        from sklearn.manifold import TSNE

        return TSNE(2, perplexity=min(30.0, max(5.0, (len(z) - 1) / 4)), init="pca", random_state=seed).fit_transform(z)
    if method == "umap":
        import umap  # type: ignore[import-not-found]

        return umap.UMAP(n_components=2, random_state=seed).fit_transform(z)
    raise ValueError(f"_embed: 'method' must be 'pca', 't-sne' or 'umap', got {method!r}")


def umap_available() -> bool:
    """Whether ``umap-learn`` can be imported."""
    try:
        import umap  # type: ignore[import-not-found]  # noqa: F401
    except Exception:
        return False
    return True


def projection_figure(sample: dict[str, Any], *, methods: Sequence[str] = ("pca", "t-sne")) -> Any:
    """2-D projections of one stored latent sample, coloured by its labels.

    Parameters
    ----------
    sample : dict
        ``model``, ``dataset``, ``z`` (array of shape (n, d)), ``labels`` (shape (n,) or None), ``label_name``.
    methods : sequence of {"pca", "t-sne", "umap"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    z, labels = sample["z"], sample.get("labels")
    fig, axes = plt.subplots(1, len(methods), figsize=(3.6 * len(methods), 3.4), squeeze=False)
    last = axes.ravel()[-1]
    for ax, method in zip(axes.ravel(), methods):
        xy = _embed(z, method)
        if labels is None:
            ax.scatter(xy[:, 0], xy[:, 1], s=5, color="tab:blue")
        else:
            lab = np.asarray(labels)
            uniq = np.unique(lab)
            cmap = plt.get_cmap("tab10" if len(uniq) <= 10 else "viridis")
            idx = np.searchsorted(uniq, lab)
            sc = ax.scatter(xy[:, 0], xy[:, 1], s=5, c=idx, cmap=cmap, vmin=-0.5 if len(uniq) <= 10 else None,
                            vmax=9.5 if len(uniq) <= 10 else None)
            if len(uniq) <= 10 and ax is last:
                handles = [plt.Line2D([], [], marker="o", ls="", color=cmap(i), ms=4) for i in range(len(uniq))]
                ax.legend(handles, [str(u) for u in uniq], fontsize=6, title=sample.get("label_name", "label"),
                          title_fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
            elif len(uniq) > 10:
                fig.colorbar(sc, ax=ax)
        ax.set_title({"pca": "PCA", "t-sne": "t-SNE", "umap": "UMAP"}.get(method, method), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{sample['model']} on {sample['dataset']}: {len(z)} stored latents", fontsize=10)
    fig.tight_layout()
    return fig


def factor_projection_figure(sample: dict[str, Any], *, method: str = "pca", ncols: int = 5) -> Any | None:
    """One small 2-D projection panel per ground-truth factor, each coloured by that factor's value.

    Parameters
    ----------
    sample : dict
        As :meth:`ReportData.latent_samples` gives it: ``z`` (n, d), ``factors`` (n, n_factors) and
        ``factor_names``.
    method : {"pca", "t-sne", "umap"}, default="pca"
        One projection, shared by every panel (only the colours change).
    ncols : int, default=5

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when the sample has no factors.
    """
    f = sample.get("factors")
    if f is None or np.ndim(f) != 2 or not np.shape(f)[1]:
        return None
    plt = _plt()
    f = np.asarray(f)
    names = list(sample.get("factor_names") or [])
    names = names if len(names) == f.shape[1] else [f"factor{i}" for i in range(f.shape[1])]
    xy = _embed(sample["z"], method)
    n = f.shape[1]
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 2.3 * nrows), squeeze=False)
    for ax, k in zip(axes.flat, range(n)):
        uniq = np.unique(f[:, k])
        ax.scatter(xy[:, 0], xy[:, 1], s=4, c=np.searchsorted(uniq, f[:, k]), cmap="viridis",
                   vmin=0, vmax=max(1, len(uniq) - 1))
        ax.set_title(f"{names[k]} ({len(uniq)} values)", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    label = {"pca": "PCA", "t-sne": "t-SNE", "umap": "UMAP"}.get(method, method)
    fig.suptitle(f"{sample['model']} on {sample['dataset']}: {label} of {len(xy)} stored latents, coloured by each factor "
                 "(dark: low, yellow: high)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def traversal_figure(grid: np.ndarray, *, title: str, anchor: int = 0, row_labels: Sequence[str] | None = None,
                     anchor_image: np.ndarray | None = None, anchor_note: str | None = None) -> Any:
    """One anchor's latent traversal grid: a row per latent dimension, a column per step.

    Parameters
    ----------
    grid : ndarray of shape (n_dims, n_anchors, n_steps, c, h, w), uint8 or float in [0, 1]
        As the ``traversals`` task stores it (artifact ``traversal_grid``).
    title : str
    anchor : int, default=0
    row_labels : sequence of str, optional
        One label per latent dimension (default ``z0``, ``z1``, ...): what the row changes, which factor it carries.
    anchor_image : ndarray of shape (c, h, w), optional
        The anchor's input image (artifact ``traversal_anchor``), drawn on the left.
    anchor_note : str, optional
        Printed under the anchor image (its factor values).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    g = np.asarray(grid)
    if g.ndim != 6:
        raise ValueError(f"traversal_figure: 'grid' must have shape (dims, anchors, steps, c, h, w), got {g.shape}")
    g = g[:, anchor].astype(np.float64)
    if g.max() > 1.0:
        g = g / 255.0
    d, steps, c, h, w = g.shape
    mosaic = g.transpose(0, 3, 1, 4, 2).reshape(d * h, steps * w, c)
    labels = list(row_labels) if row_labels is not None and len(row_labels) == d else [f"z{i}" for i in range(d)]
    img = None if anchor_image is None else np.asarray(anchor_image)
    if img is not None and img.shape != (c, h, w):
        img = None
    width = min(1.0 * steps, 9) + 1.2
    if img is None:
        fig, ax = plt.subplots(figsize=(width, min(0.8 * d, 10)))
    else:
        fig, (ax_a, ax) = plt.subplots(1, 2, figsize=(width + 1.6, min(0.8 * d, 10)),
                                       gridspec_kw={"width_ratios": [1.4, steps]})
        a = img.astype(np.float64) / (255.0 if img.dtype == np.uint8 else 1.0)
        ax_a.imshow(a[0] if c == 1 else a.transpose(1, 2, 0), cmap="gray" if c == 1 else None, vmin=0, vmax=1,
                    interpolation="nearest")
        ax_a.set_xticks([])
        ax_a.set_yticks([])
        ax_a.set_title("anchor (input)", fontsize=7)
        if anchor_note:
            ax_a.set_xlabel(anchor_note, fontsize=6)
    ax.imshow(mosaic[..., 0] if c == 1 else mosaic, cmap="gray" if c == 1 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks([h * (i + 0.5) for i in range(d)], labels, fontsize=6)
    ax.set_xticks([w * (j + 0.5) for j in (0, steps - 1)], ["2nd pct", "98th pct"], fontsize=6)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def seed_band_figure(table: SeedBandTable, *, ncols: int = 4) -> Any:
    """Each reference model's primary scores over its training seeds: one panel per score.

    Parameters
    ----------
    table : SeedBandTable
        From :func:`latentbench.report.seed_bands.seed_band_table`.
    ncols : int, default=4

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when no reference model has two training seeds.
    """
    plt = _plt()
    rows = table.primary_rows
    if not rows:
        return None
    n = len(rows)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    colors = _colors(table.references)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 0.35 * len(table.references) * nrows + 0.9 * nrows),
                             squeeze=False)
    for ax, row in zip(axes.flat, rows):
        refs = [r for r in table.references if r in row["bands"]]
        for i, ref in enumerate(refs):
            b = row["bands"][ref]
            ax.plot([b["min"], b["max"]], [i, i], color=colors[ref], lw=3, alpha=0.35, solid_capstyle="butt")
            ax.scatter(b["values"], [i] * len(b["values"]), color=colors[ref], s=14, zorder=3)
            ax.plot([b["mean"]] * 2, [i - 0.3, i + 0.3], color="black", lw=1)
        ax.set_yticks(range(len(refs)), refs, fontsize=7)
        ax.set_ylim(-0.7, len(refs) - 0.3)
        ax.invert_yaxis()
        title = f"{row['task']}\n{row['metric']} {ARROWS.get(row['direction'], '')}"
        ax.set_title(title + (f" [{row['variant']}]" if row.get("variant") else ""), fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Reference models over training seeds " + ", ".join(map(str, table.train_seeds))
                 + " (dots: seeds; bar: mean; shade: min to max)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return fig


def persistence_figure(panels: Sequence[dict[str, Any]], *, title: str, ncols: int = 4) -> Any:
    """Input and latent persistence diagrams, one panel per model, on the same landmarks.

    Parameters
    ----------
    panels : sequence of dict
        One per model: ``model``, ``input`` and ``latent`` (lists of (n_bars, 2) arrays, H0 first,
        in normalised units; ``inf`` for essential bars), ``threshold_input`` and
        ``threshold_latent`` (the bar length each Betti number counts from, per dimension) and
        ``cap`` (the Rips truncation: essential bars, and bars cut by it, are drawn on that line).
    title : str
    ncols : int, default=4

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _plt()
    if not panels:
        raise ValueError("persistence_figure: no diagrams to draw")
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.9 * ncols, 2.9 * nrows), squeeze=False)
    styles = {"input": ("#888888", "x"), "latent": ("#1f77b4", "o")}
    for ax, p in zip(axes.flat, panels):
        finite = [dg[np.isfinite(dg[:, 1]), 1] for space in ("input", "latent") for dg in p[space] if len(dg)]
        cap = float(p["cap"]) if np.isfinite(p["cap"]) else max([1.0] + [float(f.max()) for f in finite if len(f)])
        top = cap * 1.08
        ax.plot([0, top], [0, top], color="black", lw=0.6)
        ax.axhline(cap, color="black", lw=0.4, ls=":")
        for space, (color, marker) in styles.items():
            for d, dg in enumerate(p[space][:2]):
                dg = np.asarray(dg, dtype=float).reshape(-1, 2)
                death = np.where(np.isfinite(dg[:, 1]), np.minimum(dg[:, 1], cap), cap)
                ax.scatter(dg[:, 0], death, s=9 if d == 1 else 6, marker=marker if d == 1 else ".",
                           color=color, alpha=0.75 if d == 1 else 0.45, linewidths=0.8,
                           label=f"{space} H{d}")
            thr = np.asarray(p.get(f"threshold_{space}", []), dtype=float)
            if len(thr) > 1 and np.isfinite(thr[1]):  # bars above this line are counted in Betti 1
                ax.plot([0, top - thr[1]], [thr[1], top], color=color, lw=0.6, ls="--")
        ax.set_xlim(-0.02 * top, top)
        ax.set_ylim(-0.02 * top, top * 1.02)
        ax.set_title(p["model"], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig


def persistence_panels(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    """The stored persistence diagrams (``persistence/...`` artifacts of the topology tasks), by task."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for r in data.rows:
        if r["status"] != "ok" or (r["model"], r["task"]) in seen:
            continue
        h0 = data.artifact(r, "persistence/input/h0")
        if h0 is None:
            continue
        seen.add((r["model"], r["task"]))
        panel: dict[str, Any] = {"model": r["model"]}
        for space in ("input", "latent"):
            dims = []
            for d in range(4):
                dg = data.artifact(r, f"persistence/{space}/h{d}")
                if dg is None:
                    break
                dims.append(dg)
            panel[space] = dims
            thr = data.artifact(r, f"persistence/{space}/threshold")
            panel[f"threshold_{space}"] = [] if thr is None else list(thr)
        cap = data.artifact(r, "persistence/cap")
        panel["cap"] = float(cap[0]) if cap is not None and len(cap) else float("inf")
        by_task[r["task"]].append(panel)
    return {t: sorted(ps, key=lambda p: p["model"]) for t, ps in sorted(by_task.items())}


def _traversal_labels(grid: np.ndarray, change: np.ndarray | None, importance: np.ndarray | None,
                      mutual_info: np.ndarray | None = None, entropy: np.ndarray | None = None,
                      factor_names: Sequence[str] | None = None) -> list[str] | None:
    """Row labels: the sweep's mean pixel change and the factor the latent matters most for.

    The traversal task's own mutual information (over the factor's entropy) is used when stored;
    else the DCI importance matrix (share of the row's importance)."""
    d = np.asarray(grid).shape[0]
    mi = None if mutual_info is None else np.asarray(mutual_info, dtype=np.float64)
    if mi is not None and (mi.ndim != 2 or mi.shape[0] < d):
        mi = None
    names = list(factor_names) if factor_names is not None else []
    labels = []
    for i in range(d):
        s = f"z{i}"
        if change is not None and i < len(change):
            s += f"  Δ {fmt(float(change[i]), 2)}"
        if mi is not None:
            ent = np.asarray(entropy, dtype=np.float64) if entropy is not None and len(entropy) == mi.shape[1] else np.ones(mi.shape[1])
            share = np.divide(mi[i], ent, out=np.zeros(mi.shape[1]), where=ent > 0)
            if share.max() > 0:
                k = int(np.argmax(share))
                s += f"  → {names[k] if k < len(names) else f'f{k}'} ({share[k]:.0%} of H)"
        elif importance is not None and importance.ndim == 2 and i < importance.shape[0] and importance[i].max() > 0:
            k = int(np.argmax(importance[i]))
            share = float(importance[i, k] / importance[i].sum())
            s += f"  → {names[k] if k < len(names) else f'f{k}'} ({share:.0%})"
        labels.append(s)
    return labels


def _anchor_note(factors: np.ndarray | None, names: Sequence[str]) -> str | None:
    if factors is None or np.ndim(factors) != 2 or not len(factors):
        return None
    f = np.asarray(factors)[0]
    names = list(names) if len(names) == len(f) else [f"f{k}" for k in range(len(f))]
    return "\n".join(f"{n} = {int(v)}" for n, v in zip(names, f))


def diagnostic_plots(data: ReportData, shown: set[str], out: Path) -> tuple[list[PlotFile], list[str]]:
    """KL per dimension, DCI importance heatmaps, MIG per factor, scale curves, reconstruction grids and
    prior samples, from the stored artifacts."""
    from .diagnostics import importance_heatmaps, kl_per_dim_figure, mig_per_factor_figure, scale_curve_figure
    from .images import prior_samples_figure, reconstruction_grid_figure

    plots: list[PlotFile] = []
    notes: list[str] = []

    def by_task(name: str) -> dict[str, list[dict[str, Any]]]:
        acc: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for a in data.artifacts_named(name):
            if a["model"] in shown:
                acc[a["task"]].append(a)
        return acc

    def per_task(artifact: str, figure: Any, prefix: str, caption: Callable[[str], str]) -> None:
        """One plot per task from the stored artifact ``artifact`` of every shown model."""
        for task, items in sorted(by_task(artifact).items()):
            fig = figure(items, task=task)
            if fig is not None:
                plots.append(_save(fig, out, f"{prefix}-{_slug(task)}", caption(task)))

    per_task("kl_per_dim", kl_per_dim_figure, "kl-per-dim", lambda task: (
        f"{task}: the KL divergence of each latent dimension from the prior (nats, one panel per model). "
        "Grey bars below the dotted line (0.01 nats) are collapsed dimensions that carry no information; "
        "a healthy VAE spends its KL on a few dimensions, a β-VAE on fewer."))
    for task, items in sorted(by_task("importance_matrix").items()):
        fig, more = importance_heatmaps(items, task=task)
        notes += more
        if fig is not None:
            plots.append(_save(fig, out, f"importance-{_slug(task)}",
                               f"{task}: the DCI importance matrix of each model (rows: latent dimensions, columns: ground-truth "
                               "factors; darker: more important; each panel scaled to its own maximum). A disentangled code has one "
                               "dark cell per row (disentanglement) and per column (completeness), as in Locatello et al. (2019)."))
    per_task("mig_per_factor", mig_per_factor_figure, "mig-per-factor", lambda task: (
        f"{task}: the mutual-information gap of each factor (the gap between the two latents most informative "
        "about it, over the factor's entropy). A factor with a high bar is captured by one latent; the overall "
        "MIG is their mean. Hatched bars: null baselines."))
    radius, dim = by_task("scale_curve/radius"), by_task("scale_curve/dimension")
    for task in sorted(set(radius) & set(dim)):
        dims = {a["model"]: a["array"] for a in dim[task]}
        curves = [{"model": a["model"], "radius": a["array"], "dimension": dims[a["model"]]} for a in radius[task] if a["model"] in dims]
        fig = scale_curve_figure(curves, task=task)
        if fig is not None:
            plots.append(_save(fig, out, f"scale-curve-{_slug(task)}",
                               f"{task}: the intrinsic-dimension estimate at growing neighbourhood radii, one line per model (dashed: "
                               "null baselines). A plateau is a dimension that holds across scales; a curve that keeps rising is "
                               "noise read as dimension at small scales or curvature at large ones."))
    inputs, outputs = by_task(RECON_INPUTS), by_task(RECON_OUTPUTS)
    for task in sorted(set(inputs) & set(outputs)):
        fig = reconstruction_grid_figure(inputs[task], outputs[task], task=task)
        if fig is not None:
            plots.append(_save(fig, out, f"reconstructions-{_slug(task)}",
                               f"{task}: {len(inputs[task][0]['array'])} fixed test inputs (top row, the same for every model "
                               "and seed) and each model's reconstruction decode(encode(x)) of them, one row per model. Look for "
                               "blur, lost strokes or shapes, and reconstructions that all look alike (a decoder that ignores its code)."))
    per_task(PRIOR_SAMPLES, prior_samples_figure, "prior-samples", lambda task: (
        f"{task}: decode(z) for draws z ~ p(z) from each model's prior, one row per model (seeded by the "
        "job's seed). A generative model's samples look like data; blurred or broken samples mean the "
        "aggregate posterior does not fill the prior (regions the decoder never saw)."))
    if not inputs and not by_task(PRIOR_SAMPLES):
        notes.append("No reconstruction grids or prior samples: the store holds no `recon/inputs` or `prior/samples` artifacts "
                     "(the reconstruction task stores them on image data since it stored per-example errors only; rerun it to "
                     "add them; the report never decodes or samples a model).")
    return plots, notes


#: Null baselines whose codes are a linear map of the inputs (their projections are not drawn).
LINEAR_BASELINES = frozenset({"null:random", "null:pca-whiten"})


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in s).strip("-")


def make_plots(board: Leaderboard, data: ReportData | None, out_dir: str | Path, *,
               projections: bool = True, bands: SeedBandTable | None = None) -> tuple[list[PlotFile], list[str]]:
    """Draw every plot the stored numbers allow.

    Parameters
    ----------
    board : Leaderboard
    data : ReportData or None
        For the stored latent samples (projections).
    out_dir : str or Path
        Where ``<name>.png`` and ``<name>.svg`` go.
    projections : bool, default=True
    bands : SeedBandTable, optional
        Reference bands over training seeds (drawn when any reference has two seeds).

    Returns
    -------
    plots : list of PlotFile
    notes : list of str
        What was not drawn and why.
    """
    out = Path(out_dir)
    plots: list[PlotFile] = []
    notes: list[str] = []
    benches = board.benchmarks()
    for bench in benches:  # one set of bars per benchmark: a plot never puts models of two benchmarks side by side
        prefix = "" if len(benches) == 1 else f"{bench.slug}-"
        for family in bench.families():
            fig = family_bars(board, family, bench=bench)
            if fig is not None:
                plots.append(_save(fig, out, f"bars-{prefix}{_slug(family)}",
                                   f"{family} on benchmark {bench.name}: each primary score with its 95% interval (bold edge: best; "
                                   "hatched bar or diamond: tied with the best; grey lines: null baselines; rows with negative values, "
                                   "such as log-likelihoods, are drawn as points)."))
    fig = seed_band_figure(bands) if bands else None
    if fig is not None:
        plots.append(_save(fig, out, "reference-bands",
                           "Each reference model's primary scores over its training seeds (dots: one checkpoint each, the mean "
                           "over evaluation seeds; black bar: the mean; shade: min to max): the spread of retraining a reference."))
    for bench in benches:
        fig, caption = radar(board, bench=bench)
        if fig is not None:
            plots.append(_save(fig, out, "radar" if len(benches) == 1 else f"radar-{bench.slug}", caption))
        else:
            notes.append(caption)
    shown = set(board.models)  # plots follow the table's columns
    if data is not None:
        drawn, more = diagnostic_plots(data, shown, out)
        plots += drawn
        notes += more
    importance = {(t["model"], t["dataset"]): np.asarray(t["array"]) for t in
                  (data.artifacts_named("importance_matrix") if data is not None else []) if str(t["task"]).startswith("dci/")}
    stored = {name: {(c["model"], c["task"]): np.asarray(c["array"]) for c in (data.artifacts_named(name) if data is not None else [])}
              for name in ("traversal_change", "traversal_anchor", "traversal_anchor_factors", "traversal_factor_names",
                           "traversal_mutual_info", "traversal_factor_entropy")}
    for t in (data.artifacts_named("traversal_grid") if data is not None else []):
        if t["model"] not in shown:
            continue
        if t["model"] == "null:identity":
            notes.append(f"No traversal of null:identity on {t['task']}: its latent dimensions are pixels, so a sweep only brightens "
                         "one pixel.")
            continue
        if t["model"] in LINEAR_BASELINES:
            notes.append(f"No traversal of {t['model']} on {t['task']}: its latent dimensions are random or principal directions "
                         "of the pixels (a reference PCA's traversal shows the latter).")
            continue
        m = t["model"]
        extra = {name: {mm: a for (mm, task), a in by_name.items() if task == t["task"]} for name, by_name in stored.items()}
        names = [str(n) for n in np.atleast_1d(extra["traversal_factor_names"].get(m, np.array([], dtype=str)))]
        labels = _traversal_labels(t["array"], extra["traversal_change"].get(m), importance.get((m, t["dataset"])),
                                   extra["traversal_mutual_info"].get(m), extra["traversal_factor_entropy"].get(m), names)
        anchors = extra["traversal_anchor"].get(m)
        try:
            fig = traversal_figure(t["array"], title=f"{m}: {t['task']} (first anchor)", row_labels=labels,
                                   anchor_image=None if anchors is None or not len(anchors) else anchors[0],
                                   anchor_note=_anchor_note(extra["traversal_anchor_factors"].get(m), names))
        except ValueError as exc:
            notes.append(f"Traversal grid of {m} on {t['task']} not drawn: {exc}.")
            continue
        plots.append(_save(fig, out, f"traversal-{_slug(m)}-{_slug(t['task'])}",
                           f"{m} on {t['task']}: latent traversals stored by the task (one row per latent dimension, "
                           "swept from its 2nd to its 98th percentile around the first anchor, whose input image and factor "
                           "values are on the left where stored). Each row is labelled with the mean absolute pixel change of "
                           "its sweep (Δ) and the factor it matters most for (its mutual information over the factor's entropy, "
                           "stored by the task; else the DCI importance share): look for rows that change one thing each, and "
                           "rows with Δ = 0 (unused latents)."))
    for task, panels in (persistence_panels(data) if data is not None else {}).items():
        panels = [p for p in panels if p["model"] in shown]
        if not panels:
            continue
        fig = persistence_figure(panels, title=f"{task}: persistence diagrams, input (grey x) and latent (blue o)")
        plots.append(_save(fig, out, f"persistence-{_slug(task)}",
                           f"{task}: H0 (dots) and H1 (markers) persistence diagrams of the input and of the latent codes on the "
                           "same landmarks (first landmark draw; each space divided by its median landmark distance). Points on the "
                           "dotted line are essential or outlive the Rips truncation; H1 bars above a dashed line are counted in "
                           "that space's Betti 1."))
    if not projections:
        notes.append("Projections not drawn (--no-projections).")
        return plots, notes
    samples = [s for s in data.latent_samples() if s["model"] in shown] if data is not None else []
    linear = sorted({s["model"] for s in samples} & LINEAR_BASELINES)
    if linear:  # their pictures are linear maps of null:identity's (the inputs'): page weight without information
        samples = [s for s in samples if s["model"] not in LINEAR_BASELINES]
        notes.append(f"No projections of {' and '.join(linear)}: a random projection and a whitening of the inputs; "
                     "null:identity's projection shows the inputs themselves.")
    if not samples:
        notes.append("No latent projections: the store holds no latent samples (artifact `latents/z`). The report never "
                     "encodes data itself; projections appear once the runner stores a small latent sample per model and dataset.")
        return plots, notes
    methods = ["pca", "t-sne"] + (["umap"] if umap_available() else [])
    if "umap" not in methods:
        notes.append("UMAP projections are drawn only when `umap-learn` is installed (it is not here); PCA and t-SNE are shown.")
    for s in samples:
        fig = projection_figure(s, methods=methods)
        plots.append(_save(fig, out, f"latents-{_slug(s['model'])}-{_slug(s['dataset'])}",
                           f"{s['model']} on {s['dataset']}: {len(s['z'])} stored latent codes projected to 2-D "
                           f"({', '.join(methods)}), coloured by {s.get('label_name', 'label')}."))
        fig = factor_projection_figure(s)
        if fig is not None:
            plots.append(_save(fig, out, f"latents-by-factor-{_slug(s['model'])}-{_slug(s['dataset'])}",
                               f"{s['model']} on {s['dataset']}: the PCA projection of the same stored codes, one small panel "
                               "per ground-truth factor, coloured by its value. A factor the code captures shows a smooth gradient "
                               "in some panel; speckled colours mean the factor is mixed with others or not captured (PCA shows "
                               "the two directions of largest variance only)."))
    return plots, notes
