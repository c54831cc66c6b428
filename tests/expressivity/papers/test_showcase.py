"""The tiled phase diagram figure (the sweep API's worked example).

Oracles: one ``meanfield.phase_diagram`` call on the whole quick grid (the chi1 and c* the
figure draws, read from its images, must equal it to the solver tolerance), and the tile
files on disk (a second run rewrites none)."""
import numpy as np
import pytest

import meanfield as mf
from expressivity.papers import get_job
from expressivity.papers.showcase import phase_diagram_tiled

def _image(ax):
    (image,) = ax.images
    return np.ma.filled(np.ma.asarray(image.get_array()).astype(float), np.nan)


JOB = get_job("showcase_sweep_tiled")


def test_quick_tiled_phase_diagram_draws_one_calls_fields_and_resumes(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kw = dict(JOB.kwargs(quick=True), cache_dir=str(tmp_path))
    fig = JOB.resolve()(**kw)
    try:
        sw = np.linspace(0.5, 5.0, kw["n_w"])
        sb = np.linspace(0.0, 2.0, kw["n_b"])
        direct = mf.phase_diagram(kw["activation"], sw, sb)
        chi1, c_star = (_image(ax) for ax in fig.axes[:2])  # the two panels, [i_w, i_b]
        # the tiles are stored as float32 (sweep.tiled_phase_diagram's default): equal to the
        # solver's values up to that rounding
        np.testing.assert_allclose(chi1, direct.chi1, rtol=2 ** -23)
        np.testing.assert_allclose(c_star, direct.c_star, rtol=2 ** -23, atol=1e-12)
        assert np.nanmin(direct.chi1) < 1 < np.nanmax(direct.chi1), "the grid must cross the critical line"
        tiles = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.npz")}
        n_tiles = -(-kw["n_w"] // kw["tile"][0]) * -(-kw["n_b"] // kw["tile"][1])
        assert len(tiles) == n_tiles
        plt.close(JOB.resolve()(**kw))
        assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.npz")} == tiles
    finally:
        plt.close(fig)


@pytest.mark.parametrize("bad", [dict(n_w=1), dict(n_b=2.5), dict(n_w=True)])
def test_bad_grid_sizes_raise_before_any_work(bad, tmp_path):
    """Oracle: the documented ValueError naming the argument; nothing is written."""
    with pytest.raises(ValueError, match=next(iter(bad))):
        phase_diagram_tiled(**bad, cache_dir=str(tmp_path), executor="inprocess")
    assert not list(tmp_path.rglob("*.npz"))
