"""Privacy-risk metrics of latent spaces: inversion, attribute inference and membership inference.

Threat model. The attacker sees the latents of the audited rows and an auxiliary set of (x, z)
pairs drawn from the same distribution but disjoint from the audited rows. From it the attacker
fits inverters z -> x:

* :class:`RidgeInverter`: closed-form ridge regression (regularization chosen by efficient
  leave-one-out on the auxiliary set), fast and deterministic: a floor on what an attacker can do;
* :func:`train_mlp_inverter`: a trained network (an MLP for vectors, a small deconvolution net for
  images), with a step budget and early stopping on a held-out part of the auxiliary set.

Reconstructions are scored with MSE, PSNR and SSIM (Wang, Bovik, Sheikh & Simoncelli, "Image
quality assessment: from error visibility to structural similarity", IEEE TIP 2004; Gaussian window,
sigma 1.5, as in their reference implementation) against two baselines that use no latent
information beyond a lookup: the mean of the auxiliary inputs, and the auxiliary input whose latent
is nearest. Membership inference follows Yeom et al. ("Privacy risk in machine learning", CSF
2018) and Hilprecht et al. ("Monte Carlo and reconstruction membership inference attacks against
generative models", PoPETs 2019), and reports the TPR at a low FPR (Carlini et al., "Membership
inference attacks from first principles", S&P 2022).

Risk scores are in [0, 1]: ``1 - MSE_attack / min(MSE_baselines)`` for inversion, the advantage over
chance for attribute inference ``(balanced accuracy - 1/K) / (1 - 1/K)`` and for membership
``2 * AUROC - 1``, each clipped to [0, 1]. The verdict is taken on the *lower end* of the interval:
``high`` when it is at least 0.5, ``medium`` when at least 0.2, ``low`` otherwise
(:data:`RISK_THRESHOLDS`). Every attack here is a lower bound on what a stronger attacker could do.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, UndefinedMetricWarning
from ..stats import Estimate, percentile_estimate, resample_weights
from ..validation import check_array, check_consistent_length, check_param, check_same_label_kind
from .fairness import weighted_auroc

__all__ = [
    "RISK_THRESHOLDS",
    "RidgeInverter",
    "advantage_over_chance",
    "balanced_accuracy_weighted",
    "inversion_risk",
    "latent_distance_signal",
    "low_fpr_level",
    "mean_baseline",
    "nearest_neighbour_baseline",
    "risk_verdict",
    "ssim",
    "tpr_at_fpr",
    "train_mlp_inverter",
]

#: Verdict thresholds on the lower end of a risk's interval: (medium, high).
RISK_THRESHOLDS: tuple[float, float] = (0.2, 0.5)


def risk_verdict(ci_low: float | None, thresholds: Sequence[float] = RISK_THRESHOLDS) -> str:
    """``"high"``/``"medium"``/``"low"`` from the lower end of a risk's interval (``"undetermined"`` if NaN).

    Parameters
    ----------
    ci_low : float
        The lower end of the risk's confidence interval (a risk in [0, 1]).
    thresholds : (float, float), default=(0.2, 0.5)
        ``medium`` from the first, ``high`` from the second.
    """
    lo_t, hi_t = thresholds
    if not lo_t < hi_t:
        raise InputValidationError(f"'thresholds' must be increasing, got {tuple(thresholds)}")
    if ci_low is None or not math.isfinite(ci_low):
        return "undetermined"
    return "high" if ci_low >= hi_t else "medium" if ci_low >= lo_t else "low"


# ---------------------------------------------------------------------------------------- SSIM
def _gaussian_window(size: int, sigma: float) -> np.ndarray:
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(x: Any, y: Any, *, data_range: float = 1.0, sigma: float = 1.5, win_size: int | None = None,
         k1: float = 0.01, k2: float = 0.03) -> np.ndarray:
    """Structural similarity of image pairs (Wang et al. 2004), one value per pair.

    The local means, variances and covariance are Gaussian-weighted (``sigma`` 1.5) over windows
    lying entirely inside the image ("valid" positions, as in the reference implementation and in
    scikit-image's ``structural_similarity(gaussian_weights=True, use_sample_covariance=False)``
    after its border crop), with ``C1 = (k1 L)^2`` and ``C2 = (k2 L)^2``. The SSIM map is averaged
    over positions and channels.

    Parameters
    ----------
    x, y : array-like of shape (n, c, h, w) or (n, h, w)
        Image batches in the same range.
    data_range : float, default=1.0
        ``L``, the span of the values.
    sigma : float, default=1.5
    win_size : int, optional
        Odd window width; default ``11`` (the reference truncation at 3.5 sigma), reduced to the
        largest odd number not above ``min(h, w)`` for small images (7 for 8x8 digits).
    k1, k2 : float

    Returns
    -------
    ndarray of shape (n,)
    """
    import torch

    X = check_array(x, "x", ndim=(3, 4))
    Y = check_array(y, "y", ndim=(3, 4))
    if X.shape != Y.shape:
        raise InputValidationError(f"x and y must have the same shape, got {X.shape} and {Y.shape}")
    check_param(data_range, "data_range", low=1e-12)
    if X.ndim == 3:
        X, Y = X[:, None], Y[:, None]
    n, c, h, w = X.shape
    if win_size is None:
        win_size = min(2 * int(3.5 * sigma + 0.5) + 1, (min(h, w) - 1) // 2 * 2 + 1)
    check_param(win_size, "win_size", low=1, high=min(h, w), integer=True)
    if win_size % 2 == 0:
        raise InputValidationError(f"'win_size' must be odd, got {win_size}")
    g = torch.from_numpy(_gaussian_window(win_size, sigma))
    kern = (g[:, None] * g[None, :])[None, None]

    def filt(a: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.conv2d(a.reshape(n * c, 1, h, w), kern).reshape(n, c, h - win_size + 1, w - win_size + 1)

    tx, ty = torch.from_numpy(X), torch.from_numpy(Y)
    mx, my = filt(tx), filt(ty)
    vx = filt(tx * tx) - mx * mx
    vy = filt(ty * ty) - my * my
    cxy = filt(tx * ty) - mx * my
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    smap = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return smap.mean(dim=(1, 2, 3)).numpy()


# ---------------------------------------------------------------------------------------- inverters
class RidgeInverter:
    """Closed-form ridge regression from standardized latents to inputs.

    The regularization is picked from ``alphas`` by the efficient leave-one-out (generalized
    cross-validation) of scikit-learn's ``RidgeCV``, on the auxiliary pairs only.

    Parameters
    ----------
    alphas : sequence of float, default=logspace(-3, 3, 13)
    clip : (float, float), optional
        Clip reconstructions to the data's known range (the attacker knows images lie in [0, 1]).
    """

    def __init__(self, alphas: Sequence[float] | None = None, clip: tuple[float, float] | None = None) -> None:
        self.alphas = tuple(np.logspace(-3, 3, 13)) if alphas is None else tuple(float(a) for a in alphas)
        if not self.alphas or min(self.alphas) <= 0:
            raise InputValidationError(f"'alphas' must be positive numbers, got {self.alphas}")
        self.clip = clip

    def fit(self, z: Any, x: Any) -> RidgeInverter:
        """Fit on auxiliary latents ``z`` (n, d) and flattened inputs ``x`` (n, p)."""
        from sklearn.linear_model import RidgeCV

        Z = check_array(z, "z", ndim=2, min_rows=2)
        Xf = check_array(x, "x", ndim=2)
        check_consistent_length(z=Z, x=Xf)
        self.mu_, sd = Z.mean(axis=0), Z.std(axis=0)
        self.sd_ = np.where(sd > 0, sd, 1.0)
        self.model_ = RidgeCV(alphas=self.alphas).fit((Z - self.mu_) / self.sd_, Xf)
        self.alpha_ = float(self.model_.alpha_)
        return self

    def predict(self, z: Any) -> np.ndarray:
        """Reconstructions ``(n, p)`` of latents ``z``."""
        Z = check_array(z, "z", ndim=2)
        out = self.model_.predict((Z - self.mu_) / self.sd_)
        return np.clip(out, *self.clip) if self.clip else out


def _inverter_net(d: int, obs_shape: tuple[int, ...], hidden: Sequence[int], architecture: str, output: str) -> Any:
    from torch import nn

    p = int(np.prod(obs_shape))
    layers: list[Any]
    if architecture == "deconv":
        c, h, w = obs_shape
        ch = 32
        layers = [nn.Linear(d, hidden[0] if hidden else 256), nn.ReLU(), nn.Linear(hidden[0] if hidden else 256, ch * (h // 4) * (w // 4)),
                  nn.ReLU(), nn.Unflatten(1, (ch, h // 4, w // 4)), nn.ConvTranspose2d(ch, 16, 4, 2, 1), nn.ReLU(),
                  nn.ConvTranspose2d(16, c, 4, 2, 1), nn.Flatten()]
    else:
        layers, width = [], d
        for hdim in hidden:
            layers += [nn.Linear(width, int(hdim)), nn.ReLU()]
            width = int(hdim)
        layers.append(nn.Linear(width, p))
    if output == "sigmoid":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


class _Adam:
    """Adam (Kingma & Ba 2015) with L2 weight decay, in a few lines: ``torch.optim`` imports
    ``torch._dynamo`` on its first step (about 5 s on a CPU), more than a small inverter's training."""

    def __init__(self, params: list[Any], *, lr: float, weight_decay: float = 0.0, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        import torch

        self.params, self.lr, self.wd, self.betas, self.eps, self.t = params, lr, weight_decay, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self) -> None:
        import torch

        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                if p.grad is None:
                    continue
                g = p.grad if not self.wd else p.grad + self.wd * p
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.addcdiv_(m, (v / c2).sqrt_().add_(self.eps), value=-self.lr / c1)


