"""Datasets of items (words, sentences) and the text sets shipped in gensim's wheel.

The counts are those of the files gensim ships (checked here, not assumed): questions-words.txt
holds 19,544 questions in 14 sections over 905 words; wordsim353.tsv 353 pairs over 437 words;
simlex999.txt 999 pairs over 1,028 words. The tables are checked against gensim's own readers
(``evaluate_word_analogies``, ``evaluate_word_pairs``) on vectors that cover every word.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from latentbench.data import load_dataset
from latentbench.data.base import Dataset, hash_arrays
from latentbench.exceptions import InputValidationError, MissingOptionalDependencyError, NotApplicableError

gensim = pytest.importorskip("gensim", reason="the text datasets need gensim: pip install 'latentbench[text]'")


# ------------------------------------------------------------------------------------------ the Dataset container
def test_items_dataset_has_no_input_arrays_and_says_so():
    d = Dataset("words", items=["king", "queen", "man"])
    assert len(d) == 3 and d.inputs == frozenset({"items"}) and d.x is None
    assert d.items.dtype.kind == "U" and d.get_items(np.array([2, 0])).tolist() == ["man", "king"]
    assert "items" in d.fields
    with pytest.raises(NotApplicableError, match=r"holds items \(strings\), not input arrays"):
        d.get_x(np.arange(2))
    with pytest.raises(NotApplicableError, match="not input arrays"):
        next(d.iter_x(np.arange(2)))
    arrays = Dataset("a", x=np.zeros((3, 2)), obs_shape=(2,))
    assert arrays.inputs == frozenset({"arrays"})
    with pytest.raises(NotApplicableError, match="holds input arrays, not items"):
        arrays.get_items()
    both = Dataset("both", x=np.zeros((3, 2)), obs_shape=(2,), items=["a", "b", "c"])
    assert both.inputs == frozenset({"arrays", "items"})


@pytest.mark.parametrize("items, match", [
    (["a", 3, "c"], r"row 1 holds int 3"),
    (["a", b"b", "c"], r"row 1 holds bytes b'b'; decode bytes first"),
    (["a", None, "c"], r"row 1 holds NoneType"),
    ("abc", "got a single str"),
    (np.array([["a", "b"], ["c", "d"]]), r"must be 1-D"),
])
def test_items_must_be_strings_one_per_row(items, match):
    with pytest.raises(InputValidationError, match=match) as exc:
        Dataset("bad", items=items)
    assert "\n" not in str(exc.value)


def test_items_and_x_must_agree_in_length_and_a_dataset_needs_one_of_them():
    with pytest.raises(InputValidationError):
        Dataset("n", x=np.zeros((3, 2)), obs_shape=(2,), items=["a", "b"])
    with pytest.raises(InputValidationError, match="neither 'x'"):
        Dataset("empty")


def test_tables_are_numbers_with_new_names():
    with pytest.raises(InputValidationError, match="must hold numbers"):
        Dataset("t", items=["a", "b"], tables={"pairs": np.array([["a", "b"]])})
    with pytest.raises(InputValidationError, match="table name 'labels'"):
        Dataset("t", items=["a", "b"], tables={"labels": np.array([0, 1])})
    d = Dataset("t", items=["a", "b"], tables={"pairs": np.array([[0, 1]])})
    assert d.table("pairs").tolist() == [[0, 1]] and d.field("pairs").tolist() == [[0, 1]]
    with pytest.raises(InputValidationError, match="has no table 'scores'"):
        d.table("scores")


def test_fingerprint_covers_items_and_tables():
    base = dict(items=["king", "queen", "man"], tables={"pairs": np.array([[0, 1]]), "pair_scores": np.array([5.0])})
    fp = Dataset("w", **base).fingerprint
    assert Dataset("renamed", **base).fingerprint == fp  # the name is not part of it
    assert Dataset("w", items=["king", "queen", "woman"], tables=base["tables"]).fingerprint != fp
    assert Dataset("w", items=base["items"], tables={"pairs": np.array([[0, 2]]), "pair_scores": np.array([5.0])}).fingerprint != fp
    assert Dataset("w", items=base["items"], tables={"pairs": np.array([[0, 1]]), "pair_scores": np.array([5.5])}).fingerprint != fp
    assert Dataset("w", items=base["items"], tables={"pairz": np.array([[0, 1]]), "pair_scores": np.array([5.0])}).fingerprint != fp
    assert Dataset("w", items=base["items"]).fingerprint != fp


def test_a_dataset_of_arrays_keeps_the_fingerprint_it_had_before_items_existed():
    # the scheme before items: every stored result of an image dataset stays addressable
    from latentbench.identity import combine_digests, state_digest

    d = load_dataset("digits")
    arrays = hash_arrays(d.x, d.factors, d.labels, d.sensitive, d.domain, d.is_anomaly, d.grid_index)
    splits = hash_arrays(*(a for name in sorted(d.splits) for a in (np.array(name), d.splits[name])))
    described = state_digest({"version": d.version, "params": d.params, "obs_shape": d.obs_shape, "kind": d.kind,
                              "storage": d.storage, "factor_names": list(d.factor_names), "factor_sizes": list(d.factor_sizes),
                              "metadata": {k: v for k, v in d.metadata.items() if k not in ("path", "source", "auxiliary_file")}})
    assert d.fingerprint == combine_digests("dataset", arrays, splits, described) == "3b9247221b90aff9"


# ------------------------------------------------------------------------------------------ the shipped text sets
def test_google_analogies_counts_and_structure():
    d = load_dataset("google-analogies")
    q, sec = d.table("analogies"), d.table("analogy_section")
    assert q.shape == (19544, 4) and sec.shape == (19544,) and q.dtype == np.int64
    assert len(d) == 905 and len(set(d.items.tolist())) == 905  # distinct words, first appearance order
    names = d.metadata["section_names"]
    assert len(names) == 14 and names[0] == "capital-common-countries" and names[-1] == "gram9-plural-verbs"
    assert np.bincount(sec).tolist() == [506, 4524, 866, 2467, 506, 992, 812, 1332, 1122, 1056, 1599, 1560, 1332, 870]
    assert d.get_items(q[0]).tolist() == ["Athens", "Greece", "Baghdad", "Iraq"]  # as written in the file
    assert d.splits.keys() == {"test"} and d.split("test").tolist() == list(range(905))
    assert d.inputs == frozenset({"items"}) and {"analogies", "analogy_section"} <= d.fields


def test_word_pair_sets_counts_and_structure():
    ws, sl = load_dataset("wordsim353"), load_dataset("simlex999")
    assert ws.table("pairs").shape == (353, 2) and len(ws) == 437
    assert sl.table("pairs").shape == (999, 2) and len(sl) == 1028
    for d in (ws, sl):
        s = d.table("pair_scores")
        assert s.dtype == np.float64 and 0.0 <= s.min() and s.max() <= 10.0
        assert d.table("pairs").max() == len(d) - 1 and d.split("test").tolist() == list(range(len(d)))
    w = ws.get_items(ws.table("pairs")[:3])
    assert w.tolist() == [["love", "sex"], ["tiger", "cat"], ["tiger", "tiger"]]
    assert ws.table("pair_scores")[:3].tolist() == [6.77, 7.35, 10.0]
    pairs = [tuple(p) for p in ws.get_items(ws.table("pairs")).tolist()]
    assert pairs.count(("money", "cash")) == 2  # kept as the file has it


def _random_vectors_for(words):
    rng = np.random.default_rng(0)
    kv = gensim.models.KeyedVectors(16)
    kv.add_vectors(list(words), rng.standard_normal((len(words), 16)).astype(np.float32))
    return kv


def test_analogy_table_is_what_gensim_reads():
    from gensim.test.utils import datapath

    d = load_dataset("google-analogies")
    kv = _random_vectors_for(d.items.tolist())
    _, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"), case_insensitive=False, restrict_vocab=10**6)
    per_section = {s["section"]: len(s["correct"]) + len(s["incorrect"]) for s in sections if s["section"] != "Total accuracy"}
    ours = dict(zip(d.metadata["section_names"], np.bincount(d.table("analogy_section")).tolist()))
    assert per_section == ours
    gensim_questions = [q for s in sections if s["section"] != "Total accuracy" for q in s["correct"] + s["incorrect"]]
    assert sum(per_section.values()) == 19544 == len(gensim_questions)
    first = next(s for s in sections if s["section"] == "capital-common-countries")
    got = first["correct"] + first["incorrect"]
    mine = [tuple(q) for q in d.get_items(d.table("analogies")[d.table("analogy_section") == 0]).tolist()]
    assert sorted(got) == sorted(mine)


@pytest.mark.parametrize("name, filename", [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")])
def test_pair_tables_give_gensims_correlations(name, filename):
    from gensim.test.utils import datapath
    from scipy import stats

    d = load_dataset(name)
    kv = _random_vectors_for(d.items.tolist())
    pearson, spearman, oov = kv.evaluate_word_pairs(datapath(filename), case_insensitive=False, restrict_vocab=10**6)
    a, b = d.get_items(d.table("pairs")[:, 0]).tolist(), d.get_items(d.table("pairs")[:, 1]).tolist()
    sims = np.array([kv.similarity(x, y) for x, y in zip(a, b)])
    assert oov == 0.0
    assert stats.pearsonr(sims, d.table("pair_scores"))[0] == pytest.approx(pearson[0], abs=1e-12)
    assert stats.spearmanr(sims, d.table("pair_scores"))[0] == pytest.approx(spearman[0], abs=1e-12)


def test_lee_corpus_documents_as_items():
    d = load_dataset("lee-corpus")
    assert len(d) == 300 and d.inputs == frozenset({"items"})
    assert d.get_items([0])[0].startswith("Hundreds of people have been forced to vacate their homes")
    assert len(d.split("train")) == 270 and len(d.split("test")) == 30


def test_text_datasets_are_fingerprinted_stably():
    fps = {n: load_dataset(n).fingerprint for n in ("google-analogies", "wordsim353", "simlex999", "lee-corpus")}
    assert len(set(fps.values())) == 4
    from latentbench.data import text

    assert text.load_wordsim353().fingerprint == fps["wordsim353"]  # a fresh load, not the cache


def test_without_gensim_the_loaders_name_the_extra(monkeypatch):
    from latentbench.data import text

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gensim" else real(name, *a))
    for loader in (text.load_google_analogies, text.load_wordsim353, text.load_simlex999, text.load_lee_corpus):
        with pytest.raises(MissingOptionalDependencyError, match=r"pip install 'latentbench\[text\]'"):
            loader()
