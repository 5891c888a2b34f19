"""Shared by the tests that run every registered task: cheap versions of the specs and models that
fit them (a tiny VAE with every capability, a random projection, and on small inputs a whitening
PCA and the identity)."""

from __future__ import annotations

import zlib

import numpy as np

from latentbench.data import load_dataset
from latentbench.models.baselines import make_baseline
from latentbench.tasks.base import Task
from latentbench.tasks.registry import get_task, list_tasks

#: Caps on size parameters so that every task runs in about a second; a cap applies to a task only
#: where the task class has that parameter (never a list of tasks).
CHEAP_PARAMS = {"max_samples": 400, "mi_max_samples": 400, "max_train": 600, "max_test": 400, "max_aux": 400,
                "max_members": 200, "mlp_steps": 30, "mlp_hidden": 16, "elbo_samples": 2, "ci_rounds": 10,
                "corrdim_max_samples": 400, "n_landmarks": 40, "n_draws": 3, "n_train": 300, "n_eval": 150,
                "n_variance": 1000, "n_samples": 500, "max_rows": 300, "n_pairs": 2000}
#: Rows of generated datasets (only where the spec sets the dataset's ``n``).
CHEAP_N = 2000


def cheap(task: Task) -> Task:
    """The same task class, dataset and parameters, with size parameters capped."""
    cls, params = type(task), dict(task.params)
    for key, cap in CHEAP_PARAMS.items():
        if key not in cls.defaults:
            continue
        now = params.get(key, cls.defaults[key])
        if isinstance(now, list) and all(isinstance(v, int) for v in now):
            params[key] = [min(v, cap) for v in now][:1]  # hidden layer widths
        elif isinstance(now, (int, float)) and not isinstance(now, bool):
            params[key] = type(now)(min(now, cap))
    dataset_params = dict(task.dataset_params)
    if "n" in dataset_params:
        dataset_params["n"] = min(dataset_params["n"], CHEAP_N)
    return cls(name=task.name, dataset=task.dataset, dataset_params=dataset_params, version=task.version, params=params)


def tiny_text_model() -> object:
    """A deterministic text model: each string's vector drawn from a generator seeded by its CRC-32 (8 dimensions)."""
    import zlib

    from latentbench import adapt

    def encode(items: list[str]) -> np.ndarray:
        return np.stack([np.random.default_rng(zlib.crc32(w.encode())).normal(size=8) for w in items])

    return adapt(encode, inputs="items", name="tiny-text")


def models_for(task: Task, vae: type) -> dict[str, object]:
    """A random projection and a tiny VAE (every capability), plus a whitening PCA and the identity on
    inputs of at most 64 features (fitting the PCA of 4,096-pixel images takes seconds); on a dataset of
    items (words), a tiny text model under the key ``tiny-text``."""
    dataset = load_dataset(task.dataset, **task.dataset_params)
    if "items" in dataset.inputs and "arrays" not in dataset.inputs:
        return {"tiny-text": tiny_text_model()}
    features = int(np.prod(load_dataset(task.dataset, **task.dataset_params).obs_shape))
    models = {"null:random": make_baseline("null:random"), "tiny-vae": vae(n_features=features, latent_dim=3)}
    if features <= 64:
        models.update({"null:pca-whiten": make_baseline("null:pca-whiten"), "null:identity": make_baseline("null:identity")})
    return models


def one_spec_per_class() -> list[str]:
    """For every task class with a registered task, its first registered task."""
    first: dict[str, str] = {}
    for name in list_tasks():
        first.setdefault(get_task(name).registered_as, name)
    return sorted(first.values())
