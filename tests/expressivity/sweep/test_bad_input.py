"""Bad input to every public function of the sweep API, table-driven.

Oracle: the contract of the API (DESIGN.md "Errors"): each bad argument raises ValueError or
TypeError (never an internal IndexError/KeyError/AttributeError, never a hang) whose message
names the argument and what is allowed, with numbers printed plainly (``2.5``, not
``np.float64(2.5)``); and nothing was computed or written (no call of the cell function: it
writes a marker file; no store directory).
"""
import numpy as np
import pytest

from expressivity import sweep
from expressivity.sweep import Grid, LabelledArray, Store, check_call

CALLED = []


def good(x, seed):
    CALLED.append((x, seed))
    return {"y": x + seed}


def _fake_pd(activation, sigma_w2, sigma_b2):
    CALLED.append("pd")
    z = np.zeros((len(sigma_w2), len(sigma_b2)))
    return {f: z for f in ("q_star", "chi1", "c_star", "xi_q", "xi_c")}


def _arr():
    return LabelledArray(("w", "seed"), {"w": np.array([0.5, 1.0, 2.0]), "seed": np.arange(2)},
                         {"q": np.zeros((3, 2))})


def _local_fn():
    def local(x, seed):
        return x
    return local


G = Grid(x=[1, 2], seeds=2)
S = "STORE"  # replaced by a path under tmp_path

