"""``latentbench check``: is a model's adapter sound before a long run?

Like scikit-learn's ``check_estimator`` and MTEB's ``mock_run``: shape, finiteness, determinism,
batch consistency, input immutability and every declared capability are checked on a few rows
of a dataset, then a smoke run of the first task families. Each check says in plain words what
is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .adapters import Adapter, Capability, PrecomputedAdapter, adapt
from .data import load_dataset
from .exceptions import LatentBenchError

__all__ = ["CHECKS", "CheckContext", "CheckOutcome", "CheckReport", "NotApplicable", "check", "run_check"]


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

    @property
    def smoke_ran(self) -> bool | None:
        """Whether the smoke run ran a task: ``None`` when it was not asked for (``smoke=False``) or not reached."""
        smoke = [o for o in self.outcomes if o.name == SMOKE_CHECK]
        return None if not smoke else smoke[0].passed is True

    def verdict(self) -> str:
        """The last line of :meth:`to_text`: never "all checks passed" when the smoke run ran nothing."""
        if not self.passed:
            return f"{len(self.failures())} check(s) failed"
        if self.smoke_ran is False:
            return "the checks that apply passed, but the smoke run ran no task (see its line): nothing was measured"
        return "all checks passed" + ("" if self.smoke_ran else " (no smoke run)")

    def to_text(self) -> str:
        lines = [f"model {self.model!r}: {self.adapter} adapter with {', '.join(self.capabilities)}; checked on {self.dataset!r}"]
        for o in self.outcomes:
            mark = {True: "ok  ", False: "FAIL", None: "n/a "}[o.passed]
            lines.append(f"  [{mark}] {o.name}" + (f": {o.message}" if o.message else ""))
        lines.append(self.verdict())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


class NotApplicable(Exception):
    """Raised by a check that does not apply to this model (a capability it does not declare)."""


@dataclass
class CheckContext:
    """What every check sees: the adapter, the dataset, the checked rows and their inputs, the
    tolerance, and ``state`` where earlier checks leave what later ones use (``z``, ``mean``, ``logvar``)."""

    adapter: Adapter
    data: Any
    rows: np.ndarray
    x: np.ndarray
    tol: float
    device: str = "cpu"
    dataset_ref: str = "digits"  # how the dataset was named (a registered name, ``name[k=v]`` or an .npz path)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def precomputed(self) -> bool:
        return isinstance(self.adapter, PrecomputedAdapter)

    def encode(self) -> np.ndarray:
        return self.adapter.encode_rows(self.data, self.rows) if self.precomputed else self.adapter.encode(self.x)


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol))


# ---------------------------------------------------------------------------------------- the checks
def check_binds(c: CheckContext) -> str:
    """The adapter accepts the dataset (the kind of its rows, sizes, output conventions)."""
    mismatch = c.adapter.input_mismatch(c.data)
    if mismatch:
        raise AssertionError(f"{mismatch}; check it on a dataset of the kind it encodes")
    c.adapter.bind(c.data)
    covered = c.state.get("coverage")
    return f"latent_dim={c.adapter.latent_dim}" + (f"; encodes {covered[0]} of the {covered[1]} test items" if covered else "")


def check_encode(c: CheckContext) -> str:
    """``encode`` returns one finite row per input and leaves its input untouched."""
    if c.adapter.input_mismatch(c.data):
        raise NotApplicable("the model does not encode this dataset's kind of rows")
    x_copy = c.x.copy()
    z = c.encode()
    if z.shape[0] != len(c.rows):
        raise AssertionError(f"encode returned {z.shape[0]} rows for {len(c.rows)} inputs")
    if not c.precomputed and not np.array_equal(c.x, x_copy):
        raise AssertionError("encode changed its input array in place; copy before modifying")
    c.state["z"] = z
    return f"shape {z.shape}, finite"


def check_deterministic(c: CheckContext) -> str | None:
    """Two encodings of the same input agree (eval mode, no sampling)."""
    if "z" not in c.state:
        raise NotApplicable("encode failed")
    z2 = c.encode()
    if not _close(c.state["z"], z2, c.tol):
        raise AssertionError(f"two encodings of the same input differ by up to {np.abs(c.state['z'] - z2).max():.3g}; "
                             "put the model in eval mode (dropout, batch norm) or use the posterior mean")
    return None


def check_batch_consistent(c: CheckContext) -> str | None:
    """Codes do not depend on the batch a row is in (no batch statistics leak across rows)."""
    if "z" not in c.state or c.precomputed:
        raise NotApplicable("precomputed latents" if c.precomputed else "encode failed")
    old = c.adapter.batch_size
    try:
        c.adapter.batch_size = 5
        z_small = c.adapter.encode(c.x)
    finally:
        c.adapter.batch_size = old
    z_one = c.adapter.encode(c.x[:1])
    if not _close(c.state["z"], z_small, c.tol) or not _close(c.state["z"][:1], z_one, c.tol):
        diff = max(np.abs(c.state["z"] - z_small).max(), np.abs(c.state["z"][:1] - z_one).max())
        raise AssertionError(f"codes depend on the batch (up to {diff:.3g} apart); batch statistics leak across rows")
    return None


def check_posterior(c: CheckContext) -> str:
    """``posterior`` gives (mean, logvar) whose mean equals the codes ``encode`` gives."""
    if not c.adapter.has(Capability.POSTERIOR):
        raise NotApplicable("no posterior declared")
    mean, logvar = c.adapter.posterior_rows(c.data, c.rows)
    if "z" in c.state and not _close(mean, c.state["z"], 1e-4):
        raise AssertionError("posterior mean differs from encode(x); encode should return the posterior mean")
    c.state["mean"], c.state["logvar"] = mean, logvar
    return f"mean and logvar {mean.shape}"


def check_decode(c: CheckContext) -> str:
    """``decode`` returns one reconstruction of the input's size per code."""
    if not c.adapter.has(Capability.DECODE):
        raise NotApplicable("no decoder declared")
    if "z" not in c.state:
        raise NotApplicable("encode failed")
    x_hat = c.adapter.decode(c.state["z"])
    if x_hat.shape != (len(c.rows), c.data.n_features):
        raise AssertionError(f"decode returned {x_hat.shape}; expected ({len(c.rows)}, {c.data.n_features}) (or the input's shape)")
    return f"shape {x_hat.shape}"


