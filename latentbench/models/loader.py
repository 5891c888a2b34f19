"""Turning a model string into a model: ``ref:NAME[@SEED]``, ``null:NAME``, ``latents.npz``, ``vectors.txt``
(word vectors), ``package.module:factory``."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from ..adapters import PrecomputedAdapter, WordVectorsAdapter
from ..adapters.text import WORD_VECTOR_SUFFIXES
from ..exceptions import AdapterError, SpecError
from ..registry import import_target

__all__ = ["load_model", "expand_model_names"]


def expand_model_names(names: list[str], *, tier: str = "quick") -> list[str]:
    """Expand ``ref:all`` and training-seed lists into single model strings.

    * ``ref:all`` (``ref:all-quick``), ``ref:all-full`` and ``ref:all-text``: every reference model of that
      tier (the text references are in ``ref:all-text`` only);
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
        if at and not all(s[1:].isdigit() for s in suffixes):
            raise SpecError(f"model {n!r}: training seeds after '@' must be non-negative integers, e.g. ref:vae@0,1,2")
        if base in ("ref:all", "ref:all-quick", "ref:all-full", "ref:all-text"):
            want = base.removeprefix("ref:all-") if base in ("ref:all-full", "ref:all-text") else tier
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
    if spec.startswith("ref:"):
        from .zoo import load_reference

        from .zoo import checkpoint_format, get_reference_spec

        name, _, seed = spec[4:].partition("@")
        model, meta = load_reference(name, seed=int(seed) if seed else None, device=device, train=train)
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
        target = import_target(spec)
        try:
            # a function or class is a factory called without arguments; anything else is the model itself
            model = target() if inspect.isfunction(target) or inspect.isclass(target) else target
        except Exception as exc:
            raise AdapterError(f"factory {spec!r} raised: {type(exc).__name__}: {exc}") from exc
        return model
    raise SpecError(f"cannot load model {spec!r}: use ref:NAME, null:NAME, a .npz/.npy latents file, a .txt/.vec word vectors "
                    f"file, or package.module:factory")
