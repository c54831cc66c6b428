"""The figure command: registry, resumability and atomic writes (oracle: the files on disk,
and counted calls of the cell functions: no cell is computed twice, none is lost)."""
import functools
import json
import sys
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


def test_resume_skips_done_figures_and_keeps_stale_ones_unless_refreshed(tmp_path, monkeypatch):
    """Oracle: the calls of the figure function and the manifest on disk. Done figures are
    skipped; a figure drawn in the other mode is stale: kept by default (its PNG untouched),
    recomputed with ``refresh``; the manifest records key, mode, settings, revision, wall
    time, cost per mode, date and version."""
    from expressivity import __version__

    calls = []
    monkeypatch.setattr(reproduce, "all_jobs", lambda: _fake_jobs(calls))
    reproduce.run(tmp_path, quick=True, progress=False)
    assert calls == [1.0, 0.5]
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reproduce.run(tmp_path, quick=True, progress=False)
    assert calls == [1.0, 0.5], "up-to-date figures must be skipped"
    png = (tmp_path / "b.png").read_bytes()
    reproduce.run(tmp_path, quick=False, progress=False, only=["b"])
    assert calls == [1.0, 0.5], "a stale figure whose PNG exists is kept by default"
    assert (tmp_path / "b.png").read_bytes() == png
    [item] = reproduce.plan(tmp_path, quick=False, only=["b"])
    assert (item.status, item.action, item.reasons) == ("stale", "keep", ("drawn with quick settings; full asked for",))
    reproduce.run(tmp_path, quick=False, progress=False, only=["b"], refresh=True)
    assert calls == [1.0, 0.5, 3.0], "--refresh recomputes stale figures"
    manifest = json.loads((tmp_path / ".manifest.json").read_text())
    assert set(manifest) == {"a", "b"}
    b = manifest["b"]
    assert (b["quick"], b["mode"], b["settings"], b["revision"], b["version"]) == (False, "full", {"value": 3.0}, 0, __version__)
    assert set(b["costs"]) == {"quick", "full"} and b["costs"]["full"] == b["seconds"] >= 0
    assert b["date"][:4].isdigit() and b["date"].endswith("+00:00")
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


# ------------------------------------------------------------------ the plan (issue 18)
def _plan_jobs(calls):
    """Seven fake jobs whose manifest entries (written by :func:`_plan_manifest`) make each
    case of the plan: done, stale by settings, by revision, by mode, by an older manifest,
    missing with and without a recorded cost, and an older entry whose key alone differs."""
    def fig(value=1.0, n=1):
        calls.append(value)
        return _tiny_figure(value)

    import sys
    import types

    mod = types.ModuleType("_plan_fig_module")
    mod.fig = fig
    sys.modules["_plan_fig_module"] = mod
    f = "_plan_fig_module:fig"
    return [FigureJob("done_big", f, full={"value": 1.0}),
            FigureJob("stale_settings", f, full={"value": 3.0, "n": 4}),
            FigureJob("stale_revision", f, full={"value": 1.0}, revision=2),
            FigureJob("stale_legacy", f, full={"value": 5.0}),
            FigureJob("missing_known", f, full={"value": 6.0}),
            FigureJob("missing_unknown", f, full={"value": 7.0}),
            FigureJob("missing_known2", f, full={"value": 8.0}),
            FigureJob("done_keyformat", f, full={"value": 9.0})]


#: the recorded costs (seconds) that the expected times must reproduce
COSTS = {"done_big": 10_000.0, "stale_settings": 100.0, "stale_revision": 40.0, "stale_legacy": 77.0,
         "missing_known": 250.0, "missing_known2": 100.0, "done_keyformat": 3.0}


def _plan_manifest(out, jobs):
    by = {j.name: j for j in jobs}
    entry = lambda name, **kw: dict(key=by[name].key(False), mode="full", quick=False,  # noqa: E731
                                    settings=by[name].settings(False), revision=by[name].revision,
                                    seconds=COSTS[name], costs={"full": COSTS[name]}, **kw)
    manifest = {
        "done_big": entry("done_big"),
        "stale_settings": dict(entry("stale_settings"), key="0" * 16, settings={"value": 2.0, "steps": 10}),
        "stale_revision": dict(entry("stale_revision"), key="1" * 16, revision=0),
        # written before settings were recorded: key, mode flag, wall time, version only
        "stale_legacy": {"key": "2" * 16, "quick": False, "seconds": COSTS["stale_legacy"], "version": "0.1.0"},
        "missing_known": dict(entry("missing_known"), costs={"full": 250.0, "quick": 1.5}),
        "missing_known2": dict(entry("missing_known2"), key="3" * 16, settings={"value": 0.0}),
        # same settings, mode and revision, other key: the key's format changed, nothing to redo
        "done_keyformat": dict(entry("done_keyformat"), key="4" * 16),
    }
    (out / ".manifest.json").write_text(json.dumps(manifest))
    for name in ("done_big", "stale_settings", "stale_revision", "stale_legacy", "done_keyformat"):
        (out / f"{name}.png").write_bytes(b"committed " + name.encode())


