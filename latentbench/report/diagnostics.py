"""Per-dimension and per-factor plots from what the tasks already store (never recomputed).

* KL per latent dimension (``kl_per_dim`` of the collapse tasks): one panel per model;
* the DCI importance matrix (``importance_matrix``, latents x factors) as a heatmap per model;
* MIG per factor (``mig_per_factor``): grouped bars, one group per factor;
* intrinsic-dimension scale curves (``scale_curve/radius``, ``scale_curve/dimension``): the
  estimate against the neighbourhood radius, one line per model.

Each function takes the artifacts of one task (``ReportData.artifacts_named`` dicts) and returns a
matplotlib figure, or ``None`` when there is nothing to draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["importance_heatmaps", "kl_per_dim_figure", "mig_per_factor_figure", "scale_curve_figure"]

#: Importance matrices with more latent rows than this (``null:identity``: one row per pixel) are not drawn.
MAX_HEATMAP_ROWS = 64


def _plt() -> Any:
    from .plots import _plt as plt

    return plt()


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return int(math.ceil(n / ncols)), ncols


def kl_per_dim_figure(items: Sequence[dict[str, Any]], *, task: str, ncols: int = 4) -> Any | None:
    """One bar panel per model: the KL divergence of each latent dimension (nats), in latent order.

    Parameters
    ----------
    items : sequence of dict
        ``model`` and ``array`` (shape (d,)), as :meth:`ReportData.artifacts_named` returns them.
    task : str
    ncols : int, default=4

    Returns
    -------
    matplotlib.figure.Figure or None
    """
    items = [it for it in items if np.ndim(it["array"]) == 1 and len(it["array"])]
    if not items:
        return None
    plt = _plt()
    rows, cols = _grid(len(items), ncols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.7 * cols, 2.0 * rows), squeeze=False, sharey=True)
    top = max(float(np.max(it["array"])) for it in items)
    for ax, it in zip(axes.flat, items):
        kl = np.asarray(it["array"], dtype=np.float64)
        ax.bar(np.arange(len(kl)), kl, color=["tab:blue" if v >= 0.01 else "tab:gray" for v in kl])
        ax.axhline(0.01, color="black", lw=0.6, ls=":")
        ax.set_title(f"{it['model']}", fontsize=7)
        ax.set_xticks(np.arange(len(kl)), [f"z{i}" for i in range(len(kl))], fontsize=5, rotation=90)
        ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    axes[0][0].set_ylabel("KL (nats)", fontsize=7)
    fig.suptitle(f"{task}: KL divergence per latent dimension", fontsize=9)
    fig.tight_layout()
    return fig


def importance_heatmaps(items: Sequence[dict[str, Any]], *, task: str, ncols: int = 5) -> tuple[Any | None, list[str]]:
    """The DCI importance matrix of each model as a heatmap (latent dimensions x factors).

    Matrices with more than :data:`MAX_HEATMAP_ROWS` rows (a pixel-space baseline) are left out
    and named in the returned notes.

    Returns
    -------
    figure : matplotlib.figure.Figure or None
    notes : list of str
    """
    notes = []
    keep = []
    for it in items:
        m = np.asarray(it["array"], dtype=np.float64)
        if m.ndim != 2 or not m.size:
            continue
        if m.shape[0] > MAX_HEATMAP_ROWS:
            notes.append(f"{task}: the importance matrix of {it['model']} has {m.shape[0]} latent rows (pixels) and is not drawn.")
            continue
        keep.append((it["model"], m))
    if not keep:
        return None, notes
    plt = _plt()
    rows, cols = _grid(len(keep), ncols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.6 * rows), squeeze=False)
    for ax, (model, m) in zip(axes.flat, keep):
        peak = float(m.max()) if m.max() > 0 else 1.0
        ax.imshow(m, cmap="Blues", vmin=0.0, vmax=peak, aspect="auto", interpolation="nearest")
        ax.set_title(model, fontsize=6)
        ax.set_xticks(np.arange(m.shape[1]), [f"f{k}" for k in range(m.shape[1])], fontsize=5)
        step = max(1, m.shape[0] // 16)
        ax.set_yticks(np.arange(0, m.shape[0], step), [f"z{i}" for i in range(0, m.shape[0], step)], fontsize=5)
    for ax in list(axes.flat)[len(keep):]:
        ax.set_visible(False)
    fig.suptitle(f"{task}: importance of each latent (row) for each factor (column)", fontsize=9)
    fig.tight_layout()
    return fig, notes


def mig_per_factor_figure(items: Sequence[dict[str, Any]], *, task: str) -> Any | None:
    """Grouped bars: the mutual-information gap of each factor, one bar per model."""
    items = [it for it in items if np.ndim(it["array"]) == 1 and len(it["array"])]
    if not items:
        return None
    plt = _plt()
    k = max(len(it["array"]) for it in items)
    width = 0.8 / len(items)
    fig, ax = plt.subplots(figsize=(min(1.2 + 1.1 * k, 10), 3.0))
    cmap = plt.get_cmap("tab10")
    for i, it in enumerate(items):
        v = np.asarray(it["array"], dtype=np.float64)
        ax.bar(np.arange(len(v)) + (i - (len(items) - 1) / 2) * width, v, width, label=it["model"], color=cmap(i % 10),
               hatch="//" if str(it["model"]).startswith("null:") else None, alpha=0.6 if str(it["model"]).startswith("null:") else 1.0)
    ax.set_xticks(np.arange(k), [f"factor {j}" for j in range(k)], fontsize=7)
    ax.set_ylabel("MIG (normalized)", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"{task}: mutual-information gap per factor", fontsize=9)
    fig.tight_layout()
    return fig


def scale_curve_figure(curves: Sequence[dict[str, Any]], *, task: str) -> Any | None:
    """The intrinsic-dimension estimate against the neighbourhood radius (log scale), one line per model.

    Parameters
    ----------
    curves : sequence of dict
        ``model``, ``radius`` and ``dimension`` (arrays of one length), ``error`` optional.
    """
    curves = [c for c in curves if c.get("radius") is not None and c.get("dimension") is not None and len(c["radius"])]
    if not curves:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    cmap = plt.get_cmap("tab10")
    for i, c in enumerate(curves):
        r, d = np.asarray(c["radius"], dtype=np.float64), np.asarray(c["dimension"], dtype=np.float64)
        base = str(c["model"]).startswith("null:")
        ax.plot(r, d, marker="o", ms=3, lw=1.0, ls="--" if base else "-", color="gray" if base else cmap(i % 10), label=c["model"])
    ax.set_xscale("log")
    ax.set_xlabel("neighbourhood radius", fontsize=7)
    ax.set_ylabel("estimated dimension", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"{task}: intrinsic-dimension estimate by scale", fontsize=9)
    fig.tight_layout()
    return fig
