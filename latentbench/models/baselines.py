"""Null baselines, evaluated beside every model so a reader can tell what a number means.

* ``null:random`` -- a seeded Gaussian random projection of the flattened input to 10 dimensions
  (encode only): what a latent space with no learning gets.
* ``null:identity`` -- the flattened input itself (encode and decode are the identity): the
  ceiling of reconstruction and of every "information kept" score.
* ``null:pca-whiten`` -- the input whitened by PCA fitted on the train split (up to 64 components),
  with its inverse as decoder.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import hash_json
from ..exceptions import SpecError, UnknownNameError

__all__ = ["BASELINES", "IdentityBaseline", "RandomProjectionBaseline", "WhitenedPCABaseline", "make_baseline"]


class _DatasetBoundBaseline(Adapter):
    """A baseline built from the dataset it is bound to (its fingerprint names its recipe; the
    dataset's fingerprint is in every result key)."""

    recipe: dict[str, Any] = {}

    def __init__(self, name: str) -> None:
        super().__init__(name, batch_size=4096)
        self._bound_fp: str | None = None
        self._fitted_dim: int | None = None

    probe_identity = False  # the recipe and the dataset fix the codes

    def _state_digest(self) -> str:
        return hash_json({"baseline": self.name, **self.recipe})

    def bind(self, dataset: Any) -> Adapter:
        """Remember the dataset; the baseline is fitted on first use (a skipped task costs nothing).

        Binding back to the dataset it is fitted on drops a pending fit for another dataset, so a
        decode after ``bind(a); encode; bind(b); bind(a)`` uses the fit on ``a``.
        """
        if self._bound_fp != dataset.fingerprint:
            self._pending = dataset
            self.latent_dim = self._latent_dim_for(dataset)
        else:
            self._pending = None
            self.latent_dim = self._fitted_dim
        return self

    def _ensure_fitted(self) -> None:
        pending = getattr(self, "_pending", None)
        if pending is not None:
            self._fit(pending)
            self._bound_fp, self._pending, self._fitted_dim = pending.fingerprint, None, self.latent_dim

    def _latent_dim_for(self, dataset: Any) -> int | None:
        return self.latent_dim

    def encode_rows(self, dataset: Any, rows: np.ndarray) -> np.ndarray:
        self.bind(dataset)
        self._ensure_fitted()
        return super().encode_rows(dataset, rows)

    def decode(self, z: Any) -> np.ndarray:
        self._ensure_fitted()
        return super().decode(z)

    def encode(self, x: Any, *, row_offset: int = 0) -> np.ndarray:
        self._ensure_fitted()
        return super().encode(x, row_offset=row_offset)

    def _fit(self, dataset: Any) -> None:
        raise NotImplementedError


class RandomProjectionBaseline(_DatasetBoundBaseline):
    """z = x R with R a seeded Gaussian matrix, scaled by 1/sqrt(n_features)."""

    kind = "baseline"

    def __init__(self, latent_dim: int = 10, seed: int = 0) -> None:
        super().__init__("null:random")
        self.latent_dim, self.seed = latent_dim, seed
        self.recipe = {"latent_dim": latent_dim, "seed": seed}
        self._R: np.ndarray | None = None

    def _fit(self, dataset: Any) -> None:
        rng = np.random.default_rng(self.seed)
        self._R = (rng.standard_normal((dataset.n_features, self.latent_dim)) / np.sqrt(dataset.n_features)).astype(np.float32)

    def _encode_batch(self, x: np.ndarray) -> np.ndarray:
        if self._R is None:
            raise SpecError("null:random must be bound to a dataset first")
        return x.reshape(len(x), -1) @ self._R


class IdentityBaseline(_DatasetBoundBaseline):
    """z = flattened x; decode is the identity."""

    kind = "baseline"
    max_features = 4096

    def __init__(self) -> None:
        super().__init__("null:identity")
        self.capabilities = frozenset({Capability.ENCODE, Capability.DECODE})

    def _fit(self, dataset: Any) -> None:
        self.latent_dim = dataset.n_features

    def _latent_dim_for(self, dataset: Any) -> int | None:
        return dataset.n_features

    def _encode_batch(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), -1)

    def _decode_batch(self, z: np.ndarray) -> np.ndarray:
        return z


class WhitenedPCABaseline(_DatasetBoundBaseline):
    """PCA with whitening fitted on the train split (at most ``max_components``); decode inverts it."""

    kind = "baseline"

    def __init__(self, max_components: int = 64, max_fit_rows: int = 20000) -> None:
        super().__init__("null:pca-whiten")
        self.capabilities = frozenset({Capability.ENCODE, Capability.DECODE})
        self.recipe = {"max_components": max_components, "max_fit_rows": max_fit_rows, "solver": "full if n_features <= 1024 else randomized"}
        self.max_components, self.max_fit_rows = max_components, max_fit_rows
        self._pca: Any = None

    def _fit(self, dataset: Any) -> None:
        from sklearn.decomposition import PCA

        rows = dataset.split("train")
        if len(rows) > self.max_fit_rows:
            rows = np.sort(np.random.default_rng(0).choice(rows, self.max_fit_rows, replace=False))
        x = dataset.get_x(rows, flat=True)
        k = min(self.max_components, x.shape[1], len(x) - 1)
        # exact SVD for small inputs; seeded randomized SVD for images (a full SVD of 9,000 x 4,096 takes minutes)
        solver = "full" if x.shape[1] <= 1024 else "randomized"
        self._pca = PCA(n_components=k, whiten=True, svd_solver=solver, random_state=0).fit(x)
        self.latent_dim = k

    def _encode_batch(self, x: np.ndarray) -> np.ndarray:
        return self._pca.transform(x.reshape(len(x), -1))

    def _decode_batch(self, z: np.ndarray) -> np.ndarray:
        return self._pca.inverse_transform(z)


BASELINES = {"null:random": RandomProjectionBaseline, "null:identity": IdentityBaseline, "null:pca-whiten": WhitenedPCABaseline}


def make_baseline(name: str) -> Adapter:
    """A fresh baseline adapter by name (``null:random``, ``null:identity``, ``null:pca-whiten``)."""
    if name not in BASELINES:
        raise UnknownNameError("baseline", name, BASELINES)
    return BASELINES[name]()
