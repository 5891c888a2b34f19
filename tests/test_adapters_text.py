"""Text models as first-class models: the ordered adapter registry, the text adapters (gensim
KeyedVectors, word -> vector dicts and files, functions of strings, SentenceTransformer), a torch
module measured at a named layer, out-of-vocabulary reporting, bad input, and items datasets
through the runner (a text model runs, an image model is skipped with the reason, and the reverse).

Every adapter is checked against the library it wraps: KeyedVectors against ``get_vector``, files
against gensim's ``load_word2vec_format``, a SentenceTransformer against ``model.encode``.
"""

from __future__ import annotations

import gzip
import math
import sys
import types

import numpy as np
import pytest
import torch
from torch import nn

import latentbench
from latentbench.adapters import (
    BUILTIN_ADAPTERS, Adapter, CallableAdapter, Capability, KeyedVectorsAdapter, PrecomputedAdapter, SklearnAdapter,
    TextCallableAdapter, TorchAdapter, WordVectorsAdapter, adapt, read_word2vec_text, register_adapter, registered_adapters,
    unregister_adapter,
)
from latentbench.data import load_dataset
from latentbench.data.base import Dataset
from latentbench.exceptions import (
    AdapterError, CapabilityError, DuplicateNameError, InputValidationError, NotApplicableError, OutOfVocabularyError,
    UnknownNameError,
)
from latentbench.tasks.base import ScoreSpec, Task, TaskOutput

gensim = pytest.importorskip("gensim", reason="the text adapters are tested with gensim: pip install 'latentbench[text]'")
from gensim.models import FastText, KeyedVectors, Word2Vec  # noqa: E402
from gensim.test.utils import datapath  # noqa: E402

WORDS = ["king", "queen", "man", "woman", "Paris", "paris", "France"]


def _kv(words=WORDS, dim=8, seed=0):
    kv = KeyedVectors(dim)
    kv.add_vectors(list(words), np.random.default_rng(seed).standard_normal((len(words), dim)).astype(np.float32))
    return kv


def _one_line(exc_info):
    text = str(exc_info.value)
    assert "\n" not in text and len(text) < 600, text
    return text


class MeanNorm(Task):
    """A task that needs codes only (the runner, the cache and the store on items)."""

    family = "dimension"
    summary = "Mean L2 norm of the codes."
    needs = frozenset({Capability.ENCODE})
    scores = (ScoreSpec("mean_norm", "none", "mean L2 norm of the codes", (0.0, None)),)
    primary = "mean_norm"

    def run(self, adapter, data, ctx):
        return TaskOutput({"mean_norm": ctx.mean_score(np.linalg.norm(ctx.latents(), axis=1))})


# ------------------------------------------------------------------------------------------ the registry
def test_builtin_order_puts_the_specific_before_the_general():
    kinds = [a.kind for a in registered_adapters()]
    assert kinds == ["sentence-transformers", "gensim", "word-vectors", "precomputed", "torch", "sklearn", "callable",
                     "text-callable"]
    assert tuple(registered_adapters()) == BUILTIN_ADAPTERS


@pytest.fixture
def fake_sentence_transformers(monkeypatch):
    """A stand-in ``sentence_transformers`` module whose ``SentenceTransformer`` is an ``nn.Module``, as
    the real one is (the real one is tested in the slow MiniLM tests: importing it takes 10-20 s)."""
    mod = types.ModuleType("sentence_transformers")

    class SentenceTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 4)

        def encode(self, sentences, batch_size=32, show_progress_bar=None, convert_to_numpy=True,
                   normalize_embeddings=False, device=None):
            out = np.stack([[len(s), s.count("a"), s.count("e"), 1.0] for s in sentences]).astype(np.float32)
            return out / np.linalg.norm(out, axis=1, keepdims=True) if normalize_embeddings else out

        def get_sentence_embedding_dimension(self):
            return 4

    mod.SentenceTransformer = SentenceTransformer
    monkeypatch.setitem(sys.modules, "sentence_transformers", mod)
    return SentenceTransformer


