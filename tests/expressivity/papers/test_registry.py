"""Every paper's figure jobs: they render in quick mode, stamped, and their ensembles resume.

Oracles: a matplotlib Figure with finite axis limits and the number of axes of its layout
(where the layout fixes it); the "quick settings" stamp; a second run with the same cache
directory rewrites no stored cell (the cell files' inode, mtime and size); the naming rule
(a figure's name starts with its paper module's name); keys that ignore where cells run.
"""
import numpy as np
import pytest

from expressivity import papers

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# axes per figure: panels + one colorbar per heat map
EXPECTED_AXES = {"poole2016_chaos_fig1_length_map": 6, "poole2016_chaos_fig2_correlation_map": 6,
                 "schoenholz2017_propagation_depth_scales": 3, "schoenholz2017_propagation_gradients": 2,
                 "schoenholz2017_propagation_trainable_depth": 2, "showcase_phase_diagrams": 8}
# long-running quick jobs are rendered by their own paper's tests
SLOW = {"poole2019_bounds_fig2_separable_cubic", "poole2019_bounds_fig2_concat_gaussian",
        "poole2019_bounds_fig2_concat_cubic"}
JOBS = [j for j in papers.all_jobs() if j.name not in SLOW]


def _cells(root):
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.npz")}


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.name)
def test_quick_figure_renders_stamped_and_resumes(job, tmp_path):
    fig = job.render(quick=True, cache_dir=tmp_path)
    try:
        assert isinstance(fig, matplotlib.figure.Figure) and fig.axes
        assert all(np.isfinite(ax.get_ylim()).all() for ax in fig.axes)
        if job.name in EXPECTED_AXES:
            assert len(fig.axes) == EXPECTED_AXES[job.name]
        assert any("quick settings" in t.get_text() for t in fig.texts)
        if job.uses_cache:  # a second run is served from the store: no cell file is rewritten
            before = _cells(tmp_path)
            assert before, "the ensemble must be stored as sweep cells in cache_dir"
            plt.close(job.render(quick=True, cache_dir=tmp_path))
            assert _cells(tmp_path) == before
    finally:
        plt.close("all")


def test_names_start_with_their_paper_module_and_are_unique():
    for paper in papers.PAPERS:
        for job in papers.paper_jobs(paper):
            assert job.name.startswith(paper + "_"), (paper, job.name)
    names = [j.name for j in papers.all_jobs()]
    assert len(names) == len(set(names))
    assert papers.get_job(names[0]).name == names[0]
    with pytest.raises(ValueError, match="no figure"):
        papers.get_job("nope")
    with pytest.raises(ValueError, match="paper must be one of"):
        papers.paper_jobs("nope2020_x")


def test_key_depends_on_settings_mode_and_revision_only():
    """Oracle: keys of hand-built jobs. Where cells run (executor) and whether a bar shows
    (progress) do not change a figure; its settings, the mode and the revision do; moving the
    function (another target) does not."""
    a = papers.FigureJob("x", "m:f", full={"n": 1}, quick={"n": 1, "executor": "inprocess"})
    assert a.key(False) == papers.FigureJob("x", "other:g", full={"n": 1, "progress": True}).key(False)
    assert a.key(False) != a.key(True)
    assert a.key(False) != papers.FigureJob("x", "m:f", full={"n": 2}).key(False)
    assert a.key(False) != papers.FigureJob("x", "m:f", full={"n": 1}, revision=1).key(False)


def test_key_and_recorded_settings_are_the_same_in_another_process():
    """Oracle: the key and settings computed by a fresh interpreter. A function among the
    settings is recorded by ``module:qualname``, never by a repr holding a memory address
    (which made keys change from run to run), and the recorded settings are plain JSON."""
    import json
    import subprocess
    import sys

    code = ("import json, os.path; from expressivity import papers; "
            "j = papers.FigureJob('x', 'm:f', full={'fn': os.path.join, 'n': (1, 2)}); "
            "print(json.dumps([j.key(False), j.settings(False)]))")
    here = papers.FigureJob("x", "m:f", full={"fn": __import__("os").path.join, "n": (1, 2)})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [here.key(False), here.settings(False)]
    assert here.settings(False) == {"fn": {"function": "posixpath:join"}, "n": [1, 2]}


def test_checkpoint_path_is_one_file_per_cell_under_the_cache_directory(tmp_path):
    """Oracle: the convention's path layout, hand-checked: ``<cache_dir>/checkpoints/<name>-<hash>.pkl``,
    the same for equal parameters (in any order), another for other parameters; None without
    a cache directory; bad names and parameters raise."""
    p = papers.checkpoint_path(tmp_path, "ring", {"seed": 1, "steps": 10})
    assert p.parent == tmp_path / "checkpoints" and p.name.startswith("ring-") and p.suffix == ".pkl"
    assert p == papers.checkpoint_path(str(tmp_path), "ring", {"steps": 10, "seed": 1})
    assert p != papers.checkpoint_path(tmp_path, "ring", {"seed": 2, "steps": 10})
    assert p != papers.checkpoint_path(tmp_path, "other", {"seed": 1, "steps": 10})
    assert papers.checkpoint_path(None, "ring", {"seed": 1}) is None
    with pytest.raises(ValueError, match="name"):
        papers.checkpoint_path(tmp_path, "../x", {})
    with pytest.raises(TypeError, match="params"):
        papers.checkpoint_path(tmp_path, "ring", [1, 2])


def test_shared_runs_store_and_checkpoint_names(tmp_path):
    """Oracle: the convention written out. A job's cache directory maps to the paper's shared
    store beside it, any other directory to its own ``runs``; checkpoint files are named only
    inside ``checkpoints(store)``, by a hash of the cell's parameters (equal parameters, equal
    file; different ones, different files)."""
    from expressivity.papers import FigureJob, SharedRuns

    runs = SharedRuns("paper_runs")
    jobs = [FigureJob("paper_fig", lambda: None, full={}, quick={})]
    assert runs.store(None, jobs) is None
    assert runs.store(tmp_path / "paper_fig", jobs) == tmp_path / "paper_runs"
    assert runs.store(tmp_path / "mine", jobs) == tmp_path / "mine" / "runs"
    assert runs.checkpoint("ring", {"seed": 0}) is None
    with runs.checkpoints(tmp_path / "paper_runs"):
        a = runs.checkpoint("ring", {"seed": 0, "steps": 5})
        assert a == runs.checkpoint("ring", {"steps": 5, "seed": 0})
        assert a != runs.checkpoint("ring", {"seed": 1, "steps": 5})
        assert a.parent == tmp_path / "paper_runs" / "checkpoints" and a.name.startswith("ring_")
    assert runs.checkpoint("ring", {"seed": 0}) is None
    with runs.checkpoints(None):
        assert runs.checkpoint("ring", {"seed": 0}) is None
