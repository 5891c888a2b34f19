"""The audit report's figures, drawn from stored numbers only: per-group bars with intervals, the
membership ROC curve, and a grid of audited inputs above the attacker's reconstructions.

Each function returns PNG bytes (``None`` when there is nothing to draw); the report inlines them
in its HTML and writes them beside its Markdown.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["group_bars_png", "inversion_grid_png", "membership_roc_png", "proportion_interval"]


def _png(fig: Any) -> bytes:
    from .plots import _plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return buf.getvalue()


def proportion_interval(rate: float, count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a proportion ``rate`` observed on ``count`` rows (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    k = int(round(float(rate) * int(count)))
    ci = binomtest(k, int(count)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def group_bars_png(by_group: Mapping[str, Mapping[str, Mapping[str, Any]] | None], names: Mapping[str, str]) -> bytes | None:
    """Accuracy, positive-prediction rate, TPR and FPR per group, one panel per probe (latent, input).

    Accuracy and positive-prediction rate carry 95% Wilson intervals over the group's test rows;
    TPR and FPR are drawn without (their denominators, the group's positives and negatives, are not
    stored).
    """
    from .plots import _plt

    probes = [(p, g) for p, g in by_group.items() if g]
    if not probes:
        return None
    plt = _plt()
    metrics = (("accuracy", "accuracy", True), ("selection_rate", "positive-prediction rate", True), ("tpr", "TPR", False),
               ("fpr", "FPR", False))
    fig, axes = plt.subplots(1, len(probes), figsize=(4.6 * len(probes), 3.0), squeeze=False, sharey=True)
    cmap = plt.get_cmap("tab10")
    for ax, (probe, groups) in zip(axes[0], probes):
        gs = list(groups)
        width = 0.8 / max(1, len(gs))
        for j, g in enumerate(gs):
            v = groups[g]
            xs, ys, ex, ey, lo, hi = [], [], [], [], [], []
            for i, (key, _label, with_ci) in enumerate(metrics):
                val = v.get(key)
                if val is None:
                    continue
                xs.append(i + (j - (len(gs) - 1) / 2) * width)
                ys.append(float(val))
                if with_ci and v.get("count"):
                    low, high = proportion_interval(float(val), int(v["count"]))
                    ex.append(xs[-1])
                    ey.append(float(val))
                    lo.append(float(val) - low)
                    hi.append(high - float(val))
            ax.bar(xs, ys, width, color=cmap(j % 10), label=names.get(str(g), str(g)))
            if ex:
                ax.errorbar(ex, ey, yerr=[lo, hi], fmt="none", ecolor="black", capsize=3, lw=1)
        ax.set_xticks(range(len(metrics)), [m[1] for m in metrics], fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{probe} probe", fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7, title="group", title_fontsize=7)
    fig.tight_layout()
    return _png(fig)


def membership_roc_png(members: np.ndarray, non_members: np.ndarray, *, signal: str) -> bytes | None:
    """The ROC curve of one membership signal (members positive), with the chance diagonal, on log-log
    and linear axes."""
    from sklearn.metrics import roc_auc_score, roc_curve

    from .plots import _plt

    sm, sn = np.asarray(members, dtype=np.float64).ravel(), np.asarray(non_members, dtype=np.float64).ravel()
    if not len(sm) or not len(sn):
        return None
    y = np.r_[np.ones(len(sm)), np.zeros(len(sn))]
    s = np.r_[sm, sn]
    fpr, tpr, _ = roc_curve(y, s)
    auc = roc_auc_score(y, s)
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.2))
    for ax, log in zip(axes, (False, True)):
        ax.plot(fpr, tpr, color="tab:red", lw=1.4, label=f"{signal} (AUROC {auc:.3f})")
        ax.plot([1e-4 if log else 0, 1], [1e-4 if log else 0, 1], color="gray", ls=":", lw=1, label="chance")
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(max(1.0 / len(sn), 1e-4), 1)
            ax.set_ylim(max(1.0 / len(sm), 1e-4), 1)
        ax.set_xlabel("false-positive rate (non-members flagged)", fontsize=7)
        ax.set_ylabel("true-positive rate (members caught)", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title("log-log (the low false-alarm corner)" if log else "linear", fontsize=8)
    axes[0].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def inversion_grid_png(originals: np.ndarray, inverted: np.ndarray, shape: Any) -> bytes | None:
    """Audited inputs (top row) above the attacker's reconstructions from their latents (bottom row)."""
    from .plots import _plt

    x, r = np.asarray(originals, dtype=np.float64), np.asarray(inverted, dtype=np.float64)
    shape = tuple(int(v) for v in np.asarray(shape).ravel())
    if not len(x) or x.shape != r.shape or int(np.prod(shape)) != x.shape[1] or len(shape) not in (2, 3):
        return None
    n = len(x)
    h, w = shape[-2], shape[-1]
    c = shape[0] if len(shape) == 3 else 1
    lo, hi = min(x.min(), r.min()), max(x.max(), r.max())
    plt = _plt()
    fig, axes = plt.subplots(2, n, figsize=(1.1 * n, 2.5), squeeze=False)
    for j in range(n):
        for i, arr in enumerate((x[j], r[j])):
            img = arr.reshape(c, h, w)
            img = img[0] if c == 1 else np.moveaxis(img, 0, -1)
            axes[i][j].imshow((img - lo) / (hi - lo or 1.0), cmap="gray" if c == 1 else None, vmin=0, vmax=1, interpolation="nearest")
            axes[i][j].set_xticks([])
            axes[i][j].set_yticks([])
    axes[0][0].set_ylabel("original", fontsize=7)
    axes[1][0].set_ylabel("inverted", fontsize=7)
    fig.tight_layout()
    return _png(fig)
