"""The semantics tasks (analogy, similarity) end to end through the runner, equal to gensim's
``evaluate_word_analogies`` and ``evaluate_word_pairs`` on the same vectors, vocabulary restriction
and questions; coverage recorded; skips with reasons (no vocabulary, nothing covered, another
input kind, the text extra missing); the word2vec reference and (slow) MiniLM pinned against gensim.
"""

from __future__ import annotations

import importlib.util
import zlib
from collections import OrderedDict

import numpy as np
import pytest

import latentbench
from latentbench.adapters import KeyedVectorsAdapter, adapt
from latentbench.data import load_dataset
from latentbench.tasks.registry import get_suite, get_task

gensim = pytest.importorskip("gensim", reason="the semantics tasks need the text extra: pip install 'latentbench[text]'")
from gensim.models import KeyedVectors  # noqa: E402
from gensim.test.utils import datapath  # noqa: E402

TEXT_TASKS = ["analogy/google", "analogy/google-model-vocab", "similarity/wordsim353", "similarity/simlex999"]


def _rows(res):
    return {(r["task"], r["metric"]): r for r in res.rows}


def _structured_vectors(seed: int = 0, dim: int = 16) -> tuple[list[str], np.ndarray]:
    """Vectors for a vocabulary built from the Google analogy words: most of them (some left out),
    some planted answers (d near b - a + c), upper-case variants of some words placed later in the
    order (a case-insensitive model reads them as the first casing), and extra words after them."""
    d = load_dataset("google-analogies")
    rng = np.random.default_rng(seed)
    words = [w for w in d.items.tolist() if rng.uniform() > 0.08]
    index = {w: i for i, w in enumerate(words)}
    vectors = rng.normal(size=(len(words), dim)).astype(np.float32)
    for a, b, c, ans in d.table("analogies")[rng.choice(19544, 3000, replace=False)]:
        wa, wb, wc, wd = (d.items[i] for i in (a, b, c, ans))
        if all(w in index for w in (wa, wb, wc, wd)):
            vectors[index[wd]] = vectors[index[wb]] - vectors[index[wa]] + vectors[index[wc]] + 0.3 * rng.normal(size=dim)
    variants = [w.upper() for w in words[::7] if w.upper() != w and w.upper() not in index]
    extra = [f"filler{i}" for i in range(300)]
    words = words + variants + extra
    vectors = np.concatenate([vectors, rng.normal(size=(len(variants) + len(extra), dim)).astype(np.float32)])
    return words, vectors


@pytest.fixture(scope="module")
def kv():
    words, vectors = _structured_vectors()
    out = KeyedVectors(vectors.shape[1])
    out.add_vectors(words, vectors)
    return out


def _gensim_analogy(kv, restrict, case_insensitive):
    score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=restrict,
                                                 case_insensitive=case_insensitive)
    answered = sum(len(s["correct"]) + len(s["incorrect"]) for s in sections[:-1])
    return score, answered, sections


# ------------------------------------------------------------------------------------------ analogy = gensim
@pytest.mark.parametrize("restrict,case_insensitive", [(1200, True), (300_000, False)])
def test_analogy_over_the_model_vocabulary_equals_gensim(kv, restrict, case_insensitive):
    task = get_task("analogy/google-model-vocab")
    task = type(task)(name="analogy/google-model-vocab", dataset="google-analogies",
                      params={"vocabulary": "model", "restrict_vocab": restrict})
    model = KeyedVectorsAdapter(kv, name="kv", case_insensitive=case_insensitive)
    res = latentbench.evaluate(model, tasks=[task], n_bootstrap=200, on_error="raise")
    rows = _rows(res)
    score, answered, sections = _gensim_analogy(kv, restrict, case_insensitive)
    assert rows[(task.name, "accuracy")]["value"] == score  # exactly: the same questions answered the same way
    assert rows[(task.name, "coverage")]["value"] == answered / 19544
    assert rows[(task.name, "candidates")]["value"] == min(restrict, len(kv))
    assert 0.05 < score < 0.9 and 0.3 < answered / 19544 < 1.0  # not vacuous: many questions, some right, some wrong
    lo, hi = rows[(task.name, "accuracy")]["ci_low"], rows[(task.name, "accuracy")]["ci_high"]
    assert lo < score < hi
    info = res.rows[0]["params"]["info"]
    for s in sections[:-1]:  # per-section accuracy as gensim's sections
        ours = info["sections"][s["section"]]
        n = len(s["correct"]) + len(s["incorrect"])
        assert ours["answerable"] == n
        assert ours["accuracy"] == (len(s["correct"]) / n if n else None)


