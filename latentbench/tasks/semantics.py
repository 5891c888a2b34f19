"""Word analogies and word similarity (family ``semantics``): text encoders scored on the questions and
pairs of an items dataset, through the adapter contract (word models and sentence encoders alike).

Coverage. A word model has no vector for a word outside its vocabulary: the tasks encode the covered
rows only (:meth:`~latentbench.tasks.context.RunContext.latents_covered`), score the questions or
pairs whose words are all covered, and report the fraction covered (``coverage``, descriptive). A
model that covers none is skipped with the reason. ``restrict_vocab`` is gensim's: for a model with
a vocabulary of its own, a word counts as covered only when it is among the model's first
``restrict_vocab`` words (gensim's ``evaluate_word_analogies``/``evaluate_word_pairs`` default is
300,000; it was 30,000 before gensim 3.3, and it changes the numbers, so it is a recorded parameter).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..adapters import Adapter, Capability
from ..data.base import Dataset
from ..exceptions import NotApplicableError
from ..metrics.semantics import _pearson, analogy_accuracy_score, pair_cosines, spearman_rows, word_similarity_score
from ..stats import bootstrap
from .base import Score, ScoreSpec, Task, TaskOutput
from .context import RunContext

__all__ = ["WordAnalogy", "WordSimilarity"]

#: Largest candidate vocabulary of the analogy task (``restrict_vocab``): the 19,544 Google questions
#: against 3,000,000 candidates of 300 values are about 18 TFLOP (hours on a CPU).
MAX_VOCABULARY = 3_000_000


def _split_positions(data: Dataset, rows: np.ndarray) -> np.ndarray:
    """Each dataset row's position in ``rows`` (``-1`` for rows outside the split)."""
    pos = np.full(len(data), -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    return pos


def _covered_codes(adapter: Adapter, data: Dataset, ctx: RunContext, restrict_vocab: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The split positions of the covered rows, their codes and their word groups.

    Covered: the model encodes the item and, for a model with a vocabulary of its own, the word is
    among its first ``restrict_vocab`` words. A group is the model's key for the word (two items that
    a case-insensitive model reads as one key are one word), else the first position of the same string.
    """
    rows = ctx.rows()
    covered, z = ctx.latents_covered()
    where = np.nonzero(covered)[0]
    vocab = adapter.vocabulary(restrict_vocab)
    if vocab is None:  # one group per distinct string: a repeated item is one word, never its own answer
        _, first, inverse = np.unique(data.get_items(rows[where]), return_index=True, return_inverse=True)
        return where, z, first[inverse.ravel()]
    keys = vocab.index(data.get_items(rows[where]))
    keep = keys >= 0
    return where[keep], z[keep], keys[keep]


class WordAnalogy(Task):
    """Word analogies ``a : b :: c : d`` answered by the nearest candidate vector (3CosAdd and 3CosMul).

    The candidates are the covered words of the dataset (``vocabulary = "items"``: every text
    encoder, a sentence encoder included, is scored on the same candidate set) or the model's own
    first ``restrict_vocab`` words (``vocabulary = "model"``: gensim's ``evaluate_word_analogies``;
    a model without a vocabulary is skipped). The question words are excluded from the answers; all
    vectors are normalised. ``accuracy`` (3CosAdd) is the share of answerable questions answered
    correctly, with a bootstrap interval over questions; per-section accuracies are in the run's
    info. Equal to gensim's ``evaluate_word_analogies`` on the same vectors and vocabulary.
    """

    family = "semantics"
    summary = "Word analogies a:b::c:d by 3CosAdd and 3CosMul over a stated candidate vocabulary, with coverage."
    needs = frozenset({Capability.ENCODE})
    requires = frozenset({"items", "analogies"})
    scores = (
        ScoreSpec("accuracy", "higher", "share of answerable questions whose 3CosAdd answer is d (Mikolov et al. 2013)", (0.0, 1.0)),
        ScoreSpec("accuracy_3cosmul", "higher", "the same with 3CosMul (Levy & Goldberg 2014)", (0.0, 1.0)),
        ScoreSpec("coverage", "none", "share of questions whose four words the model covers (the others are not scored)",
                  (0.0, 1.0)),
        ScoreSpec("candidates", "none", "number of candidate answers searched", (0.0, None)),
    )
    primary = "accuracy"
    reference = ("Mikolov, Chen, Corrado & Dean (2013); Levy & Goldberg (2014), Linguistic regularities in sparse and "
                 "explicit word representations")
    defaults = {"vocabulary": "items", "restrict_vocab": 300_000}
    param_choices = {"vocabulary": ("items", "model")}
    param_ranges = {"restrict_vocab": f"[4, {MAX_VOCABULARY}]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        questions = data.table("analogies")
        rows = ctx.rows()
        restrict = self.params["restrict_vocab"]
        word = np.full(len(rows), -1, dtype=np.int64)  # split position -> candidate row
        if self.params["vocabulary"] == "model":
            vocab = adapter.vocabulary(restrict)
            if vocab is None:
                raise NotApplicableError(f"model {adapter.name!r} ({adapter.kind}) has no vocabulary of its own to search; "
                                         f"score it with the dataset's words as candidates (vocabulary = \"items\")")
            vectors, groups = vocab.vectors, vocab.groups
            word = vocab.index(data.get_items(rows))
            described = f"the model's first {len(vocab)} words"
        else:
            where, vectors, groups = _covered_codes(adapter, data, ctx, restrict)
            where, vectors, groups = where[:restrict], vectors[:restrict], groups[:restrict]
            word[where] = np.arange(len(where))
            described = f"the {len(where)} covered words of {data.name!r}"
        pos = _split_positions(data, rows)[questions]
        asked = np.where(pos >= 0, word[np.maximum(pos, 0)], -1)
        answerable = (asked >= 0).all(axis=1)
        n_ok = int(answerable.sum())
        if n_ok == 0:
            raise NotApplicableError(f"model {adapter.name!r} covers no question of {data.name!r} (coverage 0 of "
                                     f"{len(questions)}: no question has all four words among {described})")
        if len(vectors) < 4:
            raise NotApplicableError(f"model {adapter.name!r}: only {len(vectors)} candidate words in {described}; "
                                     f"an analogy needs at least 4")
        ctx.check_time()
        add = analogy_accuracy_score(vectors, asked[answerable], method="3cosadd", groups=groups, return_details=True)
        ctx.check_time()
        mul = analogy_accuracy_score(vectors, asked[answerable], method="3cosmul", groups=groups, return_details=True)
        scores = {
            "accuracy": ctx.mean_score(add["correct"]),
            "accuracy_3cosmul": ctx.mean_score(mul["correct"]),
            "coverage": Score.plain(n_ok / len(questions), len(questions)),
            "candidates": Score.plain(len(vectors), len(vectors)),
        }
        info: dict[str, Any] = {"candidates": described, "restrict_vocab": restrict, "answerable": n_ok,
                                "questions": len(questions), "normalized": True, "question_words_excluded": True,
                                "3cosmul_epsilon": 1e-6}
        artifacts: dict[str, np.ndarray] = {"answerable": answerable}
        if "analogy_section" in data.tables:
            section = data.table("analogy_section")
            names = list(data.metadata.get("section_names") or [f"section{i}" for i in range(int(section.max()) + 1)])
            in_ok = section[answerable]
            per: dict[str, Any] = {}
            for i, name in enumerate(names):
                mask = in_ok == i
                total = int((section == i).sum())
                per[name] = {"questions": total, "answerable": int(mask.sum()),
                             "accuracy": float(add["correct"][mask].mean()) if mask.any() else None,
                             "accuracy_3cosmul": float(mul["correct"][mask].mean()) if mask.any() else None}
            info["sections"] = per
            artifacts["section_accuracy"] = np.array([np.nan if v["accuracy"] is None else v["accuracy"] for v in per.values()])
        return TaskOutput(scores, artifacts=artifacts, info=info)


class WordSimilarity(Task):
    """Spearman's rank correlation between the cosine similarity of word pairs and human judgements.

    The cosine of the two words' codes against the human scores (WordSim-353 relatedness, SimLex-999
    similarity), as gensim's ``evaluate_word_pairs``. Pairs with a word the model does not cover are
    dropped (``oov = "drop"``, gensim's default) or given similarity 0 (``oov = "zero"``, gensim's
    ``dummy4unknown``); ``coverage`` is the share of pairs both of whose words are covered.
    Intervals: percentile bootstrap over the scored pairs.
    """

    family = "semantics"
    summary = "Spearman (and Pearson) correlation of cosine similarity with human judgements of word pairs, with coverage."
    needs = frozenset({Capability.ENCODE})
    requires = frozenset({"items", "pairs", "pair_scores"})
    scores = (
        ScoreSpec("spearman", "higher", "Spearman's rho between cosine similarity and the human scores", (-1.0, 1.0)),
        ScoreSpec("pearson", "higher", "Pearson's r between cosine similarity and the human scores", (-1.0, 1.0)),
        ScoreSpec("coverage", "none", "share of pairs whose two words the model covers", (0.0, 1.0)),
    )
    primary = "spearman"
    reference = "Finkelstein et al. (2002) WordSim-353; Hill, Reichart & Korhonen (2015) SimLex-999"
    defaults = {"oov": "drop", "restrict_vocab": 300_000}
    param_choices = {"oov": ("drop", "zero")}
    param_ranges = {"restrict_vocab": f"[1, {MAX_VOCABULARY}]"}

    def run(self, adapter: Adapter, data: Dataset, ctx: RunContext) -> TaskOutput:
        pairs, human = data.table("pairs"), np.asarray(data.table("pair_scores"), dtype=np.float64)
        rows = ctx.rows()
        where, z, _ = _covered_codes(adapter, data, ctx, self.params["restrict_vocab"])
        word = np.full(len(rows), -1, dtype=np.int64)
        word[where] = np.arange(len(where))
        pos = _split_positions(data, rows)[pairs]
        idx = np.where(pos >= 0, word[np.maximum(pos, 0)], -1)
        ok = (idx >= 0).all(axis=1)
        if not ok.any():
            raise NotApplicableError(f"model {adapter.name!r} covers no pair of {data.name!r} (coverage 0 of {len(pairs)})")
        cosines = pair_cosines(z[idx[ok, 0]], z[idx[ok, 1]])
        if self.params["oov"] == "zero":
            sims = np.zeros(len(pairs))
            sims[ok] = cosines
            gold = human
        else:
            sims, gold = cosines, human[ok]
        parts = word_similarity_score(sims, gold, return_details=True)
        scores = {
            "spearman": self._interval(spearman_rows, parts["spearman"], sims, gold, ctx),
            "pearson": self._interval(_pearson, parts["pearson"], sims, gold, ctx),
            "coverage": Score.plain(ok.mean(), len(pairs)),
        }
        return TaskOutput(scores, artifacts={"cosine": sims, "human": gold},
                          info={"oov": self.params["oov"], "pairs": len(pairs), "covered_pairs": int(ok.sum()),
                                "scored_pairs": len(sims), "restrict_vocab": self.params["restrict_vocab"],
                                "similarity": "cosine", "ci": "percentile bootstrap over pairs"})

    @staticmethod
    def _interval(statistic: Any, value: float, sims: np.ndarray, gold: np.ndarray, ctx: RunContext) -> Score:
        if not np.isfinite(value):
            return Score.undefined(len(sims))
        est = bootstrap(statistic, sims, gold, rng=ctx.rng, n_resamples=ctx.n_bootstrap, vectorized=True, estimate=value)
        return Score.from_estimate(est)
