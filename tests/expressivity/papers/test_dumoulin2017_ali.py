"""Dumoulin et al. (2017) paper module: the official experiment's settings, cached runs, the
reconstruction figure.

Oracles: the official ``experiments/ali_mixture.py`` values (through gan.ALI_SETTINGS, which
the full settings do not override); a second call with the same cache directory must not
train; the reconstruction error in a cell equals the mean squared distance between its data
and reconstructions.
"""
import matplotlib

matplotlib.use("Agg")
import numpy as np

from expressivity.papers import get_job
from expressivity.papers import dumoulin2017_ali as paper


def test_full_settings():
    full = get_job("dumoulin2017_ali_vs_gan").kwargs(quick=False)
    assert len(full["seeds"]) >= 5 and full["options"] == {}


def test_runs_cached_and_reconstructions(tmp_path, monkeypatch):
    q = paper.QUICK
    runs = paper.ali_runs((0,), q["steps"], q["options"], tmp_path / "dumoulin2017_ali_vs_gan", False)
    c = runs["ali", 0]
    err = np.mean(np.sum((c["data"].astype(float) - c["reconstruction"]) ** 2, 1))
    assert np.isclose(c["reconstruction_error"], err, rtol=1e-5)
    monkeypatch.setattr(paper, "grid_experiment", lambda *a, **k: (_ for _ in ()).throw(AssertionError("again")))
    again = paper.ali_runs((0,), q["steps"], q["options"], tmp_path / "dumoulin2017_ali_reconstructions", False)
    np.testing.assert_array_equal(again["gan", 0]["samples"], runs["gan", 0]["samples"])
    fig = paper.fig_reconstructions((0,), q["steps"], q["options"], cache_dir=tmp_path / "dumoulin2017_ali_vs_gan",
                                    progress=False)
    assert len(fig.axes) == 1
