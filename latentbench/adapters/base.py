"""The :class:`Adapter` base class and the :class:`Capability` enum.

A task declares the :class:`Capability` values it needs; an :class:`Adapter` says which ones a
model has, and does the batching, device placement, ``torch.no_grad``/eval mode, dtype
conversion and output validation (shape, finite values) once for every model.

Inputs. An adapter declares the kinds of rows it encodes (:attr:`Adapter.inputs`): ``"arrays"``
(a dataset's ``x``, images or vectors) and/or ``"items"`` (a dataset's strings: words,
sentences). :meth:`Adapter.encode_rows` encodes a dataset's rows whichever kind they are, so the
runner's encode-once cache, the store and the report work the same for both; a model and a
dataset with no kind in common are skipped with the reason (:meth:`Adapter.input_mismatch`).

Coverage. A word model has no vector for a word outside its vocabulary. It says which items it
can encode (:meth:`Adapter.covers`, :meth:`Adapter.coverage`), and asking it for the codes of
items it cannot encode raises :class:`~latentbench.exceptions.OutOfVocabularyError` (a
:class:`~latentbench.exceptions.NotApplicableError`: the runner records a skip with the count and
the first missing words). No code is ever made up for a missing item (no NaN, no zero rows): a
task that handles coverage encodes the covered rows (``rows[adapter.coverage(dataset, rows)]``)
and records the fraction covered.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from ..constants import LOG_2PI
from ..exceptions import AdapterError, CapabilityError, InputValidationError, NotApplicableError, OutOfVocabularyError
from ..validation import check_items, is_tensor

__all__ = ["Adapter", "Capability", "INPUT_KINDS", "Vocabulary", "resolve_device", "standard_normal_log_prob"]

#: The kinds of rows an adapter can encode: a dataset's input arrays (``x``) or its items (strings).
INPUT_KINDS: tuple[str, ...] = ("arrays", "items")

#: Options :func:`~latentbench.adapters.adapt` passes to every adapter; one an adapter has no use for
#: (a device for a scikit-learn model) is dropped, any other option it does not take is an error.
COMMON_OPTIONS: tuple[str, ...] = ("name", "device", "batch_size", "dataset")



@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A word model's own vocabulary, in the model's order (most frequent first for a trained model).

    What the analogy task searches when asked for the model's vocabulary, as gensim's
    ``most_similar(restrict_vocab=N)`` searches the first ``N`` keys.

    Attributes
    ----------
    keys : list of str
        The words, in the model's order.
    vectors : ndarray of shape (len(keys), d)
        Each key's own vector (not normalised).
    groups : ndarray of shape (len(keys),), int
        For each key, the index of the first key with the same lookup form: keys that differ only in
        case are one word for a case-insensitive model (gensim's convention: the first casing
        wins), every key its own group otherwise.
    folded : dict of str to int
        Lookup form -> index of the key that encodes it (see :meth:`index`).
    fold : callable
        ``str -> str``, the lookup form of a word (``str.upper`` for a case-insensitive model).
    """

    keys: list[str]
    vectors: np.ndarray
    groups: np.ndarray
    folded: dict[str, int]
    fold: Callable[[str], str]

    @classmethod
    def build(cls, keys: list[str], vectors: np.ndarray, fold: Callable[[str], str] | None = None) -> Vocabulary:
        """The vocabulary of ``keys`` (in order) with their ``vectors``; ``fold`` maps a word to its
        lookup form (``None``: exact lookup)."""
        fold = fold or _identity
        folded: dict[str, int] = {}
        groups = np.empty(len(keys), dtype=np.int64)
        for i, key in enumerate(keys):
            groups[i] = folded.setdefault(fold(key), i)
        return cls(list(keys), vectors, groups, folded, fold)

    def __len__(self) -> int:
        return len(self.keys)

    def index(self, items: Any) -> np.ndarray:
        """The index of the key that encodes each item (``-1`` for an item outside the vocabulary)."""
        return np.fromiter((self.folded.get(self.fold(w), -1) for w in check_items(items, "items").tolist()), dtype=np.int64)


def _identity(word: str) -> str:
    return word


