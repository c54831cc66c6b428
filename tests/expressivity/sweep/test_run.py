"""Running sweeps: identical results on every executor, resume without duplicate work, errors.

Oracles: the swept function called directly in a loop over itertools.product (results must
be bit-identical, whatever the executor), and marker files written by every call (counts of
calls prove that resumes do no duplicate work and lose no cell).
"""
import itertools
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from expressivity import sweep


def draw(width, scale, seed):
    """Deterministic given its arguments; a float field and an array field."""
    rng = np.random.default_rng([seed, width])
    x = scale * rng.standard_normal(width)
    return {"mean": x.mean(), "head": x[:3], "n": width}


GRID = sweep.Grid(width=[3, 8, 20], scale=[0.5, 2.0], seeds=3)


def _oracle():
    """The function called directly, cell by cell, stacked by hand."""
    out = {"mean": np.empty(GRID.shape), "head": np.empty(GRID.shape + (3,)), "n": np.empty(GRID.shape, int)}
    for (i, w), (j, s), k in itertools.product(enumerate([3, 8, 20]), enumerate([0.5, 2.0]), range(3)):
        r = draw(w, s, k)
        for f in out:
            out[f][i, j, k] = r[f]
    return out


def _assert_matches_oracle(res):
    assert res.dims == ("width", "scale", "seed")
    np.testing.assert_array_equal(res.coords["scale"], [0.5, 2.0])
    for f, arr in _oracle().items():
        np.testing.assert_array_equal(res[f], arr, strict=True)


def test_inprocess_matches_direct_loop(tmp_path):
    _assert_matches_oracle(sweep.run(draw, GRID, tmp_path, executor="inprocess", progress=False))
    # and loading it back without computing gives the same arrays
    _assert_matches_oracle(sweep.load(draw, GRID, tmp_path))


def test_process_pool_with_two_workers_matches_direct_loop(tmp_path):
    with ProcessPoolExecutor(2) as pool:
        _assert_matches_oracle(sweep.run(draw, GRID, tmp_path, executor=pool, chunksize=4, progress=False))


def test_default_local_pool_and_thread_pool_match(tmp_path):
    _assert_matches_oracle(sweep.run(draw, GRID, tmp_path / "a", progress=False))
    with ThreadPoolExecutor(2) as pool:
        _assert_matches_oracle(sweep.run(draw, GRID, tmp_path / "b", executor=pool, progress=False))


# ------------------------------------------------------------------ resume and errors
def counted(x, seed, marker_dir, fail_at=None, kill_at=None, pause=0.0):
    """Writes a marker per call; raises at x == fail_at and kills its own process at
    x == kill_at while the file <marker_dir>/armed exists."""
    Path(marker_dir, f"{x}_{seed}_{os.getpid()}_{os.urandom(4).hex()}").touch()
    time.sleep(pause)
    armed = Path(marker_dir, "armed").exists()
    if armed and x == fail_at:
        raise ValueError(f"boom at x={x}")
    if armed and x == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": 100 * x + seed}


def calls(marker_dir):
    out = {}
    for p in Path(marker_dir).iterdir():
        if p.name != "armed":
            x, s = map(int, p.name.split("_")[:2])
            out[(x, s)] = out.get((x, s), 0) + 1
    return out


