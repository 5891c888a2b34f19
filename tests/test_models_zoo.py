"""The reference-model zoo: the specs, the one training loop (determinism, data on the device,
precision), seeds end to end through the CLI."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from latentbench.cli import main
from latentbench.data import load_dataset
from latentbench.data.shapes import N_GRID, _check_shapes_args
from latentbench.exceptions import SpecError
from latentbench.models.loader import expand_model_names
from latentbench.models.zoo import (
    ARCHITECTURE_OBJECTIVES, ReferenceSpec, _TrainData, cached_metadata, get_reference_spec, list_reference_models,
    objective_of, train_reference,
)

torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------ specs
def test_every_builtin_spec_states_its_recipe():
    specs = list_reference_models()
    names = {s.name for s in specs}
    assert {"ae-shapes", "vae-conv-shapes", "beta4-vae-shapes", "beta8-vae-shapes", "betatc-vae-shapes", "pca-shapes"} <= names
    for s in specs:
        assert s.description, s.name
        assert "latent_dim" in s.model and "objective" in s.model, s.name
        assert objective_of(s) in ARCHITECTURE_OBJECTIVES[s.architecture]
        assert "seed" in s.training, s.name
        if s.architecture == "ppca":
            assert "solver" in s.training, s.name
        elif s.architecture == "word2vec":  # text references (tier text): a corpus and epochs, no optimizer
            assert s.tier == "text" and s.dataset and "epochs" in s.training, s.name
        elif s.architecture == "sentence-transformer":  # pretrained: loaded from an installed package
            assert s.tier == "text" and s.model["package"] and s.model["objective"] == "pretrained", s.name
        else:
            assert {"optimizer", "lr", "batch_size", "epochs", "precision"} <= set(s.training), s.name
        if s.dataset == "shapes":
            n = s.dataset_params["n"]
            # quick specs share the shapes tasks' 10,000-image draw; full ones use the whole grid
            assert n == (10000 if s.tier == "quick" else N_GRID), s.name
    _check_shapes_args(N_GRID, 0, 0.1, 0.0)  # make_shapes accepts the whole grid as n


def test_quick_and_full_specs_pair_up():
    specs = {s.name: s for s in list_reference_models()}
    for name, s in specs.items():
        if s.tier == "full":
            quick = specs[name.removesuffix("-full")]
            assert quick.tier == "quick" and quick.architecture == s.architecture and quick.model == s.model, name
    expected = {"beta4-vae-shapes": ("beta-vae", 4.0), "beta8-vae-shapes": ("beta-vae", 8.0), "betatc-vae-shapes": ("beta-tc-vae", 6.0),
                "vae-conv-shapes": ("vae", 1.0)}
    for name, (objective, beta) in expected.items():
        for n in (name, name + "-full"):
            assert (specs[n].architecture, specs[n].model["objective"], specs[n].model["beta"]) == ("conv-vae", objective, beta)
    assert specs["ae-shapes"].architecture == "conv-ae" and specs["ae-shapes-full"].architecture == "conv-ae"


def test_bad_specs_are_refused(tmp_path):
    from latentbench.specs import add_spec_dir

    for i, (key, bad) in enumerate([("model", 'objective = "beta-vae"'), ("training", "epoch = 3"), ("training", 'precision = "fp16"')]):
        folder = tmp_path / f"s{i}" / "reference_models"
        folder.mkdir(parents=True)
        (folder / "bad.toml").write_text(textwrap.dedent(f"""
            name = "bad{i}"
            architecture = "conv-ae"
            tier = "quick"
            dataset = "shapes"
            [{key}]
            {bad}
        """))
        add_spec_dir(folder.parent)
        with pytest.raises(SpecError):
            list_reference_models()
        from latentbench import specs

        specs._EXTRA_DIRS.clear()


def test_seed_lists_expand():
    assert expand_model_names(["ref:vae@0,1,2", "null:random"]) == ["ref:vae@0", "ref:vae@1", "ref:vae@2", "null:random"]
    quick = [s.name for s in list_reference_models() if s.tier == "quick"]
    assert expand_model_names(["ref:all@3"]) == [f"ref:{n}@3" for n in quick]
    with pytest.raises(SpecError, match="integers"):
        expand_model_names(["ref:vae@a"])


# ------------------------------------------------------------------------------------------ training loop
def test_train_data_unpacks_bits_on_the_device_like_get_x():
    d = load_dataset("shapes", n=300)
    rows = d.split("train")
    packed = _TrainData(d, rows, "cpu", float_limit=0)
    assert packed.mode == "bits"
    idx = torch.tensor([5, 0, 17, 200])
    np.testing.assert_array_equal(packed.batch(idx).numpy(), d.get_x(rows[idx.numpy()], flat=True))
    assert _TrainData(d, rows, "cpu").mode == "float"


def _conv_spec(**training):
    return ReferenceSpec(name="det-conv", architecture="conv-vae", tier="quick", dataset="shapes", dataset_params={"n": 300},
                         model={"latent_dim": 4, "objective": "beta-tc-vae", "beta": 6.0},
                         training={"epochs": 1, "batch_size": 32, "seed": 3, **training})


def test_conv_training_is_deterministic_on_cpu(tmp_path, monkeypatch):
    spec = _conv_spec()
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "a"))
    m1, meta1 = train_reference(spec)
    monkeypatch.setenv("LATENTBENCH_HOME", str(tmp_path / "b"))
    _, meta2 = train_reference(spec)
    assert meta1["history"] == meta2["history"]  # every loss term of every epoch, to the last digit
    assert meta1["fingerprint"] == meta2["fingerprint"]
    assert meta1["steps"] == 9 and meta1["n_train"] == 270 and meta1["threads"] == 1
    assert meta1["config"]["dataset_size"] == 270  # the MWS estimator's N is the training set's size
    assert set(meta1["final"]) == {"epoch", "loss", "recon", "kl", "tc", "elbo"}
    assert meta1["final"]["elbo"] == pytest.approx(-(meta1["final"]["recon"] + meta1["final"]["kl"]))
    # another seed, another checkpoint
    _, meta3 = train_reference(spec, seed=4)
    assert meta3["fingerprint"] != meta1["fingerprint"]
    assert sorted(m["seed"] for m in cached_metadata(spec)) == [3, 4]


def test_bf16_precision_trains(tmp_path):
    spec = ReferenceSpec(name="bf16", architecture="mlp-vae", tier="quick", dataset="digits",
                         model={"latent_dim": 4, "hidden": [32]}, training={"epochs": 2, "batch_size": 128, "precision": "bf16"})
    model, meta = train_reference(spec)
    assert meta["precision"] == "bf16" and np.isfinite(meta["final"]["loss"])
    assert next(model.parameters()).dtype == torch.float32  # autocast: the weights stay fp32


# ------------------------------------------------------------------------------------------ seeds through the CLI
def test_train_seeds_and_list_models(tiny_spec_dir, capsys):
    assert main(["train", "tiny", "--seed", "0", "1", "--device", "cpu", "--quiet", "--specs", tiny_spec_dir]) == 0
    out = capsys.readouterr().out
    metas = sorted(cached_metadata(get_reference_spec("tiny")), key=lambda m: m["seed"])
    assert [m["seed"] for m in metas] == [0, 1]
    assert metas[0]["fingerprint"] != metas[1]["fingerprint"]
    for m in metas:
        assert m["fingerprint"] in out
    assert main(["list", "models", "--specs", tiny_spec_dir]) == 0
    listing = capsys.readouterr().out
    line = next(l for l in listing.splitlines() if l.startswith("ref:tiny "))
    for m in metas:
        assert f"seed {m['seed']}: " in line and m["fingerprint"][:8] in line and "on cpu" in line


def test_cli_check_of_a_reference_uses_its_own_draw(tmp_path, capsys):
    # a reference trained on a 300-image shapes draw is checked on that draw, so the smoke run's tasks
    # run on rows it held out (the default 20,000-image draw would skip them all)
    folder = tmp_path / "specs" / "reference_models"
    folder.mkdir(parents=True)
    (tmp_path / "specs" / "tasks").mkdir()
    (folder / "tiny-shapes.toml").write_text(textwrap.dedent("""
        name = "tiny-shapes"
        architecture = "conv-vae"
        tier = "quick"
        dataset = "shapes"
        [dataset_params]
        n = 300
        [model]
        latent_dim = 3
        objective = "vae"
        [training]
        batch_size = 64
        epochs = 1
        seed = 0
    """))
    assert main(["check", "ref:tiny-shapes", "--quiet", "--specs", str(tmp_path / "specs")]) == 0
    out = capsys.readouterr().out
    assert "checked on 'shapes[n=300]'" in out
    assert "ran collapse/shapes[n=300], likelihood/shapes[n=300], reconstruction/shapes[n=300]" in out
