"""The local runner beside the Ray executor on the same models, tasks and seeds.

Each side runs on a fresh store and a fresh ``LATENTBENCH_HOME`` (nothing reused), one thread per
process; the Ray side starts a local Ray with ``--workers`` CPUs (its start-up is timed apart).
Prints both wall times, their ratio, and checks that the two stores hold the same values job by
job (the check ``tests/test_executor_ray.py`` makes on a smaller run).

Usage::

    python bench/bench_ray_executor.py                           # 3 null baselines + 3 PCAs x 4 digits tasks
    python bench/bench_ray_executor.py --workers 2 --seeds 0 1 --tasks reconstruction/digits,neighbourhood/digits
    python bench/bench_ray_executor.py --models ref:pca ref:ae-digits --suite quick   # reference models (trained on first use)
    python bench/bench_ray_executor.py --models ref:all --suite quick --checkpoints ~/.cache/latentbench/checkpoints
        # the ten quick references, trained beforehand: their checkpoints are copied into both fresh homes,
        # so both sides time the suite only (the dataset-side cache still starts empty on each side)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

DEFAULT_TASKS = "reconstruction/digits,intrinsic-dimension/digits,neighbourhood/digits,collapse/digits"


def _models(names: list[str] | None) -> dict:
    if names:
        return {n: n for n in names}
    from sklearn.decomposition import PCA

    from latentbench.data import load_dataset

    d = load_dataset("digits")
    x = d.get_x(d.split("train"), flat=True)
    out: dict = {n: n for n in ("null:random", "null:identity", "null:pca-whiten")}
    out.update({f"pca{k}": PCA(k, random_state=0).fit(x) for k in (4, 8, 16)})
    return out


def _values(db: Path) -> dict:
    from latentbench.store import ResultStore

    with ResultStore(db, create=False) as s:
        return {(r["model"], r["task"], r["seed"], r["metric"]): (r["value"], r["ci_low"], r["ci_high"], r["status"]) for r in s.rows()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", help="model strings (default: 3 null baselines and 3 PCAs of digits, as objects)")
    p.add_argument("--tasks", default=DEFAULT_TASKS)
    p.add_argument("--suite", default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--workers", type=int, default=2, help="CPUs of the local Ray (one unit per CPU)")
    p.add_argument("--bootstrap-iters", type=int, default=200)
    p.add_argument("--checkpoints", type=Path, default=None,
                   help="a checkpoints folder copied into both sides' fresh LATENTBENCH_HOME (reference models trained beforehand)")
    a = p.parse_args()

    import torch

    torch.set_num_threads(1)
    from latentbench import evaluate

    tmp = Path(tempfile.mkdtemp(prefix="lb-bench-ray-"))
    kw = dict(tasks=None if a.suite else a.tasks.split(","), suite=a.suite, seeds=a.seeds, device="cpu",
              n_bootstrap=a.bootstrap_iters, progress=False)
    if a.models == ["ref:all"]:
        from latentbench.models.zoo import list_reference_models

        a.models = [f"ref:{s.name}" for s in list_reference_models() if s.tier == "quick"]
    models = _models(a.models)
    if a.checkpoints is not None:
        for side in ("home-local", "home-ray"):
            shutil.copytree(a.checkpoints.expanduser(), tmp / side / "checkpoints")
    os.environ["LATENTBENCH_HOME"] = str(tmp / "home-local")
    t0 = time.perf_counter()
    evaluate(models, store=str(tmp / "local.db"), **kw)
    local = time.perf_counter() - t0

    import ray

    os.environ["LATENTBENCH_HOME"] = str(tmp / "home-ray")
    t0 = time.perf_counter()
    ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False)
    start = time.perf_counter() - t0
    t0 = time.perf_counter()
    evaluate(models, store=str(tmp / "ray.db"), executor="ray", **kw)
    remote = time.perf_counter() - t0
    ray.shutdown()
    va, vb = _values(tmp / "local.db"), _values(tmp / "ray.db")
    same = va.keys() == vb.keys() and all(va[k] == vb[k] for k in va)
    n_jobs = len({k[:3] for k in va})
    print(f"{len(models)} models, {n_jobs} jobs, load average {os.getloadavg()[0]:.1f}")
    print(f"local executor: {local:.1f} s")
    print(f"ray executor ({a.workers} workers): {remote:.1f} s (+ {start:.1f} s to start Ray)")
    print(f"ratio local / ray: {local / remote:.2f}x without the start, {local / (remote + start):.2f}x with it")
    print(f"same stored values job by job: {'yes' if same else 'NO'} ({len(va)} rows)")


if __name__ == "__main__":
    main()
