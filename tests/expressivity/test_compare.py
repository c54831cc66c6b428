"""Theory-vs-simulation helpers against meanfield (skip until meanfield's theory is merged).

Oracles: meanfield's curve_theory / correlation_map / length_map are themselves tested in
tests/meanfield; here the agreement of the two sides is checked with the tolerances of
issue 4 (they share no code: the simulation only uses its private q* quadrature), plus
closed forms where they exist (ReLU chi1 = sigma_w2/2, tanh published values).
"""
import numpy as np
import pytest

meanfield = pytest.importorskip("meanfield")
if not all(hasattr(meanfield, a) for a in ("curve_theory", "length_map", "correlation_map")):
    pytest.skip("meanfield.curve_theory / length_map / correlation_map not available yet",
                allow_module_level=True)

from expressivity import compare  # noqa: E402


@pytest.mark.parametrize("sigma_w", [1.3, 2.5, 4.0])
def test_circle_comparison_matches_issue_tolerances(sigma_w):
    r = compare.circle_theory_vs_simulation("tanh", sigma_w ** 2, 0.09, 1000, 11, 400, seeds=(0, 1, 2))
    assert r.theory.q.shape == (11,) and len(r.per_seed) == 3
    # index 0 is the same circle on both sides
    assert r.relative_error.gbar[0] == pytest.approx(0, abs=1e-6)
    rate = np.mean([np.exp(np.mean(np.diff(np.log(s.euclidean_length)))) for s in r.per_seed])
    th_rate = np.exp(np.mean(np.diff(np.log(r.theory.euclidean_length))))
    assert rate == pytest.approx(th_rate, rel=0.02)
    assert np.mean(r.simulation.kappa_bar2[1:] / r.theory.kappa_bar2[1:]) == pytest.approx(1, rel=0.05)
    assert np.mean(r.simulation.q[1:] / r.theory.q[1:]) == pytest.approx(1, rel=0.03)


def test_relu_circle_at_q0_closed_form():
    """ReLU sigma_b2 = 0 at q0 = 1: theory gbar = q0 (sigma_w2/2)^l exactly."""
    r = compare.circle_theory_vs_simulation("relu", 4.0, 0.0, 400, 6, 300, seeds=(0, 1), q0=1.0)
    np.testing.assert_allclose(r.theory.gbar, 2.0 ** np.arange(6), rtol=1e-8)
    assert np.mean(r.simulation.gbar[1:] / r.theory.gbar[1:]) == pytest.approx(1, rel=0.1)


def test_autocorrelation_and_dynamics():
    a = compare.autocorrelation_theory_vs_simulation("tanh", 6.25, 0.09, 1000, [1, 3, 6], 200, seed=0)
    np.testing.assert_allclose(a.theory[0], np.cos(a.x), atol=1e-8)  # layer 1 is the circle
    np.testing.assert_allclose(a.simulation[0], np.cos(a.x), atol=1e-12)
    assert a.max_abs_error < 0.1
    d = compare.correlation_dynamics_theory_vs_simulation("tanh", 6.25, 0.09, [0.2, 0.8], 8, 1000)
    assert d.theory.shape == d.simulation.shape == (2, 8)
    assert d.max_abs_error < 0.15
    lm = compare.length_map_theory_vs_simulation("tanh", 6.25, 0.09, [1.0, 5.0, 10.0], 2000)
    np.testing.assert_allclose(lm.simulation, lm.theory, rtol=0.15)