def test_analogy_over_the_dataset_words_equals_gensim_on_those_words(kv):
    """vocabulary = "items": the candidates are the covered dataset words, in the dataset's order;
    gensim on a KeyedVectors of exactly those words gives the same accuracy."""
    d = load_dataset("google-analogies")
    model = KeyedVectorsAdapter(kv, name="kv")  # exact lookup
    res = latentbench.evaluate(model, tasks=["analogy/google"], n_bootstrap=200, on_error="raise")
    rows = _rows(res)
    covered = [w for w in d.items.tolist() if w in kv]
    sub = KeyedVectors(kv.vector_size)
    sub.add_vectors(covered, np.stack([kv[w] for w in covered]))
    score, answered, _ = _gensim_analogy(sub, 300_000, False)
    assert rows[("analogy/google", "accuracy")]["value"] == score
    assert rows[("analogy/google", "coverage")]["value"] == answered / 19544
    assert rows[("analogy/google", "candidates")]["value"] == len(covered)


def test_3cosmul_is_scored_beside_3cosadd(kv):
    res = latentbench.evaluate(KeyedVectorsAdapter(kv, name="kv"), tasks=["analogy/google"], n_bootstrap=100)
    rows = _rows(res)
    add, mul = rows[("analogy/google", "accuracy")]["value"], rows[("analogy/google", "accuracy_3cosmul")]["value"]
    assert 0 < mul < 1 and add != mul
    assert rows[("analogy/google", "accuracy")]["is_primary"] == 1


# ------------------------------------------------------------------------------------------ similarity = gensim
@pytest.mark.parametrize("name,file", [("similarity/wordsim353", "wordsim353.tsv"), ("similarity/simlex999", "simlex999.txt")])
@pytest.mark.parametrize("oov", ["drop", "zero"])
def test_similarity_equals_gensim(name, file, oov):
    d = load_dataset(name.split("/")[1])
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    words = [w for w in d.items.tolist() if rng.uniform() > 0.2]  # 80% of the words: some pairs dropped
    vectors = rng.normal(size=(len(words), 10)).astype(np.float32)
    human = dict()
    for (a, b), s in zip(d.table("pairs"), d.table("pair_scores")):
        human[(d.items[a], d.items[b])] = s
    index = {w: i for i, w in enumerate(words)}
    for (a, b), s in human.items():  # higher scores, closer vectors: a correlation well above 0
        if a in index and b in index and a != b:
            vectors[index[b]] = vectors[index[b]] + 0.08 * s * vectors[index[a]]
    table = KeyedVectors(10)
    table.add_vectors(words, vectors)
    task = get_task(name)
    task = type(task)(name=name, dataset=task.dataset, params={"oov": oov})
    res = latentbench.evaluate(KeyedVectorsAdapter(table, name="kv", case_insensitive=True), tasks=[task], n_bootstrap=300,
                               on_error="raise")
    rows = _rows(res)
    pearson, spearman, oov_percent = table.evaluate_word_pairs(datapath(file), dummy4unknown=oov == "zero")
    assert rows[(name, "spearman")]["value"] == pytest.approx(spearman.statistic, abs=1e-12)
    assert rows[(name, "pearson")]["value"] == pytest.approx(pearson.statistic, abs=1e-6)  # gensim's cosines are float32
    assert rows[(name, "coverage")]["value"] == pytest.approx(1 - oov_percent / 100, abs=1e-12)
    assert 0.1 < spearman.statistic < 0.95 and 0.3 < rows[(name, "coverage")]["value"] < 1
    sp = rows[(name, "spearman")]
    assert sp["ci_low"] < sp["value"] < sp["ci_high"] and sp["ci_method"] == "bootstrap"


