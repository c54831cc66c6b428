"""Cell files: atomic writes, verification, corruption detection and recomputation.

Oracles: the arrays written (read back bit for bit), hand-made damage to the files (each kind
must be detected), and marker files counting the calls of the swept function.
"""
import dataclasses
import json
import os
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from expressivity import sweep
from expressivity.sweep.store import CorruptCell, Store, as_fields, canonical, cell_key, checksum


def _fields():
    return {"a": np.arange(6.0).reshape(2, 3), "b": np.asarray(7), "name": np.asarray("tanh")}


def test_write_read_roundtrip_keeps_shapes_dtypes_and_metadata(tmp_path):
    """Oracle: the arrays written; 0-d arrays must stay 0-d."""
    st = Store(tmp_path)
    st.write("k1", _fields(), {"params": {"x": 1}, "version": "9.9"})
    fields, meta = st.read("k1", {"x": 1})
    for name, arr in _fields().items():
        np.testing.assert_array_equal(fields[name], arr, strict=True)
    assert meta["params"] == {"x": 1} and meta["version"] == "9.9" and meta["key"] == "k1"
    assert meta["checksum"] == checksum(_fields())
    assert st.keys() == ["k1"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_missing_cell_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        Store(tmp_path).read("nope")


def _damage_truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damage_empty(path):
    path.write_bytes(b"")


def _damage_flip_data_byte(path):
    """Flip the last data byte of the first array member (npz members are stored uncompressed)."""
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = next(i for i in zf.infolist() if not i.filename.startswith("__"))
    name_len = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
    end = info.header_offset + 30 + name_len + extra_len + info.file_size
    data[end - 1] ^= 0x01
    path.write_bytes(bytes(data))


def _damage_garbage(path):
    path.write_bytes(os.urandom(300))


def _damage_rewrite_array_keep_meta(path):
    """A valid zip whose array changed but whose recorded checksum did not."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["a"] = arrays["a"] + 1.0
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _damage_drop_field(path):
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "a"}
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_empty, _damage_flip_data_byte,
                                    _damage_garbage, _damage_rewrite_array_keep_meta, _damage_drop_field])
def test_every_kind_of_damage_is_detected(tmp_path, damage):
    """Oracle: hand-made damage; read must raise CorruptCell, never return data."""
    st = Store(tmp_path)
    st.write("k1", _fields(), {"params": {"x": 1}})
    damage(st.file("k1"))
    with pytest.raises(CorruptCell):
        st.read("k1", {"x": 1})


def test_every_single_byte_flip_is_detected_or_harmless(tmp_path):
    """Exhaustive oracle: flip each byte of a cell file in turn; read must either raise
    CorruptCell or return arrays bit-identical to those written (a flip in an unchecked
    zip header field changes nothing). It must never return different data."""
    st = Store(tmp_path)
    st.write("k1", _fields(), {"params": {"x": 1}})
    original = st.file("k1").read_bytes()
    detected = 0
    for i in range(len(original)):
        data = bytearray(original)
        data[i] ^= 0x10
        st.file("k1").write_bytes(bytes(data))
        try:
            fields, _ = st.read("k1", {"x": 1})
        except CorruptCell:
            detected += 1
            continue
        for name, arr in _fields().items():
            np.testing.assert_array_equal(fields[name], arr, strict=True)
    assert detected > 0.5 * len(original)  # the rest hit unchecked zip header fields


def test_file_of_another_cell_is_detected(tmp_path):
    """A complete, valid file copied under the wrong name (wrong key, wrong params)."""
    st = Store(tmp_path)
    st.write("k1", _fields(), {"params": {"x": 1}})
    st.write("k2", _fields(), {"params": {"x": 2}})
    st.file("k1").write_bytes(st.file("k2").read_bytes())
    with pytest.raises(CorruptCell, match="another cell"):
        st.read("k1", {"x": 1})


def test_wrong_params_are_detected(tmp_path):
    st = Store(tmp_path)
    st.write("k1", _fields(), {"params": {"x": 1}})
    with pytest.raises(CorruptCell, match="parameters"):
        st.read("k1", {"x": 2})


def test_failed_write_leaves_no_file_and_no_temporary(tmp_path, monkeypatch):
    """A crash inside the write (simulated by savez raising) leaves the old state intact."""
    st = Store(tmp_path)
    st.write("k1", _fields(), {"params": {"x": 1}})
    before = st.file("k1").read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError):
        st.write("k1", {"a": np.zeros(1)}, {"params": {"x": 1}})
    with pytest.raises(OSError):
        st.write("k2", {"a": np.zeros(1)}, {"params": {"x": 2}})
    assert st.file("k1").read_bytes() == before
    assert not st.file("k2").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    host = socket.gethostname()
    stale = tmp_path / f".abc.{host}.{dead}.1234abcd.tmp"
    live = tmp_path / f".abd.{host}.{os.getpid()}.1234abcd.tmp"
    stale.write_bytes(b"x")
    live.write_bytes(b"x")
    assert Store(tmp_path).remove_stale_temporaries() == 1
    assert not stale.exists() and live.exists()


def test_canonical_and_keys_are_deterministic_and_sensitive():
    """Oracle: equal inputs give equal keys; any change of value, array or function changes it."""
    a = np.linspace(0, 1, 5)
    k = cell_key("m:f", {"x": 1.0}, canonical({"arr": a, "act": "tanh"}))
    assert k == cell_key("m:f", {"x": 1.0}, canonical({"act": "tanh", "arr": a.copy()}))
    assert k != cell_key("m:g", {"x": 1.0}, canonical({"arr": a, "act": "tanh"}))
    assert k != cell_key("m:f", {"x": 2.0}, canonical({"arr": a, "act": "tanh"}))
    b = a.copy()
    b[2] = np.nextafter(b[2], 1)
    assert k != cell_key("m:f", {"x": 1.0}, canonical({"arr": b, "act": "tanh"}))
    assert canonical(np.sin) == canonical(np.sin)
    json.dumps(canonical({"f": test_canonical_and_keys_are_deterministic_and_sensitive, "n": None,
                          "inf": float("inf"), "c": 1 + 2j, "obj": object()}))


@dataclasses.dataclass
class _DC:
    q: float
    v: np.ndarray


_NT = namedtuple("_NT", "q v")


@pytest.mark.parametrize("result", [{"q": 1.5, "v": [1, 2]}, _DC(1.5, np.array([1, 2])), _NT(1.5, [1, 2])])
def test_results_convert_to_fields(result):
    f = as_fields(result)
    assert set(f) == {"q", "v"}
    np.testing.assert_array_equal(f["v"], [1, 2])
    assert f["q"].shape == ()


def test_bare_value_and_bad_fields():
    assert set(as_fields(3.0)) == {"value"}
    with pytest.raises(TypeError, match="'obj'"):
        as_fields({"obj": object()})
    with pytest.raises(ValueError, match="__meta__"):
        as_fields({"__meta__": 1})


# ------------------------------------------------------------------ through sweep.run / load
def _counted(x, seed, marker_dir):
    Path(marker_dir, f"{x}_{seed}_{os.urandom(4).hex()}").touch()
    return {"y": x * 10 + seed, "v": np.full(2, x + 0.5)}


def _calls(marker_dir):
    out = {}
    for p in Path(marker_dir).iterdir():
        x, s, _ = p.name.split("_")
        out[(int(x), int(s))] = out.get((int(x), int(s)), 0) + 1
    return out


def test_corrupt_cell_is_recomputed_with_a_warning_and_only_it(tmp_path):
    """Oracle: marker files count calls; values equal the closed form x*10 + seed."""
    markers = tmp_path / "m"
    markers.mkdir()
    grid = sweep.Grid(x=[1, 2, 3], seeds=2)
    fixed = {"marker_dir": str(markers)}
    sweep.run(_counted, grid, tmp_path / "s", fixed=fixed, executor="inprocess", progress=False)
    st = Store(tmp_path / "s")
    victim = sorted(st.path.glob("*.npz"))[2]
    _damage_flip_data_byte(victim)
    with pytest.warns(sweep.CorruptCellWarning):
        assert len(sweep.missing(_counted, grid, st, fixed=fixed)) == 1
    with pytest.raises(sweep.IncompleteSweep) as info, pytest.warns(sweep.CorruptCellWarning):
        sweep.load(_counted, grid, st, fixed=fixed)
    assert len(info.value.missing) == 1
    with pytest.warns(sweep.CorruptCellWarning, match="recomputed"):
        res = sweep.run(_counted, grid, st, fixed=fixed, executor="inprocess", progress=False)
    calls = _calls(markers)
    assert sorted(calls.values()) == [1, 1, 1, 1, 1, 2]
    np.testing.assert_array_equal(res["y"], [[10, 11], [20, 21], [30, 31]], strict=False)
    assert res["v"].shape == (3, 2, 2)
    assert sweep.missing(_counted, grid, st, fixed=fixed) == []


def test_load_allow_missing_fills_nan(tmp_path):
    markers = tmp_path / "m"
    markers.mkdir()
    fixed = {"marker_dir": str(markers)}
    sweep.run(_counted, sweep.Grid(x=[1, 2], seeds=1), tmp_path / "s", fixed=fixed,
              executor="inprocess", progress=False)
    res = sweep.load(_counted, sweep.Grid(x=[1, 2, 3], seeds=1), tmp_path / "s", fixed=fixed,
                     allow_missing=True)
    np.testing.assert_array_equal(res["y"][:, 0], [10.0, 20.0, np.nan])
    assert res["y"].dtype == np.float64


def test_script_functions_are_named_by_their_file(monkeypatch):
    """A function defined in `python path/cells.py` gets the id it has after `import cells`."""
    import sys
    import types

    from expressivity.sweep.store import function_id

    main = types.ModuleType("__main__")
    main.__file__ = "/some/where/cells.py"
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)

    def slow(x):
        return x

    slow.__module__ = "__main__"
    assert function_id(slow) == "cells:test_script_functions_are_named_by_their_file.<locals>.slow"
    main.__spec__ = types.SimpleNamespace(name="pkg.cells")
    assert function_id(slow).startswith("pkg.cells:")
    del main.__file__
    main.__spec__ = None
    assert function_id(slow).startswith("__main__:")
