"""Adapters of text models: they encode a dataset's items (strings: words, sentences).

* :class:`KeyedVectorsAdapter` -- gensim ``KeyedVectors``, and ``Word2Vec``/``FastText``/... models
  through their ``.wv``. Out-of-vocabulary words are reported (:meth:`~KeyedVectorsAdapter.covers`),
  never encoded; a FastText model with n-gram buckets covers every word, as in gensim.
* :class:`WordVectorsAdapter` -- a plain ``{word: vector}`` mapping, or a word2vec-format text file
  (``.txt``/``.vec``, optionally gzipped, with or without the ``count dim`` header line) read with
  gensim's ``KeyedVectors.load_word2vec_format(binary=False)`` when gensim is installed, else by a
  small parser that gives the same float32 values. Never unpickled.
* :class:`SentenceTransformerAdapter` -- a sentence-transformers ``SentenceTransformer`` (also a
  ``torch.nn.Module``: it is asked before :class:`~latentbench.adapters.TorchAdapter`). A word is
  encoded as a one-word sentence.
* :class:`TextCallableAdapter` -- a function ``list[str] -> (n, d) array``. A plain callable is
  read as a function of arrays (:class:`~latentbench.adapters.CallableAdapter`) unless it is
  adapted with ``adapt(fn, inputs="items")`` or wrapped in this class explicitly: nothing in a
  function says which inputs it takes, so the caller says it.

Bad input is refused with one line naming the problem: a mapping or file whose vectors have
varying widths, NaN or infinite values, the same word twice (a file), a key or an item that is
not a string, an empty vocabulary.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import AdapterError, InputValidationError, MissingOptionalDependencyError
from ..validation import check_items, is_tensor
from .base import Adapter, Vocabulary, _to_numpy, constructor_options

__all__ = [
    "KeyedVectorsAdapter", "SentenceTransformerAdapter", "TEXT_EXTRA", "TextCallableAdapter", "WordVectorsAdapter",
    "read_word2vec_text",
]

#: The optional extra that installs the text packages.
TEXT_EXTRA = "pip install 'latentbench[text]'"

#: Suffixes of word2vec-format text files that :func:`~latentbench.adapters.adapt` reads as word vectors.
WORD_VECTOR_SUFFIXES: tuple[str, ...] = (".txt", ".vec", ".txt.gz", ".vec.gz")


def _gensim_kv_class() -> Any:
    """gensim's ``KeyedVectors`` class when gensim is imported (an object cannot be one otherwise)."""
    mod = sys.modules.get("gensim.models.keyedvectors")
    return getattr(mod, "KeyedVectors", None)


def _vector_table_digest(kind: str, words: list[str], vectors: np.ndarray, **options: Any) -> str:
    from ..identity import state_digest

    return state_digest({"kind": kind, "words": "\x00".join(words), "n_words": len(words), "vectors": vectors, "options": options})


def _check_finite_rows(vectors: np.ndarray, words: list[str] | np.ndarray, where: str) -> None:
    """Refuse NaN or infinite values, naming the first word that has one (checked in chunks)."""
    for s in range(0, len(vectors), 65536):
        chunk = vectors[s : s + 65536]
        bad = ~np.isfinite(chunk).all(axis=1)
        if bad.any():
            rows = np.nonzero(bad)[0] + s
            n_bad = int(bad.sum()) + sum(int((~np.isfinite(vectors[t : t + 65536]).all(axis=1)).sum())
                                         for t in range(s + 65536, len(vectors), 65536))
            raise InputValidationError(f"{where}: the vector of {words[int(rows[0])]!r} has NaN or infinite values "
                                       f"({n_bad} word(s) in all); give finite vectors")


