"""Turning a model string into a model: ``ref:NAME[@SEED]``, ``null:NAME``, ``latents.npz``, ``vectors.txt``
(word vectors), ``package.module:factory``."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

from ..adapters import Adapter, PrecomputedAdapter, WordVectorsAdapter
from ..adapters.text import WORD_VECTOR_SUFFIXES
from ..exceptions import AdapterError, SpecError
from ..registry import import_target
from ..validation import SEED_LIMIT

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

__all__ = ["load_model", "expand_model_names"]


def expand_model_names(names: list[str], *, tier: str = "quick") -> list[str]:
    """Expand ``ref:all`` and training-seed lists into single model strings.

    * ``ref:all`` (``ref:all-quick``), ``ref:all-full``, ``ref:all-text``, ``ref:all-anomaly`` and
      ``ref:all-transfer``: every reference model of that tier (the text references are in ``ref:all-text``
      only, the one-class references in ``ref:all-anomaly`` only, the domain-adaptation references, trained
      on a shifted dataset, in ``ref:all-transfer`` only);
    * ``ref:NAME@0,1,2``: one model per training seed (``ref:NAME@0``, ``ref:NAME@1``, ...);
    * ``ref:all@0,1,2``: both at once.

    Training seeds name checkpoints (``latentbench train NAME --seeds 0 1 2``); evaluation seeds are
    ``latentbench run --seeds``.
    """
    from .zoo import list_reference_models

    out: list[str] = []
    for n in names:
        if not n.startswith("ref:"):
            out.append(n)
            continue
        base, at, seeds = n.partition("@")
        suffixes = [f"@{s.strip()}" for s in seeds.split(",")] if at else [""]
        for suf in suffixes if at else []:
            parse_training_seed(n, suf[1:])
        if base in ("ref:all", "ref:all-quick", "ref:all-full", "ref:all-text", "ref:all-anomaly", "ref:all-transfer"):
            want = base.removeprefix("ref:all-") if base in ("ref:all-full", "ref:all-text", "ref:all-anomaly", "ref:all-transfer") else tier
            out += [f"ref:{s.name}{suf}" for s in list_reference_models() if s.tier == want for suf in suffixes]
        else:
            out += [f"{base}{suf}" for suf in suffixes]
    return out


def load_model(spec: str, *, device: str = "cpu", dataset: str | None = None, train: bool = True) -> Any:
    """Load the model a string names.

    Parameters
    ----------
    spec : str
        ``ref:NAME`` or ``ref:NAME@SEED`` (a reference model; trained on first use and cached),
        ``null:random|identity|pca-whiten`` (a null baseline), a path to ``.npy``/``.npz`` latents, a
        word2vec-format ``.txt``/``.vec`` file of word vectors, or ``package.module:factory`` (a callable returning a model, or the model object itself).
    device : str
        Where torch models run.
    dataset : str, optional
        For precomputed latents: the dataset they belong to.

    Returns
    -------
    model : Adapter or object accepted by :func:`latentbench.adapt`
    """
    if not isinstance(spec, str):
        raise SpecError(f"a model string must be a str, got {type(spec).__name__} {spec!r}")
    if spec.startswith("ref:"):
        from .zoo import load_reference

        from .zoo import checkpoint_format, get_reference_spec

        name, at, seed = spec[4:].partition("@")
        model, meta = load_reference(name, seed=parse_training_seed(spec, seed) if at else None, device=device, train=train)
        fmt = checkpoint_format(get_reference_spec(name))
        adapter = fmt.adapter(model, spec, device, get_reference_spec(name))
        # "dataset" makes the runner score the model only on held-out rows of that dataset (image references);
        # a text reference's training corpus is no evaluation set: it is recorded as "trained_on"
        bound = ("dataset", "dataset_fingerprint") if fmt.bound_to_dataset else ()
        adapter.metadata = {**adapter.metadata, "reference": name, **{k: meta.get(k) for k in (
            "spec_hash", "seed", "tier", "architecture", "objective", *bound, "train_seconds", "device",
            "device_name", "fingerprint", "final")}}
        if not fmt.bound_to_dataset:
            adapter.metadata.update(trained_on=meta.get("dataset") or None, trained_on_fingerprint=meta.get("dataset_fingerprint"))
        return adapter
    if spec.startswith("null:"):
        from .baselines import make_baseline

        return make_baseline(spec)
    if spec.endswith((".npz", ".npy")):
        if not Path(spec).exists():
            raise SpecError(f"latents file {spec!r} does not exist")
        return PrecomputedAdapter.from_file(spec, dataset=dataset)
    if spec.endswith(WORD_VECTOR_SUFFIXES):
        if not Path(spec).exists():
            raise SpecError(f"word vectors file {spec!r} does not exist")
        return WordVectorsAdapter.from_file(spec)
    if ":" in spec:
        check_factory_string(spec)
        target = import_target(spec)
        _refuse_standard_library(spec, target, "names")
        try:
            # a function or class is a factory called without arguments; anything else is the model itself
            model = target() if inspect.isfunction(target) or inspect.isclass(target) else target
        except Exception as exc:
            raise AdapterError(f"factory {spec!r} raised: {type(exc).__name__}: {exc}") from exc
        return _check_model_object(spec, model)
    raise SpecError(f"cannot load model {spec!r}: use ref:NAME, null:NAME, a .npz/.npy latents file, a .txt/.vec word vectors "
                    f"file, or package.module:factory")


def parse_training_seed(spec: str, text: str) -> int:
    """The training seed after ``@`` in ``ref:NAME@SEED``: an integer in ``[0, 2**32)``."""
    if not (text.isascii() and text.isdigit()) or int(text) >= SEED_LIMIT:
        raise SpecError(f"model {spec!r}: training seeds after '@' must be integers in [0, 2**32), got {text!r} "
                        f"(e.g. ref:vae@0, or ref:vae@0,1,2 for several)")
    return int(text)


def _top_module(name: str) -> str:
    return name.split(".", 1)[0]


def _is_standard_library(module: str | None) -> bool:
    top = _top_module(module or "")
    return top == "builtins" or top in sys.stdlib_module_names or top in sys.builtin_module_names


def check_factory_string(spec: str) -> None:
    """Refuse a ``package.module:factory`` string before anything is imported.

    A model string runs code: its module is imported and the factory called (with no arguments).
    Modules of Python's standard library (``builtins``, ``os``, ``subprocess``, ...) are refused by
    name: none of them holds a model, and ``builtins:exec`` must never be called on a dataset.
    """
    module, _, attr = spec.partition(":")
    if not _DOTTED.match(module) or not _DOTTED.match(attr):
        raise SpecError(f"model {spec!r}: expected package.module:factory (Python identifiers separated by dots), "
                        f"e.g. mypackage.models:make_model")
    if _is_standard_library(module):
        raise SpecError(f"model {spec!r}: {_top_module(module)!r} is part of Python's standard library, not a model; a model "
                        f"string names your own factory (mypackage.models:make_model), which latentbench imports and calls "
                        f"with no arguments")


def _refuse_standard_library(spec: str, obj: Any, verb: str) -> None:
    origin = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
    if inspect.isbuiltin(obj) or _is_standard_library(origin):
        raise SpecError(f"model {spec!r} {verb} {getattr(obj, '__qualname__', type(obj).__name__)!r} from Python's standard "
                        f"library ({origin or 'builtins'}), not a model; a model string names your own factory, called with "
                        f"no arguments, that returns a model")


def _check_model_object(spec: str, model: Any) -> Any:
    """What a factory returned, if an adapter takes it as a model; it is never fed data otherwise."""
    from ..adapters.registry import registered_adapters

    entries = registered_adapters()
    takes = isinstance(model, Adapter) or any(callable(getattr(e, "can_adapt", None)) and e.can_adapt(model) for e in entries)
    user_factories = any(not callable(getattr(e, "can_adapt", None)) for e in entries)  # cannot be asked without building
    if takes or user_factories:
        if callable(model) and not isinstance(model, type):
            _refuse_standard_library(spec, model, "returned")  # exec, os.system, ...: never fed data
        return model
    raise SpecError(f"model {spec!r} gave a {type(model).__name__}, not a model: the factory must return a torch module, a "
                    f"fitted scikit-learn transformer, an object with encode(), a function x -> z, an array of latents, or a "
                    f"text model (gensim KeyedVectors, a SentenceTransformer, a word -> vector dict)")
