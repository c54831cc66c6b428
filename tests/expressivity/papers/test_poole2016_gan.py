"""Poole et al. (2016) paper module: settings tried, cached runs, the figure.

Oracles: every setting tried names a known mixture and valid overrides (a tiny run of each
starts); a second call with the same cache directory must not train; a Figure with finite axes.
"""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from expressivity import gan
from expressivity.papers import get_job
from expressivity.papers import poole2016_gan as paper


def test_settings_tried_are_valid_and_full_uses_five_seeds():
    for name, cfg in paper.TRIED.items():
        assert cfg["mixture"] in gan.MIXTURES
        opts = dict(cfg["options"])
        setting = opts.pop("setting", "metz2017")
        gan.get_setting(setting, **{k: v for k, v in opts.items() if k in gan.get_setting(setting)})
    assert len(get_job("poole2016_gan_objectives").kwargs(quick=False)["seeds"]) >= 5
    assert paper.MAIN in paper.TRIED


def test_runs_are_cached(tmp_path, monkeypatch):
    opts = dict(latent_dim=4, g_hidden=8, d_hidden=8, batch_size=16, n_eval=100)
    a = paper.objective_runs(("kl", "logd"), (0,), "ring", 3, opts, tmp_path / "poole2016_gan_objectives", False)
    monkeypatch.setattr(paper, "train_gan", lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained again")))
    b = paper.objective_runs(("kl", "logd"), (0,), "ring", 3, opts, tmp_path / "poole2016_gan_settings", False)
    for key in a:
        np.testing.assert_array_equal(a[key]["samples"], b[key]["samples"])
    with pytest.raises(AssertionError, match="trained again"):
        paper.objective_runs(("kl",), (1,), "ring", 3, opts, tmp_path / "x", False)


def test_quick_figure_renders():
    fig = get_job("poole2016_gan_objectives").render(quick=True)
    assert all(np.all(np.isfinite(ax.get_xlim())) for ax in fig.axes)
