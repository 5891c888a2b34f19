"""Benchmark the ``shapes`` generator: images per second, peak memory and packed size, on one thread.

Each size runs in a fresh Python process so that its peak resident memory (``ru_maxrss``) is its own.

Usage::

    python bench/bench_shapes.py                    # n = 10000 100000 737280 (the full grid)
    python bench/bench_shapes.py --n 50000 --noise 0.1 --repeat 3
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n: int, noise: float, repeat: int) -> dict[str, float]:
    """Time ``render`` and ``make_shapes`` for ``n`` images (the full grid when ``n`` is its size)."""
    import numpy as np

    from latentbench.data import shapes as S

    t0 = time.perf_counter()
    S.templates()
    t_templates = time.perf_counter() - t0
    rss_base = _rss_mb()
    full = n >= S.N_GRID
    idx = np.arange(S.N_GRID) if full else np.sort(np.random.default_rng(0).choice(S.N_GRID, n, replace=False))

    t_render = min(_timed(lambda: S.render(idx)) for _ in range(repeat))
    t_make = min(_timed(lambda: S.make_shapes(None if full else n, noise=noise)) for _ in range(repeat))

    tracemalloc.start()
    ds = S.make_shapes(None if full else n, noise=noise)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n, "noise": noise, "templates_s": t_templates,
        "render_s": t_render, "render_img_per_s": n / t_render,
        "make_shapes_s": t_make, "make_shapes_img_per_s": n / t_make,
        "packed_mb": ds.x.nbytes / 1e6, "dataset_arrays_mb": _dataset_bytes(ds) / 1e6,
        "traced_peak_mb": traced_peak / 1e6, "rss_base_mb": rss_base, "rss_peak_mb": _rss_mb(),
    }


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _dataset_bytes(ds) -> int:
    arrays = [ds.x, ds.factors, ds.labels, ds.grid_index, *ds.splits.values()]
    return sum(a.nbytes for a in arrays if a is not None)


def _run_child(n: int, noise: float, repeat: int) -> dict[str, float]:
    """Run :func:`measure` in a fresh interpreter and return its result."""
    cmd = [sys.executable, __file__, "--child", "--n", str(n), "--noise", str(noise), "--repeat", str(repeat)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000, 737_280], help="numbers of images")
    parser.add_argument("--noise", type=float, default=0.0, help="pixel flip probability (shapes-noisy)")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (the minimum is reported)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(measure(args.n[0], args.noise, args.repeat)))
        return

    header = (f"{'n':>8} {'render s':>9} {'render img/s':>13} {'make s':>8} {'make img/s':>11} "
              f"{'packed MB':>10} {'arrays MB':>10} {'traced MB':>10} {'RSS base':>9} {'RSS peak':>9}")
    print(f"shapes benchmark, one thread, noise={args.noise}, best of {args.repeat}")
    print(header)
    for n in args.n:
        r = _run_child(n, args.noise, args.repeat)
        print(f"{r['n']:>8} {r['render_s']:>9.3f} {r['render_img_per_s']:>13,.0f} {r['make_shapes_s']:>8.3f} "
              f"{r['make_shapes_img_per_s']:>11,.0f} {r['packed_mb']:>10.1f} {r['dataset_arrays_mb']:>10.1f} "
              f"{r['traced_peak_mb']:>10.1f} {r['rss_base_mb']:>9.1f} {r['rss_peak_mb']:>9.1f}")
    print("traced MB: tracemalloc peak during one make_shapes; RSS: process peak resident memory "
          "(base = after imports and the 720 templates)")


if __name__ == "__main__":
    main()
