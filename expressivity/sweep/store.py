"""The on-disk store: one ``.npz`` file per cell, written atomically, verified on read.

A cell file holds the result arrays of one call plus a ``__meta__`` JSON record: the
function, the parameters, the fixed keyword arguments (canonical form), the package version,
the time taken, and a SHA-256 checksum of the arrays. Files are written to a temporary name
in the same directory, flushed and fsync'ed, then renamed over the final name with
``os.replace`` (atomic on POSIX and Windows), so a crash leaves either the old state or the
complete new file, never half of one. Reading re-derives the checksum and compares
parameters; anything that does not match raises :class:`CorruptCell` so the caller
recomputes instead of using it.

The file name is a hash of (function, parameters, fixed arguments), so different sweeps can
share one directory, and growing a grid reuses the cells already computed. The package
version is recorded but not part of the key: upgrading does not discard results (start a new
directory to recompute).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pickle
import socket
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

META = "__meta__"
SUFFIX = ".npz"
_ALLOWED_KINDS = "biufcUS"


class CorruptCell(Exception):
    """A cell file exists but is partial, damaged, or belongs to other parameters."""


def function_id(fn: Callable) -> str:
    """``"module:qualname"`` of a function (the part of the key that names it).

    A function of a script run as ``python path/name.py`` (module ``__main__``) is named
    ``name:...`` (or the ``-m`` module name), so ``import name`` later finds the same cells.
    """
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    if module == "__main__":
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        if spec is not None and getattr(spec, "name", None) and spec.name != "__main__":
            module = spec.name
        elif getattr(main, "__file__", None):
            module = Path(main.__file__).stem
    return f"{module}:{qualname}"


def canonical(value: Any) -> Any:
    """A JSON-able, deterministic stand-in for ``value`` (used in keys and metadata).

    Scalars and strings stand for themselves; arrays by dtype, shape and SHA-256 of their
    bytes; functions by ``module:qualname``; dataclasses by their fields; other objects by
    ``repr`` unless it contains a memory address, then by a hash of their pickle.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return canonical(value.item())
    if isinstance(value, complex):
        return {"complex": [canonical(value.real), canonical(value.imag)]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            return {"ndarray_pickle": _pickle_hash(value)}
        arr = _contiguous(value)
        return {"ndarray": [arr.dtype.str, list(arr.shape), hashlib.sha256(arr.tobytes()).hexdigest()]}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if callable(value) and hasattr(value, "__qualname__"):
        return {"function": function_id(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {type(value).__qualname__: {f.name: canonical(getattr(value, f.name))
                                           for f in dataclasses.fields(value)}}
    text = repr(value)
    if " at 0x" in text:
        return {"pickle": _pickle_hash(value)}
    return {"repr": text}


def _contiguous(arr: np.ndarray) -> np.ndarray:
    """C-contiguous view or copy that keeps 0-d arrays 0-d (unlike np.ascontiguousarray)."""
    arr = np.asarray(arr)
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _pickle_hash(value: Any) -> str:
    return hashlib.sha256(pickle.dumps(value, protocol=4)).hexdigest()


def cell_key(fn_id: str, params: Mapping[str, Any], fixed_canonical: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the function, the cell's parameters and the fixed arguments."""
    payload = json.dumps({"fn": fn_id, "params": canonical(dict(params)), "fixed": fixed_canonical},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


def checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over every field's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = _contiguous(arrays[name])
        h.update(json.dumps([name, arr.dtype.str, list(arr.shape)]).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def as_fields(result: Any) -> dict[str, np.ndarray]:
    """Turn what a sweep function returned into ``{field: ndarray}``.

    Accepts a mapping, a dataclass, a namedtuple, or a bare scalar/array (field ``"value"``).
    Raises ``TypeError`` naming the field whose value is not numeric, bool or string.
    """
    if isinstance(result, Mapping):
        items = dict(result)
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        items = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    elif isinstance(result, tuple) and hasattr(result, "_asdict"):
        items = result._asdict()
    else:
        items = {"value": result}
    out = {}
    for name, value in items.items():
        if not isinstance(name, str) or not name or name.startswith("__") or "/" in name:
            raise ValueError(f"result field name {name!r} must be a non-empty string without '/' "
                             "that does not start with '__'")
        arr = np.asarray(value)
        if arr.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(f"result field {name!r} has dtype {arr.dtype} ({type(value).__name__}); "
                            "fields must be numbers, bools or strings (scalars or arrays)")
        out[name] = arr
    return out


class Store:
    """A directory of cell files.

    Parameters
    ----------
    path : str or path-like
        Directory (created on first write).
    fsync : bool
        Flush each file to disk before renaming it into place (default True; survives power
        loss, costs a little per cell).
    """

    def __init__(self, path: str | os.PathLike, fsync: bool = True):
        self.path = Path(path)
        self.fsync = bool(fsync)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def file(self, key: str) -> Path:
        return self.path / f"{key}{SUFFIX}"

    def exists(self, key: str) -> bool:
        return self.file(key).exists()

    def write(self, key: str, fields: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Path:
        """Write one cell atomically (temporary file, fsync, ``os.replace``)."""
        self.path.mkdir(parents=True, exist_ok=True)
        meta = dict(meta, key=key, fields=sorted(fields), checksum=checksum(fields))
        payload = {name: _contiguous(arr) for name, arr in fields.items()}
        payload[META] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        final = self.file(key)
        tmp = self.path / f".{key}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, **payload)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()
        return final

    def read(self, key: str, params: Mapping[str, Any] | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Return ``(fields, meta)`` of a cell; raise :class:`CorruptCell` unless it verifies.

        Raises ``FileNotFoundError`` if the cell was never written. Verification: the archive
        opens and every member passes its CRC, the metadata parses, its key (and ``params``
        if given) match, the field list matches, and the SHA-256 checksum matches.
        """
        path = self.file(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise CorruptCell(f"{path}: unreadable ({exc})") from exc
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            meta = json.loads(arrays.pop(META).tobytes().decode())
        except (zipfile.BadZipFile, ValueError, KeyError, EOFError, OSError, UnicodeDecodeError,
                zipfile.LargeZipFile, RuntimeError) as exc:
            raise CorruptCell(f"{path}: not a complete cell file ({type(exc).__name__}: {exc})") from exc
        if not isinstance(meta, dict) or meta.get("key") != key:
            other = meta.get("key") if isinstance(meta, dict) else None
            raise CorruptCell(f"{path}: belongs to another cell (key {other!r})")
        if params is not None and meta.get("params") != canonical(dict(params)):
            raise CorruptCell(f"{path}: records parameters {meta.get('params')!r}, expected {dict(params)!r}")
        if sorted(arrays) != meta.get("fields"):
            raise CorruptCell(f"{path}: fields {sorted(arrays)} differ from recorded {meta.get('fields')}")
        if checksum(arrays) != meta.get("checksum"):
            raise CorruptCell(f"{path}: checksum mismatch (damaged contents)")
        return arrays, meta

    def keys(self) -> list[str]:
        """Keys of every cell file present (verified or not)."""
        if not self.path.is_dir():
            return []
        return sorted(p.name[: -len(SUFFIX)] for p in self.path.glob(f"*{SUFFIX}")
                      if not p.name.startswith("."))

    def remove_stale_temporaries(self) -> int:
        """Delete temporary files left by dead writers on this host; return how many."""
        if not self.path.is_dir():
            return 0
        host, removed = socket.gethostname(), 0
        for tmp in self.path.glob(".*.tmp"):
            parts = tmp.name.split(".")
            # .<key>.<host>.<pid>.<rand>.tmp ; host may itself contain dots
            try:
                pid = int(parts[-3])
                tmp_host = ".".join(parts[2:-3])
            except (ValueError, IndexError):
                continue
            if tmp_host == host and not _alive(pid):
                try:
                    tmp.unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
