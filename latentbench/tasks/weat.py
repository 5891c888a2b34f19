"""WEAT as a task on word models: the Word Embedding Association Tests of Caliskan et al. (2017) on
the word sets shipped with the package (dataset ``weat``), one registered task per test."""

from __future__ import annotations

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..exceptions import InputValidationError
from ..metrics.fairness import weat
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

__all__ = ["WEAT"]

_TESTS = tuple(f"weat{i}" for i in range(1, 11))


class WEAT(Task):
    """One Word Embedding Association Test (Caliskan, Bryson & Narayanan, Science 2017).

    The words of the four sets (targets X, Y; attributes A, B) that the model encodes are kept (a
    word model's vocabulary may lack some; a sentence encoder encodes every word); a set covering
    less than ``min_coverage`` of its words makes the test undefined (WEFE's lost-vocabulary rule),
    and the coverage is stored either way. Effect size ``d`` (difference of the mean associations of
    X and Y with A over B, in pooled standard deviations) and the one-sided permutation p-value
    (exact over all equal-size re-partitions of X u Y when there are at most ``n_permutations``,
    otherwise Monte-Carlo) come from :func:`latentbench.metrics.fairness.weat`.

    The scores are descriptive: an association (flowers with pleasant words) is what the test
    detects; whether it is a harmful bias is the reader's judgement, so the task ranks nothing.
    """

    family = "fairness"
    summary = "Word Embedding Association Test (Caliskan et al. 2017): effect size, permutation p-value and vocabulary coverage."
    needs = frozenset({Capability.ENCODE})
    scores = (
        ScoreSpec("effect_size", "none", "WEAT effect size d: association of X (vs Y) with A (vs B), in pooled standard deviations", (-2.0, 2.0)),
        ScoreSpec("p_value", "none", "one-sided permutation p-value of the WEAT statistic", (0.0, 1.0)),
        ScoreSpec("coverage", "none", "share of the test's words (all four sets) the model encodes", (0.0, 1.0)),
        ScoreSpec("min_set_coverage", "none", "coverage of the least covered of the four sets", (0.0, 1.0)),
    )
    primary = "effect_size"
    reference = ("Caliskan, Bryson & Narayanan (Science 2017); word sets as replicated in WEFE (Badilla, Bravo-Marquez & Pérez, "
                 "IJCAI 2020)")
    defaults = {"test": "weat1", "n_permutations": 10000, "min_coverage": 0.8, "replication_sets": True}
    param_ranges = {"n_permutations": "[100, 1000000]", "min_coverage": "(0, 1]"}
    param_choices = {"test": _TESTS}

    def skip_reason(self, adapter: Adapter, dataset: Dataset) -> str | None:
        if "weat_sets" not in dataset.tables:
            return f"dataset {dataset.name!r} has no WEAT word sets (table 'weat_sets'); use the dataset 'weat'"
        return super().skip_reason(adapter, dataset)

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        p = self.params
        t_i = _TESTS.index(p["test"])
        table = data.table("weat_sets")
        table = table[table[:, 0] == t_i]
        if p["replication_sets"]:
            table = table[table[:, 3] == 0]
        if not len(table):
            raise InputValidationError(f"{self.name}: dataset {data.name!r} has no words for {p['test']}")
        rows = np.unique(table[:, 2])
        covered = np.asarray(adapter.coverage(data, rows), dtype=bool)
        codes = np.asarray(adapter.encode_rows(data, rows[covered]), dtype=np.float64) if covered.any() else np.zeros((0, 1))
        pos = {int(r): i for i, r in enumerate(rows[covered])}
        sets, shares = [], []
        for s in range(4):
            members = table[table[:, 1] == s, 2]
            kept = [pos[int(r)] for r in members if int(r) in pos]
            sets.append(codes[kept])
            shares.append(len(kept) / len(members))
        coverage = float(np.mean([int(r) in pos for r in table[:, 2]]))
        n_words = int(len(table))
        info = {"test": p["test"], "set_coverage": shares, "words": n_words,
                "missing": sorted({data.get_items(np.array([r]))[0] for r in table[:, 2] if int(r) not in pos})[:50]}
        cov = {"coverage": Score.plain(coverage, n_words), "min_set_coverage": Score.plain(min(shares), n_words)}
        if min(shares) < p["min_coverage"] or min(len(s) for s in sets) < 2:
            info["undefined"] = (f"a word set is covered below min_coverage={p['min_coverage']} "
                                 f"(coverage per set X, Y, A, B: {', '.join(f'{c:.2f}' for c in shares)})")
            return TaskOutput({"effect_size": Score.undefined(n_words), "p_value": Score.undefined(n_words), **cov}, info=info)
        result = weat(*sets, rng=ctx.rng, n_permutations=int(p["n_permutations"]))
        info.update(statistic=result["statistic"], exact_p=result["exact"], n_partitions=result["n_partitions"])
        n_targets = len(sets[0]) + len(sets[1])
        return TaskOutput({"effect_size": Score.plain(result["effect_size"], n_targets), "p_value": Score.plain(result["p_value"], n_targets),
                           **cov}, info=info)
