"""Common tests over every public metric function (the table in ``tests/metric_cases.py``):

* it runs on small valid inputs;
* a NaN, an infinite value or an array of the wrong number of dimensions in any data argument is
  refused with an ``InputValidationError`` that names the argument;
* every invariance it claims holds (rotation, scaling, translation, permutation of dimensions);
* ``*_score`` functions return a float, and their parts with ``return_details=True``.

The hardening issue's property-based fuzzing extends the same table.
"""

from __future__ import annotations

import importlib
import inspect
import math
import warnings

import numpy as np
import pytest

from latentbench.exceptions import InputValidationError

from metric_cases import CASES, NOT_METRICS, Case

MODULES = ("anomaly", "cka", "collapse", "dimension", "disentanglement", "factor_semantics", "fairness", "likelihood",
           "neighborhood", "privacy", "ranking", "reconstruction", "semantics", "topology", "transfer")


def public_metric_functions() -> dict[str, object]:
    out = {}
    for m in MODULES:
        module = importlib.import_module(f"latentbench.metrics.{m}")
        for name in getattr(module, "__all__", []):
            fn = getattr(module, name)
            if inspect.isfunction(fn) and fn.__module__ == module.__name__:
                out[f"{m}.{name}"] = fn
    return out


def _call(case: Case, args: list, kwargs: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return case.fn(*args, **kwargs)


def _close(a, b, rtol: float) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, (float, int, np.floating, np.integer)):
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= rtol * max(1.0, abs(a), abs(b))
    return a == b


def test_every_public_metric_function_has_a_case():
    missing = sorted(set(public_metric_functions()) - set(CASES) - set(NOT_METRICS))
    assert not missing, f"add these to tests/metric_cases.py (CASES, or NOT_METRICS with a reason): {missing}"
    assert not set(CASES) & set(NOT_METRICS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_runs_on_valid_input(name):
    case = CASES[name]
    args, kwargs = case.build(np.random.default_rng(0))
    case.value(_call(case, args, kwargs))


def _corrupted(case: Case, name: str, kind: str):
    args, kwargs = case.build(np.random.default_rng(0))
    for index, arg in case.arrays.items():
        if (arg in case.nan_ok and kind == "nan") or (arg in case.any_ndim and kind == "ndim"):
            continue  # documented: NaN marks excluded entries / any number of dimensions is accepted
        bad = [a for a in args]
        arr = np.array(args[index], dtype=float, copy=True)
        if kind == "nan":
            arr.flat[arr.size // 2] = np.nan
        elif kind == "inf":
            arr.flat[arr.size // 2] = np.inf
        elif kind == "ndim":
            arr = arr[..., None]
        bad[index] = arr
        yield arg, bad, kwargs


@pytest.mark.parametrize("kind", ["nan", "inf", "ndim"])
@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.arrays))
def test_bad_arrays_are_refused_naming_the_argument(name, kind):
    case = CASES[name]
    for arg, args, kwargs in _corrupted(case, name, kind):
        with pytest.raises(InputValidationError) as info:
            _call(case, args, kwargs)
        assert arg in str(info.value), f"{name}: the error for a bad {arg!r} ({kind}) does not name it: {info.value}"


def _rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _transform(kind: str, d: int, factor: float):
    """One transformation of a d-dimensional latent space (applied alike to every code array of a call)."""
    rng = np.random.default_rng(1)
    if kind == "rotation":
        q = _rotation(d, rng)
        return lambda x: x @ q
    if kind == "isotropic_scale":
        return lambda x: x * factor
    if kind == "translation":
        shift = rng.normal(size=d) * 3.0
        return lambda x: x + shift
    if kind == "dim_permutation":
        perm = rng.permutation(d)
        return lambda x: x[:, perm]
    if kind == "dim_scale":
        scale = rng.uniform(0.01, 100.0, size=d)
        return lambda x: x * scale
    raise AssertionError(kind)


INVARIANCE_CASES = sorted((n, inv) for n, c in CASES.items() for inv in c.invariances)


@pytest.mark.parametrize("name,invariance", INVARIANCE_CASES, ids=[f"{n}-{i}" for n, i in INVARIANCE_CASES])
def test_claimed_invariances_hold(name, invariance):
    case = CASES[name]
    args, kwargs = case.build(np.random.default_rng(0))
    base = case.value(_call(case, args, kwargs))
    for factor in ((1e-3, 1e3) if invariance == "isotropic_scale" else (1.0,)):
        moved = list(args)
        t = _transform(invariance, np.asarray(args[case.codes[0]]).shape[1], factor)
        for i in case.codes:
            moved[i] = t(np.asarray(args[i], dtype=float))
        got = case.value(_call(case, moved, kwargs))
        assert _close(base, got, case.rtol), f"{name} is not invariant to {invariance} (x{factor}): {base} vs {got}"


SCORE_FUNCTIONS = sorted(n for n in CASES if n.endswith("_score"))


@pytest.mark.parametrize("name", SCORE_FUNCTIONS)
def test_score_functions_return_a_float_and_their_parts_on_request(name):
    case = CASES[name]
    args, kwargs = case.build(np.random.default_rng(0))
    value = _call(case, args, kwargs)
    details = _call(case, args, {**kwargs, "return_details": True})
    assert isinstance(value, float)
    key = case.fn.score_key
    assert isinstance(details, dict) and _close(details[key], value, 0.0)
    assert "return_details : bool" in case.fn.__doc__
