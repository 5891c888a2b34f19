"""What a task gets besides the adapter and the dataset: the cached encodings of the dataset and a
:class:`RunContext` (the job's seed and generator, the device, the bootstrap size, guards).

Randomness flows from one seed per job, derived per task with
``SeedSequence([seed, crc32(task name)])`` (:func:`derive_seed`), so a result does not depend on
which other tasks ran.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset, hash_arrays
from ..exceptions import ResourceLimitError
from ..types import Score
from .dataside import DatasetSideCache

__all__ = ["LatentCache", "RunContext", "derive_seed"]


def derive_seed(seed: int, task_name: str) -> np.random.SeedSequence:
    """The per-task seed sequence: ``SeedSequence([seed, crc32(task_name)])``."""
    return np.random.SeedSequence([int(seed), zlib.crc32(task_name.encode())])


class LatentCache:
    """Encodings of one model on one dataset, computed on first request and shared by every task.

    Codes are kept **by row**: a split asks only for the rows no earlier request encoded, so
    overlapping splits (an audit's ``member`` rows inside ``train``) share one encoder pass per row.
    Where one call gives both the codes and the posterior (:attr:`Adapter.codes_are_posterior_mean`:
    an ``encode`` returning ``(mean, logvar)``, a model with ``posterior`` only), asking for either
    fills both, so a VAE's encoder runs once per row. :attr:`rows_encoded` counts the rows each
    kind of call encoded (``{"z": n, "posterior": n}``).
    """

    def __init__(self, adapter: Adapter, dataset: Dataset) -> None:
        self.adapter, self.dataset = adapter, dataset
        self._pos: dict[str, np.ndarray] = {}  # kind -> position of each dataset row in the stored values (-1: none)
        self._stored: dict[str, list[np.ndarray]] = {}  # kind -> stored arrays (z: [z]; posterior: [mean, logvar])
        self._splits: dict[tuple[str, str], Any] = {}  # (kind, split) -> assembled value or the exception it raised
        self.rows_encoded: dict[str, int] = {"z": 0, "posterior": 0}
        self.seconds = 0.0

    def _shared(self) -> bool:
        return bool(getattr(self.adapter, "codes_are_posterior_mean", False))

    def _store(self, kind: str, rows: np.ndarray, values: list[np.ndarray]) -> None:
        pos = self._pos.setdefault(kind, np.full(len(self.dataset), -1, dtype=np.int64))
        old = self._stored.get(kind)
        start = 0 if old is None else len(old[0])
        self._stored[kind] = values if old is None else [np.concatenate([a, b]) for a, b in zip(old, values)]
        pos[rows] = np.arange(start, start + len(rows))

    def _missing(self, kind: str, rows: np.ndarray) -> np.ndarray:
        """The rows of ``rows`` not yet encoded for ``kind``, once each, in their first order."""
        pos = self._pos.get(kind)
        todo = rows if pos is None else rows[pos[rows] < 0]
        if len(todo) == 0:
            return todo
        _, first = np.unique(todo, return_index=True)
        return todo[np.sort(first)]

    def _encode(self, kind: str, rows: np.ndarray) -> None:
        if self._shared() and Capability.POSTERIOR in self.adapter.capabilities:
            mean, logvar = self.adapter.posterior_rows(self.dataset, rows)
            self.rows_encoded["posterior"] += len(rows)
            self._store("posterior", rows, [mean, logvar])
            pos = self._pos.get("z")
            new = np.ones(len(rows), dtype=bool) if pos is None else pos[rows] < 0
            if new.any():
                self._store("z", rows[new], [mean[new]])
            return
        if kind == "z":
            z = self.adapter.encode_rows(self.dataset, rows)
            self._store("z", rows, [z])
        else:
            self._store("posterior", rows, list(self.adapter.posterior_rows(self.dataset, rows)))
        self.rows_encoded[kind] += len(rows)

    def _memo(self, key: tuple[str, str], compute: Any) -> Any:
        """``compute()`` once per key (its time counted in :attr:`seconds`); a failure is remembered, so
        every task asking again gets the same exception at once."""
        if key not in self._splits:
            t0 = time.perf_counter()
            try:
                self._splits[key] = compute()
            except Exception as exc:
                self._splits[key] = exc
            self.seconds += time.perf_counter() - t0
        value = self._splits[key]
        if isinstance(value, Exception):
            raise value
        return value

    def _get(self, kind: str, split: str) -> Any:
        def compute() -> Any:
            rows = np.asarray(self.dataset.split(split), dtype=np.int64)
            if len(rows) == 0:  # nothing to share: whatever the adapter gives for no rows
                return (self.adapter.encode_rows(self.dataset, rows) if kind == "z"
                        else self.adapter.posterior_rows(self.dataset, rows))
            todo = self._missing(kind, rows)
            if len(todo):
                self._encode(kind, todo)
            at = self._pos[kind][rows]
            values = [a[at] for a in self._stored[kind]]
            return values[0] if kind == "z" else (values[0], values[1])

        return self._memo((kind, split), compute)

    def peek(self, kind: str, split: str) -> Any:
        """An already computed value (``"z"`` or ``"posterior"``) or ``None``; never computes."""
        value = self._splits.get((kind, split))
        if value is None and kind in self._pos:  # every row already encoded by other splits
            rows = np.asarray(self.dataset.split(split), dtype=np.int64)
            if len(rows) and (self._pos[kind][rows] >= 0).all():
                return self._get(kind, split)
        return None if isinstance(value, Exception) else value

    def latents(self, split: str) -> np.ndarray:
        """Codes of the split's rows, ``(n, latent_dim)`` (the posterior mean for probabilistic encoders)."""
        return self._get("z", split)

    def posterior_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of the dataset's ``rows`` (any rows, in their order),
        encoding only those no earlier request encoded."""
        t0 = time.perf_counter()
        rows = np.asarray(rows, dtype=np.int64)
        try:
            todo = self._missing("posterior", rows)
            if len(todo):
                self._encode("posterior", todo)
        finally:
            self.seconds += time.perf_counter() - t0
        if not len(rows):
            return self.adapter.posterior_rows(self.dataset, rows)
        at = self._pos["posterior"][rows]
        mean, logvar = self._stored["posterior"]
        return mean[at], logvar[at]

    def posterior(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of the split's rows."""
        return self._get("posterior", split)

    def latents_covered(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Which of the split's rows the model can encode (boolean, one per row) and the codes of those
        rows only, ``(n_covered, latent_dim)``; rows already encoded (by any split) are not encoded again."""
        def compute() -> tuple[np.ndarray, np.ndarray]:
            rows = np.asarray(self.dataset.split(split), dtype=np.int64)
            ok = np.asarray(self.adapter.coverage(self.dataset, rows), dtype=bool)
            covered = rows[ok]
            if not len(covered):
                return ok, np.zeros((0, self.adapter.latent_dim or 0))
            todo = self._missing("z", covered)
            if len(todo):
                self._encode("z", todo)
            return ok, self._stored["z"][0][self._pos["z"][covered]]

        return self._memo(("z-covered", split), compute)


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
                 time_limit: float | None = None, dataside: DatasetSideCache | None = None) -> None:
        self._cache = cache
        self._dataside = dataside if dataside is not None else DatasetSideCache()
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

    def dataset_side(self, kind: str, rows: np.ndarray, params: Mapping[str, Any], compute: Callable[[], Any]) -> Any:
        """A value that depends only on the dataset's ``rows`` and ``params`` (never on the model),
        computed once and shared by every model (:class:`~latentbench.tasks.dataside.DatasetSideCache`).

        The key is the dataset's fingerprint, a digest of ``rows``, the task's class and version and
        ``params``; ``compute`` must use nothing else (in particular not :attr:`rng`: a draw it made
        would be skipped on a hit, shifting every later draw).
        """
        task = self.task
        key = {"dataset": self._cache.dataset.fingerprint, "rows": hash_arrays(np.asarray(rows, dtype=np.int64)),
               "task_class": type(task).__name__, "class_version": getattr(task, "class_version", None), "params": dict(params)}
        return self._dataside.get(kind, key, compute)

    def posterior_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cached posterior (mean, log-variance) of any of the dataset's rows (encoded once per row)."""
        return self._cache.posterior_of(rows)

    def latents_covered(self, split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(covered, z)``: which of the split's rows the model can encode (a boolean per row) and the
        cached codes of the covered rows only. For tasks that handle coverage (a word model has no
        vector for a word outside its vocabulary); :meth:`latents` needs every row's code."""
        return self._cache.latents_covered(split or self.split)

    def subsample(self, n: int, limit: int) -> np.ndarray:
        """Sorted positions of a seeded subsample of at most ``limit`` of ``n`` rows, without replacement
        (all ``n`` positions when ``n <= limit``)."""
        return np.sort(self.rng.choice(n, limit, replace=False)) if n > limit else np.arange(n)

    def subsampled_rows(self, split: str, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """A seeded subsample of at most ``limit`` of a split's rows: the dataset row indices and their
        positions within the split (to index the split's codes), both sorted."""
        rows = self.rows(split)
        pos = self.subsample(len(rows), limit)
        return rows[pos], pos

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
