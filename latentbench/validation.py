"""Input validation shared by metrics, adapters and datasets.

One helper checks an array argument and raises :class:`~latentbench.exceptions.InputValidationError`
with a message that names the argument, shows what was received and says what was expected.
Metric functions accept NumPy arrays or torch tensors; :func:`check_array` returns a NumPy array
(tensors are moved to the CPU) and :func:`check_tensor` keeps a tensor on its device.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .exceptions import InputValidationError

_ComplexWarning = np.exceptions.ComplexWarning if hasattr(np, "exceptions") else np.ComplexWarning  # type: ignore[attr-defined]

__all__ = ["MAX_BATCH_SIZE", "MAX_BOOTSTRAP", "MAX_LIMIT", "MAX_RESAMPLES", "SEED_LIMIT", "check_array", "check_consistent_length", "check_items", "check_param",
           "check_rng", "check_run_options", "check_same_label_kind", "check_seed", "check_tensor", "is_tensor"]


def is_tensor(x: Any) -> bool:
    """True for a torch tensor, without importing torch when it is not loaded."""
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _describe(x: Any) -> str:
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is not None:
        return f"{type(x).__name__} of shape {tuple(shape)} and dtype {dtype}"
    return f"{type(x).__name__}"


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = 2,
    dtype: Any = np.float64,
    finite: bool = True,
    min_rows: int = 1,
    min_cols: int = 1,
) -> np.ndarray:
    """Validate an array argument and return it as a NumPy array.

    Parameters
    ----------
    x : array-like or torch.Tensor
        The value to check.
    name : str
        The argument's name, used in the error message.
    ndim : int, sequence of int or None, default=2
        Allowed numbers of dimensions; ``None`` accepts any.
    dtype : numpy dtype or None, default=np.float64
        The dtype of the returned array; ``None`` keeps the input's.
    finite : bool, default=True
        Reject NaN and infinite values (only checked for floating dtypes).
    min_rows, min_cols : int, default=1
        The smallest accepted size of the first and (for 2-D input) second axis.

    Returns
    -------
    array : ndarray
        The validated array (a view where no conversion was needed).

    Raises
    ------
    InputValidationError
        With a one-line message naming ``name``, what was received and what was expected.
    """
    if x is None:  # np.asarray(None, dtype=float) is NaN: say what is wrong instead
        raise InputValidationError(f"{name} is None; pass an array")
    if is_tensor(x):
        if x.is_complex():
            raise InputValidationError(f"{name} holds complex values ({_describe(x)}); pass a real array")
        x = x.detach().cpu().numpy()
    _refuse_complex(x, name)
    if dtype is not None and getattr(np.asarray(x) if not hasattr(x, "dtype") else x, "dtype", np.dtype(float)).kind in "USV":
        raise InputValidationError(f"{name} holds strings ({_describe(x)}); pass numbers (np.asarray(..., dtype=float) "
                                   f"if they are numbers written as text)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", _ComplexWarning)  # never drop an imaginary part silently
            arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    except _ComplexWarning:
        raise InputValidationError(f"{name} holds complex values; pass a real array") from None
    except (TypeError, ValueError) as exc:
        raise InputValidationError(f"{name} must be a numeric array, got {_describe(x)} ({exc})") from None
    if arr.dtype.kind == "c":
        raise InputValidationError(f"{name} holds complex values ({_describe(x)}); pass a real array")
    if dtype is not None and np.asarray(x).dtype.kind == "O" and any(isinstance(v, (str, bytes)) for v in np.asarray(x).flat):
        raise InputValidationError(f"{name} holds strings; pass numbers")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            hint = " (use x.reshape(-1, 1) for a single feature)" if arr.ndim == 1 and 2 in allowed else ""
            raise InputValidationError(f"{name} must be {want}, got shape {arr.shape}{hint}")
    if arr.ndim >= 1 and arr.shape[0] < min_rows:
        raise InputValidationError(f"{name} needs at least {min_rows} rows, got {arr.shape[0]}")
    if arr.ndim >= 2 and arr.shape[1] < min_cols:
        raise InputValidationError(f"{name} needs at least {min_cols} columns, got shape {arr.shape}")
    if finite and arr.dtype.kind in "fc":
        bad = ~np.isfinite(arr)
        if bad.any():
            n_nan = int(np.isnan(arr).sum())
            n_inf = int(bad.sum()) - n_nan
            first = np.argwhere(bad)[0]
            raise InputValidationError(
                f"{name} contains {n_nan} NaN and {n_inf} infinite values (first at index "
                f"{tuple(int(i) for i in first)}); check the model's output or drop those rows"
            )
    return arr


def _refuse_complex(x: Any, name: str) -> None:
    dtype = getattr(x, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", None) == "c":
        raise InputValidationError(f"{name} holds complex values ({_describe(x)}); pass a real array")


def check_tensor(x: Any, name: str, *, ndim: int | Sequence[int] | None = 2, finite: bool = True) -> Any:
    """Like :func:`check_array` but keep a torch tensor on its device (NumPy input stays NumPy)."""
    if not is_tensor(x):
        return check_array(x, name, ndim=ndim, finite=finite)
    import torch

    if x.is_complex():
        raise InputValidationError(f"{name} holds complex values ({_describe(x)}); pass a real tensor")

    allowed = None if ndim is None else ((ndim,) if isinstance(ndim, int) else tuple(ndim))
    if allowed is not None and x.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise InputValidationError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if finite and x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise InputValidationError(f"{name} contains NaN or infinite values; check the model's output")
    return x


def check_same_label_kind(**arrays: Any) -> None:
    """Labels compared with each other must be of one kind: numbers with numbers, strings with strings
    (``y_true`` of ints against ``y_pred`` of strings would match nowhere and score 0 silently)."""
    kinds = {k: ("text" if np.asarray(v).dtype.kind in "USO" else "numbers") for k, v in arrays.items() if v is not None}
    if len(set(kinds.values())) > 1:
        detail = ", ".join(f"{k} holds {kind}" for k, kind in kinds.items())
        raise InputValidationError(f"labels of different kinds ({detail}); encode them the same way before comparing them")


def check_consistent_length(**arrays: Any) -> int:
    """Check that every array has the same first dimension; return it.

    Raises
    ------
    InputValidationError
        Naming each argument with its length.
    """
    lengths = {k: len(v) for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise InputValidationError(f"inconsistent numbers of samples ({detail}); the arrays must be aligned row by row")
    return next(iter(lengths.values())) if lengths else 0


def check_param(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                integer: bool = False, options: Sequence[Any] | None = None) -> Any:
    """Check a scalar parameter; the message follows "'name' must be ..., got ...".

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The parameter's name.
    low, high : float, optional
        Inclusive bounds.
    integer : bool, default=False
        Require an integer.
    options : sequence, optional
        The allowed values.
    """
    if options is not None:
        if value not in options:
            raise InputValidationError(f"'{name}' must be one of {list(options)}, got {value!r}")
        return value
    if integer and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        raise InputValidationError(f"'{name}' must be an integer, got {value!r}")
    if not integer and (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))):
        raise InputValidationError(f"'{name}' must be a number, got {value!r}")
    if value != value:  # NaN passes every comparison below
        raise InputValidationError(f"'{name}' must be a number, got NaN")
    if low is not None and value < low:
        raise InputValidationError(f"'{name}' must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise InputValidationError(f"'{name}' must be <= {high}, got {value!r}")
    return value


#: Seeds (evaluation and training) are integers in ``[0, SEED_LIMIT)``: what NumPy and torch take.
SEED_LIMIT = 2**32
#: Most bootstrap resamples of a run (``--bootstrap``, ``n_bootstrap``): the audit tasks hold a
#: resamples x rows weight matrix (1.6 GB at this bound and 20,000 audited rows).
MAX_BOOTSTRAP = 10_000
#: Most paired-bootstrap resamples of a report's tie tests (``--resamples``; drawn in chunks).
MAX_RESAMPLES = 100_000
#: Most rows per call of a model (``--batch-size``, ``batch_size``).
MAX_BATCH_SIZE = 1_000_000
#: Most rows per split of a limited run (``--limit``, ``limit``).
MAX_LIMIT = 100_000_000


def _check_count(value: Any, name: str, high: int, what: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= high):
        raise InputValidationError(f"'{name}' must be None or an integer in [1, {high}] ({what}), got {value!r}")


def check_run_options(*, seeds: Any = None, n_bootstrap: Any = None, time_limit: Any = None, batch_size: Any = None,
                      limit: Any = None) -> None:
    """Check the options of a run (:func:`~latentbench.evaluate`, ``Evaluator``, ``audit``) before any work.

    ``seeds``: integers in ``[0, 2**32)``, at least one; ``n_bootstrap``: an integer in
    ``[1, MAX_BOOTSTRAP]``; ``time_limit``: ``None`` or a finite number of seconds ``> 0``.
    """
    if seeds is not None:
        for s in seeds:
            check_seed(s, "seeds")
    if n_bootstrap is not None and (isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer))
                                    or not 1 <= n_bootstrap <= MAX_BOOTSTRAP):
        raise InputValidationError(f"'n_bootstrap' must be an integer in [1, {MAX_BOOTSTRAP}] (bootstrap resamples of an "
                                   f"interval), got {n_bootstrap!r}")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.integer, np.floating))
                                   or not np.isfinite(time_limit) or time_limit <= 0):
        raise InputValidationError(f"'time_limit' must be a finite number of seconds > 0 (or None for no limit), got {time_limit!r}")
    _check_count(batch_size, "batch_size", MAX_BATCH_SIZE, "rows per call of the model")
    _check_count(limit, "limit", MAX_LIMIT, "rows kept in each split")


def check_seed(value: Any, name: str = "seed") -> int:
    """``value`` as an ``int`` if it is an integer in ``[0, 2**32)``; else "'name' must be ..., got ..."."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < SEED_LIMIT:
        raise InputValidationError(f"'{name}' must be an integer in [0, 2**32), got {value!r}")
    return int(value)


