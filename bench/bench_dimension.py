"""Benchmark: TwoNN + MLE + CorrInt from one shared kNN graph against scikit-dimension's three calls.

Ours: ``intrinsic_dimension(x)`` builds one exact kNN graph (faiss search, float64 refinement,
``max(k, 2 * k2) = 40`` neighbours) and computes the three estimators from it; CorrInt counts its
pairs from the graph and only falls back to exact distance rows for points whose 40th neighbour is
closer than the CorrInt radius. The reference: ``skdim.id.TwoNN().fit(x)``,
``skdim.id.MLE().fit(x, n_neighbors=20, comb="mle")`` and ``skdim.id.CorrInt(k1=10, k2=20).fit(x)``,
each with its own neighbour search (TwoNN and CorrInt sort or scan the full distance matrix in
more than 25 dimensions). Single thread for numpy/BLAS, faiss and torch.

Data sets (seeded): a 10-dimensional Gaussian linear subspace of R^50 with noise 1e-3, and a swiss
roll in R^3.

Usage::

    python bench/bench_dimension.py                  # N = 10,000
    python bench/bench_dimension.py --sizes 5000 20000 --repeats 3

Printed per data set and size: our time (best of ``--repeats``), the reference time, their ratio
and the absolute differences of the three estimates.

About CorrInt differences: both count the pairs with ``d(i, j) < r``, where ``r`` is a median of
neighbour distances. When that median is itself the distance of a pair (two points that are each
other's k-th neighbour sit in the middle of the sorted column), the pair is exactly at the
radius; skdim's distance matrix, from the ``|x|^2 + |y|^2 - 2 x.y`` expansion, may put it a rounding
error below ``r`` and count it, whereas ours does not (exact float64 distances). On the swiss roll
at N = 10,000 this is one pair at ``r1`` and moves the estimate by 5e-5; otherwise the values agree
to rounding (1e-14).
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

from latentbench.metrics.dimension import intrinsic_dimension  # noqa: E402


def linear_50d(n: int, rng: np.random.Generator, d: int = 10, ambient: int = 50) -> np.ndarray:
    basis, _ = np.linalg.qr(rng.normal(size=(ambient, d)))
    return rng.normal(size=(n, d)) @ basis.T + 1e-3 * rng.normal(size=(n, ambient))


def swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    t = 1.5 * np.pi * (1 + 2 * rng.uniform(size=n))
    h = 21 * rng.uniform(size=n)
    return np.column_stack([t * np.cos(t), h, t * np.sin(t)])


def ours(x: np.ndarray) -> dict[str, float]:
    return intrinsic_dimension(x, estimators=("twonn", "mle", "corrint"))


def reference(x: np.ndarray) -> dict[str, float]:
    import skdim

    return {
        "twonn": skdim.id.TwoNN(discard_fraction=0.1).fit(x).dimension_,
        "mle": skdim.id.MLE().fit(x, n_neighbors=20, comb="mle").dimension_,
        "corrint": skdim.id.CorrInt(k1=10, k2=20).fit(x).dimension_,
    }


def best_time(fn, x, repeats):
    best, out = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn(x)
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ref-repeats", type=int, default=1)
    args = ap.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        print("faiss not installed: the sklearn backend is used")
    with threadpool_limits(1):
        print(f"{'data':<16}{'N':>8}{'ours (s)':>11}{'skdim (s)':>11}{'ratio':>8}  |diff| twonn, mle, corrint     "
              "estimates twonn, mle, corrint")
        for name, gen in (("linear10_in_50", linear_50d), ("swiss_roll", swiss_roll)):
            for n in args.sizes:
                x = gen(n, np.random.default_rng(0))
                ours(x[:500])  # warm-up (imports, faiss)
                t_ours, a = best_time(ours, x, args.repeats)
                t_ref, b = best_time(reference, x, args.ref_repeats)
                diff = ", ".join(f"{abs(a[k] - b[k]):.1e}" for k in ("twonn", "mle", "corrint"))
                est = ", ".join(f"{a[k]:.4f}" for k in ("twonn", "mle", "corrint"))
                print(f"{name:<16}{n:>8}{t_ours:>11.3f}{t_ref:>11.3f}{t_ref / t_ours:>7.1f}x  {diff}    {est}",
                      flush=True)


if __name__ == "__main__":
    main()
