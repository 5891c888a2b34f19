"""latentbench: a benchmark and audit suite for latent spaces.

The public API::

    latentbench.evaluate(model, tasks=..., suite=..., dataset=...)  -> Results
    latentbench.check(model)                                       -> CheckReport
    latentbench.adapt(model)                                       -> Adapter
    latentbench.Evaluator, latentbench.load_dataset, latentbench.load_results
    latentbench.register_task, latentbench.register_dataset, latentbench.register_adapter

The metric functions, pure functions of arrays usable alone on any codes, are in one module per
family: ``latentbench.metrics.reconstruction``, ``.likelihood``, ``.collapse``,
``.disentanglement``, ``.dimension``, ``.neighborhood``, ``.neighbors``, ``.topology``,
``.fairness``, ``.privacy`` and ``.scaling``, for example::

    from latentbench.metrics.neighborhood import trustworthiness
    from latentbench.metrics.disentanglement import mig_score

They follow scikit-learn's conventions: ``*_score`` returns a float, higher is better
(``return_details=True`` gives the parts); ``*_error``/``*_loss`` are lower-better; a function
named for a quantity returns it. docs/metrics.md lists each with its signature, direction and the
library it is checked against.

The command line is ``latentbench`` (or ``python -m latentbench``); ``latentbench --help`` lists
the commands and the exit statuses.

Submodules are imported on first use, so ``import latentbench`` stays fast.

How the package is layered
--------------------------
Imports run one way, from the command line down to the shared types; ``tests/test_layers.py``
fails when one runs back up (lazy imports inside functions and type-only imports count too).

0. **Core** (imports nothing above it): ``exceptions`` (the error hierarchy), ``validation`` (one
   array checker), ``constants``, ``stats`` (the one statistics core: :class:`~latentbench.stats.Estimate`, the
   bootstrap engine, the ``rng`` convention), ``types`` (task families, ``ScoreSpec``, ``Score``,
   ``TaskOutput``), ``identity`` (model and dataset fingerprints), ``paths``, ``progress``,
   ``provenance``, ``registry``, ``specs``, ``artifacts`` (names the runner and the report share) and
   ``safeio`` (untrusted files read without pickle within a size limit, safe names, writes kept in
   their folder).
1. **Primitives**, three siblings that never import each other: ``adapters`` (any model behind a
   few capabilities), ``data`` (datasets and their registry) and ``metrics`` (pure functions of
   arrays).
2. **Models**: the reference architectures, their training and cache, the null baselines.
3. **Tasks**: thin glue between a dataset, an adapter and metric functions, their registry and
   specs, and the :class:`~latentbench.tasks.context.RunContext` a task receives.
4. **Persistence**: ``store`` (SQLite rows with the key, the identity scheme, and the metric order
   and labels the report needs) and ``results`` (rows returned to a caller).
5. **Runner and report**, side by side and apart: the runner plans jobs, encodes once, runs tasks
   and writes the store; the report reads the store only (never the tasks or the metrics).
6. **Orchestrators**: ``audit``, ``conformance`` (``latentbench check``) and ``reference_results``.
7. **Entry points**: ``cli``, this package's lazy API.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Adapter": "latentbench.adapters",
    "Capability": "latentbench.adapters",
    "adapt": "latentbench.adapters",
    "register_adapter": "latentbench.adapters",
    "check": "latentbench.conformance",
    "Dataset": "latentbench.data",
    "load_dataset": "latentbench.data",
    "register_dataset": "latentbench.data",
    "Evaluator": "latentbench.runner",
    "evaluate": "latentbench.runner",
    "Results": "latentbench.results",
    "ResultStore": "latentbench.store",
    "Task": "latentbench.tasks.base",
    "register_task": "latentbench.tasks.registry",
    "load_results": "latentbench._api",
}

__all__ = sorted([*_LAZY, "__version__"], key=str.casefold)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'latentbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
