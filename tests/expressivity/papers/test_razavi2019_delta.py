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


def test_collapse_settings_and_prototype_cell():
    """Oracles: the collapse figure's committed rate is below the class information log 10 (so
    the delta-VAE need not pay for it in ELBO), on the prototypes; a short cell reports the
    exact test -log p(x) of the data (expressivity.latent.synthetic) and accuracies in [0, 1]."""
    import math

    import numpy as np

    from expressivity.latent import experiments
    from expressivity.latent.synthetic import prototype_log_prob
    from expressivity.papers import get_job

    full = get_job("razavi2019_delta_collapse").kwargs(quick=False)
    assert full["data"] == "prototypes" and 0 < full["delta"] < math.log(10) and len(full["seeds"]) >= 3
    assert get_job("razavi2019_delta_digits").kwargs(quick=False)["data"] == "digits"
    r = experiments.delta_cell("delta_ar1", 0, delta=1.0, steps=3, n_latent=4, data="prototypes", decoder_width=16)
    ds = experiments.delta_data("prototypes")
    assert r["nll"] == pytest.approx(-np.mean(prototype_log_prob(ds.x_test, 0.05)), rel=1e-12)
    assert 0 <= r["probe_z"] <= 1 and 0 <= r["probe"] <= 1 and r["R"] >= 1.0 - 1e-6
    assert np.isnan(experiments.delta_cell("vae", 0, steps=2, n_latent=2, decoder_width=8)["nll"])
    with pytest.raises(ValueError, match="data"):
        experiments.delta_data("cifar")
