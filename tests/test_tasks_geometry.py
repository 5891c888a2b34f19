"""Geometry and topology tasks end to end, where the answer is known: an isometry as the encoder
preserves everything; a projection to fewer dimensions than the manifold does not."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench
from latentbench.adapters import CallableAdapter

ROT, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))


def _isometry(x):
    return x.reshape(len(x), -1) @ ROT + np.array([1.0, -2.0, 3.0])


def _projection(x):
    return x.reshape(len(x), -1)[:, :1] * 2.0


TASKS = ["neighbourhood/torus", "topology/torus", "intrinsic-dimension/torus"]


@pytest.fixture(scope="module")
def results():
    models = {"isometry": CallableAdapter(_isometry, name="isometry"), "projection": CallableAdapter(_projection, name="projection")}
    res = latentbench.evaluate(models, tasks=TASKS, n_bootstrap=50)
    assert not res.failed, [r["message"] for r in res.failed]
    return res


def test_isometry_preserves_neighbourhoods_topology_and_dimension(results):
    v = lambda t, m: results.value(t, m, model="isometry")  # noqa: E731
    assert v("neighbourhood/torus", "trustworthiness") == pytest.approx(1.0, abs=1e-12)
    assert v("neighbourhood/torus", "continuity") == pytest.approx(1.0, abs=1e-12)
    assert v("neighbourhood/torus", "knn_recall") == pytest.approx(1.0)
    assert v("neighbourhood/torus", "distortion") == pytest.approx(1.0, abs=1e-9)
    assert v("topology/torus", "bottleneck_h1") == pytest.approx(0.0, abs=1e-9)
    assert v("topology/torus", "bottleneck_h0") == pytest.approx(0.0, abs=1e-9)
    assert v("intrinsic-dimension/torus", "mle_ratio") == pytest.approx(1.0, abs=1e-9)
    assert v("intrinsic-dimension/torus", "twonn_latent") == pytest.approx(2.0, rel=0.1)
    assert v("topology/torus", "betti0_latent") == 1


def test_projection_is_visibly_worse(results):
    iso = lambda t, m: results.value(t, m, model="isometry")  # noqa: E731
    proj = lambda t, m: results.value(t, m, model="projection")  # noqa: E731
    assert proj("neighbourhood/torus", "trustworthiness") < iso("neighbourhood/torus", "trustworthiness") - 0.1
    assert proj("neighbourhood/torus", "knn_recall") < 0.5
    assert proj("topology/torus", "bottleneck_h1") > 0.05
    assert proj("intrinsic-dimension/torus", "mle_ratio") < 0.8
