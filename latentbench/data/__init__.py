"""Datasets: the :class:`Dataset` container and the dataset registry (generators and shipped data).

``load_dataset(name, **params)`` returns a registered dataset (cached per process) or, for a path
ending in ``.npz``, the user's own data.
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from ..exceptions import InputValidationError
from ..registry import Registry
from .base import FIELDS, INPUT_KINDS, Dataset, hash_json, make_splits

__all__ = ["DATASETS", "Dataset", "FIELDS", "INPUT_KINDS", "dataset_reference", "list_datasets", "load_dataset", "make_splits",
           "parse_dataset_reference", "register_dataset"]

#: Built-in datasets, by name; each entry is a function returning a Dataset (imported lazily).
BUILTIN_DATASETS: dict[str, str] = {
    "digits": "latentbench.data.loaders:load_digits",
    "digits-binary": "latentbench.data.loaders:load_digits_binary",
    "shapes": "latentbench.data.shapes:make_shapes",
    "shapes-noisy": "latentbench.data.shapes:make_shapes_noisy",
    "shapes-grid": "latentbench.data.shapes_grid:make_shapes_grid",
    "manifold-sphere": "latentbench.data.manifolds:make_sphere",
    "manifold-torus": "latentbench.data.manifolds:make_torus",
    "manifold-swiss-roll": "latentbench.data.manifolds:make_swiss_roll",
    "manifold-circle": "latentbench.data.manifolds:make_circle",
    "manifold-two-circles": "latentbench.data.manifolds:make_two_circles",
    "manifold-linear": "latentbench.data.manifolds:make_linear",
    "fair-census": "latentbench.data.fairness:make_fair_census",
    "digits-fair": "latentbench.data.fairness:make_digits_fair",
    "digits-binary-fair": "latentbench.data.fairness:make_digits_binary_fair",
    "shapes-fair": "latentbench.data.fairness:make_shapes_fair",
    "cps1988": "latentbench.data.fairness:load_cps1988",
    "recid": "latentbench.data.fairness:load_recid",
    "resume": "latentbench.data.fairness:load_resume",
    "gaussian-outliers": "latentbench.data.anomaly:make_gaussian_outliers",
    "shapes-anomaly": "latentbench.data.anomaly:make_shapes_anomaly",
    "wdbc-anomaly": "latentbench.data.anomaly:load_wdbc_anomaly",
    "wine-anomaly": "latentbench.data.anomaly:load_wine_anomaly",
    "glass-anomaly": "latentbench.data.anomaly:load_glass_anomaly",
    "digits-shift": "latentbench.data.domain:make_digits_shift",
    "shapes-shift": "latentbench.data.domain:make_shapes_shift",
    "tabular-shift": "latentbench.data.domain:make_tabular_shift",
    "skada-shifted": "latentbench.data.domain:make_skada_shifted",
    "cps1988-shift": "latentbench.data.domain:load_cps1988_shift",
    "google-analogies": "latentbench.data.text:load_google_analogies",
    "wordsim353": "latentbench.data.text:load_wordsim353",
    "simlex999": "latentbench.data.text:load_simlex999",
    "lee-corpus": "latentbench.data.text:load_lee_corpus",
    "weat": "latentbench.data.weat:load_weat",
}

DATASETS: Registry[Callable[..., Dataset]] = Registry("dataset", hint="Run `latentbench list datasets`, or pass a path to an .npz file.")
for _name, _target in BUILTIN_DATASETS.items():
    DATASETS.add(_name, _target)

_CACHE: OrderedDict[str, Dataset] = OrderedDict()
_CACHE_SIZE = 4


def register_dataset(name: str, factory: Callable[..., Dataset] | str, *, replace: bool = False) -> None:
    """Register a dataset factory (a function of keyword parameters returning a :class:`Dataset`)."""
    DATASETS.add(name, factory, origin="register_dataset", replace=replace)


def list_datasets() -> list[str]:
    """Names of every registered dataset."""
    return DATASETS.names()


_REFERENCE = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<params>[^\[\]]*)\]$")


def dataset_reference(name: str, params: Mapping[str, Any] | None = None) -> str:
    """A string naming a dataset with parameters, ``name[k=v,...]`` (keys sorted), that
    :func:`load_dataset` reads back: the way to name one draw on a command line."""
    if not params:
        return name
    return f"{name}[{','.join(f'{k}={v}' for k, v in sorted(params.items()))}]"


def parse_dataset_reference(ref: str) -> tuple[str, dict[str, Any]]:
    """``"shapes[n=300,seed=2]"`` -> ``("shapes", {"n": 300, "seed": 2})``; a plain name has no parameters.

    Values are read as Python literals (ints, floats, booleans, quoted strings) or kept as strings.
    """
    m = _REFERENCE.match(ref)
    if m is None:
        return ref, {}
    params: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in m.group("params").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InputValidationError(f"dataset reference {ref!r}: {part!r} is not key=value; write name[key=value,...]")
        try:
            params[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[key.strip()] = value.strip()
    return m.group("name"), params


def load_dataset(name: str, **params: Any) -> Dataset:
    """Load a registered dataset by name (or a ``.npz`` file by path), cached per process.

    Parameters
    ----------
    name : str
        A registered name (see :func:`list_datasets`), a reference with parameters such as
        ``shapes[n=10000]`` (see :func:`dataset_reference`), or a path to an ``.npz`` file.
    **params
        The generator's parameters (``seed``, ``n``, ...); they override those in a reference.
    """
    base, ref_params = parse_dataset_reference(name) if not name.endswith(".npz") else (name, {})
    if ref_params:
        return load_dataset(base, **{**ref_params, **params})
    if name.endswith(".npz"):
        from .loaders import load_npz

        key = hash_json({"path": str(Path(name).resolve()), "mtime": Path(name).stat().st_mtime if Path(name).exists() else 0, **params})
        factory: Callable[..., Dataset] = lambda **kw: load_npz(name, **kw)  # noqa: E731
    else:
        factory = DATASETS.get(name)
        key = hash_json({"name": name, **params})
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    try:
        dataset = factory(**params)
    except TypeError as exc:
        from ..exceptions import SpecError

        raise SpecError(f"dataset {name!r}: {exc}") from None
    _CACHE[key] = dataset
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return dataset