def check_likelihood(c: CheckContext) -> str:
    """``log_likelihood`` gives a finite log p(x|z) per row (at most 0 for a Bernoulli likelihood)."""
    if not c.adapter.has(Capability.LIKELIHOOD):
        raise NotApplicable("no likelihood declared")
    z = c.state.get("mean", c.state.get("z"))
    if z is None:
        raise NotApplicable("encode failed")
    ll = c.adapter.log_likelihood(c.x, z)
    if c.adapter.likelihood == "bernoulli" and (ll > 1e-6).any():
        raise AssertionError("a Bernoulli log-likelihood above 0 is impossible")
    return f"log p(x|z) per row, mean {ll.mean():.4g} nats ({c.adapter.likelihood or 'family not named: set model.likelihood'})"


def check_prior(c: CheckContext) -> str:
    """``log_prior`` is finite and samples from the prior have the codes' width."""
    if not c.adapter.has(Capability.PRIOR):
        raise NotApplicable("no prior declared")
    z = c.state.get("z")
    if z is None:
        raise NotApplicable("encode failed")
    lp = c.adapter.log_prior(z)
    samples = c.adapter.sample_prior(8, np.random.default_rng(0))
    if samples.shape[1] != z.shape[1]:
        raise AssertionError(f"prior samples have {samples.shape[1]} dimensions, codes have {z.shape[1]}")
    return f"log p(z) finite (mean {lp.mean():.4g}); sampling works"


#: The tasks the smoke run runs (the first families), on the checked dataset.
SMOKE_TASKS = ("reconstruction/digits", "likelihood/digits", "collapse/digits")


def check_smoke_run(c: CheckContext) -> str:
    """The first task families run on the dataset through the runner (an in-memory store)."""
    from .runner import Evaluator
    from .tasks.registry import resolve_tasks

    if c.data.x is None:
        raise NotApplicable(f"the smoke tasks read input arrays; dataset {c.data.name!r} holds items")
    tasks = resolve_tasks(list(SMOKE_TASKS))
    for t in tasks:
        t.params = {**t.params, **({"k": 4} if "k" in t.params else {})}
    # no progress bar: the verdict is printed after this returns, and a bar drawn here must not trail it
    res = Evaluator(tasks, dataset=c.dataset_ref, device=c.device, n_bootstrap=50, progress=False).run({c.adapter.name: c.adapter})
    if res.failed:
        raise AssertionError("; ".join(f"{r['task']}: {r['message']}" for r in res.failed))
    ran = sorted({r["task"] for r in res if r["status"] == "ok"})
    skipped = sorted({r["task"] for r in res.skipped})
    if not ran:
        raise AssertionError(f"no task ran: skipped {', '.join(skipped)}: " + "; ".join(sorted({str(r['message']) for r in res.skipped})))
    return f"ran {', '.join(ran)}" + (f"; skipped {', '.join(skipped)} (capabilities)" if skipped else "")


