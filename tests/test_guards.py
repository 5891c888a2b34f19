"""Resource guards before the work: every superlinear step of a task checks its size before it
starts and refuses with the parameter to change (``RunContext.guard_size``), so a raised sample size
fails in a second instead of after hours of kNN graphs or O(N^2) estimators."""

from __future__ import annotations

import numpy as np
import pytest

from latentbench.adapters import PrecomputedAdapter
from latentbench.exceptions import ResourceLimitError, TaskFailedError
from latentbench.runner import Evaluator
from latentbench.tasks.registry import get_task

N = 60_000  # above every guard (50,000 rows at most)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 60,000-row dataset with factors, and precomputed codes and posteriors for it (cheap to encode)."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("big") / "big.npz"
    np.savez(path, x=rng.random((N, 2), dtype=np.float32), factors=rng.integers(0, 3, size=(N, 2)),
             split_test=np.ones(N, dtype=bool))
    z = rng.normal(size=(N, 2))
    return str(path), {"z": z, "mean": z, "logvar": np.zeros_like(z)}


def _forbid(monkeypatch, module, name):
    def forbidden(*a, **k):
        raise AssertionError(f"{name} started before the size guard")

    monkeypatch.setattr(module, name, forbidden)


def _run(task, big, **params):
    path, arrays = big
    task.params.update(params)  # raised after the spec was checked (a plug-in, or a task built in Python and edited)
    ev = Evaluator([task], dataset=path, on_error="raise", n_bootstrap=10)
    with pytest.raises(TaskFailedError) as info:
        ev.run({"codes": PrecomputedAdapter(arrays, name="codes")})
    cause = info.value.__cause__
    assert isinstance(cause, ResourceLimitError), repr(cause)
    return str(cause)


def test_neighbourhood_refuses_before_building_the_knn_graphs(big, monkeypatch):
    from latentbench.tasks import geometry

    _forbid(monkeypatch, geometry, "knn_graph")
    msg = _run(get_task("neighbourhood/digits"), big, max_samples=200_000)
    assert "the neighbour graphs of inputs and latents would have 60000 points, more than the limit 50000" in msg
    assert "set the task parameter 'max_samples' to at most 50000" in msg


def test_intrinsic_dimension_has_a_guard(big, monkeypatch):
    from latentbench.tasks import geometry

    _forbid(monkeypatch, geometry.dim, "intrinsic_dimension")
    assert "'max_samples' to at most 50000" in _run(get_task("intrinsic-dimension/digits"), big, max_samples=200_000)
    assert "'corrdim_max_samples' to at most 10000" in _run(get_task("intrinsic-dimension/digits"), big, corrdim_max_samples=20_000)


@pytest.mark.parametrize("task, param, fn", [("collapse/digits", "mi_max_samples", "mutual_information_aggregate"),
                                             ("kl-decomposition/digits", "max_samples", "kl_decomposition")])
def test_quadratic_aggregate_posterior_estimators(big, monkeypatch, task, param, fn):
    from latentbench.tasks import collapse

    _forbid(monkeypatch, collapse, fn)
    _forbid(monkeypatch, collapse, "active_units")
    msg = _run(get_task(task), big, **{param: 200_000})
    assert "O(N^2)" in msg and f"set the task parameter {param!r} to at most 50000" in msg


def test_topology_landmarks_and_rows(big, monkeypatch):
    from latentbench.tasks import geometry

    _forbid(monkeypatch, geometry.topo, "compare_topology")
    assert "'n_landmarks' to at most 2000" in _run(get_task("topology/digits"), big, n_landmarks=5000)
    assert "'max_samples' to at most 50000" in _run(get_task("topology/digits"), big, max_samples=10**6)


def test_disentanglement_fits_and_sampled_mig(big, monkeypatch):
    from latentbench.tasks import disentanglement

    _forbid(monkeypatch, disentanglement.dm, "mig_sampled_score")
    _forbid(monkeypatch, disentanglement.dm, "dci_score")
    assert "'max_rows' to at most 50000" in _run(get_task("mig-sampled/shapes"), big, max_rows=10**6)
    monkeypatch.setattr(disentanglement, "MAX_FIT_SAMPLES", 50_000)  # its bound (100,000) is above this dataset
    assert "'max_samples' to at most 50000" in _run(get_task("dci/shapes"), big, max_samples=10**6)

