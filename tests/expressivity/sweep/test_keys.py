"""Cells keyed by the function's content, not by where it is defined.

Oracles: the same source run as a script (``python cells.py``) and typed into an
interpreter (``python -`` on standard input, like a REPL: module ``__main__``, no file) must
find each other's cells (call counts: the second run computes nothing); a source edit that
changes what the function computes must give new keys, one that does not (comments,
docstring, blank lines) must not; stores written with the old name-based keys are found and
moved to the new keys.
"""
import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import expressivity
from expressivity import sweep
from expressivity.sweep.store import Store, canonical, cell_key, function_id, function_key

SOURCE = '''
import os
from pathlib import Path

def cell(x, seed, marker_dir):
    Path(marker_dir, f"{x}_{seed}_{os.urandom(4).hex()}").touch()
    return {"y": 10 * x + seed}

if __name__ == "__main__":
    import sys
    from expressivity import sweep
    res = sweep.run(cell, sweep.Grid(x=[1, 2, 3], seeds=2), None if sys.argv[1:] == ["default"] else STORE,
                    fixed={"marker_dir": MARKERS}, executor="inprocess", progress=False)
    print("COMPUTED", res.attrs["run"]["computed"])
'''


def _run(args, tmp_path, stdin=None):
    root = str(Path(expressivity.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=root, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split("COMPUTED")[1].split()[0])


def test_script_and_repl_share_cells(tmp_path):
    store, markers = tmp_path / "store", tmp_path / "m"
    markers.mkdir()
    source = SOURCE.replace("STORE", repr(str(store))).replace("MARKERS", repr(str(markers)))
    (tmp_path / "cells.py").write_text(source)
    assert _run(["cells.py"], tmp_path) == 6
    # the same text typed into an interpreter (no file: module __main__), with a comment
    # and the definition moved down a few lines
    pasted = "\n\n# pasted into a REPL\n" + source.replace("def cell", "# a comment\ndef cell")
    assert _run(["-"], tmp_path, stdin=pasted) == 0
    assert len(list(markers.iterdir())) == 6
    # python -m cells (module name "cells") too
    assert _run(["-m", "cells"], tmp_path) == 0
    # the default store (.sweeps/<function name>) is shared as well
    assert _run(["cells.py", "default"], tmp_path) == 6
    assert _run(["-", "default"], tmp_path, stdin=pasted) == 0
    assert [p.name for p in (tmp_path / ".sweeps").iterdir()] == ["cell"]


def _key(src, name="f"):
    scope = {}
    exec(compile(textwrap.dedent(src), "<test>", "exec"), scope)
    return function_key(scope[name])


def test_what_changes_the_key_and_what_does_not():
    base = _key("""
        def f(x, seed, depth=3):
            return x * depth + seed
    """)
    same = [
        """
        def f(x, seed, depth=3):
            "A docstring."
            # a comment
            return x * depth + seed   # another
        """,
        "\n\n\n" + """
        def f(x, seed, depth=3):

            return x * depth + seed
        """,
    ]
    for src in same:
        assert _key(src) == base, src
    different = [
        "def f(x, seed, depth=3):\n    return x * depth - seed\n",     # the code
        "def f(x, seed, depth=4):\n    return x * depth + seed\n",     # a default
        "def g(x, seed, depth=3):\n    return x * depth + seed\n",     # the name
        "def f(x, seed, depth=3):\n    return x * depth + seed + 0.0\n",  # a constant
    ]
    keys = {base} | {_key(src, "g" if "def g" in src else "f") for src in different}
    assert len(keys) == 1 + len(different)


def _factory(depth):
    def cell(x, seed):
        return x * depth + seed
    return cell


def test_closures_partials_and_wrappers():
    """Closures from one factory differ by their captured values (by name they collided);
    a functools.wraps wrapper is keyed by what it wraps; partials by their bound values."""
    assert function_key(_factory(2)) == function_key(_factory(2))
    assert function_key(_factory(2)) != function_key(_factory(3))

    @functools.wraps(_factory)
    def logged(*a, **k):
        return _factory(*a, **k)

    assert function_key(logged) == function_key(_factory)
    assert function_key(functools.partial(_factory, 2)) == function_key(functools.partial(_factory, 2))
    assert function_key(functools.partial(_factory, 2)) != function_key(functools.partial(_factory, 3))
    assert function_key(np.sin) == "numpy:sin"


def legacy_cell(x, seed):
    return {"y": 10 * x + seed, "v": np.full(2, x)}


def test_stores_with_name_keys_are_found_and_moved(tmp_path):
    """A store written with the old keys (function by module:qualname): run() computes
    nothing, moves each cell to its new key, and load() then reads it. Oracle: the stored
    values are marked (y negated), so a recomputed cell would show."""
    grid = sweep.Grid(x=[1, 2], seeds=2)
    st = Store(tmp_path)
    for _, params in grid:
        key = cell_key(function_id(legacy_cell), params, canonical({}, legacy=True))
        fields = {"y": np.asarray(-(10 * params["x"] + params["seed"])), "v": np.full(2, params["x"])}
        st.write(key, fields, {"function": function_id(legacy_cell), "params": canonical(params), "version": "0.0.9"})
    old = set(st.keys())
    res = sweep.run(legacy_cell, grid, st, executor="inprocess", progress=False)
    assert res.attrs["run"]["migrated"] == 4 and res.attrs["run"]["computed"] == 0
    np.testing.assert_array_equal(res["y"], [[-10, -11], [-20, -21]])
    assert set(st.keys()).isdisjoint(old) and len(st.keys()) == 4
    again = sweep.load(legacy_cell, grid, st)
    np.testing.assert_array_equal(again["y"], res["y"])
    _, meta = st.read(st.keys()[0])
    assert meta["version_written"] == "0.0.9" and meta["migrated_from"] in old
