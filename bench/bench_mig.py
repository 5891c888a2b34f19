"""Benchmark: latentbench's vectorised histogram MIG against disentanglement_lib's algorithm.

The reference is DL's ``_compute_mig`` written out here (on sample-major arrays): a per-latent
``np.digitize(c, np.histogram(c, n_bins)[1][:-1])`` loop, a double loop of
``sklearn.metrics.mutual_info_score`` over (latent, factor) pairs, factor entropies as
``mutual_info_score(v, v)``, then the normalised top-two gap. Both run single-threaded on the
same arrays: 10 latent dimensions (random mixtures of the factors plus noise) and factors of
sizes (3, 6, 40, 32, 32) (the ``shapes`` grid) at random grid points.

Usage::

    python bench/bench_mig.py                      # N = 10k, 100k, 1M on the CPU
    python bench/bench_mig.py --sizes 10000 100000 --repeats 5
    python bench/bench_mig.py --backend torch --sizes 100000   # torch path on the CPU
    python bench/bench_mig.py --device cuda --sizes 10000000 --no-reference

Printed per size: our time (best of ``--repeats``), the reference time (best of
``--ref-repeats``), their ratio and the largest absolute difference between the two MIG values
(and between the per-factor gaps). With ``--device cuda`` the codes are a CUDA tensor and
``mig_score`` takes its torch path (``torch.bincount`` on the device); the reference still runs
on the CPU (skip it at 10M with ``--no-reference``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from latentbench.metrics.disentanglement import mig_score  # noqa: E402

FACTOR_SIZES = (3, 6, 40, 32, 32)


def reference_mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> tuple[float, np.ndarray]:
    """disentanglement_lib's MIG (histogram discretiser + sklearn mutual_info_score loops)."""
    from sklearn.metrics import mutual_info_score

    n_lat, n_fac = codes.shape[1], factors.shape[1]
    disc = np.zeros_like(codes)
    for j in range(n_lat):
        disc[:, j] = np.digitize(codes[:, j], np.histogram(codes[:, j], n_bins)[1][:-1])
    m = np.zeros((n_lat, n_fac))
    for j in range(n_lat):
        for k in range(n_fac):
            m[j, k] = mutual_info_score(factors[:, k], disc[:, j])
    h = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(n_fac)])
    s = np.sort(m, axis=0)[::-1]
    per = (s[0] - s[1]) / h
    return float(np.mean(per)), per


def make_data(n: int, n_latents: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(0, s, size=n) for s in FACTOR_SIZES], axis=1)
    z = (factors - (np.array(FACTOR_SIZES) - 1) / 2) / np.array(FACTOR_SIZES)
    mix = rng.normal(size=(len(FACTOR_SIZES), n_latents)) * (rng.random((len(FACTOR_SIZES), n_latents)) < 0.4)
    mix[np.arange(len(FACTOR_SIZES)), np.arange(len(FACTOR_SIZES))] += 2.0
    codes = z @ mix + 0.05 * rng.normal(size=(n, n_latents))
    return codes, factors


def best_time(fn, repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--device", default="cpu", help="cpu (NumPy path) or cuda (torch path)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs of latentbench's MIG (best kept)")
    p.add_argument("--ref-repeats", type=int, default=1, help="timed runs of the reference (best kept)")
    p.add_argument("--no-reference", action="store_true", help="skip the slow reference")
    p.add_argument("--n-bins", type=int, default=20)
    p.add_argument("--backend", default="auto", choices=("auto", "numpy", "torch"),
                   help="mig_score's backend (auto: NumPy on the CPU, torch on CUDA)")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    device = args.device
    if device != "cpu" and not torch.cuda.is_available():
        print(f"device {device!r} requested but torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    print(f"numpy {np.__version__}, torch {torch.__version__}, device {device}, "
          f"factors {FACTOR_SIZES}, 10 latents, n_bins {args.n_bins}, single thread")
    header = f"{'N':>10} {'ours [s]':>10} {'DL ref [s]':>11} {'ratio':>8} {'|dMIG|':>10} {'max|d per-factor|':>18}  MIG"
    print(header)
    reference_mig(*make_data(500))  # warm-up: imports and first-call overheads stay out of the timings
    for n in args.sizes:
        codes, factors = make_data(n)
        if device == "cpu" and args.backend != "torch":
            def ours():
                return mig_score(codes, factors, n_bins=args.n_bins, backend=args.backend, return_details=True)
        elif device == "cpu":
            c_cpu, f_cpu = torch.as_tensor(codes), torch.as_tensor(factors)

            def ours():
                return mig_score(c_cpu, f_cpu, n_bins=args.n_bins, backend="torch", return_details=True)
        else:
            c_dev = torch.as_tensor(codes, device=device)
            f_dev = torch.as_tensor(factors, device=device)

            def ours():
                r = mig_score(c_dev, f_dev, n_bins=args.n_bins, backend=args.backend, return_details=True)
                torch.cuda.synchronize()
                return r
        ours()  # warm-up (imports, CUDA context)
        t_ours, r = best_time(ours, args.repeats)
        if args.no_reference:
            print(f"{n:>10} {t_ours:>10.4f} {'-':>11} {'-':>8} {'-':>10} {'-':>18}  {r['mig']:.6f}", flush=True)
            continue
        t_ref, (ref, ref_per) = best_time(lambda: reference_mig(codes, factors, args.n_bins), args.ref_repeats)
        diff = abs(ref - r["mig"])
        dper = float(np.max(np.abs(np.asarray(r["mig_per_factor"]) - ref_per)))
        print(f"{n:>10} {t_ours:>10.4f} {t_ref:>11.4f} {t_ref / t_ours:>7.1f}x {diff:>10.1e} {dper:>18.1e}  "
              f"{r['mig']:.6f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
