"""A sweep whose process is killed (SIGKILL) or interrupted (SIGINT, i.e. Ctrl-C) midway.

The sweep runs in a subprocess with a 2-process pool, in its own process group. Oracles:
marker files written at the start of every call (call counts), and the store itself (every
cell file verifies; cells stored before the kill are never recomputed; the cells missing at
the kill are computed exactly once more by the resume).
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import expressivity
from expressivity import sweep

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

MODULE = '''
import os, sys, time
from pathlib import Path

def slow(x, seed, marker_dir, pause):
    Path(marker_dir, f"{x}_{seed}_{os.getpid()}_{os.urandom(4).hex()}").touch()
    time.sleep(pause)
    return {"y": 100 * x + seed, "v": [x, seed, x * seed]}

def main(store, marker_dir, pause):
    from expressivity import sweep
    grid = sweep.Grid(x=list(range(30)), seeds=1)
    try:
        sweep.run(slow, grid, store, fixed={"marker_dir": marker_dir, "pause": pause},
                  executor=2, progress=False)
    except KeyboardInterrupt:
        sys.exit(130)
'''


@pytest.fixture
def cellmod(module_from_text):
    return module_from_text(MODULE)


def _start(tmp_path, name, pause):
    markers = tmp_path / "markers"
    markers.mkdir()
    root = str(Path(expressivity.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), root]), OMP_NUM_THREADS="1")
    # (a test run started in the background by a non-interactive shell inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler: restore it, as a
    # terminal's foreground process has it)
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            f"import {name} as m; m.main({str(tmp_path / 'store')!r}, {str(markers)!r}, {pause})")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, markers


def _wait_for_cells(tmp_path, proc, n, timeout=60.0):
    t0 = time.monotonic()
    while len(list((tmp_path / "store").glob("*.npz"))) < n:
        if proc.poll() is not None:
            raise AssertionError(f"sweep exited early: {proc.communicate()}")
        if time.monotonic() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("sweep made no progress")
        time.sleep(0.02)


def _group_gone(pgid, timeout=5.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _calls(markers):
    out = {}
    for p in markers.iterdir():
        x, s = map(int, p.name.split("_")[:2])
        out[(x, s)] = out.get((x, s), 0) + 1
    return out


def _resume_and_check(tmp_path, module, markers, pause):
    grid = sweep.Grid(x=list(range(30)), seeds=1)
    fixed = {"marker_dir": str(markers), "pause": pause}
    missing = {(p["x"], p["seed"]) for p in sweep.missing(module.slow, grid, tmp_path / "store", fixed=fixed)}
    before = _calls(markers)
    assert 0 < len(missing) < 30, "the interruption must fall midway"
    for cell, n in before.items():  # nothing ran twice before the interruption
        assert n == 1, cell
    res = sweep.run(module.slow, grid, tmp_path / "store", fixed=fixed, executor=2, progress=False)
    after = _calls(markers)
    assert set(after) == {(x, 0) for x in range(30)}
    for cell in after:  # stored cells never recomputed; missing ones computed once more
        assert after[cell] == before.get(cell, 0) + (1 if cell in missing else 0), cell
    np.testing.assert_array_equal(res["y"][:, 0], 100 * np.arange(30))
    np.testing.assert_array_equal(res["v"][:, 0], np.stack([np.arange(30), np.zeros(30), np.zeros(30)], 1))
    for key in sweep.Store(tmp_path / "store").keys():  # every file on disk verifies
        sweep.Store(tmp_path / "store").read(key)
    assert not list((tmp_path / "store").glob(".*.tmp")), "stale temporaries are cleaned up"


def test_sigkill_of_the_whole_sweep_midway_then_resume(tmp_path, cellmod):
    name, module = cellmod
    proc, markers = _start(tmp_path, name, pause=0.1)
    _wait_for_cells(tmp_path, proc, 6)
    os.killpg(proc.pid, signal.SIGKILL)  # driver and both workers, like a crash or OOM kill
    proc.wait(timeout=10)
    _group_gone(proc.pid)
    _resume_and_check(tmp_path, module, markers, pause=0.1)


def test_ctrl_c_stops_cleanly_then_resume(tmp_path, cellmod):
    name, module = cellmod
    proc, markers = _start(tmp_path, name, pause=0.1)
    _wait_for_cells(tmp_path, proc, 2)
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGINT)  # to the driver only, as Ctrl-C reaches the main process
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 10, "Ctrl-C must stop the sweep promptly"
    assert "interrupted" in err and "resume" in err and "Traceback" not in err, err
    print(f"stopped {time.monotonic() - t0:.2f} s after SIGINT")
    assert _group_gone(proc.pid), "the local worker processes must be stopped"
    _resume_and_check(tmp_path, module, markers, pause=0.1)
