"""Benchmark: the anomaly family's ranking metrics and kNN detector against scikit-learn and PyOD.

Three comparisons on the same inputs, single-threaded:

1. **AUROC** of ``n`` scores (default 10^4, 10^5, 10^6; scores rounded to 3 decimals so that ties
   occur): ``latentbench.metrics.ranking.auroc_score`` (exact Mann-Whitney count: sorted negatives,
   two ``searchsorted`` calls) against ``sklearn.metrics.roc_auc_score``; also average precision
   against ``sklearn.metrics.average_precision_score``. The largest absolute difference is printed.
2. **Bootstrap interval** of the AUROC with ``--resamples`` class-stratified resamples (default
   1,000) at ``--boot-n`` rows: ``weighted_auroc`` on the resample-count matrix (one pass) against a
   loop of ``roc_auc_score`` calls on the same resamples (same draws from
   ``latentbench.stats.resample_indices``); the two distributions are compared value by value.
3. **kNN detector**: ``latentbench.metrics.anomaly.knn_distance`` against PyOD's
   ``KNN(method="largest")`` ``decision_function`` on the same codes (skipped without PyOD).

Usage::

    python bench/bench_anomaly.py
    python bench/bench_anomaly.py --sizes 1000000 --repeats 5
    python bench/bench_anomaly.py --boot-n 5000 --resamples 1000
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

from latentbench.metrics.anomaly import knn_distance  # noqa: E402
from latentbench.metrics.ranking import auroc_score, average_precision_score, weighted_auroc  # noqa: E402
from latentbench.stats import resample_indices, resample_weights  # noqa: E402


def best(fn, repeats: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--boot-n", type=int, default=5_000)
    ap.add_argument("--resamples", type=int, default=1_000)
    ap.add_argument("--knn-train", type=int, default=20_000)
    ap.add_argument("--knn-test", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from sklearn.metrics import average_precision_score as sk_ap
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(args.seed)
    print("1. AUROC / average precision of n scores (best of repeats; ratio = sklearn / ours)")
    print(f"{'n':>10} {'ours s':>9} {'sklearn s':>10} {'ratio':>7} {'|diff|':>9} | {'AP ours':>8} {'AP sk':>8} {'ratio':>7} {'|diff|':>9}")
    for n in args.sizes:
        y = (rng.random(n) < 0.1).astype(np.int64)
        s = np.round(rng.normal(size=n) + y, 3)
        t_ours, a = best(lambda: auroc_score(y, s), args.repeats)
        t_sk, b = best(lambda: roc_auc_score(y, s), args.repeats)
        t_ap, c = best(lambda: average_precision_score(y, s), args.repeats)
        t_skap, d = best(lambda: sk_ap(y, s), args.repeats)
        print(f"{n:>10} {t_ours:>9.4f} {t_sk:>10.4f} {t_sk / t_ours:>7.1f} {abs(a - b):>9.1e} | "
              f"{t_ap:>8.4f} {t_skap:>8.4f} {t_skap / t_ap:>7.1f} {abs(c - d):>9.1e}")

    n, B = args.boot_n, args.resamples
    y = (rng.random(n) < 0.1).astype(np.int64)
    s = np.round(rng.normal(size=n) + y, 3)
    print(f"\n2. bootstrap distribution of the AUROC, {B} class-stratified resamples of {n} rows")
    t0 = time.perf_counter()
    W = resample_weights(n, rng=args.seed, n_resamples=B, strata=y)
    ours = weighted_auroc(s, y, W)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = np.concatenate([[roc_auc_score(y[i], s[i]) for i in idx]
                           for idx in resample_indices(n, rng=args.seed, n_resamples=B, strata=y)])
    t_loop = time.perf_counter() - t0
    print(f"   ours (counts matrix, one pass) {t_ours:.3f} s; loop of roc_auc_score {t_loop:.3f} s; "
          f"ratio {t_loop / t_ours:.1f}; largest |diff| over resamples {np.abs(ours - loop).max():.1e}")

    print(f"\n3. kNN distance (k = 5), {args.knn_train} training codes, {args.knn_test} queries, 8-D")
    z_tr, z_te = rng.normal(size=(args.knn_train, 8)), rng.normal(size=(args.knn_test, 8)) * 1.3
    t_ours, a = best(lambda: knn_distance(z_tr, z_te, 5), args.repeats)
    try:
        from pyod.models.knn import KNN
    except ImportError:
        print(f"   ours {t_ours:.3f} s; PyOD not installed (pip install 'latentbench[anomaly]')")
        return
    t_py, b = best(lambda: KNN(n_neighbors=5, method="largest").fit(z_tr).decision_function(z_te), args.repeats)
    print(f"   ours {t_ours:.3f} s; PyOD KNN fit + decision_function {t_py:.3f} s (it also scores its training set); "
          f"ratio {t_py / t_ours:.1f}; largest |diff| {np.abs(np.asarray(a) - np.asarray(b)).max():.1e}")


if __name__ == "__main__":
    main()
