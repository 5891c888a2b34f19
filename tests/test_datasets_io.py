"""Tests of datasets from files (``load_npz``) and of the shipped digits datasets."""

from __future__ import annotations

import numpy as np
import pytest

from latentbench.data import load_dataset
from latentbench.data.base import Dataset, make_splits
from latentbench.data.loaders import load_digits, load_digits_binary, load_npz
from latentbench.exceptions import InputValidationError


def _arrays(n=40, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)).astype(np.float32), rng.integers(0, 3, n)


# ------------------------------------------------------------------------------------------ load_npz
def test_load_npz_with_labels_and_split(tmp_path):
    x, labels = _arrays()
    split = np.array(["train"] * 30 + ["test"] * 7 + ["val"] * 3)
    np.random.default_rng(1).shuffle(split)
    path = tmp_path / "mine.npz"
    np.savez(path, x=x, labels=labels, split=split)
    d = load_npz(path)
    assert d.name == "mine" and len(d) == 40 and d.obs_shape == (6,) and d.n_features == 6
    assert d.kind == "unit" and d.storage == "float"
    np.testing.assert_array_equal(d.get_x(), x)
    np.testing.assert_array_equal(d.labels, labels)
    assert d.labels.dtype == np.int64
    assert d.fields == frozenset({"labels"})
    assert sorted(d.splits) == ["test", "train", "val"]
    for name in ("train", "test", "val"):
        np.testing.assert_array_equal(d.split(name), np.nonzero(split == name)[0])
    np.testing.assert_array_equal(d.field("labels", "test"), labels[split == "test"])
    assert d.metadata["source"] == str(path)


def test_load_npz_without_split_makes_a_seeded_split(tmp_path):
    x, _ = _arrays(n=50)
    path = tmp_path / "a.npz"
    np.savez(path, x=x)
    d = load_npz(path, seed=3, test_fraction=0.2)
    assert len(d.split("test")) == 10 and len(d.split("train")) == 40
    ref = make_splits(50, seed=3, test_fraction=0.2)
    np.testing.assert_array_equal(d.split("test"), ref["test"])
    assert not np.array_equal(load_npz(path, seed=4).split("test"), d.split("test"))
    np.testing.assert_array_equal(load_npz(path, seed=3).split("test"), d.split("test"))


def test_load_npz_images_binary_uint8_and_real(tmp_path):
    imgs = (np.random.default_rng(0).random((5, 1, 4, 4)) > 0.5).astype(np.float32)
    np.savez(tmp_path / "bin.npz", x=imgs)
    d = load_npz(tmp_path / "bin.npz")
    assert d.kind == "binary" and d.obs_shape == (1, 4, 4) and d.get_x(flat=True).shape == (5, 16)

    u8 = np.arange(5 * 16, dtype=np.uint8).reshape(5, 16) * 3
    np.savez(tmp_path / "u8.npz", x=u8)
    d = load_npz(tmp_path / "u8.npz")
    assert d.kind == "unit" and d.storage == "uint8"
    np.testing.assert_allclose(d.get_x(), u8 / 255.0, rtol=1e-6)

    np.savez(tmp_path / "real.npz", x=np.linspace(-3, 3, 20).reshape(5, 4))
    assert load_npz(tmp_path / "real.npz").kind == "real"


def test_load_npz_with_factors(tmp_path):
    x, _ = _arrays(n=12)
    factors = np.stack([np.arange(12) % 3, np.arange(12) % 2], axis=1)
    np.savez(tmp_path / "f.npz", x=x, factors=factors, factor_sizes=np.array([3, 2]), factor_names=np.array(["a", "b"]))
    d = load_npz(tmp_path / "f.npz")
    assert d.factor_names == ("a", "b") and d.factor_sizes == (3, 2)
    np.testing.assert_array_equal(d.factors, factors)


def test_load_npz_missing_x(tmp_path):
    path = tmp_path / "nox.npz"
    np.savez(path, labels=np.arange(3))
    with pytest.raises(InputValidationError, match="no array 'x'") as info:
        load_npz(path)
    assert "np.savez(path, x=" in str(info.value)


def test_load_npz_mismatched_label_length(tmp_path):
    x, _ = _arrays(n=10)
    path = tmp_path / "bad.npz"
    np.savez(path, x=x, labels=np.arange(9))
    with pytest.raises(InputValidationError, match=r"'labels' has 9 rows but x has 10"):
        load_npz(path)


