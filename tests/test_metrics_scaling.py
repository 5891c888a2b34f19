"""Scale-invariant metrics give the same number for codes at 1e-300, at 1e200 and at unit scale, and
NaN with a warning for codes that are still degenerate after rescaling (constant, or too few
distinct rows), never a ranked number (the issue: constant latents scored continuity 1.0, and
latents scaled by 1e-300 trustworthiness = continuity = 1.0 where the true value is 0.517)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pointclouds import torus  # noqa: E402

from latentbench.exceptions import UndefinedMetricWarning  # noqa: E402
from latentbench.metrics import dimension as dim  # noqa: E402
from latentbench.metrics import disentanglement as dm  # noqa: E402
from latentbench.metrics import neighborhood as nb  # noqa: E402
from latentbench.metrics import topology as topo  # noqa: E402
from latentbench.metrics.neighbors import knn_graph  # noqa: E402
from latentbench.metrics.scaling import n_distinct_rows, rescale, rescale_exponent  # noqa: E402

SCALES = [1e-300, 1e200, 2.0**-40]


@pytest.fixture(scope="module")
def pair():
    """Inputs on a noisy torus in 5-D and codes that distort them (a projection plus noise)."""
    rng = np.random.default_rng(0)
    x = np.column_stack([torus(400, rng), rng.normal(scale=0.1, size=(400, 2))])
    z = x[:, :2] @ np.array([[1.0, 0.3], [-0.2, 0.8]]) + rng.normal(scale=0.05, size=(400, 2))
    return x, z


@pytest.fixture(scope="module")
def coded():
    """Codes of a factorial grid: three noisy factor codes and a noise dimension."""
    rng = np.random.default_rng(1)
    f = rng.integers(0, 4, size=(600, 3))
    z = np.column_stack([f + rng.normal(scale=0.3, size=f.shape), rng.normal(size=600)])
    return z, f


def _flat(value):
    """Every number in a metric's result, as one float array (ints, lists, nested dicts, arrays)."""
    if isinstance(value, dict):
        return np.concatenate([_flat(value[k]) for k in sorted(value, key=str)]) if value else np.empty(0)
    if isinstance(value, (list, tuple)):
        return np.concatenate([_flat(v) for v in value]) if value else np.empty(0)
    return np.atleast_1d(np.asarray(value, dtype=float)).ravel()


# metric(x, z) -> number(s) that must not depend on the scale of z
PAIR_METRICS = {
    "trustworthiness": lambda x, z: nb.trustworthiness(x, z, (5, 10)),
    "continuity": lambda x, z: nb.continuity(x, z, (5, 10)),
    "knn_recall": lambda x, z: nb.knn_recall(x, z, (5, 10)),
    "distortion": lambda x, z: {k: v for k, v in nb.distortion(x, z, n_pairs=2000, rng=0).items()
                                if k in ("distortion_quantile", "distortion_max", "ratio_cv", "n_pairs")},
    "distortion_knn": lambda x, z: nb.distortion(x, z, pairs="knn", k=5)["distortion_quantile"],
    "compare_topology": lambda x, z: {k: topo.compare_topology(x, z, n_landmarks=60, n_draws=2, rng=0)[k]
                                      for k in ("bottleneck", "wasserstein", "betti_z", "covering_radius_z")},
}
# metric(z) -> number(s) that must not depend on the scale of z
SINGLE_METRICS = {
    "farthest_point_sampling": lambda z: topo.farthest_point_sampling(z, 40, start=3)[0],
    "landmark_persistence": lambda z: {k: v for k, v in topo.landmark_persistence(z, n_landmarks=60).items()
                                       if k in ("diagrams", "betti", "covering_radius", "landmarks")},
    "twonn": lambda z: dim.twonn(z),
    "mle": lambda z: dim.mle(z, k=10),
    "corrint": lambda z: dim.corrint(z),
    "intrinsic_dimension": lambda z: {k: v for k, v in dim.intrinsic_dimension(z).items()},
    "correlation_dimension": lambda z: dim.correlation_dimension(z, n_max=300, n_rounds=4, rng=0)["dimension"],
    "id_scale_curve": lambda z: dim.id_scale_curve(z, max_rank=16)["dimension"],
}
# metric(codes, factors) -> number(s) that must not depend on the scale of the codes
CODE_METRICS = {
    "mig": lambda z, f: dm.mig_score(z, f, return_details=True)["mig"],
    "modularity": lambda z, f: dm.modularity_score(z, f, return_details=True)["modularity"],
    # gradient-boosted trees are slow: binary factors (one tree per stage) on few rows
    "dci_gbt": lambda z, f: {k: dm.dci_score(z[:150], f[:150, :2] % 2, z[400:], f[400:, :2] % 2,
                                             rng=np.random.default_rng(0), return_details=True)[k]
                             for k in ("disentanglement", "completeness", "informativeness_test")},
    "dci_lasso": lambda z, f: {k: dm.dci_score(z[:300], f[:300], z[300:], f[300:], rng=np.random.default_rng(0),
                                               predictor="lasso", return_details=True)[k]
                               for k in ("disentanglement", "completeness", "informativeness_test")},
    "sap_threshold": lambda z, f: dm.sap_score(z[:400], f[:400], z[400:], f[400:], classifier="threshold", return_details=True)["sap"],
    "explicitness": lambda z, f: dm.explicitness_score(z[:400], f[:400], z[400:], f[400:], return_details=True)["explicitness"],
}


