"""Faults: each one detected, reported in one line, and a rerun completes with nothing lost
or duplicated.

Oracles: marker files written at the start of every call (call counts: a cell stored before
the fault is never computed again; a cell without a stored result is computed exactly once
more), the closed-form results (y = 100 x + seed), the process table (pids of workers), and
the store itself (every file verifies).
"""
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from expressivity import sweep
from expressivity.sweep.claims import CLAIMS_DIR, Claims, pid_alive
from expressivity.sweep.store import CORRUPT_DIR

from .conftest import calls, pids, start_driver, wait_for_files, wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")


def _setup(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    (tmp_path / "armed").touch()
    return markers


def _fixed(markers, pause=0.0, exit_at=-1):
    return {"marker_dir": str(markers), "pause": pause, "exit_at": exit_at}


def _rerun_and_check(module, store, markers, n, executor="inprocess", pause=0.0, **kw):
    """Rerun; stored cells are not recomputed, missing ones are computed once more."""
    grid = sweep.Grid(x=list(range(n)), seeds=1)
    fixed = _fixed(markers, pause)
    missing = {(p["x"], p["seed"]) for p in sweep.missing(module.slow, grid, store, fixed=fixed)}
    before = calls(markers)
    res = sweep.run(module.slow, grid, store, fixed=fixed, executor=executor, progress=False, **kw)
    after = calls(markers)
    assert set(after) == {(x, 0) for x in range(n)}
    for cell in after:
        assert after[cell] == before.get(cell, 0) + (1 if cell in missing else 0), cell
    np.testing.assert_array_equal(res["y"][:, 0], 100 * np.arange(n))
    st = sweep.Store(store)
    for key in st.keys():
        st.read(key)
    assert not list(Path(store).glob(".*.tmp"))
    assert not [p for p in (Path(store) / CLAIMS_DIR).iterdir() if not p.name.startswith(".lock")], \
        "no claim or heartbeat is left behind"
    return res, missing


# ------------------------------------------------------------------ killed drivers
def test_sigkill_of_the_driver_only_ends_its_workers_and_rerun_takes_over_its_claims(tmp_path, cellmod):
    """kill -9 of the driver (executor=2): both pool workers exit within 10 s (they used to
    stay orphaned); the claims it left are taken over by the rerun (same host, dead pid)."""
    name, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "store"
    proc = start_driver(tmp_path, name, store=store, markers=markers, pause=0.2, executor=2)
    try:
        wait_for_files(store, "*.npz", 4, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        workers = pids(markers) - {proc.pid}
        assert len(workers) == 2
        t0 = time.monotonic()
        assert wait_until(lambda: not any(pid_alive(p) for p in workers), 10.0), \
            "pool workers must exit when their driver dies"
        print(f"workers gone {time.monotonic() - t0:.2f} s after kill -9 of the driver")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    claims_left = [p for p in (store / CLAIMS_DIR).iterdir() if len(p.name) == 40]
    assert claims_left, "the killed driver held claims on the cells in flight"
    res, missing = _rerun_and_check(module, store, markers, 30, executor=2, pause=0.2)
    assert res.attrs["run"]["stale_claims"] >= 1
    assert res.attrs["run"]["computed"] == len(missing)


# ------------------------------------------------------------------ a worker dies
def test_worker_exiting_mid_cell_is_one_line_and_rerun_completes(tmp_path, cellmod):
    """os._exit(3) inside a cell on a local pool: SweepError whose message is one line naming
    the exit code and what is stored; nothing is corrupt; the rerun computes the rest once."""
    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "store"
    grid = sweep.Grid(x=list(range(12)), seeds=1)
    t0 = time.monotonic()
    with pytest.raises(sweep.SweepError) as info:
        sweep.run(module.slow, grid, store, fixed=_fixed(markers, 0.05, exit_at=6), executor=2, progress=False)
    message = str(info.value)
    print(f"{time.monotonic() - t0:.2f} s: {message}")
    assert "\n" not in message and "worker process died" in message and "exited with code 3" in message
    assert "cells are stored in" in message and "run again" in message
    (tmp_path / "armed").unlink()
    _rerun_and_check(module, store, markers, 12, executor=2)


# ------------------------------------------------------------------ damaged files
@pytest.mark.parametrize("damage", ["truncate", "garbage", "directory"])
def test_damaged_cell_is_moved_aside_and_recomputed(tmp_path, cellmod, damage):
    """A truncated file, random bytes, or a directory where a cell file belongs: one warning
    line, the damaged thing is moved to .corrupt/ (nothing deleted), only it is recomputed."""
    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "store"
    grid = sweep.Grid(x=list(range(5)), seeds=1)
    fixed = _fixed(markers)
    sweep.run(module.slow, grid, store, fixed=fixed, executor="inprocess", progress=False)
    victim = sorted(store.glob("*.npz"))[1]
    if damage == "truncate":
        victim.write_bytes(victim.read_bytes()[:100])
    elif damage == "garbage":
        victim.write_bytes(os.urandom(500))
    else:
        victim.unlink()
        victim.mkdir()
        (victim / "something").write_text("user data")
    with pytest.warns(sweep.CorruptCellWarning) as record:
        _rerun_and_check(module, store, markers, 5)
    messages = [str(w.message) for w in record]  # one from missing(), one from run()
    assert all("\n" not in m for m in messages) and any(".corrupt and recomputed" in m for m in messages)
    moved = [p for p in (store / CORRUPT_DIR).iterdir() if not p.name.endswith(".why")]
    assert len(moved) == 1 and moved[0].name.startswith(victim.name[:-4])
    if damage == "directory":
        assert (moved[0] / "something").read_text() == "user data"
    assert sum(calls(markers).values()) == 6


# ------------------------------------------------------------------ concurrent drivers
def test_two_drivers_at_once_share_the_work(tmp_path, cellmod):
    """Two drivers started together on one store: every cell is computed exactly once (it
    used to be 22 of 24 twice), both do part of the work, both return every cell."""
    import json

    name, module = cellmod
    markers, store, go = _setup(tmp_path), tmp_path / "store", tmp_path / "go"
    procs = [start_driver(tmp_path, name, store=store, markers=markers, pause=0.1, executor="inprocess",
                          n=24, go=go) for _ in range(2)]
    time.sleep(0.5)
    go.touch()
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
        outs.append(json.loads(line[len("RESULT "):]))
    assert calls(markers) == {(x, 0): 1 for x in range(24)}
    for o in outs:
        assert o["y"] == [100 * x for x in range(24)]
    computed = [o["run"]["computed"] for o in outs]
    print("cells computed by each driver:", computed, [o["run"] for o in outs])
    assert sum(computed) == 24 and min(computed) > 0
    assert all(o["run"]["computed"] + o["run"]["by_other_drivers"] + o["run"]["stored_before"] == 24 for o in outs)


def _fake_claim(store, key, owner):
    import json

    d = Path(store) / CLAIMS_DIR
    d.mkdir(parents=True, exist_ok=True)
    (d / key).write_text(json.dumps(owner))


def test_stale_claims_never_block_and_live_ones_are_waited_for(tmp_path, cellmod, monkeypatch):
    """Claims of a dead pid on this host and of another host whose heartbeat stopped are
    taken over at once; a cell claimed by a live driver (fresh heartbeat) is waited for and
    used when its file appears (oracle: that cell is never called here)."""
    import json

    from expressivity.sweep.run import _Plan

    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "store"
    grid = sweep.Grid(x=list(range(4)), seeds=1)
    fixed = _fixed(markers)
    plan = _Plan(module.slow, grid, store, fixed)
    keys = [k for _, k in plan.cells]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    import socket

    _fake_claim(store, keys[0], {"driver": "d0", "host": socket.gethostname(), "pid": int(dead)})
    _fake_claim(store, keys[1], {"driver": "d1", "host": "elsewhere", "pid": 1})
    beat = store / CLAIMS_DIR / "d1.alive"
    beat.write_text(json.dumps({"driver": "d1", "host": "elsewhere", "pid": 1}))
    old = time.time() - 3600
    os.utime(beat, (old, old))
    # a live driver on another host: fresh heartbeat; it "finishes" cell 2 after 1.5 s
    _fake_claim(store, keys[2], {"driver": "d2", "host": "elsewhere", "pid": 1})
    (store / CLAIMS_DIR / "d2.alive").write_text(json.dumps({"driver": "d2", "host": "elsewhere", "pid": 1}))

    def other_driver():
        time.sleep(1.5)
        params = plan.cells[2][0]
        plan.store.write(keys[2], {"y": np.asarray(200), "v": np.asarray([2, 0, 0]), "pad": np.zeros(0)},
                         plan.meta(params, {}))
        (store / CLAIMS_DIR / keys[2]).unlink()
        (store / CLAIMS_DIR / "d2.alive").unlink()

    t = threading.Thread(target=other_driver)
    t.start()
    res = sweep.run(module.slow, grid, store, fixed=fixed, executor="inprocess", progress=False)
    t.join()
    assert calls(markers) == {(0, 0): 1, (1, 0): 1, (3, 0): 1}
    np.testing.assert_array_equal(res["y"][:, 0], [0, 100, 200, 300])
    assert res.attrs["run"]["stale_claims"] == 2 and res.attrs["run"]["by_other_drivers"] == 1


# ------------------------------------------------------------------ full or read-only disk
def _sim_full_disk(monkeypatch, after):
    """Store.write raises ENOSPC after ``after`` successful writes (a disk filling up)."""
    real = sweep.Store.write
    count = {"n": 0}

    def write(self, key, fields, meta):
        if count["n"] >= after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        count["n"] += 1
        return real(self, key, fields, meta)

    monkeypatch.setattr(sweep.Store, "write", write)


def test_full_disk_simulated_on_a_pool_stops_in_one_line_then_resumes(tmp_path, cellmod, monkeypatch):
    """ENOSPC from the 6th write (local pool of 2): StoreNotWritable (an OSError, errno 28)
    with one line saying what is stored; the pool is stopped (no hang); after space is freed
    the rerun computes exactly the cells without a stored result."""
    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "store"
    grid = sweep.Grid(x=list(range(20)), seeds=1)
    _sim_full_disk(monkeypatch, after=5)
    with pytest.raises(OSError) as info:
        sweep.run(module.slow, grid, store, fixed=_fixed(markers, 0.02), executor=2, progress=False)
    message = str(info.value)
    print(message)
    assert info.value.errno == errno.ENOSPC and "\n" not in message
    assert "No space left on device" in message and "5 of 20 cells are stored" in message
    monkeypatch.undo()
    _rerun_and_check(module, store, markers, 20, executor=2)


def _mount_tmpfs(path, size):
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def _umount(path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_full_tmpfs_then_bigger_resumes(tmp_path, cellmod):
    """A real full disk: a 192 KB tmpfs, cells of ~10 KB. The sweep stops with one line
    (errno 28); after the filesystem grows the rerun completes, nothing lost or duplicated."""
    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "mnt"
    if not _mount_tmpfs(store, "192k"):
        pytest.skip("needs root and a mountable tmpfs")
    try:
        grid = sweep.Grid(x=list(range(40)), seeds=1)
        fixed = dict(_fixed(markers), size=1200)
        with pytest.raises(OSError) as info:
            sweep.run(module.slow, grid, store, fixed=fixed, executor="inprocess", progress=False)
        message = str(info.value)
        print(message)
        assert info.value.errno == errno.ENOSPC and "\n" not in message and "cells are stored" in message
        stored = 40 - len(sweep.missing(module.slow, grid, store, fixed=fixed))
        assert 0 < stored < 40
        subprocess.run(["mount", "-o", "remount,size=4m", str(store)], check=True)
        before = calls(markers)
        missing = {(p["x"], 0) for p in sweep.missing(module.slow, grid, store, fixed=fixed)}
        res = sweep.run(module.slow, grid, store, fixed=fixed, executor="inprocess", progress=False)
        after = calls(markers)
        assert all(after[c] == before.get(c, 0) + (c in missing) for c in after) and len(after) == 40
        np.testing.assert_array_equal(res["y"][:, 0], 100 * np.arange(40))
        assert res["pad"].shape == (40, 1, 1197)
    finally:
        _umount(store)


def test_read_only_store_fails_before_any_cell_then_resumes(tmp_path, cellmod):
    """A read-only store: StoreNotWritable in one line before any call (oracle: no marker
    is written); writable again, the rerun computes only the new cells."""
    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "mnt"
    mounted = _mount_tmpfs(store, "4m")
    if not mounted and os.geteuid() == 0:
        pytest.skip("as root, only a read-only mount makes a directory read-only")
    try:
        fixed = _fixed(markers)
        sweep.run(module.slow, sweep.Grid(x=[0, 1], seeds=1), store, fixed=fixed, executor="inprocess",
                  progress=False)
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(store)], check=True)
        else:
            store.chmod(0o555)
            (store / CLAIMS_DIR).chmod(0o555)
        grid = sweep.Grid(x=list(range(6)), seeds=1)
        before = calls(markers)
        with pytest.raises(OSError) as info:
            sweep.run(module.slow, grid, store, fixed=fixed, executor=2, progress=False)
        message = str(info.value)
        print(message)
        assert "\n" not in message and "cannot write to the store" in message and "nothing was computed" in message
        assert calls(markers) == before
        res = sweep.load(module.slow, sweep.Grid(x=[0, 1], seeds=1), store, fixed=fixed)  # reading still works
        np.testing.assert_array_equal(res["y"][:, 0], [0, 100])
        if mounted:
            subprocess.run(["mount", "-o", "remount,rw", str(store)], check=True)
        else:
            store.chmod(0o755)
            (store / CLAIMS_DIR).chmod(0o755)
        _rerun_and_check(module, store, markers, 6)
    finally:
        if mounted:
            _umount(store)


def test_a_claim_left_by_an_earlier_driver_of_this_process_is_stale(tmp_path, cellmod):
    """A notebook kernel whose earlier sweep died without cleaning up leaves a claim with
    this very pid: the driver must not wait for itself (oracle: the run returns, the cell
    is computed here once)."""
    import json
    import socket

    from expressivity.sweep.claims import process_start
    from expressivity.sweep.run import _Plan

    _, module = cellmod
    markers, store = _setup(tmp_path), tmp_path / "store"
    grid = sweep.Grid(x=[0, 1], seeds=1)
    plan = _Plan(module.slow, grid, store, _fixed(markers))
    owner = {"driver": "gone", "host": socket.gethostname(), "pid": os.getpid(), "start": process_start(os.getpid())}
    _fake_claim(store, plan.cells[1][1], owner)
    res = sweep.run(module.slow, grid, store, fixed=_fixed(markers), executor="inprocess", progress=False)
    assert calls(markers) == {(0, 0): 1, (1, 0): 1} and res.attrs["run"]["stale_claims"] == 1
    json.dumps(res.attrs["run"])


def test_a_private_store_writes_no_claims(tmp_path, cellmod):
    """Store(shared=False) (the throw-away stores of ensemble(cache_dir=None)): the same
    results, no claim files (oracle: the directory listing)."""
    _, module = cellmod
    markers = _setup(tmp_path)
    store = sweep.Store(tmp_path / "s", fsync=False, shared=False)
    res = sweep.run(module.slow, sweep.Grid(x=[0, 1, 2], seeds=1), store, fixed=_fixed(markers),
                    executor="inprocess", progress=False)
    np.testing.assert_array_equal(res["y"][:, 0], [0, 100, 200])
    assert not (tmp_path / "s" / CLAIMS_DIR).exists()
