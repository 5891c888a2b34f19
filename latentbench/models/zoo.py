"""Reference models: specs in ``reference_models/*.toml``, training, and the checkpoint cache.

A spec names an architecture, its objective, its dataset and its training budget::

    name = "beta4-vae-shapes"
    architecture = "conv-vae"           # ppca, mlp-vae, conv-vae, mlp-ae, conv-ae, word2vec, sentence-transformer
    tier = "quick"                      # quick (CPU, well under 2 minutes), full (GPU), text (text models) or
                                        # transfer (domain-adaptation references trained on a shifted dataset)
    dataset = "shapes"
    description = "..."
    [dataset_params]                    # the dataset's parameters (its train split is what is trained on)
    n = 10000
    [model]                             # the module's arguments: latent_dim, objective, beta, likelihood, ...
    latent_dim = 10
    objective = "beta-vae"              # pca | ae | vae | beta-vae | beta-tc-vae
    beta = 4.0
    [training]                          # optimizer, lr, batch_size, epochs, seed, precision (ppca: solver, seed)
    optimizer = "adam"
    ...

Every gradient-trained architecture goes through one loop (:func:`_train_module`) that minimises
``module.loss(x, generator)["loss"]``; the modules are in :mod:`latentbench.models.vae`.

Seeds. The spec's ``[training] seed`` is the default *training* seed; ``train_reference(..., seed=s)``
(``latentbench train NAME --seed 0 1 2``) trains one checkpoint per seed, and ``ref:NAME@s`` names
that checkpoint as a model. ``latentbench run --seeds`` sets the *evaluation* seeds (the tasks'
randomness), not the training seed: a spread over training seeds comes from evaluating
``ref:NAME@0 ref:NAME@1 ref:NAME@2`` (see :mod:`latentbench.report.bands`).

Checkpoints are cached under ``$LATENTBENCH_HOME/checkpoints`` keyed by the spec's hash and the
seed, with a JSON file beside each holding the training log, time, device, threads and fingerprint.
How a checkpoint is written, read, fingerprinted and adapted is its architecture's
:class:`CheckpointFormat`: torch modules are saved as a ``state_dict`` and loaded with
``torch.load(weights_only=True)``; word2vec vectors as a plain ``.npz`` (no pickle); a pretrained
sentence encoder is read from its installed package each time (only its metadata is cached).

Text references (tier ``text``: ``word2vec-lee``, ``minilm``; :mod:`latentbench.models.text`)
are not in ``ref:all`` (the image tiers); ``ref:all-text`` names them. They are scored on any
text dataset: their training corpus is not an evaluation set, so the runner's check that a model
is scored only on held-out rows of its own dataset does not apply to them.

One-class references (tier ``anomaly``: ``vae-conv-shapes-oneclass``, ``ae-shapes-oneclass``) are
trained on the inlier-only train split of ``shapes-anomaly`` (the heart class held out), so the
anomaly family can score encoders that never saw the anomalous class; ``ref:all-anomaly`` names
them (they are not in ``ref:all``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import dataset_reference, load_dataset
from ..data.base import hash_json
from ..exceptions import InputValidationError, SpecError, UnknownNameError
from ..identity import IDENTITY_SCHEME
from ..paths import latentbench_home
from ..progress import ProgressBar, log
from ..safeio import atomic_write_text, check_safe_name, inside
from ..specs import read_toml, spec_roots
from ..validation import check_seed
from .text import WORD2VEC_MODEL_KEYS

__all__ = [
    "ARCHITECTURES", "FORMATS", "CheckpointFormat", "ReferenceSpec", "cached_metadata", "checkpoint_dir", "checkpoint_format",
    "get_reference_spec", "history_lines", "keep_trained", "list_reference_models", "load_reference", "model_fingerprint", "objective_of",
    "reference_dataset_name", "train_reference", "train_unit",
]

TIERS = ("quick", "full", "text", "anomaly", "transfer")


@dataclass(frozen=True)
class ReferenceSpec:
    """One reference model's declaration (see the module docstring)."""

    name: str
    architecture: str
    tier: str
    dataset: str
    description: str = ""
    dataset_params: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    @property
    def spec_hash(self) -> str:
        """Hash of everything that changes the trained weights (not the description or the file path)."""
        return hash_json({"architecture": self.architecture, "dataset": self.dataset, "dataset_params": self.dataset_params,
                          "model": self.model, "training": {k: v for k, v in self.training.items() if k != "seed"}})[:12]

    @property
    def default_seed(self) -> int:
        """The training seed used when none is given (``[training] seed``, default 0)."""
        return int(self.training.get("seed", 0))


