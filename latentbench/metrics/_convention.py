"""The metric API convention, settled once for every family (scikit-learn's ``sklearn.metrics`` is the model).

* ``*_score`` functions return **a float**, higher is better (NaN, with an
  :class:`~latentbench.exceptions.UndefinedMetricWarning`, where the score is undefined). Each takes
  ``return_details=True`` to return instead a dict with the score under its own key and every part
  behind it (per-factor values, importance matrices, train accuracies, ...). The tasks use the
  details; a user comparing two codes gets a number.
* ``*_error`` / ``*_loss`` functions are lower-better.
* Functions named for a quantity (``twonn``, ``trustworthiness``, ``distortion``,
  ``mutual_information_aggregate``) return that quantity with the type their docstring states; those
  that resample return an :class:`~latentbench.stats.Estimate`.
* Arrays are validated with :func:`latentbench.validation.check_array` (errors name the argument);
  ``rng`` is keyword-only and required wherever a result depends on random draws.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["score_function"]


def score_function(key: str) -> Callable[[F], F]:
    """Give a function computing a dict of parts the ``*_score`` convention: return ``float(parts[key])``
    unless ``return_details=True`` (then the dict). Its signature and docstring say so."""

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, return_details: bool = False, **kwargs: Any) -> Any:
            details = fn(*args, **kwargs)
            return details if return_details else float(details[key])

        sig = inspect.signature(fn)
        param = inspect.Parameter("return_details", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool")
        wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), param],  # type: ignore[attr-defined]
                                            return_annotation="float | dict[str, Any]")
        doc = fn.__doc__ or ""
        doc = doc.replace("    Returns\n    -------\n    dict\n",
                          "    return_details : bool, default=False\n"
                          "        Return the dict of every part (below) instead of the score alone.\n\n"
                          "    Returns\n    -------\n"
                          f"    score : float\n        ``{key}``; with ``return_details=True``:\n"
                          "    details : dict\n", 1)
        wrapper.__doc__ = doc
        wrapper.score_key = key  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco
