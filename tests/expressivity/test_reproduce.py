"""The figure command: registry, resumability and atomic writes (oracle: the files on disk)."""
import json

import pytest

from expressivity import reproduce
from expressivity.figure_jobs import FigureJob


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