def train_mlp_inverter(z_aux: Any, x_aux: Any, *, obs_shape: tuple[int, ...] | None = None, hidden: Sequence[int] = (256, 256),
                       architecture: str = "auto", steps: int = 1500, lr: float = 1e-3, batch_size: int = 128,
                       weight_decay: float = 0.0, val_fraction: float = 0.1, eval_every: int = 100, output: str = "linear",
                       device: str = "cpu", seed: int = 0, cpu_threads: int | None = 1) -> tuple[Callable[[np.ndarray], np.ndarray], dict[str, Any]]:
    """Train a network inverter ``z -> x`` on auxiliary pairs, with early stopping.

    Latents are standardized with the auxiliary statistics; a share ``val_fraction`` of the
    auxiliary pairs is held out and the weights with the lowest held-out MSE (checked every
    ``eval_every`` steps) are kept. Training uses Adam with a fixed step budget, on ``device``.

    Parameters
    ----------
    z_aux : array-like of shape (n, d)
    x_aux : array-like of shape (n, p)
        Flattened inputs.
    obs_shape : tuple of int, optional
        The shape of one input; images ``(c, h, w)`` with ``h, w >= 16`` divisible by 4 get a
        deconvolution decoder under ``architecture="auto"``.
    hidden : sequence of int, default=(256, 256)
    architecture : {"auto", "mlp", "deconv"}, default="auto"
    steps : int, default=1500
        The training budget (gradient steps).
    lr, batch_size, weight_decay : float, int, float
    val_fraction : float, default=0.1
    eval_every : int, default=100
    output : {"linear", "sigmoid"}, default="linear"
        ``sigmoid`` for data in [0, 1].
    device : str, default="cpu"
    seed : int, default=0
    cpu_threads : int or None, default=1
        Torch threads while training on the CPU (restored afterwards); small networks run fastest
        on one thread and do not contend with other work. ``None`` keeps torch's setting.

    Returns
    -------
    predict : callable
        ``predict(z) -> (n, p)`` reconstructions.
    info : dict
        ``architecture``, ``steps``, ``best_step``, ``val_mse``, ``seconds``, ``n_train``, ``n_val``.
    """
    import torch

    Z = check_array(z_aux, "z_aux", ndim=2, min_rows=4)
    Xf = check_array(x_aux, "x_aux", ndim=2)
    check_consistent_length(z_aux=Z, x_aux=Xf)
    check_param(steps, "steps", low=1, integer=True)
    check_param(val_fraction, "val_fraction", low=0.0, high=0.5)
    check_param(architecture, "architecture", options=("auto", "mlp", "deconv"))
    check_param(output, "output", options=("linear", "sigmoid"))
    obs_shape = tuple(obs_shape) if obs_shape is not None else (Xf.shape[1],)
    is_image = len(obs_shape) == 3 and min(obs_shape[1:]) >= 16 and obs_shape[1] % 4 == 0 and obs_shape[2] % 4 == 0
    arch = ("deconv" if is_image else "mlp") if architecture == "auto" else architecture
    if arch == "deconv" and not is_image:
        raise InputValidationError(f"'architecture' 'deconv' needs images (c, h, w) with h, w >= 16 divisible by 4, got {obs_shape}")
    saved_threads = torch.get_num_threads()
    if cpu_threads is not None and not str(device).startswith("cuda"):
        torch.set_num_threads(int(cpu_threads))
    try:
        return _train_inverter(Z, Xf, obs_shape, hidden, arch, steps, lr, batch_size, weight_decay, val_fraction, eval_every,
                               output, device, seed)
    finally:
        torch.set_num_threads(saved_threads)


