"""The on-disk store: one ``.npz`` file per cell, written atomically, verified on read.

A cell file holds the result arrays of one call plus a ``__meta__`` JSON record: the
function, the parameters, the fixed keyword arguments (canonical form), the package version,
the time taken, and a SHA-256 checksum of the arrays. Files are written to a temporary name
in the same directory, flushed and fsync'ed, then renamed over the final name with
``os.replace`` (atomic on POSIX and Windows), so a crash leaves either the old state or the
complete new file, never half of one. Reading re-derives the checksum and compares
parameters; anything that does not match raises :class:`CorruptCell` so the caller
recomputes instead of using it. A damaged file (or a directory where a cell file belongs) is
moved aside to ``<store>/.corrupt/`` before its cell is written again, never deleted.

The file name is a hash of (function, parameters, fixed arguments), so different sweeps can
share one directory, and growing a grid reuses the cells already computed. The function
enters the key by its *content* (:func:`function_key`): its name and compiled code (not its
comments, docstring or place in the file), defaults and closure values. The same function
defined in a script, a module, a notebook or pasted into a REPL has one key; editing its code
starts new cells. Stores written before content keys (keyed by ``module:qualname``, see
:func:`canonical` with ``legacy=True``) are still found by :func:`expressivity.sweep.run`,
which moves each such cell to its new key on first use. The package version is recorded but
not part of the key: upgrading does not discard results (start a new directory to recompute).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import pickle
import re
import socket
import sys
import time
import types
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

META = "__meta__"
SUFFIX = ".npz"
CORRUPT_DIR = ".corrupt"
_ALLOWED_KINDS = "biufcUS"
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*\Z")


class CorruptCell(Exception):
    """A cell file exists but is partial, damaged, or belongs to other parameters."""


def function_id(fn: Callable) -> str:
    """``"module:qualname"`` of a function: its readable name, recorded in every cell.

    A function of a script run as ``python path/name.py`` (module ``__main__``) is named
    ``name:...`` (or the ``-m`` module name), so ``import name`` later finds the same name.
    This was the function's part of the cell key before content keys (:func:`function_key`).
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


def _const(value: Any, seen: set) -> Any:
    """A deterministic stand-in for one constant of a code object."""
    if isinstance(value, types.CodeType):
        return _code(value, seen, strip_doc=False)
    if isinstance(value, (tuple, list)):
        return [type(value).__name__, [_const(v, seen) for v in value]]
    if isinstance(value, frozenset):  # iteration order depends on PYTHONHASHSEED
        return ["frozenset", sorted(json.dumps(_const(v, seen)) for v in value)]
    return [type(value).__name__, repr(value)]


def _code(code: types.CodeType, seen: set, strip_doc: bool) -> list:
    """What a code object computes: bytecode, constants, names, signature flags. Line
    numbers, the file name and (for the top function) the docstring are left out."""
    consts = list(code.co_consts)
    if strip_doc and consts and isinstance(consts[0], str):
        consts[0] = None
    return [code.co_code.hex(), getattr(code, "co_exceptiontable", b"").hex(),
            [_const(c, seen) for c in consts], list(code.co_names), list(code.co_varnames),
            list(code.co_freevars), list(code.co_cellvars), code.co_argcount,
            code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags]


def function_key(fn: Callable, _seen: set | None = None) -> str:
    """The function's part of a cell key: ``"qualname#<hash of its content>"``.

    For a Python function the hash covers its qualified name, compiled code (bytecode,
    constants and names, including nested functions; not line numbers, file name, comments
    or its docstring), its default values and the values its closure captures. So the same
    function defined in a script, a module, a notebook or typed into a REPL gets the same
    key, and any edit of its code gives a new one. Not covered: the functions it calls and
    the module globals it reads (pass what varies as arguments), and the Python minor
    version (which compiles differently). Closure values are part of it: a closure over
    state that changes (a counter) gets new keys as it changes. A function decorated with
    ``functools.wraps`` (timing, logging, counting wrappers) is keyed by the function it
    wraps (``__wrapped__``). ``functools.partial`` objects and bound methods are keyed by
    their function and bound values; builtins, ufuncs and classes by ``module:qualname``.
    """
    seen = set() if _seen is None else _seen
    if id(fn) in seen:  # a recursive closure: the name suffices the second time
        return f"{getattr(fn, '__qualname__', type(fn).__qualname__)}#recursive"
    seen.add(id(fn))
    wrapped = getattr(fn, "__wrapped__", None)
    if wrapped is not None and callable(wrapped):  # functools.wraps: a transparent decorator
        return function_key(wrapped, seen)
    if isinstance(fn, functools.partial):
        inner = [function_key(fn.func, seen), canonical(list(fn.args), _seen=seen),
                 canonical(dict(fn.keywords), _seen=seen)]
        return f"partial#{_digest(inner)}"
    if isinstance(fn, types.MethodType):
        return f"{function_key(fn.__func__, seen)}@{_digest(canonical(fn.__self__, _seen=seen))}"
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        call = getattr(type(fn), "__call__", None)
        if not isinstance(fn, type) and isinstance(getattr(call, "__code__", None), types.CodeType):
            # an instance with a Python __call__: its method and its state
            return f"{function_key(call, seen)}@{_digest(canonical(fn, _seen=seen, as_object=True))}"
        return function_id(fn)
    qualname = getattr(fn, "__qualname__", code.co_name)
    closure = [canonical(_cell_contents(c), _seen=seen) for c in (fn.__closure__ or ())]
    content = [qualname, _code(code, seen, strip_doc=fn.__doc__ is not None),
               canonical(list(fn.__defaults__ or ()), _seen=seen),
               canonical(dict(fn.__kwdefaults__ or {}), _seen=seen), closure]
    return f"{qualname}#{_digest(content)}"


