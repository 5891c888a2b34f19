"""Do the objectives do what they are for? beta-VAE vs VAE, beta-TC-VAE vs beta-VAE, on held-out shapes.

Usage: python bench/bench_train_objectives.py [--seeds 0 1 2] [--models ...] [--home DIR]

For each reference model and training seed (checkpoints from ``$LATENTBENCH_HOME``, trained on first
use), on the held-out split of the 10,000-image shapes draw (1,000 images):

* ``AU``: active units (Var_x E[z_j|x] > 0.01) and ``KL``: total KL to N(0, I) -- the collapse/shapes task;
* ``ELBO``, ``IWAE16`` and their gap (``IWAE_16 - ELBO``) -- the likelihood/shapes task;
* ``TC``: total correlation of the held-out aggregate posterior, ``E[log q(z) - sum_j log q(z_j)]``
  with ``q(z) = 1/n sum_i q(z|x_i)`` over the n held-out rows, one z per row, averaged over 5 draws
  (:func:`latentbench.models.vae.total_correlation_mws` with the set as the whole data set);
* ``gTC``: Gaussian total correlation of the posterior means over the active dimensions,
  ``0.5 (sum log diag C - log det C)``.

Then it prints, per seed and in total, whether beta-VAE has fewer active units and a larger ELBO
gap than the VAE, and whether beta-TC-VAE has a lower TC than beta-VAE. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

PAIRS_AU = [("beta4-vae-shapes", "vae-conv-shapes"), ("beta8-vae-shapes", "vae-conv-shapes")]
PAIRS_TC = [("betatc-vae-shapes", "beta4-vae-shapes"), ("betatc-vae-shapes", "beta8-vae-shapes")]


def _measure(name: str, seed: int) -> dict[str, Any]:
    import torch

    import latentbench
    from latentbench.data import load_dataset
    from latentbench.models.loader import load_model
    from latentbench.models.vae import total_correlation_mws
    from latentbench.models.zoo import get_reference_spec

    adapter = load_model(f"ref:{name}@{seed}", device="cpu")
    res = latentbench.evaluate(adapter, tasks=["collapse/shapes", "likelihood/shapes"], device="cpu", n_bootstrap=100)
    v = lambda t, m: res.value(t, m)  # noqa: E731
    spec = get_reference_spec(name)
    data = load_dataset(spec.dataset, **spec.dataset_params)
    mean, logvar = adapter.posterior_rows(data, data.split("test"))
    m, lv = torch.as_tensor(mean), torch.as_tensor(logvar)
    g = torch.Generator().manual_seed(seed)
    tcs = [float(total_correlation_mws(m + torch.exp(0.5 * lv) * torch.randn(m.shape, generator=g, dtype=m.dtype), m, lv).mean())
           for _ in range(5)]
    active = mean.var(0, ddof=1) > 0.01
    if active.sum() >= 2:
        c = np.cov(mean[:, active].T)
        gtc = 0.5 * (np.log(np.diag(c)).sum() - np.linalg.slogdet(c)[1])
    else:
        gtc = 0.0
    return {"AU": v("collapse/shapes", "active_units"), "KL": v("collapse/shapes", "kl_total"),
            "ELBO": v("likelihood/shapes", "elbo"), "IWAE16": v("likelihood/shapes", "iwae"),
            "gap": v("likelihood/shapes", "elbo_gap"), "TC": float(np.mean(tcs)), "gTC": float(gtc)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds")
    ap.add_argument("--models", nargs="+", default=["vae-conv-shapes", "beta4-vae-shapes", "beta8-vae-shapes", "betatc-vae-shapes"])
    ap.add_argument("--home", help="LATENTBENCH_HOME holding the checkpoints (default: the usual one)")
    args = ap.parse_args()
    if args.home:
        os.environ["LATENTBENCH_HOME"] = args.home
    os.environ.setdefault("LATENTBENCH_TRAIN_THREADS", "1")
    import torch

    from latentbench.progress import set_quiet

    torch.set_num_threads(1)
    set_quiet(True)
    table: dict[tuple[str, int], dict[str, Any]] = {}
    cols = ["AU", "KL", "ELBO", "IWAE16", "gap", "TC", "gTC"]
    print(f"{'model':<20} {'seed':>4} " + " ".join(f"{c:>9}" for c in cols))
    for name in args.models:
        for seed in args.seeds:
            table[(name, seed)] = r = _measure(name, seed)
            print(f"{name:<20} {seed:>4} " + " ".join(f"{r[c]:9.3f}" for c in cols), flush=True)
    print("\nmean +- std over training seeds")
    for name in args.models:
        rs = [table[(name, s)] for s in args.seeds]
        print(f"{name:<20}      " + " ".join(f"{np.mean([r[c] for r in rs]):6.2f}+-{np.std([r[c] for r in rs], ddof=1) if len(rs) > 1 else 0:<4.2f}"
                                          for c in cols))

    def compare(a: str, b: str, key: str, want: str) -> None:
        if a not in args.models or b not in args.models:
            return
        holds = [(table[(a, s)][key] < table[(b, s)][key]) if want == "lower" else (table[(a, s)][key] > table[(b, s)][key]) for s in args.seeds]
        ma, mb = np.mean([table[(a, s)][key] for s in args.seeds]), np.mean([table[(b, s)][key] for s in args.seeds])
        print(f"{a} {want} {key} than {b}: {sum(holds)}/{len(holds)} seeds (means {ma:.3f} vs {mb:.3f})")

    print()
    for a, b in PAIRS_AU:
        compare(a, b, "AU", "lower")
        compare(a, b, "gap", "higher")
    for a, b in PAIRS_TC:
        compare(a, b, "TC", "lower")
        compare(a, b, "gTC", "lower")


if __name__ == "__main__":
    main()
