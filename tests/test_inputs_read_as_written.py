"""Inputs are read as what they are, or refused: complex values, ambiguous mappings, (mean, logvar)
pairs, float labels, tasks run on another dataset, precomputed latents of a user's ``.npz``
dataset, and several splits in one ``.npz`` file."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch

import latentbench
from latentbench.adapters import Capability, CallableAdapter, PrecomputedAdapter
from latentbench.cli import main
from latentbench.data import load_dataset
from latentbench.data.base import Dataset
from latentbench.data.loaders import load_npz
from latentbench.exceptions import AdapterError, InputValidationError
from latentbench.runner import Evaluator
from latentbench.store import ResultStore
from latentbench.tasks.registry import resolve_tasks


# ------------------------------------------------------------------------------------------ complex values
def _public_metric_functions():
    from latentbench.metrics import (collapse, dimension, disentanglement, fairness, likelihood, neighborhood, privacy,
                                     reconstruction, topology)

    for module in (collapse, dimension, disentanglement, fairness, likelihood, neighborhood, privacy, reconstruction, topology):
        for name in getattr(module, "__all__", []):
            fn = getattr(module, name)
            if inspect.isfunction(fn) and fn.__module__ == module.__name__:  # not helpers re-exported from elsewhere
                yield f"{module.__name__.rsplit('.', 1)[-1]}.{name}", fn


_SCALAR = ("int", "float", "bool", "str")


def _complex_call(fn):
    """Call ``fn`` with complex arrays for every array-like argument (row-aligned, n=60), valid
    scalars for scalar ones and a seeded generator for ``rng``."""
    rng = np.random.default_rng(0)
    cplx = lambda *shape: rng.standard_normal(shape) + 1j * rng.standard_normal(shape)  # noqa: E731
    args, kwargs = [], {}
    for p in inspect.signature(fn).parameters.values():
        if p.default is not inspect.Parameter.empty:
            continue
        ann = str(p.annotation)
        if p.name == "rng":
            value = np.random.default_rng(0)
        elif ann.split(" |")[0] in _SCALAR:
            value = 3
        elif ann.startswith("Sequence"):
            value = [cplx(5, 2), cplx(4, 2)]  # persistence diagrams
        elif ann.startswith("Mapping"):
            value = {"mse": cplx(60)}
        else:
            value = cplx(60, 3)
        if p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return fn(*args, **kwargs)


def _takes_arrays(fn) -> bool:
    return any(p.default is inspect.Parameter.empty and p.name != "rng" and str(p.annotation).split(" |")[0] not in _SCALAR
               for p in inspect.signature(fn).parameters.values())


@pytest.mark.parametrize("name,fn", list(_public_metric_functions()), ids=[n for n, _ in _public_metric_functions()])
def test_no_metric_function_silently_drops_an_imaginary_part(name, fn):
    """Every public metric function refuses complex arrays with one clear error naming them: none
    computes a number from the real parts (a ComplexWarning would mean it tried)."""
    if not _takes_arrays(fn):
        pytest.skip("takes scalars only")
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        with pytest.raises(InputValidationError, match="complex"):
            _complex_call(fn)


def test_complex_latents_are_refused_everywhere(digits):
    z = np.ones((len(digits), 2), dtype=complex)
    with pytest.raises(InputValidationError, match="complex"):
        PrecomputedAdapter(z)
    with pytest.raises(InputValidationError, match="complex"):
        latentbench.adapt({"z": z})
    with pytest.raises(InputValidationError, match="complex"):
        latentbench.adapt(torch.ones(len(digits), 2, dtype=torch.complex64))
    enc = CallableAdapter(lambda x: np.ones((len(x), 2), dtype=complex))
    with pytest.raises(AdapterError, match="complex"):
        enc.encode(digits.get_x(np.arange(4)))
    res = latentbench.evaluate(CallableAdapter(lambda x: np.ones((len(x), 2), dtype=complex), name="c"),
                               tasks="intrinsic-dimension/digits", device="cpu")
    assert {r["status"] for r in res} == {"failed"} and "complex" in res.rows[0]["message"]
    from latentbench.metrics.dimension import twonn

    with pytest.raises(InputValidationError, match="complex"):
        twonn(np.random.default_rng(0).standard_normal((50, 3)) * (1 + 1j))


def test_complex_npz_dataset_is_refused(tmp_path):
    np.savez(tmp_path / "c.npz", x=np.ones((10, 3), dtype=complex))
    with pytest.raises(InputValidationError, match="complex"):
        load_npz(tmp_path / "c.npz")


# ------------------------------------------------------------------------------------------ mappings
def test_a_mapping_of_latent_arrays_given_to_evaluate_is_refused_as_ambiguous(digits):
    rows = digits.split("test")
    z = digits.get_x(rows, flat=True)[:, :3].astype(np.float64)
    lat = {"z_test": z, "mean_test": z, "logvar_test": np.zeros_like(z)}
    with pytest.raises(InputValidationError, match="ambiguous models mapping"):
        latentbench.evaluate(lat, tasks="collapse/digits", device="cpu")
    with pytest.raises(InputValidationError, match="ambiguous models mapping"):
        Evaluator(resolve_tasks("collapse/digits")).run(lat)
    # the two documented readings
    one = latentbench.evaluate(latentbench.adapt(lat, dataset="digits"), tasks="collapse/digits", device="cpu", name="lat")
    assert {r["model"] for r in one} == {"lat"} and {r["status"] for r in one} == {"ok"}
    several = latentbench.evaluate({"a": latentbench.adapt(lat), "b": latentbench.adapt({**lat, "z_test": z * 2})},
                                   tasks="collapse/digits", device="cpu")
    assert {r["model"] for r in several} == {"a", "b"}
    with pytest.raises(InputValidationError, match="a mapping is read as one model's latents"):
        latentbench.adapt({"pca": object()})


def test_an_np_load_result_is_one_models_latents(digits, tmp_path):
    z = digits.get_x(digits.split("test"), flat=True)[:, :3].astype(np.float64)
    np.savez(tmp_path / "lat.npz", z_test=z, mean_test=z, logvar_test=np.zeros_like(z))
    with np.load(tmp_path / "lat.npz") as f:
        res = latentbench.evaluate(f, tasks="collapse/digits", device="cpu", name="file")
    assert {r["model"] for r in res} == {"file"} and {r["status"] for r in res} == {"ok"}


# ------------------------------------------------------------------------------------------ (mean, logvar)
def test_a_callable_returning_mean_and_logvar_is_a_posterior_not_wider_codes(digits):
    w = np.random.default_rng(0).standard_normal((64, 5)).astype(np.float32)

    def enc(x):
        m = x.reshape(len(x), -1) @ w
        return m, np.full_like(m, -2.0)

    a = CallableAdapter(enc).bind(digits)
    two = a.encode(digits.get_x(np.arange(2)))
    assert two.shape == (2, 5)  # was (2, 10): the pair stacked and flattened into "codes"
    assert np.allclose(two, digits.get_x(np.arange(2), flat=True) @ w, atol=1e-5)
    assert a.has(Capability.POSTERIOR)
    mean, logvar = a.posterior(digits.get_x(np.arange(3)))
    assert mean.shape == logvar.shape == (3, 5) and np.all(logvar == -2.0)
    three = CallableAdapter(lambda x: (x.reshape(len(x), -1)[:, :2],) * 3)
    with pytest.raises(AdapterError, match="tuple of 3 items"):
        three.encode(digits.get_x(np.arange(3)))


# ------------------------------------------------------------------------------------------ labels
def test_float_labels_are_refused_not_truncated(tmp_path):
    x = np.random.default_rng(0).random((10, 3)).astype(np.float32)
    with pytest.raises(InputValidationError, match="'labels' must hold integer codes.*0.5"):
        Dataset(name="d", x=x, obs_shape=(3,), labels=np.array([0.0, 0.5] * 5))
    np.savez(tmp_path / "f.npz", x=x, labels=np.linspace(0, 1, 10))
    with pytest.raises(InputValidationError, match="integer codes"):
        load_npz(tmp_path / "f.npz")
    for field in ("sensitive", "domain", "is_anomaly"):
        with pytest.raises(InputValidationError, match=field):
            Dataset(name="d", x=x, obs_shape=(3,), **{field: np.full(10, 1.5)})
    ok = Dataset(name="d", x=x, obs_shape=(3,), labels=np.array([0.0, 1.0] * 5))  # integral floats are codes
    assert ok.labels.dtype == np.int64 and ok.labels.tolist() == [0, 1] * 5


# ------------------------------------------------------------------------------------------ --dataset
def test_a_task_run_on_another_dataset_is_named_for_it_and_the_command_is_recorded(tmp_path, capsys):
    store = tmp_path / "r.db"
    argv = ["run", "ref:pca", "--tasks", "reconstruction/shapes,intrinsic-dimension/shapes", "--dataset", "digits",
            "--store", str(store), "--no-baselines", "--device", "cpu", "--bootstrap-iters", "20", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    tasks = {r["task"] for r in ResultStore(store).rows()}
    # reconstruction/shapes on digits computes what the registered reconstruction/digits does: it is that task;
    # intrinsic-dimension/shapes has other parameters than intrinsic-dimension/digits: it keeps its name and says where it ran
    assert "reconstruction/digits" in tasks and not any(t.endswith("/shapes") for t in tasks)
    assert {r["dataset"] for r in ResultStore(store).rows()} == {"digits"}
    assert f"Generated by `latentbench {' '.join(argv)}`" in out
    assert ResultStore(store).runs()[0]["argv"] == "latentbench " + " ".join(argv)


def test_retargeted_names_follow_the_rule():
    from latentbench.tasks.registry import get_task, retarget_task

    t = get_task("reconstruction/shapes")  # its spec has dataset_params n=10000: not what reconstruction/digits runs
    assert retarget_task(t, "digits", "digits").name == "reconstruction/digits"
    mig = get_task("mig/shapes")
    moved = retarget_task(mig, "my.npz", "my")
    assert moved.name == "mig/my" and moved.dataset == "my.npz" and moved.dataset_params == {}
    assert mig.name == "mig/shapes" and mig.dataset == "shapes"  # the registered task is untouched
    assert retarget_task(mig, "shapes", "shapes") is mig


# ------------------------------------------------------------------------------------------ user .npz + latents
def test_precomputed_latents_of_a_user_npz_dataset_are_measured(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.random((120, 6)).astype(np.float32)
    np.savez(tmp_path / "my.npz", x=x, split=np.array(["train"] * 90 + ["test"] * 30))
    np.savez(tmp_path / "lat.npz", z=x[:, :3].astype(np.float64) * 2.0)
    argv = ["run", str(tmp_path / "lat.npz"), "--dataset", str(tmp_path / "my.npz"), "--tasks", "intrinsic-dimension/digits",
            "--store", str(tmp_path / "r.db"), "--no-baselines", "--device", "cpu", "--quiet"]
    assert main(argv) == 0
    rows = ResultStore(tmp_path / "r.db").rows()
    assert {r["status"] for r in rows} == {"ok"} and {r["task"] for r in rows} == {"intrinsic-dimension/my"}
    # latents for another dataset measure nothing: the run says so and fails
    np.savez(tmp_path / "other.npz", x=x[:100], split=np.array(["train"] * 80 + ["test"] * 20))
    np.savez(tmp_path / "lat2.npz", z=x[:, :3], dataset=np.array(str(tmp_path / "other.npz")))
    argv2 = ["run", str(tmp_path / "lat2.npz"), "--dataset", str(tmp_path / "my.npz"), "--tasks", "intrinsic-dimension/digits",
             "--store", str(tmp_path / "r.db"), "--no-baselines", "--device", "cpu", "--quiet"]
    assert main(argv2) == 3  # nothing measured (exit status 3, see `latentbench --help`)
    assert "nothing was measured on" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ several splits in one file
def test_one_npz_holds_train_test_and_audit_splits(tmp_path):
    x = np.random.default_rng(0).random((50, 4)).astype(np.float32)
    member = np.zeros(50, dtype=bool)
    member[:10] = True
    np.savez(tmp_path / "a.npz", x=x, split=np.array(["train"] * 40 + ["test"] * 10), split_member=member,
             split_non_member=np.arange(40, 50), split_auxiliary=np.arange(20, 30))
    d = load_npz(tmp_path / "a.npz")
    assert sorted(d.splits) == ["auxiliary", "member", "non_member", "test", "train"]
    assert d.split("member").tolist() == list(range(10)) and d.split("non_member").tolist() == list(range(40, 50))
    assert d.split("train").tolist() == list(range(40))  # overlapping splits are allowed
    with pytest.raises(InputValidationError, match="given twice"):
        np.savez(tmp_path / "b.npz", x=x, split=np.array(["train"] * 40 + ["test"] * 10), split_test=np.arange(5))
        load_npz(tmp_path / "b.npz")
    with pytest.raises(InputValidationError, match="outside"):
        np.savez(tmp_path / "c.npz", x=x, split=np.array(["train"] * 40 + ["test"] * 10), split_member=np.array([3, 60]))
        load_npz(tmp_path / "c.npz")
    with pytest.raises(InputValidationError, match="mask"):
        np.savez(tmp_path / "d.npz", x=x, split=np.array(["train"] * 40 + ["test"] * 10), split_member=np.ones(7, dtype=bool))
        load_npz(tmp_path / "d.npz")
    np.savez(tmp_path / "e.npz", x=x, split_train=np.arange(40), split_test=np.arange(40, 50))  # only split_<name> arrays
    assert sorted(load_npz(tmp_path / "e.npz").splits) == ["test", "train"]
