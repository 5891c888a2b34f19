"""Adapters of models whose inputs are float arrays: torch modules (at their encode method or at a
named layer), scikit-learn transformers, plain functions, and latents computed elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import AdapterError, CapabilityError, InputValidationError
from ..validation import is_tensor
from .base import _HOW_TO, Adapter, Capability, _is_pair, _to_numpy, constructor_options, standard_normal_log_prob

__all__ = ["CallableAdapter", "PrecomputedAdapter", "SklearnAdapter", "TorchAdapter"]


# ====================================================================== torch
class TorchAdapter(Adapter):
    """A ``torch.nn.Module`` with duck-typed ``encode``/``posterior``/``decode``/... methods, or any
    module measured at a named layer.

    Parameters
    ----------
    module : torch.nn.Module
        The model. It is put in eval mode and run under ``torch.no_grad``.
    name : str, optional
        Defaults to the class name.
    device : str, default="cpu"
        Where the model runs; inputs are moved per batch.
    batch_size : int, default=512
    layer : str, optional
        A submodule's name as ``module.named_modules()`` gives it (``"encoder.fc2"``): the codes are
        that submodule's output, captured by a forward hook while ``method`` runs, flattened to
        ``(n, -1)``. The model needs no ``encode`` method; its only capability is then ``encode``
        (its decoder, if any, does not map from that layer). The hook exists only during a call,
        so it never enters the model's fingerprint; the layer's name does.
    method : str, default="forward"
        With ``layer``: the module's method run on each batch (``"encode"`` stops at the encoder).
    """

    kind = "torch"

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """A ``torch.nn.Module`` (any, once torch is imported)."""
        import sys

        nn = getattr(sys.modules.get("torch"), "nn", None)
        return nn is not None and isinstance(obj, nn.Module)

    def __init__(self, module: Any, *, name: str | None = None, device: str = "cpu", batch_size: int = 512,
                 layer: str | None = None, method: str = "forward") -> None:
        super().__init__(name or type(module).__name__, batch_size=batch_size)
        self.module = module
        self._encode_returns_posterior: bool | None = None
        self.layer = layer
        self.method = method
        if layer is not None:
            self._submodule(layer)  # an unknown name fails here, with the close ones
            if not callable(getattr(module, method, None)):
                raise AdapterError(f"torch module {self.name!r} has no method {method!r} to run for layer {layer!r}")
            self._methods: set[str] = set()
            self.capabilities = frozenset({Capability.ENCODE})
            self.metadata = {"layer": layer, "method": method}
            self.to(device)
            return
        has = {m for m in ("encode", "posterior", "decode", "log_likelihood", "log_prior", "sample_prior") if callable(getattr(module, m, None))}
        if "encode" not in has and "posterior" not in has:
            raise AdapterError(f"torch module {self.name!r} has no encode(x) or posterior(x) method; add one, pass "
                               f"layer='<submodule>' to measure a hidden layer, or wrap it in CallableAdapter")
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

    def _submodule(self, layer: str) -> Any:
        import difflib

        modules = dict(self.module.named_modules())
        if layer in modules and layer != "":
            return modules[layer]
        names = [n for n in modules if n]
        close = difflib.get_close_matches(layer, names, n=3, cutoff=0.4)
        shown = ", ".join(names[:30]) + (f", ... ({len(names)} in all)" if len(names) > 30 else "")
        raise AdapterError(f"torch module {self.name!r} has no submodule {layer!r}"
                           + (f"; did you mean {', '.join(map(repr, close))}?" if close else ";")
                           + f" submodules: {shown or '(none)'}")

    def _run_layer(self, x: np.ndarray) -> Any:
        import torch

        captured: list[Any] = []
        handle = self._submodule(self.layer).register_forward_hook(lambda _m, _i, out: captured.append(out))
        self.module.eval()
        try:
            with torch.no_grad():
                getattr(self.module, self.method)(self._t(x))
        finally:
            handle.remove()
        if not captured:
            raise AdapterError(f"model {self.name!r}: layer {self.layer!r} was not called by {self.method}(x); "
                               f"name a submodule on that path")
        out = captured[0]  # a layer called twice in one pass (weight sharing): its first output
        if not is_tensor(out):
            raise AdapterError(f"model {self.name!r}: layer {self.layer!r} returns a {type(out).__name__}, not one tensor; "
                               f"name a submodule whose output is a tensor")
        return out.reshape(len(x), -1)

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

    @property  # type: ignore[override]
    def codes_are_posterior_mean(self) -> bool:
        """True when one call gives codes and posterior: ``encode`` returns ``(mean, logvar)`` (known
        once bound), or the model has ``posterior`` and no ``encode``; never at a named layer."""
        return self.layer is None and ("encode" not in self._methods or self._encode_returns_posterior is True)

    def _encode_batch(self, x: np.ndarray) -> Any:
        if self.layer is not None:
            return self._run_layer(x)
        if "encode" not in self._methods:
            return self._posterior_batch(x)[0]
        out = self._run("encode", x)
        if isinstance(out, (tuple, list)):
            self._encode_returns_posterior = True
            return out[0]
        return out

    def _posterior_batch(self, x: np.ndarray) -> Any:
        if "posterior" in self._methods and not ("encode" in self._methods and self._encode_returns_posterior):
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
        outside the state_dict) and the code of the module's classes (:func:`latentbench.identity.state_digest`);
        with ``layer``, the layer's name and the method run too."""
        from ..identity import state_digest

        if self.layer is not None:
            return state_digest({"module": self.module, "layer": self.layer, "method": self.method})
        return state_digest(self.module)

    @property
    def n_parameters(self) -> int | None:
        """The module's parameters plus its floating-point buffers that are weights (closed-form models
        such as probabilistic PCA keep theirs as buffers); batch-norm running statistics are not counted."""
        n = sum(int(p.numel()) for p in self.module.parameters())
        n += sum(int(b.numel()) for name, b in self.module.named_buffers()
                 if b.is_floating_point() and not name.rsplit(".", 1)[-1].startswith("running_"))
        return n


