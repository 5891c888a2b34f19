"""What a run computes once: one encoder pass per model, dataset and row (the latent cache keeps
codes by row; one call gives codes and posterior where the codes are the posterior mean), and the
dataset's side of the geometry tasks computed once per dataset and parameters for every model."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

import latentbench
from latentbench.adapters import TorchAdapter, adapt
from latentbench.data import load_dataset
from latentbench.tasks.context import LatentCache
from latentbench.tasks.registry import get_task

from task_cases import cheap


class _Recorder:
    """Counts, per kind of call the latent cache makes, how often each dataset row was encoded (the
    model's identity probe, a fixed batch encoded apart from the cache, is not counted)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows: dict[str, Counter] = {"encode": Counter(), "posterior": Counter()}
        enc, post, fill = TorchAdapter.encode_rows, TorchAdapter.posterior_rows, LatentCache._encode
        inside = [False]

        def encode_rows(adapter, dataset, rows):
            if inside[0]:
                self.rows["encode"].update(np.asarray(rows).tolist())
            return enc(adapter, dataset, rows)

        def posterior_rows(adapter, dataset, rows):
            if inside[0]:
                self.rows["posterior"].update(np.asarray(rows).tolist())
            return post(adapter, dataset, rows)

        def cache_encode(cache, kind, rows):
            inside[0] = True
            try:
                return fill(cache, kind, rows)
            finally:
                inside[0] = False

        monkeypatch.setattr(LatentCache, "_encode", cache_encode)

        monkeypatch.setattr(TorchAdapter, "encode_rows", encode_rows)
        monkeypatch.setattr(TorchAdapter, "posterior_rows", posterior_rows)


class _SeparateVAE(nn.Module):
    """encode(x) -> z and posterior(x) -> (mean, logvar) defined separately (here z = 2 * mean)."""

    def __init__(self, n_features: int = 64, latent_dim: int = 3) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(n_features, 2 * latent_dim, generator=g) * 0.1)

    def posterior(self, x):
        mean, logvar = (x.reshape(len(x), -1) @ self.w).chunk(2, dim=1)
        return mean, logvar.clamp(-3.0, 1.0)

    def encode(self, x):
        return 2 * self.posterior(x)[0]


def _tasks(*names: str):
    return [cheap(get_task(n)) for n in names]


def test_vae_encoder_runs_once_per_row_for_codes_and_posterior(monkeypatch, tiny_vae):
    """A VAE whose encode returns (mean, logvar): tasks asking for codes and tasks asking for the
    posterior of the same split share one encoder call per row (before: one call of each)."""
    rec = _Recorder(monkeypatch)
    tasks = _tasks("collapse/digits", "likelihood/digits", "kl-decomposition/digits", "neighbourhood/digits")
    res = latentbench.evaluate(tiny_vae(n_features=64, latent_dim=3), tasks=tasks, name="vae", n_bootstrap=20, device="cpu")
    assert {r["status"] for r in res} == {"ok"}
    test_rows = load_dataset("digits").split("test").tolist()
    assert rec.rows["encode"] == Counter()  # the codes come from the posterior call
    assert rec.rows["posterior"] == Counter(test_rows)  # every test row exactly once


def test_overlapping_splits_share_rows(monkeypatch, tiny_vae):
    """The audit asks for the train, test, auxiliary, member and non-member splits; rows in several
    of them are encoded once."""
    rec = _Recorder(monkeypatch)
    d = load_dataset("digits-fair")
    res = latentbench.evaluate(tiny_vae(n_features=64, latent_dim=3), tasks=_tasks("fairness/digits-fair", "privacy/digits-fair"),
                               name="vae", n_bootstrap=20, device="cpu")
    assert {r["status"] for r in res} <= {"ok", "skipped"}
    asked = set().union(*(set(d.split(s).tolist()) for s in d.splits))
    encoded = rec.rows["posterior"] + rec.rows["encode"]
    assert encoded and max(encoded.values()) == 1  # no row twice
    assert set(encoded) <= asked
    per_split = sum(len(d.split(s)) for s in d.splits if s in ("train", "test", "auxiliary", "member", "non_member"))
    assert sum(encoded.values()) < per_split  # the splits overlap, so fewer rows than split by split