def test_a_sentence_transformer_is_not_taken_by_the_torch_adapter(fake_sentence_transformers, tiny_ae):
    model = fake_sentence_transformers()
    assert isinstance(model, nn.Module)
    a = adapt(model, name="st")
    assert a.kind == "sentence-transformers" and a.inputs == frozenset({"items"})
    assert np.array_equal(a.encode_items(["tea", "apple"]), model.encode(["tea", "apple"]).astype(np.float64))
    assert adapt(tiny_ae()).kind == "torch"  # other modules still go to the torch adapter
    an = adapt(model, normalize_embeddings=True)
    assert an.describe(fingerprint="-")["metadata"]["normalize_embeddings"] is True
    assert np.allclose(np.linalg.norm(an.encode_items(["tea", "apple"]), axis=1), 1.0)


def test_a_user_adapter_registered_first_wins(tiny_ae):
    class MyAdapter(CallableAdapter):
        kind = "mine"

        @classmethod
        def can_adapt(cls, obj):
            return isinstance(obj, nn.Module) and hasattr(obj, "enc")

        @classmethod
        def from_object(cls, obj, **options):
            return cls(lambda x: obj.encode(torch.as_tensor(x)).detach().numpy(), name=options.get("name"))

    register_adapter(MyAdapter)
    assert registered_adapters()[0] is MyAdapter
    assert adapt(tiny_ae()).kind == "mine"
    with pytest.raises(DuplicateNameError):
        register_adapter(MyAdapter)
    unregister_adapter(MyAdapter)
    assert adapt(tiny_ae()).kind == "torch"
    register_adapter(MyAdapter, before="sklearn")  # after torch: torch keeps the module
    kinds = [a.kind if hasattr(a, "kind") else a for a in registered_adapters()]
    assert kinds.index("mine") == kinds.index("sklearn") - 1 and adapt(tiny_ae()).kind == "torch"
    with pytest.raises(UnknownNameError, match="Did you mean 'torch'"):
        register_adapter(lambda obj, **kw: None, before="torchh")


def test_a_factory_adapter_declines_with_none_and_builds_otherwise():
    class Thing:
        pass

    calls = []

    def factory(obj, **options):
        calls.append(options)
        return CallableAdapter(lambda x: x.reshape(len(x), -1)[:, :2], name=options["name"]) if isinstance(obj, Thing) else None

    register_adapter(factory)
    a = adapt(Thing(), name="thing", device="cpu")
    assert a.kind == "callable" and a.name == "thing" and calls[-1]["device"] == "cpu"
    assert adapt(lambda x: x).kind == "callable"  # declined: the built-ins go on

    register_adapter(lambda obj, **kw: "not an adapter" if isinstance(obj, str) and obj == "x" else None)
    with pytest.raises(AdapterError, match="returned a str, not an Adapter"):
        adapt("x")
    with pytest.raises(AdapterError, match="register_adapter needs"):
        register_adapter(42)


def test_a_function_is_a_function_of_arrays_unless_items_are_asked_for():
    fn = lambda batch: np.array([[len(s), 1.0] for s in batch])  # noqa: E731
    assert adapt(fn).kind == "callable"
    a = adapt(fn, inputs="items", name="lengths")
    assert isinstance(a, TextCallableAdapter) and a.encode_items(["ab", "abcd"]).tolist() == [[2.0, 1.0], [4.0, 1.0]]

    class Encoder:
        def encode(self, batch):
            return [np.array([len(s), 0.0]) for s in batch]

    b = adapt(Encoder(), inputs="items")
    assert b.kind == "text-callable" and b.name == "Encoder" and b.encode_items(["abc"]).tolist() == [[3.0, 0.0]]
    class TorchTextEncoder(nn.Module):  # a module whose encode takes strings: asked for items, it is a function of strings
        def encode(self, batch):
            return torch.tensor([[float(len(s))] for s in batch])

    assert adapt(TorchTextEncoder()).kind == "torch" and adapt(TorchTextEncoder(), inputs="items").kind == "text-callable"
    with pytest.raises(AdapterError, match="cannot adapt object for inputs='items': pass a text model") as exc:
        adapt(object(), inputs="items")
    _one_line(exc)
    with pytest.raises(InputValidationError, match="'inputs' must be one of"):
        adapt(fn, inputs="words")


