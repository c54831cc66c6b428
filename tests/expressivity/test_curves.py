"""Curves: exact derivatives against central finite differences of the curve itself."""
import numpy as np
import pytest

from expressivity import curves


def _fd_check(make, h=1e-5):
    c0 = make(0.0)
    cp, cm = make(h), make(-h)
    np.testing.assert_allclose(c0.dx, (cp.x - cm.x) / (2 * h), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(c0.ddx, (cp.x - 2 * c0.x + cm.x) / h ** 2, rtol=1e-4, atol=1e-4)


def test_great_circle_geometry():
    c = curves.great_circle(40, 100, q=2.5, seed=3)
    np.testing.assert_allclose(np.sum(c.x ** 2, 1) / 40, 2.5)
    np.testing.assert_allclose(np.sum(c.dx ** 2, 1) / 40, 2.5)
    np.testing.assert_allclose(c.x[1:] @ c.x[0], 100 * np.cos(c.t[1:]), atol=1e-10)
    assert c.weights.sum() == pytest.approx(2 * np.pi) and c.periodic
    basis = curves.orthonormal_pair(40, 3)
    t0 = 0.4

    def shifted(e):
        th = t0 + e
        r = np.sqrt(40 * 2.5)
        x = r * (np.cos(th) * basis[0] + np.sin(th) * basis[1])[None]
        dx = r * (-np.sin(th) * basis[0] + np.cos(th) * basis[1])[None]
        return curves.Curve(np.array([th]), x, dx, -x, np.ones(1), True)

    _fd_check(shifted)


def test_arc_line_interpolate_derivatives():
    rng = np.random.default_rng(0)
    x0, x1 = rng.standard_normal(5), rng.standard_normal(5)
    P = rng.standard_normal((6, 5))
    for make in (lambda x0=x0, x1=x1: curves.arc(x0, x1, 1001),
                 lambda x0=x0, x1=x1: curves.line(x0, x1, 1001),
                 lambda: curves.interpolate(P, 1001),
                 lambda: curves.interpolate(P, 1000, closed=True)):
        c = make()
        h = c.t[1] - c.t[0]
        i = slice(300, 303)
        # central differences between neighbouring samples (second order in h)
        np.testing.assert_allclose(c.dx[301], (c.x[302] - c.x[300]) / (2 * h), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(c.ddx[301], (c.x[302] - 2 * c.x[301] + c.x[300]) / h ** 2,
                                   rtol=1e-3, atol=1e-3)
        assert c.x[i].shape == (3, 5)
    arc = curves.arc(x0, x1, 11)
    np.testing.assert_allclose(arc.x[0], x0) and np.testing.assert_allclose(arc.x[-1], x1)
    sp = curves.interpolate(P, 11)
    np.testing.assert_allclose(sp.x[0], P[0]) and np.testing.assert_allclose(sp.x[-1], P[-1])
    assert curves.line(x0, x1, 11).weights.sum() == pytest.approx(1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="q"):
        curves.great_circle(10, 10, q=0.0)
    with pytest.raises(ValueError, match="n_points"):
        curves.great_circle(10, 2)
    with pytest.raises(ValueError, match="same shape"):
        curves.line(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        curves.arc(np.array([np.nan, 1.0]), np.ones(2))
    with pytest.raises(ValueError, match="points"):
        curves.interpolate(np.ones(3))
