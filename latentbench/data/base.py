"""The :class:`Dataset` container: arrays for one named, versioned data set, with splits.

Images are kept compact (``uint8`` or bit-packed) and converted to float32 per batch, so the
full 737,280-image ``shapes`` grid fits in memory (377 MB bit-packed, 3 GB as uint8, 12 GB as
float32). Every dataset and every split has a fingerprint that goes into the results store.

A dataset's rows are input arrays (``x``), **items** (``items``: one string per row, a word or a
sentence, encoded by text models), or both (a future image-text dataset). Tables that are not
one value per row (analogy questions, word pairs with human scores) travel in ``tables``, as
integer indices into the rows and numbers, fingerprinted with the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..exceptions import InputValidationError, NotApplicableError
from ..validation import check_consistent_length, check_items

__all__ = ["Dataset", "FIELDS", "INPUT_KINDS", "make_splits", "hash_arrays", "hash_json"]

#: Optional per-row fields a dataset may carry, and what tasks can ``require`` (beside ``items`` and
#: the names of the dataset's ``tables``).
FIELDS: tuple[str, ...] = ("labels", "factors", "sensitive", "domain", "is_anomaly")

#: What a dataset's rows can be for a model: input arrays (``x``) or items (``items``, strings).
INPUT_KINDS: tuple[str, ...] = ("arrays", "items")

#: Parameters and metadata that name where a file lies, not what it holds: left out of the fingerprint.
_PATH_KEYS = frozenset({"path", "source", "auxiliary_file"})

Storage = Literal["float", "uint8", "bits"]
Kind = Literal["binary", "unit", "real"]


def hash_json(obj: Any) -> str:
    """A stable SHA-256 hex digest of a JSON-serialisable object (sorted keys)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def hash_arrays(*arrays: np.ndarray | None) -> str:
    """A BLAKE2b hex digest of arrays' dtypes, shapes and bytes (``None`` entries count too)."""
    h = hashlib.blake2b(digest_size=32)
    for a in arrays:
        if a is None:
            h.update(b"<none>")
            continue
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _integer_codes(values: Any, field_name: str, dataset: str) -> np.ndarray | None:
    """A per-row field as int64 codes: integers, booleans and floats with integral values are
    accepted; anything else (0.5, complex, strings) is refused instead of being truncated."""
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.dtype.kind in "biu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        bad = ~finite | (arr != np.round(np.where(finite, arr, 0.0)))
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InputValidationError(
                f"dataset {dataset!r}: {field_name!r} must hold integer codes (classes, groups, factor values), got "
                f"{arr[first]!r} at index {first}; encode them with np.unique(values, return_inverse=True)[1]")
        return arr.astype(np.int64)
    raise InputValidationError(f"dataset {dataset!r}: {field_name!r} must hold integer codes, got dtype {arr.dtype}; "
                               f"encode them with np.unique(values, return_inverse=True)[1]")