def test_separate_encode_and_posterior_keep_both(monkeypatch):
    """A model whose encode and posterior differ: each runs once per row, and the codes are encode's."""
    rec = _Recorder(monkeypatch)
    model = _SeparateVAE()
    d = load_dataset("digits")
    adapter = adapt(model, name="sep")
    adapter.bind(d)
    assert not adapter.codes_are_posterior_mean
    cache = LatentCache(adapter, d)
    z = cache.latents("test")
    mean, _ = cache.posterior("test")
    cache.latents("test"), cache.posterior("test")
    np.testing.assert_array_equal(z, 2 * mean)
    test_rows = d.split("test").tolist()
    assert rec.rows["encode"] == Counter(test_rows) and rec.rows["posterior"] == Counter(test_rows)
    assert cache.rows_encoded == {"z": len(test_rows), "posterior": len(test_rows)}


def test_shared_pass_gives_the_same_numbers(tiny_vae):
    """Codes from the one shared call equal encode's codes bit for bit, and split assembly keeps
    each split's row order."""
    d = load_dataset("digits")
    adapter = adapt(tiny_vae(n_features=64, latent_dim=3), name="vae")
    adapter.bind(d)
    assert adapter.codes_are_posterior_mean
    cache = LatentCache(adapter, d)
    mean, logvar = cache.posterior("test")
    z = cache.latents("train")
    np.testing.assert_array_equal(cache.latents("test"), adapter.encode_rows(d, d.split("test")))
    np.testing.assert_array_equal(z, adapter.encode_rows(d, d.split("train")))
    ref_mean, ref_logvar = adapter.posterior_rows(d, d.split("test"))
    np.testing.assert_array_equal(mean, ref_mean)
    np.testing.assert_array_equal(logvar, ref_logvar)
    assert cache.rows_encoded == {"z": 0, "posterior": len(d.split("test")) + len(d.split("train"))}


# ------------------------------------------------------------------------------ the dataset's side, once
_GEOMETRY = ("intrinsic-dimension/digits", "neighbourhood/digits", "topology/digits")
_INPUT_KINDS = {"id-input", "knn-input", "topology-input"}


def _geometry_rows(res):
    return sorted((r["model"], r["task"], r["metric"], r["value"]) for r in res if r["status"] == "ok")


def test_second_model_recomputes_nothing_of_the_dataset_side(tmp_path, tiny_vae):
    """Two models in one run: the input side of the geometry tasks (input kNN graph, the inputs'
    intrinsic dimension, input landmarks and diagrams) is computed for the first model only; a later
    run with the same LATENTBENCH_HOME reads it from disk; every number equals a run that shares
    nothing."""
    from latentbench.runner import Evaluator

    tasks = _tasks(*_GEOMETRY)
    models = {"vae-a": tiny_vae(n_features=64, latent_dim=3, seed=0), "vae-b": tiny_vae(n_features=64, latent_dim=4, seed=1)}
    ev = Evaluator(tasks, store=str(tmp_path / "a.db"), n_bootstrap=20, device="cpu")
    ev.run({"vae-a": models["vae-a"]})
    first = dict(ev.dataside.computed)
    assert set(first) == _INPUT_KINDS and all(v >= 1 for v in first.values())
    res = ev.run({"vae-b": models["vae-b"]})
    assert dict(ev.dataside.computed) == first  # nothing of the dataset's side again
    assert sum(ev.dataside.reused.values()) == sum(first.values())

    later = Evaluator(tasks, store=str(tmp_path / "b.db"), n_bootstrap=20, device="cpu")
    res_later = later.run(models)
    assert sum(later.dataside.computed.values()) == 0  # a later run: read from $LATENTBENCH_HOME/dataside
    assert sum(later.dataside.loaded.values()) == sum(first.values())

    alone = [Evaluator(tasks, n_bootstrap=20, device="cpu").run({name: m}) for name, m in models.items()]  # in memory, nothing shared
    assert _geometry_rows(res) == _geometry_rows(alone[1])
    assert _geometry_rows(res_later) == sorted(_geometry_rows(alone[0]) + _geometry_rows(alone[1]))


