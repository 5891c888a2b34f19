"""Benchmark: the semantics tasks against gensim's ``evaluate_word_analogies`` / ``evaluate_word_pairs``.

On the same vectors, vocabulary restriction and questions, single-threaded:

* ``analogy``: the whole task through the runner (both 3CosAdd and 3CosMul, bootstrap intervals,
  per-section accuracies; encoding excluded) and the 3CosAdd metric alone
  (:func:`latentbench.metrics.semantics.analogy_accuracy_score`: the cosines of the distinct question
  words with every candidate, one matrix product per block of candidates, each question's objective
  read from their rows) against gensim's loop of one ``most_similar`` call per question (3CosAdd only);
* ``similarity``: the task (Spearman and Pearson with bootstrap intervals) against
  ``evaluate_word_pairs`` on WordSim-353 and SimLex-999.

Models: the ``word2vec-lee`` reference (its own 3,730-word vocabulary), all-MiniLM-L6-v2 (the
analogy words as its vocabulary; ``--no-minilm`` to leave it out: importing sentence-transformers
takes 10-20 s) and random vectors of ``--vocab`` words (default 30,000 of 300 values) holding the
analogy words, to see how both scale with the candidate vocabulary.

Printed per case: our time, gensim's, the ratio (gensim / ours) and both numbers (they must be equal).

Usage::

    python bench/bench_semantics.py
    python bench/bench_semantics.py --vocab 100000 --no-minilm
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import latentbench  # noqa: E402
from latentbench.adapters import KeyedVectorsAdapter  # noqa: E402
from latentbench.data import load_dataset  # noqa: E402
from latentbench.metrics.semantics import analogy_accuracy_score  # noqa: E402


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _task(adapter, task: str, metric: str, store: str) -> tuple[float, float]:
    res = latentbench.evaluate(adapter, tasks=[task], n_bootstrap=1000, store=store, force=True, on_error="raise")
    row = next(r for r in res.rows if r["metric"] == metric)
    return row["seconds"], row["value"]


def _line(case: str, ours: float, ref: float, ours_value: float, ref_value: float) -> None:
    print(f"{case:<58} {ours:8.3f} s {ref:8.3f} s {ref / ours:7.1f}x   {ours_value:.6f} {ref_value:.6f} "
          f"{'equal' if abs(ours_value - ref_value) < 1e-9 else 'DIFFERENT'}")


SIMILARITY = (("wordsim353.tsv", "similarity/wordsim353"), ("simlex999.txt", "similarity/simlex999"))


def run(kv, name: str, *, vocabulary: str, repeats: int, store: str, analogy: bool = True,
        similarity: tuple[tuple[str, str], ...] = SIMILARITY) -> None:
    from gensim.test.utils import datapath

    adapter = KeyedVectorsAdapter(kv, name=name, case_insensitive=True)
    if analogy:
        _analogy(kv, adapter, name, vocabulary=vocabulary, repeats=repeats, store=store)
    for file, sim_task in similarity:
        t_ref, (_, spearman, _) = _best(lambda: kv.evaluate_word_pairs(datapath(file)), repeats)
        t_task, value = _task(adapter, sim_task, "spearman", store)
        _line(f"{name}: {sim_task} task (Spearman+Pearson+CIs)", t_task, t_ref, value, spearman.statistic)


def _analogy(kv, adapter, name: str, *, vocabulary: str, repeats: int, store: str) -> None:
    from gensim.test.utils import datapath

    task = "analogy/google-model-vocab" if vocabulary == "model" else "analogy/google"
    t_ref, (ref_value, _) = _best(lambda: kv.evaluate_word_analogies(datapath("questions-words.txt")), 1)
    t_task, value = _task(adapter, task, "accuracy", store)
    _line(f"{name}: {task} task (3CosAdd+3CosMul+CIs)", t_task, t_ref, value, ref_value)
    vocab = adapter.vocabulary(300_000)
    d = load_dataset("google-analogies")
    idx = vocab.index(d.items)[d.table("analogies")]
    ok = (idx >= 0).all(axis=1)
    t_ours, ours_value = _best(lambda: analogy_accuracy_score(vocab.vectors, idx[ok], groups=vocab.groups), repeats)
    _line(f"{name}: 3CosAdd metric, {len(vocab)} candidates, {int(ok.sum())} questions", t_ours, t_ref, ours_value, ref_value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vocab", type=int, default=30_000, help="words of the random-vector model (default 30,000)")
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-minilm", action="store_true")
    args = ap.parse_args()
    from gensim.models import KeyedVectors

    from latentbench.models.loader import load_model

    store = os.path.join(tempfile.mkdtemp(prefix="lb-bench-sem-"), "results.db")
    print(f"{'case':<58} {'ours':>10} {'gensim':>10} {'ratio':>8}   values")
    w2v = load_model("ref:word2vec-lee")
    run(w2v.kv, "word2vec-lee", vocabulary="model", repeats=args.repeats, store=store)
    if not args.no_minilm:
        import torch

        torch.set_num_threads(1)
        minilm = load_model("ref:minilm")
        for dataset in ("google-analogies", "wordsim353", "simlex999"):  # MiniLM's vectors of each dataset's words
            d = load_dataset(dataset)
            z = minilm.encode_rows(d, d.split("test")).astype(np.float32)
            kv = KeyedVectors(z.shape[1])
            kv.add_vectors(d.items.tolist(), z)
            run(kv, f"minilm ({dataset} words)", vocabulary="model", repeats=args.repeats, store=store,
                analogy=dataset == "google-analogies", similarity=tuple(p for p in SIMILARITY if p[1].endswith(dataset)))
    words = load_dataset("google-analogies").items.tolist()
    words = [w.lower() for w in words] + [f"w{i}" for i in range(max(0, args.vocab - len(words)))]
    rng = np.random.default_rng(0)
    kv = KeyedVectors(args.dim)
    kv.add_vectors(list(dict.fromkeys(words)), rng.normal(size=(len(dict.fromkeys(words)), args.dim)).astype(np.float32))
    run(kv, f"random {len(kv)} x {args.dim}", vocabulary="model", repeats=1, store=store)


if __name__ == "__main__":
    main()