#: The name of the smoke run's line in the report.
SMOKE_CHECK = "smoke run of the first task families"

#: Every check, in order: (name shown in the report, function).
CHECKS: tuple[tuple[str, Callable[[CheckContext], str | None]], ...] = (
    ("binds to the dataset", check_binds),
    ("encode: shape, finite values, input untouched", check_encode),
    ("encode is deterministic", check_deterministic),
    ("encode is batch-consistent", check_batch_consistent),
    ("posterior: (mean, logvar), mean equals encode", check_posterior),
    ("decode: output matches the input size", check_decode),
    ("likelihood: log p(x|z) per row, finite", check_likelihood),
    ("prior: log p(z) and sampling", check_prior),
)


def run_check(name: str, fn: Callable[[CheckContext], str | None], context: CheckContext) -> CheckOutcome:
    """One check's outcome: passed, failed with a plain-words message, or not applicable."""
    try:
        return CheckOutcome(name, True, fn(context) or "")
    except NotApplicable as exc:
        return CheckOutcome(name, None, str(exc))
    except Exception as exc:  # every failure becomes a plain-words line
        plain = isinstance(exc, (LatentBenchError, AssertionError))
        return CheckOutcome(name, False, str(exc) if plain else f"{type(exc).__name__}: {exc}")


def check(model: Any, *, dataset: str | None = None, n: int = 32, tol: float = 1e-5, smoke: bool = True,
          device: str = "cpu", name: str | None = None) -> CheckReport:
    """Run the conformance checks on ``model`` and return a report (``report.passed``, ``print(report)``).

    The checks are the module-level functions in :data:`CHECKS` (each takes a
    :class:`CheckContext`), then :func:`check_smoke_run` when every other check passed.

    Parameters
    ----------
    model : object
        Anything :func:`latentbench.adapt` accepts, or a model string (``ref:vae``, ``pkg.mod:factory``, ``latents.npz``).
    dataset : str, optional
        The dataset whose rows are fed to the model (it must accept that input shape); by default
        ``digits`` for a model of input arrays and ``wordsim353`` for a text model. For a word model,
        the checks use the first ``n`` test items it can encode.
    n : int, default=32
        Rows used by the checks.
    tol : float, default=1e-5
        Tolerance for determinism and batch consistency.
    smoke : bool, default=True
        Also run the reconstruction, likelihood and collapse tasks on the dataset; a smoke run in
        which no task could run fails the check.
    device : str, default="cpu"
    name : str, optional
        A display name for the model.
    """
    if isinstance(model, str):
        from .models.loader import load_model

        model = load_model(model, device=device, dataset=dataset)
    adapter: Adapter = adapt(model, name=name, device=device)
    if dataset is None:
        dataset = "digits" if "arrays" in adapter.inputs else "wordsim353"
    data = load_dataset(dataset)
    rows = data.split("test")[:n]
    coverage = None
    if adapter.input_kind(data) == "items" and not isinstance(adapter, PrecomputedAdapter):
        covered = adapter.coverage(data, data.split("test"))
        rows = data.split("test")[covered][:n]
        coverage = (int(covered.sum()), len(covered))
        x = data.get_items(rows)
    else:
        x = data.get_x(rows) if data.x is not None else data.get_items(rows)
    context = CheckContext(adapter, data, rows, x, tol, device, dataset)
    if coverage is not None:
        context.state["coverage"] = coverage
    outcomes = [run_check(check_name, fn, context) for check_name, fn in CHECKS]
    if smoke and all(o.passed is not False for o in outcomes):
        outcomes.append(run_check(SMOKE_CHECK, check_smoke_run, context))
    return CheckReport(adapter.name, adapter.kind, sorted(map(str, adapter.capabilities)), dataset, outcomes)
