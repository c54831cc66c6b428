"""Poole et al. (2019) figures: the paper's settings, and the staircase cache makes them resumable.

Oracles: a Figure with finite axes; cached runs are reused bit-for-bit without training; an
interrupted estimator leaves the finished ones on disk and no partial file; Fig. 3's NWJ
(optimal critic) bias is zero within its Monte-Carlo standard error.
"""
import math

import numpy as np
import pytest

from expressivity import mi
from expressivity.papers import get_job
from expressivity.papers import poole2019_bounds as figures

def test_full_settings_are_the_papers():
    """Oracle: Poole et al. (2019) Sec. 4 settings."""
    job = get_job("poole2019_bounds_fig2_concat_cubic")
    full = job.kwargs(quick=False)
    assert full["levels"] == (2.0, 4.0, 6.0, 8.0, 10.0) and full["steps_per_level"] == 4000
    assert full["batch_size"] == 64 and full["lr"] == 5e-4 and full["dim"] == 20 and full["cubic"]
    assert job.uses_cache


def test_staircase_cache_resumes(tmp_path, monkeypatch):
    kw = dict(estimators=("nwj", "infonce", "js"), levels=(1.0,), steps_per_level=5, batch_size=8,
              dim=3, critic_kwargs=dict(hidden=(8,)), progress=False, cache_dir=tmp_path)
    real_train = figures.train
    calls = []

    def flaky_train(est, *a, **k):
        calls.append(est.bound)
        if est.bound == "infonce":  # the cheapest: scheduled last
            raise KeyboardInterrupt
        return real_train(est, *a, **k)

    monkeypatch.setattr(figures, "train", flaky_train)
    with pytest.raises(KeyboardInterrupt):
        figures.staircase_runs(**kw)
    assert calls == ["js", "nwj", "infonce"]  # longest-first order (JS's extra softplus terms)
    store = tmp_path / "staircase"  # one verified sweep cell per estimator
    files = sorted(p.name for p in store.iterdir() if p.suffix == ".npz")
    assert len(files) == 2 and not any("tmp" in f for f in store.iterdir() for f in [f.name])
    calls.clear()
    monkeypatch.setattr(figures, "train", real_train)
    first = figures.staircase_runs(**kw)
    assert len([p for p in store.iterdir() if p.suffix == ".npz"]) == 3

    def no_train(*a, **k):
        raise AssertionError("cached runs must not retrain")

    monkeypatch.setattr(figures, "train", no_train)
    again = figures.staircase_runs(**kw)
    for k in first:
        np.testing.assert_array_equal(first[k][0], again[k][0])


def test_optimal_critic_stats_nwj_unbiased():
    """Oracle: true MI; NWJ(f* + 1) bias within 4 standard errors sqrt(var / n)."""
    st = figures.optimal_critic_stats([1.0], K=32, n_batches=200, dim=5, alphas=(0.5,))
    s = st["NWJ / TUBA"]
    assert abs(s["bias"][0]) < 4 * math.sqrt(s["var"][0] / 200)
    assert st["InfoNCE"]["bias"][0] < 0 and np.all(s["mse"] >= s["bias"] ** 2)


def test_staircase_schedules_baseline_estimators_first():
    """The four estimators with the 2 x 512 MLP baseline (measured ~2.5x the per-step cost of
    the others) are submitted first, so two workers finish within one short run of each other."""
    order = figures.longest_first(mi.PAPER_ESTIMATORS)
    assert set(order[:4]) == {"tuba", "alpha=0.01", "alpha=0.5", "alpha=0.99"}
    assert order[3] == "tuba" and order[-1] == "infonce"
