"""DANN, the domain-adversarial reference model (Ganin et al., "Domain-Adversarial Training of Neural
Networks", JMLR 2016), and its source-only twin.

An MLP encoder ``x -> z`` feeds a label head (trained on labelled source rows) and, through a
**gradient-reversal layer**, a domain classifier (trained on source and target rows to tell them
apart): the encoder is pushed to make the domains indistinguishable while keeping the label
predictable. The reversal coefficient follows the paper's schedule ``lambda_p = lambda_max (2 / (1 +
exp(-10 p)) - 1)``, ``p`` the training progress in [0, 1]. The ``source-only`` objective trains the
same encoder and label head without the domain branch (the baseline DANN is compared with). Target
labels are never used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .vae import _mlp

__all__ = ["DANN", "GradientReversal", "grad_reverse", "train_dann"]

OBJECTIVES = ("dann", "source-only")


class GradientReversal(torch.autograd.Function):
    """Identity forward; the gradient times ``-lambda`` backward (Ganin et al. 2016, section 4)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lam: float) -> torch.Tensor:  # type: ignore[override]
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.lam * grad, None


def grad_reverse(x: torch.Tensor, lam: float) -> torch.Tensor:
    """``x`` unchanged, with its gradient multiplied by ``-lam`` on the way back."""
    return GradientReversal.apply(x, lam)  # type: ignore[no-any-return]


