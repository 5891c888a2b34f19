"""Reading untrusted files and writing inside a folder.

Everything latentbench reads from a user's file goes through here: ``.npy`` and ``.npz`` arrays are
read without pickle (``allow_pickle=False``) after their headers are checked, so a crafted file can
neither run code nor make latentbench allocate more memory than :func:`max_array_bytes` allows
(a 1.5 MB ``.npz`` can declare gigabytes of zeros). Names that become file names are checked
against a safe character set (:func:`check_safe_name`) and every path written is checked to stay
inside its folder (:func:`inside`); :func:`atomic_write_text` writes a file whole or not at all.

The size limit
--------------
``LATENTBENCH_MAX_ARRAY_BYTES`` (default 1 GiB, :data:`DEFAULT_MAX_ARRAY_BYTES`) caps the bytes a
``.npy`` file or all the arrays of one ``.npz`` file may expand to in memory. It is checked on the
sizes the file declares (zip member sizes and array headers) before anything is decompressed; raise
it to load larger files.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from .exceptions import InputValidationError, ResourceLimitError

__all__ = ["DEFAULT_MAX_ARRAY_BYTES", "atomic_write_text", "check_safe_name", "inside", "max_array_bytes", "read_npy", "read_npz"]

#: Default cap on the memory one ``.npy``/``.npz`` file may expand to (``LATENTBENCH_MAX_ARRAY_BYTES`` overrides it).
DEFAULT_MAX_ARRAY_BYTES = 1024**3

_MAGIC = b"\x93NUMPY"


def max_array_bytes() -> int:
    """The size limit in bytes: ``$LATENTBENCH_MAX_ARRAY_BYTES`` or :data:`DEFAULT_MAX_ARRAY_BYTES`."""
    raw = os.environ.get("LATENTBENCH_MAX_ARRAY_BYTES")
    if raw is None:
        return DEFAULT_MAX_ARRAY_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 1:
        raise InputValidationError(f"LATENTBENCH_MAX_ARRAY_BYTES must be a positive integer (bytes), got {raw!r}")
    return value


def _too_big(path: Path, nbytes: int, limit: int, what: str) -> ResourceLimitError:
    return ResourceLimitError(
        f"{path}: {what} would take {nbytes / 1024**2:,.1f} MiB in memory, more than the limit of {limit / 1024**2:,.0f} MiB; "
        f"if you trust the file, raise LATENTBENCH_MAX_ARRAY_BYTES (bytes)")


def _read_header(f: IO[bytes], path: Path, member: str | None) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a ``.npy`` header, refusing object (pickled) arrays."""
    where = f"{path}" + (f" (array {member!r})" if member else "")
    magic = f.read(len(_MAGIC))
    f.seek(0)
    if magic != _MAGIC:
        raise InputValidationError(f"{where}: not a NumPy .npy array (no NumPy header); save arrays with numpy.save or numpy.savez")
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):  # 3.0 is 2.0 with a UTF-8 header
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unknown .npy format version {version}")
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise InputValidationError(f"{where}: damaged .npy header ({exc}); save the array again with numpy.save") from None
    if dtype.hasobject:
        raise InputValidationError(f"{where}: holds Python objects (dtype {dtype}), which would need pickle; latentbench "
                                   f"never unpickles files: save numeric or string arrays")
    return tuple(int(s) for s in shape), bool(fortran), dtype


def _nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    return math.prod(shape) * dtype.itemsize


def _read_array(f: IO[bytes], path: Path, member: str | None) -> np.ndarray:
    try:
        return np.lib.format.read_array(f, allow_pickle=False)
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        where = f"{path}" + (f" (array {member!r})" if member else "")
        raise InputValidationError(f"{where}: damaged or truncated array data ({type(exc).__name__}: {exc}); "
                                   f"save it again with numpy.save/numpy.savez") from None