def _cell_contents(cell) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (a name assigned later in the enclosing scope)
        return None


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:20]


def canonical(value: Any, legacy: bool = False, _seen: set | None = None, as_object: bool = False) -> Any:
    """A JSON-able, deterministic stand-in for ``value`` (used in keys and metadata).

    Scalars and strings stand for themselves; arrays by dtype, shape and SHA-256 of their
    bytes; functions by :func:`function_key` (``legacy=True``: by ``module:qualname``, the key
    of stores written before content keys); dataclasses by their fields; other objects by
    ``repr`` unless it contains a memory address, then by a hash of their pickle. Raises
    ``TypeError`` for an object that has none of these (not picklable, address in its repr).
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, types.ModuleType):
        return {"module": value.__name__}
    if isinstance(value, float):
        return value if np.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return canonical(value.item(), legacy, _seen)
    if isinstance(value, complex):
        return {"complex": [canonical(value.real), canonical(value.imag)]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            return {"ndarray_pickle": _pickle_hash(value)}
        arr = _contiguous(value)
        return {"ndarray": [arr.dtype.str, list(arr.shape), hashlib.sha256(arr.tobytes()).hexdigest()]}
    if isinstance(value, (list, tuple)):
        return [canonical(v, legacy, _seen) for v in value]
    if isinstance(value, Mapping):
        return {str(k): canonical(v, legacy, _seen)
                for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if not as_object and callable(value) and hasattr(value, "__qualname__"):
        return {"function": function_id(value) if legacy else function_key(value, _seen)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {type(value).__qualname__: {f.name: canonical(getattr(value, f.name), legacy, _seen)
                                           for f in dataclasses.fields(value)}}
    if not legacy and not as_object and callable(value) and isinstance(value, functools.partial):
        return {"function": function_key(value, _seen)}
    text = repr(value)
    if " at 0x" in text:
        return {"pickle": _pickle_hash(value)}
    return {"repr": text}


def _contiguous(arr: np.ndarray) -> np.ndarray:
    """C-contiguous view or copy that keeps 0-d arrays 0-d (unlike np.ascontiguousarray)."""
    arr = np.asarray(arr)
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _pickle_hash(value: Any) -> str:
    try:
        data = pickle.dumps(value, protocol=4)
    except Exception as exc:  # noqa: BLE001 - any pickling failure means "no stable identity"
        raise TypeError(f"a {type(value).__name__} object has no stable identity for a cell key "
                        f"(its repr shows a memory address and it cannot be pickled: {exc}); pass "
                        "numbers, strings, arrays, dataclasses or picklable objects") from None
    return hashlib.sha256(data).hexdigest()


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


def _store_path(path: Any, name: str = "store") -> Path:
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a directory path (str or os.PathLike) or a sweep.Store, "
                        f"got {type(path).__name__}")
    if os.fspath(path) in ("", b""):
        raise ValueError(f"{name} must be a non-empty directory path")
    path = Path(path)
    if str(path) == "":
        raise ValueError(f"{name} must be a non-empty directory path")
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name}={str(path)!r} is a file; a store is a directory (give a new or "
                         "existing directory path)")
    return path


def check_key(key: Any) -> str:
    """A cell key: a non-empty string of letters, digits, ``_-.`` not starting with ``.``."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a string (a cell key such as cell_key(...) returns), "
                        f"got {type(key).__name__}")
    if not _KEY.match(key):
        raise ValueError(f"key={key!r} must be letters, digits, '_', '-' or '.' and not start with '.'")
    return key


