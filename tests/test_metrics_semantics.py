"""The semantics metrics: analogy accuracy (3CosAdd, 3CosMul) and word similarity (Spearman, Pearson).

Known answers by construction (a parallelogram answers its question; the question words are never
the answer; case variants are one word), then the peers on the same vectors: gensim's
``most_similar_cosmul`` for 3CosMul, ``scipy.stats.spearmanr``/``pearsonr`` for the correlations.
The equality with gensim's ``evaluate_word_analogies`` and ``evaluate_word_pairs`` on whole
datasets is in ``tests/test_tasks_semantics.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics.semantics import analogy_accuracy_score, pair_cosines, word_similarity_score


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


# ------------------------------------------------------------------------------------------ analogies: known answers
def test_a_parallelogram_answers_its_question_by_3cosadd():
    rng = np.random.default_rng(0)
    vectors = _unit(rng.normal(size=(60, 10)))
    questions = []
    for k in range(10):  # rows 4k..4k+3: a, b, c and d = unit(b - a + c), the exact 3CosAdd optimum
        a, b, c = 4 * k, 4 * k + 1, 4 * k + 2
        vectors[4 * k + 3] = _unit(vectors[b] - vectors[a] + vectors[c])
        questions.append([a, b, c, 4 * k + 3])
    details = analogy_accuracy_score(vectors, questions, return_details=True)
    assert details["accuracy"] == 1.0 and details["correct"].all() and details["n_questions"] == 10
    # the answer is the candidate, not the question words: with d's row a copy of a, nothing answers
    vectors[3] = vectors[0]
    assert analogy_accuracy_score(vectors, questions[:1]) in (0.0, 1.0)


def test_the_question_words_are_never_the_answer():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(30, 6))
    q = np.array([[0, 1, 0, 5]])  # a = c: the target is b itself, which is excluded
    for method in ("3cosadd", "3cosmul"):
        pred = analogy_accuracy_score(vectors, q, method=method, return_details=True)["predicted"][0]
        assert pred not in (0, 1)
    # every question's prediction avoids its a, b, c
    q = np.stack([rng.choice(30, 4, replace=False) for _ in range(200)])
    pred = analogy_accuracy_score(vectors, q, return_details=True)["predicted"]
    assert not (pred[:, None] == q[:, :3]).any()


def test_groups_are_one_word_excluded_together_and_answering_together():
    rng = np.random.default_rng(2)
    v = _unit(rng.normal(size=(20, 5)))
    v[3] = _unit(v[1] - v[0] + v[2])  # d
    v[4] = v[1] * 1.0001  # a casing of b, nearest to the target after b... but d is the optimum
    q = [[0, 1, 2, 3]]
    assert analogy_accuracy_score(v, q) == 1.0
    v[5] = v[3]  # a casing of d (another row, the same direction): ties go to the lower row, d
    groups = np.arange(20)
    groups[5] = 3
    assert analogy_accuracy_score(v, q, groups=groups) == 1.0
    # answered by d's other casing only: still correct when they are one group, wrong when not
    q2 = [[0, 1, 2, 5]]
    assert analogy_accuracy_score(v, q2, groups=groups) == 1.0
    assert analogy_accuracy_score(v, q2) == 0.0
    # b's casing (row 4) would be the answer when b's group does not hold it; excluded when it does
    v[3] = -v[3]
    v[5] = -v[5]
    pred = analogy_accuracy_score(v, q, return_details=True)["predicted"][0]
    assert pred == 4
    groups[4] = 1
    assert analogy_accuracy_score(v, q, groups=groups, return_details=True)["predicted"][0] != 4


def test_the_score_does_not_depend_on_vector_lengths():
    rng = np.random.default_rng(3)
    v = rng.normal(size=(50, 8))
    q = np.stack([rng.choice(50, 4, replace=False) for _ in range(100)])
    scaled = v * rng.uniform(0.1, 10.0, size=(50, 1))
    for method in ("3cosadd", "3cosmul"):
        a = analogy_accuracy_score(v, q, method=method, return_details=True)["predicted"]
        b = analogy_accuracy_score(scaled, q, method=method, return_details=True)["predicted"]
        assert np.array_equal(a, b)


# ------------------------------------------------------------------------------------------ analogies: against gensim
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim's most_similar_cosmul calls its deprecated init_sims
def test_3cosmul_and_3cosadd_choose_what_gensim_chooses():
    gensim = pytest.importorskip("gensim")
    rng = np.random.default_rng(4)
    n = 300
    words = [f"w{i}" for i in range(n)]
    v = rng.normal(size=(n, 12)).astype(np.float32)
    q = np.stack([rng.choice(n, 4, replace=False) for _ in range(400)])
    for a, b, c, d in q[:150]:  # plant some structure so that many answers are right
        v[d] = v[b] - v[a] + v[c] + 0.2 * rng.normal(size=12).astype(np.float32)
    kv = gensim.models.KeyedVectors(12)
    kv.add_vectors(words, v)
    mul = analogy_accuracy_score(v, q, method="3cosmul", return_details=True)
    add = analogy_accuracy_score(v, q, method="3cosadd", return_details=True)
    want_mul = [kv.most_similar_cosmul(positive=[words[b], words[c]], negative=[words[a]], topn=1)[0][0] for a, b, c, _ in q]
    want_add = [kv.most_similar(positive=[words[b], words[c]], negative=[words[a]], topn=1)[0][0] for a, b, c, _ in q]
    assert [words[i] for i in mul["predicted"]] == want_mul
    assert [words[i] for i in add["predicted"]] == want_add
    assert 0.1 < add["accuracy"] < 1.0 and 0.1 < mul["accuracy"] < 1.0  # the comparison is not vacuous


# ------------------------------------------------------------------------------------------ similarity
def test_pair_cosines_known_values():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    y = np.array([[5.0, 0.0], [-1.0, -1.0], [0.0, 1.0], [0.0, 1.0]])
    assert np.allclose(pair_cosines(x, y), [1.0, -1.0, 0.0, 1.0])


def test_word_similarity_equals_scipy_with_ties():
    rng = np.random.default_rng(5)
    human = np.round(rng.uniform(0, 10, 200), 0)  # many ties, as in the human scores
    sims = np.round(0.05 * human + rng.normal(scale=0.3, size=200), 2)
    d = word_similarity_score(sims, human, return_details=True)
    assert d["spearman"] == pytest.approx(stats.spearmanr(sims, human).statistic, abs=1e-12)
    assert d["pearson"] == pytest.approx(stats.pearsonr(sims, human).statistic, abs=1e-12)
    assert d["n_pairs"] == 200 and word_similarity_score(sims, human) == d["spearman"]
    # a monotone model is perfect whatever its scale; the reverse order is -1
    assert word_similarity_score(np.exp(np.arange(10.0)), np.arange(10.0)) == pytest.approx(1.0)
    assert word_similarity_score(-np.arange(10.0), np.arange(10.0)) == pytest.approx(-1.0)


def test_word_similarity_undefined_cases_warn_and_give_nan():
    for sims, human in (([0.5], [3.0]), ([0.2, 0.2, 0.2], [1.0, 2.0, 3.0]), ([0.1, 0.2], [4.0, 4.0])):
        with pytest.warns(UndefinedMetricWarning, match="undefined"):
            assert np.isnan(word_similarity_score(sims, human))


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, match", [
    (lambda: analogy_accuracy_score(np.zeros((5, 3)), [[0, 1, 2, 3]]), "vectors has 5 all-zero rows"),
    (lambda: analogy_accuracy_score(np.ones((5, 3)), [[0, 1, 2]]), r"questions must have shape \(n_questions, 4\)"),
    (lambda: analogy_accuracy_score(np.ones((5, 3)), [[0, 1, 2, 9]]), r"questions holds row indices outside \[0, 5\)"),
    (lambda: analogy_accuracy_score(np.ones((5, 3)), [[0, 1, 2, 3.5]]), "questions must hold integer row indices"),
    (lambda: analogy_accuracy_score(np.ones((5, 3)), [["a", "b", "c", "d"]]), "questions must hold integer row indices"),
    (lambda: analogy_accuracy_score(np.ones((5, 3)), [[0, 1, 2, 3]], method="cosine"), "'method' must be one of"),
    (lambda: analogy_accuracy_score(np.ones((5, 3)), [[0, 1, 2, 3]], groups=[0, 1]), "groups must have one value per row"),
    (lambda: analogy_accuracy_score(np.ones((3, 3)), [[0, 1, 2, 0]]), "vectors needs at least 4 rows"),
    (lambda: pair_cosines(np.ones((3, 2)), np.ones((4, 2))), "x and y must have the same shape"),
    (lambda: pair_cosines(np.ones((3, 2)), np.zeros((3, 2))), "y has 3 all-zero rows"),
    (lambda: word_similarity_score([0.1, 0.2], [1.0]), "one value per pair"),
])
def test_bad_input_is_one_line_naming_the_argument(call, match):
    with pytest.raises(InputValidationError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_no_questions_is_undefined_not_zero():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(analogy_accuracy_score(np.eye(4), np.zeros((0, 4), dtype=int)))
    assert any(issubclass(w.category, UndefinedMetricWarning) for w in caught)