def _setup(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    (markers / "armed").touch()
    return markers


@pytest.mark.parametrize("executor", ["inprocess", 2])
def test_worker_raising_midway_then_resume_does_no_duplicate_work(tmp_path, executor):
    """The raising cell stops the sweep with the original exception; every cell stored before
    is never recomputed; after disarming, resume computes exactly the rest."""
    markers = _setup(tmp_path)
    grid = sweep.Grid(x=list(range(12)), seeds=1)
    fixed = {"marker_dir": str(markers), "fail_at": 5}
    with pytest.raises(ValueError, match="boom at x=5") as info:
        sweep.run(counted, grid, tmp_path / "s", fixed=fixed, executor=executor, progress=False)
    assert any("x': 5" in n for n in info.value.__notes__)
    missing = sweep.missing(counted, grid, tmp_path / "s", fixed=fixed)
    stored = {(p["x"], p["seed"]) for _, p in grid if p not in missing}
    before = calls(markers)
    assert (5, 0) not in stored and len(stored) >= 5 and all(before[c] == 1 for c in stored)
    (markers / "armed").unlink()
    res = sweep.run(counted, grid, tmp_path / "s", fixed=fixed, executor=executor, progress=False)
    after = calls(markers)
    np.testing.assert_array_equal(res["y"][:, 0], 100 * np.arange(12))
    for cell in after:  # stored cells once; cells that ran but were not stored, at most twice
        assert after[cell] == (1 if cell in stored else before.get(cell, 0) + 1)
    assert set(after) == {(x, 0) for x in range(12)}


def test_first_error_stops_submitting_on_a_pool(tmp_path):
    """With on_error="raise", cells queued behind the failure are cancelled, not run:
    40 cells of 50 ms on 2 workers, failing at the 4th; at most the cells already handed to
    the pool (2 workers + 1 queued by ProcessPoolExecutor + a few in flight) run after it."""
    markers = _setup(tmp_path)
    grid = sweep.Grid(x=list(range(40)), seeds=1)
    fixed = {"marker_dir": str(markers), "fail_at": 3, "pause": 0.05}
    with pytest.raises(ValueError, match="boom"):
        sweep.run(counted, grid, tmp_path / "s", fixed=fixed, executor=2, progress=False)
    ran = calls(markers)
    assert len(ran) < 20, sorted(ran)  # without cancellation all 40 run
    stored = 40 - len(sweep.missing(counted, grid, tmp_path / "s", fixed=fixed))
    assert stored == len(ran) - 1, "every cell that ran (except the failing one) is stored"


def test_worker_process_killed_midway_then_resume(tmp_path):
    """A pool worker dies by SIGKILL (BrokenProcessPool): completed cells are kept, nothing is
    corrupt, and resume recomputes only the cells without a stored result."""
    markers = _setup(tmp_path)
    grid = sweep.Grid(x=list(range(10)), seeds=1)
    fixed = {"marker_dir": str(markers), "kill_at": 6}
    with pytest.raises(Exception):
        sweep.run(counted, grid, tmp_path / "s", fixed=fixed, executor=2, progress=False)
    missing = {(p["x"], p["seed"]) for p in sweep.missing(counted, grid, tmp_path / "s", fixed=fixed)}
    assert (6, 0) in missing
    before = calls(markers)
    (markers / "armed").unlink()
    res = sweep.run(counted, grid, tmp_path / "s", fixed=fixed, executor=2, progress=False)
    after = calls(markers)
    np.testing.assert_array_equal(res["y"][:, 0], 100 * np.arange(10))
    for cell in after:
        assert after[cell] == before.get(cell, 0) + (1 if cell in missing else 0)
    assert not list((tmp_path / "s").glob(".*.tmp"))


def test_on_error_continue_computes_the_rest_and_reports(tmp_path):
    markers = _setup(tmp_path)
    grid = sweep.Grid(x=list(range(6)), seeds=2)
    fixed = {"marker_dir": str(markers), "fail_at": 2}
    with pytest.raises(sweep.SweepError, match="2 of 12 cells failed") as info:
        sweep.run(counted, grid, tmp_path / "s", fixed=fixed, executor="inprocess",
                  on_error="continue", progress=False)
    assert sorted(p["seed"] for p, _ in info.value.failures) == [0, 1]
    assert isinstance(info.value.__cause__, ValueError)
    assert len(sweep.missing(counted, grid, tmp_path / "s", fixed=fixed)) == 2


def test_growing_a_grid_reuses_cells(tmp_path):
    markers = _setup(tmp_path)
    fixed = {"marker_dir": str(markers)}
    sweep.run(counted, sweep.Grid(x=[0, 1], seeds=1), tmp_path / "s", fixed=fixed,
              executor="inprocess", progress=False)
    res = sweep.run(counted, sweep.Grid(x=[1, 0, 2], seeds=2), tmp_path / "s", fixed=fixed,
                    executor="inprocess", progress=False)
    assert calls(markers) == {(x, s): 1 for x in (0, 1, 2) for s in (0, 1)}
    np.testing.assert_array_equal(res["y"], [[100, 101], [0, 1], [200, 201]])


def test_bad_grid_or_options_fail_before_any_call(tmp_path):
    """Oracle: no marker file exists after the error."""
    markers = _setup(tmp_path)
    fixed = {"marker_dir": str(markers)}
    cases = [
        (dict(grid=sweep.Grid(x=[1], sed=[0])), ValueError, "'sed'"),
        (dict(grid=sweep.Grid(x=[1]), ), ValueError, "'seed'"),
        (dict(grid=sweep.Grid(x=[1], seeds=1), chunksize=0), ValueError, "chunksize"),
        (dict(grid=sweep.Grid(x=[1], seeds=1), on_error="ignore"), ValueError, "on_error"),
        (dict(grid=sweep.Grid(x=[1], seeds=1), executor="threads"), ValueError, "executor"),
        (dict(grid=sweep.Grid(x=[1], seeds=1), executor=0), ValueError, "executor"),
        (dict(grid=sweep.Grid(x=[1], seeds=1), executor=object()), TypeError, "executor"),
        (dict(grid={"x": [1]}), TypeError, "grid"),
    ]
    for kwargs, exc, word in cases:
        kwargs = dict(kwargs, progress=False)
        grid = kwargs.pop("grid")
        with pytest.raises(exc, match=word):
            sweep.run(counted, grid, tmp_path / "s", fixed=fixed, **kwargs)
    with pytest.raises(ValueError, match="'x'.*non-finite"):
        sweep.run(counted, sweep.Grid(x=[1.0, np.nan], seeds=1), tmp_path / "s", fixed=fixed)
    assert calls(markers) == {}
    assert not (tmp_path / "s").exists()


def test_progress_bar_counts_done_cells_and_new_ones(tmp_path, capsys):
    markers = _setup(tmp_path)
    fixed = {"marker_dir": str(markers)}
    sweep.run(counted, sweep.Grid(x=[0, 1], seeds=1), tmp_path / "s", fixed=fixed,
              executor="inprocess", progress=False)
    sweep.run(counted, sweep.Grid(x=[0, 1, 2, 3, 4], seeds=1), tmp_path / "s", fixed=fixed,
              executor=ThreadPoolExecutor(1), progress=True)
    err = capsys.readouterr().err
    assert "2/5" in err and "5/5" in err and "cell" in err


def test_functions_returning_a_bare_value(tmp_path):
    def hyp(a, b):
        return float(np.hypot(a, b))
    res = sweep.run(hyp, sweep.Grid(a=[3.0, 5.0], b=[4.0, 12.0]), tmp_path, executor="inprocess", progress=False)
    np.testing.assert_array_equal(res["value"], [[5.0, np.hypot(3, 12)], [np.hypot(5, 4), 13.0]])


def test_default_store_is_under_dot_sweeps(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = sweep.run(draw, GRID, executor="inprocess", progress=False)
    _assert_matches_oracle(res)
    (folder,) = (tmp_path / ".sweeps").iterdir()
    assert folder.name.endswith("draw") and len(list(folder.glob("*.npz"))) == len(GRID)
    _assert_matches_oracle(sweep.load(draw, GRID))


class _CountingExecutor(ThreadPoolExecutor):
    """A thread pool that records the largest number of futures outstanding at once."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        import threading

        self.lock, self.outstanding, self.peak, self.submitted = threading.Lock(), 0, 0, 0

    def submit(self, fn, *args, **kwargs):
        with self.lock:
            self.outstanding += 1
            self.submitted += 1
            self.peak = max(self.peak, self.outstanding)
        return super().submit(self._call, fn, *args, **kwargs)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:  # before the future completes, so the driver cannot see a stale count
            with self.lock:
                self.outstanding -= 1


def test_bounded_window_and_chunks(tmp_path):
    """Oracle: the executor's own count of outstanding futures and of submissions."""
    with _CountingExecutor(2) as pool:
        res = sweep.run(draw, GRID, tmp_path, executor=pool, chunksize=5, max_pending=2, progress=False)
    _assert_matches_oracle(res)
    assert pool.peak <= 2
    assert pool.submitted == -(-len(GRID) // 5)
    with pytest.raises(ValueError, match="max_pending"):
        sweep.run(draw, GRID, tmp_path, max_pending=0)


def blas_threads(seed=0):
    """The largest BLAS thread count threadpoolctl sees in the calling process."""
    from threadpoolctl import threadpool_info

    np.ones((2, 2)) @ np.ones((2, 2))   # make sure numpy's BLAS is loaded
    return {"n": max([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] or [0])}


def test_local_pool_workers_share_the_cores_blas_threads(tmp_path):
    """Oracle: threadpoolctl's report inside each worker. n local workers get at most
    cpu_count // n BLAS threads each (2 workers on this 2-core machine: 1), so their BLAS calls
    do not oversubscribe the cores."""
    from expressivity.sweep.run import _cpu_count

    res = sweep.run(blas_threads, sweep.Grid(seeds=4), tmp_path / "s", executor=2, progress=False)
    assert np.all(res["n"] <= max(1, _cpu_count() // 2))
    assert np.all(res["n"] >= 1)


def raises_at_3(x, seed):
    time.sleep(0.004 * (x % 4))
    if x == 3:
        raise KeyError("boom")
    return {"y": x}


def test_raising_cell_on_a_local_pool_never_hangs(tmp_path):
    """The dask hang's twin on a local pool of 2 (created per run, so the cancellation races
    differ run to run): each of 5 runs ends within a 60 s bound (oracle: a watchdog thread)
    with the cell's KeyError, and the pool's workers are gone afterwards."""
    import threading

    from expressivity.sweep.claims import pid_alive

    grid = sweep.Grid(x=list(range(40)), seeds=1)
    for i in range(5):
        out = {}

        def target():
            try:
                sweep.run(raises_at_3, grid, tmp_path / str(i), executor=2, progress=False)
            except BaseException as exc:  # noqa: BLE001
                out["error"] = exc

        t = threading.Thread(target=target, daemon=True)
        t.start()
        t.join(60)
        assert not t.is_alive(), "sweep.run hung after a failing cell"
        assert isinstance(out.get("error"), KeyError)
        res = sweep.load(raises_at_3, grid, tmp_path / str(i), allow_missing=True)
        assert np.isnan(res["y"][3, 0]) and np.nansum(res["y"]) > 0
    import multiprocessing

    assert not [p for p in multiprocessing.active_children() if pid_alive(p.pid)]
