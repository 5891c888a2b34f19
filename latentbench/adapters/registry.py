"""The ordered adapter registry and :func:`adapt`.

:func:`adapt` asks the registered adapters in order whether they take an object
(``can_adapt(obj)``) and builds the first that does (``from_object(obj, **options)``); the
adapter's ``kind`` says which one took it. The built-in order puts the specific before the
general: a ``SentenceTransformer`` is also a ``torch.nn.Module`` and a word -> vector mapping is
also a mapping, so their adapters come before :class:`~latentbench.adapters.TorchAdapter` and
:class:`~latentbench.adapters.PrecomputedAdapter`. Users register their own adapters with
:func:`register_adapter`, ahead of every built-in unless they say otherwise.
"""

from __future__ import annotations

import threading
from typing import Any

from ..exceptions import AdapterError, DuplicateNameError, InputValidationError, UnknownNameError
from .arrays import CallableAdapter, PrecomputedAdapter, SklearnAdapter, TorchAdapter
from .base import INPUT_KINDS, Adapter
from .text import KeyedVectorsAdapter, SentenceTransformerAdapter, TextCallableAdapter, WordVectorsAdapter

__all__ = ["BUILTIN_ADAPTERS", "adapt", "register_adapter", "registered_adapters", "unregister_adapter"]

#: The built-in adapters, in the order :func:`adapt` asks them.
BUILTIN_ADAPTERS: tuple[type[Adapter], ...] = (
    SentenceTransformerAdapter,  # an nn.Module too: before TorchAdapter
    KeyedVectorsAdapter,
    WordVectorsAdapter,  # a mapping of 1-D vectors, a .txt/.vec file: before PrecomputedAdapter
    PrecomputedAdapter,
    TorchAdapter,
    SklearnAdapter,
    CallableAdapter,
    TextCallableAdapter,  # a callable too: reached only with adapt(..., inputs="items")
)

_REGISTRY: list[Any] = list(BUILTIN_ADAPTERS)
_LOCK = threading.Lock()


def _label(entry: Any) -> str:
    kind = getattr(entry, "kind", None)
    return kind if isinstance(kind, str) and kind != "base" else getattr(entry, "__qualname__", repr(entry))


def registered_adapters() -> list[Any]:
    """The registered adapters (classes or factories), in the order :func:`adapt` asks them."""
    with _LOCK:
        return list(_REGISTRY)


def register_adapter(adapter: Any, *, before: Any = None) -> Any:
    """Register an adapter so that :func:`adapt` (and ``evaluate``, ``check``, the CLI) can use it.

    Parameters
    ----------
    adapter : Adapter subclass or callable
        Either a class with a ``can_adapt(obj) -> bool`` classmethod that builds itself with
        ``from_object(obj, **options)`` (:class:`~latentbench.adapters.Adapter` subclasses inherit a
        ``from_object`` calling ``cls(obj, **options)``), or a factory ``f(obj, **options)`` returning
        an :class:`~latentbench.adapters.Adapter`, or ``None`` when it does not take ``obj``.
        ``options`` are what :func:`adapt` was given (``name``, ``device``, ``batch_size``,
        ``dataset`` and any others).
    before : str, class or None, default=None
        Where it goes: ahead of every registered adapter (``None``), or just before the one given
        (its class, or its ``kind`` such as ``"torch"``).

    Returns
    -------
    adapter
        Unchanged, so this works as a class decorator.

    Raises
    ------
    AdapterError
        When ``adapter`` has neither ``can_adapt`` nor is callable.
    DuplicateNameError
        When it is registered already.
    UnknownNameError
        When ``before`` names no registered adapter.
    """
    if not (callable(getattr(adapter, "can_adapt", None)) or callable(adapter)):
        raise AdapterError(f"register_adapter needs an Adapter class with can_adapt(obj) or a factory f(obj, **options), "
                           f"got {type(adapter).__name__}")
    with _LOCK:
        if adapter in _REGISTRY:
            raise DuplicateNameError(f"adapter {_label(adapter)!r} is registered already; unregister_adapter() it first")
        pos = 0
        if before is not None:
            found = [i for i, e in enumerate(_REGISTRY) if e is before or (isinstance(before, str) and _label(e) == before)]
            if not found:
                raise UnknownNameError("adapter", str(getattr(before, "__qualname__", before)), [_label(e) for e in _REGISTRY])
            pos = found[0]
        _REGISTRY.insert(pos, adapter)
    return adapter


