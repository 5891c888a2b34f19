"""Image grids from what the reconstruction task stores (never decoded or sampled here).

* reconstruction grids: the fixed test inputs (``recon/inputs``) above each model's
  reconstructions of them (``recon/outputs``), one row per model;
* prior samples: each model's decoded prior draws (``prior/samples``), one row per model.

Each function takes the artifacts of one task (``ReportData.artifacts_named`` dicts) and returns a
matplotlib figure, or ``None`` when there is nothing to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["image_rows_figure", "prior_samples_figure", "reconstruction_grid_figure"]


def _plt() -> Any:
    from .plots import _plt as plt

    return plt()


def _as_unit(images: np.ndarray) -> np.ndarray | None:
    """``(n, c, h, w)`` images scaled to [0, 1] (uint8 divided by 255), or ``None`` when not that shape."""
    a = np.asarray(images)
    if a.ndim != 4 or a.shape[1] not in (1, 3) or not len(a):
        return None
    return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else np.clip(a.astype(np.float64), 0.0, 1.0)


def image_rows_figure(rows: Sequence[tuple[str, np.ndarray]], *, title: str) -> Any | None:
    """One labelled row of images per entry, side by side.

    Parameters
    ----------
    rows : sequence of (label, ndarray of shape (n, c, h, w))
        uint8 (0-255) or float in [0, 1]; rows of other shapes are left out.
    title : str

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when no row has images of one common shape.
    """
    unit = [(label, _as_unit(a)) for label, a in rows]
    unit = [(label, a) for label, a in unit if a is not None]
    if not unit:
        return None
    shape = unit[0][1].shape[1:]
    unit = [(label, a) for label, a in unit if a.shape[1:] == shape]
    c, h, w = shape
    n = max(len(a) for _, a in unit)
    mosaic = np.ones((len(unit) * (h + 2), n * (w + 2), c))
    for i, (_, a) in enumerate(unit):
        for j, img in enumerate(a):
            mosaic[i * (h + 2) + 1 : i * (h + 2) + 1 + h, j * (w + 2) + 1 : j * (w + 2) + 1 + w] = img.transpose(1, 2, 0)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(min(0.75 * n, 9) + 1.6, 0.75 * len(unit) + 0.6))
    ax.imshow(mosaic[..., 0] if c == 1 else mosaic, cmap="gray" if c == 1 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks([(h + 2) * (i + 0.5) for i in range(len(unit))], [label for label, _ in unit], fontsize=7)
    ax.set_xticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def reconstruction_grid_figure(inputs: Sequence[dict[str, Any]], outputs: Sequence[dict[str, Any]], *, task: str) -> Any | None:
    """The stored test inputs on top, each model's reconstructions of them below.

    Parameters
    ----------
    inputs, outputs : sequence of dict
        ``model`` and ``array`` (``recon/inputs`` and ``recon/outputs`` of one task).
        Every model stores the same input rows; a model whose inputs differ gets its own input row.
    task : str

    Returns
    -------
    matplotlib.figure.Figure or None
    """
    given = {it["model"]: np.asarray(it["array"]) for it in inputs}
    rows: list[tuple[str, np.ndarray]] = []
    shown: np.ndarray | None = None
    for it in sorted(outputs, key=lambda it: it["model"]):
        x = given.get(it["model"])
        if x is None:
            continue
        if shown is None or x.shape != shown.shape or not np.array_equal(x, shown):
            rows.append(("input" if shown is None else f"input ({it['model']})", x))
            shown = x
        rows.append((it["model"], np.asarray(it["array"])))
    if not rows:
        return None
    return image_rows_figure(rows, title=f"{task}: test inputs (top) and their reconstructions")


def prior_samples_figure(items: Sequence[dict[str, Any]], *, task: str) -> Any | None:
    """Each model's decoded prior draws, one row per model (``prior/samples`` of one task)."""
    rows = [(it["model"], np.asarray(it["array"])) for it in sorted(items, key=lambda it: it["model"])]
    return image_rows_figure(rows, title=f"{task}: decoded samples from each model's prior") if rows else None
