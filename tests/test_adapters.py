"""Tests of adapters: picking the adapter, capability detection, batching, output validation,
error messages and fingerprints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from latentbench.adapters import (
    CallableAdapter, Capability, PrecomputedAdapter, SklearnAdapter, TorchAdapter, adapt, standard_normal_log_prob,
)
from latentbench.exceptions import AdapterError, CapabilityError, InputValidationError

C = Capability


@pytest.fixture
def test_x(digits):
    """The digits test split as float32 images (359, 1, 8, 8)."""
    return digits.get_x(digits.split("test"))


@pytest.fixture
def fitted_pca(digits):
    from sklearn.decomposition import PCA

    return PCA(n_components=5, svd_solver="full").fit(digits.get_x(digits.split("train"), flat=True))


# ------------------------------------------------------------------------------------------ adapt()
def test_torch_module_encode_returning_z(tiny_ae, test_x):
    m = tiny_ae(latent_dim=3)
    a = adapt(m)
    assert isinstance(a, TorchAdapter) and a.kind == "torch"
    assert a.name == "TinyAE"
    assert a.capabilities == frozenset({C.ENCODE, C.DECODE})
    z = a.encode(test_x)
    assert z.shape == (len(test_x), 3) and z.dtype == np.float64
    with torch.no_grad():
        expected = m.encode(torch.from_numpy(test_x)).numpy()
    np.testing.assert_allclose(z, expected, rtol=1e-6)
    x_hat = a.decode(z)
    assert x_hat.shape == (len(test_x), 64) and x_hat.dtype == np.float32


def test_torch_module_encode_returning_mean_logvar_gets_posterior_after_bind(tiny_vae, digits, test_x):
    m = tiny_vae(latent_dim=4)
    a = adapt(m, name="vae")
    assert a.name == "vae"
    assert not a.has(C.POSTERIOR)  # unknown until the encoder's output convention is probed
    assert a.bind(digits) is a
    assert a.has(C.POSTERIOR, C.ENCODE, C.DECODE, C.LIKELIHOOD, C.PRIOR)
    mean, logvar = a.posterior(test_x)
    with torch.no_grad():
        m_ref, lv_ref = m.encode(torch.from_numpy(test_x))
    np.testing.assert_allclose(mean, m_ref.numpy(), rtol=1e-6)
    np.testing.assert_allclose(logvar, lv_ref.numpy(), rtol=1e-6)
    # encode gives the posterior mean, never a sample
    np.testing.assert_array_equal(a.encode(test_x), mean)


def test_torch_module_without_encode_is_rejected():
    class NoEncode(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(AdapterError, match="no encode"):
        adapt(NoEncode())


def test_torch_module_in_eval_mode_and_no_grad(test_x):
    class Drop(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(64, 2)
            self.drop = nn.Dropout(0.9)

        def encode(self, x):
            assert not torch.is_grad_enabled()
            return self.drop(self.lin(x.reshape(len(x), -1)))

    m = Drop().train()
    a = adapt(m)
    np.testing.assert_array_equal(a.encode(test_x[:20]), a.encode(test_x[:20]))  # dropout off
    assert not m.training


def test_sklearn_pca_fitted(fitted_pca, test_x):
    a = adapt(fitted_pca)
    assert isinstance(a, SklearnAdapter) and a.kind == "sklearn"
    assert a.capabilities == frozenset({C.ENCODE, C.DECODE})
    assert a.latent_dim == 5
    z = a.encode(test_x)  # images are flattened before transform
    np.testing.assert_allclose(z, fitted_pca.transform(test_x.reshape(len(test_x), -1)), rtol=1e-5, atol=1e-6)
    x_hat = a.decode(z)
    np.testing.assert_allclose(x_hat, fitted_pca.inverse_transform(z), rtol=1e-5, atol=1e-6)
    assert x_hat.shape == (len(test_x), 64)


def test_sklearn_unfitted_is_a_one_line_error_mentioning_fit():
    from sklearn.decomposition import PCA

    with pytest.raises(AdapterError) as info:
        adapt(PCA(3))
    msg = str(info.value)
    assert "\n" not in msg
    assert "PCA" in msg and "fit" in msg


def test_sklearn_without_inverse_transform_has_no_decode(digits, test_x):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rows = digits.split("train")
    lda = LinearDiscriminantAnalysis(n_components=3).fit(digits.get_x(rows, flat=True), digits.labels[rows])
    assert not hasattr(lda, "inverse_transform")
    a = adapt(lda)
    assert a.kind == "sklearn"
    assert a.capabilities == frozenset({C.ENCODE})
    assert a.encode(test_x).shape == (len(test_x), 3)
    with pytest.raises(CapabilityError, match="inverse_transform"):
        a.decode(np.zeros((2, 3)))


def test_plain_function(test_x):
    W = np.random.default_rng(0).standard_normal((64, 2))

    def my_encoder(x):
        return x.reshape(len(x), -1) @ W

    a = adapt(my_encoder)
    assert isinstance(a, CallableAdapter) and a.kind == "callable"
    assert a.name.endswith("my_encoder")  # the qualified name
    assert a.capabilities == frozenset({C.ENCODE})
    np.testing.assert_allclose(a.encode(test_x), test_x.reshape(len(test_x), -1).astype(np.float64) @ W, rtol=1e-5)


def test_object_with_encode_and_decode_methods():
    class Model:
        def encode(self, x):
            return x.reshape(len(x), -1)[:, :2]

        def decode(self, z):
            return np.repeat(z, 32, axis=1)

    a = adapt(Model())
    assert a.kind == "callable" and a.name == "Model"
    assert a.capabilities == frozenset({C.ENCODE, C.DECODE})
    assert a.decode(np.ones((3, 2))).shape == (3, 64)


def test_array_of_latents(digits):
    z = np.random.default_rng(0).standard_normal((len(digits), 4))
    a = adapt(z, dataset="digits")
    assert isinstance(a, PrecomputedAdapter) and a.kind == "precomputed"
    assert a.latent_dim == 4 and a.capabilities == frozenset({C.ENCODE})
    rows = digits.split("test")
    np.testing.assert_array_equal(a.encode_rows(digits, rows), z[rows])


def test_tensor_of_latents(digits):
    z = torch.arange(len(digits) * 2, dtype=torch.float32).reshape(-1, 2)
    a = adapt(z)
    assert a.kind == "precomputed"
    np.testing.assert_array_equal(a.encode_rows(digits, np.array([0, 5])), [[0.0, 1.0], [10.0, 11.0]])


def test_npz_file_with_split_latents_and_posterior(tmp_path, digits):
    test_rows = digits.split("test")
    rng = np.random.default_rng(1)
    z_test = rng.standard_normal((len(test_rows), 3))
    logvar = rng.standard_normal((len(test_rows), 3))
    path = tmp_path / "lat.npz"
    np.savez(path, z_test=z_test, mean_test=z_test, logvar_test=logvar, dataset=np.array("digits"))
    a = adapt(str(path))
    assert a.kind == "precomputed" and a.name == "lat" and a.dataset_name == "digits"
    assert a.capabilities == frozenset({C.ENCODE, C.POSTERIOR})
    np.testing.assert_array_equal(a.encode_rows(digits, test_rows[[2, 7]]), z_test[[2, 7]])
    m, lv = a.posterior_rows(digits, test_rows)
    np.testing.assert_array_equal(lv, logvar)
    # rows of another split are not there
    with pytest.raises(CapabilityError, match="z"):
        a.encode_rows(digits, digits.split("train")[:3])
    # precomputed latents cannot encode new inputs
    with pytest.raises(CapabilityError, match="cannot encode new inputs"):
        a.encode(digits.get_x(test_rows[:2]))


def test_npy_file(tmp_path, digits):
    z = np.random.default_rng(0).standard_normal((len(digits), 2))
    np.save(tmp_path / "codes.npy", z)
    a = adapt(tmp_path / "codes.npy")
    assert a.kind == "precomputed" and a.name == "codes"
    np.testing.assert_array_equal(a.encode_rows(digits, np.arange(4)), z[:4])


def test_unadaptable_object():
    with pytest.raises(AdapterError, match="cannot adapt int"):
        adapt(3)


def test_adapter_is_returned_as_is(tiny_ae):
    a = adapt(tiny_ae())
    assert adapt(a) is a
    assert adapt(a, name="renamed") is a and a.name == "renamed"


# ------------------------------------------------------------------------------------------ capabilities
@pytest.mark.parametrize(
    "attrs, methods, expected",
    [
        ({}, (), {C.ENCODE}),
        ({}, ("decode",), {C.ENCODE, C.DECODE}),
        ({"prior": "standard_normal"}, (), {C.ENCODE, C.PRIOR}),
        ({"prior": "laplace"}, (), {C.ENCODE}),  # only a declared standard normal gets N(0, I)
        ({"likelihood": "bernoulli"}, ("decode",), {C.ENCODE, C.DECODE, C.LIKELIHOOD}),
        ({"likelihood": "bernoulli"}, (), {C.ENCODE}),  # Bernoulli needs probabilities from decode
        ({"likelihood": "gaussian"}, ("decode",), {C.ENCODE, C.DECODE}),  # no free Gaussian likelihood
        ({}, ("log_likelihood",), {C.ENCODE, C.LIKELIHOOD}),
        ({}, ("log_prior",), {C.ENCODE, C.PRIOR}),
        ({}, ("posterior",), {C.ENCODE, C.POSTERIOR}),
    ],
)
def test_capability_detection(attrs, methods, expected):
    body = {"encode": lambda self, x: x.reshape(len(x), -1)[:, :2], **attrs}
    impl = {
        "decode": lambda self, z: torch.sigmoid(z.repeat(1, 32)),
        "log_likelihood": lambda self, x, z: torch.zeros(len(x)),
        "log_prior": lambda self, z: torch.zeros(len(z)),
        "posterior": lambda self, x: (x.reshape(len(x), -1)[:, :2], torch.zeros(len(x), 2)),
    }
    body.update({m: impl[m] for m in methods})
    cls = type("Probe", (nn.Module,), body)
    a = adapt(cls())
    assert a.capabilities == frozenset(expected)


def test_bernoulli_likelihood_and_standard_normal_prior_values(tiny_vae, digits):
    m = tiny_vae(latent_dim=2)
    a = adapt(m).bind(digits)
    x = (digits.get_x(digits.split("test")[:10]) > 0.5).astype(np.float32)
    z = np.random.default_rng(0).standard_normal((10, 2))
    with torch.no_grad():
        p = m.decode(torch.from_numpy(z).float()).double().numpy()
    xf = x.reshape(10, -1)
    expected = np.sum(xf * np.log(p) + (1 - xf) * np.log1p(-p), axis=1)
    np.testing.assert_allclose(a.log_likelihood(x, z), expected, rtol=1e-5)
    np.testing.assert_allclose(a.log_prior(z), -0.5 * (np.sum(z**2, axis=1) + 2 * np.log(2 * np.pi)), rtol=1e-6)
    np.testing.assert_allclose(standard_normal_log_prob(np.zeros((1, 3))), [-1.5 * np.log(2 * np.pi)])
    s = a.sample_prior(5, np.random.default_rng(0))
    assert s.shape == (5, 2)


def test_log_likelihood_method_is_used():
    class M(nn.Module):
        def encode(self, x):
            return x[:, :2]

        def log_likelihood(self, x, z):
            return -(x.sum(1) + z.sum(1))

    a = adapt(M(), batch_size=3)
    x, z = np.ones((7, 4), np.float32), np.ones((7, 2))
    np.testing.assert_allclose(a.log_likelihood(x, z), np.full(7, -6.0))
    with pytest.raises(InputValidationError, match="7 rows but z has 6"):
        a.log_likelihood(x, z[:6])


def test_require_names_whats_missing_and_how_to_add_it(tiny_ae):
    a = adapt(tiny_ae(), name="ae")
    a.require(C.ENCODE, C.DECODE)  # has both: no error
    with pytest.raises(CapabilityError) as info:
        a.require(C.LIKELIHOOD, C.PRIOR, purpose="the ELBO")
    msg = str(info.value)
    assert msg.startswith("the ELBO needs likelihood, prior but model 'ae'")
    assert "has only decode, encode" in msg
    assert "log_likelihood(x, z)" in msg  # how to add the first missing one
    with pytest.raises(CapabilityError, match="log_prior"):
        a.require(C.PRIOR)
    with pytest.raises(CapabilityError, match=r"posterior\(x\) -> \(mean, logvar\)"):
        a.posterior(np.zeros((2, 64), np.float32))
    assert a.missing([C.ENCODE, C.POSTERIOR, C.DECODE]) == [C.POSTERIOR]


# ------------------------------------------------------------------------------------------ batching
@pytest.mark.parametrize("batch_size", [1, 7, 100])
def test_batching_gives_the_same_result_as_one_batch(tiny_vae, digits, test_x, batch_size):
    m = tiny_vae(latent_dim=3)
    one = adapt(m, batch_size=10_000).bind(digits)
    many = adapt(m, batch_size=batch_size).bind(digits)
    z1 = one.encode(test_x)
    zb = many.encode(test_x)
    np.testing.assert_allclose(zb, z1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(many.decode(z1), one.decode(z1), rtol=1e-6, atol=1e-7)
    m1, lv1 = one.posterior(test_x)
    mb, lvb = many.posterior(test_x)
    np.testing.assert_allclose(mb, m1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(lvb, lv1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(many.log_likelihood(test_x, z1), one.log_likelihood(test_x, z1), rtol=1e-6)


def test_encode_rows_matches_encode(tiny_ae, digits):
    a = adapt(tiny_ae(), batch_size=50)
    rows = digits.split("test")
    np.testing.assert_allclose(a.encode_rows(digits, rows), a.encode(digits.get_x(rows)), rtol=1e-6)


def test_callable_receives_batches_of_the_batch_size(test_x):
    sizes = []

    def enc(x):
        sizes.append(len(x))
        return x.reshape(len(x), -1)[:, :2]

    adapt(enc, batch_size=100).encode(test_x)
    assert sizes == [100, 100, 100, 59]


# ------------------------------------------------------------------------------------------ validation
def _enc_with_nan_at(bad_positions, value=np.nan):
    def enc(x):
        z = x.reshape(len(x), -1)[:, :2].astype(np.float64).copy()
        marker = x.reshape(len(x), -1)[:, 0]  # the test input carries its row number in feature 0
        z[np.isin(marker, bad_positions)] = value
        return z

    return enc


def _numbered(n):
    x = np.zeros((n, 4), np.float32)
    x[:, 0] = np.arange(n)
    return x


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_output_names_model_method_and_rows(value):
    a = adapt(_enc_with_nan_at([13, 17], value), name="broken", batch_size=5)
    with pytest.raises(AdapterError) as info:
        a.encode(_numbered(20))
    msg = str(info.value)
    assert "model 'broken'" in msg and "encode" in msg
    assert "NaN/infinite" in msg
    assert "first rows [13]" in msg  # the first bad batch (rows 10..14) reports row 13 of the input, not 3
    assert "\n" not in msg


def test_non_finite_decode_output():
    a = CallableAdapter(lambda x: x, decode=lambda z: np.full((len(z), 4), np.nan), name="dec")
    with pytest.raises(AdapterError, match=r"model 'dec': decode returned 8 NaN/infinite values \(first rows \[0, 1\]\)"):
        a.decode(np.zeros((2, 3)))


def test_non_finite_rows_reported_by_encode_rows(digits):
    rows = digits.split("test")
    bad_pos = 10
    target = digits.get_x(rows[bad_pos : bad_pos + 1]).reshape(1, -1)

    def enc(x):
        flat = x.reshape(len(x), -1)
        z = flat[:, :2].astype(np.float64).copy()
        z[(flat == target).all(1)] = np.nan
        return z

    a = adapt(enc, name="nanny", batch_size=4)
    with pytest.raises(AdapterError) as info:
        a.encode_rows(digits, rows)
    msg = str(info.value)
    # either the position among the rows asked for (10) or the dataset's row index is right; 10 % 4 == 2 is not
    assert f"first rows [{bad_pos}]" in msg or f"first rows [{rows[bad_pos]}]" in msg, msg


def test_wrong_number_of_rows_says_the_expected_shape():
    a = adapt(lambda x: x[:-1, :2], name="short")
    with pytest.raises(AdapterError) as info:
        a.encode(_numbered(6))
    msg = str(info.value)
    assert "model 'short'" in msg
    assert "returned shape (5, 2) for a batch of 6 rows" in msg
    assert "(n, latent_dim)" in msg


def test_wrong_width_says_the_expected_width(tiny_ae):
    class Liar(nn.Module):
        latent_dim = 2

        def encode(self, x):
            return x.reshape(len(x), -1)[:, :3]

    with pytest.raises(AdapterError, match="returned 3 columns, expected 2"):
        adapt(Liar()).encode(_numbered(4))


def test_one_dimensional_encode_output_is_an_error():
    with pytest.raises(AdapterError, match=r"returned shape \(4,\) .* must return \(n, latent_dim\)"):
        adapt(lambda x: x[:, 0], name="flat").encode(_numbered(4))


def test_non_numeric_output_is_an_error():
    with pytest.raises(AdapterError, match="dtype"):
        adapt(lambda x: np.array([["a", "b"]] * len(x)), name="strings").encode(_numbered(3))


def test_log_likelihood_wrong_shape():
    a = CallableAdapter(lambda x: x, log_likelihood=lambda x, z: np.zeros((len(x), 2)), name="ll")
    with pytest.raises(AdapterError, match=r"log_likelihood returned shape \(3, 2\).*must return \(n,\)"):
        a.log_likelihood(np.zeros((3, 2)), np.zeros((3, 2)))


def test_model_that_raises_names_model_and_method(tiny_ae):
    class Crashy(nn.Module):
        def encode(self, x):
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    with pytest.raises(AdapterError) as info:
        adapt(Crashy(), name="x").encode(_numbered(2))
    assert str(info.value) == "model 'x' raised in encode: RuntimeError: mat1 and mat2 shapes cannot be multiplied"
    assert isinstance(info.value.__cause__, RuntimeError)

    def bad_decode(z):
        raise ValueError("nope")

    with pytest.raises(AdapterError, match=r"^model 'y' raised in decode: ValueError: nope$"):
        CallableAdapter(lambda x: x, decode=bad_decode, name="y").decode(np.zeros((1, 2)))


def test_bind_of_a_crashing_torch_model(digits):
    class Crashy(nn.Module):
        def encode(self, x):
            raise RuntimeError("boom")

    with pytest.raises(AdapterError, match="model 'Crashy' raised in encode: RuntimeError: boom"):
        adapt(Crashy()).bind(digits)


def test_encode_returning_a_triple_is_rejected_at_bind(digits):
    class Triple(nn.Module):
        def encode(self, x):
            f = x.reshape(len(x), -1)
            return f[:, :2], f[:, :2], f[:, :2]

    with pytest.raises(AdapterError, match="tuple of 3"):
        adapt(Triple()).bind(digits)


def test_input_must_have_rows(tiny_ae):
    with pytest.raises(InputValidationError, match="x must be at least 1-D"):
        adapt(tiny_ae()).encode(np.float32(1.0))
    with pytest.raises(InputValidationError, match="z must be 2-D"):
        adapt(tiny_ae()).decode(np.zeros(3))


# ------------------------------------------------------------------------------------------ precomputed
def test_precomputed_wrong_number_of_rows(digits):
    a = adapt(np.zeros((100, 4)))
    with pytest.raises(InputValidationError) as info:
        a.bind(digits)
    msg = str(info.value)
    assert "'z' has 100 rows" in msg
    assert f"has {len(digits)}" in msg and len(digits) == 1797
    assert "\n" not in msg


def test_precomputed_split_with_wrong_number_of_rows(digits):
    a = adapt({"z_test": np.zeros((10, 4))})
    with pytest.raises(InputValidationError, match=r"'z_test' has 10 rows but the 'test' split of 'digits' has 359"):
        a.bind(digits)


def test_precomputed_for_another_dataset(digits):
    a = adapt(np.zeros((len(digits), 2)), dataset="shapes")
    with pytest.raises(InputValidationError, match="'shapes', not 'digits'"):
        a.bind(digits)


def test_precomputed_rejects_bad_arrays(tmp_path):
    with pytest.raises(InputValidationError, match="no latents found"):
        adapt({"mean": np.zeros((3, 2))})
    with pytest.raises(InputValidationError, match=r"'z' must be 2-D"):
        adapt(np.zeros(5))
    with pytest.raises(InputValidationError, match="1 NaN/infinite"):
        adapt(np.array([[0.0, np.nan]]))
    with pytest.raises(InputValidationError, match="does not exist"):
        adapt(str(tmp_path / "missing.npz"))


# ------------------------------------------------------------------------------------------ fingerprints
def test_torch_fingerprint_stable_for_same_weights(tiny_vae):
    a, b = tiny_vae(seed=3), tiny_vae(seed=3)
    fa = TorchAdapter(a).fingerprint()
    assert len(fa) == 16 and int(fa, 16) >= 0
    assert TorchAdapter(b).fingerprint() == fa
    c = tiny_vae(seed=3)
    c.load_state_dict(a.state_dict())
    assert TorchAdapter(c).fingerprint() == fa


def test_torch_fingerprint_differs_for_different_weights(tiny_vae):
    a, b = tiny_vae(seed=3), tiny_vae(seed=3)
    with torch.no_grad():
        b.dec.bias[0] += 1e-3
    assert TorchAdapter(a).fingerprint() != TorchAdapter(b).fingerprint()
    assert TorchAdapter(tiny_vae(seed=4)).fingerprint() != TorchAdapter(a).fingerprint()


def test_sklearn_fingerprint(digits):
    from sklearn.decomposition import PCA

    x = digits.get_x(digits.split("train"), flat=True)
    f1 = adapt(PCA(4, svd_solver="full").fit(x)).fingerprint()
    assert adapt(PCA(4, svd_solver="full").fit(x)).fingerprint() == f1
    assert adapt(PCA(4, svd_solver="full").fit(x[:-1])).fingerprint() != f1
    assert adapt(PCA(5, svd_solver="full").fit(x)).fingerprint() != f1


def test_precomputed_fingerprint():
    z = np.arange(12.0).reshape(6, 2)
    assert adapt(z).fingerprint() == adapt(z.copy()).fingerprint()
    z2 = z.copy()
    z2[5, 1] += 1
    assert adapt(z2).fingerprint() != adapt(z).fingerprint()


def test_callable_fingerprint_stable():
    def enc(x):
        return x[:, :2]

    def other(x):
        return x[:, :3]

    assert adapt(enc).fingerprint() == adapt(enc).fingerprint()
    assert adapt(enc).fingerprint() != adapt(other).fingerprint()


def test_callable_fingerprint_differs_for_different_weights():
    class Linear:
        def __init__(self, W):
            self.W = W

        def encode(self, x):
            return x @ self.W

    def closure(W):
        return lambda x: x @ W

    assert adapt(Linear(np.ones((4, 2)))).fingerprint() != adapt(Linear(np.zeros((4, 2)))).fingerprint()
    assert adapt(closure(np.ones((4, 2)))).fingerprint() != adapt(closure(np.zeros((4, 2)))).fingerprint()


def test_describe(tiny_vae, digits):
    a = adapt(tiny_vae(latent_dim=2), name="v").bind(digits)
    d = a.describe()
    assert d["name"] == "v" and d["adapter"] == "torch" and d["latent_dim"] == 2 and d["likelihood"] == "bernoulli"
    assert d["capabilities"] == ["decode", "encode", "likelihood", "posterior", "prior"]
    assert d["fingerprint"] == a.fingerprint()
    module = tiny_vae(latent_dim=2)
    assert d["n_parameters"] == sum(p.numel() for p in module.parameters()) > 0


def test_n_parameters_counts_weights_not_running_statistics():
    """The leaderboard's size column: a torch module's parameters plus its weight buffers (a
    closed-form PPCA keeps its weights as buffers), not batch-norm statistics; a fitted PCA's
    components and mean; ``None`` where the adapter cannot tell (a callable)."""
    from sklearn.decomposition import PCA

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
            self.register_buffer("W", torch.zeros(5, 2, dtype=torch.float64))
            self.register_buffer("steps", torch.zeros((), dtype=torch.long))  # a counter, not a weight

        def encode(self, x):
            return self.body(x)

    # linear weight + bias, batch-norm weight + bias, the float buffer W; not running_mean/var, steps
    assert adapt(Net()).n_parameters == 4 * 3 + 3 + 3 + 3 + 10
    pca = PCA(3).fit(np.random.default_rng(0).normal(size=(40, 6)))
    assert adapt(pca).n_parameters == 3 * 6 + 6
    assert adapt(lambda x: x[:, :2]).n_parameters is None
    assert "n_parameters" not in adapt(lambda x: x[:, :2], name="f").describe(fingerprint="x")


@pytest.mark.parametrize("name", ["null:pca-whiten", "null:identity", "null:random"])
def test_baseline_bound_back_to_its_dataset_decodes_and_encodes_with_that_fit(name):
    """A run binds a baseline to every task's dataset; a bind to another dataset that never
    encoded must not leave its fit pending (traversals on shapes once decoded with the digits fit)."""
    from latentbench.data import load_dataset
    from latentbench.models.baselines import make_baseline

    digits, torus = load_dataset("digits"), load_dataset("manifold-torus")
    base = make_baseline(name)
    rows = torus.split("test")[:5]
    z = base.bind(torus).encode_rows(torus, rows)
    base.bind(digits)            # a digits task whose result was in the store: nothing encoded
    base.bind(torus)
    assert base.latent_dim == z.shape[1]
    np.testing.assert_array_equal(base.encode_rows(torus, rows), z)
    if Capability.DECODE in base.capabilities:
        assert base.decode(z).reshape(len(z), -1).shape[1] == torus.get_x(rows, flat=True).shape[1]