def test_options_go_to_the_adapter_that_takes_the_object(digits):
    from sklearn.decomposition import PCA

    pca = PCA(3).fit(digits.get_x(digits.split("train"), flat=True))
    assert adapt(pca, device="cpu", batch_size=100).batch_size == 100  # a device is dropped, not an error
    with pytest.raises(AdapterError, match="SklearnAdapter takes no option 'layer'; its options are name, batch_size") as exc:
        adapt(pca, layer="encoder.fc2")
    _one_line(exc)
    assert adapt(_kv(), case_insensitive=True).case_insensitive


def test_mappings_and_paths_go_to_the_right_adapter(tmp_path):
    assert adapt({"king": np.ones(3), "queen": np.zeros(3)}).kind == "word-vectors"
    assert adapt({"king": [1.0, 2.0], "queen": [0.0, 1.0]}).kind == "word-vectors"
    assert adapt({"z": np.zeros((5, 2))}).kind == "precomputed"
    np.savez(tmp_path / "z.npz", z=np.zeros((4, 2)))
    (tmp_path / "v.txt").write_text("2 2\nking 1 2\nqueen 3 4\n")
    assert adapt(str(tmp_path / "z.npz")).kind == "precomputed"
    assert adapt(tmp_path / "v.txt").kind == "word-vectors"
    with pytest.raises(AdapterError, match="cannot adapt str"):
        adapt(str(tmp_path / "v.csv"))


# ------------------------------------------------------------------------------------------ gensim KeyedVectors
def test_keyed_vectors_encode_exactly_what_gensim_gives():
    kv = _kv()
    a = adapt(kv)
    assert isinstance(a, KeyedVectorsAdapter) and a.kind == "gensim" and a.latent_dim == 8
    z = a.encode_items(WORDS)
    assert z.dtype == np.float64
    assert np.array_equal(z, np.stack([kv.get_vector(w) for w in WORDS]).astype(np.float64))
    zn = adapt(kv, normalize=True).encode_items(WORDS)
    assert np.array_equal(zn, np.stack([kv.get_vector(w, norm=True) for w in WORDS]).astype(np.float64))
    assert a.encode(np.array(["queen"])).tolist() == [kv.get_vector("queen").astype(np.float64).tolist()]


def test_word2vec_and_fasttext_models_through_their_wv():
    sentences = [s.split() for s in ["the king rules the land", "the queen rules the land", "a man and a woman"] * 20]
    w2v = Word2Vec(sentences, vector_size=6, min_count=1, workers=1, seed=1, epochs=2)
    a = adapt(w2v)
    assert a.kind == "gensim" and a.kv is w2v.wv
    assert np.array_equal(a.encode_items(["king", "land"]), np.stack([w2v.wv["king"], w2v.wv["land"]]).astype(np.float64))
    assert a.covers(["king", "emperor"]).tolist() == [True, False]

    ft = FastText(sentences, vector_size=6, min_count=1, workers=1, seed=1, epochs=1, bucket=1000)
    f = adapt(ft)
    assert f.covers(["king", "kingdom"]).tolist() == [True, True]  # n-grams: every word has a vector, as in gensim
    assert np.array_equal(f.encode_items(["kingdom"])[0], ft.wv.get_vector("kingdom").astype(np.float64))
    assert f.metadata["subword_ngrams"] is True