def test_restrict_vocab_counts_only_the_first_words_as_covered():
    words = load_dataset("wordsim353").items.tolist()
    kv = KeyedVectors(5)
    kv.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), 5)).astype(np.float32))
    model = KeyedVectorsAdapter(kv, name="kv", case_insensitive=True)
    task = get_task("similarity/wordsim353")
    small = type(task)(name="similarity/wordsim353", dataset="wordsim353", params={"restrict_vocab": 200})
    full = _rows(latentbench.evaluate(model, tasks=["similarity/wordsim353"], n_bootstrap=50))
    part = _rows(latentbench.evaluate(model, tasks=[small], n_bootstrap=50))
    assert part[("similarity/wordsim353", "coverage")]["value"] < full[("similarity/wordsim353", "coverage")]["value"]
    _, _, oov_percent = kv.evaluate_word_pairs(datapath("wordsim353.tsv"), restrict_vocab=200)
    assert part[("similarity/wordsim353", "coverage")]["value"] == pytest.approx(1 - oov_percent / 100, abs=1e-12)


# ------------------------------------------------------------------------------------------ coverage and skips
def _hashed_text_model(name="text"):
    def encode(items):
        return np.stack([np.random.default_rng(zlib.crc32(w.encode())).normal(size=6) for w in items])

    return adapt(encode, inputs="items", name=name)


def test_a_model_without_vocabulary_is_scored_on_the_dataset_words_and_skipped_on_the_model_vocabulary():
    res = latentbench.evaluate(_hashed_text_model(), tasks=["analogy/google", "analogy/google-model-vocab"], n_bootstrap=50)
    rows = _rows(res)
    assert rows[("analogy/google", "coverage")]["value"] == 1.0 and rows[("analogy/google", "candidates")]["value"] == 905
    skip = rows[("analogy/google-model-vocab", "accuracy")]
    assert skip["status"] == "skipped" and "has no vocabulary of its own" in skip["message"] and 'vocabulary = "items"' in skip["message"]


def test_a_repeated_word_is_one_word_never_its_own_answer():
    from latentbench.data.base import Dataset
    from latentbench.tasks.semantics import WordAnalogy

    rng = np.random.default_rng(0)
    table = {w: rng.normal(size=4) for w in ["a", "b", "c", "d", "e", "f"]}
    table["d"] = table["b"] - table["a"] + table["c"]
    table["e"] = table["b"] + 0.01 * rng.normal(size=4)  # the answer to a : b :: a : ? once b's repeat is excluded
    # "b" twice: with the repeat a candidate of its own, a : b :: a : ? would answer "b" (the target is b)
    data = Dataset("words", items=["a", "b", "c", "d", "e", "f", "b"], splits={"test": np.arange(7)},
                   tables={"analogies": np.array([[0, 1, 2, 3], [0, 1, 0, 4]])})
    task = WordAnalogy(name="analogy/words", dataset="words")
    model = adapt(lambda items: np.stack([table[w] for w in items]), inputs="items", name="fn")
    res = latentbench.evaluate(model, tasks=[task], dataset=data, n_bootstrap=50, on_error="raise")
    rows = _rows(res)
    assert rows[("analogy/words", "candidates")]["value"] == 7
    from latentbench.metrics.semantics import analogy_accuracy_score

    z = np.stack([table[w] for w in data.items])
    groups = np.array([0, 1, 2, 3, 4, 5, 1])
    predicted = analogy_accuracy_score(z, [[0, 1, 0, 4]], groups=groups, return_details=True)["predicted"][0]
    assert predicted not in (1, 6)
    assert rows[("analogy/words", "accuracy")]["value"] == 1.0
    assert analogy_accuracy_score(z, [[0, 1, 2, 3], [0, 1, 0, 4]]) == 0.5  # the repeat as its own word answers the second


