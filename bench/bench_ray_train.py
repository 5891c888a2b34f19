"""``latentbench train`` of several reference models and seeds: the local executor beside Ray.

Each side is one ``latentbench train REFS --seed ...`` command (as a user types it) with its own
fresh ``LATENTBENCH_HOME`` and one thread per training; the Ray side starts a local Ray on all of
this machine's CPUs inside the command, so its wall time includes Ray's start-up. Prints both wall
times, their ratio, and whether both sides wrote the same checkpoints (the fingerprint in each
sidecar, which hashes the weights).

Usage::

    python bench/bench_ray_train.py                                   # 3 conv references x seeds 0 1 2
    python bench/bench_ray_train.py --refs vae pca --seeds 0 1
    python bench/bench_ray_train.py --keep /tmp/refs-home             # keep the local side's home (its checkpoints)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_REFS = ["vae-conv-shapes", "beta4-vae-shapes", "betatc-vae-shapes"]


def _train(refs: list[str], seeds: list[int], home: Path, extra: list[str]) -> float:
    env = dict(os.environ, LATENTBENCH_HOME=str(home), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "latentbench", "train", *refs, "--seed", *map(str, seeds), "--device", "cpu", "--quiet", *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    return time.perf_counter() - t0


def _fingerprints(home: Path) -> dict[str, str]:
    out = {}
    for p in sorted((home / "checkpoints").glob("*.json")):
        meta = json.loads(p.read_text())
        out[f"{meta.get('name', p.stem)}@{meta.get('seed')}"] = meta.get("fingerprint")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--refs", nargs="+", default=DEFAULT_REFS)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--keep", type=Path, default=None, help="use this folder as the local side's LATENTBENCH_HOME and keep it")
    a = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="lb-bench-ray-train-"))
    local_home = a.keep.expanduser() if a.keep else tmp / "home-local"
    local = _train(a.refs, a.seeds, local_home, ["--force"])
    remote = _train(a.refs, a.seeds, tmp / "home-ray", ["--executor", "ray", "--cpus-per-unit", "1", "--force"])
    fa, fb = _fingerprints(local_home), _fingerprints(tmp / "home-ray")
    fa = {k: v for k, v in fa.items() if k in fb or any(k.startswith(r + "@") for r in a.refs)}
    same = fa == fb
    n = len(a.refs) * len(a.seeds)
    print(f"{len(a.refs)} references x {len(a.seeds)} seeds = {n} trainings, load average {os.getloadavg()[0]:.1f}")
    print(f"local executor: {local:.1f} s ({local / n:.1f} s per training)")
    print(f"ray executor (a local Ray on this machine's {os.cpu_count()} CPUs, one training per CPU, start-up included): {remote:.1f} s")
    print(f"ratio local / ray: {local / remote:.2f}x")
    print(f"same checkpoints (weight fingerprints) on both sides: {'yes' if same else 'NO'} ({len(fb)} checkpoints)")
    if not same:
        for k in sorted(set(fa) | set(fb)):
            if fa.get(k) != fb.get(k):
                print(f"  {k}: local {fa.get(k)} ray {fb.get(k)}")


if __name__ == "__main__":
    main()
