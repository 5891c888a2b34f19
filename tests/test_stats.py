"""The statistics core: one bootstrap engine equal to scipy.stats.bootstrap on the same resamples,
one estimate type, one ``rng`` convention across every public function that draws."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import scipy.stats

import latentbench
from latentbench.exceptions import InputValidationError
from latentbench.stats import (
    Estimate, bootstrap, bootstrap_mean, normal_estimate, percentile_estimate, resample_indices, resample_weights,
    t_estimate,
)


@pytest.mark.parametrize("n_resamples,batch", [(1000, 200), (999, 200), (300, 64)])
def test_bootstrap_equals_scipy_on_the_same_resamples(n_resamples, batch):
    x = np.random.default_rng(0).exponential(size=137)
    ref = scipy.stats.bootstrap((x,), np.mean, n_resamples=n_resamples, batch=batch, method="percentile",
                                rng=np.random.default_rng(42), confidence_level=0.9)
    ours = bootstrap_mean(x, rng=np.random.default_rng(42), n_resamples=n_resamples, batch=batch, confidence=0.9)
    assert ours.ci_low == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert ours.ci_high == pytest.approx(ref.confidence_interval.high, rel=1e-12)
    # the generic engine, vectorised or row by row, draws the same resamples
    gen = bootstrap(lambda a: a.mean(axis=-1), x, rng=np.random.default_rng(42), n_resamples=n_resamples, batch=batch,
                    confidence=0.9, vectorized=True)
    loop = bootstrap(np.mean, x, rng=np.random.default_rng(42), n_resamples=n_resamples, batch=batch, confidence=0.9)
    assert gen.interval == ours.interval
    assert loop.ci_low == pytest.approx(ours.ci_low, rel=1e-12) and loop.ci_high == pytest.approx(ours.ci_high, rel=1e-12)


def test_paired_statistics_resample_rows_together():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    pred = np.where(rng.random(200) < 0.8, y, 1 - y)
    est = bootstrap(lambda a, b: float(np.mean(a == b)), y, pred, rng=3, n_resamples=400)
    ref = scipy.stats.bootstrap((y, pred), lambda a, b, axis=-1: np.mean(a == b, axis=axis), paired=True, vectorized=True,
                                n_resamples=400, batch=200, method="percentile", rng=np.random.default_rng(3))
    assert est.value == np.mean(y == pred)
    assert est.interval == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-12)


def test_resample_weights_are_the_same_draws_as_counts():
    n = 53
    W = resample_weights(n, rng=7, n_resamples=450, batch=200)
    idx = np.concatenate(list(resample_indices(n, rng=7, n_resamples=450, batch=200)))
    assert W.shape == (450, n) and (W.sum(axis=1) == n).all()
    np.testing.assert_array_equal(W, np.stack([np.bincount(row, minlength=n) for row in idx]))
    v = np.random.default_rng(0).normal(size=n)
    # a weighted mean over the counts is the mean of the resample: the matrix form equals the engine
    est = percentile_estimate(float(v.mean()), W @ v / n, n=n)
    assert est.interval == pytest.approx(bootstrap_mean(v, rng=7, n_resamples=450).interval, rel=1e-12)


def test_estimate_is_frozen_and_unpacks():
    est = bootstrap_mean(np.arange(10.0), rng=0, n_resamples=100)
    value, lo, hi = est
    assert (value, lo, hi) == (est.value, est.ci_low, est.ci_high) and est.method == "bootstrap" and est.n == 10
    assert est.stderr == pytest.approx(np.arange(10.0).std(ddof=1) / np.sqrt(10))
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.value = 1.0  # type: ignore[misc]
    assert not Estimate(1.0).has_interval and est.has_interval
    assert normal_estimate(1.0, 0.5, n=3).interval == pytest.approx((1.0 - 1.959964 * 0.5, 1.0 + 1.959964 * 0.5), rel=1e-6)
    assert t_estimate([1.0, 2.0, 4.0]).method == "t"


def test_degenerate_resampling_gives_no_interval_rather_than_a_made_up_one():
    assert not bootstrap_mean(np.array([3.0]), rng=0).has_interval
    assert not percentile_estimate(0.5, [np.nan, np.nan, 0.4], n=3).has_interval
    with pytest.raises(InputValidationError, match="confidence"):
        bootstrap_mean(np.arange(5.0), rng=0, confidence=1.5)
    with pytest.raises(InputValidationError, match="row-aligned"):
        bootstrap(np.mean, np.arange(5.0), np.arange(4.0), rng=0)
    with pytest.raises(InputValidationError, match="'rng' must be"):
        bootstrap_mean(np.arange(5.0), rng="seed")


def _public_functions():
    for mod in pkgutil.walk_packages(latentbench.__path__, "latentbench."):
        if mod.name.rsplit(".", 1)[-1].startswith("_") or "cli" in mod.name:
            continue
        module = importlib.import_module(mod.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{mod.name}.{name}", fn


def test_one_rng_convention():
    """Every public function with an ``rng`` takes it keyword-only, as an int seed or a Generator,
    with no default (or ``None`` where drawing is optional, refused when a draw is needed), so a
    caller cannot forget to pass the job's generator and silently reuse one seed; no function takes
    ``n_boot`` or ``level``."""
    offenders = []
    for name, fn in _public_functions():
        params = inspect.signature(fn).parameters
        if "n_boot" in params or "level" in params:
            offenders.append(f"{name}: n_boot/level")
        p = params.get("rng")
        if p is None or name == "latentbench.validation.check_rng":
            continue
        if p.kind is not inspect.Parameter.KEYWORD_ONLY:
            offenders.append(f"{name}: rng is not keyword-only")
        if p.default is not inspect.Parameter.empty and p.default is not None:
            offenders.append(f"{name}: rng defaults to {p.default!r}")
    assert not offenders, offenders


def test_optional_rng_is_refused_where_a_draw_is_needed():
    from latentbench.metrics.dimension import intrinsic_dimension
    from latentbench.metrics.neighborhood import distortion

    x = np.random.default_rng(0).normal(size=(200, 3))
    with pytest.raises(InputValidationError, match="pass rng"):
        distortion(x, x)
    assert distortion(x, x, pairs="knn", k=5)["distortion_quantile"] == pytest.approx(1.0)
    with pytest.raises(InputValidationError, match="pass rng"):
        intrinsic_dimension(x, estimators=("correlation",))