def _train_inverter(Z: np.ndarray, Xf: np.ndarray, obs_shape: tuple[int, ...], hidden: Sequence[int], arch: str, steps: int,
                    lr: float, batch_size: int, weight_decay: float, val_fraction: float, eval_every: int, output: str,
                    device: str, seed: int) -> tuple[Callable[[np.ndarray], np.ndarray], dict[str, Any]]:
    import torch

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(Z))
    n_val = int(round(len(Z) * val_fraction))
    val, tr = perm[:n_val], perm[n_val:]
    mu, sd = Z[tr].mean(axis=0), Z[tr].std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    torch.manual_seed(seed)
    net = _inverter_net(Z.shape[1], obs_shape, hidden, arch, output).to(device)
    opt = _Adam(list(net.parameters()), lr=lr, weight_decay=weight_decay)
    zt = torch.as_tensor((Z - mu) / sd, dtype=torch.float32, device=device)
    xt = torch.as_tensor(Xf, dtype=torch.float32, device=device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    tr_t = torch.as_tensor(tr)
    best = (float("inf"), 0, None)

    def val_mse() -> float:
        if n_val == 0:
            return float("nan")
        net.eval()
        with torch.no_grad():
            out = float(((net(zt[val]) - xt[val]) ** 2).mean())
        net.train()
        return out

    net.train()
    for step in range(1, steps + 1):
        idx = tr_t[torch.randint(len(tr), (min(batch_size, len(tr)),), generator=gen)]
        loss = ((net(zt[idx]) - xt[idx]) ** 2).mean()
        net.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if n_val and (step % eval_every == 0 or step == steps):
            v = val_mse()
            if v < best[0]:
                best = (v, step, {k: t.detach().clone() for k, t in net.state_dict().items()})
    if best[2] is not None:
        net.load_state_dict(best[2])
    net.eval()

    def predict(z: np.ndarray) -> np.ndarray:
        Zn = (check_array(z, "z", ndim=2) - mu) / sd
        outs = []
        with torch.no_grad():
            for s in range(0, len(Zn), 1024):
                outs.append(net(torch.as_tensor(Zn[s:s + 1024], dtype=torch.float32, device=device)).cpu().numpy())
        return np.concatenate(outs).astype(np.float64) if outs else np.zeros((0, Xf.shape[1]))

    info = {"architecture": arch, "hidden": list(hidden), "steps": steps, "best_step": best[1], "val_mse": best[0] if n_val else None,
            "lr": lr, "batch_size": batch_size, "n_train": len(tr), "n_val": n_val, "output": output, "device": device,
            "seconds": time.perf_counter() - t0}
    return predict, info


# ---------------------------------------------------------------------------------------- baselines
def mean_baseline(x_aux: Any, n: int) -> np.ndarray:
    """The mean auxiliary input repeated ``n`` times, shape ``(n, p)``."""
    Xf = check_array(x_aux, "x_aux", ndim=2)
    return np.repeat(Xf.mean(axis=0, keepdims=True), n, axis=0)


def nearest_neighbour_baseline(z_aux: Any, x_aux: Any, z: Any) -> np.ndarray:
    """For each latent in ``z``, the auxiliary input whose latent is nearest (Euclidean, after
    standardizing latents with the auxiliary statistics). Shape ``(len(z), p)``."""
    from sklearn.neighbors import NearestNeighbors

    Za = check_array(z_aux, "z_aux", ndim=2)
    Xf = check_array(x_aux, "x_aux", ndim=2)
    Zq = check_array(z, "z", ndim=2)
    check_consistent_length(z_aux=Za, x_aux=Xf)
    if Zq.shape[1] != Za.shape[1]:
        raise InputValidationError(f"z has {Zq.shape[1]} dimensions but z_aux has {Za.shape[1]}")
    mu, sd = Za.mean(axis=0), Za.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit((Za - mu) / sd)
    idx = nn.kneighbors((Zq - mu) / sd, return_distance=False)[:, 0]
    return Xf[idx]


# ---------------------------------------------------------------------------------------- risks
def inversion_risk(errors_attack: Mapping[str, Any], errors_baseline: Mapping[str, Any], *, rng: Any,
                   n_resamples: int = 1000, confidence: float = 0.95) -> dict[str, Any]:
    """Inversion risk ``1 - min_attack MSE / min_baseline MSE``, clipped to [0, 1], with a bootstrap interval.

    Parameters
    ----------
    errors_attack : mapping of str to array of shape (n,)
        Per-row squared error of each attacker on the audited rows.
    errors_baseline : mapping of str to array of shape (n,)
        Per-row squared error of each baseline on the same rows.
    rng, n_resamples, confidence
        The percentile bootstrap resamples rows (the same rows for every attacker and baseline);
        within each resample the best attacker and the best baseline are taken again. ``rng`` is
        keyword-only and required (an int seed or a Generator).

    Returns
    -------
    dict
        ``risk`` (an :class:`~latentbench.stats.Estimate`), ``attacker`` (the best on the full
        sample), ``baseline`` (the strongest), ``mse`` (mean per attacker and baseline).
    """
    if not errors_attack or not errors_baseline:
        raise InputValidationError("errors_attack and errors_baseline must each name at least one method")
    att = {k: check_array(v, f"errors_attack[{k!r}]", ndim=1) for k, v in errors_attack.items()}
    base = {k: check_array(v, f"errors_baseline[{k!r}]", ndim=1) for k, v in errors_baseline.items()}
    check_consistent_length(**att, **base)
    n = len(next(iter(att.values())))
    A, B = np.stack(list(att.values()), axis=1), np.stack(list(base.values()), axis=1)
    mean_a, mean_b = A.mean(axis=0), B.mean(axis=0)

    def risk(ma: np.ndarray, mb: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip(1.0 - ma.min(axis=-1) / mb.min(axis=-1), 0.0, 1.0)

    value = float(risk(mean_a, mean_b))
    W = resample_weights(n, rng=rng, n_resamples=n_resamples)
    tot = W.sum(axis=1, keepdims=True)
    est = percentile_estimate(value, risk(W @ A / tot, W @ B / tot), n=n, confidence=confidence)
    names_a, names_b = list(att), list(base)
    return {"risk": est, "attacker": names_a[int(mean_a.argmin())],
            "baseline": names_b[int(mean_b.argmin())], "mse": {**dict(zip(names_a, map(float, mean_a))), **dict(zip(names_b, map(float, mean_b)))}}


def balanced_accuracy_weighted(y_true: Any, y_pred: Any, weights: Any = None) -> float | np.ndarray:
    """Balanced accuracy (the mean of per-class recalls) with row weights (1-D, or 2-D for many weightings).

    Classes are those present in ``y_true``; a weighting that leaves a class without weight drops it.
    """
    y = check_array(y_true, "y_true", ndim=1, dtype=None)
    p = check_array(y_pred, "y_pred", ndim=1, dtype=None)
    check_consistent_length(y_true=y, y_pred=p)
    check_same_label_kind(y_true=y, y_pred=p)
    single = weights is None or np.asarray(weights).ndim == 1
    W = np.ones((1, len(y))) if weights is None else check_array(weights, "weights", ndim=(1, 2)).reshape(-1, len(y))
    classes = np.unique(y)
    M = (y[:, None] == classes[None, :]).astype(np.float64)
    hit = M * (p == y)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = (W @ hit) / (W @ M)
        out = np.nanmean(recall, axis=1)
    return float(out[0]) if single else out


def advantage_over_chance(balanced_accuracy: Any, n_classes: int) -> Any:
    """``(balanced accuracy - 1/K) / (1 - 1/K)``: 0 at chance, 1 for a perfect attacker (may be negative)."""
    check_param(n_classes, "n_classes", low=2, integer=True)
    acc = check_array(balanced_accuracy, "balanced_accuracy", ndim=None)
    return (acc - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)


def low_fpr_level(n_non_members: int) -> tuple[float, str]:
    """The false-positive rate at which to report membership TPR, and why.

    1% when there are at least 1,000 non-members (so 1% is at least 10 false positives); 10%
    otherwise, because a 1% FPR threshold estimated from fewer than 1,000 non-members rests on
    fewer than 10 of them and its TPR is mostly noise.
    """
    check_param(n_non_members, "n_non_members", low=0, integer=True)
    if n_non_members >= 1000:
        return 0.01, f"{n_non_members} non-members (>= 1000): TPR at 1% FPR"
    return 0.10, (f"only {n_non_members} non-members (< 1000): a 1% FPR threshold would rest on fewer than 10 of them, "
                  f"so TPR is reported at 10% FPR")


def tpr_at_fpr(signal_members: Any, signal_non_members: Any, fpr: float) -> float:
    """The largest true-positive rate of the rule ``signal > t`` whose false-positive rate is at most ``fpr``.

    Parameters
    ----------
    signal_members, signal_non_members : array-like of shape (n_m,), (n_n,)
        Higher means "more likely a member".
    fpr : float
        In (0, 1).
    """
    m = check_array(signal_members, "signal_members", ndim=1)
    nm = check_array(signal_non_members, "signal_non_members", ndim=1)
    check_param(fpr, "fpr", low=0.0, high=1.0)
    desc = np.sort(nm)[::-1]
    k = int(math.floor(fpr * len(nm) + 1e-9))  # false positives allowed
    if k >= len(nm):
        return 1.0
    thr = desc[k]  # at most k non-members lie strictly above the (k+1)-th largest value
    return float(np.mean(m > thr))


def latent_distance_signal(z_candidates: Any, z_reference_members: Any, z_population: Any) -> np.ndarray:
    """Membership signal ``log d_pop(z) - log d_mem(z)`` from nearest-neighbour distances in latent space.

    ``d_mem`` is the distance to the nearest latent of known training rows (latents of part of the
    training set that leaked), ``d_pop`` the distance to the nearest latent of a population sample
    (the auxiliary set); both after standardizing with the population's statistics. The log-ratio
    calibrates for local density, as a likelihood-ratio attack does. Higher means "closer to the
    training latents than the population would be": more likely a member.
    """
    from sklearn.neighbors import NearestNeighbors

    C = check_array(z_candidates, "z_candidates", ndim=2)
    R = check_array(z_reference_members, "z_reference_members", ndim=2)
    P = check_array(z_population, "z_population", ndim=2)
    mu, sd = P.mean(axis=0), P.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Cn, Rn, Pn = (C - mu) / sd, (R - mu) / sd, (P - mu) / sd
    d_mem = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(Rn).kneighbors(Cn)[0][:, 0]
    d_pop = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(Pn).kneighbors(Cn)[0][:, 0]
    eps = 1e-12
    return np.log(d_pop + eps) - np.log(d_mem + eps)


def membership_auroc(signal_members: Any, signal_non_members: Any, *, rng: Any,
                     n_resamples: int = 1000, confidence: float = 0.95) -> Estimate:
    """AUROC of a membership signal (members positive) with a percentile-bootstrap interval over all rows.

    ``rng`` (keyword-only, required) draws the resamples; NaN with an
    :class:`~latentbench.exceptions.UndefinedMetricWarning` without members or non-members.
    """
    m = check_array(signal_members, "signal_members", ndim=1)
    nm = check_array(signal_non_members, "signal_non_members", ndim=1)
    if len(m) == 0 or len(nm) == 0:
        warnings.warn("membership AUROC needs members and non-members; returning NaN", UndefinedMetricWarning, stacklevel=2)
        return Estimate(float("nan"), n=len(m) + len(nm), confidence=confidence)
    scores = np.concatenate([m, nm])
    labels = np.concatenate([np.ones(len(m)), np.zeros(len(nm))])
    value = float(weighted_auroc(scores, labels))
    W = resample_weights(len(scores), rng=rng, n_resamples=n_resamples)
    return percentile_estimate(value, weighted_auroc(scores, labels, W), n=len(scores), confidence=confidence)