@pytest.fixture
def planned(tmp_path, monkeypatch):
    calls = []
    jobs = _plan_jobs(calls)
    monkeypatch.setattr(reproduce, "all_jobs", lambda: jobs)
    _plan_manifest(tmp_path, jobs)
    return tmp_path, calls


def test_plan_says_done_stale_why_missing_and_expected_seconds(planned):
    """Oracle: the hand-written manifest. Status and reasons follow from what it records
    (settings diff, revision, older entry), expected seconds are its recorded costs in the
    asked-for mode (None where it has none), actions follow --refresh / --force."""
    out, calls = planned
    items = {it.name: it for it in reproduce.plan(out)}
    assert {n: it.status for n, it in items.items()} == {
        "done_big": "done", "stale_settings": "stale", "stale_revision": "stale", "stale_legacy": "stale",
        "missing_known": "missing", "missing_unknown": "missing", "missing_known2": "missing",
        "done_keyformat": "done"}
    assert items["stale_settings"].reasons == ("n added (4)", "steps removed (was 10)", "value: 2.0 -> 3.0")
    assert items["stale_revision"].reasons == ("revision 0 -> 2 (the figure's code changed)",)
    assert "settings not recorded" in items["stale_legacy"].reasons[0]
    assert {n: it.action for n, it in items.items()} == {
        "done_big": "skip", "stale_settings": "keep", "stale_revision": "keep", "stale_legacy": "keep",
        "missing_known": "run", "missing_unknown": "run", "missing_known2": "run", "done_keyformat": "skip"}
    assert {n: it.expected for n, it in items.items()} == {**COSTS, "missing_unknown": None}
    assert items["missing_known2"].estimate_note == "recorded with other settings"
    assert items["missing_known"].estimate_note == "" and items["done_big"].estimate_note == ""
    assert reproduce.plan(out, quick=True, only=["missing_known"])[0].expected == 1.5
    assert reproduce.plan(out, quick=True, only=["done_big"])[0].expected is None
    refreshed = {it.name: it.action for it in reproduce.plan(out, refresh=True)}
    assert [n for n, a in refreshed.items() if a == "run"] == [
        "stale_settings", "stale_revision", "stale_legacy", "missing_known", "missing_unknown", "missing_known2"]
    assert {it.action for it in reproduce.plan(out, force=True)} == {"run"}
    to_run = [it for it in reproduce.plan(out) if it.action == "run"]
    assert reproduce.expected_remaining(to_run) == (COSTS["missing_known"] + COSTS["missing_known2"], 1)
    assert calls == [], "planning computes nothing"


def test_default_run_keeps_stale_pngs_and_refresh_recomputes_them(planned):
    """Oracle: the calls of the figure function and the bytes of the kept PNGs."""
    out, calls = planned
    reproduce.run(out, progress=False)
    assert calls == [6.0, 7.0, 8.0], "only the missing figures run"
    for name in ("stale_settings", "stale_revision", "stale_legacy", "done_big", "done_keyformat"):
        assert (out / f"{name}.png").read_bytes() == b"committed " + name.encode()
    reproduce.run(out, progress=False, refresh=True)
    assert calls == [6.0, 7.0, 8.0, 3.0, 1.0, 5.0], "--refresh recomputes the stale ones, nothing else"
    assert {it.status for it in reproduce.plan(out)} == {"done"}
    reproduce.run(out, progress=False, force=True, only=["done_*"])
    assert calls[6:] == [1.0, 9.0], "--force recomputes every selected figure"