#: The words that end :meth:`Adapter.input_mismatch`'s reason: the report shows such a skip as "not
#: measured here" (a text model on images, an image model on words), never as a failure of the model.
INPUT_MISMATCH = "another input kind"


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
    #: Whether the codes are the posterior mean, so one call (:meth:`posterior_rows`) gives both the
    #: codes and the posterior and the runner's cache encodes each row once. Adapters set it where
    #: they know (an ``encode`` returning ``(mean, logvar)``, a model with ``posterior`` only); a
    #: user's adapter may declare it. ``False``: ``encode`` and ``posterior`` are called separately.
    codes_are_posterior_mean: bool = False
    #: The kinds of rows the adapter encodes (see the module docstring): ``"arrays"`` and/or ``"items"``.
    inputs: frozenset[str] = frozenset({"arrays"})

    def __init__(self, name: str, *, batch_size: int = 512) -> None:
        self.name = name
        self.batch_size = int(batch_size)
        self.capabilities: frozenset[Capability] = frozenset({Capability.ENCODE})
        self.latent_dim: int | None = None
        self.likelihood: str | None = None  # "bernoulli", "gaussian", ... named by the model
        self.device = "cpu"
        self.metadata: dict[str, Any] = {}

    # ------------------------------------------------------------------ the adapter registry
    @classmethod
    def can_adapt(cls, obj: Any) -> bool:
        """Whether this adapter takes ``obj`` (asked by :func:`~latentbench.adapters.adapt`, in the
        registry's order). The base class takes nothing; registered adapters override it."""
        return False

    @classmethod
    def from_object(cls, obj: Any, **options: Any) -> Adapter:
        """Build the adapter for ``obj`` with :func:`~latentbench.adapters.adapt`'s options.

        The default calls ``cls(obj, **options)`` with the options its constructor takes: common
        options it has no parameter for (``device`` for a model that does not use torch) are
        dropped, ``None`` values leave the constructor's defaults, and any other option it does
        not take is an :class:`~latentbench.exceptions.AdapterError` naming the options it has.
        """
        return cls(obj, **constructor_options(cls, options))

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
        try:
            arr = _to_numpy(out)
        except ValueError as exc:  # ragged nested sequences
            raise AdapterError(f"model {self.name!r}: {method} returned rows of varying width ({exc}); every code must have "
                               f"the same number of values") from None
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
            raise AdapterError(f"model {self.name!r}: {method} returned {arr.shape[1]} columns, expected {width} "
                               f"(rows from {row0} on); every code must have the same width")
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
        For a model that encodes items only (a text model), ``x`` are its items: see :meth:`encode_items`.
        """
        self.require(Capability.ENCODE, purpose="encode")
        if "arrays" not in self.inputs:  # a text model given its inputs directly
            return self.encode_items(x, row_offset=row_offset)
        x = _as_batch(x, "x")
        outs: list[np.ndarray] = []
        for s in range(0, len(x), self.batch_size):
            xb = x[s : s + self.batch_size]
            out = self._call("encode", self._encode_batch, xb)
            width = self.latent_dim if self.latent_dim is not None or not outs else outs[0].shape[1]
            outs.append(self._check_out("encode", out, len(xb), ndim=2, row0=row_offset + s, width=width))
        z = np.concatenate(outs).astype(np.float64, copy=False) if outs else np.zeros((0, self.latent_dim or 0))
        if self.latent_dim is None and len(z):
            self.latent_dim = z.shape[1]
        return z

    #: Items passed to one call of :meth:`_encode_items_batch` (``None``: :attr:`batch_size`). A model
    #: that batches by itself (a sentence encoder sorting sentences by length) takes many at once.
    items_per_call: int | None = None

    def covers(self, items: Any) -> np.ndarray:
        """Which ``items`` the model can encode: a boolean array, one value per item.

        Every item for a model without a vocabulary (a sentence encoder, a function of strings); a
        word model's vocabulary for a word model (:class:`~latentbench.adapters.KeyedVectorsAdapter`).
        """
        return np.ones(len(check_items(items, "items")), dtype=bool)

    def vocabulary(self, limit: int | None = None) -> Vocabulary | None:
        """The model's own vocabulary, its first ``limit`` words (all when ``None``), or ``None`` for a
        model without one (a sentence encoder, a function of strings, an image model).

        Word models (:class:`~latentbench.adapters.KeyedVectorsAdapter`,
        :class:`~latentbench.adapters.WordVectorsAdapter`) return their words in their own order with
        their vectors; the analogy task searches them when its ``vocabulary`` is ``"model"``.
        """
        return None

    def encode_items(self, items: Any, *, row_offset: int = 0) -> np.ndarray:
        """Codes ``z`` of shape ``(n, latent_dim)`` (float64) for items (strings: words, sentences).

        Parameters
        ----------
        items : sequence of str
        row_offset : int, default=0
            Added to row numbers in error messages.

        Raises
        ------
        CapabilityError
            When the model encodes input arrays, not items.
        InputValidationError
            When an item is not a string.
        OutOfVocabularyError
            When the model cannot encode some items (see :meth:`covers`); nothing is encoded.
        AdapterError
            When the model returns vectors of varying width, NaN or infinite values, or the wrong number of rows.
        """
        self.require(Capability.ENCODE, purpose="encode")
        if "items" not in self.inputs:
            raise CapabilityError(f"model {self.name!r} ({self.kind}) encodes input arrays, not items (strings); "
                                  f"adapt a text model (gensim KeyedVectors, a SentenceTransformer, a word -> vector dict, "
                                  f"or a function of strings with adapt(fn, inputs='items'))")
        items = check_items(items, "items")
        ok = self.covers(items)
        if not ok.all():
            missing = items[~ok].tolist()
            raise OutOfVocabularyError(
                f"model {self.name!r} cannot encode {len(missing)} of {len(items)} items (not in its vocabulary: "
                f"{', '.join(map(repr, missing[:5]))}{', ...' if len(missing) > 5 else ''}); encode the covered ones "
                f"(adapter.covers(items))", missing, len(items))
        step = self.items_per_call or self.batch_size
        outs: list[np.ndarray] = []
        for s in range(0, len(items), step):
            batch = items[s : s + step].tolist()
            out = self._call("encode", self._encode_items_batch, batch)
            width = self.latent_dim if self.latent_dim is not None or not outs else outs[0].shape[1]
            outs.append(self._check_out("encode", out, len(batch), ndim=2, row0=row_offset + s, width=width))
        z = np.concatenate(outs).astype(np.float64, copy=False) if outs else np.zeros((0, self.latent_dim or 0))
        if self.latent_dim is None and len(z):
            self.latent_dim = z.shape[1]
        return z

    def _encode_items_batch(self, items: list[str]) -> Any:
        raise NotImplementedError

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
    def input_kind(self, dataset: Any) -> str | None:
        """The kind of the dataset's rows this model encodes: ``"arrays"`` when both have them, else
        ``"items"`` when both have them, else ``None`` (see :meth:`input_mismatch`)."""
        have = getattr(dataset, "inputs", frozenset({"arrays"}))
        for kind in INPUT_KINDS:
            if kind in self.inputs and kind in have:
                return kind
        return None

    def input_mismatch(self, dataset: Any) -> str | None:
        """Why this model cannot encode the dataset's rows (a text model on images, an image model on
        words), or ``None``. The runner records every task on such a pair as skipped with this reason."""
        if self.input_kind(dataset) is not None:
            return None
        what = {"arrays": "input arrays", "items": "items (strings: words, sentences)"}
        have = sorted(getattr(dataset, "inputs", ()))
        return (f"model {self.name!r} ({self.kind}) encodes {' and '.join(what[k] for k in INPUT_KINDS if k in self.inputs)}; "
                f"dataset {dataset.name!r} holds {' and '.join(what[k] for k in have) or 'nothing'} ({INPUT_MISMATCH})")

    def coverage(self, dataset: Any, rows: np.ndarray) -> np.ndarray:
        """Which of the dataset's ``rows`` the model can encode (boolean, one per row): all of them
        for input arrays, :meth:`covers` of their items for items."""
        if self.input_kind(dataset) == "items":
            return self.covers(dataset.get_items(rows))
        return np.ones(len(rows), dtype=bool)

    def encode_rows(self, dataset: Any, rows: np.ndarray) -> np.ndarray:
        """Encode the dataset's ``rows`` batch by batch (images are converted per batch; items are
        encoded as strings).

        Raises
        ------
        NotApplicableError
            When the model cannot encode this kind of rows (:meth:`input_mismatch`).
        OutOfVocabularyError
            When some rows are items the model cannot encode (the message names the dataset, the count
            and the first ones); encode ``rows[self.coverage(dataset, rows)]`` instead.
        """
        kind = self.input_kind(dataset)
        if kind is None:
            raise NotApplicableError(self.input_mismatch(dataset))
        if kind == "items":
            items = dataset.get_items(rows)
            try:
                return self.encode_items(items)
            except OutOfVocabularyError as exc:
                raise OutOfVocabularyError(
                    f"model {self.name!r} cannot encode {len(exc.items)} of the {exc.n_asked} items asked for in dataset "
                    f"{dataset.name!r} (not in its vocabulary: {', '.join(map(repr, exc.items[:5]))}"
                    f"{', ...' if len(exc.items) > 5 else ''}); a task needing every row's code cannot run: tasks that "
                    f"handle coverage encode rows[adapter.coverage(dataset, rows)]", exc.items, exc.n_asked) from None
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
        from ..identity import combine_digests, probe_codes, probe_rows, warn_nondeterministic

        state = state or self.fingerprint()
        if not self.probe_identity:
            return combine_digests(state, dataset.fingerprint, "no-probe"), "not used"
        rows = probe_rows(len(dataset))
        extra: tuple[str, ...] = ()
        if self.input_kind(dataset) == "items":  # a word model's probe: the covered probe rows, and which they are
            covered = self.coverage(dataset, rows)
            rows = rows[covered]
            extra = ("covered:" + "".join("1" if c else "0" for c in covered),)
        digest, deterministic = probe_codes(lambda: self.encode_rows(dataset, rows))
        if not deterministic:
            warn_nondeterministic(self.name, dataset.name)
        return combine_digests(state, dataset.fingerprint, digest, *extra), "deterministic" if deterministic else "nondeterministic"

    def describe(self, *, fingerprint: str | None = None) -> dict[str, Any]:
        """Name, adapter kind, capabilities, latent size, likelihood and fingerprint (``fingerprint``
        when already computed), for reports and the store."""
        return {
            "name": self.name, "adapter": self.kind, "inputs": sorted(self.inputs), "capabilities": sorted(map(str, self.capabilities)),
            "latent_dim": self.latent_dim, "likelihood": self.likelihood, "fingerprint": fingerprint or self.fingerprint(),
            **({"n_parameters": n} if (n := self.n_parameters) is not None else {}),
            **({"metadata": self.metadata} if self.metadata else {}),
        }

    @property
    def n_parameters(self) -> int | None:
        """How many numbers the model holds (its weights), for the leaderboard's size column; ``None``
        where the adapter cannot tell (a callable, precomputed latents)."""
        return None

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
    if arr.dtype.kind in "US" or (arr.dtype.kind == "O" and any(isinstance(v, (str, bytes)) for v in arr.ravel()[:64])):
        raise InputValidationError(f"{name} holds strings; this model encodes numeric arrays (a text model encodes items: "
                                   f"adapt(model, inputs='items') for a function of strings)")
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


def constructor_options(cls: Any, options: dict[str, Any], *, target: Callable[..., Any] | None = None) -> dict[str, Any]:
    """The options of :func:`~latentbench.adapters.adapt` that ``target`` (default: ``cls``) takes.

    A common option (:data:`COMMON_OPTIONS`) the target has no parameter for, or whose value is
    ``None``, is dropped; any other option it does not take raises an :class:`AdapterError` naming
    the options it has.
    """
    params = inspect.signature(target or cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    out = {}
    for key, value in options.items():
        if key in COMMON_OPTIONS and (value is None or (key not in params and not takes_any)):
            continue
        if key not in params and not takes_any:
            named = [k for k, p in list(params.items())[1:] if p.kind is not inspect.Parameter.VAR_POSITIONAL]
            raise AdapterError(f"{getattr(cls, '__name__', cls)} takes no option {key!r}; its options are {', '.join(named) or 'none'}")
        out[key] = value
    return out