def _same(a, b, exact):
    a, b = _flat(a), _flat(b)
    assert a.shape == b.shape
    assert not np.isnan(a).any(), a  # a NaN would compare equal to a NaN
    if exact:
        np.testing.assert_array_equal(a, b)
    else:  # the rounding of ``z * 1e-300`` itself (one ulp per coordinate) reaches the last digits
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=0)


def _check(fn, args_scaled, args, scale, exact_at_power_of_two=True):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)  # a rescaled code is not degenerate
        base = fn(*args)
        got = fn(*args_scaled)
    exact = exact_at_power_of_two and float(np.log2(scale)).is_integer()
    _same(got, base, exact)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", sorted(PAIR_METRICS))
def test_pair_metrics_do_not_see_the_scale_of_the_codes(pair, name, scale):
    x, z = pair
    fn = PAIR_METRICS[name]
    _check(fn, (x, z * scale), (x, z), scale)
    _check(fn, (x * scale, z), (x, z), scale)  # nor of the inputs


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", sorted(SINGLE_METRICS))
def test_single_space_metrics_do_not_see_the_scale(pair, name, scale):
    _, z = pair
    _check(SINGLE_METRICS[name], (z * scale,), (z,), scale)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", sorted(CODE_METRICS))
def test_disentanglement_metrics_do_not_see_the_scale_of_the_codes(coded, name, scale):
    z, f = coded
    _check(CODE_METRICS[name], (z * scale, f), (z, f), scale)
    # nor of one dimension alone: these metrics treat every dimension on its own
    z1 = z.copy()
    z1[:, 1] *= scale
    _check(CODE_METRICS[name], (z1, f), (z, f), scale)


def test_numbers_on_ordinary_codes_are_scikit_learns(pair):
    from sklearn.manifold import trustworthiness as sk_trust

    x, z = pair  # continuous coordinates: no tied distances
    for k in (5, 10):
        assert nb.trustworthiness(x, z, k)[k] == pytest.approx(sk_trust(x, z, n_neighbors=k), abs=1e-12)
        assert nb.continuity(x, z, k)[k] == pytest.approx(sk_trust(z, x, n_neighbors=k), abs=1e-12)
        # and at 1e-300, where the squared distances underflowed: trustworthiness = continuity = 1.0
        assert nb.trustworthiness(x, z * 1e-300, k)[k] == pytest.approx(sk_trust(x, z, n_neighbors=k), abs=1e-12)
        assert nb.continuity(x, z * 1e-300, k)[k] == pytest.approx(sk_trust(z, x, n_neighbors=k), abs=1e-12)