class Store:
    """A directory of cell files (one verified ``.npz`` file per sweep cell).

    Parameters
    ----------
    path : str or path-like
        Directory (created on first write). It may hold the cells of several sweeps.
    fsync : bool
        Flush each file to disk before renaming it into place (default True; survives power
        loss, costs a little per cell).
    shared : bool
        Other drivers may run sweeps on this store at the same time, so cells are claimed
        before they are computed (:mod:`expressivity.sweep.claims`; default True). False
        skips the claim files: for a private, throw-away store.

    Raises
    ------
    TypeError
        ``path`` is not a str or path-like, or ``fsync`` or ``shared`` is not a bool.
    ValueError
        ``path`` is empty or names an existing file.
    """

    def __init__(self, path: str | os.PathLike, fsync: bool = True, shared: bool = True):
        self.path = _store_path(path, "path")
        for name, value in (("fsync", fsync), ("shared", shared)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
        self.fsync, self.shared = bool(fsync), bool(shared)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def file(self, key: str) -> Path:
        """Path of the cell file of ``key``."""
        return self.path / f"{check_key(key)}{SUFFIX}"

    def exists(self, key: str) -> bool:
        """Whether a file (verified or not) is present for ``key``."""
        return self.file(key).exists()

    def write(self, key: str, fields: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Path:
        """Write one cell atomically (temporary file, fsync, ``os.replace``).

        Parameters
        ----------
        key : str
            The cell key (see :func:`cell_key`).
        fields : mapping of str to array
            The result arrays (numbers, bools or strings).
        meta : mapping
            JSON-able metadata; ``key``, ``fields`` and ``checksum`` are added.

        Returns
        -------
        Path of the cell file.

        Raises
        ------
        TypeError, ValueError
            Bad ``key``, ``fields`` or ``meta``.
        OSError
            The file could not be written (a full disk, a read-only store); no partial file
            or temporary is left behind.
        """
        final = self.file(key)
        if not isinstance(fields, Mapping) or not isinstance(meta, Mapping):
            raise TypeError("fields and meta must be mappings (field name -> array; metadata)")
        fields = as_fields(dict(fields))  # numbers, bools or strings only (never pickles)
        self.path.mkdir(parents=True, exist_ok=True)
        meta = dict(meta, key=key, fields=sorted(fields), checksum=checksum(fields))
        payload = {name: _contiguous(arr) for name, arr in fields.items()}
        payload[META] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        tmp = self.path / f".{key}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, **payload)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            try:
                os.replace(tmp, final)
            except (IsADirectoryError, PermissionError, OSError) as exc:
                if not final.is_dir():
                    raise
                self.quarantine(key, f"a directory stood where the cell file belongs ({exc.strerror})")
                os.replace(tmp, final)
        finally:
            if tmp.exists():
                try:
                    tmp.unlink()
                except OSError:
                    pass
        return final

    def read(self, key: str, params: Mapping[str, Any] | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Return ``(fields, meta)`` of a cell; raise :class:`CorruptCell` unless it verifies.

        Verification: the archive opens and every member passes its CRC, the metadata
        parses, its key (and ``params`` if given) match, the field list matches, and the
        SHA-256 checksum matches.

        Parameters
        ----------
        key : str
            The cell key.
        params : mapping, optional
            The cell's parameters; the file must record exactly these.

        Returns
        -------
        (dict of str to ndarray, dict)
            The fields and the metadata record.

        Raises
        ------
        FileNotFoundError
            The cell was never written.
        CorruptCell
            Anything else is wrong with it (partial, damaged, unreadable, a directory, the
            file of another cell).
        """
        path = self.file(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            what = "a directory, not a cell file" if path.is_dir() else f"unreadable ({exc})"
            raise CorruptCell(f"{path}: {what}") from exc
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            meta = json.loads(arrays.pop(META).tobytes().decode())
        except (zipfile.BadZipFile, ValueError, KeyError, EOFError, OSError, UnicodeDecodeError,
                zipfile.LargeZipFile, RuntimeError, AttributeError) as exc:
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

    def quarantine(self, key: str, reason: str = "") -> Path | None:
        """Move the (damaged) file or directory of ``key`` to ``<store>/.corrupt/``; return
        its new path (None if nothing was there). Nothing is deleted: inspect or remove
        ``.corrupt/`` by hand."""
        src = self.file(key)
        if not os.path.lexists(src):
            return None
        dest_dir = self.path / CORRUPT_DIR
        dest_dir.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        dest = dest_dir / f"{key}{SUFFIX}.{stamp}.{uuid.uuid4().hex[:6]}"  # (no longer *.npz)
        try:
            os.replace(src, dest)
        except FileNotFoundError:  # another driver moved or replaced it first
            return None
        if reason:
            try:
                (dest_dir / f"{dest.name}.why").write_text(reason + "\n")
            except OSError:
                pass
        return dest

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
                except OSError:
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
