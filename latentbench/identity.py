"""Identity of models and datasets: what a result's key says it was computed from.

A result is keyed by the model's identity on a dataset and by the dataset's fingerprint (see
:mod:`latentbench.store`), so two models that compute different codes must never share a key,
and a model whose weights change must get a new one. Identity scheme 2 (this module) builds a
model's identity from three parts:

1. **its state**: everything the model object reaches, hashed by :func:`state_digest` (arrays
   and tensors by value; torch modules by their parameters, buffers, plain attributes and the
   source of their classes; functions by their code, defaults, closure cells and the module-level
   objects they read; scikit-learn estimators with ``joblib.hash``, the whole fitted object);
2. **the dataset it is bound to** (:meth:`latentbench.data.base.Dataset.fingerprint`, which covers
   every array and every split);
3. **a behavioural probe**: the model's codes on a fixed batch of that dataset's rows
   (:func:`probe_rows`), computed under fixed seeds (NumPy's global generator, Python's
   ``random`` and torch's generators are seeded, then restored), so a model whose encoder samples
   or leaves dropout on gets the same identity on every run, and two models whose state hashes
   agree but whose codes differ still differ.

A **non-deterministic encoder** is one whose probe codes differ between two calls under the same
seeds (randomness the seeds do not reach, such as ``os.urandom`` or an unseeded generator
object). Its identity then rests on its state and the dataset alone: it is stable across runs (so
a rerun resumes) and differs from every model with another state; the model's stored description
says ``"probe": "nondeterministic"`` and a warning is emitted once per model and dataset.

Identities are 16 hex digits (64 bits of BLAKE2b): collisions between distinct models are
impossible in practice (about 1 in 10^19 per pair).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import random
import sys
import sysconfig
import types
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["IDENTITY_SCHEME", "PROBE_ROWS", "combine_digests", "probe_codes", "probe_rows", "state_digest"]

#: Version of the identity scheme; stored with every result row (``key_scheme``). Rows keyed under
#: another scheme are never served to a lookup, and reports show them as stale.
IDENTITY_SCHEME = 2

#: Rows of the probe batch (drawn once per dataset with a fixed seed).
PROBE_ROWS = 16

_PROBE_SEED = 0x1DE7
_MAX_DEPTH = 200


def combine_digests(*parts: Any) -> str:
    """A 16-hex-digit BLAKE2b digest of string parts (the identity scheme is always the first)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"scheme{IDENTITY_SCHEME}".encode())
    for p in parts:
        b = str(p).encode()
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------- state
#: latentbench modules whose classes are models (the reference architectures): hashed by their code.
_OWN_ARCHITECTURES = frozenset({"latentbench.models.vae", "latentbench.models.ppca"})


@functools.lru_cache(maxsize=1)
def _stdlib_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple({Path(paths[k]).resolve() for k in ("stdlib", "platstdlib") if paths.get(k)})


def _is_library(obj: Any) -> bool:
    """True for functions and classes of the standard library or an installed package.

    Their identity is their qualified name (the library's version is in every run's provenance);
    the user's own functions and classes, and latentbench's reference architectures, are hashed by
    their code. (A user's function that reads a mutable module-level cache gets a new identity as
    the cache changes: results are then recomputed, never misattributed.)
    """
    mod_name = getattr(obj, "__module__", None) or ""
    top = mod_name.split(".")[0]
    if top == "latentbench":  # the reference architectures change with the code; the rest is a library
        return mod_name not in _OWN_ARCHITECTURES
    if top == "builtins" or top in sys.builtin_module_names:
        return True
    file = getattr(sys.modules.get(mod_name), "__file__", None)
    if file is None:
        return False  # __main__ of an interactive session, exec'd code: the user's
    path = Path(file).resolve()
    return ("site-packages" in path.parts or "dist-packages" in path.parts
            or any(path.is_relative_to(root) for root in _stdlib_roots()))