def test_load_npz_mismatched_split_length(tmp_path):
    x, _ = _arrays(n=10)
    np.savez(tmp_path / "bad.npz", x=x, split=np.array(["test"] * 4))
    with pytest.raises(InputValidationError, match=r"'split' has 4 rows but x has 10"):
        load_npz(tmp_path / "bad.npz")


def test_load_npz_without_test_split(tmp_path):
    x, _ = _arrays(n=10)
    path = tmp_path / "notest.npz"
    np.savez(path, x=x, split=np.array(["train"] * 8 + ["val"] * 2))
    with pytest.raises(InputValidationError) as info:
        load_npz(path)
    assert "no 'test' split" in str(info.value)


def test_npz_split_names_are_plain_strings(tmp_path):
    x, _ = _arrays(n=10)
    np.savez(tmp_path / "notest.npz", x=x, split=np.array(["train"] * 8 + ["val"] * 2))
    with pytest.raises(InputValidationError) as info:
        load_npz(tmp_path / "notest.npz")
    assert "names ['train', 'val'] but no 'test' split" in str(info.value)
    np.savez(tmp_path / "ok.npz", x=x, split=np.array(["train"] * 8 + ["test"] * 2))
    d = load_npz(tmp_path / "ok.npz")
    assert all(type(k) is str for k in d.splits)


def test_load_npz_other_errors(tmp_path):
    with pytest.raises(InputValidationError, match="does not exist"):
        load_npz(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(InputValidationError, match="cannot read"):
        load_npz(tmp_path / "junk.npz")
    x, _ = _arrays(n=4)
    np.savez(tmp_path / "extra.npz", x=x, lables=np.arange(4))
    with pytest.raises(InputValidationError, match=r"unknown arrays \['lables'\]"):
        load_npz(tmp_path / "extra.npz")
    np.savez(tmp_path / "flat.npz", x=np.arange(5.0))
    with pytest.raises(InputValidationError, match="one row per sample"):
        load_npz(tmp_path / "flat.npz")
    bad = x.copy()
    bad[2, 1] = np.nan
    np.savez(tmp_path / "nan.npz", x=bad)
    with pytest.raises(InputValidationError, match="NaN"):
        load_npz(tmp_path / "nan.npz")


def test_npz_fingerprint_is_content_based(tmp_path):
    x, labels = _arrays()
    np.savez(tmp_path / "a.npz", x=x, labels=labels)
    np.savez(tmp_path / "b.npz", x=x, labels=labels)  # same content, another file
    fa = load_npz(tmp_path / "a.npz").fingerprint
    assert len(fa) == 16 and int(fa, 16) >= 0
    assert load_npz(tmp_path / "b.npz").fingerprint == fa
    assert load_npz(tmp_path / "a.npz").fingerprint == fa  # stable

    x2 = x.copy()
    x2[17, 3] += 1e-3
    np.savez(tmp_path / "c.npz", x=x2, labels=labels)
    assert load_npz(tmp_path / "c.npz").fingerprint != fa
    labels2 = labels.copy()
    labels2[0] = (labels2[0] + 1) % 3
    np.savez(tmp_path / "d.npz", x=x, labels=labels2)
    assert load_npz(tmp_path / "d.npz").fingerprint != fa
    np.savez(tmp_path / "e.npz", x=x)  # without labels
    assert load_npz(tmp_path / "e.npz").fingerprint != fa


def test_npz_split_fingerprints(tmp_path):
    x, _ = _arrays()
    np.savez(tmp_path / "a.npz", x=x)
    d0, d1 = load_npz(tmp_path / "a.npz", seed=0), load_npz(tmp_path / "a.npz", seed=1)
    assert d0.fingerprint != d1.fingerprint  # same arrays, other split assignment: another dataset
    assert d0.split_fingerprint("test") != d1.split_fingerprint("test")  # other rows
    assert d0.split_fingerprint("test") != d0.split_fingerprint("train")
    assert d0.split_fingerprint("test") == load_npz(tmp_path / "a.npz", seed=0).split_fingerprint("test")


def test_load_dataset_with_an_npz_path(tmp_path):
    x, labels = _arrays()
    path = tmp_path / "mine.npz"
    np.savez(path, x=x, labels=labels)
    d = load_dataset(str(path))
    assert d.name == "mine" and len(d) == 40 and d is load_dataset(str(path))  # cached per process
    np.testing.assert_array_equal(d.labels, labels)


# ------------------------------------------------------------------------------------------ Dataset
def test_dataset_validation():
    with pytest.raises(InputValidationError, match="inconsistent numbers of samples"):
        Dataset("t", x=np.zeros((4, 2)), obs_shape=(2,), labels=np.zeros(3))
    with pytest.raises(InputValidationError, match="rows outside"):
        Dataset("t", x=np.zeros((4, 2)), obs_shape=(2,), splits={"test": np.array([4])})
    d = Dataset("t", x=np.zeros((4, 2)), obs_shape=(2,))
    with pytest.raises(InputValidationError, match=r"has no split 'val'; it has \['test', 'train'\]"):
        d.split("val")
    with pytest.raises(InputValidationError, match="has no 'labels'"):
        d.field("labels")
    assert d.missing(["labels", "factors"]) == ["labels", "factors"]


def test_make_splits():
    s = make_splits(101, seed=0, test_fraction=0.1)
    assert len(s["test"]) == 10 and len(s["train"]) == 91
    assert np.all(np.diff(s["test"]) > 0) and np.all(np.diff(s["train"]) > 0)
    np.testing.assert_array_equal(np.sort(np.concatenate([s["test"], s["train"]])), np.arange(101))
    with pytest.raises(InputValidationError, match="test_fraction"):
        make_splits(10, test_fraction=1.0)


# ------------------------------------------------------------------------------------------ digits
def test_digits():
    d = load_dataset("digits")
    assert d.name == "digits" and len(d) == 1797
    assert d.x.shape == (1797, 1, 8, 8) and d.obs_shape == (1, 8, 8) and d.n_features == 64
    assert d.kind == "unit" and d.storage == "float"
    x = d.get_x()
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.unique(x * 16), np.arange(17))  # pixel values 0..16 divided by 16
    assert d.labels.dtype == np.int64 and sorted(np.unique(d.labels)) == list(range(10))
    assert d.fields == frozenset({"labels"})
    assert d.metadata["n_classes"] == 10