def make_splits(n: int, *, seed: int = 0, test_fraction: float = 0.1) -> dict[str, np.ndarray]:
    """Seeded train/test row indices (each sorted); the test split holds ``round(n * test_fraction)`` rows."""
    if not 0.0 < test_fraction < 1.0:
        raise InputValidationError(f"'test_fraction' must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5917]))
    perm = rng.permutation(n)
    n_test = max(1, int(round(n * test_fraction)))
    return {"train": np.sort(perm[n_test:]), "test": np.sort(perm[:n_test])}


@dataclass(eq=False)
class Dataset:
    """Arrays for one named, versioned data set.

    Parameters
    ----------
    name : str
        The registered name (or the file's name for a dataset loaded from disk).
    x : ndarray of shape (n_samples, ...), optional
        Observations in compact storage (see ``storage``). A dataset of items alone has none:
        :meth:`get_x` then raises :class:`~latentbench.exceptions.NotApplicableError`, which the
        runner records as a skip (the task reads input arrays this dataset does not have).
    obs_shape : tuple of int
        The shape of one observation as models see it: ``(c, h, w)`` for images, ``(d,)`` for
        vectors; ``()`` for a dataset of items alone.
    kind : {"binary", "unit", "real"}
        Binary values in {0, 1} (Bernoulli likelihoods are real likelihoods), values in [0, 1], or any reals.
    storage : {"float", "uint8", "bits"}, default="float"
        ``float``: float32 values as they are; ``uint8``: values ``/ 255``; ``bits``: 0/1 values
        bit-packed along the flattened observation (``np.packbits``).
    version : int
        Bumped whenever the generator or loader changes what it produces.
    params : dict
        The generator's parameters (seed included); with ``name`` and ``version`` they make the fingerprint.
    factors : ndarray of shape (n_samples, n_factors), optional
        Integer ground-truth generative factors, with ``factor_names`` and ``factor_sizes``.
    labels, sensitive, domain, is_anomaly : ndarray of shape (n_samples,), optional
        Class labels, a protected attribute, a domain index, an anomaly flag.
    splits : dict of str to ndarray
        Row indices of each split (``train``, ``test``; audits add ``auxiliary``, ``member``, ``non_member``).
    metadata : dict
        Known properties (intrinsic dimension, Betti numbers, factor grid...). ``data_range``: the
        span of the values (PSNR uses it; ``binary`` and ``unit`` data have 1, a ``real`` dataset
        without it gets no PSNR).
    grid_index : ndarray of shape (n_samples,), optional
        For a subset of a full factorial grid, each row's index in the full grid.
    items : sequence of str of length n_samples, optional
        One item per row (a word, a sentence) that text models encode (:meth:`get_items`); stored as
        a 1-D unicode array. A dataset has ``x``, ``items`` or both (:attr:`inputs`).
    tables : dict of str to ndarray, optional
        Named arrays that are not one value per row: analogy questions as ``(m, 4)`` row indices, word
        pairs as ``(m, 2)`` row indices with their human scores, ... (:meth:`table`). Their names count
        as fields a task can ``require``.
    """

    name: str
    x: np.ndarray | None = None
    obs_shape: tuple[int, ...] = ()
    kind: Kind = "real"
    storage: Storage = "float"
    version: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    factors: np.ndarray | None = None
    factor_names: tuple[str, ...] = ()
    factor_sizes: tuple[int, ...] = ()
    labels: np.ndarray | None = None
    sensitive: np.ndarray | None = None
    domain: np.ndarray | None = None
    is_anomaly: np.ndarray | None = None
    splits: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    grid_index: np.ndarray | None = None
    items: np.ndarray | None = None
    tables: dict[str, np.ndarray] = field(default_factory=dict)
    _fingerprint: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.obs_shape = tuple(int(s) for s in self.obs_shape)
        if self.x is None and self.items is None:
            raise InputValidationError(f"dataset {self.name!r} has neither 'x' (input arrays) nor 'items' (strings); give one of them")
        if self.items is not None:
            self.items = check_items(self.items, f"dataset {self.name!r}: items")
        check_consistent_length(
            x=self.x, items=self.items, factors=self.factors, labels=self.labels, sensitive=self.sensitive,
            domain=self.domain, is_anomaly=self.is_anomaly, grid_index=self.grid_index,
        )
        tables = {}
        for key, value in dict(self.tables).items():
            arr = np.asarray(value)
            if not isinstance(key, str) or not key or key in FIELDS or key in ("x", "items"):
                raise InputValidationError(f"dataset {self.name!r}: table name {key!r} must be a new non-empty string "
                                           f"(not 'x', 'items' or one of {FIELDS})")
            if arr.dtype.kind not in "biuf":
                raise InputValidationError(f"dataset {self.name!r}: table {key!r} must hold numbers (row indices, scores), "
                                           f"got dtype {arr.dtype}")
            tables[key] = arr
        self.tables = tables
        for f in FIELDS:
            setattr(self, f, _integer_codes(getattr(self, f), f, self.name))
        if self.factors is not None:
            if self.factors.ndim != 2:
                raise InputValidationError(f"dataset {self.name!r}: factors must be 2-D, got shape {self.factors.shape}")
            k = self.factors.shape[1]
            if not self.factor_names:
                self.factor_names = tuple(f"factor{i}" for i in range(k))
            if not self.factor_sizes:
                self.factor_sizes = tuple(int(v) + 1 for v in self.factors.max(axis=0))
            if len(self.factor_names) != k or len(self.factor_sizes) != k:
                raise InputValidationError(
                    f"dataset {self.name!r}: {k} factors but {len(self.factor_names)} names and {len(self.factor_sizes)} sizes"
                )
        n = len(self)
        for split, rows in self.splits.items():
            rows = np.asarray(rows, dtype=np.int64)
            if rows.size and (rows.min() < 0 or rows.max() >= n):
                raise InputValidationError(f"dataset {self.name!r}: split {split!r} has rows outside [0, {n})")
            self.splits[split] = rows
        if not self.splits:
            self.splits = make_splits(n, seed=int(self.params.get("seed", 0)))

    # ------------------------------------------------------------------ sizes and fields
    def __len__(self) -> int:
        return len(self.x) if self.x is not None else len(self.items)  # type: ignore[arg-type]

    @property
    def inputs(self) -> frozenset[str]:
        """What the rows are for a model: ``{"arrays"}`` (``x``), ``{"items"}`` (strings) or both."""
        return frozenset(k for k, v in (("arrays", self.x), ("items", self.items)) if v is not None)

    @property
    def n_features(self) -> int:
        """Number of values in one flattened observation."""
        return int(np.prod(self.obs_shape))

    @property
    def fields(self) -> frozenset[str]:
        """The optional fields this dataset carries (see :data:`FIELDS`), ``items`` when it has items, and
        the names of its tables."""
        return frozenset([*(f for f in FIELDS if getattr(self, f) is not None),
                          *(["items"] if self.items is not None else []), *self.tables])

    def missing(self, required: Iterable[str]) -> list[str]:
        """The required fields this dataset lacks."""
        return [f for f in required if f not in self.fields]

    # ------------------------------------------------------------------ observations
    def get_x(self, rows: np.ndarray | slice | None = None, *, flat: bool = False) -> np.ndarray:
        """Observations as float32, shape ``(len(rows), *obs_shape)`` (or ``(len(rows), n_features)`` if ``flat``).

        Raises
        ------
        NotApplicableError
            For a dataset of items alone (no input arrays); the runner records a skip with the reason.
        """
        if self.x is None:
            raise NotApplicableError(f"dataset {self.name!r} holds items (strings), not input arrays: this task reads the "
                                     f"inputs x, which an items dataset does not have")
        raw = self.x if rows is None else self.x[rows]
        m = len(raw)
        if self.storage == "bits":
            out = np.unpackbits(raw.reshape(m, -1), axis=1, count=self.n_features).astype(np.float32)
        elif self.storage == "uint8":
            out = raw.astype(np.float32) * np.float32(1.0 / 255.0)
        else:
            out = np.asarray(raw, dtype=np.float32)
        return out.reshape((m, -1) if flat else (m, *self.obs_shape))

    def iter_x(self, rows: np.ndarray, batch_size: int = 1024, *, flat: bool = False) -> Iterator[np.ndarray]:
        """Yield float32 observation batches for ``rows`` in order."""
        for start in range(0, len(rows), batch_size):
            yield self.get_x(rows[start : start + batch_size], flat=flat)

    def get_items(self, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """The items (strings) of ``rows`` (all rows when ``None``), a 1-D unicode array.

        Raises
        ------
        NotApplicableError
            For a dataset without items (input arrays only).
        """
        if self.items is None:
            raise NotApplicableError(f"dataset {self.name!r} holds input arrays, not items (strings): this needs a dataset "
                                     f"of words or sentences")
        return self.items if rows is None else self.items[rows]

    def table(self, name: str) -> np.ndarray:
        """One of the dataset's tables (see the class docstring)."""
        try:
            return self.tables[name]
        except KeyError:
            raise InputValidationError(f"dataset {self.name!r} has no table {name!r}; it has {sorted(self.tables) or 'none'}") from None

    def split(self, name: str) -> np.ndarray:
        """Row indices of split ``name``."""
        try:
            return self.splits[name]
        except KeyError:
            raise InputValidationError(
                f"dataset {self.name!r} has no split {name!r}; it has {sorted(self.splits)}"
            ) from None

    def field(self, name: str, split: str | None = None) -> np.ndarray:
        """A per-row field (``labels``, ``factors``...), optionally restricted to a split."""
        value = self.tables.get(name) if name in self.tables else getattr(self, name, None) if name in (*FIELDS, "items") else None
        if value is None:
            raise InputValidationError(f"dataset {self.name!r} has no {name!r}; it has {sorted(self.fields)}")
        return value if split is None else value[self.split(split)]

    # ------------------------------------------------------------------ fingerprints
    @property
    def fingerprint(self) -> str:
        """A 16-hex-digit identifier of everything this dataset holds.

        Every array (observations, items, tables, factors, labels, sensitive attribute, domain, anomaly
        flags, grid indices), every split's name and rows, the observation shape, kind and storage, the
        factor names and sizes, and the version, parameters and metadata (file paths excepted; the name is not part of it,
        so one file copied under two names is one dataset): two datasets that differ in any of them differ. Computed once per object (a
        :class:`Dataset` is not modified after construction; derive a new one instead).
        """
        if self._fingerprint is None:
            from ..identity import combine_digests, state_digest

            arrays = hash_arrays(self.x, self.factors, self.labels, self.sensitive, self.domain, self.is_anomaly,
                                 self.grid_index)
            if self.items is not None or self.tables:  # only then: every earlier dataset keeps its fingerprint
                arrays = hash_arrays(np.array(arrays), self.items,
                                     *(a for name in sorted(self.tables) for a in (np.array(name), self.tables[name])))
            splits = hash_arrays(*(a for name in sorted(self.splits) for a in (np.array(name), self.splits[name])))
            params = {k: v for k, v in self.params.items() if k not in _PATH_KEYS}
            described = state_digest({"version": self.version, "params": params,
                                      "obs_shape": self.obs_shape, "kind": self.kind, "storage": self.storage,
                                      "factor_names": list(self.factor_names), "factor_sizes": list(self.factor_sizes),
                                      "metadata": {k: v for k, v in self.metadata.items() if k not in _PATH_KEYS}})
            self._fingerprint = combine_digests("dataset", arrays, splits, described)
        return self._fingerprint

    def split_fingerprint(self, split: str) -> str:
        """A 16-hex-digit identifier of the dataset and one split's rows."""
        return hash_json({"dataset": self.fingerprint, "split": split, "rows": hash_arrays(self.split(split))})[:16]

    def limited(self, n: int) -> "Dataset":
        """This dataset with every split cut to its first ``n`` rows (``run --limit``, lm-eval's ``--limit``).

        The rows and tables are unchanged; the splits, the parameters (``limit``) and so the
        fingerprint differ, and ``metadata["limited_from"]`` names this dataset's fingerprint (a model
        trained on this draw may still be scored: its test rows stay held out).
        """
        import dataclasses

        n = int(n)
        if n < 1:
            raise InputValidationError(f"'limit' must be an integer >= 1, got {n}")
        return dataclasses.replace(self, splits={k: np.asarray(v)[:n] for k, v in self.splits.items()},
                                   params={**self.params, "limit": n},
                                   metadata={**self.metadata, "limited_from": self.fingerprint}, _fingerprint=None)

    def describe(self) -> Mapping[str, Any]:
        """A small JSON-able description (name, version, sizes, fields, splits, fingerprint)."""
        return {
            "name": self.name, "version": self.version, "params": self.params, "n": len(self),
            "obs_shape": list(self.obs_shape), "kind": self.kind, "inputs": sorted(self.inputs), "fields": sorted(self.fields),
            "tables": {k: list(v.shape) for k, v in self.tables.items()},
            "splits": {k: int(len(v)) for k, v in self.splits.items()}, "fingerprint": self.fingerprint,
            "factor_names": list(self.factor_names), "factor_sizes": list(self.factor_sizes),
            "metadata": self.metadata,
        }

    def __repr__(self) -> str:
        fields = ",".join(sorted(self.fields)) or "-"
        if self.x is None:
            return (f"Dataset({self.name!r}, n={len(self)}, items, fields={fields}, "
                    f"splits={ {k: len(v) for k, v in self.splits.items()} })")
        return (f"Dataset({self.name!r}, n={len(self)}, obs_shape={self.obs_shape}, kind={self.kind!r}, "
                f"fields={fields}, splits={ {k: len(v) for k, v in self.splits.items()} })")