class _Hasher:
    """Feeds a canonical byte stream of an object graph into BLAKE2b (cycles become back-references)."""

    def __init__(self) -> None:
        self.h = hashlib.blake2b(digest_size=16)
        self._seen: dict[int, int] = {}
        self._keep: list[Any] = []  # keep visited objects alive so their ids are not reused
        self.opaque: list[str] = []

    def tag(self, t: str) -> None:
        self.h.update(b"\x00" + t.encode() + b"\x01")

    def raw(self, b: bytes) -> None:
        self.h.update(len(b).to_bytes(8, "little"))
        self.h.update(b)

    def feed(self, obj: Any, depth: int = 0) -> None:  # noqa: C901 - one dispatch over kinds of objects
        if depth > _MAX_DEPTH:
            self.tag("deep")
            return
        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
            self.tag(type(obj).__name__)
            self.raw(repr(obj).encode() if not isinstance(obj, bytes) else obj)
            return
        if isinstance(obj, np.generic):
            self.tag("npscalar")
            self.raw(obj.dtype.str.encode() + np.asarray(obj).tobytes())
            return
        key = id(obj)
        if key in self._seen:
            self.tag(f"ref{self._seen[key]}")
            return
        self._seen[key] = len(self._seen)
        self._keep.append(obj)
        if isinstance(obj, np.ndarray):
            self.tag("ndarray")
            self.raw(f"{obj.dtype.str}{obj.shape}".encode())
            if obj.dtype.hasobject:
                for item in obj.ravel():
                    self.feed(item, depth + 1)
            else:
                self.raw(memoryview(np.ascontiguousarray(obj)).cast("B").tobytes())
            return
        if _is_torch_tensor(obj):
            self._feed_tensor(obj)
            return
        if isinstance(obj, (list, tuple)):
            self.tag(type(obj).__name__)
            self.raw(str(len(obj)).encode())
            for item in obj:
                self.feed(item, depth + 1)
            return
        if isinstance(obj, (set, frozenset)):
            self.tag("set")
            for d in sorted(state_digest(item) for item in obj):
                self.raw(d.encode())
            return
        if isinstance(obj, Mapping):
            self.tag("mapping")
            items = list(obj.items())
            try:
                items.sort(key=lambda kv: repr(kv[0]))
            except Exception:  # keys whose repr fails: keep insertion order
                pass
            for k, v in items:
                self.feed(k, depth + 1)
                self.feed(v, depth + 1)
            return
        if isinstance(obj, types.ModuleType):
            self.tag("module")
            self.raw(obj.__name__.encode())
            return
        if isinstance(obj, types.CodeType):
            self._feed_code(obj, depth)
            return
        if isinstance(obj, functools.partial):
            self.tag("partial")
            self.feed(obj.func, depth + 1)
            self.feed(obj.args, depth + 1)
            self.feed(obj.keywords, depth + 1)
            return
        if isinstance(obj, types.MethodType):
            self.tag("method")
            self.feed(obj.__func__, depth + 1)
            self.feed(obj.__self__, depth + 1)
            return
        if isinstance(obj, types.FunctionType):
            self._feed_function(obj, depth)
            return
        if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
            self.tag("builtin")
            self.raw(f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}".encode())
            owner = getattr(obj, "__self__", None)
            if owner is not None and not isinstance(owner, types.ModuleType):
                self.feed(owner, depth + 1)
            return
        if isinstance(obj, type):
            self._feed_class(obj, depth)
            return
        if _is_torch_module(obj):
            self._feed_torch_module(obj, depth)
            return
        self._feed_object(obj, depth)

    # ------------------------------------------------------------------ kinds
    def _feed_tensor(self, t: Any) -> None:
        self.tag("tensor")
        t = t.detach()
        self.raw(f"{t.dtype}{tuple(t.shape)}".encode())
        if t.is_sparse:
            t = t.to_dense()
        flat = t.cpu().contiguous().reshape(-1)
        try:
            import torch

            self.raw(flat.view(torch.uint8).numpy().tobytes())
        except (RuntimeError, TypeError):  # dtypes that cannot be viewed as bytes
            self.raw(repr(flat.tolist()).encode())

    def _feed_code(self, code: types.CodeType, depth: int) -> None:
        self.tag("code")
        self.raw(code.co_code)
        self.raw(repr(code.co_names).encode())
        self.raw(repr(code.co_varnames).encode())
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                self._feed_code(const, depth + 1)
            else:
                self.feed(const, depth + 1)

    def _feed_function(self, fn: types.FunctionType, depth: int) -> None:
        self.tag("function")
        self.raw(f"{fn.__module__}.{fn.__qualname__}".encode())
        if _is_library(fn):
            return
        self._feed_code(fn.__code__, depth)
        self.feed(fn.__defaults__, depth + 1)
        self.feed(fn.__kwdefaults__, depth + 1)
        for cell in fn.__closure__ or ():
            try:
                self.feed(cell.cell_contents, depth + 1)
            except ValueError:  # an empty cell
                self.tag("emptycell")
        # module-level objects the function reads (weights kept in a global change its codes)
        g = fn.__globals__
        for name in sorted(_global_names(fn.__code__)):
            if name in g:
                self.raw(name.encode())
                self.feed(g[name], depth + 1)

    def _feed_class(self, cls: type, depth: int) -> None:
        self.tag("class")
        self.raw(f"{cls.__module__}.{cls.__qualname__}".encode())
        if _is_library(cls):
            return
        for base in cls.__mro__[1:]:
            if not _is_library(base):
                self.feed(base, depth + 1)
        for name, attr in sorted(vars(cls).items()):
            if name in ("__dict__", "__weakref__", "__doc__", "__module__", "__qualname__", "__annotations__"):
                continue
            self.raw(name.encode())
            self.feed(attr if not isinstance(attr, (staticmethod, classmethod)) else attr.__func__, depth + 1)

    def _feed_torch_module(self, module: Any, depth: int) -> None:
        self.tag("torch.module")
        self.feed(type(module), depth + 1)
        for name, value in sorted(vars(module).items()):
            if name in _TORCH_MODULE_SKIP:
                continue
            self.raw(name.encode())
            if name.endswith("_hooks") and isinstance(value, Mapping):
                value = list(value.values())  # hook handles' ids are process-wide counters
            self.feed(value, depth + 1)

    def _feed_object(self, obj: Any, depth: int) -> None:
        cls = type(obj)
        self.tag("object")
        self.feed(cls, depth + 1)
        state: Any = None
        if hasattr(obj, "__dict__") or hasattr(cls, "__slots__"):
            state = dict(getattr(obj, "__dict__", {}))
            for slot in _slots(cls):
                if hasattr(obj, slot):
                    state[slot] = getattr(obj, slot)
            if state or not _is_library(cls):
                self.feed(state, depth + 1)
                return
        try:  # C-level objects (a scikit-learn Tree, a scipy sparse matrix part): what pickling would save
            reduced = obj.__reduce_ex__(4)
        except Exception:
            reduced = None
        if isinstance(reduced, str):  # pickled by reference (a ufunc, a singleton): its global name
            self.tag("global")
            self.raw(f"{getattr(obj, '__module__', None) or cls.__module__}.{reduced}".encode())
            return
        if isinstance(reduced, tuple):
            self.tag("reduce")
            for part in reduced[1:]:
                if isinstance(part, types.GeneratorType) or hasattr(part, "__next__"):
                    part = list(part)
                self.feed(part, depth + 1)
            return
        self.tag("opaque")
        self.raw(repr(cls).encode())
        self.opaque.append(f"{cls.__module__}.{cls.__qualname__}")