def read_npy(path: str | Path) -> np.ndarray:
    """One array from a ``.npy`` file, without pickle, after checking its header against the size limit.

    Raises
    ------
    InputValidationError
        A file that is not a ``.npy`` array, holds objects, or is truncated.
    ResourceLimitError
        An array larger than :func:`max_array_bytes`.
    """
    path = Path(path)
    limit = max_array_bytes()
    try:
        with open(path, "rb") as f:
            shape, _, dtype = _read_header(f, path, None)
            nbytes = _nbytes(shape, dtype)
            if nbytes > limit:
                raise _too_big(path, nbytes, limit, f"the array of shape {shape} and dtype {dtype}")
            if nbytes > os.fstat(f.fileno()).st_size:
                raise InputValidationError(f"{path}: its header declares shape {shape} and dtype {dtype}, more data than the "
                                           f"file holds; the file is truncated or damaged")
            f.seek(0)
            return _read_array(f, path, None)
    except OSError as exc:
        raise InputValidationError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` file, without pickle, after checking the declared sizes.

    The zip directory's uncompressed member sizes and each array's header are checked against
    :func:`max_array_bytes` (all members together) before any member is decompressed.

    Raises
    ------
    InputValidationError
        A file that is not a zip of ``.npy`` arrays (empty, truncated, another format), an array
        holding objects, or a member whose header does not match its size.
    ResourceLimitError
        Arrays that would take more than :func:`max_array_bytes`.
    """
    path = Path(path)
    limit = max_array_bytes()
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        size = path.stat().st_size if path.exists() else 0
        what = "the file is empty" if size == 0 else "not a zip archive (or a truncated one)"
        raise InputValidationError(f"cannot read {str(path)!r} as .npz: {what}; save the arrays with numpy.savez") from None
    except OSError as exc:
        raise InputValidationError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        declared = sum(i.file_size for i in infos)
        if declared > limit:
            raise _too_big(path, declared, limit, f"its {len(infos)} arrays")
        out: dict[str, np.ndarray] = {}
        for info in infos:
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            try:
                with zf.open(info) as f:
                    shape, _, dtype = _read_header(f, path, key)
                    if _nbytes(shape, dtype) > info.file_size:  # the header claims more data than the member holds
                        raise InputValidationError(f"{path} (array {key!r}): its header declares shape {shape} and dtype {dtype}, "
                                                   f"more than the {info.file_size} bytes stored; the file is damaged")
                with zf.open(info) as f:
                    out[key] = _read_array(f, path, key)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                raise InputValidationError(f"{path} (array {key!r}): damaged archive member ({type(exc).__name__}: {exc}); "
                                           f"save the arrays again with numpy.savez") from None
        return out


# --------------------------------------------------------------------------------------------- names and paths
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def check_safe_name(name: Any, what: str, *, allow_slash: bool = False) -> str:
    """``name`` if it is a safe file-name component, else :class:`InputValidationError`.

    Safe: a string of letters, digits, ``.``, ``_``, ``+`` and ``-``, starting with a letter or
    digit, at most 200 characters (``/``-separated parts of such strings with ``allow_slash``,
    none of them ``.`` or ``..``).
    """
    allowed = "letters, digits, '.', '_', '+' and '-', starting with a letter or digit" + (
        ", in '/'-separated parts" if allow_slash else "")
    if not isinstance(name, str):
        raise InputValidationError(f"{what} must be a string ({allowed}), got {name!r}")
    parts = name.split("/") if allow_slash else [name]
    if len(name) > 200 or not all(_SAFE_NAME.match(p) and p not in (".", "..") for p in parts):
        raise InputValidationError(f"{what} {name!r} is not a safe name: use only {allowed} (at most 200 characters)")
    return name


def inside(folder: str | Path, path: str | Path) -> Path:
    """``path`` resolved, if it lies inside ``folder`` (resolved too), else :class:`InputValidationError`."""
    root = Path(folder).resolve()
    target = Path(path).resolve()
    if target != root and root not in target.parents:
        raise InputValidationError(f"refusing to write {str(path)!r}: it lies outside {str(root)!r}")
    return target


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file beside it, then a rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
