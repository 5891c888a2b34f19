"""Reference-model specs and the checkpoint cache: names that become paths are safe and every write
stays in the cache, the JSON sidecar is written atomically and a damaged one is a cache miss, and
spec fields of the wrong type fail at load time in one line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from latentbench.cli import main
from latentbench.exceptions import InputValidationError, SpecError
from latentbench.models import zoo
from latentbench.models.zoo import ReferenceSpec, checkpoint_dir, list_reference_models, load_reference, train_reference
from latentbench.specs import add_spec_dir

TINY = dict(architecture="ppca", tier="quick", dataset="digits", model={"latent_dim": 2}, training={"seed": 0})


def _spec_dir(tmp_path: Path, body: str) -> str:
    folder = tmp_path / "specs" / "reference_models"
    folder.mkdir(parents=True)
    (folder / "r.toml").write_text(textwrap.dedent(body))
    return str(tmp_path / "specs")


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".hidden", "x y", "x\\y"])
def test_a_name_that_would_escape_the_cache_is_refused(tmp_path, name):
    spec = ReferenceSpec(name=name, **TINY)
    with pytest.raises(SpecError, match=r"reference model name .* is not a safe name: use only letters, digits"):
        train_reference(spec)
    assert not checkpoint_dir().exists() or not any(checkpoint_dir().iterdir())


def test_train_from_a_traversing_spec_writes_nothing_outside(tmp_path, capsys, monkeypatch):
    target = tmp_path / "outside"
    specs = _spec_dir(tmp_path, f'''
        name = "../../../../../../../../{str(target).lstrip("/")}"
        architecture = "ppca"
        tier = "quick"
        dataset = "digits"
        [model]
        latent_dim = 2
    ''')
    assert main(["train", "anything", "--specs", specs, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and "is not a safe name" in err, err
    assert not list(tmp_path.glob("outside*"))


def test_paths_stay_inside_the_cache(monkeypatch):
    spec = ReferenceSpec(name="ok", **TINY)
    ckpt, meta = zoo._paths(spec, 3)
    assert ckpt.parent == meta.parent == checkpoint_dir().resolve()
    object.__setattr__(spec, "name", "../escape")  # a spec mutated after validation
    with pytest.raises(InputValidationError, match="is not a safe name"):
        zoo._paths(spec, 3)
    with pytest.raises(InputValidationError, match=r"'training seed' must be an integer in \[0, 2\*\*32\), got -1"):
        zoo._paths(ReferenceSpec(name="ok", **TINY), -1)


def test_the_sidecar_is_written_atomically(monkeypatch):
    spec = ReferenceSpec(name="atomic", **TINY)
    writes = []
    real = Path.write_text

    def spy(self, *a, **k):
        writes.append(self.name)
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", spy)
    _, meta = train_reference(spec)
    ckpt, meta_path = zoo._paths(spec, 0)
    assert meta_path.name not in writes  # never written in place: a temporary file, then a rename
    assert json.loads(meta_path.read_text())["fingerprint"] == meta["fingerprint"]
    assert sorted(p.name for p in checkpoint_dir().iterdir()) == sorted([ckpt.name, meta_path.name])  # no temporary left


@pytest.mark.parametrize("damage", ["", "{\"name\": \"atomic\", \"seed\"", "[1, 2]", "\xff\xfe"])
def test_a_damaged_sidecar_is_a_cache_miss(damage, monkeypatch):
    spec = ReferenceSpec(name="damaged", **TINY)
    monkeypatch.setattr(zoo, "get_reference_spec", lambda name: spec)
    _, meta = train_reference(spec)
    ckpt, meta_path = zoo._paths(spec, 0)
    meta_path.write_bytes(damage.encode("latin-1"))  # a crash between the .pt and its JSON, or a disk fault
    assert zoo.cached_metadata(spec) == []
    with pytest.raises(SpecError, match=r"is not trained yet"):  # train=False: a miss, said as such
        load_reference("damaged", train=False)
    _, again = load_reference("damaged")  # retrained, not "unexpected JSONDecodeError" forever
    assert again["fingerprint"] == meta["fingerprint"]
    assert json.loads(meta_path.read_text())["fingerprint"] == meta["fingerprint"]


@pytest.mark.parametrize("section, line, message", [
    ("[model]", 'latent_dim = "ten"', r"\[model\] latent_dim must be a positive integer, got 'ten'"),
    ("[model]", "latent_dim = 0", r"\[model\] latent_dim must be a positive integer, got 0"),
    ("[model]", "widgets = 3", r"unknown \[model\] keys \['widgets'\] for architecture 'mlp-vae'"),
    ("[model]", "hidden = 64", r"\[model\] hidden must be a non-empty list of positive integers, got 64"),
    ("[model]", "beta = -1.0", r"\[model\] beta must be a finite number >= 0"),
    ("[model]", 'likelihood = "poisson"', r"\[model\] likelihood must be one of \['gaussian', 'bernoulli'\]"),
    ("[training]", 'lr = "fast"', r"\[training\] lr must be a finite number > 0, got 'fast'"),
    ("[training]", "lr = nan", r"\[training\] lr must be a finite number > 0, got nan"),
    ("[training]", "seed = -1", r"\[training\] seed must be an integer in \[0, 2\*\*32\), got -1"),
    ("[training]", "betas = [0.9]", r"\[training\] betas must be a list of two numbers in \[0, 1\)"),
])
def test_reference_spec_fields_are_checked_at_load_time(tmp_path, capsys, section, line, message):
    specs = _spec_dir(tmp_path, f'''
        name = "r"
        architecture = "mlp-vae"
        tier = "quick"
        dataset = "digits"
        {section}
        {line}
    ''')
    add_spec_dir(specs)
    with pytest.raises(SpecError, match=message):
        list_reference_models()
    for argv in (["list", "models"], ["train", "r"]):
        assert main([*argv, "--specs", specs, "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.splitlines() == [err] and err.startswith("latentbench: error: ") and "r.toml" in err, err


@pytest.mark.parametrize("line, message", [("name = 42", r"name must be a string, got 42"),
                                           ('description = ["x"]', r"description must be a string"),
                                           ("model = 5", r"\[model\] must be a table")])
def test_reference_spec_top_level_types(tmp_path, line, message):
    body = {"name": 'name = "r"', "architecture": 'architecture = "ppca"', "tier": 'tier = "quick"', "dataset": 'dataset = "digits"'}
    key = line.split(" ")[0]
    body[key] = line
    specs = _spec_dir(tmp_path, "\n".join(body.values()) + "\n")
    add_spec_dir(specs)
    with pytest.raises(SpecError, match=message):
        list_reference_models()


def test_shipped_reference_specs_still_load():
    assert len(list_reference_models()) >= 16
