"""Untrusted .npy/.npz files: read without pickle, every damage named in one line, and sizes checked
against LATENTBENCH_MAX_ARRAY_BYTES before anything is decompressed."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from latentbench.adapters import PrecomputedAdapter
from latentbench.cli import main
from latentbench.data.loaders import load_npz
from latentbench.exceptions import InputValidationError, ResourceLimitError
from latentbench.safeio import DEFAULT_MAX_ARRAY_BYTES, check_safe_name, inside, read_npy, read_npz


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, z=np.arange(12.0).reshape(6, 2))
    raw = good.read_bytes()
    out = {"good": good}
    for name, data in {"truncated.npz": raw[: len(raw) // 2], "empty.npz": b"", "notzip.npz": b"hello, not a zip " * 20,
                       "garbage.npy": bytes(range(256)) * 2, "truncated.npy": _npy_bytes(np.ones((100, 4)))[:300]}.items():
        (tmp_path / name).write_bytes(data)
        out[name] = tmp_path / name
    return out


@pytest.mark.parametrize("name, message", [
    ("truncated.npz", r"as \.npz: not a zip archive \(or a truncated one\); save the arrays with numpy\.savez"),
    ("empty.npz", r"as \.npz: the file is empty"),
    ("notzip.npz", r"not a zip archive"),
])
def test_damaged_npz_files_are_named_not_reported_as_pickled(files, name, message):
    with pytest.raises(InputValidationError, match=message):
        read_npz(files[name])
    with pytest.raises(InputValidationError, match=message):  # both readers of user files go through it
        PrecomputedAdapter.from_file(files[name])
    with pytest.raises(InputValidationError, match=message):
        load_npz(files[name])


def test_garbage_and_truncated_npy(files):
    with pytest.raises(InputValidationError, match=r"not a NumPy \.npy array \(no NumPy header\)") as info:
        read_npy(files["garbage.npy"])
    assert "pickle" not in str(info.value)
    with pytest.raises(InputValidationError, match=r"more data than the file holds; the file is truncated"):
        read_npy(files["truncated.npy"])


def test_object_arrays_are_never_unpickled(tmp_path):
    arr = np.array([{"a": 1}, None], dtype=object)
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    (tmp_path / "obj.npy").write_bytes(buf.getvalue())
    with zipfile.ZipFile(tmp_path / "obj.npz", "w") as zf:
        zf.writestr("z.npy", buf.getvalue())
    for fn, path in ((read_npy, tmp_path / "obj.npy"), (read_npz, tmp_path / "obj.npz")):
        with pytest.raises(InputValidationError, match=r"holds Python objects .* never unpickles files"):
            fn(path)


def test_declared_sizes_are_checked_before_decompressing(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, z=np.zeros((1000, 1000)))  # 8 MB of zeros in about 8 kB
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv("LATENTBENCH_MAX_ARRAY_BYTES", str(4_000_000))

    def no_read(*a, **k):
        raise AssertionError("an array was decompressed before its size was checked")

    monkeypatch.setattr(np.lib.format, "read_array", no_read)
    with pytest.raises(ResourceLimitError, match=r"bomb\.npz: its 1 arrays would take 7\.6 MiB in memory, more than the "
                                                 r"limit of 4 MiB; if you trust the file, raise LATENTBENCH_MAX_ARRAY_BYTES"):
        read_npz(bomb)
    with pytest.raises(ResourceLimitError):
        PrecomputedAdapter.from_file(bomb)
    # the documented default refuses the 1.5 MB file that expanded to 1.79 GB
    assert DEFAULT_MAX_ARRAY_BYTES == 1024**3 < 1.79e9


def test_a_header_claiming_more_than_its_member_holds_is_refused(tmp_path, monkeypatch):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 1000)})
    with zipfile.ZipFile(tmp_path / "liar.npz", "w") as zf:
        zf.writestr("z.npy", header.getvalue() + b"\0" * 64)
    monkeypatch.setattr(np.lib.format, "read_array", lambda *a, **k: pytest.fail("read before the header was checked"))
    with pytest.raises(InputValidationError, match=r"header declares shape \(1000000, 1000\) .* the file is damaged"):
        read_npz(tmp_path / "liar.npz")
    (tmp_path / "liar.npy").write_bytes(header.getvalue())
    with pytest.raises(ResourceLimitError, match=r"would take 7,629\.4 MiB"):
        read_npy(tmp_path / "liar.npy")


def test_good_files_read_as_before(files):
    assert read_npz(files["good"])["z"].tolist() == np.arange(12.0).reshape(6, 2).tolist()


@pytest.mark.parametrize("name", ["truncated.npz", "empty.npz", "notzip.npz", "garbage.npy"])
def test_cli_names_the_damaged_latents_file_in_one_line(files, tmp_path, capsys, name):
    code = main(["run", str(files[name]), "--dataset", "digits", "--tasks", "reconstruction/digits", "--no-baselines",
                 "--quiet", "--store", str(tmp_path / "r.db")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err] and str(files[name]) in err, err
    assert err.startswith("latentbench: error: ") and "pickle" not in err, err


def test_safe_names_and_inside(tmp_path):
    assert check_safe_name("vae-conv_shapes.v2", "name") == "vae-conv_shapes.v2"
    assert check_safe_name("mig/shapes", "name", allow_slash=True) == "mig/shapes"
    for bad in ("../../x", "a/../b", "/abs", "", ".hidden", "a b", "x\0y", 42, "a" * 201):
        with pytest.raises(InputValidationError, match=r"name"):
            check_safe_name(bad, "name", allow_slash=True)
    assert inside(tmp_path, tmp_path / "a" / "b.pt") == (tmp_path / "a" / "b.pt").resolve()
    with pytest.raises(InputValidationError, match=r"refusing to write .* it lies outside"):
        inside(tmp_path / "cache", tmp_path / "cache" / ".." / "x.pt")


def test_a_report_export_cannot_inflate_beyond_the_limit(tmp_path, monkeypatch):
    import base64
    import json
    import zlib

    from latentbench.report.data import _decode_array

    raw = _npy_bytes(np.zeros((1000, 1000)))  # 8 MB that deflate to about 8 kB
    entry = {"name": "bomb", "npy_zlib_b64": base64.b64encode(zlib.compress(raw, 9)).decode("ascii")}
    assert len(json.dumps(entry)) < 50_000
    monkeypatch.setenv("LATENTBENCH_MAX_ARRAY_BYTES", str(1_000_000))
    with pytest.raises(ResourceLimitError, match=r"artifact 'bomb' in the export expands beyond 1000000 bytes"):
        _decode_array(entry)
    monkeypatch.delenv("LATENTBENCH_MAX_ARRAY_BYTES")
    assert _decode_array(entry).shape == (1000, 1000)
