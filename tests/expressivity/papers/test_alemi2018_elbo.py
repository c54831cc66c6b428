"""Alemi et al. (2018) figures: quick renders; the toy figure asserts H - D <= I <= R.

Oracles: a Figure per job; the figure function raises when a model violates the information
bounds (checked by feeding it a corrupted stored run).
"""
import numpy as np
import pytest

from expressivity.papers import alemi2018_elbo as paper
from expressivity.papers import get_job


def test_quick_figures_render(tmp_path):
    for job in paper.JOBS:
        assert job.render(quick=True, cache_dir=tmp_path / job.name).axes


def test_toy_figure_checks_the_bounds(monkeypatch, tmp_path):
    res, rows = paper.toy_runs((1.0,), ("weak",), steps=5, cache_dir=tmp_path, progress=False, executor="inprocess")
    bad = type(res)(res.dims, res.coords, dict(res.values, I=np.asarray(res["R"]) + 1.0), res.attrs)
    monkeypatch.setattr(paper, "toy_runs", lambda *a, **k: (bad, rows))
    with pytest.raises(AssertionError, match="H - D <= I <= R"):
        paper.figure_toy(betas=(1.0,), decoders=("weak",), steps=5, cache_dir=tmp_path, progress=False)


def test_full_settings_sweep_beta_through_one():
    for name in ("alemi2018_elbo_toy_rd", "alemi2018_elbo_digits_rd"):
        full = get_job(name).kwargs(quick=False)
        assert 1.0 in full["betas"] and min(full["betas"]) < 1 < max(full["betas"])