def test_out_of_vocabulary_words_are_reported_never_encoded():
    a = adapt(_kv(), name="tiny")
    assert a.covers(["king", "emperor", "Queen"]).tolist() == [True, False, False]
    with pytest.raises(OutOfVocabularyError) as exc:
        a.encode_items(["king", "emperor", "Queen"])
    assert exc.value.items == ["emperor", "Queen"] and exc.value.n_asked == 3
    assert "cannot encode 2 of 3 items" in _one_line(exc) and "'emperor', 'Queen'" in str(exc.value)
    d = Dataset("w", items=["king", "emperor", "queen", "Queen"])
    rows = np.arange(4)
    assert a.coverage(d, rows).tolist() == [True, False, True, False]
    with pytest.raises(OutOfVocabularyError, match=r"cannot encode 2 of the 4 items asked for in dataset 'w'"):
        a.encode_rows(d, np.arange(4))
    ok = rows[a.coverage(d, rows)]
    assert np.array_equal(a.encode_rows(d, ok), a.encode_items(["king", "queen"]))


def test_case_insensitive_lookup_follows_gensims_convention():
    kv = _kv()  # "Paris" (index 4) comes before "paris" (index 5): the more frequent casing wins
    a = adapt(kv, case_insensitive=True)
    assert a.covers(["PARIS", "france", "King", "Rome"]).tolist() == [True, True, True, False]
    z = a.encode_items(["paris", "PARIS", "france"])
    assert np.array_equal(z[0], kv.get_vector("Paris").astype(np.float64)) and np.array_equal(z[0], z[1])
    assert np.array_equal(z[2], kv.get_vector("France").astype(np.float64))
    assert a.fingerprint() != adapt(kv).fingerprint()


def test_keyed_vectors_fingerprint_follows_the_vectors():
    kv = _kv()
    fp = adapt(kv).fingerprint()
    assert adapt(_kv()).fingerprint() == fp  # the same words and vectors
    kv2 = _kv()
    kv2.vectors[3, 0] += 1e-3
    assert adapt(kv2).fingerprint() != fp
    assert adapt(_kv(words=WORDS[::-1])).fingerprint() != fp
    assert adapt(kv, normalize=True).fingerprint() != fp


def test_keyed_vectors_bad_input():
    kv = _kv()
    kv.vectors[2, 1] = np.nan
    a = adapt(kv)
    a.encode_items(["king"])
    with pytest.raises(InputValidationError, match="the vector of 'man' has NaN or infinite values") as exc:
        a.encode_items(["king", "man"])
    _one_line(exc)
    with pytest.raises(InputValidationError, match="empty vocabulary"):
        adapt(KeyedVectors(4))
    with pytest.raises(InputValidationError, match=r"row 1 holds int 3"):
        adapt(_kv()).encode_items(["king", 3])


# ------------------------------------------------------------------------------------------ dicts and files
def test_a_dict_of_word_vectors():
    table = {"king": [1.0, 2.0, 3.0], "queen": np.array([0.5, 0.0, -1.0], dtype=np.float32), "man": torch.tensor([0.0, 1.0, 0.0])}
    a = adapt(table, name="d")
    assert isinstance(a, WordVectorsAdapter) and a.latent_dim == 3
    assert a.encode_items(["queen", "king"]).tolist() == [[0.5, 0.0, -1.0], [1.0, 2.0, 3.0]]
    assert a.covers(["man", "woman"]).tolist() == [True, False]
    n = adapt(table, normalize=True).encode_items(["king"])
    assert np.allclose(n, np.array([[1, 2, 3]]) / math.sqrt(14), rtol=0, atol=1e-15)
    assert adapt(dict(table)).fingerprint() == a.fingerprint()
    assert adapt({**table, "king": [1.0, 2.0, 3.5]}).fingerprint() != a.fingerprint()


@pytest.mark.parametrize("table, match", [
    ({"king": [1.0, 2.0], "queen": [1.0, 2.0, 3.0]}, r"'queen' has 3 values but 'king' has 2; every vector needs the same width"),
    ({"king": [1.0, float("nan")], "queen": [1.0, 2.0]}, r"the vector of 'king' has NaN or infinite values \(1 word"),
    ({"king": [1.0, 2.0], 7: [1.0, 2.0]}, r"every key must be a word \(a non-empty str\); got int 7"),
    ({"king": [1.0, 2.0], "": [1.0, 2.0]}, r"every key must be a word"),
    ({"king": ["a", "b"]}, r"the vector of 'king' is not a sequence of numbers"),
    ({"king": []}, r"width 0"),
])
def test_a_dict_of_word_vectors_bad_input(table, match):
    with pytest.raises(InputValidationError, match=match) as exc:
        WordVectorsAdapter(table)
    _one_line(exc)


