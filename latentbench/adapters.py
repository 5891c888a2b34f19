"""Adapters: any model behind one small set of capabilities.

A task declares the :class:`Capability` values it needs; an :class:`Adapter` says which ones a
model has, and does the batching, device placement, ``torch.no_grad``/eval mode, dtype
conversion and output validation (shape, finite values) once for every model.

Built-in adapters, picked by :func:`adapt`:

* :class:`TorchAdapter` -- a ``torch.nn.Module`` with duck-typed methods: ``encode(x)`` returning
  ``z`` or ``(mean, logvar)``; optional ``posterior(x) -> (mean, logvar)``, ``decode(z)``,
  ``log_likelihood(x, z) -> (n,)``, ``log_prior(z) -> (n,)``, ``sample_prior(n)``. A model whose
  attribute ``prior == "standard_normal"`` gets an N(0, I) prior; only then. A model whose attribute
  ``likelihood == "bernoulli"`` and that decodes to probabilities gets a Bernoulli log-likelihood.
* :class:`SklearnAdapter` -- a fitted scikit-learn transformer: ``transform`` (encode) and, where it
  has one, ``inverse_transform`` (decode): PCA, FastICA, ...
* :class:`CallableAdapter` -- plain functions ``x -> z`` (and optionally ``decode``).
* :class:`PrecomputedAdapter` -- latents computed elsewhere (an array, ``.npy`` or ``.npz``) for
  the rows of a named dataset: the way to audit a model one cannot run.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import AdapterError, CapabilityError, InputValidationError
from .validation import is_tensor

__all__ = [
    "Adapter",
    "CallableAdapter",
    "Capability",
    "PrecomputedAdapter",
    "SklearnAdapter",
    "TorchAdapter",
    "adapt",
    "resolve_device",
]

LOG_2PI = math.log(2.0 * math.pi)


class Capability(str, Enum):
    """What a model can do. ``ENCODE`` is required of every model."""

    ENCODE = "encode"  #: x -> z
    POSTERIOR = "posterior"  #: x -> (mean, log-variance) of a diagonal Gaussian q(z|x)
    DECODE = "decode"  #: z -> x_hat (the mean of p(x|z), in data space)
    LIKELIHOOD = "likelihood"  #: log p(x|z) per sample
    PRIOR = "prior"  #: log p(z) per sample, and sampling from p(z)

    def __str__(self) -> str:
        return self.value


def resolve_device(device: str | None = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; other values are checked."""
    device = device or "auto"
    if device == "auto":
        try:
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:
            return "cpu"
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise InputValidationError(f"device {device!r} was asked for but torch sees no CUDA GPU; use --device cpu or auto")
    elif device != "cpu":
        raise InputValidationError(f"'device' must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")
    return device