# ====================================================================== gensim KeyedVectors
class KeyedVectorsAdapter(Adapter):
    """gensim ``KeyedVectors`` (or a ``Word2Vec``/``FastText`` model: its ``.wv``).

    Parameters
    ----------
    vectors : gensim.models.KeyedVectors or a model with ``.wv``
    name : str, optional
    case_insensitive : bool, default=False
        Look words up as gensim's ``evaluate_word_pairs``/``evaluate_word_analogies`` do by default:
        upper-cased, the most frequent casing (the lowest index) winning. ``False``: exact lookup,
        so ``encode_items(["king"])`` equals ``kv.get_vector("king")``.
    normalize : bool, default=False
        Unit-length vectors (``kv.get_vector(word, norm=True)``); ``False``: the raw vectors.
    batch_size : int, default=4096

    Notes
    -----
    Coverage: a word is covered when the model has a vector for it: ``word in kv`` (for a FastText
    model with n-gram buckets that is every word, its vector built from n-grams, as in gensim).
    The fingerprint covers the words in order, the vectors (and a FastText model's n-gram vectors
    and settings) and the two options above.
    """

    kind = "gensim"
    inputs = frozenset({"items"})

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """A gensim ``KeyedVectors``, or an object whose ``wv`` attribute is one (``Word2Vec``, ``FastText``)."""
        kv_cls = _gensim_kv_class()
        return kv_cls is not None and (isinstance(obj, kv_cls) or isinstance(getattr(obj, "wv", None), kv_cls))

    def __init__(self, vectors: Any, *, name: str | None = None, case_insensitive: bool = False, normalize: bool = False,
                 batch_size: int = 4096) -> None:
        kv_cls = _gensim_kv_class()
        kv = vectors if kv_cls is not None and isinstance(vectors, kv_cls) else getattr(vectors, "wv", None)
        if kv_cls is None or not isinstance(kv, kv_cls):
            raise AdapterError(f"KeyedVectorsAdapter needs gensim KeyedVectors or a model with .wv, got {type(vectors).__name__}")
        super().__init__(name or type(vectors).__name__, batch_size=batch_size)
        if len(kv) == 0:
            raise InputValidationError(f"model {self.name!r}: the KeyedVectors hold no words (empty vocabulary)")
        self.kv = kv
        self.case_insensitive = bool(case_insensitive)
        self.normalize = bool(normalize)
        self.latent_dim = int(kv.vector_size)
        self._ngrams = int(getattr(kv, "bucket", 0) or 0) > 0  # FastText: every word has a vector
        self._upper: dict[str, Any] | None = None
        self.metadata = {"vocabulary": len(kv), "case_insensitive": self.case_insensitive, "normalize": self.normalize,
                         "subword_ngrams": self._ngrams}

    @property
    def n_parameters(self) -> int | None:
        """The word vectors (vocabulary x dimension; a FastText model's n-gram buckets too)."""
        n = int(np.asarray(self.kv.vectors).size)
        ngrams = getattr(self.kv, "vectors_ngrams", None)
        return n + (int(np.asarray(ngrams).size) if self._ngrams and ngrams is not None else 0)

    def _key(self, word: str) -> Any:
        """The key whose vector encodes ``word``, or ``None`` when it has none."""
        if self.case_insensitive:
            if self._upper is None:  # gensim's convention: the most frequent casing (lowest index) wins
                self._upper = {}
                for key in reversed(self.kv.index_to_key):
                    self._upper[str(key).upper()] = key
            key = self._upper.get(word.upper())
            if key is not None:
                return key
            return word if self._ngrams else None
        return word if word in self.kv else None

    def covers(self, items: Any) -> np.ndarray:
        """Whether each item has a vector (see the class notes)."""
        return np.fromiter((self._key(w) is not None for w in check_items(items, "items").tolist()), dtype=bool)

    def _encode_items_batch(self, items: list[str]) -> np.ndarray:
        keys = [self._key(w) for w in items]
        out = np.stack([self.kv.get_vector(k, norm=self.normalize) for k in keys])
        if not np.isfinite(out).all():
            first = int(np.nonzero(~np.isfinite(out).all(axis=1))[0][0])
            raise InputValidationError(f"model {self.name!r}: the vector of {items[first]!r} has NaN or infinite values; "
                                       f"give finite vectors")
        return out

    def vocabulary(self, limit: int | None = None) -> Vocabulary:
        """The first ``limit`` keys of the ``KeyedVectors`` (gensim's ``index_to_key[:limit]``) with their
        raw vectors; looked up upper-cased when :attr:`case_insensitive` (the first casing wins, as in
        gensim's ``evaluate_word_analogies``), exactly otherwise."""
        keys = [str(k) for k in self.kv.index_to_key[:limit]]
        return Vocabulary.build(keys, self.kv.vectors[: len(keys)], str.upper if self.case_insensitive else None)

    def _state_digest(self) -> str:
        kv = self.kv
        from ..identity import state_digest

        extra = {}
        if self._ngrams:
            extra = {"vectors_ngrams": getattr(kv, "vectors_ngrams", None), "vectors_vocab": getattr(kv, "vectors_vocab", None),
                     "min_n": getattr(kv, "min_n", None), "max_n": getattr(kv, "max_n", None), "bucket": getattr(kv, "bucket", None)}
        return state_digest({"table": _vector_table_digest(f"{type(kv).__module__}.{type(kv).__qualname__}",
                                                           [str(k) for k in kv.index_to_key], kv.vectors),
                             "subwords": extra, "case_insensitive": self.case_insensitive, "normalize": self.normalize})