def test_an_empty_dict_is_not_word_vectors():
    with pytest.raises(InputValidationError, match="empty vocabulary"):
        WordVectorsAdapter({})


def _write(path, text, gz=False):
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


AWKWARD = "3 4\nking 0.1 -2.5e-3 3.4028235e38 1e-45\nqueen 1 2 3 4\ncafé 0.333333333333 7 -0 0.1e1\n"


@pytest.mark.parametrize("backend", ["gensim", "python"])
def test_a_word2vec_text_file_reads_as_gensim_reads_it(tmp_path, backend):
    path = _write(tmp_path / "v.vec", AWKWARD)
    words, vectors = read_word2vec_text(path, backend=backend)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=False)
    assert words == kv.index_to_key == ["king", "queen", "café"]
    assert vectors.dtype == np.float32 and np.array_equal(vectors, kv.vectors)
    a = WordVectorsAdapter.from_file(path, backend=backend)
    assert np.array_equal(a.encode_items(["café", "king"]), np.stack([kv["café"], kv["king"]]).astype(np.float64))


def test_both_file_readers_agree_on_a_file_gensim_ships():
    path = datapath("crime-and-punishment.vec")
    w1, v1 = read_word2vec_text(path, backend="gensim")
    w2, v2 = read_word2vec_text(path, backend="python")
    kv = KeyedVectors.load_word2vec_format(path, binary=False)
    assert w1 == w2 == kv.index_to_key and np.array_equal(v1, v2) and np.array_equal(v1, kv.vectors)
    assert WordVectorsAdapter.from_file(path, backend="gensim").fingerprint() == WordVectorsAdapter.from_file(path, backend="python").fingerprint()


def test_files_without_header_and_gzipped(tmp_path):
    glove = _write(tmp_path / "g.txt", "king 1 2\nqueen 3 4\n")
    a = adapt(glove)
    assert a.words == ["king", "queen"] and a.encode_items(["queen"]).tolist() == [[3.0, 4.0]]
    gz = _write(tmp_path / "v.vec.gz", AWKWARD, gz=True)
    words, vectors = read_word2vec_text(gz, backend="python")
    assert words == ["king", "queen", "café"] and np.array_equal(vectors, read_word2vec_text(gz, backend="gensim")[1])


@pytest.mark.parametrize("backend", ["gensim", "python"])
@pytest.mark.parametrize("text, match", [
    ("3 2\nking 1 2\nqueen 3 4\nking 5 6\n", r"the word 'king' appears twice \(lines 2 and 4\)"),
    ("2 2\nking 1 2\nqueen 3 4 5\n", r"line 3 \('queen'\) has 3 values, expected 2; every vector needs the same width"),
    ("king 1 2\nqueen 3\n", r"line 2 \('queen'\) has 1 values, expected 2"),
    ("2 2\nking 1 nan\nqueen 3 4\n", r"the vector of 'king' has NaN or infinite values"),
    ("2 2\nking 1 2\nqueen 3 x\n", r"line 3 \('queen'\) holds 'x', not a number"),
    ("3 2\nking 1 2\nqueen 3 4\n", r"the header says 3 words, the file has 2"),
    ("2 2\nking 1 2\n\nqueen 3 4\n", r"line 3 is empty"),
    ("", r"no words \(empty vocabulary\)"),
])
def test_word2vec_text_file_bad_input(tmp_path, backend, text, match):
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(InputValidationError, match=match) as exc:
        read_word2vec_text(path, backend=backend)
    _one_line(exc)


