"""Where a run's units (one model on one dataset) are computed: in this process, or on Ray.

The runner plans units and persists each job's rows on the driver; an executor only runs
``compute(unit)`` (a generator of events) for each unit and hands the events back as they come,
``(unit index, event)``, or ``(unit index, exception)`` once when a unit stops early. It never
opens the store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from .exceptions import InputValidationError, MissingOptionalDependencyError

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "RayExecutor", "make_executor", "unit_failure_reason"]

EXECUTORS = ("local", "ray")
RAY_INSTALL = "pip install 'latentbench[distributed]'"


class Executor(Protocol):
    """Runs ``compute`` on each unit; yields ``(index, event)`` as events arrive, ``(index, exc)`` on a unit's failure."""

    def map_units(self, compute: Callable[[Any], Iterator[Any]], units: Sequence[Any]) -> Iterator[tuple[int, Any]]: ...


class LocalExecutor:
    """The default: every unit in this process, one after another, in the planned order.

    ``compute(unit)`` runs here, so the unit shares this process's memory (the dataset-side cache,
    the models already loaded); an exception raised by a unit stops the run as it would without
    any executor (a job's own failure is recorded by the runner and never reaches here).
    """

    in_process = True

    def map_units(self, compute: Callable[[Any], Iterator[Any]], units: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, unit in enumerate(units):
            for event in compute(unit):
                yield i, event


def make_executor(executor: Any) -> Executor:
    """A :class:`LocalExecutor` for ``"local"`` (or ``None``), a :class:`RayExecutor` for ``"ray"``, or the object given."""
    if executor is None or executor == "local":
        return LocalExecutor()
    if executor == "ray":
        return RayExecutor()
    if isinstance(executor, str):
        raise InputValidationError(f"'executor' must be one of {', '.join(EXECUTORS)} (or a RayExecutor), got {executor!r}")
    if not callable(getattr(executor, "map_units", None)):
        raise InputValidationError(f"'executor' must be 'local', 'ray' or an object with map_units(), got {type(executor).__name__}")
    return executor


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingOptionalDependencyError(f"--executor ray needs Ray, which is not installed: {RAY_INSTALL}") from exc
    return ray


def unit_failure_reason(exc: BaseException) -> str:
    """One line saying why a unit stopped: the model's own error, or what happened to its worker."""
    name = type(exc).__name__
    if "OutOfMemory" in name:
        return ("the Ray worker ran out of memory (killed twice): give each unit more memory or fewer rows "
                "(--cpus-per-unit, --limit, a smaller --batch-size)")
    if "WorkerCrashed" in name or "ActorDied" in name or "NodeDied" in name:
        return "the Ray worker running this unit died twice (retried once); see the Ray logs of its node"
    if "TaskCancelled" in name:
        return "the unit was cancelled"
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        exc = cause
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


class RayExecutor:
    """Run each unit as a Ray task (a streaming generator), local Ray or a cluster.

    Parameters
    ----------
    address : str, optional
        A running cluster (``auto``, ``host:port``, ``ray://host:port``); default: a local Ray
        started for the run (and stopped after it) unless Ray is already initialised in this process.
    num_cpus : int, optional
        CPUs of a local Ray started here (default: all).
    cpus_per_unit : float, default=1
        CPUs requested per unit.
    gpus_per_unit : float, optional
        GPUs requested per unit; default 1 when the run's device is ``cuda``, else 0.
    device : str, optional
        Set by the runner: the run's device (requests GPUs when ``cuda``).

    Each unit is retried once if its worker dies (``max_retries=1``); an error raised by the model
    itself (it does not load, say) is not retried, since it would raise again. Environment variables
    that locate latentbench's files (``LATENTBENCH_HOME``) go to the workers, so that the dataset-side
    cache and the reference checkpoints are the driver's on one machine (on a cluster, point it at a
    shared path).
    """

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, cpus_per_unit: float = 1.0,
                 gpus_per_unit: float | None = None, device: str | None = None) -> None:
        if cpus_per_unit is None or not float(cpus_per_unit) > 0:
            raise InputValidationError(f"'cpus_per_unit' must be > 0, got {cpus_per_unit!r}")
        if gpus_per_unit is not None and not float(gpus_per_unit) >= 0:
            raise InputValidationError(f"'gpus_per_unit' must be >= 0, got {gpus_per_unit!r}")
        self.address, self.num_cpus = address, num_cpus
        self.cpus_per_unit, self.gpus_per_unit, self.device = float(cpus_per_unit), gpus_per_unit, device

    def _start(self, ray: Any) -> bool:
        """Connect (or start a local Ray); True if this call started it (and must stop it)."""
        if ray.is_initialized():
            return False
        env = {k: os.environ[k] for k in ("LATENTBENCH_HOME", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
        if self.address:
            _check_reachable(self.address)
        try:
            if self.address:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         runtime_env={"env_vars": env} if env else None)
            else:
                ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray"
            raise InputValidationError(f"cannot connect to the Ray cluster at {where!r} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                                       "start it with `ray start --head` or pass --address of a running cluster") from exc
        return True

    def map_units(self, compute: Callable[[Any], Iterator[Any]], units: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        ray = import_ray()
        for unit in units:
            _check_serialisable(ray, unit)
        started = self._start(ray)
        gpus = self.gpus_per_unit if self.gpus_per_unit is not None else (1.0 if self.device == "cuda" else 0.0)
        remote = ray.remote(compute).options(num_cpus=self.cpus_per_unit, num_gpus=gpus, max_retries=1, retry_exceptions=False)
        gens = {}
        try:
            for i, unit in enumerate(units):
                gens[remote.remote(unit)] = i
            pending = list(gens)
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                gen = ready[0]
                try:
                    ref = next(gen)
                except StopIteration:
                    continue
                try:
                    event = ray.get(ref)
                except KeyboardInterrupt:
                    raise
                except Exception as exc:  # noqa: BLE001 - the unit's error or its worker's death: recorded, the others go on
                    yield gens[gen], exc
                    continue
                pending.append(gen)
                yield gens[gen], event
        finally:  # Ctrl-C or an error on the driver: stop what is in flight; what was stored stays
            for gen in gens:
                try:
                    ray.cancel(gen, force=True)
                except Exception:  # noqa: BLE001, S110 - already finished
                    pass
            if started:
                ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A ``host:port`` or ``ray://host:port`` that does not answer: one line at once (Ray itself retries for minutes)."""
    import socket

    if address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise InputValidationError(f"--address must be auto, host:port or ray://host:port, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise InputValidationError(f"cannot reach a Ray cluster at {address!r} ({exc.strerror or exc}); start one with "
                                   "`ray start --head` and pass its address, or leave out --address for a local Ray") from exc


def _check_serialisable(ray: Any, unit: Any) -> None:
    """A model Ray cannot ship to a worker: one line naming it and the fix (a spec string)."""
    try:
        ray.cloudpickle.dumps(getattr(unit, "model", unit))
    except Exception as exc:  # noqa: BLE001 - any pickling error
        raise InputValidationError(
            f"model {getattr(unit, 'label', unit)!r} cannot be sent to Ray workers ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "pass it as a spec string instead ('package.module:factory', 'ref:NAME', 'latents.npz')") from exc
