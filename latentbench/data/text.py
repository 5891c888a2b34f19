"""Text datasets shipped in gensim's wheel (``gensim/test/test_data``): nothing is downloaded.

Each is a dataset of **items** (see :class:`~latentbench.data.base.Dataset`): one word (or one
document) per row, with the evaluation tables beside them as integer indices into the rows.

* ``google-analogies``: ``questions-words.txt`` (Mikolov et al. 2013), 19,544 questions
  ``a : b :: c : d`` in 14 sections. Rows: the 905 distinct words, in the order they first appear.
  Tables: ``analogies`` ``(19544, 4)`` row indices (a, b, c, d) in the file's order and
  ``analogy_section`` ``(19544,)`` indices into ``metadata["section_names"]``. The file repeats 171
  question lines; they are kept, as gensim's ``evaluate_word_analogies`` keeps them.
* ``wordsim353``: ``wordsim353.tsv`` (Finkelstein et al. 2002), 353 word pairs with mean human
  relatedness scores in [0, 10]. Rows: the 437 distinct words. Tables: ``pairs`` ``(353, 2)`` row
  indices and ``pair_scores`` ``(353,)``. As in the file: ``money cash`` appears twice (scores 9.15
  and 9.08), ``money bank`` and ``bank money`` both, and one pair of a word with itself (``tiger tiger``, 10).
* ``simlex999``: ``simlex999.txt`` (Hill et al. 2015), 999 pairs with similarity scores in [0, 10]
  (the SimLex999 column). Rows: the 1,028 distinct words. Tables as for ``wordsim353``;
  ``strange sly`` and ``sly strange`` are both in the file.
* ``lee-corpus``: ``lee_background.cor``, the 300 news documents gensim's word2vec tutorial trains
  on (Lee et al. 2005). Rows: one document each (a long sentence item). It is the training corpus
  of the ``word2vec-lee`` reference model.

Words are kept exactly as written (``Athens``, ``FBI``); case folding is the model's business
(:class:`~latentbench.adapters.KeyedVectorsAdapter` has gensim's ``case_insensitive`` lookup).
Every vocabulary dataset has one split, ``test``, holding every row: nothing is trained on these
words, and a task scores its table over all of them.

Without gensim the loaders raise :class:`~latentbench.exceptions.MissingOptionalDependencyError`
naming ``pip install 'latentbench[text]'``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputValidationError, MissingOptionalDependencyError
from .base import Dataset, make_splits

__all__ = ["gensim_test_data", "load_google_analogies", "load_lee_corpus", "load_simlex999", "load_wordsim353"]

TEXT_EXTRA = "pip install 'latentbench[text]'"


def gensim_test_data(filename: str, dataset: str = "") -> Path:
    """The path of a file in the installed gensim's ``test/test_data`` (what ``gensim.test.utils.datapath``
    returns), found without importing gensim.

    Raises
    ------
    MissingOptionalDependencyError
        When gensim is not installed, naming the extra that installs it.
    """
    spec = importlib.util.find_spec("gensim")
    what = f"dataset {dataset!r}" if dataset else f"{filename!r}"
    if spec is None or not spec.submodule_search_locations:
        raise MissingOptionalDependencyError(f"{what} is read from gensim's wheel (gensim/test/test_data/{filename}); "
                                             f"gensim is not installed: {TEXT_EXTRA}")
    path = Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data" / filename
    if not path.is_file():
        raise MissingOptionalDependencyError(f"{what}: the installed gensim has no test/test_data/{filename}; "
                                             f"reinstall it: {TEXT_EXTRA}")
    return path


class _Vocabulary:
    """Distinct words in the order they first appear, each with its row index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, word: str) -> int:
        return self.index.setdefault(word, len(self.index))

    @property
    def words(self) -> list[str]:
        return list(self.index)


def _all_rows_test(n: int) -> dict[str, np.ndarray]:
    return {"test": np.arange(n, dtype=np.int64)}


def load_google_analogies() -> Dataset:
    """Google word analogies (gensim's questions-words.txt): 19,544 questions in 14 sections over 905 words."""
    path = gensim_test_data("questions-words.txt", "google-analogies")
    vocab = _Vocabulary()
    questions: list[list[int]] = []
    sections: list[int] = []
    names: list[str] = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(":"):
                names.append(line[1:].strip())
                continue
            words = line.split()
            if len(words) != 4 or not names:
                raise InputValidationError(f"{path}: line {no} is not a question of four words under a ': section' line: {line!r}")
            questions.append([vocab(w) for w in words])
            sections.append(len(names) - 1)
    n = len(vocab.index)
    return Dataset(
        name="google-analogies", items=vocab.words, version=1, splits=_all_rows_test(n),
        tables={"analogies": np.array(questions, dtype=np.int64), "analogy_section": np.array(sections, dtype=np.int64)},
        metadata={"source": str(path), "file": "gensim/test/test_data/questions-words.txt",
                  "section_names": names, "n_questions": len(questions), "n_sections": len(names),
                  "reference": "Mikolov et al. (2013), Efficient estimation of word representations in vector space"},
    )


def _word_pairs(name: str, filename: str, reference: str) -> Dataset:
    path = gensim_test_data(filename, name)
    vocab = _Vocabulary()
    pairs: list[tuple[int, int]] = []
    scores: list[float] = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            try:
                a, b, score = parts
                value = float(score)
            except ValueError:
                raise InputValidationError(f"{path}: line {no} is not 'word<TAB>word<TAB>score': {line.strip()!r}") from None
            pairs.append((vocab(a), vocab(b)))
            scores.append(value)
    n = len(vocab.index)
    return Dataset(
        name=name, items=vocab.words, version=1, splits=_all_rows_test(n),
        tables={"pairs": np.array(pairs, dtype=np.int64), "pair_scores": np.array(scores, dtype=np.float64)},
        metadata={"source": str(path), "file": f"gensim/test/test_data/{filename}",
                  "n_pairs": len(pairs), "score_range": [0.0, 10.0], "reference": reference},
    )


def load_wordsim353() -> Dataset:
    """WordSim-353 relatedness (gensim's wordsim353.tsv): 353 word pairs over 437 words, human scores 0-10."""
    return _word_pairs("wordsim353", "wordsim353.tsv",
                       "Finkelstein et al. (2002), Placing search in context: the concept revisited")


def load_simlex999() -> Dataset:
    """SimLex-999 similarity (gensim's simlex999.txt): 999 word pairs over 1,028 words, human scores 0-10."""
    return _word_pairs("simlex999", "simlex999.txt",
                       "Hill, Reichart & Korhonen (2015), SimLex-999: evaluating semantic models with (genuine) similarity estimation")


def load_lee_corpus(*, seed: int = 0, test_fraction: float = 0.1) -> Dataset:
    """The Lee background corpus (gensim's lee_background.cor): 300 news documents, one item each."""
    path = gensim_test_data("lee_background.cor", "lee-corpus")
    with open(path, encoding="utf-8") as f:
        docs = [line.strip() for line in f if line.strip()]
    params: dict[str, Any] = {"seed": seed, "test_fraction": test_fraction}
    return Dataset(
        name="lee-corpus", items=docs, version=1, params=params,
        splits=make_splits(len(docs), seed=seed, test_fraction=test_fraction),
        metadata={"source": str(path), "file": "gensim/test/test_data/lee_background.cor",
                  "n_documents": len(docs),
                  "reference": "Lee, Pincombe & Welsh (2005), An empirical evaluation of models of text document similarity"},
    )
