"""Factor analogies and factor-distance similarity: known answers by construction, the chance level,
scipy's Spearman, and the tasks on the shapes sub-grid."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

import latentbench
from latentbench.data import load_dataset
from latentbench.exceptions import InputValidationError
from latentbench.metrics.factor_semantics import analogy_questions, factor_analogy_score, factor_distance_spearman
from latentbench.tasks.registry import get_task


@pytest.fixture(scope="module")
def grid():
    return load_dataset("shapes-grid")


def test_shapes_grid_holds_distinct_held_out_cells(grid):
    base = load_dataset("shapes", n=10000)
    test = grid.split("test")
    assert len(test) == 576 - grid.metadata["left_out_train_cells"] and test.tolist() == list(range(len(test)))
    assert not np.isin(grid.grid_index[test], base.grid_index[base.split("train")]).any()
    assert (grid.grid_index[grid.split("train")] == base.grid_index[base.split("train")]).all()  # for fitting only
    x = grid.get_x(test, flat=True)
    assert len(np.unique(x, axis=0)) == len(test)  # orientations within one symmetry period: no two cells look alike
    from latentbench.data.fairness import derived_binding

    assert derived_binding("shapes", base.fingerprint, grid) is None
    assert "another draw" in derived_binding("shapes", "0" * 16, grid)


def test_questions_satisfy_the_analogy(grid):
    f = grid.factors[grid.split("test")]
    q = analogy_questions(f, rng=0, n_questions=300, categorical=[0])
    assert len(q) == 300 and len({tuple(r) for r in q[:, :3].tolist()}) == 300
    num = f[q[:, 0], 1:] - f[q[:, 1], 1:] + f[q[:, 2], 1:]
    assert (f[q[:, 3], 1:] == num).all()
    shape_ok = np.where(f[q[:, 0], 0] == f[q[:, 1], 0], f[q[:, 2], 0], f[q[:, 0], 0])
    assert (f[q[:, 3], 0] == shape_ok).all()
    assert ((f[q[:, 0], 0] == f[q[:, 1], 0]) | (f[q[:, 1], 0] == f[q[:, 2], 0])).all()
    assert (f[q[:, 0]] != f[q[:, 1]]).any(axis=1).all()


def test_codes_that_are_the_factors_solve_every_analogy_and_random_codes_sit_at_chance(grid):
    factors = grid.factors[grid.split("test")]
    f = factors.astype(np.float64)
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(5, 5)))
    for z in (f, 7.0 * f @ Q - 3.0):
        d = factor_analogy_score(z, factors, rng=1, categorical=[0], return_details=True)
        assert d["top1"] == 1.0 and d["top5"] == 1.0 and d["n_questions"] == 1000
    # chance: each question has exactly one answer row among N = n - 3 candidates
    n = len(factors)
    d = factor_analogy_score(np.random.default_rng(2).normal(size=(n, 10)), factors, rng=1, n_questions=3000,
                             categorical=[0], return_details=True)
    assert d["chance_top1"] == pytest.approx(1 / (n - 3)) and d["chance_top5"] == pytest.approx(1 - math.comb(n - 4, 5) / math.comb(n - 3, 5))
    for key in ("top1", "top5"):  # binomial: within 4 standard errors of chance
        p = d[f"chance_{key}"]
        assert abs(d[key] - p) < 4 * math.sqrt(p * (1 - p) / d["n_questions"]) + 1e-9, key


def test_factor_distance_spearman_known_cases_and_scipy(grid):
    f = grid.factors[grid.split("test")]
    span = f.max(0) - f.min(0)
    exact = factor_distance_spearman(f / span, f, rng=0, return_details=True)
    assert exact["spearman"] > 0.9999
    r = np.random.default_rng(3)
    z = f @ r.normal(size=(5, 4)) + r.normal(size=(len(f), 4))
    d = factor_distance_spearman(z, f, rng=0, categorical=[0], return_details=True)
    assert d["spearman"] == sps.spearmanr(d["latent_distance"], d["factor_distance"]).statistic
    i, j = d["pairs"].T
    assert (i != j).all() and np.allclose(d["latent_distance"], np.linalg.norm(z[i] - z[j], axis=1))
    noise = factor_distance_spearman(r.normal(size=(len(f), 4)), f, rng=0, n_pairs=20000)
    assert abs(noise) < 0.03


def test_bad_parameters_are_named(grid):
    with pytest.raises(InputValidationError, match="categorical"):
        factor_analogy_score(grid.factors, grid.factors, rng=0, categorical=[9])
    with pytest.raises(InputValidationError, match="factors"):
        factor_analogy_score(grid.factors, grid.factors[:-1], rng=0)
    with pytest.raises(InputValidationError, match="integer"):
        analogy_questions(grid.factors + 0.5, rng=0)


def test_tasks_on_the_sub_grid_rank_the_factors_above_a_random_projection(grid):
    tasks = [get_task("factor-analogy/shapes-grid"), get_task("factor-distance/shapes-grid")]
    assert {t.family for t in tasks} == {"semantics"}
    from latentbench.models.baselines import make_baseline

    # precomputed codes that are the factors themselves, and a random projection of the pixels
    res = latentbench.evaluate({"factors": latentbench.adapt(grid.factors.astype(np.float64)), "null:random": make_baseline("null:random"),
                                "null:pca-whiten": make_baseline("null:pca-whiten")}, tasks=tasks, n_bootstrap=50, device="cpu")
    assert {r["status"] for r in res} == {"ok"}
    val = {(r["model"], r["task"], r["metric"]): r for r in res}
    assert val[("factors", "factor-analogy/shapes-grid", "top1_accuracy")]["value"] == 1.0
    rnd = val[("null:random", "factor-analogy/shapes-grid", "top1_accuracy")]
    assert rnd["value"] < 0.1 and val[("null:random", "factor-analogy/shapes-grid", "chance_top1")]["direction"] == "none"
    assert val[("factors", "factor-distance/shapes-grid", "spearman")]["value"] > \
        val[("null:random", "factor-distance/shapes-grid", "spearman")]["value"]