def test_a_file_that_is_not_utf8_or_missing(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("café 1 2\n".encode("latin-1"))
    with pytest.raises(InputValidationError, match="not UTF-8 text"):
        read_word2vec_text(path)
    with pytest.raises(InputValidationError, match="does not exist"):
        read_word2vec_text(tmp_path / "nope.txt")


# ------------------------------------------------------------------------------------------ functions of strings
def test_text_callable_bad_outputs_are_one_line_errors():
    ragged = adapt(lambda batch: [np.ones(2 + (s == "b")) for s in batch], inputs="items", name="ragged")
    with pytest.raises(AdapterError, match=r"varying width \(row 0: shape \(2,\), row 1: shape \(3,\)\)") as exc:
        ragged.encode_items(["a", "b"])
    _one_line(exc)
    nan = adapt(lambda batch: np.full((len(batch), 2), np.nan), inputs="items", name="nan")
    with pytest.raises(AdapterError, match="NaN/infinite"):
        nan.encode_items(["a"])
    short = adapt(lambda batch: np.zeros((1, 2)), inputs="items", name="short")
    with pytest.raises(AdapterError, match="returned shape"):
        short.encode_items(["a", "b"])
    widths = adapt(lambda batch: np.zeros((len(batch), 2 + len(batch[0]))), inputs="items", name="w", batch_size=1)
    with pytest.raises(AdapterError, match="returned 4 columns, expected 3"):
        widths.encode_items(["a", "bb"])
    raises = adapt(lambda batch: 1 / 0, inputs="items", name="boom")
    with pytest.raises(AdapterError, match="raised in encode: ZeroDivisionError"):
        raises.encode_items(["a"])


def test_an_image_model_asked_for_items_and_a_text_model_given_arrays(tiny_ae):
    with pytest.raises(CapabilityError, match="encodes input arrays, not items"):
        adapt(tiny_ae()).encode_items(["a"])
    with pytest.raises(InputValidationError, match="x holds strings; this model encodes numeric arrays"):
        adapt(tiny_ae()).encode(np.array(["a", "b"]))


# ------------------------------------------------------------------------------------------ torch at a named layer
class Net(nn.Module):
    """No encode method: the representation people want is a hidden layer."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.encoder = nn.Sequential()
        self.encoder.add_module("fc1", nn.Linear(64, 16))
        self.encoder.add_module("act", nn.ReLU())
        self.encoder.add_module("fc2", nn.Linear(16, 5))
        self.head = nn.Linear(5, 10)
        self.unused = nn.Linear(3, 3)

    def forward(self, x):
        return self.head(self.encoder(x.reshape(len(x), -1)))

    def encode(self, x):
        return self.encoder(x.reshape(len(x), -1))


def test_a_torch_module_at_a_named_layer(digits):
    net = Net()
    a = adapt(net, layer="encoder.fc2", name="net")
    assert a.kind == "torch" and a.capabilities == frozenset({Capability.ENCODE}) and a.metadata["layer"] == "encoder.fc2"
    x = digits.get_x(digits.split("test")[:20])
    with torch.no_grad():
        want = net.encoder.fc2(torch.relu(net.encoder.fc1(torch.as_tensor(x).reshape(20, -1)))).numpy()
    fp = a.fingerprint()
    z = a.encode(x)
    assert np.array_equal(z, want.astype(np.float64))
    assert a.fingerprint() == fp and not net.encoder.fc2._forward_hooks  # the hook lives only during a call
    assert adapt(net, layer="encoder.fc1").fingerprint() != fp
    assert np.array_equal(adapt(net, layer="encoder.fc2", method="encode").encode(x), z)
    hidden = adapt(net, layer="encoder.act").encode(x)
    assert hidden.shape == (20, 16) and (hidden >= 0).all()


def test_a_named_layer_that_does_not_fit(digits):
    net = Net()
    with pytest.raises(AdapterError, match=r"has no submodule 'encoder.fc3'; did you mean 'encoder.fc2', 'encoder.fc1'") as exc:
        adapt(net, layer="encoder.fc3")
    _one_line(exc)
    x = digits.get_x(digits.split("test")[:4])
    with pytest.raises(AdapterError, match="layer 'unused' was not called by forward"):
        adapt(net, layer="unused").encode(x)

    class Pair(nn.Module):
        def forward(self, x):
            return x, x

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.pair = Pair()

        def forward(self, x):
            return self.pair(x)[0]

    with pytest.raises(AdapterError, match="layer 'pair' returns a tuple, not one tensor"):
        adapt(Wrap(), layer="pair").encode(x)
    with pytest.raises(AdapterError, match="has no method 'embed'"):
        adapt(net, layer="encoder.fc2", method="embed")


def test_a_module_without_encode_points_to_layer():
    with pytest.raises(AdapterError, match="pass layer='<submodule>'"):
        adapt(nn.Sequential(nn.Linear(2, 2)))


# ------------------------------------------------------------------------------------------ items through the runner
@pytest.fixture
def wordsim():
    return load_dataset("wordsim353")


def _full_vectors(dataset, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    return {w: rng.standard_normal(dim) for w in dataset.items.tolist()}


def _rows(results):
    return {(r["model"], r["task"]): r for r in results.rows}


def test_a_text_model_runs_on_an_items_dataset_end_to_end(wordsim, tmp_path):
    vectors = _full_vectors(wordsim)
    task = MeanNorm(name="mean-norm/wordsim353", dataset="wordsim353")
    store = tmp_path / "r.db"
    res = latentbench.evaluate({"vec": adapt(vectors)}, tasks=[task], store=str(store), n_bootstrap=50)
    row = _rows(res)[("vec", "mean-norm/wordsim353")]
    z = np.stack([vectors[w] for w in wordsim.items.tolist()])
    assert row["status"] == "ok" and row["value"] == pytest.approx(np.linalg.norm(z, axis=1).mean(), rel=1e-12)
    assert row["n"] == 437
    again = latentbench.evaluate({"vec": adapt(vectors)}, tasks=[task], store=str(store), n_bootstrap=50)
    assert _rows(again)[("vec", "mean-norm/wordsim353")].get("cached")  # the store serves it back


def test_image_and_text_models_are_skipped_on_each_others_datasets(wordsim, tiny_ae):
    words = adapt(_full_vectors(wordsim), name="vec")
    res = latentbench.evaluate({"ae": tiny_ae(), "vec": words}, tasks=[MeanNorm(name="mean-norm/wordsim353", dataset="wordsim353"),
                                                                         MeanNorm(name="mean-norm/digits", dataset="digits")],
                               n_bootstrap=50)
    rows = _rows(res)
    assert rows[("vec", "mean-norm/wordsim353")]["status"] == "ok" and rows[("ae", "mean-norm/digits")]["status"] == "ok"
    image_on_words = rows[("ae", "mean-norm/wordsim353")]
    assert image_on_words["status"] == "skipped"
    assert image_on_words["message"] == ("model 'ae' (torch) encodes input arrays; dataset 'wordsim353' holds items "
                                         "(strings: words, sentences) (another input kind)")
    words_on_images = rows[("vec", "mean-norm/digits")]
    assert words_on_images["status"] == "skipped" and "encodes items (strings: words, sentences); dataset 'digits' holds input arrays" in words_on_images["message"]


def test_a_task_that_reads_inputs_is_skipped_on_an_items_dataset(wordsim):
    res = latentbench.evaluate(adapt(_full_vectors(wordsim), name="vec"), tasks="intrinsic-dimension/digits", dataset="wordsim353",
                               n_bootstrap=20)
    (row,) = [r for r in res.rows if r["is_primary"]]
    assert row["task"] == "intrinsic-dimension/wordsim353" and row["status"] == "skipped"
    assert "holds items (strings), not input arrays: this task reads the inputs x" in row["message"]


def test_out_of_vocabulary_rows_skip_a_task_that_needs_every_code(wordsim):
    vectors = _full_vectors(wordsim)
    for w in ("tiger", "cat"):
        del vectors[w]
    res = latentbench.evaluate(adapt(vectors, name="vec"), tasks=[MeanNorm(name="mean-norm/wordsim353", dataset="wordsim353")],
                               n_bootstrap=20, on_error="raise")
    (row,) = res.rows
    assert row["status"] == "skipped"
    assert row["message"].startswith("model 'vec' cannot encode 2 of the 437 items asked for in dataset 'wordsim353' "
                                     "(not in its vocabulary: 'tiger', 'cat')")


def test_identity_of_a_word_model_on_an_items_dataset(wordsim):
    vectors = _full_vectors(wordsim)
    a = adapt(vectors)
    ident, probe = a.identity(wordsim)
    assert probe == "deterministic" and adapt(dict(vectors)).identity(wordsim)[0] == ident
    changed = dict(vectors)
    changed["love"] = vectors["love"] + 1.0
    assert adapt(changed).identity(wordsim)[0] != ident
    from latentbench.identity import probe_rows

    probe_words = wordsim.get_items(probe_rows(len(wordsim))).tolist()
    partial = {w: v for w, v in vectors.items() if w != probe_words[0]}
    ident_partial = adapt(partial).identity(wordsim)[0]  # the probe uses the covered probe rows
    assert ident_partial not in (ident, adapt(partial).identity(load_dataset("simlex999"))[0])


def test_precomputed_latents_of_an_items_dataset(wordsim):
    z = np.random.default_rng(0).standard_normal((len(wordsim), 4))
    a = adapt(z, dataset="wordsim353", name="pre")
    assert a.input_mismatch(wordsim) is None
    res = latentbench.evaluate({"pre": a}, tasks=[MeanNorm(name="mean-norm/wordsim353", dataset="wordsim353")], n_bootstrap=20)
    assert res.rows[0]["value"] == pytest.approx(np.linalg.norm(z, axis=1).mean(), rel=1e-12)


def test_a_word_vector_dict_passed_to_evaluate_is_refused_as_ambiguous(wordsim):
    with pytest.raises(InputValidationError, match=r"ambiguous models mapping: every value is a 1-D array") as exc:
        latentbench.evaluate({"king": np.ones(3), "queen": np.zeros(3)}, tasks=[MeanNorm(name="m/wordsim353", dataset="wordsim353")])
    _one_line(exc)


def test_get_x_of_an_items_dataset_is_not_applicable_in_a_task(wordsim):
    class ReadsX(MeanNorm):
        def run(self, adapter, data, ctx):
            data.get_x(ctx.rows())
            raise AssertionError("unreachable")

    res = latentbench.evaluate(adapt(_full_vectors(wordsim), name="vec"), tasks=[ReadsX(name="reads-x/wordsim353", dataset="wordsim353")],
                               n_bootstrap=20, on_error="raise")
    assert res.rows[0]["status"] == "skipped" and "holds items (strings), not input arrays" in res.rows[0]["message"]
    assert issubclass(NotApplicableError, latentbench.exceptions.LatentBenchError)


def test_conformance_check_of_a_word_model(wordsim):
    vectors = _full_vectors(wordsim)
    del vectors["love"]
    report = latentbench.check(adapt(vectors, name="vec"))
    assert report.dataset == "wordsim353" and report.passed
    assert "encodes 436 of the 437 test items" in report.to_text()
    bad = latentbench.check(adapt(vectors, name="vec"), dataset="digits")
    assert not bad.passed and "holds input arrays" in bad.failures()[0].message


def test_adapter_describe_states_its_inputs(wordsim):
    d = adapt(_full_vectors(wordsim), name="vec").describe(fingerprint="x")
    assert d["inputs"] == ["items"] and d["adapter"] == "word-vectors"
    assert isinstance(adapt(np.zeros((3, 2))), PrecomputedAdapter) and sorted(adapt(np.zeros((3, 2))).inputs) == ["arrays", "items"]
    assert SklearnAdapter.inputs == TorchAdapter.inputs == frozenset({"arrays"}) and issubclass(TextCallableAdapter, Adapter)
