"""Adapters: any model behind one small set of capabilities.

A task declares the :class:`Capability` values it needs; an :class:`Adapter` says which ones a
model has, and does the batching, device placement, ``torch.no_grad``/eval mode, dtype
conversion and output validation (shape, finite values) once for every model. An adapter also
declares the kinds of rows it encodes (:attr:`Adapter.inputs`): a dataset's input arrays, or its
items (strings: words, sentences); see :mod:`latentbench.adapters.base`.

Built-in adapters, asked in this order by :func:`adapt` (an ordered registry, see
:func:`register_adapter`):

* :class:`SentenceTransformerAdapter` -- a sentence-transformers ``SentenceTransformer`` (items).
* :class:`KeyedVectorsAdapter` -- gensim ``KeyedVectors``, ``Word2Vec``/``FastText`` models through
  ``.wv`` (items; out-of-vocabulary words are reported, never encoded).
* :class:`WordVectorsAdapter` -- a ``{word: vector}`` mapping or a word2vec-format ``.txt``/``.vec`` file (items).
* :class:`PrecomputedAdapter` -- latents computed elsewhere (an array, ``.npy`` or ``.npz``) for
  the rows of a named dataset: the way to audit a model one cannot run (arrays or items).
* :class:`TorchAdapter` -- a ``torch.nn.Module`` with duck-typed methods: ``encode(x)`` returning
  ``z`` or ``(mean, logvar)``; optional ``posterior(x) -> (mean, logvar)``, ``decode(z)``,
  ``log_likelihood(x, z) -> (n,)``, ``log_prior(z) -> (n,)``, ``sample_prior(n)``. A model whose
  attribute ``prior == "standard_normal"`` gets an N(0, I) prior; only then. A model whose attribute
  ``likelihood == "bernoulli"`` and that decodes to probabilities gets a Bernoulli log-likelihood.
  Any module at a named layer: ``adapt(module, layer="encoder.fc2")`` (a forward hook).
* :class:`SklearnAdapter` -- a fitted scikit-learn transformer: ``transform`` (encode) and, where it
  has one, ``inverse_transform`` (decode): PCA, FastICA, ...
* :class:`CallableAdapter` -- plain functions ``x -> z`` (and optionally ``decode``).
* :class:`TextCallableAdapter` -- a function ``list[str] -> array``: ``adapt(fn, inputs="items")``.
"""

from __future__ import annotations

from .arrays import CallableAdapter, PrecomputedAdapter, SklearnAdapter, TorchAdapter
from .base import INPUT_KINDS, LOG_2PI, Adapter, Capability, Vocabulary, resolve_device, standard_normal_log_prob
from .registry import BUILTIN_ADAPTERS, adapt, register_adapter, registered_adapters, unregister_adapter
from .text import (
    TEXT_EXTRA, KeyedVectorsAdapter, SentenceTransformerAdapter, TextCallableAdapter, WordVectorsAdapter, read_word2vec_text,
)

__all__ = [
    "Adapter",
    "BUILTIN_ADAPTERS",
    "CallableAdapter",
    "Capability",
    "INPUT_KINDS",
    "KeyedVectorsAdapter",
    "LOG_2PI",
    "PrecomputedAdapter",
    "SentenceTransformerAdapter",
    "SklearnAdapter",
    "TEXT_EXTRA",
    "TextCallableAdapter",
    "TorchAdapter",
    "WordVectorsAdapter",
    "adapt",
    "read_word2vec_text",
    "register_adapter",
    "registered_adapters",
    "resolve_device",
    "standard_normal_log_prob",
    "unregister_adapter",
    "Vocabulary",
]
