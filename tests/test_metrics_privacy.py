"""Privacy metrics where the answer is known: SSIM against analytic and reference values, invertible and
noise encoders against the baselines, the membership helpers against scikit-learn, verdicts, and
membership inference on an overfit autoencoder against one trained on plenty of data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_curve

from latentbench.data import load_dataset
from latentbench.exceptions import InputValidationError, UndefinedMetricWarning
from latentbench.metrics.privacy import (
    RidgeInverter, advantage_over_chance, balanced_accuracy_weighted, inversion_risk, latent_distance_signal, low_fpr_level,
    mean_baseline, membership_auroc, nearest_neighbour_baseline, risk_verdict, ssim, tpr_at_fpr, train_mlp_inverter,
)
from latentbench.metrics.reconstruction import psnr_per_sample

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------ SSIM
def test_ssim_of_identical_images_is_one_and_of_constants_is_analytic():
    rng = np.random.default_rng(0)
    a = rng.random((3, 1, 16, 16))
    np.testing.assert_allclose(ssim(a, a), 1.0, atol=1e-12)
    # constant images c1, c2: variances vanish and SSIM = (2 c1 c2 + C1) / (c1^2 + c2^2 + C1)
    c1, c2, C1 = 0.3, 0.7, 0.01**2
    out = ssim(np.full((1, 1, 8, 8), c1), np.full((1, 1, 8, 8), c2))
    assert out[0] == pytest.approx((2 * c1 * c2 + C1) / (c1**2 + c2**2 + C1), rel=1e-12)


def test_ssim_matches_scikit_image_reference_value():
    """16x16 images (window 11): the value scikit-image 0.26 gives with
    structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)."""
    rng = np.random.default_rng(0)
    a = rng.random((16, 16))
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1)
    assert ssim(a[None], b[None])[0] == pytest.approx(0.9565347238288212, abs=1e-12)
    skimage = pytest.importorskip("skimage.metrics")
    ref = skimage.structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
    assert ssim(a[None], b[None])[0] == pytest.approx(ref, abs=1e-12)


def test_ssim_small_images_equal_a_direct_window_loop():
    rng = np.random.default_rng(1)
    a = rng.random((8, 8))
    b = np.clip(a + rng.normal(0, 0.2, a.shape), 0, 1)
    win, sigma = 7, 1.5
    g = np.exp(-((np.arange(win) - 3) ** 2) / (2 * sigma**2))
    G = np.outer(g, g) / g.sum() ** 2
    vals = []
    for i in range(8 - win + 1):
        for j in range(8 - win + 1):
            pa, pb = a[i:i + win, j:j + win], b[i:i + win, j:j + win]
            ma, mb = (G * pa).sum(), (G * pb).sum()
            va, vb, cab = (G * pa * pa).sum() - ma**2, (G * pb * pb).sum() - mb**2, (G * pa * pb).sum() - ma * mb
            vals.append((2 * ma * mb + 1e-4) * (2 * cab + 9e-4) / ((ma**2 + mb**2 + 1e-4) * (va + vb + 9e-4)))
    assert ssim(a[None], b[None])[0] == pytest.approx(np.mean(vals), rel=1e-10)


def test_ssim_errors_name_the_argument():
    with pytest.raises(InputValidationError, match="x and y must have the same shape"):
        ssim(np.zeros((1, 8, 8)), np.zeros((1, 8, 7)))
    with pytest.raises(InputValidationError, match="'win_size' must be odd"):
        ssim(np.zeros((1, 8, 8)), np.zeros((1, 8, 8)), win_size=4)


# ------------------------------------------------------------------------------------------ inversion
def _digits_split():
    d = load_dataset("digits")
    x = d.get_x(flat=True).astype(np.float64)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(x))
    return x, perm[:1000], perm[1000:1400]


def _scores(z, x, aux, test, rng, mlp_steps=0):
    ridge = RidgeInverter(clip=(0, 1)).fit(z[aux], x[aux])
    att = {"ridge": ((ridge.predict(z[test]) - x[test]) ** 2).mean(axis=1)}
    if mlp_steps:
        fn, _ = train_mlp_inverter(z[aux], x[aux], steps=mlp_steps, output="sigmoid", seed=0)
        att["mlp"] = ((fn(z[test]) - x[test]) ** 2).mean(axis=1)
    base = {"mean": ((mean_baseline(x[aux], len(test)) - x[test]) ** 2).mean(axis=1),
            "nn": ((nearest_neighbour_baseline(z[aux], x[aux], z[test]) - x[test]) ** 2).mean(axis=1)}
    return inversion_risk(att, base, rng=rng, n_resamples=300), att, base


def test_invertible_encoder_is_fully_inverted_far_above_the_baselines():
    x, aux, test = _digits_split()
    q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((64, 64)))
    z = x @ q  # an orthogonal rotation: invertible
    out, att, base = _scores(z, x, aux, test, np.random.default_rng(0))
    r = out["risk"]
    assert r.value > 0.99 and r.ci_low > 0.99 and risk_verdict(r.ci_low) == "high"
    with pytest.warns(UndefinedMetricWarning, match="PSNR capped"):
        psnr_att = psnr_per_sample(att["ridge"]).mean()  # the errors are ~1e-30: capped at 100 dB
    assert psnr_att > psnr_per_sample(base["nn"]).mean() + 20 and psnr_att > psnr_per_sample(base["mean"]).mean() + 25
    s_att = ssim(RidgeInverter(clip=(0, 1)).fit(z[aux], x[aux]).predict(z[test]).reshape(-1, 8, 8), x[test].reshape(-1, 8, 8))
    assert s_att.mean() > 0.99


def test_noise_encoder_is_at_the_baseline():
    x, aux, test = _digits_split()
    z = np.random.default_rng(4).standard_normal((len(x), 10))  # independent of x
    out, att, base = _scores(z, x, aux, test, np.random.default_rng(0), mlp_steps=200)
    r = out["risk"]
    assert r.value < 0.02 and r.ci_low == 0.0 and risk_verdict(r.ci_low) == "low"
    assert out["baseline"] == "mean"  # the nearest neighbour of a random code is a random digit: worse than the mean
    assert att["ridge"].mean() == pytest.approx(base["mean"].mean(), rel=0.05)


def test_inversion_risk_interval_and_input_checks():
    rng = np.random.default_rng(0)
    e_b = rng.random(200) + 1.0
    out = inversion_risk({"a": 0.5 * e_b}, {"b": e_b}, rng=rng, n_resamples=200)
    r = out["risk"]
    assert r.value == pytest.approx(0.5) and r.ci_low == pytest.approx(0.5) and r.ci_high == pytest.approx(0.5)
    with pytest.raises(InputValidationError, match="must each name at least one method"):
        inversion_risk({}, {"b": e_b}, rng=rng)
    with pytest.raises(InputValidationError, match="inconsistent numbers of samples"):
        inversion_risk({"a": e_b[:10]}, {"b": e_b}, rng=rng)


def test_mlp_inverter_learns_a_nonlinear_inverse_and_is_seeded():
    rng = np.random.default_rng(0)
    t = rng.uniform(-2, 2, (800, 2))
    x = np.c_[np.sin(t), np.cos(t), t**2]
    f1, info = train_mlp_inverter(t[:600], x[:600], steps=600, seed=3, hidden=(64, 64))
    f2, _ = train_mlp_inverter(t[:600], x[:600], steps=600, seed=3, hidden=(64, 64))
    np.testing.assert_array_equal(f1(t[600:]), f2(t[600:]))
    ridge = RidgeInverter().fit(t[:600], x[:600])
    mse_mlp = ((f1(t[600:]) - x[600:]) ** 2).mean()
    assert mse_mlp < 0.3 * ((ridge.predict(t[600:]) - x[600:]) ** 2).mean()
    assert info["best_step"] > 0 and info["n_val"] == 60 and torch.get_num_threads() == 1


# ------------------------------------------------------------------------------------------ attribute inference
def test_balanced_accuracy_and_advantage():
    y = np.array([0, 0, 0, 1])
    assert balanced_accuracy_weighted(y, np.array([0, 0, 0, 0])) == 0.5
    assert balanced_accuracy_weighted(y, y) == 1.0
    assert advantage_over_chance(0.5, 2) == 0.0 and advantage_over_chance(1.0, 3) == 1.0
    np.testing.assert_allclose(balanced_accuracy_weighted(y, np.array([0, 1, 0, 1]), np.stack([np.ones(4), [1, 0, 1, 1]])),
                               [(2 / 3 + 1) / 2, 1.0])


# ------------------------------------------------------------------------------------------ membership helpers
@pytest.mark.parametrize("fpr", [0.01, 0.05, 0.1, 0.3])
def test_tpr_at_fpr_is_the_best_roc_point_within_the_fpr(fpr):
    rng = np.random.default_rng(0)
    m, nm = rng.normal(0.5, 1, 300), rng.normal(0, 1, 1200)
    f, t, _ = roc_curve(np.r_[np.ones(300), np.zeros(1200)], np.r_[m, nm])
    assert tpr_at_fpr(m, nm, fpr) == pytest.approx(t[f <= fpr + 1e-12].max())


def test_low_fpr_level_needs_a_thousand_non_members():
    assert low_fpr_level(1000)[0] == 0.01
    fpr, why = low_fpr_level(999)
    assert fpr == 0.1 and "fewer than 10" in why and "999" in why


def test_risk_verdict_uses_the_lower_end():
    assert risk_verdict(0.55) == "high" and risk_verdict(0.5) == "high"
    assert risk_verdict(0.3) == "medium" and risk_verdict(0.19) == "low" and risk_verdict(float("nan")) == "undetermined"
    assert risk_verdict(0.3, thresholds=(0.1, 0.25)) == "high"
    with pytest.raises(InputValidationError, match="'thresholds' must be increasing"):
        risk_verdict(0.3, thresholds=(0.5, 0.2))


def test_latent_distance_signal_finds_near_copies_of_training_latents():
    rng = np.random.default_rng(0)
    members = rng.standard_normal((400, 3))
    ref, cand = members[:200], members[:200] + 0.01 * rng.standard_normal((200, 3))  # memorised: near copies
    population, non = rng.standard_normal((400, 3)), rng.standard_normal((200, 3))
    auc = membership_auroc(latent_distance_signal(cand, ref, population), latent_distance_signal(non, ref, population), rng=0).value
    assert auc > 0.95
    fresh = rng.standard_normal((200, 3))  # members that are not near copies: no signal
    auc = membership_auroc(latent_distance_signal(fresh, ref, population), latent_distance_signal(non, ref, population), rng=0).value
    assert abs(auc - 0.5) < 0.08


# ------------------------------------------------------------------------------------------ membership ground truth
class _AE(torch.nn.Module):
    def __init__(self, d=64, k=16, h=256):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, k))
        self.dec = torch.nn.Sequential(torch.nn.Linear(k, h), torch.nn.ReLU(), torch.nn.Linear(h, d), torch.nn.Sigmoid())

    def encode(self, x):
        return self.enc(x.reshape(len(x), -1))

    def decode(self, z):
        return self.dec(z)


def train_ae(x: np.ndarray, *, epochs: int, k: int = 16, h: int = 256, seed: int = 0, batch: int = 64) -> _AE:
    torch.manual_seed(seed)
    ae = _AE(x.shape[1], k, h)
    from latentbench.metrics.privacy import _Adam

    opt = _Adam(list(ae.parameters()), lr=2e-3)
    xt = torch.as_tensor(x, dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(xt), generator=g).split(batch):
            loss = ((ae.decode(ae.encode(xt[idx])) - xt[idx]) ** 2).mean()
            ae.zero_grad()
            loss.backward()
            opt.step()
    return ae.eval()


def recon_signal(ae: _AE, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float32)
        return -((ae.decode(ae.encode(xt)) - xt) ** 2).mean(dim=1).numpy()


def test_membership_overfit_autoencoder_is_detected_and_a_well_trained_one_is_not():
    x = load_dataset("digits").get_x(flat=True).astype(np.float64)
    perm = np.random.default_rng(0).permutation(len(x))
    non_members = x[perm[1400:]]
    small = x[perm[:40]]
    overfit = train_ae(small, epochs=400, k=32, seed=0)  # 40 members, many parameters: memorises them
    auc, lo, hi = membership_auroc(recon_signal(overfit, small), recon_signal(overfit, non_members), rng=np.random.default_rng(0),
                                   n_resamples=300)
    assert auc > 0.9 and lo > 0.8, (auc, lo)
    plenty = x[perm[:1400]]
    general = train_ae(plenty, epochs=8, k=8, h=64, seed=0)  # plenty of data, a small budget: generalises
    auc, lo, hi = membership_auroc(recon_signal(general, plenty), recon_signal(general, non_members), rng=np.random.default_rng(0),
                                   n_resamples=300)
    assert abs(auc - 0.5) < 0.06 and lo <= 0.5 <= hi, (auc, lo, hi)  # the interval contains chance