@pytest.mark.parametrize("name", ["digits", "digits-binary"])
def test_digits_splits_are_disjoint_and_cover_all_rows(name):
    d = load_dataset(name)
    train, test = d.split("train"), d.split("test")
    assert sorted(d.splits) == ["test", "train"]
    assert len(test) == 359 and len(train) == 1438  # test_fraction 0.2
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(1797))
    assert d.split_fingerprint("train") != d.split_fingerprint("test")
    assert len(d.split_fingerprint("test")) == 16


def test_digits_binary():
    d, b = load_dataset("digits"), load_dataset("digits-binary")
    assert b.kind == "binary" and b.x.shape == d.x.shape and b.obs_shape == (1, 8, 8)
    xb = b.get_x()
    assert set(np.unique(xb).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(xb, (d.get_x() > 0.5).astype(np.float32))  # pixel > 8 of 16
    np.testing.assert_array_equal(b.labels, d.labels)
    for s in ("train", "test"):
        np.testing.assert_array_equal(b.split(s), d.split(s))  # the same held-out rows
    assert 0.2 < xb.mean() < 0.5
    assert b.fingerprint != d.fingerprint
    assert b.split_fingerprint("test") != d.split_fingerprint("test")


def test_digits_fingerprints_depend_on_parameters():
    d0, d1 = load_digits(seed=0), load_digits(seed=1)
    assert d0.fingerprint == load_digits(seed=0).fingerprint
    assert d0.fingerprint != d1.fingerprint
    assert d0.split_fingerprint("test") != d1.split_fingerprint("test")
    assert not np.array_equal(d0.split("test"), d1.split("test"))
    assert load_digits_binary(threshold=0.25).fingerprint != load_digits_binary().fingerprint
    assert load_digits(test_fraction=0.1).split("test").size == 180


def test_get_x_rows_and_iter_x():
    d = load_dataset("digits")
    rows = d.split("test")[:10]
    np.testing.assert_array_equal(d.get_x(rows, flat=True), d.x[rows].reshape(10, 64))
    batches = list(d.iter_x(rows, batch_size=4))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(batches), d.get_x(rows))
    desc = d.describe()
    assert desc["splits"] == {"train": 1438, "test": 359} and desc["fingerprint"] == d.fingerprint