# ====================================================================== word -> vector tables
class WordVectorsAdapter(Adapter):
    """A table of word vectors: a ``{word: vector}`` mapping or a word2vec-format text file.

    Parameters
    ----------
    vectors : mapping of str to 1-D array-like
        Every key a word (a non-empty string), every value a vector of the same width, finite.
    name : str, optional
    normalize : bool, default=False
        Unit-length vectors; ``False``: the vectors as given.
    batch_size : int, default=4096
    source : str, optional
        Where the vectors came from (a file path), for messages.

    Notes
    -----
    Coverage: exact lookup of each item among the words. The fingerprint covers the words in order,
    the vectors and ``normalize``. A mapping's vectors are kept as float64; a file's as float32 (the
    word2vec format's precision, as gensim reads it).
    """

    kind = "word-vectors"
    inputs = frozenset({"items"})

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """A non-empty mapping whose values are all 1-D (word vectors; a mapping of 2-D arrays is
        precomputed latents), or the path of a ``.txt``/``.vec`` file (optionally ``.gz``)."""
        if isinstance(obj, (str, Path)):
            return str(obj).endswith(WORD_VECTOR_SUFFIXES)
        if not isinstance(obj, Mapping) or not obj:
            return False
        for i, value in enumerate(obj.values()):
            ndim = value.ndim if hasattr(value, "ndim") else (np.ndim(value) if i < 100 else 1)
            if ndim != 1:
                return False
        return True

    @classmethod
    def from_object(cls, obj: Any, **options: Any) -> WordVectorsAdapter:
        """A path is read with :meth:`from_file`; a mapping is the table itself."""
        if isinstance(obj, (str, Path)):
            return cls.from_file(obj, **constructor_options(cls, options, target=cls.from_file))
        return cls(obj, **constructor_options(cls, options))

    def __init__(self, vectors: Mapping[str, Any], *, name: str | None = None, normalize: bool = False,
                 batch_size: int = 4096, source: str | None = None) -> None:
        super().__init__(name or (Path(source).name if source else "word-vectors"), batch_size=batch_size)
        where = source or "word vectors"
        if not isinstance(vectors, Mapping):
            raise AdapterError(f"WordVectorsAdapter needs a mapping of word -> vector, got {type(vectors).__name__}")
        if not vectors:
            raise InputValidationError(f"{where}: no words (empty vocabulary)")
        words: list[str] = []
        rows: list[np.ndarray] = []
        width = None
        for key, value in vectors.items():
            if not isinstance(key, str) or not key:
                raise InputValidationError(f"{where}: every key must be a word (a non-empty str); got {type(key).__name__} {key!r}")
            try:
                vec = _to_numpy(value) if is_tensor(value) else np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise InputValidationError(f"{where}: the vector of {key!r} is not a sequence of numbers") from None
            if vec.ndim != 1 or vec.dtype.kind not in "fiub":
                raise InputValidationError(f"{where}: the vector of {key!r} must be 1-D numbers, got shape {vec.shape} "
                                           f"and dtype {vec.dtype}")
            if width is None:
                width, first = len(vec), key
            elif len(vec) != width:
                raise InputValidationError(f"{where}: {key!r} has {len(vec)} values but {first!r} has {width}; every vector "
                                           f"needs the same width")
            words.append(key)
            rows.append(vec)
        self._set_table(words, np.stack(rows).astype(np.float64, copy=False), where)
        self.normalize = bool(normalize)
        self.source = source
        self.metadata = {"vocabulary": len(words), "normalize": self.normalize, **({"source": source} if source else {})}

    def _set_table(self, words: list[str], table: np.ndarray, where: str) -> None:
        if table.shape[1] == 0:
            raise InputValidationError(f"{where}: the vectors have no values (width 0)")
        _check_finite_rows(table, words, where)
        self.words = words
        self.vectors = table
        self.index = {w: i for i, w in enumerate(words)}
        if len(self.index) != len(words):  # only a file can repeat a word; read_word2vec_text names it
            raise InputValidationError(f"{where}: a word appears twice; every word needs one vector")
        self.latent_dim = int(table.shape[1])

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None, normalize: bool = False, batch_size: int = 4096,
                  backend: str = "auto") -> WordVectorsAdapter:
        """Read a word2vec-format text file (see :func:`read_word2vec_text`)."""
        words, vectors = read_word2vec_text(path, backend=backend)
        self = cls.__new__(cls)
        Adapter.__init__(self, name or Path(path).name, batch_size=batch_size)
        self._set_table(words, vectors, str(path))
        self.normalize = bool(normalize)
        self.source = str(path)
        self.metadata = {"vocabulary": len(words), "normalize": self.normalize, "source": str(path)}
        return self

    def covers(self, items: Any) -> np.ndarray:
        """Whether each item is one of the words (exact lookup)."""
        return np.fromiter((w in self.index for w in check_items(items, "items").tolist()), dtype=bool)

    def _encode_items_batch(self, items: list[str]) -> np.ndarray:
        out = self.vectors[[self.index[w] for w in items]].astype(np.float64)
        if self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.where(norms > 0, norms, 1.0)
        return out

    def vocabulary(self, limit: int | None = None) -> Vocabulary:
        """The first ``limit`` words in the mapping's (or the file's) order with their vectors; exact lookup."""
        keys = self.words[:limit]
        return Vocabulary.build(keys, self.vectors[: len(keys)])

    def _state_digest(self) -> str:
        return _vector_table_digest("word-vectors", self.words, self.vectors, normalize=self.normalize)


