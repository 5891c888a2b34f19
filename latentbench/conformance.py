"""``latentbench check``: is a model's adapter sound before a long run?

Like scikit-learn's ``check_estimator`` and MTEB's ``mock_run``: shape, finiteness, determinism,
batch consistency, input immutability and every declared capability are checked on a few rows
of a dataset, then a smoke run of the first task families. Each check says in plain words what
is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .adapters import Adapter, Capability, PrecomputedAdapter, adapt
from .data import load_dataset
from .exceptions import LatentBenchError

__all__ = ["CheckOutcome", "CheckReport", "check"]


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool | None  # None: not applicable
    message: str = ""


@dataclass
class CheckReport:
    model: str
    adapter: str
    capabilities: list[str]
    dataset: str
    outcomes: list[CheckOutcome]

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return all(o.passed is not False for o in self.outcomes)

    def failures(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.passed is False]

    def to_text(self) -> str:
        lines = [f"model {self.model!r}: {self.adapter} adapter with {', '.join(self.capabilities)}; checked on {self.dataset!r}"]
        for o in self.outcomes:
            mark = {True: "ok  ", False: "FAIL", None: "n/a "}[o.passed]
            lines.append(f"  [{mark}] {o.name}" + (f": {o.message}" if o.message else ""))
        lines.append("all checks passed" if self.passed else f"{len(self.failures())} check(s) failed")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _attempt(outcomes: list[CheckOutcome], name: str, fn: Callable[[], str | None]) -> None:
    try:
        msg = fn()
        outcomes.append(CheckOutcome(name, True, msg or ""))
    except _NotApplicable as exc:
        outcomes.append(CheckOutcome(name, None, str(exc)))
    except Exception as exc:  # every failure becomes a plain-words line
        outcomes.append(CheckOutcome(name, False, f"{type(exc).__name__}: {exc}" if not isinstance(exc, (LatentBenchError, AssertionError)) else str(exc)))


class _NotApplicable(Exception):
    pass


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol))


def check(model: Any, *, dataset: str = "digits", n: int = 32, tol: float = 1e-5, smoke: bool = True,
          device: str = "cpu", name: str | None = None) -> CheckReport:
    """Run the conformance checks on ``model`` and return a report (``report.passed``, ``print(report)``).

    Parameters
    ----------
    model : object
        Anything :func:`latentbench.adapt` accepts, or a model string (``ref:vae``, ``pkg.mod:factory``, ``latents.npz``).
    dataset : str, default="digits"
        The dataset whose rows are fed to the model (it must accept that input shape).
    n : int, default=32
        Rows used by the checks.
    tol : float, default=1e-5
        Tolerance for determinism and batch consistency.
    smoke : bool, default=True
        Also run the reconstruction, likelihood and collapse tasks on the dataset.
    """
    if isinstance(model, str):
        from .models.loader import load_model

        model = load_model(model, device=device, dataset=dataset)
    adapter: Adapter = adapt(model, name=name, device=device)
    data = load_dataset(dataset)
    rows = data.split("test")[:n]
    x = data.get_x(rows)
    outcomes: list[CheckOutcome] = []
    precomputed = isinstance(adapter, PrecomputedAdapter)

    def bind() -> str:
        adapter.bind(data)
        return f"latent_dim={adapter.latent_dim}"

    _attempt(outcomes, "binds to the dataset", bind)
    state: dict[str, Any] = {}

    def encode() -> str:
        x_copy = x.copy()
        z = adapter.encode_rows(data, rows) if precomputed else adapter.encode(x)
        if z.shape[0] != len(rows):
            raise AssertionError(f"encode returned {z.shape[0]} rows for {len(rows)} inputs")
        if not precomputed and not np.array_equal(x, x_copy):
            raise AssertionError("encode changed its input array in place; copy before modifying")
        state["z"] = z
        return f"shape {z.shape}, finite"

    _attempt(outcomes, "encode: shape, finite values, input untouched", encode)

    def deterministic() -> str:
        if "z" not in state:
            raise _NotApplicable("encode failed")
        z2 = adapter.encode_rows(data, rows) if precomputed else adapter.encode(x)
        if not _close(state["z"], z2, tol):
            raise AssertionError(f"two encodings of the same input differ by up to {np.abs(state['z'] - z2).max():.3g}; "
                                 "put the model in eval mode (dropout, batch norm) or use the posterior mean")
        return None

    _attempt(outcomes, "encode is deterministic", deterministic)

    def batch_consistent() -> str:
        if "z" not in state or precomputed:
            raise _NotApplicable("precomputed latents" if precomputed else "encode failed")
        old = adapter.batch_size
        try:
            adapter.batch_size = 5
            z_small = adapter.encode(x)
        finally:
            adapter.batch_size = old
        z_one = adapter.encode(x[:1])
        if not _close(state["z"], z_small, tol) or not _close(state["z"][:1], z_one, tol):
            diff = max(np.abs(state["z"] - z_small).max(), np.abs(state["z"][:1] - z_one).max())
            raise AssertionError(f"codes depend on the batch (up to {diff:.3g} apart); batch statistics leak across rows")
        return None

    _attempt(outcomes, "encode is batch-consistent", batch_consistent)

    def posterior() -> str:
        if not adapter.has(Capability.POSTERIOR):
            raise _NotApplicable("no posterior declared")
        mean, logvar = adapter.posterior_rows(data, rows)
        if "z" in state and not _close(mean, state["z"], 1e-4):
            raise AssertionError("posterior mean differs from encode(x); encode should return the posterior mean")
        state["mean"], state["logvar"] = mean, logvar
        return f"mean and logvar {mean.shape}"

    _attempt(outcomes, "posterior: (mean, logvar), mean equals encode", posterior)

    def decode() -> str:
        if not adapter.has(Capability.DECODE):
            raise _NotApplicable("no decoder declared")
        x_hat = adapter.decode(state["z"])
        if x_hat.shape != (len(rows), data.n_features):
            raise AssertionError(f"decode returned {x_hat.shape}; expected ({len(rows)}, {data.n_features}) (or the input's shape)")
        return f"shape {x_hat.shape}"

    _attempt(outcomes, "decode: output matches the input size", decode)

    def likelihood() -> str:
        if not adapter.has(Capability.LIKELIHOOD):
            raise _NotApplicable("no likelihood declared")
        z = state.get("mean", state.get("z"))
        ll = adapter.log_likelihood(x, z)
        if adapter.likelihood == "bernoulli" and (ll > 1e-6).any():
            raise AssertionError("a Bernoulli log-likelihood above 0 is impossible")
        return f"log p(x|z) per row, mean {ll.mean():.4g} nats ({adapter.likelihood or 'family not named: set model.likelihood'})"

    _attempt(outcomes, "likelihood: log p(x|z) per row, finite", likelihood)

    def prior() -> str:
        if not adapter.has(Capability.PRIOR):
            raise _NotApplicable("no prior declared")
        z = state.get("z")
        lp = adapter.log_prior(z)
        samples = adapter.sample_prior(8, np.random.default_rng(0))
        if samples.shape[1] != z.shape[1]:
            raise AssertionError(f"prior samples have {samples.shape[1]} dimensions, codes have {z.shape[1]}")
        return f"log p(z) finite (mean {lp.mean():.4g}); sampling works"

    _attempt(outcomes, "prior: log p(z) and sampling", prior)

    if smoke and all(o.passed is not False for o in outcomes):
        def smoke_run() -> str:
            from .runner import Evaluator
            from .tasks.registry import resolve_tasks

            tasks = resolve_tasks(["reconstruction/digits", "likelihood/digits", "collapse/digits"])
            for t in tasks:
                t.params = {**t.params, **({"k": 4} if "k" in t.params else {})}
            res = Evaluator(tasks, dataset=dataset, device=device, n_bootstrap=50).run({adapter.name: adapter})
            if res.failed:
                raise AssertionError("; ".join(f"{r['task']}: {r['message']}" for r in res.failed))
            ran = sorted({r["task"] for r in res if r["status"] == "ok"})
            skipped = sorted({r["task"] for r in res.skipped})
            return f"ran {', '.join(ran) or 'nothing'}" + (f"; skipped {', '.join(skipped)} (capabilities)" if skipped else "")

        _attempt(outcomes, "smoke run of the first task families", smoke_run)
    return CheckReport(adapter.name, adapter.kind, sorted(map(str, adapter.capabilities)), dataset, outcomes)