# (name, function, args, kwargs, exception type, words that the message must contain)
CASES = [
    # ---------------------------------------------------------------- Grid
    ("grid: no parameter", Grid, (), {}, ValueError, ["at least one"]),
    ("grid: empty list", Grid, (), dict(width=[]), ValueError, ["'width'", "empty"]),
    ("grid: scalar instead of list", Grid, (), dict(width=16), TypeError, ["'width'", "list of values", "[16]"]),
    ("grid: numpy scalar", Grid, (), dict(width=np.float64(2.5)), TypeError, ["'width'", "2.5"]),
    ("grid: string", Grid, (), dict(act="tanh"), TypeError, ["'act'", "list of values"]),
    ("grid: dict", Grid, (), dict(width={"a": 1}), TypeError, ["'width'"]),
    ("grid: nan", Grid, (), dict(s=[1.0, np.nan]), ValueError, ["'s'", "non-finite"]),
    ("grid: inf", Grid, (), dict(s=np.array([1.0, np.inf])), ValueError, ["'s'", "non-finite"]),
    ("grid: duplicate", Grid, (), dict(s=[0.1, 0.1]), ValueError, ["'s'", "twice"]),
    ("grid: mixed kinds", Grid, (), dict(d=[1, "two"]), TypeError, ["'d'", "mixes"]),
    ("grid: nested list", Grid, (), dict(d=[[1, 2]]), TypeError, ["'d'"]),
    ("grid: object value", Grid, (), dict(d=[object()]), TypeError, ["'d'", "numbers, bools or strings"]),
    ("grid: 2-D array", Grid, (), dict(d=np.zeros((2, 2))), ValueError, ["'d'", "1-D"]),
    ("grid: seed=[...]", Grid, (), dict(seed=[1, 2]), ValueError, ["seeds="]),
    ("grid: seeds=0", Grid, (), dict(x=[1], seeds=0), ValueError, ["seeds", ">= 1", "seeds=0"]),
    ("grid: seeds=-3", Grid, (), dict(x=[1], seeds=-3), ValueError, ["seeds", "-3"]),
    ("grid: seeds=2.5", Grid, (), dict(x=[1], seeds=2.5), TypeError, ["seeds", "2.5"]),
    ("grid: seeds=True", Grid, (), dict(x=[1], seeds=True), TypeError, ["seeds"]),
    ("grid: seeds='3'", Grid, (), dict(x=[1], seeds="3"), TypeError, ["seeds"]),
    ("grid: seeds=[]", Grid, (), dict(x=[1], seeds=[]), ValueError, ["seeds", "empty"]),
    ("grid: seeds=[-1]", Grid, (), dict(x=[1], seeds=[-1]), ValueError, ["seeds", ">= 0", "-1"]),
    ("grid: seeds=[0.5]", Grid, (), dict(x=[1], seeds=[0.5]), ValueError, ["seeds", "0.5"]),
    # ---------------------------------------------------------------- check_call
    ("check_call: not callable", check_call, (3, G), {}, TypeError, ["fn", "callable"]),
    ("check_call: grid dict", check_call, (good, {"x": [1]}), {}, TypeError, ["grid", "Grid"]),
    ("check_call: fixed list", check_call, (good, G, [1]), {}, TypeError, ["fixed", "dict"]),
    ("check_call: unknown name", check_call, (good, Grid(x=[1], y=[2], seeds=1)), {}, ValueError,
     ["'y'", "not an argument", "['seed', 'x']"]),
    ("check_call: no seeds", check_call, (good, Grid(x=[1])), {}, ValueError, ["'seed'", "required"]),
    ("check_call: grid and fixed", check_call, (good, G, {"x": 1}), {}, ValueError, ["'x'", "both"]),
    # ---------------------------------------------------------------- run
    ("run: fn not callable", sweep.run, ("good", G, S), {}, TypeError, ["fn", "callable"]),
    ("run: grid not a Grid", sweep.run, (good, {"x": [1]}, S), {}, TypeError, ["grid", "Grid("]),
    ("run: grid None", sweep.run, (good, None, S), {}, TypeError, ["grid", "Grid"]),
    ("run: store int", sweep.run, (good, G, 5), {}, TypeError, ["store", "directory path"]),
    ("run: store empty", sweep.run, (good, G, ""), {}, ValueError, ["store", "non-empty"]),
    ("run: store is a file", sweep.run, (good, G, "FILE"), {}, ValueError, ["store", "is a file"]),
    ("run: fixed list", sweep.run, (good, G, S), dict(fixed=[("a", 1)]), TypeError, ["fixed", "dict"]),
    ("run: fixed unknown", sweep.run, (good, G, S), dict(fixed={"z": 1}), ValueError, ["'z'", "not an argument"]),
    ("run: fixed no identity", sweep.run, (lambda x, seed, lock: 0, G, S),
     dict(fixed={"lock": __import__("threading").Lock()}, executor="inprocess"), TypeError,
     ["fixed argument 'lock'", "stable identity"]),
    ("run: executor 'threads'", sweep.run, (good, G, S), dict(executor="threads"), ValueError,
     ["executor", "'inprocess'"]),
    ("run: executor 0", sweep.run, (good, G, S), dict(executor=0), ValueError, ["executor=0", ">= 1"]),
    ("run: executor -2", sweep.run, (good, G, S), dict(executor=np.int64(-2)), ValueError, ["executor=-2", ">= 1"]),
    ("run: executor 2.5", sweep.run, (good, G, S), dict(executor=2.5), TypeError,
     ["executor", "number of local processes", "float"]),
    ("run: executor True", sweep.run, (good, G, S), dict(executor=True), TypeError, ["executor", "bool"]),
    ("run: executor object", sweep.run, (good, G, S), dict(executor=object()), TypeError, ["executor"]),
    ("run: chunksize 0", sweep.run, (good, G, S), dict(chunksize=0), ValueError, ["chunksize=0", ">= 1"]),
    ("run: chunksize -1", sweep.run, (good, G, S), dict(chunksize=-1), ValueError, ["chunksize=-1", ">= 1"]),
    ("run: chunksize 1.5", sweep.run, (good, G, S), dict(chunksize=1.5), TypeError, ["chunksize", ">= 1", "float"]),
    ("run: chunksize '2'", sweep.run, (good, G, S), dict(chunksize="2"), TypeError, ["chunksize", "str"]),
    ("run: chunksize True", sweep.run, (good, G, S), dict(chunksize=True), TypeError, ["chunksize"]),
    ("run: max_pending 0", sweep.run, (good, G, S), dict(max_pending=0), ValueError, ["max_pending=0", ">= 1"]),
    ("run: max_pending 2.0", sweep.run, (good, G, S), dict(max_pending=2.0), TypeError, ["max_pending", "float"]),
    ("run: on_error", sweep.run, (good, G, S), dict(on_error="ignore"), ValueError,
     ["on_error='ignore'", "'raise'", "'continue'"]),
    ("run: on_error None", sweep.run, (good, G, S), dict(on_error=None), ValueError, ["on_error"]),
    ("run: progress str", sweep.run, (good, G, S), dict(progress="yes"), TypeError, ["progress", "True or False"]),
    ("run: load int", sweep.run, (good, G, S), dict(load=1), TypeError, ["load", "True or False"]),
    ("run: lambda to local processes", sweep.run, (lambda x, seed: x, G, S), dict(executor=2), TypeError,
     ["fn=<lambda>", "module level", "executor='inprocess'"]),
    ("run: local function to the default pool", sweep.run, (_local_fn(), G, S), {},
     TypeError, ["<locals>", "module level", "executor='inprocess'"]),
    ("run: positional-only", sweep.run, (lambda x, seed, /: 0, G, S), dict(executor="inprocess"), ValueError,
     ["positional-only"]),
    # ---------------------------------------------------------------- load / missing
    ("load: grid not a Grid", sweep.load, (good, [1, 2], S), {}, TypeError, ["grid", "Grid"]),
    ("load: store int", sweep.load, (good, G, 3.5), {}, TypeError, ["store", "float"]),
    ("load: allow_missing", sweep.load, (good, G, S), dict(allow_missing="no"), TypeError,
     ["allow_missing", "True or False"]),
    ("load: nothing stored", sweep.load, (good, G, S), {}, ValueError, ["4 of 4 cells are missing", "sweep.run"]),
    ("load: unknown name", sweep.load, (good, Grid(x=[1], z=[1], seeds=1), S), {}, ValueError, ["'z'"]),
    ("missing: fn", sweep.missing, (None, G, S), {}, TypeError, ["fn", "callable"]),
    ("missing: fixed", sweep.missing, (good, G, S), dict(fixed="x=1"), TypeError, ["fixed", "dict"]),
    # ---------------------------------------------------------------- Store
    ("Store: path int", Store, (3,), {}, TypeError, ["path", "int"]),
    ("Store: path None", Store, (None,), {}, TypeError, ["path", "NoneType"]),
    ("Store: path is a file", Store, ("FILE",), {}, ValueError, ["is a file"]),
    ("Store: fsync str", Store, (S,), dict(fsync="yes"), TypeError, ["fsync", "True or False"]),
    ("Store: shared int", Store, (S,), dict(shared=1), TypeError, ["shared", "True or False"]),
    ("Store.read: key int", lambda p: Store(p).read(5), (S,), {}, TypeError, ["key", "string"]),
    ("Store.read: key path", lambda p: Store(p).read("../etc"), (S,), {}, ValueError, ["key='../etc'"]),
    ("Store.read: key hidden", lambda p: Store(p).read(".x"), (S,), {}, ValueError, ["key='.x'", "not start"]),
    ("Store.write: fields list", lambda p: Store(p).write("k", [1], {}), (S,), {}, TypeError, ["fields"]),
    ("Store.write: bad field", lambda p: Store(p).write("k", {"a": object()}, {}), (S,), {}, TypeError, ["'a'"]),
    # ---------------------------------------------------------------- LabelledArray
    ("LabelledArray: dims str", LabelledArray, ("w", {"w": [1]}, {"q": [0]}), {}, TypeError, ["dims"]),
    ("LabelledArray: dims ints", LabelledArray, ((1,), {1: [1]}, {"q": [0]}), {}, TypeError, ["dims"]),
    ("LabelledArray: coords list", LabelledArray, (("w",), [[1]], {"q": [0]}), {}, TypeError, ["coords", "dict"]),
    ("LabelledArray: coords names", LabelledArray, (("w",), {"x": [1]}, {"q": [0]}), {}, ValueError,
     ["coords", "['w']"]),
    ("LabelledArray: 2-D coord", LabelledArray, (("w",), {"w": [[1]]}, {"q": [0]}), {}, ValueError, ["coords['w']", "1-D"]),
    ("LabelledArray: shape", LabelledArray, (("w",), {"w": [1, 2]}, {"q": [0]}), {}, ValueError, ["'q'", "(2,)"]),
    ("LabelledArray: values list", LabelledArray, (("w",), {"w": [1]}, [0]), {}, TypeError, ["values", "dict"]),
    ("sel: value not on grid", lambda: _arr().sel(w=0.7), (), {}, ValueError, ["w=0.7", "[0.5, 1.0, 2.0]"]),
    ("sel: numpy value not on grid", lambda: _arr().sel(w=np.float64(3.5)), (), {}, ValueError,
     ["w=3.5", "[0.5, 1.0, 2.0]"]),
    ("sel: one of a list", lambda: _arr().sel(w=[0.5, 9.0]), (), {}, ValueError, ["w=9.0"]),
    ("sel: string for a number", lambda: _arr().sel(w="a"), (), {}, ValueError, ["w='a'"]),
    ("sel: unknown dim", lambda: _arr().sel(depth=3), (), {}, ValueError, ["unknown dim 'depth'", "['w', 'seed']"]),
    ("isel: out of range", lambda: _arr().isel(w=3), (), {}, ValueError, ["w=3", "3 positions", "0 to 2"]),
    ("isel: negative out of range", lambda: _arr().isel(seed=-3), (), {}, ValueError, ["seed=-3", "0 to 1"]),
    ("isel: list out of range", lambda: _arr().isel(w=[0, 5]), (), {}, ValueError, ["w=5"]),
    ("isel: float", lambda: _arr().isel(w=1.0), (), {}, TypeError, ["integer positions", "float"]),
    ("isel: unknown dim", lambda: _arr().isel(depth=0), (), {}, ValueError, ["unknown dim 'depth'"]),
    ("getitem: unknown field", lambda: _arr()["qq"], (), {}, ValueError, ["'qq'", "['q']"]),
    # ---------------------------------------------------------------- tiled_phase_diagram
    ("tiled: negative variance", sweep.tiled_phase_diagram, ("tanh", [1.0, -1.0], [0.0], S), {}, ValueError,
     ["sigma_w2", ">= 0", "-1.0"]),
    ("tiled: nan", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0, np.nan], S), {}, ValueError, ["sigma_b2", "finite"]),
    ("tiled: empty", sweep.tiled_phase_diagram, ("tanh", [], [0.0], S), {}, ValueError, ["sigma_w2", "non-empty"]),
    ("tiled: 2-D", sweep.tiled_phase_diagram, ("tanh", np.ones((2, 2)), [0.0], S), {}, ValueError, ["sigma_w2", "1-D"]),
    ("tiled: scalar", sweep.tiled_phase_diagram, ("tanh", 1.0, [0.0], S), {}, TypeError, ["sigma_w2", "1-D array"]),
    ("tiled: string", sweep.tiled_phase_diagram, ("tanh", "1,2", [0.0], S), {}, TypeError, ["sigma_w2"]),
    ("tiled: tile 0", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S), dict(tile=(0, 2)), ValueError,
     ["tile=(0, 2)", "integers >= 1"]),
    ("tiled: tile float", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S), dict(tile=(2.5, 2)), ValueError,
     ["tile", "integers >= 1"]),
    ("tiled: tile int", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S), dict(tile=3), ValueError, ["tile=3"]),
    ("tiled: dtype", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S), dict(dtype="float16"), ValueError,
     ["dtype", "'float32'", "'float64'"]),
    ("tiled: compress", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S), dict(compress="zlib"), TypeError,
     ["compress", "True or False"]),
    ("tiled: unknown activation", sweep.tiled_phase_diagram, ("tnah", [1.0], [0.0], S), {}, ValueError,
     ["'tnah'", "tanh"]),
    ("tiled: phase_diagram", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S), dict(phase_diagram=3),
     TypeError, ["phase_diagram", "callable"]),
    ("tiled: store", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], 7), {}, TypeError, ["store"]),
    ("tiled: executor", sweep.tiled_phase_diagram, ("tanh", [1.0], [0.0], S),
     dict(executor=-1, phase_diagram=_fake_pd), ValueError, ["executor=-1"]),
    # ---------------------------------------------------------------- ensembles
    ("ensemble: name int", sweep.ensemble, (3, good, G, S), {}, TypeError, ["name", "string"]),
    ("ensemble: name path", sweep.ensemble, ("../x", good, G, S), {}, ValueError, ["name='../x'", "no '/'"]),
    ("ensemble: name empty", sweep.ensemble, ("", good, G, S), {}, ValueError, ["name=''"]),
    ("ensemble: cache_dir int", sweep.ensemble, ("e", good, G, 5), {}, TypeError, ["cache_dir", "int"]),
    ("ensemble: grid", sweep.ensemble, ("e", good, {"x": [1]}, S), {}, TypeError, ["grid", "Grid"]),
    ("run_rows: rows dict", sweep.run_rows, ("r", good, {"x": 1, "seed": 0}, S), {}, TypeError,
     ["rows", "list of dicts"]),
    ("run_rows: rows empty", sweep.run_rows, ("r", good, [], S), {}, ValueError, ["rows", "empty"]),
    ("run_rows: row int", sweep.run_rows, ("r", good, [dict(x=1, seed=0), 5], S), {}, TypeError,
     ["rows[1]", "dict"]),
    ("run_rows: row key", sweep.run_rows, ("r", good, [{1: 2}], S), {}, ValueError, ["rows[0]", "identifiers"]),
    ("run_rows: repeated", sweep.run_rows, ("r", good, [dict(x=1, seed=0)] * 2, S), {}, ValueError,
     ["rows[1] repeats rows[0]"]),
    ("run_rows: nan", sweep.run_rows, ("r", good, [dict(x=np.nan, seed=0)], S), {}, ValueError,
     ["rows[0]", "finite"]),
    ("run_rows: object value", sweep.run_rows, ("r", good, [dict(x=object(), seed=0)], S), {}, TypeError,
     ["row values", "numbers"]),
    ("run_rows: unknown param", sweep.run_rows, ("r", good, [dict(x=1, seed=0, z=2)], S),
     dict(executor="inprocess"), ValueError, ["rows[0] parameter 'z'", "not an argument"]),
    ("run_rows: fn in fixed", sweep.run_rows, ("r", good, [dict(x=1, seed=0)], S), dict(fixed={"fn": 1}),
     ValueError, ["fixed", "'fn'"]),
    ("run_rows: fn", sweep.run_rows, ("r", 3, [dict(x=1, seed=0)], S), {}, TypeError, ["fn", "callable"]),
    ("run_one: params list", sweep.run_one, ("o", good, [1, 0], S), {}, TypeError, ["params", "dict"]),
    ("run_one: missing param", sweep.run_one, ("o", good, dict(x=1), S), {}, ValueError,
     ["'seed'", "required", "rows[0]"]),
]