_TORCH_MODULE_SKIP = frozenset({"training", "_is_full_backward_hook", "_compiled_call_impl", "_state_dict_pre_hooks",
                                "_state_dict_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"})


def _slots(cls: type) -> list[str]:
    out: list[str] = []
    for c in cls.__mro__:
        s = c.__dict__.get("__slots__", ())
        out += [s] if isinstance(s, str) else [n for n in s if n not in ("__dict__", "__weakref__")]
    return out


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _is_torch_tensor(obj: Any) -> bool:
    return _isinstance_of(obj, "torch", "Tensor")


def _is_torch_module(obj: Any) -> bool:
    return _isinstance_of(obj, "torch.nn", "Module")


def _isinstance_of(obj: Any, module: str, name: str) -> bool:
    mod = sys.modules.get(module)
    cls = getattr(mod, name, None) if mod is not None else None
    return cls is not None and isinstance(obj, cls)


def state_digest(obj: Any) -> str:
    """A 32-hex-digit digest of everything ``obj`` reaches.

    Arrays and tensors are hashed by dtype, shape and value; containers and objects by their
    items and attributes (recursively, cycles handled); the user's functions and classes by their
    code, defaults, closure cells and the module-level objects they read; torch modules by their
    parameters, buffers, submodules, plain attributes and classes. Functions and classes of
    installed libraries count by their qualified name only. Objects that expose no state at all
    are counted by their type (the behavioural probe then tells them apart).

    Parameters
    ----------
    obj : object

    Returns
    -------
    digest : str
    """
    h = _Hasher()
    h.feed(obj)
    return h.h.hexdigest()


# ---------------------------------------------------------------------------------------- probe
def probe_rows(n_rows: int, n_probe: int = PROBE_ROWS) -> np.ndarray:
    """The fixed, sorted rows of a dataset of ``n_rows`` rows that every model's probe encodes."""
    rng = np.random.default_rng(_PROBE_SEED)
    if n_rows <= n_probe:
        return np.arange(n_rows)
    return np.sort(rng.choice(n_rows, n_probe, replace=False))


def _seeded(fn: Callable[[], np.ndarray]) -> np.ndarray:
    """Run ``fn`` with NumPy's global generator, Python's ``random`` and torch's generators seeded,
    restoring their states afterwards (a user's model must not see its RNG advanced by a probe)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    torch = sys.modules.get("torch")
    try:
        np.random.seed(_PROBE_SEED)
        random.seed(_PROBE_SEED)
        if torch is not None:
            devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(_PROBE_SEED)
                return fn()
        return fn()
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def probe_codes(encode: Callable[[], np.ndarray]) -> tuple[str, bool]:
    """Digest of the codes ``encode()`` returns under fixed seeds, and whether they are deterministic.

    ``encode`` is called twice under the same seeds; when the two results differ bit for bit the
    encoder is non-deterministic and the digest is ``"nondeterministic"``.
    """
    first = np.ascontiguousarray(_seeded(encode), dtype=np.float64)
    second = np.ascontiguousarray(_seeded(encode), dtype=np.float64)
    if first.shape != second.shape or not np.array_equal(first, second, equal_nan=True):
        return "nondeterministic", False
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{first.shape}".encode())
    h.update(first.tobytes())
    return h.hexdigest(), True


def warn_nondeterministic(name: str, dataset: str) -> None:
    """The one warning a non-deterministic encoder gets (see the module docstring)."""
    warnings.warn(f"model {name!r} gives different codes on the same probe rows of {dataset!r} under fixed seeds: "
                  f"its results are keyed by its state and code alone; make encode deterministic (eval mode, "
                  f"no sampling, or a seeded generator) for a behavioural identity", stacklevel=3)
