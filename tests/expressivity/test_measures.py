"""Curve measures against closed forms: circles, ellipses, autocorrelation cos(dtheta)."""
import numpy as np
import pytest
from scipy import integrate, special

from expressivity import curves, measures


def test_circle_closed_form():
    c = curves.great_circle(30, 50, q=0.7, seed=0)
    q, g, k2, le, lg = measures.layer_measures(c.x, c.dx, c.ddx, c.weights)
    assert (q, g) == (pytest.approx(0.7), pytest.approx(0.7))
    assert k2 == pytest.approx(1 / 0.7) and lg == pytest.approx(2 * np.pi)
    assert le == pytest.approx(2 * np.pi * np.sqrt(0.7))


def test_ellipse_perimeter_and_curvature():
    """Ellipse (a cos, b sin): perimeter = 4 a E(1 - b^2/a^2) (complete elliptic integral);
    integral of kappa ds = 2 pi; mean kappa^2 against scipy quad."""
    a, b, n = 3.0, 1.0, 256
    t = 2 * np.pi * np.arange(n) / n
    x = np.stack([a * np.cos(t), b * np.sin(t)], 1)
    v = np.stack([-a * np.sin(t), b * np.cos(t)], 1)
    q, g, k2, le, lg = measures.layer_measures(x, v, -x, np.full(n, 2 * np.pi / n))
    assert le * np.sqrt(2) == pytest.approx(4 * a * special.ellipe(1 - b ** 2 / a ** 2), rel=1e-12)
    assert lg == pytest.approx(2 * np.pi, rel=1e-12)
    kap2 = lambda s: (a * b) ** 2 / (a ** 2 * np.sin(s) ** 2 + b ** 2 * np.cos(s) ** 2) ** 3
    assert k2 / 2 == pytest.approx(integrate.quad(kap2, 0, 2 * np.pi)[0] / (2 * np.pi), rel=1e-10)


def test_autocorrelation_and_pca_of_a_circle():
    c = curves.great_circle(20, 64, q=1.0, seed=1)
    np.testing.assert_allclose(measures.autocorrelation(c.x), np.cos(c.t), atol=1e-12)
    s, frac = measures.pca_spectrum(c.x)
    np.testing.assert_allclose(frac[:2], [0.5, 0.5]) and np.testing.assert_allclose(frac[2:], 0, atol=1e-20)
    assert measures.pca_projection(c.x, 2).shape == (64, 2)


def test_growth_rate():
    assert measures.growth_rate([1.0, 2.0, 4.0, 8.0]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="lengths"):
        measures.growth_rate([1.0])