class DANN(nn.Module):
    """Encoder, label head and (through gradient reversal) domain classifier.

    Parameters
    ----------
    obs_shape : sequence of int
    n_classes : int
    latent_dim : int, default=10
    hidden : sequence of int, default=(256,)
        Widths of the encoder's hidden layers.
    domain_hidden : int, default=64
        Width of the domain classifier's hidden layer.
    objective : {"dann", "source-only"}, default="dann"
    lambda_max : float, default=1.0
        The reversal coefficient reached at the end of training (also the domain loss's weight).
    """

    def __init__(self, obs_shape: Sequence[int], n_classes: int, latent_dim: int = 10, hidden: Sequence[int] = (256,),
                 domain_hidden: int = 64, objective: str = "dann", lambda_max: float = 1.0) -> None:
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(f"'objective' must be one of {OBJECTIVES}, got {objective!r}")
        self.obs_shape = tuple(int(s) for s in obs_shape)
        self.n_features = math.prod(self.obs_shape)
        self.n_classes, self.latent_dim = int(n_classes), int(latent_dim)
        self.hidden, self.domain_hidden = tuple(int(h) for h in hidden), int(domain_hidden)
        self.objective, self.lambda_max = objective, float(lambda_max)
        self.encoder = _mlp([self.n_features, *self.hidden, self.latent_dim])
        self.label_head = nn.Sequential(nn.ReLU(), nn.Linear(self.latent_dim, self.n_classes))
        self.domain_head = nn.Sequential(nn.ReLU(), nn.Linear(self.latent_dim, self.domain_hidden), nn.ReLU(),
                                         nn.Linear(self.domain_hidden, 1))

    def config(self) -> dict[str, Any]:
        return {"obs_shape": list(self.obs_shape), "n_classes": self.n_classes, "latent_dim": self.latent_dim,
                "hidden": list(self.hidden), "domain_hidden": self.domain_hidden, "objective": self.objective,
                "lambda_max": self.lambda_max}

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``z``, ``(n, latent_dim)``."""
        return self.encoder(x.reshape(len(x), -1))

    def loss(self, xs: torch.Tensor, ys: torch.Tensor, xt: torch.Tensor, lam: float) -> dict[str, torch.Tensor]:
        """Label cross-entropy on the source batch plus (``dann``) the domain classifier's binary
        cross-entropy on both batches, its gradient reversed into the encoder with coefficient ``lam``."""
        zs = self.encode(xs)
        label = F.cross_entropy(self.label_head(zs), ys)
        if self.objective == "source-only":
            zero = torch.zeros((), device=label.device)
            return {"loss": label, "label": label, "domain": zero, "domain_accuracy": zero}
        z = torch.cat([zs, self.encode(xt)])
        d = torch.cat([torch.zeros(len(xs), device=z.device), torch.ones(len(xt), device=z.device)])
        logits = self.domain_head(grad_reverse(z, lam)).squeeze(1)
        domain = F.binary_cross_entropy_with_logits(logits, d)
        acc = ((logits > 0).float() == d).float().mean()
        return {"loss": label + domain, "label": label, "domain": domain, "domain_accuracy": acc}


def train_dann(spec: Any, dataset: Any, device: str, seed: int) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """Train a :class:`DANN` on the dataset's ``train`` split: labelled source rows (``domain == 0``)
    and unlabelled target rows (``domain == 1``).

    Each step takes ``batch_size`` source and ``batch_size`` target rows; an epoch is one pass over
    the source rows. Adam with the spec's ``[training]`` settings; ``torch.manual_seed(seed)``
    before the module is built and a seeded CPU generator for the batches, so a CPU run with a fixed
    thread count is reproducible to the bit.
    """
    from ..exceptions import SpecError
    from .zoo import TRAINING_DEFAULTS

    if dataset.domain is None or dataset.labels is None:
        raise SpecError(f"reference model {spec.name!r}: DANN needs a dataset with 'domain' and 'labels' "
                        f"(digits-shift, shapes-shift, ...), got {dataset.name!r}")
    t = {**TRAINING_DEFAULTS, **spec.training}
    rows = dataset.split("train")
    src, tgt = rows[dataset.domain[rows] == 0], rows[dataset.domain[rows] == 1]
    if len(src) < 2 or len(tgt) < 2:
        raise SpecError(f"reference model {spec.name!r}: the train split has {len(src)} source and {len(tgt)} target rows")
    n_classes = int(dataset.labels.max()) + 1
    config = {k: v for k, v in spec.model.items()}
    config.update(obs_shape=list(dataset.obs_shape), n_classes=n_classes)
    torch.manual_seed(seed)
    model = DANN(**config).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=float(t["lr"]), betas=tuple(float(b) for b in t["betas"]),
                           eps=float(t["eps"]), weight_decay=float(t["weight_decay"]))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    xs_all = torch.as_tensor(dataset.get_x(src, flat=True), device=device)
    ys_all = torch.as_tensor(dataset.labels[src], device=device)
    xt_all = torch.as_tensor(dataset.get_x(tgt, flat=True), device=device)
    batch_size, epochs = int(t["batch_size"]), int(t["epochs"])
    steps_per_epoch = -(-len(src) // batch_size)
    total = epochs * steps_per_epoch
    history: list[dict[str, Any]] = []
    step = 0
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(src), generator=gen)
        sums: dict[str, float] = {}
        for s in range(0, len(src), batch_size):
            idx = perm[s : s + batch_size]
            tidx = torch.randint(len(tgt), (len(idx),), generator=gen)
            p = step / max(1, total - 1)
            lam = model.lambda_max * (2.0 / (1.0 + np.exp(-10.0 * p)) - 1.0)
            terms = model.loss(xs_all[idx.to(device)], ys_all[idx.to(device)], xt_all[tidx.to(device)], lam)
            opt.zero_grad(set_to_none=True)
            terms["loss"].backward()
            opt.step()
            for key, value in terms.items():
                sums[key] = sums.get(key, 0.0) + float(value.detach()) * len(idx)
            step += 1
        history.append({"epoch": epoch + 1, "lambda": round(float(lam), 6), **{k: v / len(src) for k, v in sums.items()}})
    model.eval()
    info = {"n_train": int(len(src)), "n_target_unlabelled": int(len(tgt)), "epochs": epochs, "steps": total,
            "batch_size": batch_size, "precision": "fp32", "objective": model.objective}
    return model, history, info
