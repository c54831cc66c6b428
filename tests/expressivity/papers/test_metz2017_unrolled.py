"""Metz et al. (2017) paper module: the paper's settings, cached runs shared by the figures,
the hop statistics.

Oracles: the paper's App. A / Fig. 1 values for the full settings; a second call with the same
cache directory must not train (training replaced by a function that raises); hand-built
snapshots with known dominant modes for the hop statistics; a Figure with finite axes.
"""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from expressivity import gan
from expressivity.papers import get_job
from expressivity.papers import metz2017_unrolled as paper


def test_full_settings():
    """Fig. 1 of the paper: K = 0 against unrolled K = 5, 10; 12 500 iterations (App. A
    networks by default), 5 seeds for the table, the ablation at K = 10."""
    full = get_job("metz2017_unrolled_fig1").kwargs(quick=False)
    assert full["unroll_steps"] == (0, 5, 10) and full["steps"] == 12_500 and full["options"] == {}
    assert len(get_job("metz2017_unrolled_seed_table").kwargs(quick=False)["seeds"]) >= 5
    assert get_job("metz2017_unrolled_ablation").kwargs(quick=False)["unrolled"] == 10
    assert all(get_job(j.name).uses_cache for j in paper.JOBS)


def test_runs_are_cached_and_shared(tmp_path, monkeypatch):
    q = paper.QUICK
    kw = dict(steps=q["steps"], snapshot_every=q["snapshot_every"], n_snapshot=q["n_snapshot"],
              options=q["options"], progress=False)
    cache = tmp_path / "metz2017_unrolled_fig1"
    a = paper.ring_runs((0, 1), (0,), cache_dir=cache, **kw)
    assert (tmp_path / "metz2017_unrolled_runs").is_dir()

    def boom(*args, **kwargs):
        raise AssertionError("trained again although the run is cached")

    monkeypatch.setattr(paper, "train_gan", boom)
    b = paper.ring_runs((0, 1), (0,), cache_dir=tmp_path / "metz2017_unrolled_seed_table", **kw)
    for key in a:
        np.testing.assert_array_equal(a[key]["samples"], b[key]["samples"])
        assert a[key]["snapshots"].shape == (q["steps"] // q["snapshot_every"] + 1, q["n_snapshot"], 2)
    with pytest.raises(AssertionError, match="trained again"):
        paper.ring_runs((0,), (1,), cache_dir=cache, **kw)


def test_hop_statistics_on_known_snapshots():
    """Snapshots on modes 2, 2, 5, 7 (all samples), then an even spread: 4 of 5 snapshots on
    one mode, 3 changes, dominant modes {2, 5, 7, 0}."""
    m = gan.ring()
    snaps = [np.repeat(m.means[[k]], 40, 0) for k in (2, 2, 5, 7)] + [np.repeat(m.means, 5, 0)]
    cell = dict(snapshot_steps=np.arange(5) * 10, snapshots=np.array(snaps))
    h = paper.hop_statistics(cell, after=0)
    assert h["collapsed"] == 0.8 and h["changes"] == 3 and h["distinct"] == 4
    np.testing.assert_array_equal(h["dominant"], [2, 2, 5, 7, 0])
    np.testing.assert_allclose(h["largest"], [1, 1, 1, 1, 0.125])


def test_quick_figure_renders():
    fig = get_job("metz2017_unrolled_mode_hops").render(quick=True)
    assert all(np.all(np.isfinite(ax.get_xlim())) for ax in fig.axes)
