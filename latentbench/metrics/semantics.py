"""Word analogies and word similarity: the semantics family's metrics, pure functions of vectors.

* :func:`analogy_accuracy_score` -- ``a : b :: c : ?`` answered by 3CosAdd (Mikolov et al. 2013) or
  3CosMul (Levy & Goldberg 2014) over a stated set of candidate vectors, the question words
  excluded from the answers, every vector normalised to unit length. Equal to gensim's
  ``KeyedVectors.evaluate_word_analogies`` (3CosAdd) and ``most_similar_cosmul`` (3CosMul) on the
  same vectors, candidates and questions (``tests/test_metrics_semantics.py``), and vectorised
  over questions (``bench/bench_semantics.py`` measures it against gensim's loop).
* :func:`word_similarity_score` -- Spearman's rank correlation (and Pearson's) between the cosine
  similarity of word pairs and human judgements (WordSim-353, SimLex-999), as gensim's
  ``evaluate_word_pairs`` computes it (with ``scipy.stats``).
* :func:`pair_cosines` -- the cosine similarity of row-aligned pairs of vectors.

The tasks (:mod:`latentbench.tasks.semantics`) choose the candidates and the covered questions and
pairs; these functions see arrays only.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, UndefinedMetricWarning
from ..validation import check_array, check_param
from ._convention import score_function

__all__ = ["analogy_accuracy_score", "pair_cosines", "word_similarity_score"]

#: The methods of :func:`analogy_accuracy_score`.
ANALOGY_METHODS: tuple[str, ...] = ("3cosadd", "3cosmul")

#: Values held per block of similarities (questions x candidates, and question words x candidates): 32 MB.
CELLS = 1 << 22


def _unit_rows(vectors: np.ndarray, name: str) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1)
    if (norms == 0).any():
        first = int(np.nonzero(norms == 0)[0][0])
        raise InputValidationError(f"{name} has {int((norms == 0).sum())} all-zero rows (first row {first}); a zero vector "
                                   f"has no direction, so no cosine: drop those words or fix the model")
    return vectors / norms[:, None]


def _check_indices(values: Any, name: str, n: int, *, ndim: int, width: int | None = None) -> np.ndarray:
    arr = check_array(values, name, ndim=ndim, dtype=None, min_rows=0)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise InputValidationError(f"{name} must hold integer row indices, got non-integral values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise InputValidationError(f"{name} must hold integer row indices, got dtype {arr.dtype}")
    if width is not None and arr.shape[1] != width:
        raise InputValidationError(f"{name} must have shape (n_questions, {width}) (a, b, c, d), got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise InputValidationError(f"{name} holds row indices outside [0, {n}) (the rows of the vectors)")
    return arr.astype(np.int64, copy=False)


@score_function("accuracy")
def analogy_accuracy_score(vectors: Any, questions: Any, *, method: str = "3cosadd", groups: Any = None,
                           epsilon: float = 1e-6, return_details: bool = False) -> dict[str, Any]:
    """Accuracy of answering word analogies ``a : b :: c : d`` by the nearest candidate.

    Every row of ``vectors`` is a candidate answer; each question's words ``a``, ``b``, ``c`` (and
    every candidate in their ``groups``) are excluded from its answers. With unit vectors,

    * 3CosAdd: ``argmax_x cos(x, b) - cos(x, a) + cos(x, c)`` (Mikolov et al. 2013), what gensim's
      ``most_similar(positive=[b, c], negative=[a])`` returns;
    * 3CosMul: ``argmax_x cos'(x, b) cos'(x, c) / (cos'(x, a) + epsilon)`` with ``cos' = (1 + cos) / 2``
      (Levy & Goldberg 2014, footnote 7), what gensim's ``most_similar_cosmul`` returns.

    A question is answered correctly when the chosen candidate is ``d`` (or in ``d``'s group).

    Parameters
    ----------
    vectors : array-like of shape (n_candidates, d)
        The candidate vectors (any length; normalised here), question words among them.
    questions : array-like of int, shape (n_questions, 4)
        Row indices of ``a, b, c, d`` into ``vectors``.
    method : {"3cosadd", "3cosmul"}, default="3cosadd"
    groups : array-like of int, shape (n_candidates,), optional
        Rows with the same value are one word (the casings of a word in a case-insensitive model):
        excluded together, and any of them answers for ``d``. Default: every row its own word.
    epsilon : float, default=1e-6
        3CosMul's guard against division by zero (gensim's value; Levy & Goldberg used 0.001).

    Returns
    -------
    dict
        ``accuracy`` (float in [0, 1]; NaN with an :class:`UndefinedMetricWarning` for no
        questions), ``correct`` (bool, per question), ``predicted`` (the chosen row per question),
        ``n_questions``, ``method``.

    Raises
    ------
    InputValidationError
        ``vectors`` with NaN, infinite or all-zero rows, fewer than 4 rows; ``questions`` that are not
        integer row indices of shape ``(n, 4)``; an unknown ``method``.

    References
    ----------
    Mikolov, Chen, Corrado & Dean (2013), Efficient estimation of word representations in vector space.
    Levy & Goldberg (2014), Linguistic regularities in sparse and explicit word representations.
    """
    check_param(method, "method", options=ANALOGY_METHODS)
    check_param(epsilon, "epsilon", low=0.0)
    if not epsilon > 0:
        raise InputValidationError(f"'epsilon' must be > 0 (3CosMul divides by cos'(x, a) + epsilon), got {epsilon!r}")
    v = check_array(vectors, "vectors", min_rows=4)
    n = len(v)
    q = _check_indices(questions, "questions", n, ndim=2, width=4)
    g = np.arange(n) if groups is None else _check_indices(groups, "groups", np.iinfo(np.int64).max, ndim=1)
    if len(g) != n:
        raise InputValidationError(f"groups must have one value per row of vectors ({n}), got {len(g)}")
    unit = _unit_rows(v, "vectors")
    _, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
    shared = np.nonzero(counts[inverse] > 1)[0]  # rows whose word has other rows (casings): excluded by group
    predicted = _nearest_answers(unit, q, g, shared, method, float(epsilon))
    correct = g[predicted] == g[q[:, 3]] if len(q) else np.zeros(0, dtype=bool)
    if len(q) == 0:
        warnings.warn("no analogy questions: the accuracy is undefined", UndefinedMetricWarning, stacklevel=3)
    accuracy = float(correct.mean()) if len(q) else float("nan")
    return {"accuracy": accuracy, "correct": correct, "predicted": predicted, "n_questions": len(q), "method": method}


def _nearest_answers(unit: np.ndarray, q: np.ndarray, g: np.ndarray, shared: np.ndarray, method: str, epsilon: float) -> np.ndarray:
    """The best candidate row per question (the first on ties, as ``np.argmax`` over all rows).

    The cosines of the distinct question words with every candidate are computed once per block of
    candidate columns (``n_words x block``, a matrix product), and each question's objective is read
    from their rows: far fewer products than one per question (19,544 questions share 905 words).
    """
    words, local = np.unique(q[:, :3], return_inverse=True)
    local = local.reshape(-1, 3)
    n = len(unit)
    best = np.full(len(q), -np.inf)
    predicted = np.zeros(len(q), dtype=np.int64)
    col_block = max(1, CELLS // max(len(words), 1))
    for cs in range(0, n, col_block):
        ce = min(n, cs + col_block)
        cos = unit[words] @ unit[cs:ce].T
        if method == "3cosmul":
            cos = (1.0 + cos) / 2.0
        in_block = shared[(shared >= cs) & (shared < ce)]
        row_block = max(1, CELLS // (ce - cs))
        for qs in range(0, len(q), row_block):
            la, lb, lc = local[qs : qs + row_block].T
            if method == "3cosadd":
                sims = cos[lb] - cos[la] + cos[lc]
            else:
                sims = cos[lb] * cos[lc] / (cos[la] + epsilon)
            at = np.arange(len(la))
            for w in q[qs : qs + row_block, :3].T:  # the question words themselves
                inside = (w >= cs) & (w < ce)
                sims[at[inside], w[inside] - cs] = -np.inf
            if len(in_block):  # and the other rows of their words
                gs = g[in_block][None, :]
                qa, qb, qc = (g[w][:, None] for w in q[qs : qs + row_block, :3].T)
                hit = (gs == qa) | (gs == qb) | (gs == qc)
                sub = sims[:, in_block - cs]
                sub[hit] = -np.inf
                sims[:, in_block - cs] = sub
            top = np.argmax(sims, axis=1)
            value = sims[at, top]
            better = value > best[qs : qs + row_block]  # strictly: an earlier block keeps a tie, as one argmax would
            best[qs : qs + row_block][better] = value[better]
            predicted[qs : qs + row_block][better] = top[better] + cs
    return predicted


def pair_cosines(x: Any, y: Any) -> np.ndarray:
    """Cosine similarity of each row of ``x`` with the same row of ``y``.

    Parameters
    ----------
    x, y : array-like of shape (n_pairs, d)

    Returns
    -------
    ndarray of shape (n_pairs,)

    Raises
    ------
    InputValidationError
        Arrays of different shapes, NaN or infinite values, an all-zero row.
    """
    a = check_array(x, "x", min_rows=0)
    b = check_array(y, "y", min_rows=0)
    if a.shape != b.shape:
        raise InputValidationError(f"x and y must have the same shape (one row per pair), got {a.shape} and {b.shape}")
    return np.einsum("ij,ij->i", _unit_rows(a, "x"), _unit_rows(b, "y"))


def _ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(values, axis=-1)


def _pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r along the last axis (NaN where either side is constant)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=-1) / den
    return np.clip(r, -1.0, 1.0)


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho along the last axis (average ranks for ties), as ``scipy.stats.spearmanr``."""
    return _pearson(_ranks(x), _ranks(y))


@score_function("spearman")
def word_similarity_score(similarities: Any, human_scores: Any, *, return_details: bool = False) -> dict[str, Any]:
    """Spearman's rank correlation between a model's similarities of word pairs and human judgements.

    Parameters
    ----------
    similarities : array-like of shape (n_pairs,)
        The model's similarity of each pair (the cosine of its two codes: :func:`pair_cosines`).
    human_scores : array-like of shape (n_pairs,)
        Human similarity or relatedness judgements of the same pairs (WordSim-353, SimLex-999).

    Returns
    -------
    dict
        ``spearman`` (rho in [-1, 1], average ranks for ties, equal to ``scipy.stats.spearmanr``),
        ``pearson`` (r of the values), ``n_pairs``. NaN with an :class:`UndefinedMetricWarning` for
        fewer than 2 pairs or constant similarities or scores.

    Raises
    ------
    InputValidationError
        Arrays of different lengths, NaN or infinite values.

    References
    ----------
    Finkelstein et al. (2002), Placing search in context: the concept revisited (WordSim-353).
    Hill, Reichart & Korhonen (2015), SimLex-999.
    """
    s = check_array(similarities, "similarities", ndim=1, min_rows=0)
    h = check_array(human_scores, "human_scores", ndim=1, min_rows=0)
    if len(s) != len(h):
        raise InputValidationError(f"similarities and human_scores must have one value per pair, got {len(s)} and {len(h)}")
    if len(s) < 2 or np.ptp(s) == 0 or np.ptp(h) == 0:
        warnings.warn(f"the correlation of {len(s)} pairs is undefined (fewer than 2 pairs, or constant similarities or "
                      f"scores)", UndefinedMetricWarning, stacklevel=3)
        return {"spearman": float("nan"), "pearson": float("nan"), "n_pairs": len(s)}
    return {"spearman": float(spearman_rows(s, h)), "pearson": float(_pearson(s, h)), "n_pairs": len(s)}
