"""Property-based fuzzing of every public metric function, the adapters and the command line's parameters.

Built on the common metric table (``tests/metric_cases.py``): each example takes a function's valid
inputs, replaces one data argument by a hostile variant (NaN, inf, empty, one row, constant,
duplicated rows, complex, object and bool dtypes, magnitudes from 1e-300 to 1e300, wrong shapes)
and classifies what the function does. Allowed outcomes:

* ``error``: a :class:`~latentbench.exceptions.LatentBenchError` with a one-line message;
* ``nan``: a NaN result announced by an :class:`~latentbench.exceptions.UndefinedMetricWarning`;
* ``number``: a result, which for a rescaled argument of a function that claims the scale
  invariance must equal the unscaled result (a silent wrong number fails).

Anything else fails the test: an internal exception (``IndexError`` from deep inside numpy...), a
silent NaN, a number computed from NaN or complex input, or a hang (a per-call alarm).

The default run is derandomised and bounded (a fixed number of examples per function, about a
minute); ``LATENTBENCH_SLOW=1`` runs at least 10,000 cases. ``python tests/test_fuzz.py`` prints the
counts by outcome.
"""

from __future__ import annotations

import os
import signal
import warnings
from collections import Counter
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latentbench.exceptions import LatentBenchError, UndefinedMetricWarning

from metric_cases import CASES

SLOW = os.environ.get("LATENTBENCH_SLOW") == "1"
#: Examples per metric function: bounded in CI, >= 10,000 cases in all with LATENTBENCH_SLOW=1.
EXAMPLES = 200 if SLOW else 12
#: Seconds a single call may take before it counts as a hang.
CALL_LIMIT = 60

#: Functions that train or search and cost seconds per call: fewer examples.
HEAVY = {"disentanglement.dci_score", "disentanglement.factor_vae_score", "disentanglement.beta_vae_score",
         "disentanglement.sap_score", "disentanglement.explicitness_score", "privacy.train_mlp_inverter",
         "topology.compare_topology", "topology.landmark_persistence", "topology.persistence_diagrams",
         "dimension.correlation_dimension", "disentanglement.mig_sampled_score", "fairness.fit_probe",
         "fairness.bias_amplification"}

KINDS = ("nan", "inf", "empty", "one_row", "constant", "duplicated", "complex", "object", "bool", "scale", "ndim_up",
         "ndim_down", "string")

OUTCOMES: Counter = Counter()


class Hang(Exception):
    pass


@contextmanager
def alarm(seconds: int):
    def handler(signum, frame):  # noqa: ARG001
        raise Hang(f"no answer after {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def hostile(arr: np.ndarray, kind: str, magnitude: float, rng: np.random.Generator):
    """A hostile variant of a valid data array."""
    a = np.asarray(arr)
    if kind == "nan":
        b = a.astype(float).copy()
        b.flat[int(rng.integers(b.size))] = np.nan
        return b
    if kind == "inf":
        b = a.astype(float).copy()
        b.flat[int(rng.integers(b.size))] = np.inf * (1 if rng.random() < 0.5 else -1)
        return b
    if kind == "empty":
        return a[:0]
    if kind == "one_row":
        return a[:1]
    if kind == "constant":
        return np.full_like(a, a.flat[0])
    if kind == "duplicated":
        return a[np.zeros(len(a), dtype=int) if a.ndim else 0] if len(a) else a
    if kind == "complex":
        return a.astype(complex) + 1j
    if kind == "object":
        return a.astype(object)
    if kind == "bool":
        return a.astype(bool)
    if kind == "scale":
        return a.astype(float) * magnitude
    if kind == "ndim_up":
        return a[..., None]
    if kind == "ndim_down":
        return a.reshape(-1) if a.ndim > 1 else np.asarray(a.flat[0] if a.size else 0.0)  # a 0-d scalar
    if kind == "string":
        return a.astype(str)
    raise AssertionError(kind)


def _has_nan(value) -> bool:
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nan(v) for v in value)
    try:
        return bool(np.isnan(np.asarray(value, dtype=float)).any())
    except (TypeError, ValueError):
        return False


def _close(a, b, rtol: float) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, rtol) for x, y in zip(a, b))
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return a == b
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=max(rtol, 1e-9), atol=0, equal_nan=True))


#: What a metric function may do with hostile input; every other outcome is a defect.
ALLOWED = ("error", "nan", "number")


