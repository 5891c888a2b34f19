"""Time the training of every quick reference model on the CPU (a fresh cache each run).

Usage: python bench/bench_train_quick.py [--threads 1] [--models NAME ...] [--seed 0]

Prints, per model: wall-clock and CPU seconds, epochs, steps, images per second, final loss terms
and the checkpoint fingerprint, then the total. The quick specs are meant to train in well under
2 minutes each on a 2-core machine, and all of them together in a few minutes on one thread
(`make quick` trains every one). On a shared machine the wall-clock time includes waiting for the
CPU; the CPU time (one training thread) is what the machine would take when idle.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch and BLAS threads for training (LATENTBENCH_TRAIN_THREADS)")
    ap.add_argument("--models", nargs="*", help="reference model names (default: every quick spec)")
    ap.add_argument("--seed", type=int, default=None, help="training seed (default: each spec's own)")
    args = ap.parse_args()
    os.environ["LATENTBENCH_HOME"] = tempfile.mkdtemp(prefix="lb-bench-train-")
    os.environ["LATENTBENCH_TRAIN_THREADS"] = str(args.threads)
    from latentbench.models.zoo import list_reference_models, train_reference
    from latentbench.progress import set_quiet

    set_quiet(True)
    names = args.models or [s.name for s in list_reference_models() if s.tier == "quick"]
    print(f"training on the CPU with {args.threads} thread(s); load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'model':<18} {'wall s':>7} {'cpu s':>7} {'epochs':>6} {'steps':>6} {'img/s':>7}  final  fingerprint")
    total_wall = total_cpu = 0.0
    for name in names:
        t0 = time.perf_counter()
        _, meta = train_reference(name, device="cpu", seed=args.seed)
        wall = time.perf_counter() - t0
        total_wall += wall
        total_cpu += meta["train_cpu_seconds"]
        final = {k: round(v, 3) for k, v in meta["final"].items() if k != "epoch"}
        rate = meta.get("samples_per_second") or 0
        print(f"{name:<18} {wall:7.1f} {meta['train_cpu_seconds']:7.1f} {meta.get('epochs', 0):6d} {meta.get('steps', 0):6d} "
              f"{rate:7.0f}  {final}  {meta['fingerprint']}", flush=True)
    print(f"{'total':<18} {total_wall:7.1f} {total_cpu:7.1f}   (load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
