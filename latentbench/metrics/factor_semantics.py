"""Semantics of a latent space against ground-truth factors: factor analogies and factor-distance similarity.

* :func:`factor_analogy_score`: the word-analogy test of Mikolov et al. (2013) with generative
  factors in place of words. For rows ``a, b, c`` whose factor vectors satisfy ``f_a - f_b + f_c = f``
  for a row ``d`` with ``f_d = f``, the question is answered when the code nearest (Euclidean) to
  ``z_a - z_b + z_c`` among the candidates (every row but ``a``, ``b``, ``c``, as in the word test) is
  a row with factors ``f``; top-k: any of the ``k`` nearest. A model whose codes are the factors (any
  rotation, isotropic scaling or shift of them) answers every question.
  Categorical factors (the shape of a sprite) are not added and subtracted: a question keeps such a
  factor of ``c`` where ``a`` and ``b`` agree on it, or of ``a`` where ``b`` and ``c`` agree, and is
  not asked otherwise; at least one factor differs between ``a`` and ``b`` (no trivial questions).
  **Chance level**: a code that ranks the candidates at random answers a question with
  probability ``1 - C(N - m, k) / C(N, k)`` (``N`` candidates, ``m`` of them with the answer's
  factors); its mean over the questions is returned beside the accuracy.
* :func:`factor_distance_spearman`: Spearman's rank correlation between latent distances and
  factor distances over sampled pairs of rows (factor distance: Euclidean over factors scaled to
  [0, 1] by their range, a categorical factor contributing 0 or 1), computed by
  :func:`scipy.stats.spearmanr`. 1 when the latent distances order pairs as the factor distances do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from ..exceptions import InputValidationError
from ..validation import check_array, check_consistent_length, check_param, check_rng
from ._convention import score_function
from .scaling import rescale, undefined

__all__ = ["analogy_questions", "factor_analogy_score", "factor_distance_spearman"]

#: Most candidate rows of one analogy test (a questions x candidates distance block is formed per batch).
MAX_CANDIDATES = 50_000


def _check_factors(factors: Any, n: int | None = None) -> np.ndarray:
    f = check_array(factors, "factors", ndim=2, min_rows=1)
    if not np.all(f == np.round(f)):
        raise InputValidationError("factors must hold integer factor values (levels of each generative factor)")
    if n is not None and len(f) != n:
        raise InputValidationError(f"factors has {len(f)} rows but z has {n}; pass the factors of the same rows")
    return f.astype(np.int64)


def _check_categorical(categorical: Sequence[int], k: int) -> list[int]:
    cats = [int(c) for c in categorical]
    bad = [c for c in cats if not 0 <= c < k]
    if bad:
        raise InputValidationError(f"categorical must hold factor column indices in [0, {k}), got {bad}")
    return cats


def analogy_questions(factors: Any, *, rng: Any, n_questions: int = 1000, categorical: Sequence[int] = (),
                      max_draws: int = 200) -> np.ndarray:
    """Sample analogy questions ``(a, b, c, d)`` among rows with ``f_a - f_b + f_c = f_d``.

    Parameters
    ----------
    factors : array-like of int, shape (n_samples, n_factors)
    rng : int or numpy.random.Generator
    n_questions : int, default=1000
        Questions wanted (fewer when the rows do not hold that many answerable ones).
    categorical : sequence of int, default=()
        Factor columns that are categories (kept, never added or subtracted; see the module doc).
    max_draws : int, default=200
        Rounds of ``n_questions`` random triples tried before giving up.

    Returns
    -------
    ndarray of int64, shape (n_found, 4)
        Row indices ``a, b, c`` and one row ``d`` holding the answer's factors (distinct from ``a, b, c``).
    """
    f = _check_factors(factors)
    check_param(n_questions, "n_questions", low=1, high=1_000_000, integer=True)
    check_param(max_draws, "max_draws", low=1, high=10_000, integer=True)
    cats = _check_categorical(categorical, f.shape[1])
    gen = check_rng(rng)
    n = len(f)
    if n < 4:
        return np.empty((0, 4), dtype=np.int64)
    lookup: dict[tuple[int, ...], list[int]] = {}
    for i, row in enumerate(map(tuple, f.tolist())):
        lookup.setdefault(row, []).append(i)
    num = [j for j in range(f.shape[1]) if j not in cats]
    found: list[tuple[int, int, int, int]] = []
    seen: set[tuple[int, int, int]] = set()
    for _ in range(max_draws):
        t = gen.integers(0, n, size=(n_questions, 3))
        t = t[(t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])]
        fa, fb, fc = f[t[:, 0]], f[t[:, 1]], f[t[:, 2]]
        target = fa - fb + fc
        ok = np.any(fa != fb, axis=1)
        for j in cats:
            same_ab, same_bc = fa[:, j] == fb[:, j], fb[:, j] == fc[:, j]
            target[:, j] = np.where(same_ab, fc[:, j], fa[:, j])
            ok &= same_ab | same_bc
        for j in num:
            ok &= target[:, j] >= f[:, j].min()
        for (a, b, c), tgt in zip(t[ok].tolist(), target[ok].tolist()):
            rows = [r for r in lookup.get(tuple(tgt), ()) if r not in (a, b, c)]
            if rows and (a, b, c) not in seen:
                seen.add((a, b, c))
                found.append((a, b, c, rows[0]))
                if len(found) == n_questions:
                    return np.array(found, dtype=np.int64)
    return np.array(found, dtype=np.int64).reshape(-1, 4)


@score_function("top1")
def factor_analogy_score(z: Any, factors: Any, *, rng: Any, n_questions: int = 1000, top_k: int = 5,
                         categorical: Sequence[int] = (), return_details: bool = False) -> Any:
    """Factor-analogy accuracy: ``z_a - z_b + z_c`` nearest to a code of the row with factors ``f_a - f_b + f_c``.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_latents)
        Codes of the candidate rows (every row is a candidate).
    factors : array-like of int, shape (n_samples, n_factors)
        Ground-truth factors of the same rows.
    rng : int or numpy.random.Generator
        Draws the questions (keyword-only, required).
    n_questions : int, default=1000
    top_k : int, default=5
        Also report top-``k`` accuracy.
    categorical : sequence of int, default=()
        Factor columns that are categories (see :func:`analogy_questions`).

    Returns
    -------
    dict
        ``top1``, ``top{k}`` (accuracies in [0, 1]), ``chance_top1``, ``chance_top{k}`` (the mean
        chance level of the questions asked), ``hits1``, ``hits{k}`` (per-question 0/1 arrays),
        ``n_questions``, ``n_candidates``.

    References
    ----------
    T. Mikolov, W. Yih, G. Zweig. Linguistic regularities in continuous space word representations. NAACL 2013.
    """
    check_param(top_k, "top_k", low=1, high=1000, integer=True)
    rz = rescale(z, "z", min_rows=1)
    Z = rz.x
    f = _check_factors(factors, len(Z))
    if len(Z) > MAX_CANDIDATES:
        raise InputValidationError(f"z has {len(Z)} rows; at most {MAX_CANDIDATES} candidates: subsample the rows")
    q = analogy_questions(f, rng=rng, n_questions=n_questions, categorical=categorical)
    k = int(top_k)
    empty = {"top1": float("nan"), f"top{k}": float("nan"), "chance_top1": float("nan"), f"chance_top{k}": float("nan"),
             "hits1": np.zeros(0), f"hits{k}": np.zeros(0), "n_questions": len(q), "n_candidates": len(Z)}
    if len(q) == 0:
        empty["top1"] = undefined("factor_analogy_score", "no answerable analogy among these rows (no row holds f_a - f_b + f_c)")
        return empty
    if rz.degenerate:
        empty["top1"] = undefined("factor_analogy_score", f"z is {rz.degenerate}")
        return empty
    codes = {tuple(r) for r in f.tolist()}
    key = {c: i for i, c in enumerate(sorted(codes))}
    fid = np.array([key[tuple(r)] for r in f.tolist()])
    counts = np.bincount(fid, minlength=len(key))
    hits1, hitsk, ch1, chk = [], [], [], []
    sq = np.einsum("ij,ij->i", Z, Z)
    for start in range(0, len(q), 256):
        qb = q[start:start + 256]
        query = Z[qb[:, 0]] - Z[qb[:, 1]] + Z[qb[:, 2]]
        d2 = sq[None, :] - 2.0 * query @ Z.T + np.einsum("ij,ij->i", query, query)[:, None]
        d2[np.arange(len(qb))[:, None], qb[:, :3]] = np.inf  # a, b, c are not candidates
        kk = min(k, len(Z) - 3)
        top = np.argpartition(d2, kk - 1, axis=1)[:, :kk] if kk < len(Z) else np.argsort(d2, axis=1)[:, :kk]
        order = np.take_along_axis(d2, top, axis=1).argsort(axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        want = fid[qb[:, 3]]
        match = fid[top] == want[:, None]
        hits1.append(match[:, 0])
        hitsk.append(match.any(axis=1))
        # chance: m answers among N = n - 3 candidates (a, b, c excluded; none of them holds the answer's factors
        # unless duplicated rows share them, counted here)
        m = counts[want] - (fid[qb[:, :3]] == want[:, None]).sum(axis=1)
        N = len(Z) - 3
        ch1.append(m / N)
        chk.append(np.array([1.0 - math.comb(N - int(mi), kk) / math.comb(N, kk) for mi in m]))
    h1, hk = np.concatenate(hits1).astype(np.float64), np.concatenate(hitsk).astype(np.float64)
    return {"top1": float(h1.mean()), f"top{k}": float(hk.mean()), "chance_top1": float(np.concatenate(ch1).mean()),
            f"chance_top{k}": float(np.concatenate(chk).mean()), "hits1": h1, f"hits{k}": hk, "n_questions": len(q),
            "n_candidates": len(Z)}


@score_function("spearman")
def factor_distance_spearman(z: Any, factors: Any, *, rng: Any, n_pairs: int = 5000, categorical: Sequence[int] = (),
                             return_details: bool = False) -> Any:
    """Spearman correlation between latent and factor distances over sampled pairs of rows.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_latents)
    factors : array-like of shape (n_samples, n_factors)
        Ground-truth factors (integer levels or continuous values) of the same rows.
    rng : int or numpy.random.Generator
        Draws the pairs (keyword-only, required).
    n_pairs : int, default=5000
        Pairs ``(i, j)``, ``i != j``, drawn uniformly with replacement.
    categorical : sequence of int, default=()
        Factor columns compared as equal / different (distance 0 or 1).

    Returns
    -------
    dict
        ``spearman`` in [-1, 1], ``pairs`` (the ``(n_pairs, 2)`` rows), ``latent_distance`` and
        ``factor_distance`` (per pair), ``n_pairs``.
    """
    check_param(n_pairs, "n_pairs", low=3, high=10_000_000, integer=True)
    rz = rescale(z, "z", min_rows=2)
    Z = rz.x
    F = check_array(factors, "factors", ndim=2, min_rows=2)
    check_consistent_length(z=Z, factors=F)
    cats = _check_categorical(categorical, F.shape[1])
    gen = check_rng(rng)
    n = len(Z)
    i = gen.integers(0, n, n_pairs)
    j = (i + gen.integers(1, n, n_pairs)) % n  # j != i, uniform over the other rows
    span = F.max(axis=0) - F.min(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        Fs = np.where(span > 0, (F - F.min(axis=0)) / np.where(span > 0, span, 1.0), 0.0)
    diff = Fs[i] - Fs[j]
    for c in cats:
        diff[:, c] = (F[i, c] != F[j, c]).astype(np.float64)
    fd = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    ld = np.linalg.norm(Z[i] - Z[j], axis=1)  # of the rescaled codes: ranks (and Spearman) are those of the original's
    out = {"pairs": np.stack([i, j], axis=1), "latent_distance": np.asarray(rz.undo(ld), dtype=np.float64), "factor_distance": fd, "n_pairs": int(n_pairs)}
    if rz.degenerate or np.ptp(fd) == 0 or np.ptp(ld) == 0:
        why = f"z is {rz.degenerate}" if rz.degenerate else "every sampled pair is at the same distance"
        return {**out, "spearman": undefined("factor_distance_spearman", why)}
    return {**out, "spearman": float(sps.spearmanr(out["latent_distance"], fd).statistic)}
