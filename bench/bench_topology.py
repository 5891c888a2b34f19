"""Benchmark: persistent homology on farthest-point landmarks (gudhi Rips with edge collapse; ripser.py: bench_ripser.py).

For 300, 600 and 1,000 landmarks of a torus in R^3 (5,000 points) and of a Gaussian blob in R^50,
scale-normalised by the median landmark distance, times the farthest-point sampling and
``persistence_diagrams`` (``RipsComplex`` -> 1-skeleton -> ``collapse_edges`` -> ``expansion`` ->
``persistence``) up to H1, over the full filtration and truncated at the median distance
(``max_edge_length=1``, the default of ``landmark_persistence``). Also the H0 diagram from a
scipy minimum spanning tree, and the Alpha complex (torus only). Single thread.

Usage::

    python bench/bench_topology.py
    python bench/bench_topology.py --landmarks 300 600 --max-dim 2

A "guard" entry means ``persistence_diagrams`` refused the size (ResourceLimitError: too many
triangles in the collapsed complex) instead of starting a long expansion.
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
from latentbench.metrics.topology import (  # noqa: E402
    farthest_point_sampling,
    h0_diagram_mst,
    persistence_diagrams,
)


def torus(n: int, rng: np.random.Generator, big: float = 2.0, small: float = 1.0) -> np.ndarray:
    u, v = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    ring = big + small * np.cos(v)
    return np.column_stack([ring * np.cos(u), ring * np.sin(u), small * np.sin(v)])


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def main() -> None:
    from scipy.spatial.distance import pdist

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--landmarks", type=int, nargs="+", default=[300, 600, 1000])
    ap.add_argument("--max-dim", type=int, default=1)
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    data = {"torus_R3": torus(args.n, rng), "blob_R50": rng.normal(size=(args.n, 50))}
    print(f"{'data':<10}{'m':>6}{'fps (s)':>9}{'mst H0 (s)':>12}{'rips full (s)':>15}{'rips trunc (s)':>16}"
          f"{'alpha (s)':>11}   H1 bars full / trunc")
    for name, x in data.items():
        for m in args.landmarks:
            t_fps, (lm, _) = timed(farthest_point_sampling, x, m)
            pts = x[lm] / np.median(pdist(x[lm]))
            t_mst, _ = timed(h0_diagram_mst, pts)
            res = {}
            for label, mel in (("full", None), ("trunc", 1.0)):
                try:
                    res[label] = timed(persistence_diagrams, pts, max_dim=args.max_dim, max_edge_length=mel, backend="gudhi")
                except ResourceLimitError:
                    res[label] = (np.nan, None)
            t_alpha = np.nan
            if x.shape[1] <= 3:
                t_alpha = timed(persistence_diagrams, pts, max_dim=args.max_dim, complex="alpha")[0]
            fmt = lambda t: "guard" if np.isnan(t) else f"{t:.2f}"  # noqa: E731
            bars = " / ".join("-" if r[1] is None else str(len(r[1][1])) for r in res.values())
            print(f"{name:<10}{m:>6}{t_fps:>9.2f}{t_mst:>12.3f}{fmt(res['full'][0]):>15}{fmt(res['trunc'][0]):>16}"
                  f"{'-' if np.isnan(t_alpha) else f'{t_alpha:.2f}':>11}   {bars}", flush=True)


if __name__ == "__main__":
    main()
