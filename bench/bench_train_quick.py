"""Time the training of every quick reference model on the CPU (a fresh cache each run).

Usage: python bench/bench_train_quick.py [--threads 1]

Prints, per model: seconds, epochs, final loss terms and the checkpoint fingerprint. The quick
specs are meant to train in well under 2 minutes each on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch threads for training (LATENTBENCH_TRAIN_THREADS)")
    ap.add_argument("--models", nargs="*", help="reference model names (default: every quick spec)")
    args = ap.parse_args()
    os.environ["LATENTBENCH_HOME"] = tempfile.mkdtemp(prefix="lb-bench-train-")
    os.environ["LATENTBENCH_TRAIN_THREADS"] = str(args.threads)
    from latentbench.models.zoo import list_reference_models, train_reference
    from latentbench.progress import set_quiet

    set_quiet(True)
    names = args.models or [s.name for s in list_reference_models() if s.tier == "quick"]
    print(f"{'model':<14} {'seconds':>8} {'epochs':>6}  final")
    for name in names:
        t0 = time.perf_counter()
        _, meta = train_reference(name, device="cpu")
        final = {k: round(v, 4) for k, v in meta["final"].items() if k != "epoch"}
        print(f"{name:<14} {time.perf_counter() - t0:8.1f} {meta['final'].get('epoch', 0):6d}  {final}  {meta['fingerprint']}")


if __name__ == "__main__":
    main()