def _open_text(path: Path) -> Any:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def _header(parts: list[str]) -> tuple[int, int] | None:
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _scan_words(path: Path) -> tuple[tuple[int, int] | None, list[str]]:
    """The header (if any) and the words of a word2vec text file, refusing repeated words and lines whose
    number of values differs from the header's (or the first line's)."""
    seen: dict[str, int] = {}
    words: list[str] = []
    header = None
    width = None
    try:
        with _open_text(path) as f:
            for no, line in enumerate(f, 1):
                stripped = line.rstrip()
                if no == 1 and (header := _header(stripped.split(" "))) is not None:
                    width = header[1]
                    continue
                if not stripped:
                    raise InputValidationError(f"{path}: line {no} is empty; one word and its vector per line")
                word = stripped.split(" ", 1)[0]
                n_values = stripped.count(" ")
                if width is None:
                    width = n_values
                elif n_values != width:  # gensim would repeat a lone value across the vector: refused here
                    raise InputValidationError(f"{path}: line {no} ({word!r}) has {n_values} values, expected {width}; "
                                               f"every vector needs the same width")
                if word in seen:
                    raise InputValidationError(f"{path}: the word {word!r} appears twice (lines {seen[word]} and {no}); "
                                               f"every word needs one vector")
                seen[word] = no
                words.append(word)
    except UnicodeDecodeError as exc:
        raise InputValidationError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except (OSError, EOFError) as exc:
        raise InputValidationError(f"{path}: cannot read it ({exc})") from None
    if not words:
        raise InputValidationError(f"{path}: no words (empty vocabulary)")
    if header is not None and header[0] != len(words):
        raise InputValidationError(f"{path}: the header says {header[0]} words, the file has {len(words)}; fix the header line")
    return header, words


def _parse_vectors(path: Path, header: tuple[int, int] | None, n_words: int) -> np.ndarray:
    """The vectors of a word2vec text file, parsed as gensim does (``np.float32(value)``)."""
    width = header[1] if header else None
    out: np.ndarray | None = None
    i = 0
    with _open_text(path) as f:
        for no, line in enumerate(f, 1):
            if no == 1 and header is not None:
                continue
            parts = line.rstrip().split(" ")
            word, values = parts[0], parts[1:]
            if width is None:
                width = len(values)
            if len(values) != width:
                raise InputValidationError(f"{path}: line {no} ({word!r}) has {len(values)} values, expected {width}; "
                                           f"every vector needs the same width")
            try:
                row = [np.float32(v) for v in values]
            except ValueError:
                bad = next(v for v in values if not _is_number(v))
                raise InputValidationError(f"{path}: line {no} ({word!r}) holds {bad!r}, not a number") from None
            if out is None:
                out = np.empty((n_words, width), dtype=np.float32)
            out[i] = row
            i += 1
    assert out is not None
    return out


def _is_number(text: str) -> bool:
    try:
        np.float32(text)
        return True
    except ValueError:
        return False