def check_rng(rng: Any) -> np.random.Generator:
    """An ``int`` seed, ``None`` or a ``numpy.random.Generator``, as a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise InputValidationError(f"'rng' must be an int seed or a numpy Generator, got {rng!r}")


def check_items(values: Any, what: str) -> np.ndarray:
    """Items (words, sentences) as a 1-D NumPy unicode array, one string per row.

    Parameters
    ----------
    values : sequence of str or ndarray
        The items. Anything that is not a ``str`` (bytes, numbers, None) is refused, never converted.
    what : str
        What they are, for error messages (``"dataset 'wordsim353': items"``).

    Returns
    -------
    items : ndarray of shape (n,) and dtype ``<U``

    Raises
    ------
    InputValidationError
        Naming the first item that is not a string, its row and its type.
    """
    if isinstance(values, (str, bytes)):
        raise InputValidationError(f"{what} must be a sequence of strings (one per row), got a single {type(values).__name__}; "
                                   f"wrap it in a list")
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        arr = values
    else:
        try:
            seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
        except TypeError:
            raise InputValidationError(f"{what} must be a sequence of strings (one per row), got {type(values).__name__}") from None
        for i, v in enumerate(seq):
            if not isinstance(v, str):
                shown = repr(v) if len(repr(v)) <= 60 else repr(v)[:57] + "..."
                raise InputValidationError(f"{what} must all be strings; row {i} holds {type(v).__name__} {shown}"
                                           + ("; decode bytes first (b.decode('utf-8'))" if isinstance(v, bytes) else ""))
        arr = np.array(seq, dtype=str) if seq else np.zeros(0, dtype="<U1")
    if arr.ndim != 1:
        raise InputValidationError(f"{what} must be 1-D (one string per row), got shape {arr.shape}")
    return arr
