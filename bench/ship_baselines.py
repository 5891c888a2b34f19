"""Write the null baselines' job rows that ship inside the package (``latentbench/_dataside/``).

Runs the three null baselines on every task of the built-in suites whose dataset is generated or
bundled (``standard`` by default, which holds every ``quick`` task) in a fresh ``LATENTBENCH_HOME``
with the shipped rows turned off, so every number is computed here, then copies the
``baseline-job`` entries of that home's dataset-side cache into ``latentbench/_dataside/`` with a
manifest: the digest of the code that computed them, the library versions, the command and the CPU
time it took. A run on a fresh machine then reads these rows instead of recomputing them, when (and
only when) its code and library versions are the same (see :mod:`latentbench.tasks.dataside`).

Run it again after any change to the code that computes a baseline's numbers: ``tests/test_cost.py``
fails until you do.

Usage::

    python bench/ship_baselines.py                  # the standard suite, seed 0
    python bench/ship_baselines.py --suites standard anomaly --seeds 0
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["LATENTBENCH_SHIPPED_BASELINES"] = "0"

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "latentbench" / "_dataside"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suites", nargs="+", default=["standard"])
    p.add_argument("--tasks", default=None, help="comma-separated task names instead of --suites (a quick try)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--out", type=Path, default=OUT)
    a = p.parse_args()

    import torch

    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="lb-ship-baselines-"))
    os.environ["LATENTBENCH_HOME"] = str(tmp / "home")
    from latentbench import evaluate
    from latentbench.provenance import library_versions
    from latentbench.runner import _latentbench_version
    from latentbench.tasks.dataside import FORMAT, source_digest
    from latentbench.tasks.registry import get_suite

    tasks = a.tasks.split(",") if a.tasks else list(dict.fromkeys(t for s in a.suites for t in get_suite(s).tasks))
    cpu0, t0 = time.process_time(), time.perf_counter()
    names = ("null:random", "null:identity", "null:pca-whiten")
    results = evaluate({n: n for n in names}, tasks=tasks, seeds=a.seeds, device="cpu",
                       store=str(tmp / "r.db"), progress=True)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    entries = sorted((tmp / "home" / "dataside").glob("baseline-job-*.npz"))
    if a.out.exists():
        shutil.rmtree(a.out)
    a.out.mkdir(parents=True)
    for e in entries:  # the same arrays, compressed (traversal grids and images shrink several times)
        with np.load(e, allow_pickle=False) as z:
            np.savez_compressed(a.out / e.name, **{k: z[k] for k in z.files})
    statuses: dict[str, int] = {}
    for r in results.rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    manifest = {
        "format": FORMAT, "source_digest": source_digest(), "kind": "baseline-job", "n_entries": len(entries),
        "suites": a.suites if not a.tasks else None, "tasks": tasks, "seeds": a.seeds, "device": "cpu",
        "versions": {**library_versions(), "latentbench": _latentbench_version()},
        "generated_by": "python bench/ship_baselines.py " + (f"--tasks {a.tasks}" if a.tasks else f"--suites {' '.join(a.suites)}")
                        + f" --seeds {' '.join(map(str, a.seeds))}",
        "cpu_seconds": round(cpu, 1), "wall_seconds": round(wall, 1), "row_statuses": statuses,
        "note": "null-baseline job rows (values, intervals, artifacts) keyed by their full content address; read only while "
                "source_digest equals the installed code's and the versions match (they are part of each key)",
    }
    (a.out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    size = sum(f.stat().st_size for f in a.out.iterdir())
    print(f"{len(entries)} baseline jobs written to {a.out} ({size / 1e6:.1f} MB), computed in {cpu:.0f} CPU s ({wall:.0f} s wall); "
          f"row statuses {statuses}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
