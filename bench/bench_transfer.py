"""Benchmark: the transfer family's MMD permutation test and proxy A-distance against the peers' computations.

* **MMD permutation test.** Ours computes the pooled kernel matrix once and evaluates every
  permutation as indicator-vector products (``_mmd2_from_kernel``, 100 permutations per matrix
  product). The reference is the computation written out as the peers write it (TLlib's
  ``MultipleKernelMaximumMeanDiscrepancy`` / skada's kernel utilities build the Gaussian kernel
  with ``sklearn.metrics.pairwise.rbf_kernel`` per call): for each permutation, the permuted
  samples' three kernel blocks rebuilt with ``rbf_kernel`` and the unbiased estimate taken. Same
  bandwidth (the median heuristic on the pooled sample), same permutations from the same
  generator, so the p-values must agree exactly and the statistics to rounding.
* **Proxy A-distance.** Ours (scikit-learn logistic regression, balanced error, folded) against
  TLlib's procedure written out: a ``torch.nn.Linear(d, 1)`` domain classifier trained by SGD
  (lr 0.01, 10 epochs, batch 32) on 80 % of the pooled rows and ``2 (1 - 2 err)`` on the rest.
  The two are different estimators of one quantity: the printed values should be close on
  equal-size domains, the ratio is time.

Usage::

    python bench/bench_transfer.py                       # n = 200, 500, 1000 rows per domain
    python bench/bench_transfer.py --sizes 500 --permutations 500

Printed per size: our time, the reference time (best of ``--repeats``), their ratio, and the
differences between the two results.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402


def reference_mmd_test(X: np.ndarray, Y: np.ndarray, sigma: float, perms: list[np.ndarray]) -> tuple[float, float]:
    from sklearn.metrics.pairwise import rbf_kernel

    gamma = 1.0 / (2.0 * sigma**2)

    def stat(A: np.ndarray, B: np.ndarray) -> float:
        m, n = len(A), len(B)
        kxx, kyy, kxy = rbf_kernel(A, A, gamma=gamma), rbf_kernel(B, B, gamma=gamma), rbf_kernel(A, B, gamma=gamma)
        return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())

    Z, m = np.concatenate([X, Y]), len(X)
    value = stat(X, Y)
    exceed = 0
    for p in perms:
        Zp = Z[p]
        exceed += stat(Zp[:m], Zp[m:]) >= value - 1e-12 * max(1.0, abs(value))
    return float(value), (1 + exceed) / (1 + len(perms))


def reference_a_distance(X: np.ndarray, Y: np.ndarray, seed: int = 0, epochs: int = 10) -> float:
    import torch

    torch.manual_seed(seed)
    feats = torch.as_tensor(np.concatenate([X, Y]), dtype=torch.float32)
    labels = torch.cat([torch.ones(len(X)), torch.zeros(len(Y))])
    perm = torch.randperm(len(feats))
    n_train = int(0.8 * len(feats))
    tr, va = perm[:n_train], perm[n_train:]
    net = torch.nn.Linear(feats.shape[1], 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    err = 1.0
    for _ in range(epochs):
        for s in range(0, n_train, 32):
            idx = tr[s : s + 32]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(feats[idx]).squeeze(1), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = ((net(feats[va]).squeeze(1) > 0).float() == labels[va]).float().mean().item()
        err = 1.0 - acc
    return 2.0 * (1.0 - 2.0 * err)


def main() -> None:
    from latentbench.metrics.transfer import median_bandwidth, mmd_test, proxy_a_distance

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000])
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--permutations", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"MMD permutation test (Gaussian kernel, median heuristic, d = {args.dim}, {args.permutations} permutations)")
    print(f"{'n/domain':>9} {'ours s':>8} {'ref s':>8} {'ref/ours':>9} {'|dMMD|':>9} {'p ours':>7} {'p ref':>7}")
    for n in args.sizes:
        r = np.random.default_rng(n)
        X, Y = r.normal(size=(n, args.dim)), r.normal(0.1, 1.0, size=(n, args.dim))
        sigma = median_bandwidth(X, Y)
        best_ours = best_ref = np.inf
        for _ in range(args.repeats):
            t = time.perf_counter()
            ours = mmd_test(X, Y, rng=0, n_permutations=args.permutations, n_rounds=2)
            best_ours = min(best_ours, time.perf_counter() - t)
        # the same permutations ours drew (the generator's first draws, 100 per batch)
        gen = np.random.default_rng(0)
        perms = [gen.permutation(2 * n) for _ in range(args.permutations)]
        for _ in range(max(1, args.repeats - 2)):
            t = time.perf_counter()
            ref_value, ref_p = reference_mmd_test(X, Y, sigma, perms)
            best_ref = min(best_ref, time.perf_counter() - t)
        print(f"{n:>9} {best_ours:>8.3f} {best_ref:>8.3f} {best_ref / best_ours:>9.1f} {abs(ours['mmd2'].value - ref_value):>9.1e} "
              f"{ours['p_value']:>7.3f} {ref_p:>7.3f}")
    print("\nProxy A-distance (ours: logistic regression, balanced error, folded; TLlib's procedure: SGD linear classifier)")
    print(f"{'n/domain':>9} {'shift':>6} {'ours':>6} {'TLlib':>6} {'ours s':>8} {'ref s':>8}")
    for n in args.sizes:
        for shift in (0.0, 0.5, 2.0):
            r = np.random.default_rng(n + 1)
            X, Y = r.normal(size=(2 * n, args.dim)), r.normal(size=(2 * n, args.dim))
            Y[:, 0] += shift
            t = time.perf_counter()
            d = np.r_[np.zeros(n), np.ones(n)]
            ours = proxy_a_distance(np.r_[X[:n], Y[:n]], d, np.r_[X[n:], Y[n:]], d, rng=0, n_resamples=200).value
            t_ours = time.perf_counter() - t
            t = time.perf_counter()
            ref = reference_a_distance(X, Y)
            t_ref = time.perf_counter() - t
            print(f"{n:>9} {shift:>6.1f} {ours:>6.2f} {ref:>6.2f} {t_ours:>8.3f} {t_ref:>8.3f}")


if __name__ == "__main__":
    main()
