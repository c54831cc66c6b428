"""Figure ensembles as sweeps (expressivity.sweep.ensembles). Oracle: direct calls of the cell
function, and the cell files on disk (what is stored, reused, or removed)."""
import numpy as np
import pytest

from expressivity.sweep import ensemble, run_rows
from expressivity import sweep


def affine(a, seed, *, scale=1.0):
    """A cheap deterministic cell: a vector drawn from ``seed`` times ``scale``, plus ``a``."""
    return {"v": a + scale * np.random.default_rng(seed).standard_normal(3), "n": np.int64(seed)}


def test_ensemble_stores_under_cache_dir_and_matches_direct_calls(tmp_path):
    grid = sweep.Grid(a=[0.0, 2.5], seeds=3)
    res = ensemble("aff", affine, grid, tmp_path, fixed={"scale": 2.0}, executor="inprocess")
    assert res.dims == ("a", "seed") and res["v"].shape == (2, 3, 3)
    for i, a in enumerate((0.0, 2.5)):
        for s in range(3):
            np.testing.assert_array_equal(res["v"][i, s], affine(a, s, scale=2.0)["v"])
    assert len(list((tmp_path / "aff").glob("*.npz"))) == 6


def test_without_cache_dir_nothing_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    res = ensemble("aff", affine, sweep.Grid(a=[1.0], seeds=2), None, executor="inprocess")
    np.testing.assert_array_equal(res["v"][0, 1], affine(1.0, 1)["v"])
    assert not list(tmp_path.iterdir()), "the throw-away store must be removed"
    assert not (tmp_path / ".sweeps").exists()


def test_run_rows_pairs_parameters_and_keys_each_row_by_its_own_parameters(tmp_path):
    rows = [dict(a=1.0, seed=5), dict(a=np.float64(-2.0), seed=np.int64(0))]
    res = run_rows("rows", affine, rows, tmp_path, fixed={"scale": 0.5}, executor="inprocess")
    assert res.dims == ("row",) and res["v"].shape == (2, 3)
    np.testing.assert_array_equal(res["v"][0], affine(1.0, 5, scale=0.5)["v"])
    np.testing.assert_array_equal(res["v"][1], affine(-2.0, 0, scale=0.5)["v"])
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "rows").glob("*.npz")}
    # adding a row (and reordering) reuses the stored rows: a cell's key is its own parameters
    more = [rows[1], dict(a=3.0, seed=1), rows[0]]
    res2 = run_rows("rows", affine, more, tmp_path, fixed={"scale": 0.5}, executor="inprocess")
    np.testing.assert_array_equal(res2["v"][[0, 2]], res["v"][[1, 0]])
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "rows").glob("*.npz")}
    assert len(after) == 3 and all(after[p] == t for p, t in before.items())


def test_run_rows_rejects_bad_rows():
    with pytest.raises(ValueError, match=r"rows\[1\] repeats rows\[0\]"):
        run_rows("r", affine, [dict(a=1.0, seed=0)] * 2, None, executor="inprocess")
    with pytest.raises(TypeError, match="row values"):
        run_rows("r", affine, [dict(a=[1.0], seed=object())], None, executor="inprocess")
    with pytest.raises(ValueError, match="fn"):
        run_rows("r", affine, [dict(a=1.0, seed=0)], None, fixed={"fn": 1}, executor="inprocess")


def test_progress_bar_and_summary_are_labelled_by_the_ensemble_name(tmp_path, capsys):
    """Oracle: the text written to stderr names the ensemble, not the internal row cell."""
    run_rows("ring_runs", affine, [dict(a=1.0, seed=0)], tmp_path, fixed={"scale": 2.0},
             executor="inprocess", progress=True)
    err = capsys.readouterr().err
    assert "sweep ring_runs:" in err and "_row_cell" not in err
