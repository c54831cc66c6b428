"""Jang et al. (2017) figures: quick renders, the paper's settings, and resumable runs.

Oracles: a Figure is returned for every job in quick mode; the full settings: >= 3 seeds, the reference
code's learning rates, a 64-unit latent; a second call reuses every stored run
(training is never called again).
"""
import numpy as np

from expressivity.latent import experiments
from expressivity.papers import get_job
from expressivity.papers import jang2017_gumbel as paper


def test_quick_figures_render(tmp_path):
    for name in ("jang2017_gumbel_fig1_relaxed", "jang2017_gumbel_variance"):
        fig = get_job(name).render(quick=True, cache_dir=tmp_path / name)
        assert fig.axes


def test_settings_are_the_papers():
    full = get_job("jang2017_gumbel_estimators").kwargs(quick=False)
    assert full["n_vars"] * full["n_classes"] == 64   # digits scale (paper: 20 x 10 on MNIST)
    # the reference notebooks' Adam rates: 1e-3 (Categorical VAE.ipynb), 3e-4 (gumbel_softmax_vae_v2)
    assert len(full["seeds"]) >= 3 and set(full["lrs"]) == {1e-3, 3e-4}
    assert set(paper.PUBLISHED) == {"gumbel", "st_gumbel", "st", "score_function"}


def test_estimator_runs_resume(tmp_path, monkeypatch):
    kw = dict(seeds=(0,), steps=6, eval_every=3, cache_dir=tmp_path, progress=False, executor="inprocess")
    fig = paper.figure_estimators(**kw)
    assert fig.axes
    res, rows = paper.estimator_runs(**kw)
    assert len(rows) == 4 and np.all(np.isfinite(res["test_elbo"]))

    def no_train(*a, **k):
        raise AssertionError("stored runs must not retrain")

    monkeypatch.setattr(experiments, "train_vae", no_train)
    again, _ = paper.estimator_runs(**kw)
    np.testing.assert_array_equal(again["test_elbo"], res["test_elbo"])


def test_budget_lookup_and_full_budgets():
    """Oracle: hand-picked curve values at the evaluation steps nearest to each budget; the full
    figure's budgets are evaluation steps (multiples of eval_every) and end at the run's length."""
    steps_ = np.array([100, 200, 300, 400])
    curves = np.array([[5.0, 4.0, 3.0, 2.0], [6.0, 5.0, 4.0, 3.0]])
    np.testing.assert_array_equal(paper._at(steps_, curves, 300), [3.0, 4.0])
    np.testing.assert_array_equal(paper._at(steps_, curves, 260), [3.0, 4.0])
    full = get_job("jang2017_gumbel_estimators").kwargs(quick=False)
    assert all(b % full["eval_every"] == 0 for b in full["budgets"]) and max(full["budgets"]) == full["steps"]