def test_the_knn_graph_of_tiny_and_huge_codes_is_that_of_the_codes_scaled_back(pair):
    _, z = pair
    g = knn_graph(z, 8)
    for scale in (1e-300, 1e200):
        gs = knn_graph(z * scale, 8)
        np.testing.assert_array_equal(gs.indices, g.indices)
        np.testing.assert_allclose(gs.distances, g.distances * scale, rtol=1e-12)


def test_farthest_point_sampling_on_tiny_codes_picks_the_unscaled_landmarks(pair):
    # the issue: on codes scaled by 1e-300 every distance underflowed and FPS returned [0, 0, 0, ...]
    _, z = pair
    idx, radius = topo.farthest_point_sampling(z, 50, start=0)
    idx_t, radius_t = topo.farthest_point_sampling(z * 1e-300, 50, start=0)
    np.testing.assert_array_equal(idx_t, idx)
    assert len(set(idx_t.tolist())) == 50
    assert radius_t == pytest.approx(radius * 1e-300, rel=1e-12)


def test_farthest_point_sampling_never_repeats_a_point():
    z = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]), 10, axis=0)
    idx, radius = topo.farthest_point_sampling(z, 8, start=0)
    assert sorted(z[idx].tolist()) == sorted([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])  # the 3 distinct points, once
    assert radius == 1.0  # the last insertion radius ((1, 0) joined at distance 1): no point is left uncovered
    idx, _ = topo.farthest_point_sampling(np.ones((20, 3)), 5, start=4)
    assert idx.tolist() == [4]


# ----------------------------------------------------------------------------- degenerate codes
def _constant(z):
    return np.full_like(z, 0.7)


def _two_values(z):
    """Every row one of two codes (duplicated codes)."""
    return np.where(z[:, :1] > np.median(z[:, 0]), 1.0, -1.0) * np.ones((1, z.shape[1]))


def _collapsed(z):
    """Numerically collapsed codes: a spread far below the resolution of their offset (constant in float64)."""
    return 1e10 + z * 1e-20


def _first_number(value):
    return _flat(value)[0]


# the ranked number of each pair metric's result
MAIN = {"compare_topology": lambda out: out["bottleneck"][1]["mean"]}


@pytest.mark.parametrize("make", [_constant, _collapsed], ids=["constant", "numerically-collapsed"])
@pytest.mark.parametrize("name", sorted(PAIR_METRICS))
def test_constant_codes_give_nan_with_a_warning_pair(pair, name, make):
    x, z = pair
    zc = make(z)
    assert rescale(zc).degenerate == "constant"
    with pytest.warns(UndefinedMetricWarning):
        out = PAIR_METRICS[name](x, zc)
    assert np.isnan(MAIN.get(name, _first_number)(out)), out


@pytest.mark.parametrize("name", sorted(PAIR_METRICS))
def test_duplicated_codes_give_nan_with_a_warning(pair, name):
    x, z = pair
    if name.startswith("distortion"):
        pytest.skip("distortion is defined for two distinct codes: infinite, which the runner stores as no value")
    with pytest.warns(UndefinedMetricWarning):
        out = PAIR_METRICS[name](x, _two_values(z))
    assert np.isnan(MAIN.get(name, _first_number)(out)), out


def test_duplicated_codes_give_an_infinite_distortion_not_a_number(pair):
    x, z = pair
    out = nb.distortion(x, _two_values(z), n_pairs=2000, rng=0)
    assert out["distortion_quantile"] == np.inf and out["distortion_max"] == np.inf


