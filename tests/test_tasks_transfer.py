"""The domain-shift task end to end: ground truth through the runner, skips with reasons, DANN against source-only."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench
from latentbench.data import Dataset, load_dataset
from latentbench.tasks.registry import get_task
from latentbench.tasks.transfer import DomainShift


def _rows(res) -> dict[str, dict]:
    return {r["metric"]: r for r in res}


def _task(dataset: str, **dataset_params) -> DomainShift:
    return DomainShift(name="transfer/test", dataset=dataset, dataset_params=dataset_params,
                       params={"n_permutations": 100, "mmd_rows": 300})


def test_identity_on_an_unshifted_copy_through_the_runner():
    res = _rows(latentbench.evaluate("null:identity", tasks=[_task("tabular-shift", strength=0.0)], n_bootstrap=300, device="cpu"))
    assert {r["status"] for r in res.values()} == {"ok"}
    a = res["a_distance"]
    assert a["value"] < 0.2 and a["ci_low"] == 0.0
    assert res["mmd_p_value"]["value"] > 0.05
    g = res["transfer_gap"]
    assert abs(g["value"]) < 0.05 and g["ci_low"] <= 0 <= g["ci_high"]
    assert res["gap_change"]["value"] == 0.0  # the identity's probe is the input probe


def test_a_shift_is_seen_by_every_distance():
    res = _rows(latentbench.evaluate("null:identity", tasks=[_task("tabular-shift", strength=2.0)], n_bootstrap=200, device="cpu"))
    assert res["a_distance"]["ci_low"] > 1.0 and res["mmd_p_value"]["value"] < 0.02
    assert res["mmd2"]["ci_low"] > 0 and res["coral"]["ci_low"] > 0


def test_one_domain_and_constant_codes_are_skips_with_the_reason():
    base = load_dataset("tabular-shift", strength=1.0)
    one = Dataset(name="one-domain", x=base.x, obs_shape=base.obs_shape, labels=base.labels, domain=np.zeros(len(base), dtype=int),
                  splits=base.splits)
    res = latentbench.evaluate("null:identity", tasks=[_task("tabular-shift")], dataset=one, device="cpu")
    assert {r["status"] for r in res} == {"skipped"} and "each domain needs at least" in next(iter(res))["message"]
    const = latentbench.evaluate(lambda x: np.zeros((len(x), 2), dtype=np.float32), tasks=[_task("tabular-shift")], name="const",
                                 device="cpu")
    assert {r["status"] for r in const} == {"skipped"} and "constant" in next(iter(const))["message"]
    nolabels = Dataset(name="no-labels", x=base.x, obs_shape=base.obs_shape, domain=base.domain, splits=base.splits)
    res = latentbench.evaluate("null:identity", tasks=[_task("tabular-shift")], dataset=nolabels, device="cpu")
    assert {r["status"] for r in res} == {"skipped"} and "labels" in next(iter(res))["message"]


def test_model_selection_is_stated_in_the_metadata_and_the_docs():
    task = get_task("transfer/digits-rotation")
    assert "training-domain validation" in task.model_selection
    from latentbench.cli import _tasks_markdown

    assert "- model selection: training-domain validation" in _tasks_markdown([task])


def test_dann_adapts_where_its_source_only_twin_does_not(tmp_path, monkeypatch):
    """DANN (gradient reversal) against the same network trained on the source alone, on the shift it
    was trained for: a higher target accuracy, a smaller transfer gap and a smaller proxy A-distance."""
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path))
    task = get_task("transfer/digits-rotation")
    res = {m: _rows(latentbench.evaluate(f"ref:{m}", tasks=[task], n_bootstrap=200, device="cpu"))
           for m in ("dann-digits", "source-only-digits")}
    dann, src = res["dann-digits"], res["source-only-digits"]
    assert dann["target_accuracy"]["ci_low"] > src["target_accuracy"]["ci_high"]
    assert dann["transfer_gap"]["value"] < src["transfer_gap"]["value"]
    assert dann["a_distance"]["value"] < src["a_distance"]["value"]


def test_source_and_target_splits_are_fingerprinted_and_recorded():
    import json

    d = load_dataset("tabular-shift", strength=1.0)
    for split in ("train", "test"):
        src, tgt = d.split(f"source_{split}"), d.split(f"target_{split}")
        assert np.array_equal(np.sort(np.r_[src, tgt]), d.split(split))
        assert (d.domain[src] == 0).all() and (d.domain[tgt] == 1).all()
    res = latentbench.evaluate("null:identity", tasks=[_task("tabular-shift", strength=1.0)], n_bootstrap=50, device="cpu")
    params = next(iter(res))["params"]
    info = (json.loads(params) if isinstance(params, str) else params)["info"]
    assert info["split_fingerprints"] == {k: d.split_fingerprint(k) for k in ("source_train", "target_train", "source_test", "target_test")}
    assert "training-domain validation" in info["model_selection"]
