"""The simulation figures render in quick mode (oracle: a Figure with drawn axes; the numbers
inside are tested in the module tests), and their ensembles are sweeps stored in the cache
directory that a second run reuses without recomputing a cell (oracle: the cell files on
disk and a count of the cell calls). Jobs that overlay theory need meanfield's API and skip
until it is merged."""
import functools
import warnings

import numpy as np
import pytest

from expressivity import figures_raghu, reproduce, sweep
from expressivity.figure_jobs import simulation


def _has_meanfield():
    try:
        import meanfield
    except ImportError:
        return False
    return all(hasattr(meanfield, a) for a in ("curve_theory", "length_map", "correlation_map", "chi1"))


NEEDS_THEORY = {"poole2016_fig1a_simulation", "poole2016_fig2b_simulation", "poole2016_fig3_circle",
                "poole2016_fig4cde_curve_geometry"}


def _cells(root):
    """{cell file: (inode, mtime_ns, size)} of every stored sweep cell below ``root``."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.npz")}


@pytest.mark.parametrize("job", simulation.JOBS, ids=lambda j: j.name)
def test_quick_figure_renders(job, tmp_path):
    if job.name in NEEDS_THEORY and not _has_meanfield():
        pytest.skip("needs meanfield.curve_theory / length_map / correlation_map (not merged yet)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kw = job.kwargs(quick=True)
    if job.uses_cache:
        kw["cache_dir"] = str(tmp_path)
    fig = job.function()(**kw)
    try:
        assert fig.axes and all(np.isfinite(ax.get_ylim()).all() for ax in fig.axes)
        if job.uses_cache:  # a second run is served from the store: no cell file is rewritten
            before = _cells(tmp_path)
            assert before, "the ensemble must be stored as sweep cells in cache_dir"
            assert not list(tmp_path.rglob("*.json")), "the private JSON cache is gone"
            plt.close(job.function()(**kw))
            assert _cells(tmp_path) == before
    finally:
        plt.close(fig)


def test_figure_command_resumes_an_interrupted_ensemble_cell_by_cell(tmp_path, monkeypatch):
    """Interrupt ``expressivity-figures --only raghu2017_dichotomies`` (quick) after 3 of its
    6 cells, run it again, then corrupt one cell and force a redraw. Oracles: the calls of the
    cell function (counted through a wrapper with the same name, hence the same cell keys)
    and the cell files (inode, mtime, size) on disk. No cell is computed twice, none is lost,
    and a corrupt file is recomputed instead of used."""
    real = figures_raghu.dichotomy_count
    calls, stop_after = [], [3]

    @functools.wraps(real)
    def counting(**kw):
        if stop_after[0] is not None and len(calls) == stop_after[0]:
            raise KeyboardInterrupt
        calls.append((kw["width"], kw["layer"], kw["seed"]))
        return real(**kw)

    monkeypatch.setattr(figures_raghu, "dichotomy_count", counting)
    store = tmp_path / ".cache" / "raghu2017_dichotomies"
    only = ["raghu2017_dichotomies"]
    everything = {(k, layer, 0) for k in (6, 12) for layer in (1, 2, 3)}  # the quick grid

    with pytest.raises(KeyboardInterrupt):
        reproduce.run(tmp_path, quick=True, only=only, progress=False)
    assert len(calls) == 3 and not (tmp_path / "raghu2017_dichotomies.png").exists()
    first = _cells(store)
    assert len(first) == 3, "the cells finished before the interruption are stored"

    stop_after[0] = None
    reproduce.run(tmp_path, quick=True, only=only, progress=False)
    assert len(calls) == 6 and set(calls) == everything, "only the missing cells are computed"
    assert (tmp_path / "raghu2017_dichotomies.png").exists()
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
    real, threads = figures_raghu.dichotomy_count, []

    @functools.wraps(real)
    def recording(**kw):
        threads.append(threading.current_thread())
        return real(**kw)

    monkeypatch.setattr(figures_raghu, "dichotomy_count", recording)
    only = ["--only", "raghu2017_dichotomies", "--quick", "--no-progress", "--out", str(tmp_path)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        assert reproduce.main(only + ["--scheduler", cluster.scheduler_address]) == 0
    assert len(threads) == 6 and threading.main_thread() not in threads
    cells = _cells(tmp_path / ".cache" / "raghu2017_dichotomies")
    assert len(cells) == 6 and (tmp_path / "raghu2017_dichotomies.png").exists()
    assert reproduce.main(only + ["--force", "--workers", "0"]) == 0
    assert len(threads) == 6 and _cells(tmp_path / ".cache" / "raghu2017_dichotomies") == cells
