"""Benchmark: gudhi's Rips persistence against ripser.py, on the same landmarks, diagrams compared.

For 300, 600 and 1,000 farthest-point landmarks of a torus in R^3 (5,000 points) and of a Gaussian
blob in R^50 (5,000 points), scale-normalised by the median landmark distance, times
``persistence_diagrams(pts, max_dim=1, max_edge_length=L, backend="gudhi")`` (``RipsComplex`` -> ``collapse_edges`` ->
``expansion`` -> ``persistence``) and ``ripser.ripser(pts, maxdim=1, thresh=L)`` over the full
filtration (``L = inf``) and truncated at the median distance (``L = 1``, the default of
``landmark_persistence``). Both use the coefficient field Z/11 (``--coeff``; ripser's own default is
Z/2). Each timing is the best of ``--repeat`` runs, or a single run when the first one takes longer
than ``--slow`` seconds. Single thread.

The diagrams are compared per dimension: the bottleneck distance (``gudhi.bottleneck_distance``,
exact) between the finite bars, and the numbers of finite and infinite (essential) bars, which must
agree (as must the births of the essential bars). ripser.py computes in float32 (its distance matrix
and filtration values are ``float``), gudhi in float64, so bottleneck distances of the order of
float32 rounding (``~1e-7`` relative) are expected, not 0; and bars shorter than that rounding may
appear in one diagram only.

This measurement chose the default: ``persistence_diagrams(backend="auto")`` uses ripser.py when it
is installed (it is in the ``topology`` and ``dev`` extras) and gudhi otherwise.

Usage::

    python bench/bench_ripser.py
    python bench/bench_ripser.py --landmarks 300 600 --repeat 1
    python bench/bench_ripser.py --skip blob_R50:1000:full

``--skip DATA:M:TRUNC`` leaves out one case (TRUNC is ``full`` or ``trunc``), ``--only`` runs only
the cases named. A "guard T" entry means ``persistence_diagrams`` refused the size after T seconds
(ResourceLimitError: too many triangles in the collapsed complex); ripser is then still timed.
``--max-triangles`` raises that guard, to time and compare such cases anyway::

    python bench/bench_ripser.py --only blob_R50:300:full --max-triangles 100000000 --repeat 1
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

from latentbench.exceptions import ResourceLimitError  # noqa: E402
from latentbench.metrics.topology import farthest_point_sampling, persistence_diagrams  # noqa: E402


def torus(n: int, rng: np.random.Generator, big: float = 2.0, small: float = 1.0) -> np.ndarray:
    u, v = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    ring = big + small * np.cos(v)
    return np.column_stack([ring * np.cos(u), ring * np.sin(u), small * np.sin(v)])


def best_of(fn, repeat: int, slow: float):
    """Best wall time of ``repeat`` calls (one call when the first exceeds ``slow`` s) and the last output."""
    best, out = np.inf, None
    for r in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
        if r == 0 and best > slow:
            break
    return best, out


def compare(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, int, int, int, int, float]:
    """Bottleneck distance of the finite bars, finite/infinite bar counts, max gap of essential births."""
    import gudhi

    ours, theirs = np.asarray(ours, float).reshape(-1, 2), np.asarray(theirs, float).reshape(-1, 2)
    io, it = np.isinf(ours[:, 1]), np.isinf(theirs[:, 1])
    bn = float(gudhi.bottleneck_distance(ours[~io], theirs[~it], 0.0))
    if io.sum() == it.sum():
        birth_gap = float(np.max(np.abs(np.sort(ours[io, 0]) - np.sort(theirs[it, 0])), initial=0.0))
    else:
        birth_gap = np.inf
    return bn, int((~io).sum()), int((~it).sum()), int(io.sum()), int(it.sum()), birth_gap


def main() -> None:
    import ripser
    from scipy.spatial.distance import pdist

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--landmarks", type=int, nargs="+", default=[300, 600, 1000])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs per timing")
    ap.add_argument("--slow", type=float, default=20.0, help="a single run when the first takes longer (s)")
    ap.add_argument("--coeff", type=int, default=11, help="prime coefficient field, for both")
    ap.add_argument("--skip", nargs="*", default=[], help="cases DATA:M:TRUNC to leave out")
    ap.add_argument("--only", nargs="*", default=None, help="run only these cases DATA:M:TRUNC")
    ap.add_argument("--max-triangles", type=int, default=None,
                    help="triangle guard of persistence_diagrams (default: its own, per max_dim)")
    args = ap.parse_args()
    skip = set(args.skip)
    rng = np.random.default_rng(0)
    data = {"torus_R3": torus(args.n, rng), "blob_R50": rng.normal(size=(args.n, 50))}
    print(f"ripser {ripser.__version__ if hasattr(ripser, '__version__') else '?'}; coefficients Z/{args.coeff}; "
          f"best of {args.repeat} (1 above {args.slow:g} s); bars: finite+infinite, ours/ripser")
    print(f"{'data':<10}{'m':>6}{'trunc':>7}{'ours (s)':>12}{'ripser (s)':>12}{'rip/ours':>10}"
          f"{'H0 bars':>17}{'H1 bars':>17}{'bn H0':>10}{'bn H1':>10}{'ess. birth gap':>16}")
    worst = [0.0, 0.0]
    for name, x in data.items():
        for m in args.landmarks:
            lm, _ = farthest_point_sampling(x, m)
            pts = x[lm] / np.median(pdist(x[lm]))
            for label, mel in (("full", None), ("trunc", 1.0)):
                case = f"{name}:{m}:{label}"
                if args.only is not None and case not in args.only:
                    continue
                if case in skip:
                    print(f"{name:<10}{m:>6}{label:>7}   skipped", flush=True)
                    continue
                t0 = time.perf_counter()
                try:
                    t_ours, d_ours = best_of(
                        lambda: persistence_diagrams(pts, max_dim=1, max_edge_length=mel,
                                                     homology_coeff_field=args.coeff,
                                                     max_triangles=args.max_triangles, backend="gudhi"),
                        args.repeat, args.slow)
                except ResourceLimitError:
                    t_ours, d_ours, t_guard = np.nan, None, time.perf_counter() - t0
                thresh = np.inf if mel is None else mel
                t_rip, res = best_of(lambda: ripser.ripser(pts, maxdim=1, thresh=thresh, coeff=args.coeff),
                                     args.repeat, args.slow)
                d_rip = res["dgms"]
                cells, gaps = [], []
                bns = []
                for d in (0, 1):
                    if d_ours is None:
                        n_fin_r = int(np.isfinite(d_rip[d][:, 1]).sum())
                        cells.append(f"-/{n_fin_r}+{len(d_rip[d]) - n_fin_r}")
                        bns.append("-")
                        continue
                    bn, fo, fr, io, ir, gap = compare(d_ours[d], d_rip[d])
                    worst[d] = max(worst[d], bn)
                    cells.append(f"{fo}+{io}/{fr}+{ir}")
                    bns.append(f"{bn:.1e}")
                    gaps.append(gap)
                fmt = lambda t: f"guard {t_guard:.1f}" if np.isnan(t) else f"{t:.3f}"  # noqa: E731
                ratio = "-" if np.isnan(t_ours) else f"{t_rip / t_ours:.3f}"
                gap = "-" if not gaps else f"{max(gaps):.1e}"
                print(f"{name:<10}{m:>6}{label:>7}{fmt(t_ours):>12}{t_rip:>12.3f}{ratio:>10}"
                      f"{cells[0]:>17}{cells[1]:>17}{bns[0]:>10}{bns[1]:>10}{gap:>16}", flush=True)
    print(f"max bottleneck distance: H0 {worst[0]:.2e}, H1 {worst[1]:.2e}")


if __name__ == "__main__":
    main()
