"""The figure command: registry, resumability and atomic writes (oracle: the files on disk,
and counted calls of the cell functions: no cell is computed twice, none is lost)."""
import functools
import json
import warnings

import pytest

from expressivity import reproduce, sweep
from expressivity.papers import raghu2017_expressive as R
from expressivity.papers import FigureJob


def _tiny_figure(value=1.0):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, value])
    return fig


def _fake_jobs(calls):
    def fig(value=1.0):
        calls.append(value)
        return _tiny_figure(value)

    import sys
    import types

    mod = types.ModuleType("_fake_fig_module")
    mod.fig = fig
    sys.modules["_fake_fig_module"] = mod
    return [FigureJob("a", "_fake_fig_module:fig", full={"value": 2.0}, quick={"value": 1.0}),
            FigureJob("b", "_fake_fig_module:fig", full={"value": 3.0}, quick={"value": 0.5})]


def test_resume_skips_done_figures_and_recomputes_changed(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(reproduce, "all_jobs", lambda: _fake_jobs(calls))
    reproduce.run(tmp_path, quick=True, progress=False)
    assert calls == [1.0, 0.5]
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reproduce.run(tmp_path, quick=True, progress=False)
    assert calls == [1.0, 0.5], "up-to-date figures must be skipped"
    reproduce.run(tmp_path, quick=False, progress=False, only=["b"])
    assert calls == [1.0, 0.5, 3.0], "changed settings must recompute"
    manifest = json.loads((tmp_path / ".manifest.json").read_text())
    assert set(manifest) == {"a", "b"} and manifest["b"]["quick"] is False
    assert not list(tmp_path.glob(".*.tmp"))


def test_interrupted_job_leaves_no_partial_file(tmp_path, monkeypatch):
    def boom():
        raise KeyboardInterrupt

    import sys
    import types

    mod = types.ModuleType("_boom_module")
    mod.boom = boom
    sys.modules["_boom_module"] = mod
    monkeypatch.setattr(reproduce, "all_jobs", lambda: [FigureJob("x", "_boom_module:boom")])
    with pytest.raises(KeyboardInterrupt):
        reproduce.run(tmp_path, progress=False)
    assert not (tmp_path / "x.png").exists()


def test_unknown_only_pattern_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce, "all_jobs", lambda: _fake_jobs([]))
    with pytest.raises(ValueError, match="only"):
        reproduce.run(tmp_path, only=["nope*"], progress=False)


def test_executor_and_progress_reach_jobs_that_take_them(tmp_path, monkeypatch):
    """Oracle: the keyword arguments the job functions receive. ``executor`` overrides a
    job's own setting without changing its recorded key (so no figure is redrawn);
    ``progress`` goes to cached jobs whose function takes it; other jobs get neither."""
    import sys
    import types

    seen = {}

    def sweeping(value=1.0, executor=None, progress=False, cache_dir=None):
        seen["sweeping"] = dict(executor=executor, progress=progress, cache_dir=cache_dir)
        return _tiny_figure(value)

    def plain(value=1.0):
        seen["plain"] = value
        return _tiny_figure(value)

    mod = types.ModuleType("_exec_fig_module")
    mod.sweeping, mod.plain = sweeping, plain
    sys.modules["_exec_fig_module"] = mod
    jobs = [FigureJob("s", "_exec_fig_module:sweeping", quick={"executor": "inprocess"}, uses_cache=True),
            FigureJob("p", "_exec_fig_module:plain")]
    monkeypatch.setattr(reproduce, "all_jobs", lambda: jobs)
    reproduce.run(tmp_path, quick=True, progress=False)
    assert seen["sweeping"] == dict(executor="inprocess", progress=False,
                                    cache_dir=str(tmp_path / ".cache" / "s"))
    reproduce.run(tmp_path, quick=True, progress=False, force=True, executor=2)
    assert seen["sweeping"]["executor"] == 2 and seen["plain"] == 1.0
    key = json.loads((tmp_path / ".manifest.json").read_text())["s"]["key"]
    assert key == reproduce._job_key(jobs[0], quick=True)
    assert key == reproduce._job_key(FigureJob("s", "_exec_fig_module:sweeping", uses_cache=True), quick=True)
    assert key != reproduce._job_key(FigureJob("s", "_exec_fig_module:sweeping", quick={"value": 2.0}), True)
    for flag, executor in (("0", "inprocess"), ("3", 3)):  # the command line: --workers N
        assert reproduce.main(["--out", str(tmp_path), "--quick", "--force", "--no-progress",
                               "--only", "s", "--workers", flag]) == 0
        assert seen["sweeping"]["executor"] == executor


