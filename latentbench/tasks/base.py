"""The :class:`Task` base class and the records a task returns.

A task class holds the logic of one kind of measurement (thin glue between a dataset, an
adapter and metric functions); a *registered task* is a task class configured by a TOML spec in
``tasks/`` (its name, dataset, parameters and version). One class serves many registered tasks.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..adapters import Capability
from ..exceptions import SpecError
from ..types import FAMILIES, STANDARDIZATIONS, Direction, Score, ScoreSpec, TaskOutput

if TYPE_CHECKING:
    from ..adapters import Adapter
    from ..data.base import Dataset
    from .context import RunContext

__all__ = ["Direction", "FAMILIES", "Score", "ScoreSpec", "Task", "TaskOutput"]


_RANGE = re.compile(r"^\s*([\[(])\s*(-?inf|[-+0-9.eE]+)\s*,\s*(inf|[-+0-9.eE]+)\s*([\])])\s*$")


@functools.lru_cache(maxsize=None)
def parse_range(text: str) -> tuple[float, bool, float, bool]:
    """``(low, low_open, high, high_open)`` of an interval such as ``"[1, 50000]"`` or ``"(0, inf)"``."""
    m = _RANGE.match(text)
    if not m:
        raise SpecError(f"a parameter range must be an interval such as '[1, 100]' or '(0, inf)', got {text!r}")
    return float(m.group(2)), m.group(1) == "(", float(m.group(3)), m.group(4) == ")"


def _kind(default: Any) -> str | None:
    """The kind of value a parameter takes, from its default (``None``: any)."""
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "number"
    if isinstance(default, str):
        return "str"
    return None


class Task:
    """Base class of every task.

    Subclasses set the class attributes below and implement :meth:`run`. The constructor only
    stores the spec (name, dataset, parameters); parameters not in ``defaults`` are an error.

    Attributes
    ----------
    family : str
        One of :data:`FAMILIES`.
    class_version : int
        Bumped when the class's computation changes in a way that changes numbers.
    summary : str
        One line.
    needs : frozenset of Capability
        What the model must be able to do.
    requires : frozenset of str
        Dataset fields needed (``labels``, ``factors``, ``sensitive``, ``domain``, ``is_anomaly``).
    scores : tuple of ScoreSpec
        Every score ``run`` returns. A registered task whose spec has a ``[descriptive]`` table
        (score = reason) gets these with direction ``"none"`` for the scores named there: shown, never
        ranked, on that task's dataset (see :attr:`descriptive`).
    primary : str
        The main score's name.
    standardization : {"none", "zscore", "whiten"}
        What the task does to latents before its metrics.
    reference : str
        The paper(s) implemented.
    defaults : dict
        The parameters and their defaults.
    descriptive : dict of str to str
        Per instance: the scores this registered task declares descriptive, with the reason (for
        example a ranked score that does not order a planted ladder of encoders on this dataset).
    param_ranges : dict of str to str
        The documented range of each numeric parameter (of each item, for a list), in interval
        notation: ``"[1, 50000]"``, ``"(0, 1)"``, ``"[0, inf)"``. Superlinear steps have a finite
        upper bound, so a spec cannot ask for hours of work.
    param_choices : dict of str to tuple
        The allowed values of a parameter (of each item, for a list).

    Every given parameter is checked when the task is built (a spec is loaded), against the type
    of its default (``int``, number, ``bool``, ``str``, list) and its range or choices, so a wrong
    value fails at once with the parameter named, not later at run time.
    """

    family: ClassVar[str] = ""
    class_version: ClassVar[int] = 1
    summary: ClassVar[str] = ""
    needs: ClassVar[frozenset[Capability]] = frozenset({Capability.ENCODE})
    requires: ClassVar[frozenset[str]] = frozenset()
    scores: ClassVar[tuple[ScoreSpec, ...]] = ()
    primary: ClassVar[str] = ""
    standardization: ClassVar[str] = "none"
    reference: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}
    param_ranges: ClassVar[Mapping[str, str]] = {}
    param_choices: ClassVar[Mapping[str, tuple[Any, ...]]] = {}
    split: ClassVar[str] = "test"

    def __init__(self, *, name: str | None = None, dataset: str = "digits", dataset_params: Mapping[str, Any] | None = None,
                 version: int = 1, params: Mapping[str, Any] | None = None, summary: str | None = None,
                 descriptive: Mapping[str, str] | None = None) -> None:
        self.name = name or self.class_name()
        self.dataset = dataset
        self.dataset_params = dict(dataset_params or {})
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise SpecError(f"task {self.name!r}: 'version' must be a positive integer, got {version!r}")
        self.version = int(version)
        if params is not None and not isinstance(params, Mapping):
            raise SpecError(f"task {self.name!r}: 'params' must be a table of parameter = value, got {params!r}")
        given = dict(params or {})
        unknown = [k for k in given if k not in self.defaults]
        if unknown:
            close = difflib.get_close_matches(unknown[0], list(self.defaults), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecError(f"task {self.name!r}: unknown parameter {unknown[0]!r} for {type(self).__name__}.{hint} "
                            f"Parameters: {', '.join(sorted(self.defaults)) or '(none)'}")
        for key, value in given.items():
            self._check_param(key, value)
        self.params = {**self.defaults, **given}
        self.spec_summary = summary
        self.descriptive = self._check_descriptive(descriptive)
        if self.descriptive:
            # this registered task shows these scores but never ranks them (an instance attribute
            # shadows the class's declaration; the class and its other registered tasks keep theirs)
            self.scores = tuple(
                ScoreSpec(s.name, "none", f"{s.description} (descriptive here: {self.descriptive[s.name]})", s.bounds, s.unit)
                if s.name in self.descriptive else s for s in type(self).scores)

    def _check_param(self, key: str, value: Any) -> None:
        """Refuse a parameter whose type differs from its default's, or outside its range or choices."""
        default = self.defaults[key]
        if value is None and default is None:  # a parameter that is unset by default, passed unset
            return
        rng, choices = self.param_ranges.get(key), self.param_choices.get(key)
        if isinstance(default, (list, tuple)):
            if not isinstance(value, (list, tuple)):
                raise SpecError(f"task {self.name!r}: parameter {key!r} must be a list, got {value!r}")
            kind = _kind(default[0]) if default else None
            for item in value:
                self._check_scalar(key, item, kind, rng, choices, item_of=value)
            return
        self._check_scalar(key, value, _kind(default), rng, choices)

    def _check_scalar(self, key: str, value: Any, kind: str | None, rng: str | None, choices: tuple[Any, ...] | None,
                      item_of: Any = None) -> None:
        what = {"bool": "true or false", "int": "an integer", "number": "a number", "str": "a string"}.get(kind or "", "")
        if kind is None and rng is not None:
            kind, what = "number", "a number"
        ok = {"bool": lambda v: isinstance(v, bool),
              "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v),
              "str": lambda v: isinstance(v, str)}.get(kind or "", lambda v: True)(value)
        if ok and choices is not None:
            ok, what = value in choices, f"one of {list(choices)}"
        if ok and rng is not None:
            lo, lo_open, hi, hi_open = parse_range(rng)
            ok = (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
        if not ok:
            where = f"items of parameter {key!r}" if item_of is not None else f"parameter {key!r}"
            shown = f"{item_of!r} (the item {value!r})" if item_of is not None else repr(value)
            rng_text = f" in {rng}" if rng is not None and choices is None else ""
            raise SpecError(f"task {self.name!r}: {where} must be {what}{rng_text}, got {shown}")

    def _check_descriptive(self, descriptive: Mapping[str, str] | None) -> dict[str, str]:
        """``{score: reason}`` from a spec's ``[descriptive]`` table, every name a declared score."""
        if descriptive is None:
            return {}
        if not isinstance(descriptive, Mapping):
            raise SpecError(f"task {self.name!r}: 'descriptive' must be a table of score = \"reason\", got {descriptive!r}")
        names = [s.name for s in type(self).scores]
        out = {}
        for score, reason in descriptive.items():
            if score not in names:
                close = difflib.get_close_matches(str(score), names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise SpecError(f"task {self.name!r}: 'descriptive' names {score!r}, not a score of {type(self).__name__}.{hint} "
                                f"Scores: {', '.join(names)}")
            if not isinstance(reason, str) or not reason.strip():
                raise SpecError(f"task {self.name!r}: 'descriptive' needs a reason for {score!r} (a non-empty string), "
                                f"got {reason!r}")
            out[str(score)] = reason.strip()
        return out

    # ------------------------------------------------------------------ metadata
    @classmethod
    def class_name(cls) -> str:
        return getattr(cls, "registered_as", cls.__name__)

    @classmethod
    def validate_class(cls) -> None:
        """Check the class-level declaration (used at registration)."""
        name = cls.__name__
        if cls.family not in FAMILIES:
            raise SpecError(f"{name}.family must be one of {FAMILIES}, got {cls.family!r}")
        if not cls.scores:
            raise SpecError(f"{name} declares no scores")
        names = [s.name for s in cls.scores]
        if len(set(names)) != len(names):
            raise SpecError(f"{name} declares a score twice: {names}")
        if cls.primary not in names:
            raise SpecError(f"{name}.primary {cls.primary!r} is not one of its scores {names}")
        if cls.standardization not in STANDARDIZATIONS:
            raise SpecError(f"{name}.standardization must be one of {STANDARDIZATIONS}")
        if Capability.ENCODE not in cls.needs:
            raise SpecError(f"{name}.needs must include Capability.ENCODE")

    @property
    def score_specs(self) -> dict[str, ScoreSpec]:
        return {s.name: s for s in self.scores}

    @property
    def primary_spec(self) -> ScoreSpec:
        return self.score_specs[self.primary]

    @property
    def description(self) -> str:
        return self.spec_summary or self.summary

    def estimator(self, adapter: Adapter) -> dict[str, Any]:
        """Everything that can change this task's numbers for ``adapter``: it is hashed into the result key.

        The default is the class, its version, the parameters and the standardization; tasks whose
        numbers depend on a model property (the likelihood family) add it here.
        """
        return {"class": type(self).__name__, "class_version": self.class_version,
                "params": self.params, "standardization": self.standardization}

    def skip_reason(self, adapter: Adapter, dataset: Dataset) -> str | None:
        """Why this task cannot run on this model and dataset, or ``None``."""
        lacking = sorted(adapter.missing(self.needs), key=str)
        if lacking:
            return (f"needs {', '.join(map(str, lacking))}; model has "
                    f"{', '.join(sorted(map(str, adapter.capabilities)))}")
        fields = dataset.missing(self.requires)
        if fields:
            return f"dataset {dataset.name!r} has no {', '.join(fields)}"
        return None

    # ------------------------------------------------------------------ work
    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        """Compute this task's scores. Keys of the returned scores must equal the declared ones."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({self.name!r}, dataset={self.dataset!r}{', ' + args if args else ''})"