def read_word2vec_text(path: str | Path, *, backend: str = "auto") -> tuple[list[str], np.ndarray]:
    """Words and float32 vectors of a word2vec-format text file.

    The first line may be a ``count dim`` header (word2vec, fastText ``.vec``); without one (GloVe)
    every line is ``word v1 v2 ...``. Values are separated by single spaces.

    Parameters
    ----------
    path : str or Path
        ``.txt``/``.vec``, optionally gzipped (``.gz``); UTF-8.
    backend : {"auto", "gensim", "python"}, default="auto"
        ``gensim``: ``KeyedVectors.load_word2vec_format(binary=False)``; ``python``: a small parser
        giving the same float32 values (``np.float32(value)``, as gensim); ``auto``: gensim when it
        is installed. Both refuse the same files: words are scanned first, so a repeated word is an
        error naming both lines (gensim alone would keep the first and drop the rest).

    Returns
    -------
    words : list of str
    vectors : ndarray of shape (n_words, dim), float32

    Raises
    ------
    InputValidationError
        A repeated word, vectors of varying width, a value that is not a number, NaN or infinite
        values, a header that does not match the file, an empty file, text that is not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"word vectors file {str(path)!r} does not exist")
    if backend not in ("auto", "gensim", "python"):
        raise InputValidationError(f"'backend' must be 'auto', 'gensim' or 'python', got {backend!r}")
    header, words = _scan_words(path)
    if backend == "auto":
        import importlib.util

        backend = "gensim" if importlib.util.find_spec("gensim") is not None else "python"
    if backend == "gensim":
        try:
            from gensim.models import KeyedVectors
        except ImportError:
            raise MissingOptionalDependencyError(f"backend='gensim' needs gensim: {TEXT_EXTRA}") from None
        try:
            kv = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=header is None)
        except (ValueError, EOFError) as exc:
            _parse_vectors(path, header, len(words))  # names the line; gensim's message otherwise
            raise InputValidationError(f"{path}: gensim cannot read it: {str(exc).splitlines()[0]}") from None
        if [str(k) for k in kv.index_to_key] != words:  # pragma: no cover - the scan and gensim agree on the words
            raise InputValidationError(f"{path}: gensim read other words than the file's first column")
        vectors = np.asarray(kv.vectors, dtype=np.float32)
    else:
        vectors = _parse_vectors(path, header, len(words))
    if header is not None and vectors.shape[1] != header[1]:
        raise InputValidationError(f"{path}: the header says vectors of {header[1]} values, the lines have {vectors.shape[1]}")
    _check_finite_rows(vectors, words, str(path))
    return words, vectors


# ====================================================================== sentence-transformers
class SentenceTransformerAdapter(Adapter):
    """A sentence-transformers ``SentenceTransformer``: each item is a sentence (a word is a one-word sentence).

    Parameters
    ----------
    model : sentence_transformers.SentenceTransformer
    name : str, optional
    device : str, default="cpu"
    batch_size : int, default=64
        Sentences per forward pass (``model.encode(..., batch_size=)``).
    normalize_embeddings : bool, default=False
        Passed to ``model.encode``. Recorded in :meth:`describe` with ``normalized_by_model`` (whether
        the model's own pipeline ends with a ``Normalize`` module, as all-MiniLM-L6-v2's does: its codes
        are then unit vectors either way).

    Notes
    -----
    Items go to ``model.encode`` up to :attr:`items_per_call` (65,536) at a time: sentence-transformers
    sorts them by length and batches them itself, so the codes equal one ``model.encode(items,
    batch_size=batch_size, normalize_embeddings=normalize_embeddings)`` call bit for bit. The
    fingerprint covers the weights (``state_dict``), the module pipeline (its ``repr``: pooling,
    normalisation, maximum sequence length), the tokenizer's vocabulary and ``normalize_embeddings``.
    """

    kind = "sentence-transformers"
    inputs = frozenset({"items"})
    items_per_call = 65536

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """A ``SentenceTransformer`` (once sentence-transformers is imported)."""
        st_cls = getattr(sys.modules.get("sentence_transformers"), "SentenceTransformer", None)
        return st_cls is not None and isinstance(obj, st_cls)

    def __init__(self, model: Any, *, name: str | None = None, device: str = "cpu", batch_size: int = 64,
                 normalize_embeddings: bool = False) -> None:
        if not callable(getattr(model, "encode", None)):
            raise AdapterError(f"SentenceTransformerAdapter needs a SentenceTransformer, got {type(model).__name__}")
        super().__init__(name or type(model).__name__, batch_size=batch_size)
        self.model = model
        self.normalize_embeddings = bool(normalize_embeddings)
        get_dim = getattr(model, "get_embedding_dimension", None) or getattr(model, "get_sentence_embedding_dimension", None)
        dim = get_dim() if callable(get_dim) else None
        self.latent_dim = int(dim) if dim else None
        children = list(model.children()) if callable(getattr(model, "children", None)) else []
        self.metadata = {"normalize_embeddings": self.normalize_embeddings,
                         "normalized_by_model": any(type(m).__name__ == "Normalize" for m in children),
                         "max_seq_length": getattr(model, "max_seq_length", None)}
        self.to(device)

    @property
    def n_parameters(self) -> int | None:
        """The encoder's parameters (the transformer and any projection after it)."""
        params = getattr(self.model, "parameters", None)
        return sum(int(p.numel()) for p in params()) if callable(params) else None

    def to(self, device: str) -> SentenceTransformerAdapter:
        self.model.to(device)
        self.device = device
        return self

    def _encode_items_batch(self, items: list[str]) -> Any:
        return self.model.encode(items, batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True,
                                 normalize_embeddings=self.normalize_embeddings, device=self.device)

    def _state_digest(self) -> str:
        from ..identity import state_digest

        tok = getattr(self.model, "tokenizer", None)
        vocab = tok.get_vocab() if callable(getattr(tok, "get_vocab", None)) else None
        vocab_text = "\n".join(f"{k}\t{v}" for k, v in sorted(vocab.items())) if vocab else None
        return state_digest({"class": f"{type(self.model).__module__}.{type(self.model).__qualname__}",
                             "state_dict": dict(self.model.state_dict()), "pipeline": repr(self.model),
                             "max_seq_length": getattr(self.model, "max_seq_length", None),
                             "tokenizer": f"{type(tok).__qualname__}:{vocab_text}",
                             "normalize_embeddings": self.normalize_embeddings})


# ====================================================================== functions of strings
class TextCallableAdapter(Adapter):
    """A function of strings: ``encode(list[str]) -> (n, d)`` (an array, a tensor, or a list of equal-width vectors).

    :func:`~latentbench.adapters.adapt` picks this adapter for a callable only when asked with
    ``inputs="items"`` (``adapt(fn, inputs="items")``); a plain callable is a function of arrays.
    An object with an ``encode`` method is adapted through that method.

    Parameters
    ----------
    encode : callable
    name : str, optional
    batch_size : int, default=256
        Items per call.
    """

    kind = "text-callable"
    inputs = frozenset({"items"})

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """A callable, or an object with an ``encode`` method (reached only with ``inputs="items"``:
        :class:`~latentbench.adapters.CallableAdapter` comes first in the registry); not a string or path."""
        if isinstance(obj, (str, bytes, Path)):
            return False
        return callable(getattr(obj, "encode", None)) or callable(obj)

    @classmethod
    def from_object(cls, obj: Any, **options: Any) -> TextCallableAdapter:
        if callable(getattr(obj, "encode", None)) and not callable(obj):
            options = {**options, "name": options.get("name") or type(obj).__name__}
            return cls(obj.encode, **constructor_options(cls, options))
        return cls(obj, **constructor_options(cls, options))

    def __init__(self, encode: Callable[[list[str]], Any], *, name: str | None = None, batch_size: int = 256) -> None:
        if not callable(encode):
            raise AdapterError(f"TextCallableAdapter needs a function list[str] -> array, got {type(encode).__name__}")
        super().__init__(name or getattr(encode, "__qualname__", "text-callable"), batch_size=batch_size)
        self.fn = encode

    def _encode_items_batch(self, items: list[str]) -> Any:
        out = self.fn(items)
        if isinstance(out, (list, tuple)):  # one vector per item
            shapes = [np.shape(v) for v in out]
            for i, shape in enumerate(shapes):
                if shape != shapes[0]:
                    raise AdapterError(f"model {self.name!r}: encode returned vectors of varying width (row 0: shape "
                                       f"{shapes[0]}, row {i}: shape {shape}); every code must have the same width")
            out = np.stack([_to_numpy(v) for v in out]) if out else np.zeros((0, 0))
        return out

    def _state_digest(self) -> str:
        from ..identity import state_digest

        return state_digest({"encode": self.fn, "inputs": "items"})
