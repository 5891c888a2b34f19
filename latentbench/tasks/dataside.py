"""Work that depends only on the dataset, computed once and shared by every model.

The input side of the geometry tasks (input-space landmarks, their distances and persistence
diagrams, the kNN graph of the inputs, the inputs' intrinsic dimension) is the same for every model
evaluated on the same rows with the same parameters and seed. :class:`DatasetSideCache` keeps it
by a content address, a digest of the dataset's fingerprint, the rows, the task class and version,
the parameters and the draws (``key``), the way the results store keys results:

* in memory, for every model of a run;
* on disk, under ``$LATENTBENCH_HOME/dataside/`` (one ``.npz`` per entry, no pickle), for later runs.
  A file is written whole or not at all (a temporary beside it, then a rename), so concurrent
  writers of the same entry leave one complete copy; a damaged or unreadable file is recomputed and
  replaced, never trusted.

:attr:`DatasetSideCache.computed` counts the computations per kind, so a test can check that a
second model recomputes nothing.

**Shipped baseline rows.** The null baselines' job rows on the built-in suites' datasets are also
shipped inside the package (``latentbench/_dataside/``, written by ``python bench/ship_baselines.py``):
a read-only folder consulted after ``$LATENTBENCH_HOME/dataside`` misses, for ``baseline-job``
entries only, so that a first run on a fresh machine does not pay for the baselines. An entry is
found only under its full content address (the store's job key, the Python and numeric libraries'
versions, the device: see the runner), and the folder is used only while the code that computes a
baseline's numbers is byte for byte the code that wrote it (:func:`source_digest` equals the
manifest's); otherwise the baselines are computed as before. ``LATENTBENCH_SHIPPED_BASELINES=0``
turns it off; ``--force`` recomputes anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..data.base import hash_json
from ..exceptions import LatentBenchError
from ..paths import latentbench_home
from ..safeio import read_npz

__all__ = ["DatasetSideCache", "FORMAT", "SHIPPED_KINDS", "shipped_folder", "shipped_status", "source_digest"]

#: Bumped when the stored layout or any input-side computation changes meaning; part of every key.
FORMAT = 1

#: The kinds of entry read from the shipped folder (the null baselines' job rows).
SHIPPED_KINDS = frozenset({"baseline-job"})

#: The package's files that compute a baseline's rows: a change to any of them retires the shipped rows.
SOURCE_PARTS = ("metrics", "tasks", "data", "adapters", "models/baselines.py", "stats.py", "identity.py", "runner.py",
                "validation.py", "constants.py", "artifacts.py")

_PACKAGE = Path(__file__).resolve().parent.parent


def source_digest() -> str:
    """A digest of the package's Python files that compute a null baseline's rows (:data:`SOURCE_PARTS`)."""
    h = hashlib.sha256()
    for part in SOURCE_PARTS:
        root = _PACKAGE / part
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            h.update(f.relative_to(_PACKAGE).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def shipped_status(folder: str | Path | None = None) -> tuple[Path | None, str]:
    """The shipped baseline folder if it can be used, else ``None``; and why, in words."""
    folder = Path(folder) if folder is not None else _PACKAGE / "_dataside"
    if os.environ.get("LATENTBENCH_SHIPPED_BASELINES", "1").strip().lower() in ("0", "false", "no", "off"):
        return None, "turned off by LATENTBENCH_SHIPPED_BASELINES=0"
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None, f"no shipped baseline rows in {folder}"
    if manifest.get("format") != FORMAT:
        return None, f"the shipped baseline rows have format {manifest.get('format')!r}, this code reads {FORMAT}"
    if manifest.get("source_digest") != source_digest():
        return None, ("the code that computes the baselines changed since the shipped rows were written "
                      "(regenerate them: python bench/ship_baselines.py)")
    return folder, f"{manifest.get('n_entries', '?')} shipped baseline jobs, written by {manifest.get('generated_by', '?')}"


def shipped_folder() -> Path | None:
    """The shipped baseline folder, or ``None`` where it cannot be used (see :func:`shipped_status`)."""
    return shipped_status()[0]


class DatasetSideCache:
    """A content-addressed cache of dataset-side results (see the module docstring).

    Parameters
    ----------
    folder : str, Path or None, default=None
        Where entries persist; ``None`` keeps them in memory only (for this object's life).
    shipped : str, Path or None, default=None
        A read-only folder of entries of :data:`SHIPPED_KINDS` consulted after ``folder`` misses
        (the package's shipped baseline rows; see the module docstring).
    """

    def __init__(self, folder: str | Path | None = None, *, shipped: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.shipped = Path(shipped) if shipped is not None else None
        self._memory: dict[str, Any] = {}
        self.computed: Counter[str] = Counter()  # kind -> computations
        self.loaded: Counter[str] = Counter()  # kind -> entries read from disk (the home or the shipped folder)
        self.from_shipped: Counter[str] = Counter()  # kind -> entries read from the shipped folder
        self.reused: Counter[str] = Counter()  # kind -> entries served from memory

    @classmethod
    def default(cls) -> DatasetSideCache:
        """The cache under ``$LATENTBENCH_HOME/dataside``, with the package's shipped baseline rows behind it."""
        return cls(latentbench_home() / "dataside", shipped=shipped_folder())

    def peek(self, kind: str, key: Mapping[str, Any]) -> Any:
        """The value stored for ``(kind, key)`` (memory, then disk), or ``None``; never computes."""
        digest = _digest(kind, key)
        if digest in self._memory:
            self.reused[kind] += 1
            return self._memory[digest]
        path = self._path(kind, digest)
        value = _read(path) if path is not None and path.exists() else _MISSING
        if value is _MISSING and self.shipped is not None and kind in SHIPPED_KINDS:
            shipped = self.shipped / f"{kind}-{digest}.npz"
            value = _read(shipped) if shipped.exists() else _MISSING
            if value is not _MISSING:
                self.from_shipped[kind] += 1
        if value is _MISSING:
            return None
        self.loaded[kind] += 1
        self._memory[digest] = value
        return value

    def put(self, kind: str, key: Mapping[str, Any], value: Any) -> None:
        """Keep ``value`` for ``(kind, key)`` (computed by the caller; counted as a computation)."""
        digest = _digest(kind, key)
        self.computed[kind] += 1
        self._memory[digest] = value
        path = self._path(kind, digest)
        if path is not None:
            _write(path, value)

    def _path(self, kind: str, digest: str) -> Path | None:
        return self.folder / f"{kind}-{digest}.npz" if self.folder is not None else None

    def get(self, kind: str, key: Mapping[str, Any], compute: Callable[[], Any]) -> Any:
        """The value for ``(kind, key)``: from memory, from disk, or ``compute()`` (then kept).

        ``key`` must name everything the value depends on (JSON-serialisable); ``compute`` must be
        a pure function of it. Values are nested dicts, lists and tuples of arrays, numbers,
        strings, booleans and ``None``.
        """
        value = self.peek(kind, key)
        if value is None:
            value = compute()
            self.put(kind, key, value)
        return value


def _digest(kind: str, key: Mapping[str, Any]) -> str:
    return hash_json({"format": FORMAT, "kind": kind, "key": key})[:32]


# ----------------------------------------------------------------------------------------- storage
_MISSING = object()


def _pack(obj: Any, arrays: list[np.ndarray]) -> Any:
    """A JSON skeleton of ``obj`` with its arrays moved to ``arrays``."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufU":
            raise TypeError(f"dataset-side values hold numeric and string arrays only, got dtype {obj.dtype}")
        arrays.append(obj)
        return {"__array__": len(arrays) - 1}
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return {"__float__": repr(float(obj))}  # exact, NaN and inf included
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, tuple):
        return {"__tuple__": [_pack(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_pack(v, arrays) for v in obj]
    if isinstance(obj, Mapping):
        return {"__dict__": [[_pack(k, arrays), _pack(v, arrays)] for k, v in obj.items()]}
    raise TypeError(f"cannot store a {type(obj).__name__} as a dataset-side value")


def _unpack(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, list):
        return [_unpack(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[f"a{obj['__array__']}"]
        if "__float__" in obj:
            return float(obj["__float__"])
        if "__tuple__" in obj:
            return tuple(_unpack(v, arrays) for v in obj["__tuple__"])
        if "__dict__" in obj:
            return {_unpack(k, arrays): _unpack(v, arrays) for k, v in obj["__dict__"]}
        raise ValueError(f"unknown entry {sorted(obj)}")
    return obj


def _write(path: Path, value: Any) -> None:
    """Store ``value`` at ``path`` whole or not at all; a failure to write costs only the reuse."""
    arrays: list[np.ndarray] = []
    try:
        skeleton = json.dumps(_pack(value, arrays))
    except (TypeError, ValueError):  # a value that cannot be stored without pickle: kept in memory only
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, skeleton=np.frombuffer(skeleton.encode(), dtype=np.uint8), **{f"a{i}": a for i, a in enumerate(arrays)})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        pass
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read(path: Path) -> Any:
    """The value stored at ``path``, or ``_MISSING`` when the file is damaged or unreadable."""
    try:
        arrays = read_npz(path)
        return _unpack(json.loads(arrays.pop("skeleton").tobytes().decode()), arrays)
    except (LatentBenchError, OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return _MISSING