def unregister_adapter(adapter: Any) -> None:
    """Remove a registered adapter (a built-in one too)."""
    with _LOCK:
        if adapter not in _REGISTRY:
            raise UnknownNameError("adapter", _label(adapter), [_label(e) for e in _REGISTRY])
        _REGISTRY.remove(adapter)


def adapt(obj: Any, *, name: str | None = None, device: str = "cpu", batch_size: int | None = None,
          dataset: str | None = None, inputs: str | None = None, **options: Any) -> Adapter:
    """Wrap ``obj`` in the first registered adapter that takes it.

    Parameters
    ----------
    obj : object
        An :class:`Adapter` (returned as is), or: a sentence-transformers ``SentenceTransformer``;
        gensim ``KeyedVectors`` (or a ``Word2Vec``/``FastText`` model); a ``{word: vector}`` mapping
        or the path of a word2vec-format ``.txt``/``.vec`` file; latents (an array, a tensor, a
        mapping of arrays, a ``.npy``/``.npz`` path); a ``torch.nn.Module``; a fitted scikit-learn
        transformer; an object with ``encode``; a function ``x -> z``.
    name : str, optional
        A display name.
    device : str, default="cpu"
        For models that run on torch.
    batch_size : int, optional
    dataset : str, optional
        For precomputed latents: the dataset they belong to.
    inputs : {"arrays", "items"}, optional
        Ask only adapters that encode this kind of rows: ``inputs="items"`` makes a function (or an
        object's ``encode``) a function of strings (:class:`TextCallableAdapter`), where by default
        it is a function of arrays.
    **options
        Passed to the adapter that takes ``obj``: ``layer="encoder.fc2"`` (and ``method``) for a
        torch module measured at a hidden layer, ``normalize_embeddings`` for a SentenceTransformer,
        ``case_insensitive`` and ``normalize`` for gensim vectors, ... An option the chosen adapter
        does not take is an error naming the options it has.

    Returns
    -------
    adapter : Adapter
        Its ``kind`` attribute says which adapter took ``obj``.

    Raises
    ------
    AdapterError
        When nothing takes ``obj``, naming what was given and what is accepted.
    """
    if isinstance(obj, Adapter):
        if name:
            obj.name = name
        return obj
    if inputs is not None and inputs not in INPUT_KINDS:
        raise InputValidationError(f"'inputs' must be one of {list(INPUT_KINDS)} or None, got {inputs!r}")
    kw = {"name": name, "device": device, "batch_size": batch_size, "dataset": dataset, **options}
    for entry in registered_adapters():
        declared = getattr(entry, "inputs", None)
        if inputs is not None and isinstance(declared, frozenset) and inputs not in declared:
            continue
        if callable(getattr(entry, "can_adapt", None)):
            if not entry.can_adapt(obj):
                continue
            build = getattr(entry, "from_object", None) or entry
            return build(obj, **kw)
        built = entry(obj, **kw)  # a factory: an adapter, or None when it does not take obj
        if built is not None:
            if not isinstance(built, Adapter):
                raise AdapterError(f"adapter factory {_label(entry)!r} returned a {type(built).__name__}, not an Adapter")
            return built
    wanted = {"items": "a text model (gensim KeyedVectors, a SentenceTransformer, a word -> vector dict or .txt/.vec file, "
                       "a function of strings)",
              "arrays": "a torch nn.Module with encode() (or layer=...), a fitted scikit-learn transformer, a function x -> z, "
                        "an array of latents or a .npy/.npz file"}
    accepted = wanted[inputs] if inputs else f"{wanted['arrays']}; or {wanted['items']} (a function of strings with inputs='items')"
    raise AdapterError(f"cannot adapt {type(obj).__name__}{f' for inputs={inputs!r}' if inputs else ''}: pass {accepted}, "
                       f"or register an adapter for it with latentbench.adapters.register_adapter")