def standard_normal_log_prob(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) summed over the last axis."""
    return -0.5 * (np.sum(z * z, axis=-1) + z.shape[-1] * LOG_2PI)


class Adapter:
    """Base class: batched, validated access to a model's capabilities.

    Subclasses implement the ``_*_batch`` methods on float32 NumPy batches (observations in the
    dataset's ``obs_shape``) and set ``capabilities``. The public methods take whole arrays,
    batch them, and validate every output.

    Parameters
    ----------
    name : str
        A name for messages and reports.
    batch_size : int, default=512
        Rows per call to the model.
    """

    kind: str = "base"

    def __init__(self, name: str, *, batch_size: int = 512) -> None:
        self.name = name
        self.batch_size = int(batch_size)
        self.capabilities: frozenset[Capability] = frozenset({Capability.ENCODE})
        self.latent_dim: int | None = None
        self.likelihood: str | None = None  # "bernoulli", "gaussian", ... named by the model
        self.device = "cpu"
        self.metadata: dict[str, Any] = {}

    # ------------------------------------------------------------------ capabilities
    def has(self, *caps: Capability) -> bool:
        """True if the model has every capability in ``caps``."""
        return all(Capability(c) in self.capabilities for c in caps)

    def missing(self, caps: Iterable[Capability]) -> list[Capability]:
        """The capabilities in ``caps`` the model lacks."""
        return [Capability(c) for c in caps if Capability(c) not in self.capabilities]

    def require(self, *caps: Capability, purpose: str = "this") -> None:
        """Raise :class:`CapabilityError` naming what is missing and how to provide it."""
        lacking = self.missing(caps)
        if lacking:
            raise CapabilityError(
                f"{purpose} needs {', '.join(map(str, lacking))} but model {self.name!r} ({self.kind}) "
                f"has only {', '.join(sorted(map(str, self.capabilities)))}; {_HOW_TO[lacking[0]]}"
            )

    def bind(self, dataset: Any) -> Adapter:
        """Prepare for a dataset (probe output conventions, check sizes); returns ``self``."""
        return self

    def to(self, device: str) -> Adapter:
        """Move the model to ``device`` (no-op for models that do not use torch)."""
        self.device = device
        return self

    # ------------------------------------------------------------------ subclass hooks
    def _encode_batch(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _posterior_batch(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _decode_batch(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _log_likelihood_batch(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _log_prior_batch(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _sample_prior(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ public, batched
    def _call(self, method: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except (CapabilityError, InputValidationError, AdapterError):
            raise
        except Exception as exc:  # a user's model raised: say which model and method
            raise AdapterError(f"model {self.name!r} raised in {method}: {type(exc).__name__}: {exc}") from exc

    def _check_out(self, method: str, out: Any, n: int, *, ndim: int, row0: int, width: int | None = None) -> np.ndarray:
        if isinstance(out, (tuple, list)):  # np.asarray would stack (mean, logvar) into one (2, n, d) array
            raise AdapterError(f"model {self.name!r}: {method} returned a {type(out).__name__} of {len(out)} items; it must "
                               f"return one array (a posterior's (mean, logvar) is read from encode or posterior only)")
        arr = _to_numpy(out)
        if arr.dtype.kind == "c":
            raise AdapterError(f"model {self.name!r}: {method} returned complex values; latents and outputs must be real "
                               f"(return the real and imaginary parts as separate columns if both matter)")
        if arr.dtype.kind not in "fiub":
            raise AdapterError(f"model {self.name!r}: {method} returned dtype {arr.dtype}; it must return numbers")
        if ndim == 1 and arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if ndim == 2 and arr.ndim > 2 and arr.shape[0] == n:
            arr = arr.reshape(n, -1)
        if arr.ndim != ndim or arr.shape[0] != n:
            want = "(n,)" if ndim == 1 else "(n, latent_dim)" if width is None else f"(n, {width})"
            raise AdapterError(
                f"model {self.name!r}: {method} returned shape {tuple(arr.shape)} for a batch of {n} rows; it must return {want}"
            )
        if width is not None and arr.shape[1] != width:
            raise AdapterError(f"model {self.name!r}: {method} returned {arr.shape[1]} columns, expected {width}")
        if arr.dtype.kind == "f":
            bad = ~np.isfinite(arr)
            if bad.any():
                rows = np.unique(np.nonzero(bad)[0])[:5] + row0
                raise AdapterError(
                    f"model {self.name!r}: {method} returned {int(bad.sum())} NaN/infinite values "
                    f"(first rows {rows.tolist()}); fix the model or pass latents that are finite"
                )
        return arr

    def encode(self, x: Any, *, row_offset: int = 0) -> np.ndarray:
        """Latent codes ``z`` of shape ``(n, latent_dim)`` (float64) for observations ``x``.

        ``row_offset`` is added to row numbers in error messages (when ``x`` is a slice of a larger set).
        """
        self.require(Capability.ENCODE, purpose="encode")
        x = _as_batch(x, "x")
        outs = []
        for s in range(0, len(x), self.batch_size):
            xb = x[s : s + self.batch_size]
            out = self._call("encode", self._encode_batch, xb)
            outs.append(self._check_out("encode", out, len(xb), ndim=2, row0=row_offset + s, width=self.latent_dim))
        z = np.concatenate(outs).astype(np.float64, copy=False) if outs else np.zeros((0, self.latent_dim or 0))
        if self.latent_dim is None and len(z):
            self.latent_dim = z.shape[1]
        return z

    def posterior(self, x: Any, *, row_offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Mean and log-variance of the diagonal Gaussian q(z|x), each ``(n, latent_dim)`` float64."""
        self.require(Capability.POSTERIOR, purpose="posterior")
        x = _as_batch(x, "x")
        means, logvars = [], []
        for s in range(0, len(x), self.batch_size):
            xb = x[s : s + self.batch_size]
            out = self._call("posterior", self._posterior_batch, xb)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise AdapterError(f"model {self.name!r}: posterior must return (mean, logvar), got {type(out).__name__}")
            m = self._check_out("posterior mean", out[0], len(xb), ndim=2, row0=row_offset + s, width=self.latent_dim)
            lv = self._check_out("posterior log-variance", out[1], len(xb), ndim=2, row0=row_offset + s, width=m.shape[1])
            means.append(m)
            logvars.append(lv)
        return np.concatenate(means).astype(np.float64), np.concatenate(logvars).astype(np.float64)

    def decode(self, z: Any) -> np.ndarray:
        """Reconstructions (the mean of p(x|z)), flattened to ``(n, n_features)`` float32."""
        self.require(Capability.DECODE, purpose="decode")
        z = _as_batch(z, "z", ndim=2)
        outs = []
        for s in range(0, len(z), self.batch_size):
            zb = z[s : s + self.batch_size]
            out = self._call("decode", self._decode_batch, zb)
            outs.append(self._check_out("decode", out, len(zb), ndim=2, row0=s).astype(np.float32, copy=False))
        return np.concatenate(outs)

    def log_likelihood(self, x: Any, z: Any) -> np.ndarray:
        """log p(x|z) for each row, shape ``(n,)`` float64 (nats)."""
        self.require(Capability.LIKELIHOOD, purpose="log_likelihood")
        x, z = _as_batch(x, "x"), _as_batch(z, "z", ndim=2)
        if len(x) != len(z):
            raise InputValidationError(f"log_likelihood: x has {len(x)} rows but z has {len(z)}")
        outs = []
        for s in range(0, len(x), self.batch_size):
            out = self._call("log_likelihood", self._log_likelihood_batch, x[s : s + self.batch_size], z[s : s + self.batch_size])
            outs.append(self._check_out("log_likelihood", out, min(self.batch_size, len(x) - s), ndim=1, row0=s))
        return np.concatenate(outs).astype(np.float64)

    def log_prior(self, z: Any) -> np.ndarray:
        """log p(z) for each row, shape ``(n,)`` float64."""
        self.require(Capability.PRIOR, purpose="log_prior")
        z = _as_batch(z, "z", ndim=2)
        outs = []
        for s in range(0, len(z), self.batch_size):
            zb = z[s : s + self.batch_size]
            outs.append(self._check_out("log_prior", self._call("log_prior", self._log_prior_batch, zb), len(zb), ndim=1, row0=s))
        return np.concatenate(outs).astype(np.float64)

    def sample_prior(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from p(z), shape ``(n, latent_dim)``."""
        self.require(Capability.PRIOR, purpose="sample_prior")
        return self._check_out("sample_prior", self._call("sample_prior", self._sample_prior, n, rng), n, ndim=2, row0=0)

    # ------------------------------------------------------------------ datasets
    def encode_rows(self, dataset: Any, rows: np.ndarray) -> np.ndarray:
        """Encode the dataset's ``rows`` batch by batch (images are converted per batch)."""
        return _concat(self.encode(xb, row_offset=i * self.batch_size) for i, xb in enumerate(dataset.iter_x(rows, self.batch_size)))

    def posterior_rows(self, dataset: Any, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance for the dataset's ``rows``."""
        parts = [self.posterior(xb, row_offset=i * self.batch_size) for i, xb in enumerate(dataset.iter_x(rows, self.batch_size))]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    # ------------------------------------------------------------------ identity
    #: Whether the identity includes a behavioural probe; ``False`` where the model's state fixes its
    #: codes on a dataset exactly (precomputed latents, the null baselines' recipes).
    probe_identity: bool = True

    def fingerprint(self) -> str:
        """A 16-hex-digit identifier of everything the model's state reaches (the same for every dataset).

        Recomputed on every call (a model whose weights change gets a new one); see
        :mod:`latentbench.identity` for what is hashed.
        """
        return self._state_digest()[:16]

    def _state_digest(self) -> str:
        raise NotImplementedError

    def identity(self, dataset: Any, *, state: str | None = None) -> tuple[str, str]:
        """The model's identity on ``dataset``: what a result's key holds as ``model_fp``.

        A digest of the identity scheme, the model's :meth:`fingerprint` (``state`` when already
        computed), the dataset's fingerprint and, where :attr:`probe_identity`, the codes of the
        dataset's fixed probe rows computed under fixed seeds (:func:`latentbench.identity.probe_codes`).

        Returns
        -------
        identity : str
            16 hex digits.
        probe : {"deterministic", "nondeterministic", "not used"}
            How the probe went: a non-deterministic encoder is identified by its state and the
            dataset alone (and a warning says so).

        Raises
        ------
        AdapterError
            When the model raises on the probe rows.
        """
        from .identity import combine_digests, probe_codes, probe_rows, warn_nondeterministic

        state = state or self.fingerprint()
        if not self.probe_identity:
            return combine_digests(state, dataset.fingerprint, "no-probe"), "not used"
        rows = probe_rows(len(dataset))
        digest, deterministic = probe_codes(lambda: self.encode_rows(dataset, rows))
        if not deterministic:
            warn_nondeterministic(self.name, dataset.name)
        return combine_digests(state, dataset.fingerprint, digest), "deterministic" if deterministic else "nondeterministic"

    def describe(self, *, fingerprint: str | None = None) -> dict[str, Any]:
        """Name, adapter kind, capabilities, latent size, likelihood and fingerprint (``fingerprint``
        when already computed), for reports and the store."""
        return {
            "name": self.name, "adapter": self.kind, "capabilities": sorted(map(str, self.capabilities)),
            "latent_dim": self.latent_dim, "likelihood": self.likelihood, "fingerprint": fingerprint or self.fingerprint(),
            **({"metadata": self.metadata} if self.metadata else {}),
        }

    def __repr__(self) -> str:
        caps = ", ".join(sorted(map(str, self.capabilities)))
        return f"{type(self).__name__}({self.name!r}, capabilities=[{caps}], latent_dim={self.latent_dim})"


_HOW_TO = {
    Capability.ENCODE: "give the model an encode(x) method or pass latents",
    Capability.POSTERIOR: "give the model posterior(x) -> (mean, logvar) or let encode(x) return (mean, logvar)",
    Capability.DECODE: "give the model a decode(z) method (or inverse_transform for scikit-learn)",
    Capability.LIKELIHOOD: "give the model log_likelihood(x, z) -> (n,) or set likelihood = 'bernoulli' with decode returning probabilities",
    Capability.PRIOR: "give the model log_prior(z) or set prior = 'standard_normal' if its prior is N(0, I)",
}


def _to_numpy(out: Any) -> np.ndarray:
    if is_tensor(out):
        t = out.detach()
        if t.is_floating_point() and t.element_size() < 4:  # bfloat16/float16 have no NumPy dtype
            t = t.float()
        return t.cpu().numpy()
    return np.asarray(out)


def _as_batch(x: Any, name: str, ndim: int | None = None) -> np.ndarray:
    arr = _to_numpy(x)
    if arr.dtype.kind == "c":
        raise InputValidationError(f"{name} holds complex values; pass real arrays")
    if arr.ndim == 0 or (ndim is not None and arr.ndim != ndim):
        want = f"{ndim}-D" if ndim else "at least 1-D"
        raise InputValidationError(f"{name} must be {want} with one row per sample, got shape {arr.shape}")
    return arr.astype(np.float32, copy=False) if arr.dtype != np.float32 else arr


def _is_pair(out: Any) -> bool:
    """A ``(mean, logvar)`` pair returned by an encoder (a tuple or list of two arrays)."""
    return isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(o, np.ndarray) or is_tensor(o) for o in out)


def _concat(parts: Iterable[np.ndarray]) -> np.ndarray:
    parts = list(parts)
    return np.concatenate(parts) if parts else np.zeros((0, 0))


# ====================================================================== torch
class TorchAdapter(Adapter):
    """A ``torch.nn.Module`` with duck-typed ``encode``/``posterior``/``decode``/... methods.

    Parameters
    ----------
    module : torch.nn.Module
        The model. It is put in eval mode and run under ``torch.no_grad``.
    name : str, optional
        Defaults to the class name.
    device : str, default="cpu"
        Where the model runs; inputs are moved per batch.
    batch_size : int, default=512
    """

    kind = "torch"

    def __init__(self, module: Any, *, name: str | None = None, device: str = "cpu", batch_size: int = 512) -> None:
        super().__init__(name or type(module).__name__, batch_size=batch_size)
        self.module = module
        self._encode_returns_posterior: bool | None = None
        has = {m for m in ("encode", "posterior", "decode", "log_likelihood", "log_prior", "sample_prior") if callable(getattr(module, m, None))}
        if "encode" not in has and "posterior" not in has:
            raise AdapterError(f"torch module {self.name!r} has no encode(x) or posterior(x) method; add one or wrap it in CallableAdapter")
        caps = {Capability.ENCODE}
        if "posterior" in has:
            caps.add(Capability.POSTERIOR)
        if "decode" in has:
            caps.add(Capability.DECODE)
        self.likelihood = getattr(module, "likelihood", None)
        if "log_likelihood" in has or (self.likelihood == "bernoulli" and "decode" in has):
            caps.add(Capability.LIKELIHOOD)
        if "log_prior" in has or getattr(module, "prior", None) == "standard_normal":
            caps.add(Capability.PRIOR)
        self._methods = has
        self.capabilities = frozenset(caps)
        self.latent_dim = getattr(module, "latent_dim", None)
        self.to(device)

    def to(self, device: str) -> TorchAdapter:
        self.module.to(device)
        self.device = device
        return self

    @property
    def _dtype(self) -> Any:
        import torch

        for p in self.module.parameters():
            return p.dtype
        for b in self.module.buffers():
            if b.is_floating_point():
                return b.dtype
        return torch.float32

    def _t(self, a: np.ndarray) -> Any:
        import torch

        return torch.as_tensor(a, device=self.device, dtype=self._dtype)

    def _run(self, method: str, *args: np.ndarray) -> Any:
        import torch

        self.module.eval()
        with torch.no_grad():
            return getattr(self.module, method)(*(self._t(a) for a in args))

    def bind(self, dataset: Any) -> TorchAdapter:
        if self._encode_returns_posterior is None and "encode" in self._methods:
            probe = dataset.get_x(dataset.split("test")[:2])
            out = self._call("encode", self._run, "encode", probe)
            self._encode_returns_posterior = isinstance(out, (tuple, list))
            if self._encode_returns_posterior:
                if len(out) != 2:
                    raise AdapterError(f"model {self.name!r}: encode returned a tuple of {len(out)}; expected z or (mean, logvar)")
                self.capabilities = self.capabilities | {Capability.POSTERIOR}
        return self

    def _encode_batch(self, x: np.ndarray) -> Any:
        if "encode" not in self._methods:
            return self._posterior_batch(x)[0]
        out = self._run("encode", x)
        if isinstance(out, (tuple, list)):
            self._encode_returns_posterior = True
            return out[0]
        return out

    def _posterior_batch(self, x: np.ndarray) -> Any:
        if "posterior" in self._methods:
            return self._run("posterior", x)
        out = self._run("encode", x)
        if not isinstance(out, (tuple, list)):
            raise CapabilityError(f"model {self.name!r}: encode returns a single array, so it has no posterior; {_HOW_TO[Capability.POSTERIOR]}")
        return out

    def _decode_batch(self, z: np.ndarray) -> Any:
        return self._run("decode", z)

    def _log_likelihood_batch(self, x: np.ndarray, z: np.ndarray) -> Any:
        if "log_likelihood" in self._methods:
            return self._run("log_likelihood", x, z)
        p = np.clip(_to_numpy(self._decode_batch(z)).reshape(len(x), -1).astype(np.float64), 1e-7, 1 - 1e-7)
        xf = x.reshape(len(x), -1).astype(np.float64)
        return np.sum(xf * np.log(p) + (1 - xf) * np.log1p(-p), axis=1)

    def _log_prior_batch(self, z: np.ndarray) -> Any:
        if "log_prior" in self._methods:
            return self._run("log_prior", z)
        return standard_normal_log_prob(z.astype(np.float64))

    def _sample_prior(self, n: int, rng: np.random.Generator) -> Any:
        if "sample_prior" in self._methods:
            import torch

            with torch.no_grad():
                return self.module.sample_prior(n)
        if self.latent_dim is None:
            raise AdapterError(f"model {self.name!r}: set latent_dim to sample from its standard normal prior")
        return rng.standard_normal((n, self.latent_dim))

    def _state_digest(self) -> str:
        """Parameters, buffers, submodules, plain attributes (a temperature, a flag, a tensor kept
        outside the state_dict) and the code of the module's classes (:func:`latentbench.identity.state_digest`)."""
        from .identity import state_digest

        return state_digest(self.module)


# ====================================================================== scikit-learn
class SklearnAdapter(Adapter):
    """A fitted scikit-learn transformer: ``transform`` encodes, ``inverse_transform`` decodes.

    Inputs are flattened to ``(n, n_features)`` before ``transform``.
    """

    kind = "sklearn"

    def __init__(self, estimator: Any, *, name: str | None = None, batch_size: int = 4096) -> None:
        super().__init__(name or type(estimator).__name__, batch_size=batch_size)
        if not callable(getattr(estimator, "transform", None)):
            raise AdapterError(f"{type(estimator).__name__} has no transform method; scikit-learn models must be transformers")
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(estimator)
        except NotFittedError:
            raise AdapterError(f"{type(estimator).__name__} is not fitted; call .fit(X_train) before evaluating it") from None
        self.estimator = estimator
        caps = {Capability.ENCODE}
        if callable(getattr(estimator, "inverse_transform", None)):
            caps.add(Capability.DECODE)
        self.capabilities = frozenset(caps)
        n_out = getattr(estimator, "n_components_", None)
        self.latent_dim = int(n_out) if n_out is not None else None

    def _encode_batch(self, x: np.ndarray) -> np.ndarray:
        return self.estimator.transform(x.reshape(len(x), -1))

    def _decode_batch(self, z: np.ndarray) -> np.ndarray:
        return self.estimator.inverse_transform(z)

    def _state_digest(self) -> str:
        """``joblib.hash`` of the whole estimator (every fitted attribute of every step of a pipeline,
        nested estimators, trees); :func:`latentbench.identity.state_digest` when it cannot be pickled
        (a ``FunctionTransformer`` holding a lambda)."""
        import joblib

        from .identity import state_digest

        try:
            return str(joblib.hash(self.estimator, hash_name="sha1"))
        except Exception:  # not picklable
            return state_digest(self.estimator)


# ====================================================================== callables
class CallableAdapter(Adapter):
    """Plain functions: ``encode(x) -> z`` and optionally ``decode``, ``posterior``, ``log_likelihood``, ``log_prior``.

    Functions receive float32 NumPy arrays in the dataset's ``obs_shape`` (or flattened when
    ``flatten=True``) and may return NumPy arrays or tensors.
    """

    kind = "callable"

    def __init__(self, encode: Callable[[np.ndarray], Any] | None = None, *, decode: Callable[..., Any] | None = None,
                 posterior: Callable[..., Any] | None = None, log_likelihood: Callable[..., Any] | None = None,
                 log_prior: Callable[..., Any] | None = None, standard_normal_prior: bool = False,
                 name: str | None = None, flatten: bool = False, batch_size: int = 1024, likelihood: str | None = None) -> None:
        fn = encode or posterior
        if fn is None:
            raise AdapterError("CallableAdapter needs an encode function (or a posterior function)")
        super().__init__(name or getattr(fn, "__qualname__", "callable"), batch_size=batch_size)
        self._fns = {"encode": encode, "decode": decode, "posterior": posterior, "log_likelihood": log_likelihood, "log_prior": log_prior}
        caps = {Capability.ENCODE}
        caps |= {c for c, key in ((Capability.DECODE, "decode"), (Capability.POSTERIOR, "posterior"),
                                  (Capability.LIKELIHOOD, "log_likelihood"), (Capability.PRIOR, "log_prior")) if self._fns[key]}
        if standard_normal_prior:
            caps.add(Capability.PRIOR)
        self.capabilities = frozenset(caps)
        self.flatten = flatten
        self.likelihood = likelihood

    def _x(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), -1) if self.flatten else x

    def bind(self, dataset: Any) -> CallableAdapter:
        """Probe two test rows: an ``encode`` returning ``(mean, logvar)`` gives the posterior capability."""
        if self._fns["encode"] is not None and Capability.POSTERIOR not in self.capabilities:
            out = self._call("encode", self._fns["encode"], self._x(dataset.get_x(dataset.split("test")[:2])))
            if _is_pair(out):
                self.capabilities = self.capabilities | {Capability.POSTERIOR}
        return self

    def _encode_batch(self, x: np.ndarray) -> Any:
        if self._fns["encode"] is None:
            return self._fns["posterior"](self._x(x))[0]
        out = self._fns["encode"](self._x(x))
        return out[0] if _is_pair(out) else out  # (mean, logvar): the codes are the posterior mean

    def _posterior_batch(self, x: np.ndarray) -> Any:
        if self._fns["posterior"] is None:
            out = self._fns["encode"](self._x(x))
            if not _is_pair(out):
                raise CapabilityError(f"model {self.name!r}: encode returns a single array, so it has no posterior; "
                                      f"{_HOW_TO[Capability.POSTERIOR]}")
            return out
        return self._fns["posterior"](self._x(x))

    def _decode_batch(self, z: np.ndarray) -> Any:
        return self._fns["decode"](z)

    def _log_likelihood_batch(self, x: np.ndarray, z: np.ndarray) -> Any:
        return self._fns["log_likelihood"](self._x(x), z)

    def _log_prior_batch(self, z: np.ndarray) -> Any:
        fn = self._fns["log_prior"]
        return fn(z) if fn else standard_normal_log_prob(z.astype(np.float64))

    def _sample_prior(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self._fns["log_prior"] is not None or self.latent_dim is None:
            raise CapabilityError(f"model {self.name!r}: sampling needs a standard normal prior with a known latent_dim")
        return rng.standard_normal((n, self.latent_dim))

    def _state_digest(self) -> str:
        """Each function's code, defaults and closure cells, the module-level objects it reads (weights
        kept in a global) and the object a bound method belongs to (:func:`latentbench.identity.state_digest`)."""
        from .identity import state_digest

        return state_digest({k: fn for k, fn in self._fns.items() if fn is not None})


# ====================================================================== precomputed latents
class PrecomputedAdapter(Adapter):
    """Latents computed elsewhere for the rows of a dataset.

    Parameters
    ----------
    latents : ndarray of shape (n_rows, latent_dim) or mapping
        Either one array aligned row by row with the whole dataset, or a mapping with ``z`` (all
        rows) or ``z_<split>`` (one split's rows, in the split's order). Optional ``mean`` and
        ``logvar`` (or ``mean_<split>``/``logvar_<split>``) add the posterior capability.
    dataset : str, optional
        The dataset the latents belong to (a name or an ``.npz`` path); checked when bound. A
        ``dataset`` entry in a mapping or file (what the file says it holds) takes precedence.
    name : str, optional
    source : str, optional
        Where the latents came from (a file path), for messages.
    """

    kind = "precomputed"

    def __init__(self, latents: np.ndarray | Mapping[str, np.ndarray], *, dataset: str | None = None,
                 name: str | None = None, source: str | None = None) -> None:
        super().__init__(name or (Path(source).stem if source else "precomputed"))
        self.source = source or "<array>"
        if isinstance(latents, Mapping):
            arrays = {}
            for k, v in latents.items():
                if not (isinstance(v, (np.ndarray, np.generic, str)) or is_tensor(v)):
                    raise InputValidationError(
                        f"{self.source}: {k!r} holds a {type(v).__name__}, not an array: a mapping is read as one model's "
                        f"latents ('z', 'mean', 'logvar', 'z_<split>'); to evaluate several models pass {{name: model}} to evaluate()")
                arrays[str(k)] = _to_numpy(v) if is_tensor(v) else np.asarray(v)
        else:
            arrays = {"z": _to_numpy(latents) if is_tensor(latents) else np.asarray(latents)}
        declared = str(arrays.pop("dataset")) if "dataset" in arrays else None
        self.dataset_name = declared or dataset  # what the file says it holds wins over where it is asked to run
        arrays.pop("dataset_fingerprint", None)
        z_keys = [k for k in arrays if k == "z" or k.startswith("z_")]
        if not z_keys:
            raise InputValidationError(f"{self.source}: no latents found; store them as 'z' (every row of the dataset) or 'z_test' (the test split)")
        for k, v in arrays.items():
            if v.ndim != 2 and k != "rows":
                raise InputValidationError(f"{self.source}: {k!r} must be 2-D (n_rows, latent_dim), got shape {v.shape}")
            if v.dtype.kind == "c":
                raise InputValidationError(f"{self.source}: {k!r} holds complex numbers; latents must be real "
                                           f"(export the real and imaginary parts as separate columns if both matter)")
            if v.dtype.kind not in "fiub":
                raise InputValidationError(f"{self.source}: {k!r} has dtype {v.dtype}; latents must be numbers")
            if v.dtype.kind == "f" and not np.isfinite(v).all():
                raise InputValidationError(f"{self.source}: {k!r} contains {int((~np.isfinite(v)).sum())} NaN/infinite values; export finite latents")
        self.arrays = arrays
        self.latent_dim = arrays[z_keys[0]].shape[1]
        caps = {Capability.ENCODE}
        if any(k == "mean" or k.startswith("mean_") for k in arrays) and any(k == "logvar" or k.startswith("logvar_") for k in arrays):
            caps.add(Capability.POSTERIOR)
        self.capabilities = frozenset(caps)
        self._bound: Any = None

    @classmethod
    def from_file(cls, path: str | Path, *, dataset: str | None = None, name: str | None = None) -> PrecomputedAdapter:
        """Load ``.npy`` (one array for every row) or ``.npz`` (keys as in the class docstring)."""
        path = Path(path)
        if not path.exists():
            raise InputValidationError(f"latents file {str(path)!r} does not exist")
        from .safeio import read_npy, read_npz

        if path.suffix == ".npy":
            data: Any = read_npy(path)  # no pickle; sizes checked before anything is read
        elif path.suffix == ".npz":
            data = read_npz(path)
        else:
            raise InputValidationError(f"latents file {str(path)!r}: expected a .npy or .npz file")
        return cls(data, dataset=dataset, name=name, source=str(path))

    def belongs_to(self, dataset: Any) -> bool:
        """Whether these latents were declared for ``dataset`` (by its name, or by the path of its
        ``.npz`` file); latents that name no dataset may be bound to any dataset of the right size."""
        ref = self.dataset_name
        if not ref or ref == dataset.name:
            return True
        path = dataset.params.get("path") if isinstance(getattr(dataset, "params", None), Mapping) else None
        if ref.endswith(".npz") and path is not None:
            try:
                return Path(ref).resolve() == Path(path).resolve()
            except OSError:
                return False
        return False

    def bind(self, dataset: Any) -> PrecomputedAdapter:
        if not self.belongs_to(dataset):
            raise InputValidationError(
                f"{self.source} holds latents for dataset {self.dataset_name!r}, not {dataset.name!r}; pass --dataset {self.dataset_name}"
            )
        for key, arr in self.arrays.items():
            base, _, split = key.partition("_")
            expected = len(dataset) if not split else len(dataset.split(split))
            where = "every row of the dataset" if not split else f"the {split!r} split"
            if len(arr) != expected:
                raise InputValidationError(
                    f"{self.source}: {key!r} has {len(arr)} rows but {where} of {dataset.name!r} has {expected}; "
                    f"export latents for {where}, in its order"
                )
        self._bound = dataset
        return self

    def _lookup(self, base: str, dataset: Any, rows: np.ndarray) -> np.ndarray:
        if self._bound is not dataset:
            self.bind(dataset)
        if base in self.arrays:
            return self.arrays[base][rows].astype(np.float64)
        for split, split_rows in dataset.splits.items():
            key = f"{base}_{split}"
            if key in self.arrays:
                pos = np.searchsorted(split_rows, rows)
                ok = (pos < len(split_rows)) & (split_rows[np.minimum(pos, len(split_rows) - 1)] == rows)
                if ok.all():
                    return self.arrays[key][pos].astype(np.float64)
        have = sorted(k for k in self.arrays if k.startswith(base))
        raise CapabilityError(f"{self.source} has {have} but not latents for the rows asked for; export {base!r} for every row")

    def encode_rows(self, dataset: Any, rows: np.ndarray) -> np.ndarray:
        return self._lookup("z", dataset, rows)

    def posterior_rows(self, dataset: Any, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.require(Capability.POSTERIOR, purpose="posterior")
        return self._lookup("mean", dataset, rows), self._lookup("logvar", dataset, rows)

    def _encode_batch(self, x: np.ndarray) -> np.ndarray:
        raise CapabilityError(f"{self.source} holds precomputed latents for dataset rows; it cannot encode new inputs")

    _posterior_batch = _encode_batch  # type: ignore[assignment]

    probe_identity = False  # the arrays are the model

    def _state_digest(self) -> str:
        from .identity import state_digest

        return state_digest({"arrays": self.arrays, "dataset": self.dataset_name})


# ====================================================================== adapt()
def adapt(obj: Any, *, name: str | None = None, device: str = "cpu", batch_size: int | None = None,
          dataset: str | None = None) -> Adapter:
    """Wrap ``obj`` in the adapter that fits it.

    Parameters
    ----------
    obj : object
        An :class:`Adapter` (returned as is), a ``torch.nn.Module``, a fitted scikit-learn
        transformer, a callable ``x -> z``, a NumPy array of latents, or a path to ``.npy``/``.npz`` latents.
    name : str, optional
        A display name.
    device : str, default="cpu"
        For torch modules.
    batch_size : int, optional
    dataset : str, optional
        For precomputed latents: the dataset they belong to.

    Returns
    -------
    adapter : Adapter
        Its ``kind`` attribute says which adapter was picked.

    Raises
    ------
    AdapterError
        When nothing fits, naming what was given and what is accepted.
    """
    kw = {} if batch_size is None else {"batch_size": batch_size}
    if isinstance(obj, Adapter):
        if name:
            obj.name = name
        return obj
    if isinstance(obj, (str, Path)) and Path(obj).suffix in (".npy", ".npz"):
        return PrecomputedAdapter.from_file(obj, dataset=dataset, name=name)
    if isinstance(obj, (np.ndarray, Mapping)) or is_tensor(obj):
        arr = _to_numpy(obj) if is_tensor(obj) else obj
        return PrecomputedAdapter(arr, dataset=dataset, name=name)
    try:
        import torch.nn as nn

        if isinstance(obj, nn.Module):
            return TorchAdapter(obj, name=name, device=device, **kw)
    except ImportError:
        pass
    if callable(getattr(obj, "transform", None)) and callable(getattr(obj, "fit", None)):
        return SklearnAdapter(obj, name=name, **kw)
    if callable(getattr(obj, "encode", None)):
        return CallableAdapter(getattr(obj, "encode"), decode=getattr(obj, "decode", None),
                               posterior=getattr(obj, "posterior", None), log_likelihood=getattr(obj, "log_likelihood", None),
                               log_prior=getattr(obj, "log_prior", None), name=name or type(obj).__name__, **kw)
    if callable(obj):
        return CallableAdapter(obj, name=name, **kw)
    raise AdapterError(
        f"cannot adapt {type(obj).__name__}: pass a torch nn.Module with encode(), a fitted scikit-learn transformer, "
        f"a function x -> z, an array of latents or a .npy/.npz file"
    )
