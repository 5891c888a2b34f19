"""Reference models: specs in ``reference_models/*.toml``, training, and the checkpoint cache.

A spec names an architecture, its dataset and its training budget::

    name = "vae"
    architecture = "mlp-vae"
    tier = "quick"                      # quick (CPU, about a minute) or full (GPU)
    dataset = "digits"
    description = "..."
    [dataset_params]
    [model]                             # the architecture's arguments (latent_dim, beta, ...)
    [training]                          # epochs, batch_size, lr, optimizer, seed

Checkpoints are cached under ``$LATENTBENCH_HOME/checkpoints`` keyed by the spec's hash and the
seed, with a JSON file beside each holding the training log, time, device and fingerprint.
They are loaded with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any



from ..data import load_dataset
from ..data.base import hash_json
from ..exceptions import SpecError, UnknownNameError
from ..progress import log, progress
from ..specs import read_toml, spec_roots
from ..store import latentbench_home

__all__ = ["ReferenceSpec", "get_reference_spec", "list_reference_models", "load_reference", "train_reference", "checkpoint_dir"]

TIERS = ("quick", "full")


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
        return int(self.training.get("seed", 0))


def _read_spec(path: Path) -> ReferenceSpec:
    raw = read_toml(path)
    missing = [k for k in ("name", "architecture", "tier", "dataset") if k not in raw]
    if missing:
        raise SpecError(f"{path}: missing {', '.join(missing)}")
    extra = set(raw) - {"name", "architecture", "tier", "dataset", "description", "dataset_params", "model", "training"}
    if extra:
        raise SpecError(f"{path}: unknown keys {sorted(extra)}")
    if raw["tier"] not in TIERS:
        raise SpecError(f"{path}: tier must be one of {TIERS}, got {raw['tier']!r}")
    if raw["architecture"] not in ARCHITECTURES:
        raise UnknownNameError("architecture", raw["architecture"], ARCHITECTURES, f"(in {path})")
    return ReferenceSpec(raw["name"], raw["architecture"], raw["tier"], raw["dataset"], raw.get("description", ""),
                         dict(raw.get("dataset_params", {})), dict(raw.get("model", {})), dict(raw.get("training", {})), str(path))


def list_reference_models() -> list[ReferenceSpec]:
    """Every reference-model spec, sorted by name."""
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
    """The spec called ``name``."""
    specs = {s.name: s for s in list_reference_models()}
    if name not in specs:
        raise UnknownNameError("reference model", name, specs, "Run `latentbench list models`.")
    return specs[name]


def checkpoint_dir() -> Path:
    return latentbench_home() / "checkpoints"


def _paths(spec: ReferenceSpec, seed: int) -> tuple[Path, Path]:
    stem = checkpoint_dir() / f"{spec.name}-{spec.spec_hash}-seed{seed}"
    return stem.with_suffix(".pt"), stem.with_suffix(".json")


# ---------------------------------------------------------------------- architectures
def _build_ppca(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
    from .ppca import ProbabilisticPCA

    return ProbabilisticPCA(config["n_features"], config["latent_dim"], tuple(config["obs_shape"]))


def _build_mlp_vae(spec: ReferenceSpec, config: dict[str, Any]) -> Any:
    from .vae import MLPVAE

    return MLPVAE(**config)


ARCHITECTURES: dict[str, Callable[[ReferenceSpec, dict[str, Any]], Any]] = {
    "ppca": _build_ppca,
    "mlp-vae": _build_mlp_vae,
}


def _fit_ppca(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]]]:
    from .ppca import ProbabilisticPCA

    x = dataset.get_x(dataset.split("train"), flat=True)
    model = ProbabilisticPCA.fit(x, int(spec.model.get("latent_dim", 10)), obs_shape=dataset.obs_shape, device=device)
    return model, [{"epoch": 0, "sigma2": float(model.sigma2)}]


def _train_mlp_vae(spec: ReferenceSpec, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]]]:
    import torch

    from .vae import MLPVAE

    t = spec.training
    torch.manual_seed(seed)
    model = MLPVAE(dataset.obs_shape, **spec.model).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=float(t.get("lr", 1e-3)))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    rows = dataset.split("train")
    n = len(rows)
    preload = n * dataset.n_features * 4 < 2**31
    x_all = torch.as_tensor(dataset.get_x(rows, flat=True), device=device) if preload else None
    batch_size, epochs = int(t.get("batch_size", 128)), int(t.get("epochs", 50))
    history = []
    bar = progress(range(epochs), total=epochs, desc=f"train {spec.name} (seed {seed})", unit="epoch")
    for epoch in bar:
        model.train()
        perm = torch.randperm(n, generator=gen)
        sums = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
        for s in range(0, n, batch_size):
            idx = perm[s : s + batch_size]
            xb = x_all[idx.to(device)] if x_all is not None else torch.as_tensor(dataset.get_x(rows[idx.numpy()], flat=True), device=device)
            eps_gen = torch.Generator(device=device).manual_seed(int(torch.randint(2**31, (1,), generator=gen)))
            terms = model.loss(xb, eps_gen)
            opt.zero_grad(set_to_none=True)
            terms["loss"].backward()
            opt.step()
            for k in sums:
                sums[k] += float(terms[k].detach()) * len(idx)
        entry = {"epoch": epoch + 1, **{k: v / n for k, v in sums.items()}}
        history.append(entry)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{entry['loss']:.3f}", recon=f"{entry['recon']:.3f}", kl=f"{entry['kl']:.3f}")
    model.eval()
    return model, history


TRAINERS: dict[str, Callable[..., tuple[Any, list[dict[str, Any]]]]] = {"ppca": _fit_ppca, "mlp-vae": _train_mlp_vae}


# ---------------------------------------------------------------------- cache
def train_reference(spec: ReferenceSpec | str, *, seed: int | None = None, device: str = "cpu", force: bool = False) -> tuple[Any, dict[str, Any]]:
    """Train (or load from the cache) one reference model; returns ``(module, metadata)``."""
    import torch

    spec = get_reference_spec(spec) if isinstance(spec, str) else spec
    seed = spec.default_seed if seed is None else int(seed)
    ckpt, meta_path = _paths(spec, seed)
    if ckpt.exists() and meta_path.exists() and not force:
        return _load(spec, seed, device)
    dataset = load_dataset(spec.dataset, **spec.dataset_params)
    threads = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(int(os.environ.get("LATENTBENCH_TRAIN_THREADS", "1")))
    log(f"training {spec.name} (seed {seed}, {spec.tier} spec, {spec.dataset}, device {device})")
    t0 = time.perf_counter()
    try:
        model, history = TRAINERS[spec.architecture](spec, dataset, device, seed)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - t0
    from ..adapters import TorchAdapter

    fingerprint = TorchAdapter(model.cpu()).fingerprint()
    meta = {
        "name": spec.name, "spec_hash": spec.spec_hash, "seed": seed, "architecture": spec.architecture, "tier": spec.tier,
        "dataset": spec.dataset, "dataset_fingerprint": dataset.fingerprint, "model": spec.model, "training": spec.training,
        "config": model.config(), "device": device, "device_name": _device_name(device), "train_seconds": round(seconds, 3),
        "threads": torch.get_num_threads() if device == "cpu" else None,
        "torch": torch.__version__, "fingerprint": fingerprint, "history": history, "final": history[-1] if history else {},
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": platform.node(),
    }
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    tmp = ckpt.with_suffix(".pt.tmp")
    torch.save({"state_dict": model.state_dict(), "config": model.config()}, tmp)
    tmp.replace(ckpt)
    meta_path.write_text(json.dumps(meta, indent=1, default=str))
    log(f"trained {spec.name} in {seconds:.1f} s; fingerprint {fingerprint}; checkpoint {ckpt}")
    return model.to(device), meta


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return platform.processor() or platform.machine()


def _load(spec: ReferenceSpec, seed: int, device: str) -> tuple[Any, dict[str, Any]]:
    import torch

    ckpt, meta_path = _paths(spec, seed)
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    model = ARCHITECTURES[spec.architecture](spec, state["config"])
    model.load_state_dict(state["state_dict"])
    model.eval()
    return model.to(device), json.loads(meta_path.read_text())


def load_reference(name: str, *, seed: int | None = None, device: str = "cpu", train: bool = True) -> tuple[Any, dict[str, Any]]:
    """A reference model by name, trained on first use when ``train`` (else an error if not cached)."""
    spec = get_reference_spec(name)
    seed = spec.default_seed if seed is None else seed
    ckpt, meta_path = _paths(spec, seed)
    if not (ckpt.exists() and meta_path.exists()):
        if not train:
            raise SpecError(f"reference model {name!r} (seed {seed}) is not trained yet; run `latentbench train {name}`")
    return train_reference(spec, seed=seed, device=device)


def cached_metadata(spec: ReferenceSpec) -> list[dict[str, Any]]:
    """Metadata of every cached checkpoint of ``spec`` (any seed)."""
    out = []
    for p in sorted(checkpoint_dir().glob(f"{spec.name}-{spec.spec_hash}-seed*.json")):
        try:
            out.append(json.loads(p.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    return out