@pytest.mark.parametrize("name, fn, args, kwargs, exc, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_argument(tmp_path, name, fn, args, kwargs, exc, words):
    store = tmp_path / "store"
    (tmp_path / "file").write_text("not a directory")
    sub = {S: str(store), "FILE": str(tmp_path / "file")}
    args = tuple(sub.get(a, a) if isinstance(a, str) else a for a in args)
    kwargs = dict(kwargs)
    if fn in (sweep.run, sweep.tiled_phase_diagram, sweep.ensemble, sweep.run_rows, sweep.run_one):
        kwargs.setdefault("progress", False)
    CALLED.clear()
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, (ValueError, TypeError))
    message = str(info.value)
    for w in words:
        assert w in message, (w, message)
    assert "np.float64(" not in message and "np.int64(" not in message, message
    assert CALLED == [], "nothing may be computed"
    if not name.startswith(("Store.write", "load: nothing")):
        assert not store.exists() or not any(store.glob("*.npz")), "nothing may be written"


def test_case_count():
    """The table covers every public function of the sweep API (printed for the report)."""
    covered = {c[0].split(":")[0] for c in CASES}
    print(f"{len(CASES)} bad-input cases over {len(covered)} functions: {sorted(covered)}")
    assert {"grid", "check_call", "run", "load", "missing", "Store", "LabelledArray", "sel", "isel",
            "tiled", "ensemble", "run_rows", "run_one"} <= covered