def test_identity_codes_reuse_the_input_side_exactly(monkeypatch):
    """Codes equal to the inputs (null:identity): the latent side is the input side, computed once,
    and every number equals the one computed twice without the shortcut."""
    from latentbench.metrics import topology
    from latentbench.models.baselines import make_baseline
    from latentbench.runner import Evaluator
    from latentbench.tasks import geometry

    def run():
        res = Evaluator(_tasks(*_GEOMETRY), n_bootstrap=20, device="cpu").run({"null:identity": make_baseline("null:identity")})
        return {(r["task"], r["metric"]): r["value"] for r in res}

    shortcut = run()
    assert shortcut[("topology/digits", "bottleneck_h1")] == pytest.approx(0.0, abs=1e-12)
    assert shortcut[("neighbourhood/digits", "trustworthiness")] == 1.0 and shortcut[("neighbourhood/digits", "knn_recall")] == 1.0
    assert shortcut[("intrinsic-dimension/digits", "mle_ratio")] == 1.0
    monkeypatch.setattr(geometry, "_same", lambda x, z: False)
    monkeypatch.setattr(topology, "_same_points", lambda x, z: False)
    assert run() == shortcut


def test_dataset_side_cache_survives_damaged_files_and_concurrent_writers(tmp_path):
    """A damaged entry is recomputed and replaced (never trusted); two writers of one entry leave one
    whole file; values come back exactly (NaN, inf, int keys, tuples, arrays)."""
    from latentbench.tasks.dataside import DatasetSideCache

    value = {0: {"mean": float("nan"), "draws": np.arange(3.0)}, "t": (1, np.inf, None, "s"), "l": [np.eye(2, dtype=np.int64)]}
    calls = []

    def compute():
        calls.append(1)
        return value

    a, b = DatasetSideCache(tmp_path), DatasetSideCache(tmp_path)
    a.get("k", {"p": 1}, compute)
    b.get("k", {"p": 1}, compute)  # another process's cache: reads the file
    assert len(calls) == 1 and b.loaded["k"] == 1
    files = list(tmp_path.glob("k-*.npz"))
    assert len(files) == 1 and not list(tmp_path.glob(".*tmp"))
    got = DatasetSideCache(tmp_path).get("k", {"p": 1}, compute)
    assert np.isnan(got[0]["mean"]) and got["t"] == (1, np.inf, None, "s")
    np.testing.assert_array_equal(got[0]["draws"], value[0]["draws"])
    np.testing.assert_array_equal(got["l"][0], value["l"][0])
    files[0].write_bytes(files[0].read_bytes()[:40])  # truncated by a crash or a full disk
    again = DatasetSideCache(tmp_path)
    again.get("k", {"p": 1}, compute)
    assert len(calls) == 2 and again.computed["k"] == 1 and again.loaded["k"] == 0
    assert DatasetSideCache(tmp_path).get("k", {"p": 1}, compute) is not None and len(calls) == 2  # replaced whole
    DatasetSideCache(tmp_path).get("k", {"p": 2}, compute)
    assert len(calls) == 3  # other parameters, another entry


