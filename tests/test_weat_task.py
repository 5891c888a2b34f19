"""WEAT as a task on word models: the shipped word sets, the task equal to the metric on the same
vectors, coverage, and the audit report of a word model."""

from __future__ import annotations

import numpy as np
import pytest

import latentbench
from latentbench.audit import audit
from latentbench.data import load_dataset
from latentbench.data.weat import WEAT_TESTS
from latentbench.metrics.fairness import weat
from latentbench.tasks.registry import get_suite, get_task


@pytest.fixture(scope="module")
def sets():
    return load_dataset("weat")


def _vectors(words, *, planted: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """Random 20-d vectors; with ``planted`` WEAT 1's flowers lean to pleasant and insects to unpleasant."""
    r = np.random.default_rng(seed)
    out = {w: r.normal(size=20) for w in words}
    if planted:
        t = WEAT_TESTS[0]["sets"]
        axis = np.eye(20)[0] * 3
        for label, sign in ((t[0][1], 1), (t[2][1], 1), (t[1][1], -1), (t[3][1], -1)):
            for w in label.split():
                out[w] = out[w] + sign * axis
    return out


def test_shipped_sets_have_the_papers_sizes(sets):
    t = sets.table("weat_sets")
    kept = t[t[:, 3] == 0]
    sizes = [[int(((kept[:, 0] == i) & (kept[:, 1] == s)).sum()) for s in range(4)] for i in range(10)]
    assert sizes == [[25, 25, 25, 25], [25, 25, 25, 25], [32, 32, 25, 25], [16, 16, 25, 25], [16, 16, 8, 8],
                     [8, 8, 8, 8], [8, 8, 8, 8], [8, 8, 8, 8], [6, 6, 7, 7], [8, 8, 8, 8]]
    assert "Caliskan" in sets.metadata["reference"] and "WEFE" in sets.metadata["reference"]
    assert len(set(sets.items.tolist() if hasattr(sets.items, "tolist") else sets.items)) == len(sets)


def test_task_equals_the_metric_on_the_same_vectors(sets):
    words = list(sets.get_items(sets.split("test")))
    vecs = _vectors(words, planted=True)
    task = get_task("weat/weat1")
    res = latentbench.evaluate({"planted": latentbench.adapt(vecs)}, tasks=[task], n_bootstrap=20, device="cpu")
    val = {r["metric"]: r["value"] for r in res}
    X, Y, A, B = (np.stack([vecs[w] for w in label.split()]) for _, label in WEAT_TESTS[0]["sets"])
    direct = weat(X, Y, A, B, rng=np.random.default_rng(task_seed(task)), n_permutations=10000)
    assert val["effect_size"] == pytest.approx(direct["effect_size"], abs=1e-12) and val["effect_size"] > 1.5
    assert val["p_value"] < 0.01 and val["coverage"] == 1.0 and val["min_set_coverage"] == 1.0


def task_seed(task) -> np.random.SeedSequence:
    from latentbench.tasks.context import derive_seed

    return derive_seed(0, task.name)


def test_missing_words_are_recorded_and_too_few_leave_the_test_unmeasured(sets):
    words = list(sets.get_items(sets.split("test")))
    vecs = _vectors(words, planted=False)
    insects = WEAT_TESTS[0]["sets"][1][1].split()
    few = {w: v for w, v in vecs.items() if w not in insects[:6]}  # 19 of 25 insects: 0.76 < 0.8
    res = latentbench.evaluate({"few": latentbench.adapt(few)}, tasks=[get_task("weat/weat1")], n_bootstrap=20, device="cpu")
    val = {r["metric"]: r["value"] for r in res}
    assert val["effect_size"] is None and val["coverage"] == pytest.approx(94 / 100) and val["min_set_coverage"] == pytest.approx(19 / 25)
    ok = {w: v for w, v in vecs.items() if w not in insects[:5]}  # 20 of 25: measured on the words it has
    res = latentbench.evaluate({"ok": latentbench.adapt(ok)}, tasks=[get_task("weat/weat1")], n_bootstrap=20, device="cpu")
    assert {r["metric"]: r["value"] for r in res}["effect_size"] is not None


def test_audit_of_a_word_model_runs_the_association_tests(sets, tmp_path):
    words = list(sets.get_items(sets.split("test")))
    report, results = audit(latentbench.adapt(_vectors(words, planted=True)), name="planted-words", out=tmp_path, device="cpu",
                            n_bootstrap=20)
    assert {r["task"] for r in results.rows} == set(get_suite("audit-text").tasks)
    md = (tmp_path / "audit.md").read_text()
    assert "word-embedding association tests (WEAT" in md and "| weat1 |" in md and "| weat10 |" in md
    assert "WEAT1 (`weat/weat1`): effect size d = " in md
    assert "it tests models of words, so it did not run here" not in md  # it did run: no "not tested" line for it