def test_workers_option_is_checked(capsys):
    """Oracle: argparse rejects a negative --workers and --workers with --scheduler."""
    with pytest.raises(SystemExit):
        reproduce.main(["--workers", "-1", "--list"])
    with pytest.raises(SystemExit):
        reproduce.main(["--workers", "2", "--scheduler", "tcp://x:1", "--list"])


def _cells(root):
    """{cell file: (inode, mtime_ns, size)} of every stored sweep cell below ``root``."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.npz")}


def test_figure_command_resumes_an_interrupted_ensemble_cell_by_cell(tmp_path, monkeypatch):
    """Interrupt ``expressivity-figures --only raghu2017_expressive_dichotomies`` (quick) after 3 of its
    6 cells, run it again, then corrupt one cell and force a redraw. Oracles: the calls of the
    cell function (counted through a wrapper with the same name, hence the same cell keys)
    and the cell files (inode, mtime, size) on disk. No cell is computed twice, none is lost,
    and a corrupt file is recomputed instead of used."""
    real = R.dichotomy_count
    calls, stop_after = [], [3]

    @functools.wraps(real)
    def counting(**kw):
        if stop_after[0] is not None and len(calls) == stop_after[0]:
            raise KeyboardInterrupt
        calls.append((kw["width"], kw["layer"], kw["seed"]))
        return real(**kw)

    monkeypatch.setattr(R, "dichotomy_count", counting)
    store = tmp_path / ".cache" / "raghu2017_expressive_dichotomies"
    only = ["raghu2017_expressive_dichotomies"]
    everything = {(k, layer, 0) for k in (6, 12) for layer in (1, 2, 3)}  # the quick grid

    with pytest.raises(KeyboardInterrupt):
        reproduce.run(tmp_path, quick=True, only=only, progress=False)
    assert len(calls) == 3 and not (tmp_path / "raghu2017_expressive_dichotomies.png").exists()
    first = _cells(store)
    assert len(first) == 3, "the cells finished before the interruption are stored"

    stop_after[0] = None
    reproduce.run(tmp_path, quick=True, only=only, progress=False)
    assert len(calls) == 6 and set(calls) == everything, "only the missing cells are computed"
    assert (tmp_path / "raghu2017_expressive_dichotomies.png").exists()
    second = _cells(store)
    assert len(second) == 6 and all(second[p] == first[p] for p in first), "finished cells are untouched"

    victim = sorted(second)[0]
    victim.write_bytes(victim.read_bytes()[:-7])  # a truncated (partial) cell file
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reproduce.run(tmp_path, quick=True, only=only, progress=False, force=True)  # redraw
    assert len(calls) == 7, "a redraw reuses every verified cell and recomputes the corrupt one"
    assert any(issubclass(w.category, sweep.CorruptCellWarning) for w in caught)
    third = _cells(store)
    assert set(third) == set(second) and all(third[p] == second[p] for p in second if p != victim)
    assert third[victim] != second[victim]


def test_figure_command_runs_cells_on_a_dask_scheduler(tmp_path, monkeypatch):
    """``expressivity-figures --scheduler ADDRESS`` runs a figure's sweep cells on a
    dask.distributed cluster that the test starts (in-process workers). Oracles: the threads
    the cell function ran on (the cluster's, never the main thread), the 6 stored cells, and a
    rerun with ``--workers 0`` that rewrites none of them."""
    import threading

    distributed = pytest.importorskip("dask.distributed")
    real, threads = R.dichotomy_count, []

    @functools.wraps(real)
    def recording(**kw):
        threads.append(threading.current_thread())
        return real(**kw)

    monkeypatch.setattr(R, "dichotomy_count", recording)
    only = ["--only", "raghu2017_expressive_dichotomies", "--quick", "--no-progress", "--out", str(tmp_path)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        assert reproduce.main(only + ["--scheduler", cluster.scheduler_address]) == 0
    assert len(threads) == 6 and threading.main_thread() not in threads
    cells = _cells(tmp_path / ".cache" / "raghu2017_expressive_dichotomies")
    assert len(cells) == 6 and (tmp_path / "raghu2017_expressive_dichotomies.png").exists()
    assert reproduce.main(only + ["--force", "--workers", "0"]) == 0
    assert len(threads) == 6 and _cells(tmp_path / ".cache" / "raghu2017_expressive_dichotomies") == cells