def test_a_model_that_covers_nothing_is_skipped_with_the_reason():
    model = adapt({"zzzz": [1.0, 0.0], "yyyy": [0.0, 1.0]}, name="tiny")
    res = latentbench.evaluate(model, tasks=["analogy/google", "similarity/simlex999"], n_bootstrap=50)
    rows = _rows(res)
    assert rows[("analogy/google", "accuracy")]["status"] == "skipped"
    assert "covers no question of 'google-analogies' (coverage 0 of 19544" in rows[("analogy/google", "accuracy")]["message"]
    assert rows[("similarity/simlex999", "spearman")]["status"] == "skipped"
    assert "covers no pair of 'simlex999'" in rows[("similarity/simlex999", "spearman")]["message"]


def test_latents_covered_encodes_the_covered_rows_once():
    from latentbench.tasks.context import LatentCache

    d = load_dataset("wordsim353")
    words = d.items.tolist()[::2]
    model = adapt({w: np.arange(3.0) + i for i, w in enumerate(words)}, name="half")
    calls = []
    original = model.encode_rows
    model.encode_rows = lambda data, rows: calls.append(len(rows)) or original(data, rows)
    cache = LatentCache(model, d)
    ok, z = cache.latents_covered("test")
    assert ok.sum() == len(words) == len(z) and calls == [len(words)]
    assert np.array_equal(z, original(d, d.split("test")[ok]))
    assert cache.latents_covered("test")[1] is z and calls == [len(words)]  # cached


def test_text_and_image_models_are_skipped_on_each_others_tasks_and_never_share_a_table():
    from latentbench.models.baselines import make_baseline
    from latentbench.report.leaderboard import Leaderboard

    res = latentbench.evaluate({"text": _hashed_text_model(), "image": make_baseline("null:random")},
                               tasks=["similarity/wordsim353", "collapse/digits"], n_bootstrap=50)
    rows = {(r["model"], r["task"]): r for r in res.rows if r["is_primary"]}
    assert rows[("image", "similarity/wordsim353")]["status"] == "skipped"
    assert "another input kind" in rows[("image", "similarity/wordsim353")]["message"]
    assert rows[("text", "collapse/digits")]["status"] == "skipped"
    md = Leaderboard.from_rows(res.rows).to_markdown()
    # one benchmark per dataset, models as rows: the text benchmark has no row for the image model and
    # the digits benchmark none for the text model
    text_bench = md.split("## benchmark: wordsim353")[1].split("## notes")[0]
    image_bench = md.split("## benchmark: digits")[1].split("## benchmark:")[0]
    text_rows = {line.split("|")[1].strip() for line in text_bench.splitlines() if line.startswith("| ")}
    image_rows = {line.split("|")[1].strip() for line in image_bench.splitlines() if line.startswith("| ")}
    assert "text" in text_rows and "image" not in text_rows
    assert "image" in image_rows and "text" not in image_rows


def test_without_the_text_extra_the_tasks_are_skipped_naming_the_install_command(monkeypatch):
    import latentbench.data as data

    real = importlib.util.find_spec
    monkeypatch.setattr(data, "_CACHE", OrderedDict())
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gensim" else real(name, *a))
    res = latentbench.evaluate(_hashed_text_model(), tasks=TEXT_TASKS, n_bootstrap=50)
    assert len(res.rows) == len(TEXT_TASKS)
    for r in res.rows:
        assert r["status"] == "skipped" and "pip install 'latentbench[text]'" in r["message"], r["message"]