# ====================================================================== scikit-learn
class SklearnAdapter(Adapter):
    """A fitted scikit-learn transformer: ``transform`` encodes, ``inverse_transform`` decodes.

    Inputs are flattened to ``(n, n_features)`` before ``transform``.
    """

    kind = "sklearn"

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """An object with ``fit`` and ``transform`` methods."""
        return callable(getattr(obj, "transform", None)) and callable(getattr(obj, "fit", None))

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

    @property
    def n_parameters(self) -> int | None:
        """``components_`` plus ``mean_`` for a linear decomposition (PCA and its kin); ``None`` otherwise."""
        comps = getattr(self.estimator, "components_", None)
        if not isinstance(comps, np.ndarray):
            return None
        mean = getattr(self.estimator, "mean_", None)
        return int(comps.size + (mean.size if isinstance(mean, np.ndarray) else 0))

    def _state_digest(self) -> str:
        """``joblib.hash`` of the whole estimator (every fitted attribute of every step of a pipeline,
        nested estimators, trees); :func:`latentbench.identity.state_digest` when it cannot be pickled
        (a ``FunctionTransformer`` holding a lambda)."""
        import joblib

        from ..identity import state_digest

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

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """An object with an ``encode`` method (and optionally ``decode``, ``posterior``, ...), or a callable
        (not a string or path: ``str.encode`` is no model)."""
        if isinstance(obj, (str, bytes, Path)):
            return False
        return callable(getattr(obj, "encode", None)) or callable(obj)

    @classmethod
    def from_object(cls, obj: Any, **options: Any) -> CallableAdapter:
        """An object's ``encode``/``decode``/``posterior``/``log_likelihood``/``log_prior`` methods, or a function as ``encode``."""
        if callable(getattr(obj, "encode", None)):
            options = {**options, "name": options.get("name") or type(obj).__name__}
            return cls(obj.encode, decode=getattr(obj, "decode", None), posterior=getattr(obj, "posterior", None),
                       log_likelihood=getattr(obj, "log_likelihood", None), log_prior=getattr(obj, "log_prior", None),
                       **constructor_options(cls, options))
        return cls(obj, **constructor_options(cls, options))

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

    @property  # type: ignore[override]
    def codes_are_posterior_mean(self) -> bool:
        """True when the model has a posterior function only, or an ``encode`` returning
        ``(mean, logvar)`` and no separate posterior function."""
        return self._fns["encode"] is None or (self._fns["posterior"] is None and Capability.POSTERIOR in self.capabilities)

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
        from ..identity import state_digest

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
    inputs = frozenset({"arrays", "items"})  # latents of a dataset's rows, whatever the rows are

    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """An array, a tensor, a mapping of arrays, or the path of a ``.npy``/``.npz`` file."""
        if isinstance(obj, (str, Path)):
            return Path(obj).suffix in (".npy", ".npz")
        return isinstance(obj, (np.ndarray, Mapping)) or is_tensor(obj)

    @classmethod
    def from_object(cls, obj: Any, **options: Any) -> PrecomputedAdapter:
        """A file is read with :meth:`from_file`; arrays, tensors and mappings are the latents."""
        if isinstance(obj, (str, Path)):
            return cls.from_file(obj, **constructor_options(cls, options, target=cls.from_file))
        return cls(_to_numpy(obj) if is_tensor(obj) else obj, **constructor_options(cls, options))

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
        from ..safeio import read_npy, read_npz

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
        from ..identity import state_digest

        return state_digest({"arrays": self.arrays, "dataset": self.dataset_name})