def test_neighbour_metrics_are_undefined_exactly_where_k_reaches_the_distinct_rows(pair):
    x, z = pair
    z7 = np.repeat(z[:7], len(z) // 7 + 1, axis=0)[: len(z)]  # 7 distinct codes
    with pytest.warns(UndefinedMetricWarning, match=r"7 distinct rows.*at k=10"):
        t = nb.trustworthiness(x, z7, (5, 10))
    assert np.isfinite(t[5]) and np.isnan(t[10])


@pytest.mark.parametrize("name", ["intrinsic_dimension", "correlation_dimension", "landmark_persistence"])
def test_constant_and_duplicated_codes_single_space(pair, name):
    _, z = pair
    for make in (_constant, _two_values):
        with pytest.warns(UndefinedMetricWarning):
            out = SINGLE_METRICS[name](make(z))
        vals = _flat(out)
        assert np.isnan(vals).any(), out
        if name != "landmark_persistence":
            assert np.isnan(vals[0])


@pytest.mark.parametrize("name", sorted(CODE_METRICS) + ["sap_linear_svc", "beta_vae", "factor_vae", "mig_sampled"])
def test_constant_codes_get_no_disentanglement_number(coded, name):
    z, f = coded
    zc = _constant(z)
    extra = {
        "sap_linear_svc": lambda z, f: dm.sap_score(z[:400], f[:400], z[400:], f[400:], return_details=True)["sap"],
        "beta_vae": lambda z, f: dm.beta_vae_score(z, f, rng=np.random.default_rng(0), n_train=50, n_eval=20, return_details=True)["beta_vae"],
        "factor_vae": lambda z, f: dm.factor_vae_score(z, f, rng=np.random.default_rng(0), n_train=50, n_eval=20, return_details=True)["factor_vae"],
        "mig_sampled": lambda z, f: dm.mig_sampled_score(z, np.zeros_like(z), f, rng=np.random.default_rng(0),
                                                         n_samples=100, return_details=True)["mig"],
    }
    fn = CODE_METRICS.get(name) or extra[name]
    with pytest.warns(UndefinedMetricWarning, match="constant|standard deviation|posterior mean"):
        out = fn(zc, f)
    assert np.isnan(_first_number(out))


# ----------------------------------------------------------------------------- the helper itself
def test_rescale_is_exact_and_reports_degenerate_codes():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 3)) * 1e-300 + 5e-299
    r = rescale(z)
    assert r.degenerate is None and 0.5 <= np.abs(r.x - r.x.mean(0)).max() < 1
    np.testing.assert_array_equal(r.undo(r.x), z)  # a power of two: undone exactly
    assert rescale(np.ones((5, 2))).degenerate == "constant"
    # the mean of three 0.1s is not 0.1 in float64: constant all the same, and never scaled up
    assert rescale(np.full((3, 2), 0.1)).degenerate == "constant" and rescale_exponent(np.full((3, 2), 1e308)) == 0
    assert rescale(np.array([[1.0], [1.0], [2.0]]), min_distinct=3).degenerate == "2 distinct rows, at least 3 needed"
    e = rescale_exponent(np.column_stack([np.arange(4.0) * 1e-300, np.arange(4.0) * 1e200, np.ones(4)]), per_dimension=True)
    assert e[2] == 0 and e[0] < -900 and e[1] > 600
    assert n_distinct_rows(np.array([[0.0, 1.0], [-0.0, 1.0], [0.0, 2.0]])) == 2


# ----------------------------------------------------------------------------- through the runner
def test_constant_latents_are_stored_as_no_value_with_the_reason():
    # the issue: constant latents were ranked with continuity = 1.0, status ok
    import latentbench
    from latentbench.adapters import CallableAdapter

    const = CallableAdapter(lambda x: np.zeros((len(x), 3)), name="constant", flatten=True)
    res = latentbench.evaluate(const, tasks="neighbourhood/torus", n_bootstrap=20)
    rows = {r["metric"]: r for r in res.rows}
    for metric in ("trustworthiness", "continuity", "knn_recall", "distortion"):
        assert rows[metric]["value"] is None, rows[metric]
        assert "z is constant" in rows[metric]["message"]