def test_a_model_returning_nan_vectors_fails_in_one_line():
    res = latentbench.evaluate(adapt(lambda items: np.full((len(items), 3), np.nan), inputs="items", name="nan"),
                               tasks=["similarity/wordsim353"], n_bootstrap=50)
    (row,) = res.rows
    assert row["status"] == "failed" and "NaN" in row["message"] and "\n" not in row["message"]


def test_the_text_suite_lists_the_semantics_tasks():
    suite = get_suite("text")
    assert list(suite.tasks) == TEXT_TASKS and "pip install 'latentbench[text]'" in suite.description
    assert {get_task(t).family for t in suite.tasks} == {"semantics"}


# ------------------------------------------------------------------------------------------ the references
@pytest.mark.slow
def test_word2vec_reference_on_every_semantics_task_equals_gensim():
    """The plumbing reference (word2vec on 270 Lee documents): weak, and equal to gensim on its vectors."""
    from latentbench.models.loader import load_model

    model = load_model("ref:word2vec-lee")
    rows = _rows(latentbench.evaluate(model, tasks=TEXT_TASKS, n_bootstrap=500, on_error="raise"))
    kv = model.kv
    score, answered, _ = _gensim_analogy(kv, 300_000, True)
    assert rows[("analogy/google-model-vocab", "accuracy")]["value"] == score
    assert rows[("analogy/google", "coverage")]["value"] == rows[("analogy/google-model-vocab", "coverage")]["value"] == answered / 19544
    sub = KeyedVectors(kv.vector_size)  # the covered analogy words as gensim's vocabulary: the items task
    d = load_dataset("google-analogies")
    covered = [w for w in d.items.tolist() if model.covers([w])[0]]
    sub.add_vectors(covered, np.stack(model.encode_items(covered)).astype(np.float32))
    assert rows[("analogy/google", "accuracy")]["value"] == _gensim_analogy(sub, 300_000, True)[0]
    for name, file in (("similarity/wordsim353", "wordsim353.tsv"), ("similarity/simlex999", "simlex999.txt")):
        _, spearman, _ = kv.evaluate_word_pairs(datapath(file))
        assert rows[(name, "spearman")]["value"] == pytest.approx(spearman.statistic, abs=1e-12)
    assert rows[("similarity/wordsim353", "spearman")]["value"] == pytest.approx(0.2184, abs=5e-5)


@pytest.mark.slow
def test_minilm_on_every_semantics_task_equals_gensim_on_its_vectors():
    import torch

    from latentbench.models.loader import load_model

    torch.set_num_threads(1)
    model = load_model("ref:minilm")
    rows = _rows(latentbench.evaluate(model, tasks=TEXT_TASKS, n_bootstrap=500, on_error="raise"))
    assert rows[("analogy/google-model-vocab", "accuracy")]["status"] == "skipped"
    for dataset, task, file in (("google-analogies", "analogy/google", None), ("wordsim353", "similarity/wordsim353", "wordsim353.tsv"),
                                ("simlex999", "similarity/simlex999", "simlex999.txt")):
        d = load_dataset(dataset)
        z = model.encode_rows(d, d.split("test"))
        table = KeyedVectors(z.shape[1])
        table.add_vectors(d.items.tolist(), z.astype(np.float32))
        if file is None:
            assert rows[(task, "accuracy")]["value"] == _gensim_analogy(table, 300_000, True)[0]
            assert rows[(task, "accuracy")]["value"] == pytest.approx(0.6561, abs=5e-5)
        else:
            _, spearman, _ = table.evaluate_word_pairs(datapath(file))
            assert rows[(task, "spearman")]["value"] == pytest.approx(spearman.statistic, abs=1e-12)
        assert rows[(task, "coverage")]["value"] == 1.0
    assert rows[("similarity/wordsim353", "spearman")]["value"] == pytest.approx(0.7289, abs=5e-5)
    assert rows[("similarity/simlex999", "spearman")]["value"] == pytest.approx(0.4462, abs=5e-5)