def _read_spec(path: Path) -> ReferenceSpec:
    raw = read_toml(path)
    pretrained = raw.get("architecture") in FORMATS and FORMATS[raw["architecture"]].pretrained
    missing = [k for k in ("name", "architecture", "tier", *(() if pretrained else ("dataset",))) if k not in raw]
    if missing:
        raise SpecError(f"{path}: missing {', '.join(missing)}")
    extra = set(raw) - {"name", "architecture", "tier", "dataset", "description", "dataset_params", "model", "training"}
    if extra:
        raise SpecError(f"{path}: unknown keys {sorted(extra)}")
    for key in ("name", "architecture", "tier", "dataset", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise SpecError(f"{path}: {key} must be a string, got {raw[key]!r}")
    for key in ("dataset_params", "model", "training"):
        if key in raw and not isinstance(raw[key], dict):
            raise SpecError(f"{path}: [{key}] must be a table (key = value lines under [{key}]), got {raw[key]!r}")
    if raw["tier"] not in TIERS:
        raise SpecError(f"{path}: tier must be one of {TIERS}, got {raw['tier']!r}")
    spec = ReferenceSpec(raw["name"], raw["architecture"], raw["tier"], raw.get("dataset", ""), raw.get("description", ""),
                         dict(raw.get("dataset_params", {})), dict(raw.get("model", {})), dict(raw.get("training", {})), str(path))
    _validate(spec)
    return spec


def list_reference_models() -> list[ReferenceSpec]:
    """Every reference-model spec (built-in, ``--specs`` folders, plug-ins), sorted by name.

    Raises
    ------
    SpecError
        For a malformed spec (unknown keys, an objective that does not fit the architecture, ...)
        or a name defined twice.
    """
    specs: dict[str, ReferenceSpec] = {}
    for root in spec_roots():
        folder = root / "reference_models"
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            spec = _read_spec(path)
            if spec.name in specs:
                raise SpecError(f"reference model {spec.name!r} is defined twice: {specs[spec.name].path} and {path}")
            specs[spec.name] = spec
    return [specs[k] for k in sorted(specs)]


def get_reference_spec(name: str) -> ReferenceSpec:
    """The spec called ``name`` (an :class:`UnknownNameError` suggests near names otherwise)."""
    specs = {s.name: s for s in list_reference_models()}
    if name not in specs:
        raise UnknownNameError("reference model", name, specs, "Run `latentbench list models`.")
    return specs[name]


def reference_dataset_name(spec: ReferenceSpec) -> str:
    """A dataset reference that loads the spec's own draw: its dataset with its ``[dataset_params]``
    (``shapes[n=10000]``, read by :func:`latentbench.data.load_dataset`).

    Tools that take a dataset *name* (``latentbench check``) would otherwise load the dataset's
    default draw, on which a reference model's rows are not held out (and every task is skipped).
    """
    return dataset_reference(spec.dataset, spec.dataset_params)


def checkpoint_dir() -> Path:
    """``$LATENTBENCH_HOME/checkpoints``: where trained reference models are cached."""
    return latentbench_home() / "checkpoints"


def _paths(spec: ReferenceSpec, seed: int) -> tuple[Path | None, Path]:
    """The checkpoint (``None`` for a format that stores no weights) and its JSON sidecar; the name is a
    safe file name and both stay in :func:`checkpoint_dir`."""
    check_safe_name(spec.name, "reference model name")
    seed = check_seed(seed, "training seed")
    folder = checkpoint_dir()
    stem = folder / f"{spec.name}-{spec.spec_hash}-seed{seed}"
    suffix = checkpoint_format(spec).suffix
    return (inside(folder, stem.with_name(stem.name + suffix)) if suffix else None), inside(folder, stem.with_suffix(".json"))


def _cached(spec: ReferenceSpec, seed: int) -> bool:
    """A checkpoint and a readable sidecar are both there (a damaged or missing sidecar is a cache miss)."""
    ckpt, meta_path = _paths(spec, seed)
    return (ckpt is None or ckpt.exists()) and _read_sidecar(meta_path) is not None


# ---------------------------------------------------------------------- architectures
def _build_ppca(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
    from .ppca import ProbabilisticPCA

    return ProbabilisticPCA(config["n_features"], config["latent_dim"], tuple(config["obs_shape"]))


def _module_builder(cls_name: str) -> Callable[[ReferenceSpec, dict[str, Any]], Any]:
    def build(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
        from . import vae

        return getattr(vae, cls_name)(**config)

    build.__name__ = f"_build_{cls_name}"
    return build


def _build_dann(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
    from .dann import DANN

    return DANN(**config)


def _build_sentence_transformer(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
    from .text import build_sentence_transformer

    return build_sentence_transformer(spec, config)


def _build_word2vec(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
    raise SpecError(f"reference model {spec.name!r}: word2vec vectors are trained from a corpus (train_reference), "
                    f"not built from a config")


#: Architecture name -> builder ``(spec, config) -> module`` (``config`` is the module's ``config()``).
ARCHITECTURES: dict[str, Callable[[ReferenceSpec, dict[str, Any]], Any]] = {
    "ppca": _build_ppca,
    "mlp-vae": _module_builder("MLPVAE"),
    "conv-vae": _module_builder("ConvVAE"),
    "mlp-ae": _module_builder("MLPAE"),
    "conv-ae": _module_builder("ConvAE"),
    "mlp-dann": _build_dann,
    "word2vec": _build_word2vec,
    "sentence-transformer": _build_sentence_transformer,
}

#: The objectives each architecture can be trained with (``[model] objective``; the first is the default).
ARCHITECTURE_OBJECTIVES: dict[str, tuple[str, ...]] = {
    "ppca": ("pca",),
    "mlp-vae": ("vae", "beta-vae", "beta-tc-vae"),
    "conv-vae": ("vae", "beta-vae", "beta-tc-vae"),
    "mlp-ae": ("ae",),
    "conv-ae": ("ae",),
    "mlp-dann": ("dann", "source-only"),
    "word2vec": ("skip-gram", "cbow"),
    "sentence-transformer": ("pretrained",),
}

#: ``[training]`` keys of the architectures that do not train by gradient steps on arrays (the others
#: take every key of :data:`TRAINING_DEFAULTS`).
ARCHITECTURE_TRAINING_KEYS: dict[str, tuple[str, ...]] = {
    "word2vec": ("epochs", "seed"),
    "sentence-transformer": ("seed",),
}

#: ``[training]`` keys and their defaults (gradient-trained architectures; ``ppca`` uses ``solver`` and ``seed``).
TRAINING_DEFAULTS: dict[str, Any] = {
    "optimizer": "adam", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
    "batch_size": 128, "epochs": 50, "seed": 0, "precision": "fp32", "solver": "auto",
}
OPTIMIZERS = ("adam",)
PRECISIONS = ("fp32", "bf16")


def objective_of(spec: ReferenceSpec) -> str:
    """The spec's objective (``[model] objective``, else the architecture's default)."""
    return str(spec.model.get("objective", ARCHITECTURE_OBJECTIVES[spec.architecture][0]))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_pos_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


_POS_INT = ("a positive integer", _is_pos_int)
_INT_LIST = ("a non-empty list of positive integers", lambda v: isinstance(v, list) and bool(v) and all(_is_pos_int(h) for h in v))
_BETA = ("a finite number >= 0", lambda v: _is_number(v) and v >= 0)
_OBJECTIVE = ("a string", lambda v: isinstance(v, str))


def _one_of(options: tuple[str, ...]) -> tuple[str, Any]:
    return f"one of {list(options)}", lambda v: v in options


#: ``[model]`` keys of each architecture, each with what it must be (the module's constructor arguments).
MODEL_KEYS: dict[str, dict[str, tuple[str, Any]]] = {
    "ppca": {"latent_dim": _POS_INT, "objective": _OBJECTIVE},
    "mlp-vae": {"latent_dim": _POS_INT, "hidden": _INT_LIST, "likelihood": _one_of(("gaussian", "bernoulli")), "beta": _BETA,
                "objective": _OBJECTIVE},
    "conv-vae": {"latent_dim": _POS_INT, "channels": _INT_LIST, "hidden": _POS_INT, "likelihood": _one_of(("gaussian", "bernoulli")),
                 "beta": _BETA, "objective": _OBJECTIVE},
    "mlp-ae": {"latent_dim": _POS_INT, "hidden": _INT_LIST, "loss": _one_of(("bernoulli", "gaussian")), "objective": _OBJECTIVE},
    "conv-ae": {"latent_dim": _POS_INT, "channels": _INT_LIST, "hidden": _POS_INT, "loss": _one_of(("bernoulli", "gaussian")),
                "objective": _OBJECTIVE},
    "mlp-dann": {"latent_dim": _POS_INT, "hidden": _INT_LIST, "domain_hidden": _POS_INT, "objective": _OBJECTIVE,
                 "lambda_max": _BETA},
    # gensim Word2Vec's own arguments (checked by gensim when it trains)
    "word2vec": {key: ("a value gensim's Word2Vec accepts", lambda v: isinstance(v, (int, float, str, bool)))
                 for key in WORD2VEC_MODEL_KEYS},
    "sentence-transformer": {"latent_dim": _POS_INT, "objective": _OBJECTIVE, "package": ("a module name", lambda v: isinstance(v, str)),
                             "normalize_embeddings": ("true or false", lambda v: isinstance(v, bool))},
}

#: ``[training]`` keys other than the choices checked below, each with what it must be.
TRAINING_CHECKS: dict[str, tuple[str, Any]] = {
    "lr": ("a finite number > 0", lambda v: _is_number(v) and v > 0),
    "betas": ("a list of two numbers in [0, 1)", lambda v: isinstance(v, list) and len(v) == 2 and all(_is_number(b) and 0 <= b < 1 for b in v)),
    "eps": ("a finite number > 0", lambda v: _is_number(v) and v > 0),
    "weight_decay": ("a finite number >= 0", lambda v: _is_number(v) and v >= 0),
    "seed": ("an integer in [0, 2**32)", lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**32),
}


def _validate(spec: ReferenceSpec) -> None:
    where = f"(in {spec.path})" if spec.path else f"(reference model {spec.name!r})"
    try:
        check_safe_name(spec.name, "reference model name")  # it becomes the checkpoint's file name
    except InputValidationError as exc:
        raise SpecError(f"{where}: {exc}") from None
    for key in ("architecture", "dataset"):
        if not isinstance(getattr(spec, key), str):
            raise SpecError(f"{where}: {key} must be a string, got {getattr(spec, key)!r}")
    for key in ("dataset_params", "model", "training"):
        if not isinstance(getattr(spec, key), dict):
            raise SpecError(f"{where}: [{key}] must be a table, got {getattr(spec, key)!r}")
    if spec.architecture not in ARCHITECTURES:
        raise UnknownNameError("architecture", spec.architecture, ARCHITECTURES, where)
    allowed = ARCHITECTURE_OBJECTIVES[spec.architecture]
    if objective_of(spec) not in allowed:
        raise SpecError(f"{where}: objective {objective_of(spec)!r} does not fit architecture {spec.architecture!r}; use one of {list(allowed)}")
    keys = MODEL_KEYS[spec.architecture]
    unknown = sorted(set(spec.model) - set(keys))
    if unknown:
        raise SpecError(f"{where}: unknown [model] keys {unknown} for architecture {spec.architecture!r}; known: {sorted(keys)}")
    for key, value in spec.model.items():
        what, ok = keys[key]
        if not ok(value):
            raise SpecError(f"{where}: [model] {key} must be {what}, got {value!r}")
    known = ARCHITECTURE_TRAINING_KEYS.get(spec.architecture, tuple(TRAINING_DEFAULTS))
    unknown = sorted(set(spec.training) - set(known))
    if unknown:
        raise SpecError(f"{where}: unknown [training] keys {unknown}; known for {spec.architecture}: {sorted(known)}")
    for key, value in spec.training.items():
        if key in TRAINING_CHECKS and not TRAINING_CHECKS[key][1](value):
            raise SpecError(f"{where}: [training] {key} must be {TRAINING_CHECKS[key][0]}, got {value!r}")
    if spec.architecture == "sentence-transformer" and not spec.model.get("package"):
        raise SpecError(f"{where}: [model] package (the installed package holding the model) is missing")
    t = {**TRAINING_DEFAULTS, **spec.training}
    if t["optimizer"] not in OPTIMIZERS:
        raise SpecError(f"{where}: optimizer must be one of {list(OPTIMIZERS)}, got {t['optimizer']!r}")
    if t["precision"] not in PRECISIONS:
        raise SpecError(f"{where}: precision must be one of {list(PRECISIONS)}, got {t['precision']!r}")
    for key in ("batch_size", "epochs"):
        if isinstance(t[key], bool) or not isinstance(t[key], int) or t[key] < 1:
            raise SpecError(f"{where}: [training] {key} must be a positive integer, got {t[key]!r}")
    if spec.architecture == "ppca":
        from .ppca import SOLVERS

        if t["solver"] not in SOLVERS:
            raise SpecError(f"{where}: [training] solver must be one of {list(SOLVERS)}, got {t['solver']!r}")


def _module_config(spec: ReferenceSpec, dataset: Any) -> dict[str, Any]:
    """The module's constructor arguments: the spec's ``[model]`` table, the data's shape and, for
    beta-TC-VAE, the training set's size (the MWS estimator needs it)."""
    config = {k: v for k, v in spec.model.items() if not (k == "objective" and spec.architecture.endswith("-ae"))}
    config["obs_shape"] = list(dataset.obs_shape)
    if objective_of(spec) == "beta-tc-vae":
        config["dataset_size"] = int(len(dataset.split("train")))
    return config


# ---------------------------------------------------------------------- training
class _TrainData:
    """The training rows on the training device, converted to float32 one batch at a time.

    Small data sets are held as float32; larger bit-packed (``shapes``) or ``uint8`` ones are held
    in their compact storage on the device and unpacked per batch there (the full 737,280-image grid
    is 377 MB bit-packed, 12 GB as float32); anything else is read from the host per batch.
    """

    def __init__(self, dataset: Any, rows: np.ndarray, device: str, float_limit: int = 2**31) -> None:
        import torch

        self.dataset, self.rows, self.device = dataset, rows, device
        self.n_features = int(dataset.n_features)
        if len(rows) * self.n_features * 4 < float_limit:
            self.mode = "float"
            self.x = torch.as_tensor(dataset.get_x(rows, flat=True), device=device)
        elif dataset.storage == "bits":
            self.mode = "bits"
            self.x = torch.as_tensor(np.ascontiguousarray(dataset.x[rows]).reshape(len(rows), -1), device=device)
            self.shifts = torch.arange(7, -1, -1, device=device, dtype=torch.uint8)  # np.packbits is big-endian
        elif dataset.storage == "uint8":
            self.mode = "uint8"
            self.x = torch.as_tensor(np.ascontiguousarray(dataset.x[rows]).reshape(len(rows), -1), device=device)
        else:
            self.mode = "host"

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, idx: Any) -> Any:
        """Float32 ``(len(idx), n_features)`` for positions ``idx`` (a CPU int64 tensor) into the rows."""
        import torch

        if self.mode == "host":
            return torch.as_tensor(self.dataset.get_x(self.rows[idx.numpy()], flat=True), device=self.device)
        raw = self.x[idx.to(self.device)]
        if self.mode == "float":
            return raw
        if self.mode == "uint8":
            return raw.to(torch.float32) * torch.tensor(1.0 / 255.0, dtype=torch.float32)
        bits = (raw.unsqueeze(-1) >> self.shifts) & 1
        return bits.reshape(len(raw), -1)[:, : self.n_features].to(torch.float32)

    def batches(self, batch_size: int) -> Any:
        """Every row once, in order."""
        import torch

        for s in range(0, len(self.rows), batch_size):
            yield self.batch(torch.arange(s, min(s + batch_size, len(self.rows))))


def _fit_ppca(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    from .ppca import ProbabilisticPCA, resolve_solver, streaming_moments

    rows = dataset.split("train")
    k = int(spec.model.get("latent_dim", 10))
    solver = str(spec.training.get("solver", "auto"))
    fits_in_memory = len(rows) * dataset.n_features * 8 < 2**31
    solver = resolve_solver(solver, device) if solver != "auto" or fits_in_memory else "eigh"
    if solver == "eigh" and not fits_in_memory:
        data = _TrainData(dataset, rows, device)
        mean, cov, n = streaming_moments(data.batches(8192), device=device)
        model = ProbabilisticPCA.fit_moments(mean, cov, n, k, obs_shape=dataset.obs_shape, device=device)
    else:
        x = dataset.get_x(rows, flat=True)
        model = ProbabilisticPCA.fit(x, k, obs_shape=dataset.obs_shape, device=device, solver=solver, seed=seed)
    return model, [{"epoch": 0, "sigma2": float(model.sigma2)}], {"solver": solver, "n_train": int(len(rows))}


def _train_module(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """The one training loop: minibatch Adam on ``module.loss(x, generator)["loss"]``.

    Randomness: ``torch.manual_seed(seed)`` before the module is built (its initial weights), a CPU
    generator seeded with ``seed`` for the epoch permutations, and per batch a generator (on the
    training device) seeded from it for the reparameterisation noise. On the CPU with a fixed thread
    count the loss curve and the weights are the same to the last bit; GPU kernels are not bitwise
    reproducible.
    """
    import torch

    t = {**TRAINING_DEFAULTS, **spec.training}
    rows = dataset.split("train")
    torch.manual_seed(seed)
    model = ARCHITECTURES[spec.architecture](spec, _module_config(spec, dataset)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=float(t["lr"]), betas=tuple(float(b) for b in t["betas"]),
                           eps=float(t["eps"]), weight_decay=float(t["weight_decay"]))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    data = _TrainData(dataset, rows, device)
    n = len(rows)
    batch_size, epochs = int(t["batch_size"]), int(t["epochs"])
    steps_per_epoch = -(-n // batch_size)
    dev_type = torch.device(device).type
    amp = t["precision"] == "bf16"
    history: list[dict[str, Any]] = []
    bar = ProgressBar(epochs * steps_per_epoch, f"train {spec.name} (seed {seed})")
    model.train()
    try:
        for epoch in range(epochs):
            perm = torch.randperm(n, generator=gen)
            sums: dict[str, Any] = {}
            seen = 0
            for step, s in enumerate(range(0, n, batch_size)):
                idx = perm[s : s + batch_size]
                xb = data.batch(idx)
                eps_gen = torch.Generator(device=device).manual_seed(int(torch.randint(2**31, (1,), generator=gen)))
                with torch.autocast(device_type=dev_type, dtype=torch.bfloat16, enabled=amp):
                    terms = model.loss(xb, eps_gen)
                opt.zero_grad(set_to_none=True)
                terms["loss"].backward()
                opt.step()
                for key, value in terms.items():  # float64 sums on the device: no sync per step
                    sums[key] = sums.get(key, 0.0) + value.detach().double() * len(idx)
                seen += len(idx)
                bar.update()
                if step % 25 == 24:
                    bar.show({"epoch": epoch + 1, **{key: float(v) / seen for key, v in sums.items() if key != "loss"}})
            entry: dict[str, Any] = {"epoch": epoch + 1, **{key: float(v) / n for key, v in sums.items()}}
            if "kl" in entry and spec.architecture.endswith("-vae"):
                entry["elbo"] = -(entry["recon"] + entry["kl"])
            history.append(entry)
            bar.show({key: v for key, v in entry.items() if key != "loss"})
    finally:
        bar.close()
    model.eval()
    info = {"n_train": int(n), "epochs": epochs, "steps": epochs * steps_per_epoch, "batch_size": batch_size,
            "precision": t["precision"], "objective": objective_of(spec)}
    return model, history, info


def _train_dann(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    from .dann import train_dann

    return train_dann(spec, dataset, device, seed)


def _train_word2vec(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    from .text import train_word2vec

    return train_word2vec(spec, dataset, device, seed)


def _load_pretrained(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    from .text import load_pretrained

    return load_pretrained(spec, dataset, device, seed)


TRAINERS: dict[str, Callable[..., tuple[Any, list[dict[str, Any]], dict[str, Any]]]] = {
    "ppca": _fit_ppca, "mlp-vae": _train_module, "conv-vae": _train_module, "mlp-ae": _train_module, "conv-ae": _train_module,
    "mlp-dann": _train_dann,
    "word2vec": _train_word2vec, "sentence-transformer": _load_pretrained,
}


# ---------------------------------------------------------------------- checkpoint formats
@dataclass(frozen=True)
class CheckpointFormat:
    """How one kind of reference model is cached, read back, fingerprinted and adapted.

    Attributes
    ----------
    suffix : str or None
        The checkpoint file's suffix; ``None`` when no weights are stored (a pretrained model read
        from its installed package: only the metadata JSON is cached).
    save : callable ``(model, path) -> None``
    load : callable ``(spec, path, device) -> model``
        ``path`` is ``None`` for a format without a suffix.
    config : callable ``(model) -> dict``
    adapter : callable ``(model, name, device, spec) -> Adapter``
        The model's adapter; its fingerprint is the checkpoint's (stored in the metadata, shown by
        ``list models``).
    bound_to_dataset : bool
        Whether the model may be scored only on held-out rows of the dataset it was trained on (image
        references); ``False`` for text references, whose training corpus is no evaluation set.
    pretrained : bool
        Nothing is trained (no training seeds but the spec's).
    """

    suffix: str | None
    save: Callable[[Any, Path], None]
    load: Callable[[ReferenceSpec, Path | None, str], Any]
    config: Callable[[Any], dict[str, Any]]
    adapter: Callable[[Any, str, str, ReferenceSpec], Any]
    bound_to_dataset: bool = True
    pretrained: bool = False


def _torch_save(model: Any, path: Path) -> None:
    import torch

    torch.save({"state_dict": model.state_dict(), "config": model.config()}, path)


def _torch_load(spec: ReferenceSpec, path: Path | None, device: str) -> Any:
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    model = ARCHITECTURES[spec.architecture](spec, state["config"])
    model.load_state_dict(state["state_dict"])
    model.eval()
    return model.to(device)


def _torch_adapter(model: Any, name: str, device: str, spec: ReferenceSpec) -> Any:
    from ..adapters import TorchAdapter

    return TorchAdapter(model, name=name, device=device)


def _w2v_save(kv: Any, path: Path) -> None:
    from .text import save_word2vec_vectors

    save_word2vec_vectors(kv, path)


def _w2v_load(spec: ReferenceSpec, path: Path | None, device: str) -> Any:
    from .text import load_word2vec_vectors

    assert path is not None
    return load_word2vec_vectors(path)


def _w2v_adapter(kv: Any, name: str, device: str, spec: ReferenceSpec) -> Any:
    from ..adapters import KeyedVectorsAdapter

    # trained on lower-cased tokens: words are looked up as gensim's evaluations do (case-insensitively)
    return KeyedVectorsAdapter(kv, name=name, case_insensitive=True)


def _st_load(spec: ReferenceSpec, path: Path | None, device: str) -> Any:
    from .text import build_sentence_transformer

    return build_sentence_transformer(spec, device=device)


def _st_adapter(model: Any, name: str, device: str, spec: ReferenceSpec) -> Any:
    from ..adapters import SentenceTransformerAdapter

    return SentenceTransformerAdapter(model, name=name, device=device,
                                      normalize_embeddings=bool(spec.model.get("normalize_embeddings", False)))


def _no_save(model: Any, path: Path) -> None:
    return None


def _st_config(model: Any) -> dict[str, Any]:
    get_dim = getattr(model, "get_embedding_dimension", None) or getattr(model, "get_sentence_embedding_dimension", None)
    return {"embedding_dimension": get_dim() if callable(get_dim) else None, "max_seq_length": getattr(model, "max_seq_length", None),
            "pipeline": repr(model)}


TORCH_FORMAT = CheckpointFormat(".pt", _torch_save, _torch_load, lambda m: m.config(), _torch_adapter)

#: Architecture -> checkpoint format (:data:`TORCH_FORMAT` for every architecture not listed).
FORMATS: dict[str, CheckpointFormat] = {
    "word2vec": CheckpointFormat(".npz", _w2v_save, _w2v_load, lambda kv: {"vector_size": int(kv.vector_size), "vocabulary": len(kv)},
                                 _w2v_adapter, bound_to_dataset=False),
    "sentence-transformer": CheckpointFormat(None, _no_save, _st_load, _st_config, _st_adapter, bound_to_dataset=False,
                                             pretrained=True),
}


def model_fingerprint(spec: ReferenceSpec, model: Any) -> str:
    """The fingerprint of a reference model: its adapter's, on the CPU."""
    return checkpoint_format(spec).adapter(model, spec.name, "cpu", spec).fingerprint()


def checkpoint_format(spec: ReferenceSpec) -> CheckpointFormat:
    """The :class:`CheckpointFormat` of the spec's architecture."""
    return FORMATS.get(spec.architecture, TORCH_FORMAT)


def history_lines(meta: dict[str, Any]) -> list[str]:
    """The training log of a checkpoint's metadata as text lines (one per epoch, then a summary)."""
    out = []
    hist = meta.get("history", [])
    epochs = len(hist)
    for h in hist:
        terms = " ".join(f"{k}={v:.6g}" for k, v in h.items() if k != "epoch")
        out.append(f"{meta.get('name')} seed {meta.get('seed')} epoch {h.get('epoch')}/{epochs}: {terms}")
    out.append(f"{meta.get('name')} seed {meta.get('seed')}: trained in {meta.get('train_seconds')} s on {meta.get('device')} "
               f"({meta.get('device_name')}, {meta.get('threads') or '-'} threads, torch {meta.get('torch')}); "
               f"fingerprint {meta.get('fingerprint')}")
    return out


# ---------------------------------------------------------------------- cache
def train_reference(spec: ReferenceSpec | str, *, seed: int | None = None, device: str = "cpu", force: bool = False) -> tuple[Any, dict[str, Any]]:
    """Train (or load from the cache) one reference model.

    Parameters
    ----------
    spec : ReferenceSpec or str
        The spec or its name.
    seed : int, optional
        The *training* seed (initial weights, batch order, noise); default the spec's ``[training] seed``.
        Each seed is its own checkpoint; evaluate it as ``ref:NAME@SEED``.
    device : str, default="cpu"
        ``cpu`` trains with ``$LATENTBENCH_TRAIN_THREADS`` torch threads (default 1, so the loss curve
        is reproducible to the last bit); ``cuda`` on a GPU.
    force : bool, default=False
        Retrain even when a checkpoint is cached.

    Returns
    -------
    module : torch.nn.Module
        In eval mode, on ``device``.
    metadata : dict
        What the checkpoint's JSON holds: spec, seed, device, threads, training time, per-epoch loss
        terms (``history``, ``final``), fingerprint, versions.
    """
    import torch

    spec = get_reference_spec(spec) if isinstance(spec, str) else spec
    _validate(spec)
    seed = spec.default_seed if seed is None else check_seed(seed, "training seed")
    fmt = checkpoint_format(spec)
    if fmt.pretrained and seed != spec.default_seed:
        raise SpecError(f"reference model {spec.name!r} is pretrained (loaded, not trained): it has no training seed {seed}; "
                        f"use ref:{spec.name}")
    ckpt, meta_path = _paths(spec, seed)
    if _cached(spec, seed) and not force:
        return _load(spec, seed, device)  # a damaged or missing sidecar is a cache miss: trained again
    dataset = load_dataset(spec.dataset, **spec.dataset_params) if spec.dataset else None
    threads = torch.get_num_threads()
    train_threads = int(os.environ.get("LATENTBENCH_TRAIN_THREADS", "1")) if device == "cpu" else None
    cudnn_benchmark = torch.backends.cudnn.benchmark
    if train_threads:
        torch.set_num_threads(train_threads)
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    log(f"{'loading' if fmt.pretrained else 'training'} {spec.name} (seed {seed}, {spec.tier} spec, {spec.dataset or 'pretrained'}, "
        f"device {device})")
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with _blas_threads(train_threads):  # scikit-learn/NumPy BLAS too: 2 OpenBLAS threads on a busy machine ran 20x slower
            model, history, info = TRAINERS[spec.architecture](spec, dataset, device, seed)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    finally:
        torch.set_num_threads(threads)
        torch.backends.cudnn.benchmark = cudnn_benchmark
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    fingerprint = model_fingerprint(spec, model)
    n_seen = info.get("n_train", 0) * info.get("epochs", 0)
    meta = {
        "name": spec.name, "spec_hash": spec.spec_hash, "seed": seed, "architecture": spec.architecture,
        "objective": objective_of(spec), "tier": spec.tier, "dataset": spec.dataset, "dataset_params": spec.dataset_params,
        "dataset_fingerprint": dataset.fingerprint if dataset is not None else None, "model": spec.model, "training": spec.training,
        "config": fmt.config(model), "device": device, "device_name": _device_name(device), "train_seconds": round(seconds, 3),
        "train_cpu_seconds": round(cpu_seconds, 3), "threads": train_threads, "torch": torch.__version__, "fingerprint": fingerprint,
        "identity_scheme": IDENTITY_SCHEME, **info,
        "samples_per_second": round(n_seen / seconds, 1) if n_seen and seconds > 0 else None,
        "history": history, "final": history[-1] if history else {},
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": platform.node(),
    }
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    if ckpt is not None:
        tmp = inside(checkpoint_dir(), ckpt.with_name(ckpt.name + ".tmp"))
        fmt.save(model, tmp)
        tmp.replace(ckpt)
    atomic_write_text(meta_path, json.dumps(meta, indent=1, default=str))  # whole or not at all: a crash leaves a cache miss
    log(f"{'loaded' if fmt.pretrained else 'trained'} {spec.name} (seed {seed}) in {seconds:.1f} s on {device}; "
        f"fingerprint {fingerprint}; checkpoint {ckpt or meta_path}")
    return _to_device(model, device), meta


def _to_device(model: Any, device: str) -> Any:
    """A torch module (a sentence encoder too) moved to ``device``; word vectors have no device."""
    return model.to(device) if callable(getattr(model, "to", None)) else model


def _blas_threads(n: int | None) -> Any:
    """Limit the BLAS/OpenMP thread pools (NumPy, SciPy, scikit-learn) to ``n`` threads while training on the CPU."""
    import contextlib

    if not n:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover (a dependency of scikit-learn)
        return contextlib.nullcontext()
    return threadpool_limits(n)


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return platform.processor() or platform.machine()


def _load(spec: ReferenceSpec, seed: int, device: str) -> tuple[Any, dict[str, Any]]:
    ckpt, meta_path = _paths(spec, seed)
    fmt = checkpoint_format(spec)
    model = fmt.load(spec, ckpt, "cpu")
    meta = _read_sidecar(meta_path)
    if meta is None:
        raise SpecError(f"the metadata of checkpoint {ckpt or meta_path} is missing or damaged; retrain with "
                        f"`latentbench train {spec.name} --seed {seed} --force`")
    if meta.get("identity_scheme") != IDENTITY_SCHEME:
        meta = _migrate_identity(spec, model, meta, meta_path)
    return _to_device(model, device), meta


def _migrate_identity(spec: ReferenceSpec, model: Any, meta: dict[str, Any], meta_path: Path) -> dict[str, Any]:
    """Recompute a checkpoint's fingerprints under the current identity scheme (no retraining).

    The model's fingerprint is recomputed from its weights and code. The training dataset's is
    recomputed only when the stored one is what scheme 1 gave for the spec's dataset today (name,
    version and parameters): then the same draw is regenerated; otherwise the old value is kept,
    so the runner still refuses to score the model on a draw it was not trained on.
    """
    meta = {**meta, "fingerprint_scheme1": meta.get("fingerprint"), "fingerprint": model_fingerprint(spec, model)}
    dataset = load_dataset(spec.dataset, **spec.dataset_params) if spec.dataset else None
    if dataset is not None and meta.get("dataset_fingerprint") == hash_json({"name": dataset.name, "version": dataset.version, "params": dataset.params})[:16]:
        meta["dataset_fingerprint"] = dataset.fingerprint
    meta["identity_scheme"] = IDENTITY_SCHEME
    atomic_write_text(meta_path, json.dumps(meta, indent=1, default=str))
    return meta


def _read_sidecar(meta_path: Path) -> dict[str, Any] | None:
    """A checkpoint's JSON metadata, or ``None`` when it is missing or damaged (a cache miss)."""
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):  # missing, unreadable, truncated, not JSON, not UTF-8
        return None
    return meta if isinstance(meta, dict) and "fingerprint" in meta else None


def load_reference(name: str, *, seed: int | None = None, device: str = "cpu", train: bool = True) -> tuple[Any, dict[str, Any]]:
    """A reference model by name and training seed, trained on first use when ``train`` (else an error if not cached).

    Parameters
    ----------
    name : str
        The spec's name (without ``ref:``).
    seed : int, optional
        The training seed (default: the spec's).
    device : str, default="cpu"
        Where the module is put (and trained, on first use).
    train : bool, default=True

    Returns
    -------
    module, metadata
        As :func:`train_reference`.
    """
    spec = get_reference_spec(name)
    seed = spec.default_seed if seed is None else check_seed(seed, "training seed")
    if not _cached(spec, seed):
        if not train:
            raise SpecError(f"reference model {name!r} (seed {seed}) is not trained yet; run `latentbench train {name} --seed {seed}`")
    return train_reference(spec, seed=seed, device=device)


def cached_metadata(spec: ReferenceSpec) -> list[dict[str, Any]]:
    """Metadata of every cached checkpoint of ``spec`` (any seed)."""
    out = []
    for p in sorted(checkpoint_dir().glob(f"{spec.name}-{spec.spec_hash}-seed*.json")):
        meta = _read_sidecar(p)
        if meta is not None:
            out.append(meta)
    return out


def train_unit(job: tuple[str, int | None, str, bool, str]) -> Iterator[dict[str, Any]]:
    """Train one reference model and seed where it runs (a Ray worker): yields once its metadata and
    its files' bytes, ``{"meta": ..., "files": {file name: bytes}}``, for :func:`keep_trained` on the
    driver. ``job`` is ``(name, seed, device, force, home)``, ``home`` the driver's ``LATENTBENCH_HOME``."""
    name, seed, device, force, home = job
    before = os.environ.get("LATENTBENCH_HOME")
    os.environ["LATENTBENCH_HOME"] = home
    try:
        spec = get_reference_spec(name)
        _, meta = train_reference(spec, seed=seed, device=device, force=force)
        files = {p.name: p.read_bytes() for p in _paths(spec, meta["seed"]) if p is not None and p.exists()}
    finally:
        if before is None:
            os.environ.pop("LATENTBENCH_HOME", None)
        else:
            os.environ["LATENTBENCH_HOME"] = before
    yield {"name": spec.name, "meta": meta, "files": files}


def keep_trained(result: Mapping[str, Any]) -> None:
    """Write a checkpoint trained elsewhere (:func:`train_unit`) into this machine's cache, byte for
    byte (the fingerprint in its sidecar is the one computed where it was trained); files already
    there with the same bytes (one machine, one cache) are left alone."""
    spec = get_reference_spec(result["name"])
    for path in _paths(spec, result["meta"]["seed"]):
        if path is None or path.name not in result["files"]:
            continue
        data = result["files"][path.name]
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

