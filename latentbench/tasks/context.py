"""What a task gets besides the adapter and the dataset: the cached encodings of the dataset and a
:class:`RunContext` (the job's seed and generator, the device, the bootstrap size, guards).

Randomness flows from one seed per job, derived per task with
``SeedSequence([seed, crc32(task name)])`` (:func:`derive_seed`), so a result does not depend on
which other tasks ran.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import numpy as np

from ..adapters import Adapter
from ..data.base import Dataset
from ..exceptions import ResourceLimitError
from ..types import Score

__all__ = ["LatentCache", "RunContext", "derive_seed"]


def derive_seed(seed: int, task_name: str) -> np.random.SeedSequence:
    """The per-task seed sequence: ``SeedSequence([seed, crc32(task_name)])``."""
    return np.random.SeedSequence([int(seed), zlib.crc32(task_name.encode())])


class LatentCache:
    """Encodings of one model on one dataset, computed on first request and shared by every task."""

    def __init__(self, adapter: Adapter, dataset: Dataset) -> None:
        self.adapter, self.dataset = adapter, dataset
        self._values: dict[tuple[str, str], Any] = {}
        self.seconds = 0.0

    def _get(self, kind: str, split: str, compute: Any) -> Any:
        key = (kind, split)
        if key not in self._values:
            t0 = time.perf_counter()
            try:
                self._values[key] = compute(self.dataset.split(split))
            except Exception as exc:  # remember the failure: every task asking again gets it at once
                self._values[key] = exc
            self.seconds += time.perf_counter() - t0
        value = self._values[key]
        if isinstance(value, Exception):
            raise value
        return value

    def peek(self, kind: str, split: str) -> Any:
        """An already computed value (``"z"`` or ``"posterior"``) or ``None``; never computes."""
        value = self._values.get((kind, split))
        return None if isinstance(value, Exception) else value

    def latents(self, split: str) -> np.ndarray:
        """Codes of the split's rows, ``(n, latent_dim)`` (the posterior mean for probabilistic encoders)."""
        return self._get("z", split, lambda rows: self.adapter.encode_rows(self.dataset, rows))

    def posterior(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of the split's rows."""
        return self._get("posterior", split, lambda rows: self.adapter.posterior_rows(self.dataset, rows))

    def latents_covered(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Which of the split's rows the model can encode (boolean, one per row) and the codes of those
        rows only, ``(n_covered, latent_dim)``; the codes of every row when they are already computed."""

        def compute(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ok = self.adapter.coverage(self.dataset, rows)
            full = self.peek("z", split)
            if full is not None:
                return ok, full[ok]
            if not ok.any():
                return ok, np.zeros((0, self.adapter.latent_dim or 0))
            z = self.adapter.encode_rows(self.dataset, rows[ok])
            if ok.all():  # every row covered: the same encoding serves latents() too
                self._values[("z", split)] = z
            return ok, z

        return self._get("z-covered", split, compute)


class RunContext:
    """What a task gets besides the adapter and the dataset.

    Attributes
    ----------
    split : str
        The split the task scores (``test`` unless the task says otherwise).
    seed : int
        The job's seed; ``rng`` is derived from it and the task's name.
    rng : numpy.random.Generator
    device : str
    n_bootstrap : int
        Resamples for bootstrap intervals.
    """

    def __init__(self, *, cache: LatentCache, task: Any, seed: int, device: str, n_bootstrap: int = 1000,
                 time_limit: float | None = None) -> None:
        self._cache = cache
        self.task = task
        self.split = task.split
        self.seed = seed
        self.seed_sequence = derive_seed(seed, task.name)
        self.rng = np.random.default_rng(self.seed_sequence)
        self.device = device
        self.n_bootstrap = n_bootstrap
        self.time_limit = time_limit
        self._started = time.perf_counter()

    def rows(self, split: str | None = None) -> np.ndarray:
        """Row indices of a split (default: the task's)."""
        return self._cache.dataset.split(split or self.split)

    def latents(self, split: str | None = None) -> np.ndarray:
        """The cached codes of a split."""
        return self._cache.latents(split or self.split)

    def posterior(self, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The cached posterior (mean, log-variance) of a split."""
        return self._cache.posterior(split or self.split)

    def latents_covered(self, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(covered, z)``: which of the split's rows the model can encode (a boolean per row) and the
        cached codes of the covered rows only. For tasks that handle coverage (a word model has no
        vector for a word outside its vocabulary); :meth:`latents` needs every row's code."""
        return self._cache.latents_covered(split or self.split)

    def subsample(self, n: int, limit: int) -> np.ndarray:
        """Sorted positions of a seeded subsample of at most ``limit`` of ``n`` rows, without replacement
        (all ``n`` positions when ``n <= limit``)."""
        return np.sort(self.rng.choice(n, limit, replace=False)) if n > limit else np.arange(n)

    def torch_generator(self) -> Any:
        """A ``torch.Generator`` on the context's device, seeded from the job's seed."""
        import torch

        g = torch.Generator(device=self.device)
        g.manual_seed(int(self.seed_sequence.generate_state(1, dtype=np.uint64)[0] % (2**63)))
        return g

    def mean_score(self, values: np.ndarray) -> Score:
        """Mean of per-example values with a bootstrap interval (the per-example values are kept)."""
        return Score.mean_of(values, rng=self.rng, n_resamples=self.n_bootstrap)

    def guard_size(self, n: int, limit: int, what: str, param: str) -> None:
        """Raise :class:`ResourceLimitError` when ``n`` exceeds ``limit``, naming the parameter that sets it."""
        if n > limit:
            raise ResourceLimitError(f"{self.task.name}: {what} would have {n} points, more than the limit {limit}; "
                                     f"set the task parameter {param!r} to at most {limit}")

    def check_time(self) -> None:
        """Raise :class:`ResourceLimitError` when the task has run past the per-task time limit."""
        if self.time_limit is not None and time.perf_counter() - self._started > self.time_limit:
            raise ResourceLimitError(f"{self.task.name} ran past its time limit of {self.time_limit:.0f} s; "
                                     f"raise --time-limit or lower the task's sample sizes")