# ------------------------------------------------------------------------------ the benchmark command
def test_readme_speed_section_is_generated_from_the_benchmark_json(monkeypatch):
    """The README's speed claims are the benchmark command's JSON rendered (bench/run.py --readme),
    every row checked equal to its peer; no claim written by hand survives (the old "39-65x")."""
    import importlib.util
    import json
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("bench_run", root / "bench" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_run", bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    results = json.loads((root / "bench" / "results.json").read_text())
    readme = (root / "README.md").read_text()
    assert bench.render_readme(results) in readme
    assert {r["name"] for r in results["rows"]} >= {c.name for c in bench.CASES}
    assert all(r["equal"] for r in results["rows"])
    assert "39-65x" not in readme


def test_null_baseline_results_are_reused_across_stores(tmp_path, monkeypatch):
    """A null baseline's jobs depend only on the dataset and the task: a run on a fresh store finds
    them under LATENTBENCH_HOME/dataside and computes none again, with the same rows (values,
    intervals, messages) and artifacts; --force recomputes them."""
    from latentbench.models.baselines import make_baseline

    monkeypatch.setenv("LATENTBENCH_SHIPPED_BASELINES", "0")  # the home's cache alone (the shipped rows: below)
    from latentbench.runner import Evaluator
    from latentbench.store import ResultStore

    tasks = _tasks("reconstruction/digits", "neighbourhood/digits", "topology/digits")
    first = Evaluator(tasks, store=str(tmp_path / "a.db"), n_bootstrap=20, device="cpu")
    res_a = first.run({"null:random": make_baseline("null:random")})
    ran = len({r["task"] for r in res_a if r["status"] == "ok"})  # null:random does not decode: reconstruction is skipped
    assert ran == 2 and first.dataside.computed["baseline-job"] == ran
    second = Evaluator(tasks, store=str(tmp_path / "b.db"), n_bootstrap=20, device="cpu")
    res_b = second.run({"null:random": make_baseline("null:random")})
    assert second.dataside.computed["baseline-job"] == 0 and second.dataside.loaded["baseline-job"] == ran
    assert sum(second.dataside.computed.values()) == 0  # nothing of the dataset's side either
    keep = ("task", "metric", "value", "ci_low", "ci_high", "status", "message", "n", "model_fp", "params_hash")
    assert sorted(tuple(r[k] for k in keep) for r in res_a) == sorted(tuple(r[k] for k in keep) for r in res_b)
    a, b = ResultStore(str(tmp_path / "a.db")), ResultStore(str(tmp_path / "b.db"))
    assert len(b.rows()) == len(a.rows()) and {r["run_id"] for r in b.rows()} == {second.run_id}
    forced = Evaluator(tasks, store=str(tmp_path / "c.db"), n_bootstrap=20, device="cpu", force=True)
    forced.run({"null:random": make_baseline("null:random")})
    assert forced.dataside.computed["baseline-job"] == ran


def test_shipped_baseline_rows_were_written_by_this_code():
    """The null baselines' rows shipped in latentbench/_dataside are read only while the code that
    computes a baseline's numbers is the code that wrote them; a change to it retires them, and
    this test says to regenerate them (so the first run on a fresh machine stays cheap)."""
    from latentbench.tasks.dataside import shipped_status, source_digest

    folder, why = shipped_status()
    assert folder is not None, f"{why} (source digest now {source_digest()})"


def test_a_fresh_home_reads_the_shipped_baseline_rows_equal_to_a_recomputation(tmp_path):
    """A first run in an empty LATENTBENCH_HOME reads a null baseline's job from the rows shipped
    with the package (nothing computed) and they equal, value for value, the rows computed here
    (--force); with LATENTBENCH_SHIPPED_BASELINES=0 it computes them."""
    import json

    from latentbench.models.baselines import make_baseline
    from latentbench.provenance import library_versions
    from latentbench.runner import Evaluator, _latentbench_version
    from latentbench.tasks.dataside import shipped_status

    folder, why = shipped_status()
    if folder is None:
        pytest.skip(f"no usable shipped rows: {why}")
    shipped_versions = json.loads((folder / "manifest.json").read_text())["versions"]
    here = {**library_versions(), "latentbench": _latentbench_version()}
    if shipped_versions != here:  # part of every entry's key: another environment computes its own
        diff = {k: (shipped_versions.get(k), here.get(k)) for k in set(shipped_versions) | set(here) if shipped_versions.get(k) != here.get(k)}
        pytest.skip(f"library versions differ from the shipped rows' ({diff}): their keys cannot match here")
    tasks = [get_task("neighbourhood/digits")]  # as the standard suite runs it (the shipped rows' key)
    first = Evaluator(tasks, store=str(tmp_path / "a.db"), device="cpu")
    got = first.run({"null:random": make_baseline("null:random")})
    assert first.dataside.from_shipped["baseline-job"] == 1 and first.dataside.computed["baseline-job"] == 0
    assert all(r["status"] == "ok" for r in got) and all(r.get("cached") for r in got)
    forced = Evaluator(tasks, store=str(tmp_path / "b.db"), device="cpu", force=True)
    again = forced.run({"null:random": make_baseline("null:random")})
    assert forced.dataside.computed["baseline-job"] == 1
    keep = ("task", "metric", "value", "ci_low", "ci_high", "status", "message", "n", "model_fp", "params_hash", "split_fp")
    assert sorted(tuple(r[k] for k in keep) for r in got) == sorted(tuple(r[k] for k in keep) for r in again)