def test_eta_comes_from_recorded_costs_of_the_figures_that_run(planned, capsys):
    """Oracle: the manifest's numbers. The time left before each figure is the sum of the
    recorded costs of it and the figures after it that will run (250 + 100 s, then 100 s),
    never counting the skipped 10 000 s figure; figures without a cost are counted apart.
    Both the log lines and the outer bar's text say so."""
    out, calls = planned
    lines = []
    reproduce.run(out, progress=True, log=lines.append)
    starts = [line for line in lines if "left in all" in line]
    assert [line.split("left in all: ")[1] for line in starts] == [
        "about 5 min 50 s + 1 figure of unknown cost",   # missing_known: 250 + 100 (+ missing_unknown)
        "about 1 min 40 s + 1 figure of unknown cost",   # missing_unknown: 100 still to come
        "about 1 min 40 s"]                              # missing_known2
    assert "expected 4 min 10 s" in starts[0] and "expected unknown" in starts[1]
    assert "recorded with other settings" in starts[2]
    err = capsys.readouterr().err
    assert "figures: 0/3" in err and "left: about 5 min 50 s + 1 figure of unknown cost" in err
    assert "now missing_known (recorded 4 min 10 s" in err and "now missing_known2" in err
    assert "2 h 46 min" not in err and "10000" not in err
    manifest = json.loads((out / ".manifest.json").read_text())
    assert manifest["missing_unknown"]["costs"] == {"full": manifest["missing_unknown"]["seconds"]}
    assert manifest["missing_known"]["costs"]["quick"] == 1.5, "the other mode's cost is kept"


def test_list_prints_the_plan_and_runs_nothing(planned, capsys):
    """Oracle: the manifest's statuses and costs in ``--list`` output; no figure function call."""
    out, calls = planned
    assert reproduce.main(["--out", str(out), "--list"]) == 0
    text = capsys.readouterr().out
    assert calls == []
    assert text.splitlines()[0] == f"8 figures in {out}/ (full settings): 2 done, 3 stale, 3 missing"
    rows = {line.split()[-1]: line.split() for line in text.splitlines() if line.startswith("  ") and
            line.split()[0] in reproduce.STATUSES}
    assert rows["done_big"][:2] == ["done", "skip"] and " ".join(rows["done_big"][2:4]) == "2 h"
    assert rows["stale_settings"][:5] == ["stale", "keep", "1", "min", "40"]
    assert rows["missing_unknown"][:3] == ["missing", "run", "unknown"]
    assert rows["missing_known2"][2:6] == ["1", "min", "40", "s*"]
    assert "n added (4); steps removed (was 10); value: 2.0 -> 3.0" in text
    assert "kept 3 stale figures (--refresh" in text
    assert "will run 3 figures: about 5 min 50 s + 1 figure of unknown cost by the recorded costs" in text
    assert reproduce.main(["--out", str(out), "--list", "--force", "--only", "done_big"]) == 0
    assert "will run 1 figure: about 2 h 46 min by the recorded costs" in capsys.readouterr().out


def test_command_prints_the_plan_before_running_and_ctrl_c_says_how_to_resume(planned, capsys, monkeypatch):
    """Oracle: the command's output around an interrupt in the second figure that runs."""
    out, calls = planned
    real = sys.modules["_plan_fig_module"].fig

    def interrupting(value=1.0, n=1):
        if value == 7.0:
            raise KeyboardInterrupt
        return real(value, n)

    monkeypatch.setattr(sys.modules["_plan_fig_module"], "fig", interrupting)
    assert reproduce.main(["--out", str(out), "--no-progress"]) == 130
    captured = capsys.readouterr()
    plan_text = captured.out
    assert "will run 3 figures" in plan_text and calls == [6.0]
    assert "2 done figures skipped (--list shows every figure)" in plan_text and "done_big" not in plan_text
    assert "stale    keep" in plan_text and "missing  run" in plan_text
    err = captured.err
    assert "interrupted during missing_unknown." in err
    assert "complete: 3 of 8 selected figures are up to date; written in this run: missing_known" in err
    assert "still to run: 2 figures (missing_unknown, missing_known2), expected about 1 min 40 s + 1 figure" in err
    assert "run the same command again to resume" in err