def classify(name: str, index: int, kind: str, magnitude: float, seed: int) -> tuple[str, str]:
    """Call one metric function with one hostile argument: ``(outcome, what happened)``.

    Outcomes: ``error``, ``nan`` and ``number`` (allowed); ``internal`` (an exception that is not a
    LatentBenchError), ``multiline`` (an error message over several lines), ``hang``, ``silent-nan``
    (NaN without a warning), ``accepted`` (a number from NaN, infinite, complex or string input) and
    ``wrong`` (a rescaled input of a scale-invariant function giving another number).
    """
    case = CASES[name]
    rng = np.random.default_rng(seed)
    args, kwargs = case.build(np.random.default_rng(0))
    arg = case.arrays[index]
    bad = list(args)
    bad[index] = hostile(args[index], kind, magnitude, rng)
    where = f"{name}({arg}={kind}{f' x{magnitude:g}' if kind == 'scale' else ''})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with alarm(CALL_LIMIT):
                result = case.fn(*bad, **kwargs)
        except LatentBenchError as exc:
            message = str(exc)
            if "\n" in message.strip():
                return "multiline", f"{where}: a multi-line error: {message!r}"
            return "error", where
        except Hang:
            return "hang", f"{where}: no answer after {CALL_LIMIT} s"
        except Exception as exc:  # an internal exception: the defect this harness hunts
            return "internal", f"{where}: internal {type(exc).__name__}: {str(exc)[:200]}"
    warned = any(issubclass(w.category, UndefinedMetricWarning) for w in caught)
    value = case.value(result)
    if kind in ("nan", "inf", "complex") or (kind == "string" and arg not in case.categorical):
        return "accepted", f"{where}: returned {str(value)[:100]} instead of refusing the input"
    if kind == "string":  # labels written as text: the same answer as the numeric labels, or a refusal above
        base = case.value(case.fn(*args, **kwargs))
        return ("number", where) if _close(base, value, 1e-12) else ("wrong", f"{where}: {value!r}, numeric labels give {base!r}")
    if _has_nan(value):
        return ("nan", where) if warned else ("silent-nan", f"{where}: a NaN result without an UndefinedMetricWarning")
    single_space = len(case.codes) == 1 or case.extra.get("scale_each")  # rescaling one of several code arrays changes the space
    if kind == "scale" and "isotropic_scale" in case.invariances and index in case.codes and single_space:
        base = case.value(case.fn(*args, **kwargs))
        if not _close(base, value, max(case.rtol, 1e-7)):
            return "wrong", f"{where}: {str(value)[:80]}, but the unscaled input gives {str(base)[:80]}"
    return "number", where


MAGNITUDES = st.sampled_from([1e-300, 1e-150, 1e-20, 1e-3, 1e3, 1e20, 1e150, 1e300])


