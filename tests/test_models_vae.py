"""The AE/VAE modules: shapes, objectives, the MWS total-correlation estimator, and that every
architecture passes `latentbench check` (tiny versions trained here in a second or two)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentbench.adapters import Capability, TorchAdapter
from latentbench.conformance import check
from latentbench.data import register_dataset
from latentbench.data.shapes import make_shapes
from latentbench.exceptions import InputValidationError
from latentbench.models.vae import ConvAE, ConvVAE, MLPAE, MLPVAE, total_correlation_mws
from latentbench.models.zoo import ReferenceSpec, train_reference

torch.set_num_threads(1)


def test_conv_architecture_is_the_standard_one():
    m = ConvVAE((1, 64, 64), latent_dim=10)
    convs = [l for l in m.encoder.net if isinstance(l, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 64, 64]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    linears = [l for l in m.encoder.net if isinstance(l, torch.nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(64 * 4 * 4, 256), (256, 20)]
    deconvs = [l for l in m.decoder.net if isinstance(l, torch.nn.ConvTranspose2d)]
    assert [(d.in_channels, d.out_channels) for d in deconvs] == [(64, 64), (64, 32), (32, 32), (32, 1)]
    x = torch.rand(3, 1, 64, 64)
    mean, logvar = m.posterior(x)
    assert mean.shape == logvar.shape == (3, 10)
    assert m.decode(mean).shape == (3, 4096)
    assert m.log_likelihood(x.round(), mean).shape == (3,)
    enc = (16 * 1 * 32 + 32) + (16 * 32 * 32 + 32) + (16 * 32 * 64 + 64) + (16 * 64 * 64 + 64) + (1024 * 256 + 256) + (256 * 20 + 20)
    dec = (10 * 256 + 256) + (256 * 1024 + 1024) + (16 * 64 * 64 + 64) + (16 * 64 * 32 + 32) + (16 * 32 * 32 + 32) + (16 * 32 * 1 + 1)
    assert sum(p.numel() for p in m.encoder.parameters()) == enc == 382_932
    assert sum(p.numel() for p in m.decoder.parameters()) == dec == 381_313
    with pytest.raises(InputValidationError, match="divisible by 16"):
        ConvVAE((1, 60, 60))


def test_autoencoders_have_encode_and_decode_only():
    for ae in (ConvAE((1, 64, 64), latent_dim=4), MLPAE((1, 8, 8), latent_dim=4)):
        adapter = TorchAdapter(ae)
        assert adapter.capabilities == frozenset({Capability.ENCODE, Capability.DECODE})
        with torch.no_grad():
            terms = ae.loss(torch.rand(5, *ae.obs_shape).round())
        assert float(terms["kl"]) == 0.0 and float(terms["loss"]) == float(terms["recon"]) > 0


def test_objectives_and_their_terms():
    torch.manual_seed(0)
    x = torch.rand(16, 1, 8, 8).round()
    base = MLPVAE((1, 8, 8), latent_dim=3, hidden=(16,), likelihood="bernoulli")
    state = base.state_dict()
    terms = {}
    for objective, beta in (("vae", 1.0), ("beta-vae", 4.0), ("beta-tc-vae", 1.0), ("beta-tc-vae", 6.0)):
        m = MLPVAE((1, 8, 8), latent_dim=3, hidden=(16,), likelihood="bernoulli", beta=beta, objective=objective, dataset_size=1000)
        m.load_state_dict(state)
        terms[(objective, beta)] = m.loss(x, torch.Generator().manual_seed(1))
    vae, b4 = terms[("vae", 1.0)], terms[("beta-vae", 4.0)]
    assert torch.allclose(vae["loss"], vae["recon"] + vae["kl"])
    assert torch.allclose(b4["loss"], b4["recon"] + 4 * b4["kl"])
    # beta-TC-VAE with beta = 1 is the VAE (alpha = gamma = 1): TC enters with weight beta - 1
    tc1, tc6 = terms[("beta-tc-vae", 1.0)], terms[("beta-tc-vae", 6.0)]
    assert torch.allclose(tc1["loss"], vae["loss"])
    assert torch.allclose(tc6["loss"], vae["loss"] + 5 * tc6["tc"])
    with pytest.raises(InputValidationError, match="objective"):
        MLPVAE((4,), objective="factor-vae")


def _mws_brute_force(z, mean, logvar, n_data):
    b, d = z.shape
    out = np.empty(b)
    for i in range(b):
        comp = -0.5 * (np.log(2 * np.pi) + logvar + (z[i] - mean) ** 2 / np.exp(logvar))  # (B, D)
        joint = np.log(np.exp(comp.sum(1)).sum()) - np.log(b * n_data)
        marg = (np.log(np.exp(comp).sum(0)) - np.log(b * n_data)).sum()
        out[i] = joint - marg
    return out


def test_mws_total_correlation_matches_the_formula():
    rng = np.random.default_rng(0)
    mean, logvar = rng.normal(size=(12, 3)), rng.normal(scale=0.3, size=(12, 3))
    z = mean + np.exp(0.5 * logvar) * rng.normal(size=(12, 3))
    t = lambda a: torch.as_tensor(a)  # noqa: E731
    got = total_correlation_mws(t(z), t(mean), t(logvar), 500, chunk=5).numpy()
    np.testing.assert_allclose(got, _mws_brute_force(z, mean, logvar, 500), rtol=1e-10)
    # dataset_size=None: the batch is the whole set (log B instead of log B N)
    np.testing.assert_allclose(total_correlation_mws(t(z), t(mean), t(logvar)).numpy(), _mws_brute_force(z, mean, logvar, 1), rtol=1e-10)


@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_aggregate_total_correlation_of_a_known_gaussian(rho):
    # posterior means ~ N(0, [[1, rho], [rho, 1]]) with posterior variance 0.01: the aggregate posterior
    # is close to N(0, Sigma + 0.01 I), whose TC is -0.5 log(1 - r^2) with r = rho / 1.01
    g = torch.Generator().manual_seed(0)
    chol = torch.linalg.cholesky(torch.tensor([[1.0, rho], [rho, 1.0]], dtype=torch.float64))
    mean = torch.randn(2000, 2, generator=g, dtype=torch.float64) @ chol.T
    z = mean + 0.1 * torch.randn(2000, 2, generator=g, dtype=torch.float64)
    tc = float(total_correlation_mws(z, mean, torch.full_like(mean, math.log(0.01))).mean())
    r = rho / 1.01
    assert abs(tc - (-0.5 * math.log(1 - r * r))) < 0.1  # measured 0.069 (rho 0) and 0.838 vs 0.790 (rho 0.9)


# ------------------------------------------------------------------------------------------ check
@pytest.fixture
def tiny_shapes():
    register_dataset("shapes-tiny", lambda **kw: make_shapes(400, seed=0, **kw))
    return "shapes-tiny"


CASES = [
    ("conv-vae", "vae", "shapes-tiny", {"likelihood": "bernoulli"}),
    ("conv-vae", "beta-tc-vae", "shapes-tiny", {"beta": 6.0}),
    ("conv-ae", "ae", "shapes-tiny", {"loss": "bernoulli"}),
    ("mlp-vae", "beta-vae", "digits", {"beta": 4.0, "hidden": [32]}),
    ("mlp-ae", "ae", "digits", {"hidden": [32]}),
    ("ppca", "pca", "digits", {}),
]


@pytest.mark.parametrize("arch,objective,dataset,extra", CASES, ids=[f"{a}-{o}" for a, o, _, _ in CASES])
def test_every_reference_architecture_passes_check(arch, objective, dataset, extra, tiny_shapes):
    spec = ReferenceSpec(name=f"tiny-{arch}-{objective}", architecture=arch, tier="quick", dataset=dataset,
                         model={"latent_dim": 4, "objective": objective, **extra},
                         training={"batch_size": 40, "epochs": 1, "seed": 0} if arch != "ppca" else {"seed": 0})
    model, meta = train_reference(spec)
    assert meta["objective"] == objective and np.isfinite(meta["final"].get("loss", meta["final"].get("sigma2")))
    report = check(TorchAdapter(model, name=spec.name), dataset=dataset)
    print(report.to_text())
    assert report.passed, report.to_text()
    smoke = [o for o in report.outcomes if o.name.startswith("smoke")]
    assert smoke and smoke[0].passed
    tasks = f"collapse/{dataset}, likelihood/{dataset}"  # the smoke tasks are named for the dataset they run on
    if arch.endswith("-ae"):
        assert f"skipped {tasks} (capabilities)" in smoke[0].message
    else:
        assert f"ran {tasks}, reconstruction/{dataset}" in smoke[0].message
