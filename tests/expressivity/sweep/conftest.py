"""Helpers for sweep tests that run drivers in subprocesses: a cell module written to a
temporary directory (importable here and in the children), marker files that count calls,
and bounded waits."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import expressivity

CELLS = '''
import json, os, sys, time
from pathlib import Path

def slow(x, seed, marker_dir, pause, exit_at=-1, size=3):
    """Writes a marker (x_seed_pid_random) per call; exits its process with code 3 at
    x == exit_at while <marker_dir>/../armed exists."""
    Path(marker_dir, f"{x}_{seed}_{os.getpid()}_{os.urandom(4).hex()}").touch()
    time.sleep(pause)
    if x == exit_at and (Path(marker_dir).parent / "armed").exists():
        os._exit(3)
    return {"y": 100 * x + seed, "v": [x, seed, x * seed], "pad": [float(x)] * (size - 3)}

def main(store, marker_dir, pause, executor, n=30, go=None, exit_at=-1):
    import signal
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from expressivity import sweep
    if go:  # a start barrier for several drivers
        t0 = time.monotonic()
        while not Path(go).exists() and time.monotonic() - t0 < 60:
            time.sleep(0.01)
    grid = sweep.Grid(x=list(range(n)), seeds=1)
    try:
        res = sweep.run(slow, grid, store, fixed={"marker_dir": marker_dir, "pause": pause, "exit_at": exit_at},
                        executor=executor, progress=False)
    except KeyboardInterrupt:
        sys.exit(130)
    print("RESULT " + json.dumps({"run": res.attrs["run"], "y": res["y"][:, 0].tolist()}))
'''


@pytest.fixture
def module_from_text(tmp_path, monkeypatch):
    """``make(text) -> (module name, module)``: ``text`` written into tmp_path as a uniquely
    named module and imported (worker processes import it by name); forgotten afterwards."""
    names = []

    def make(text):
        name = f"sweep_cells_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(text)
        monkeypatch.syspath_prepend(str(tmp_path))
        names.append(name)
        return name, __import__(name)

    yield make
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def cellmod(module_from_text):
    """``(module name, module)`` of CELLS written into tmp_path and imported."""
    return module_from_text(CELLS)


def start_driver(tmp_path, name, *, store, markers, pause, executor, n=30, go=None, exit_at=-1):
    """Start ``main`` of the cell module in a subprocess (own session) and return it."""
    root = str(Path(expressivity.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), root]), OMP_NUM_THREADS="1")
    code = (f"import {name} as m; m.main({str(store)!r}, {str(markers)!r}, {pause}, {executor!r}, "
            f"n={n}, go={None if go is None else str(go)!r}, exit_at={exit_at})")
    return subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def calls(markers):
    """{(x, seed): number of calls} from the marker files."""
    out = {}
    for p in Path(markers).iterdir():
        x, s = map(int, p.name.split("_")[:2])
        out[(x, s)] = out.get((x, s), 0) + 1
    return out


def pids(markers):
    return {int(p.name.split("_")[2]) for p in Path(markers).iterdir()}


def wait_for_files(folder, pattern, n, proc=None, timeout=60.0):
    t0 = time.monotonic()
    while len(list(Path(folder).glob(pattern))) < n:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited early: {proc.communicate()}")
        if time.monotonic() - t0 > timeout:
            if proc is not None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"fewer than {n} {pattern} in {folder} after {timeout} s")
        time.sleep(0.02)


def wait_until(predicate, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