def test_resumed_run_keeps_the_recorded_cost(tmp_path, monkeypatch):
    """A run that reused stored cells took less than a run from scratch: the manifest keeps
    the larger recorded cost (oracle: the hand-written previous cost) and counts the cells."""
    import types

    mod = types.ModuleType("_cached_fig_module")
    mod.fig = lambda value=1.0, cache_dir=None: _tiny_figure(value)
    sys.modules["_cached_fig_module"] = mod
    jobs = [FigureJob("c", "_cached_fig_module:fig", full={"value": 2.0}, uses_cache=True)]
    monkeypatch.setattr(reproduce, "all_jobs", lambda: jobs)
    (tmp_path / ".cache" / "c").mkdir(parents=True)
    (tmp_path / ".cache" / "c" / "cell.npz").write_bytes(b"")
    (tmp_path / ".manifest.json").write_text(json.dumps({"c": {"key": "x", "costs": {"full": 500.0}}}))
    [item] = reproduce.plan(tmp_path)
    assert (item.status, item.cached, item.expected) == ("missing", 1, 500.0)
    assert "1 finished cell in .cache/c reused" in reproduce.format_plan([item])
    reproduce.run(tmp_path, progress=False)
    entry = json.loads((tmp_path / ".manifest.json").read_text())["c"]
    assert entry["costs"] == {"full": 500.0} and entry["resumed_cells"] == 1 and entry["seconds"] < 500


# ------------------------------------------------------------------ quick stamp (issue 18)
def _has_stamp(fig):
    from expressivity.papers import QUICK_STAMP

    return any(t.get_text() == QUICK_STAMP for t in fig.texts)


def test_quick_figures_are_stamped_by_the_command_and_by_show_never_in_full_mode(tmp_path, monkeypatch):
    """Oracle: the text artists of the Figure objects the job function returned (kept after
    the command closed them): "quick settings" on every quick figure, from the command and
    from ``papers.show`` (explicit ``quick=True`` and ``EXPRESSIVITY_QUICK=1``), and never on
    a full-mode one."""
    import sys
    import types

    from expressivity import papers

    figs = []

    def drawing(value=1.0):
        figs.append(_tiny_figure(value))
        return figs[-1]

    mod = types.ModuleType("_stamp_fig_module")
    mod.drawing = drawing
    sys.modules["_stamp_fig_module"] = mod
    job = FigureJob("s", "_stamp_fig_module:drawing", full={"value": 2.0}, quick={"value": 1.0})
    monkeypatch.setattr(reproduce, "all_jobs", lambda: [job])
    monkeypatch.setattr(papers, "get_job", lambda name: job)
    assert reproduce.main(["--out", str(tmp_path / "q"), "--quick", "--no-progress"]) == 0
    assert reproduce.main(["--out", str(tmp_path / "f"), "--no-progress"]) == 0
    assert [_has_stamp(f) for f in figs] == [True, False]
    monkeypatch.setenv("EXPRESSIVITY_QUICK", "1")
    papers.show("s")
    papers.show("s", quick=False)
    monkeypatch.setenv("EXPRESSIVITY_QUICK", "0")
    papers.show("s")
    papers.show("s", quick=True)
    assert [_has_stamp(f) for f in figs[2:]] == [True, False, False, True]
    assert [f.axes[0].lines[0].get_ydata()[1] for f in figs] == [1.0, 2.0, 1.0, 2.0, 2.0, 1.0]


def test_jobs_see_a_checkpoint_directory_inside_their_cache(tmp_path, monkeypatch):
    """Oracle: the value of EXPRESSIVITY_CHECKPOINT_DIR the job function sees (the staircase
    cells checkpoint there), and that it is unset again afterwards and never overrides the user's."""
    import os
    import sys
    import types

    seen = []

    def fig():
        seen.append(os.environ.get("EXPRESSIVITY_CHECKPOINT_DIR"))
        return _tiny_figure()

    mod = types.ModuleType("_ckpt_fig_module")
    mod.fig = fig
    sys.modules["_ckpt_fig_module"] = mod
    monkeypatch.delenv("EXPRESSIVITY_CHECKPOINT_DIR", raising=False)
    monkeypatch.setattr(reproduce, "all_jobs", lambda: [FigureJob("c", "_ckpt_fig_module:fig")])
    reproduce.run(tmp_path, quick=True, progress=False)
    assert seen == [str(tmp_path / ".cache" / "c" / "checkpoints")]
    assert "EXPRESSIVITY_CHECKPOINT_DIR" not in os.environ
    monkeypatch.setenv("EXPRESSIVITY_CHECKPOINT_DIR", "/mine")
    reproduce.run(tmp_path, quick=True, progress=False, force=True)
    assert seen[-1] == "/mine"