def _fuzz(name: str) -> None:
    case = CASES[name]
    if not case.arrays:
        pytest.skip("no data arrays to corrupt")
    n = max(3, EXAMPLES // 4) if name in HEAVY else EXAMPLES

    @settings(max_examples=n, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(index=st.sampled_from(sorted(case.arrays)), kind=st.sampled_from(KINDS), magnitude=MAGNITUDES,
           seed=st.integers(0, 2**16))
    def run(index, kind, magnitude, seed):
        outcome, what = classify(name, index, kind, magnitude, seed)
        OUTCOMES[outcome] += 1
        assert outcome in ALLOWED, what

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_fuzz_metric_functions(name):
    _fuzz(name)


# ------------------------------------------------------------------------------------------ adapters
ODD_OBJECTS = [None, 3, 3.5, "text", b"bytes", [], [[1, 2], [3]], {"z": "abc"}, {"z": np.ones((3, 2), dtype=complex)},
               {"z": np.array([[1, np.nan]])}, np.ones((3, 2), dtype=object), np.array(["a", "b"]), object(), lambda: None,
               {"pca": object()}, np.empty((0, 2)), np.ones(5)]


@pytest.mark.parametrize("obj", ODD_OBJECTS, ids=[repr(o)[:30] for o in ODD_OBJECTS])
def test_adapt_takes_or_refuses_in_one_line(obj):
    import latentbench

    try:
        adapter = latentbench.adapt(obj)
    except LatentBenchError as exc:
        assert "\n" not in str(exc).strip()
        return
    assert isinstance(adapter, latentbench.Adapter)


@settings(max_examples=60 if SLOW else 15, derandomize=True, deadline=None, database=None)
@given(kind=st.sampled_from(KINDS), magnitude=MAGNITUDES, width=st.integers(1, 4), tuple_out=st.booleans())
def test_models_returning_hostile_codes_are_refused_or_read_right(kind, magnitude, width, tuple_out):
    from latentbench.adapters import CallableAdapter
    from latentbench.data import load_dataset

    d = load_dataset("digits")

    def encode(x):
        z = hostile(x.reshape(len(x), -1)[:, :width].astype(float), kind, magnitude, np.random.default_rng(0))
        return (z, z) if tuple_out else z

    adapter = CallableAdapter(encode)
    try:
        z = adapter.encode(d.get_x(np.arange(6)))
    except LatentBenchError as exc:
        assert "\n" not in str(exc).strip()
        OUTCOMES["error"] += 1
        return
    assert z.dtype == np.float64 and np.isfinite(z).all() and z.shape[0] == 6, (kind, z)
    OUTCOMES["number"] += 1


# ------------------------------------------------------------------------------------------ command line
BAD_VALUES = {
    "--seed": ["-1", str(2**70), "1.5", "nan", "x", ""],
    "--bootstrap-iters": ["0", "-5", "1e9", "1.5", "many", "100001"],
    "--time-limit": ["-1", "0", "nan", "inf", "soon"],
}
REPORT_BAD = {"--alpha": ["2", "0", "-0.1", "nan", "x"], "--bootstrap-iters": ["-1", "0", "1e12", "x"]}


def _exit_code(argv: list[str]) -> int:
    """What the ``latentbench`` command exits with (argparse exits with 2 on a refused flag)."""
    from latentbench.cli import main

    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize("flag,value", [(f, v) for f, vs in BAD_VALUES.items() for v in vs])
def test_run_flags_refuse_bad_values_in_one_line(flag, value, tmp_path, capsys):
    rc = _exit_code(["run", "null:random", "--tasks", "reconstruction/digits", "--store", str(tmp_path / "r.db"), flag, value,
                     "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and flag.lstrip("-").split("-")[0] in err and "unexpected" not in err, (rc, err)
    assert not (tmp_path / "r.db").exists()  # refused before any work


@pytest.mark.parametrize("flag,value", [(f, v) for f, vs in REPORT_BAD.items() for v in vs])
def test_report_flags_refuse_bad_values_in_one_line(flag, value, tmp_path, capsys):
    rc = _exit_code(["report", "--out", str(tmp_path / "out"), flag, value, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and flag.lstrip("-") in err and "unexpected" not in err, (rc, err)


@settings(max_examples=40 if SLOW else 10, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=12))
def test_arbitrary_seed_text_is_taken_or_refused_in_one_line(text, capsys):
    from latentbench.cli import _parser

    try:
        args = _parser().parse_args(["run", "null:random", "--tasks", "reconstruction/digits", "--seed", text])
    except SystemExit as exc:
        err = capsys.readouterr().err
        assert exc.code == 2 and err.count("error:") == 1
        OUTCOMES["error"] += 1
        return
    assert all(0 <= s < 2**32 for s in args.seeds)
    OUTCOMES["number"] += 1


def test_zz_report_the_counts(capsys):
    """Prints the outcome counts of this run (run the module alone, or with -s, to see them)."""
    with capsys.disabled():
        total = sum(OUTCOMES.values())
        if total:
            print(f"\nfuzz outcomes over {total} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(OUTCOMES.items())))


def count_outcomes(examples: int = 40, seed: int = 0) -> Counter:
    """Every metric case on ``examples`` hostile inputs each (without stopping at a defect): the counts by
    outcome, and one example of each defect (``python tests/test_fuzz.py [EXAMPLES]``)."""
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    shown: dict[str, str] = {}
    for name in sorted(CASES):
        case = CASES[name]
        if not case.arrays:
            continue
        for _ in range(max(3, examples // 4) if name in HEAVY else examples):
            index = int(rng.choice(sorted(case.arrays)))
            kind = str(rng.choice(KINDS))
            magnitude = float(rng.choice([1e-300, 1e-150, 1e-20, 1e-3, 1e3, 1e20, 1e150, 1e300]))
            outcome, what = classify(name, index, kind, magnitude, int(rng.integers(2**16)))
            counts[outcome] += 1
            if outcome not in ALLOWED:
                shown.setdefault(f"{name}:{outcome}", what)
    for what in shown.values():
        print("  defect:", what)
    return counts


if __name__ == "__main__":  # pragma: no cover
    import sys

    totals = count_outcomes(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
    print(f"{sum(totals.values())} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
