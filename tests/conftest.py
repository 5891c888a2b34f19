"""Shared test setup: an isolated ``LATENTBENCH_HOME`` per test, one torch thread, the ``slow`` marker,
and tiny torch models (linear encoders/decoders) for the harness tests.

Nothing here trains the VAE reference models; harness tests use the tiny modules below and
``ref:pca`` (fitted in closed form in a fraction of a second).
"""

from __future__ import annotations

import textwrap

import os

import numpy as np
import pytest
import torch
from torch import nn

torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("LATENTBENCH_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set LATENTBENCH_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_latentbench(tmp_path_factory):
    """Every test gets its own LATENTBENCH_HOME (never ~/.cache) and leaves no global state behind:
    extra spec folders, registered task classes, datasets and adapters, and the quiet flag are restored.

    A private MonkeyPatch is used so that a test calling ``monkeypatch.undo()`` keeps its isolation.
    """
    from latentbench import progress, specs
    from latentbench.adapters import registry as adapter_registry
    from latentbench.data import DATASETS
    from latentbench.tasks.registry import TASK_CLASSES

    home = tmp_path_factory.mktemp("lbhome")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LATENTBENCH_HOME", str(home))
        mp.setattr(specs, "_EXTRA_DIRS", [])
        mp.setattr(progress, "_QUIET", progress._QUIET)
        mp.setattr(adapter_registry, "_REGISTRY", list(adapter_registry._REGISTRY))
        for reg in (TASK_CLASSES, DATASETS):
            mp.setattr(reg, "_entries", dict(reg._entries))
            mp.setattr(reg, "_origins", dict(reg._origins))
        yield home


# ------------------------------------------------------------------------------------------ tiny models
def _init(linear: nn.Linear, seed: int, scale: float = 0.1) -> nn.Linear:
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(rng.standard_normal(tuple(linear.weight.shape)) * scale))
        linear.bias.copy_(torch.from_numpy(rng.standard_normal(tuple(linear.bias.shape)) * scale))
    return linear


class TinyAE(nn.Module):
    """Linear encoder returning z and a linear decoder; no likelihood, no prior."""

    def __init__(self, n_features: int = 64, latent_dim: int = 3, seed: int = 0) -> None:
        super().__init__()
        self.enc = _init(nn.Linear(n_features, latent_dim), seed)
        self.dec = _init(nn.Linear(latent_dim, n_features), seed + 1)

    def encode(self, x):
        return self.enc(x.reshape(len(x), -1))

    def decode(self, z):
        return self.dec(z)


class TinyVAE(nn.Module):
    """Linear Gaussian encoder returning (mean, logvar), a sigmoid decoder, a Bernoulli likelihood
    and an N(0, I) prior: every capability, declared only through attributes."""

    prior = "standard_normal"
    likelihood = "bernoulli"

    def __init__(self, n_features: int = 64, latent_dim: int = 3, seed: int = 0) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.enc = _init(nn.Linear(n_features, 2 * latent_dim), seed)
        self.dec = _init(nn.Linear(latent_dim, n_features), seed + 1)

    def encode(self, x):
        h = self.enc(x.reshape(len(x), -1))
        mean, logvar = h.chunk(2, dim=1)
        return mean, logvar.clamp(-3.0, 1.0) - 1.0

    def decode(self, z):
        return torch.sigmoid(self.dec(z))


@pytest.fixture
def tiny_ae():
    """A factory of TinyAE modules (deterministic weights per seed)."""
    return TinyAE


@pytest.fixture
def tiny_vae():
    """A factory of TinyVAE modules (deterministic weights per seed)."""
    return TinyVAE


@pytest.fixture
def digits():
    from latentbench.data import load_dataset

    return load_dataset("digits")


# ------------------------------------------------------------------------------------------ a tiny reference spec
@pytest.fixture
def tiny_spec_dir(tmp_path):
    """A spec folder holding one tiny MLP VAE reference model (``ref:tiny``) on digits."""
    folder = tmp_path / "specs" / "reference_models"
    folder.mkdir(parents=True)
    (folder / "tiny.toml").write_text(textwrap.dedent("""
        name = "tiny"
        architecture = "mlp-vae"
        tier = "quick"
        dataset = "digits"
        description = "A tiny MLP VAE for the tests."
        [model]
        latent_dim = 3
        hidden = [16]
        objective = "vae"
        [training]
        optimizer = "adam"
        lr = 1e-3
        batch_size = 256
        epochs = 2
        seed = 0
    """))
    return str(tmp_path / "specs")

