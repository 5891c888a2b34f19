"""latentbench: a benchmark and audit suite for latent spaces.

The public API::

    latentbench.evaluate(model, tasks=..., suite=..., dataset=...)  -> Results
    latentbench.check(model)                                       -> CheckReport
    latentbench.adapt(model)                                       -> Adapter
    latentbench.Evaluator, latentbench.load_dataset, latentbench.load_results
    latentbench.register_task, latentbench.register_dataset, latentbench.register_adapter

Submodules are imported on first use, so ``import latentbench`` stays fast.
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
