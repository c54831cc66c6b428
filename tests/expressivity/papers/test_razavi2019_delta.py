"""Razavi et al. (2019) figures: quick renders and the committed rates of the models.

Oracles: a Figure per job; the delta-VAE specs commit exactly the requested rate (closed
forms of expressivity.latent.kl); the plain VAE commits none.
"""
import pytest

from expressivity.latent.experiments import delta_spec
from expressivity.papers import razavi2019_delta as paper


def test_quick_figures_render(tmp_path):
    for job in paper.JOBS:
        assert job.render(quick=True, cache_dir=tmp_path / job.name).axes


def test_committed_rates():
    assert delta_spec("vae").committed_rate == 0.0
    assert delta_spec("delta_ar1", 6.0).committed_rate == pytest.approx(6.0, rel=1e-9)
    assert delta_spec("delta_var", 6.0).committed_rate == pytest.approx(6.0, rel=1e-9)
    with pytest.raises(ValueError, match="delta"):
        delta_spec("delta_var", -1.0)
