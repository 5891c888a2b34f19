"""The task registry: task classes (an explicit built-in table) and registered tasks (TOML specs).

A registered task is ``tasks/<family>/<name>.toml``::

    name = "reconstruction/digits"   # the name users type
    task = "reconstruction"          # a task class from TASK_CLASSES
    version = 1                      # bump when the spec changes numbers
    dataset = "digits"
    summary = "..."                  # optional, else the class's summary
    [dataset_params]                 # optional
    [params]                         # the task class's parameters
    [descriptive]                    # optional: scores shown but never ranked on this task,
    bottleneck_h1 = "why"            # each with the reason (direction "none" here only)

Declaring a score descriptive changes how its stored rows are ranked, so bump ``version`` with it
(stored rows keep the direction they were written with).

A suite is ``tasks/suites/<name>.toml`` with ``name``, ``description`` and ``tasks = [...]``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data import parse_dataset_reference
from ..exceptions import DuplicateNameError, InputValidationError, SpecError, UnknownNameError
from ..registry import Registry
from ..safeio import check_safe_name
from ..specs import read_toml, spec_roots
from .base import Task

__all__ = ["TASK_CLASSES", "Suite", "get_suite", "get_task", "list_suites", "list_tasks", "register_task", "resolve_tasks",
           "retarget_task"]

#: Built-in task classes, by the name specs use. Imported lazily on first use.
BUILTIN_TASK_CLASSES: dict[str, str] = {
    "reconstruction": "latentbench.tasks.reconstruction:Reconstruction",
    "likelihood": "latentbench.tasks.likelihood:Likelihood",
    "collapse": "latentbench.tasks.collapse:PosteriorCollapse",
    "kl-decomposition": "latentbench.tasks.collapse:KLDecomposition",
    "fairness": "latentbench.tasks.fairness:BiasAudit",
    "privacy": "latentbench.tasks.privacy:PrivacyAudit",
    "anomaly": "latentbench.tasks.anomaly:AnomalyDetection",
    "anomaly-one-vs-rest": "latentbench.tasks.anomaly:OneVsRestAnomaly",
    "anomaly-pyod": "latentbench.tasks.anomaly:PyODDetection",
    "mig": "latentbench.tasks.disentanglement:MIG",
    "mig-sampled": "latentbench.tasks.disentanglement:MIGSampled",
    "dci": "latentbench.tasks.disentanglement:DCI",
    "sap": "latentbench.tasks.disentanglement:SAP",
    "factor-vae-score": "latentbench.tasks.disentanglement:FactorVAEScore",
    "beta-vae-score": "latentbench.tasks.disentanglement:BetaVAEScore",
    "modularity": "latentbench.tasks.disentanglement:Modularity",
    "traversals": "latentbench.tasks.disentanglement:Traversals",
    "intrinsic-dimension": "latentbench.tasks.geometry:IntrinsicDimension",
    "neighbourhood": "latentbench.tasks.geometry:NeighbourhoodPreservation",
    "topology": "latentbench.tasks.geometry:TopologyPreservation",
    "factor-analogy": "latentbench.tasks.factor_semantics:FactorAnalogy",
    "factor-distance": "latentbench.tasks.factor_semantics:FactorDistanceSimilarity",
    "weat": "latentbench.tasks.weat:WEAT",
    "analogy": "latentbench.tasks.semantics:WordAnalogy",
    "similarity": "latentbench.tasks.semantics:WordSimilarity",
    "domain-shift": "latentbench.tasks.transfer:DomainShift",
}

TASK_CLASSES: Registry[type[Task]] = Registry("task class", hint="Run `latentbench list tasks` to see the registered tasks.")
for _name, _target in BUILTIN_TASK_CLASSES.items():
    TASK_CLASSES.add(_name, _target)


def register_task(cls: type[Task] | None = None, *, name: str | None = None, replace: bool = False) -> Any:
    """Register a task class (usable as a decorator); specs refer to it by ``name`` (default: the class name, lower-case)."""

    def deco(c: type[Task]) -> type[Task]:
        if not (isinstance(c, type) and issubclass(c, Task)):
            raise SpecError(f"register_task expects a Task subclass, got {c!r}")
        c.validate_class()
        key = name or c.__name__.lower()
        TASK_CLASSES.add(key, c, origin=f"{c.__module__}.{c.__qualname__}", replace=replace)
        c.registered_as = key  # type: ignore[attr-defined]
        return c

    return deco(cls) if cls is not None else deco


@dataclass(frozen=True)
class TaskSpecFile:
    name: str
    task: str
    version: int
    dataset: str
    dataset_params: dict[str, Any]
    params: dict[str, Any]
    summary: str | None
    path: Path
    descriptive: dict[str, str] | None = None


@dataclass(frozen=True)
class Suite:
    """A named list of registered tasks."""

    name: str
    description: str
    tasks: tuple[str, ...]
    path: Path


_SPEC_CACHE: dict[str, Any] = {}


def _load_specs() -> tuple[dict[str, TaskSpecFile], dict[str, Suite]]:
    roots = tuple(spec_roots())
    if _SPEC_CACHE.get("roots") == roots:
        return _SPEC_CACHE["tasks"], _SPEC_CACHE["suites"]
    tasks: dict[str, TaskSpecFile] = {}
    suites: dict[str, Suite] = {}
    for root in roots:
        if (root / "tasks").is_dir():
            task_dir = root / "tasks"
        elif any(root.glob("*.toml")) or (root / "suites").is_dir():
            task_dir = root  # a folder of task specs given directly
        else:
            continue  # e.g. a folder with only reference_models/
        for path in sorted(task_dir.rglob("*.toml")):
            raw = read_toml(path)
            if path.parent.name == "suites":
                _add_suite(suites, raw, path)
            else:
                _add_task(tasks, raw, path)
    for suite in suites.values():
        for t in suite.tasks:
            if t not in tasks:
                raise UnknownNameError("task", t, tasks, f"(listed in suite {suite.name!r}, {suite.path})")
    _SPEC_CACHE.update(roots=roots, tasks=tasks, suites=suites)
    return tasks, suites


def _add_task(tasks: dict[str, TaskSpecFile], raw: dict[str, Any], path: Path) -> None:
    missing = [k for k in ("name", "task", "version", "dataset") if k not in raw]
    if missing:
        raise SpecError(f"{path}: missing {', '.join(missing)}")
    extra = set(raw) - {"name", "task", "version", "dataset", "dataset_params", "params", "summary", "descriptive"}
    if extra:
        raise SpecError(f"{path}: unknown keys {sorted(extra)}")
    for key in ("name", "task", "dataset", "summary"):
        if key in raw and not isinstance(raw[key], str):
            raise SpecError(f"{path}: {key} must be a string, got {raw[key]!r}")
    try:
        check_safe_name(raw["name"], "task name", allow_slash=True)
    except InputValidationError as exc:
        raise SpecError(f"{path}: {exc}") from None
    if isinstance(raw["version"], bool) or not isinstance(raw["version"], int) or raw["version"] < 1:
        raise SpecError(f"{path}: version must be a positive integer (bump it when the spec changes numbers), got {raw['version']!r}")
    for key in ("dataset_params", "params", "descriptive"):
        if key in raw and not isinstance(raw[key], dict):
            raise SpecError(f"{path}: {key} must be a table ([{key}] with key = value lines), got {raw[key]!r}")
    name = raw["name"]
    if name in tasks:
        raise DuplicateNameError(f"task {name!r} is defined twice: {tasks[name].path} and {path}")
    tasks[name] = TaskSpecFile(name, raw["task"], int(raw["version"]), raw["dataset"], dict(raw.get("dataset_params", {})),
                               dict(raw.get("params", {})), raw.get("summary"), path, raw.get("descriptive"))


def _add_suite(suites: dict[str, Suite], raw: dict[str, Any], path: Path) -> None:
    if "name" not in raw or "tasks" not in raw:
        raise SpecError(f"{path}: a suite needs 'name' and 'tasks'")
    if not isinstance(raw["name"], str) or not isinstance(raw.get("description", ""), str):
        raise SpecError(f"{path}: a suite's name and description must be strings, got {raw['name']!r}")
    if not isinstance(raw["tasks"], list) or not all(isinstance(t, str) for t in raw["tasks"]):
        raise SpecError(f"{path}: a suite's tasks must be a list of task names, got {raw['tasks']!r}")
    if raw["name"] in suites:
        raise DuplicateNameError(f"suite {raw['name']!r} is defined twice: {suites[raw['name']].path} and {path}")
    suites[raw["name"]] = Suite(raw["name"], raw.get("description", ""), tuple(raw["tasks"]), path)


def list_tasks() -> list[str]:
    """Names of every registered task."""
    return sorted(_load_specs()[0])


def list_suites() -> list[Suite]:
    """Every suite."""
    return [s for _, s in sorted(_load_specs()[1].items())]


def get_suite(name: str) -> Suite:
    """The suite called ``name``."""
    suites = _load_specs()[1]
    if name not in suites:
        raise UnknownNameError("suite", name, suites, "Run `latentbench list suites`.")
    return suites[name]


def get_task(name: str) -> Task:
    """Instantiate the registered task ``name`` from its spec."""
    tasks = _load_specs()[0]
    if name not in tasks:
        raise UnknownNameError("task", name, tasks, "Run `latentbench list tasks`.")
    spec = tasks[name]
    cls = TASK_CLASSES.get(spec.task)
    if not getattr(cls, "registered_as", None):
        cls.validate_class()
        cls.registered_as = spec.task  # type: ignore[attr-defined]
    try:
        kw = {"descriptive": spec.descriptive} if spec.descriptive is not None else {}  # plug-in classes may predate it
        return cls(name=spec.name, dataset=spec.dataset, dataset_params=spec.dataset_params, version=spec.version,
                   params=spec.params, summary=spec.summary, **kw)
    except SpecError as exc:
        raise SpecError(f"{spec.path}: {exc}") from None


def resolve_tasks(tasks: str | Task | list[str | Task] | tuple[str | Task, ...] | None = None, *, suite: str | None = None) -> list[Task]:
    """Turn suite and task names (or Task instances) into a list of tasks; every unknown name is reported at once."""
    items: list[str | Task] = []
    if suite:
        items.extend(get_suite(suite).tasks)
    if isinstance(tasks, (str, Task)):
        tasks = [tasks]
    for t in tasks or []:
        if isinstance(t, str) and "," in t:
            items.extend(s.strip() for s in t.split(",") if s.strip())
        else:
            items.append(t)
    if not items:
        raise SpecError("no tasks given: pass --suite NAME or --tasks a,b (see `latentbench list suites`)")
    known = _load_specs()[0]
    unknown = [t for t in items if isinstance(t, str) and t not in known and t not in _load_specs()[1]]
    if unknown:
        raise UnknownNameError("task", unknown[0], known, "Run `latentbench list tasks`." +
                               (f" Also unknown: {', '.join(unknown[1:])}." if len(unknown) > 1 else ""))
    out: list[Task] = []
    seen: set[str] = set()
    for t in items:
        if isinstance(t, str) and t in _load_specs()[1] and t not in known:
            names: list[str | Task] = list(get_suite(t).tasks)
        else:
            names = [t]
        for item in names:
            task = get_task(item) if isinstance(item, str) else item
            if task.name not in seen:
                seen.add(task.name)
                out.append(task)
    return out


def retarget_task(task: Task, dataset: str, dataset_name: str) -> Task:
    """``task`` run on another dataset (``run --dataset``), named for the dataset it runs on.

    A task registered as ``<base>/<its dataset>`` becomes ``<base>/<dataset_name>``
    (``reconstruction/shapes`` on digits is ``reconstruction/digits``) unless a registered task of
    that name computes something else (another class, parameters or version): then, and for names
    of any other form, it becomes ``<name>@<dataset_name>``. The dataset's own parameters are
    dropped (they belong to the task's dataset). The task on its own dataset is returned unchanged.

    Parameters
    ----------
    task : Task
    dataset : str
        What to load (a registered dataset name or an ``.npz`` path).
    dataset_name : str
        The name that dataset loads as (an ``.npz`` file's stem).
    """
    target = parse_dataset_reference(dataset) if not dataset.endswith(".npz") else (dataset, {})
    if dataset == task.dataset or target == (task.dataset, task.dataset_params):
        return task  # its own dataset (its own draw), however it was named
    base, sep, tail = task.name.rpartition("/")
    name = f"{base}/{dataset_name}" if sep and tail == task.dataset else f"{task.name}@{dataset_name}"
    if name in _load_specs()[0]:
        other = get_task(name)
        same = (type(other) is type(task) and other.params == task.params and other.version == task.version
                and (other.dataset, other.dataset_params) == target)
        if same:
            return other  # the registered task computes exactly this
        name = f"{task.name}@{dataset_name}"
    new = copy.copy(task)
    new.name, new.dataset, new.dataset_params = name, target[0], dict(target[1])
    new.params = dict(task.params)
    new.retargeted_from = task.name  # type: ignore[attr-defined]
    return new
