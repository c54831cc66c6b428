"""Depth scales: xi_q from finite differences of the length map, xi_c from the c-map slope."""
import math

import numpy as np
import pytest

import meanfield as mf
from meanfield import kernels


def _fd_slope(f, x, h):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.mark.parametrize("name, w, b", [("tanh", 1.5, 0.05), ("tanh", 4.0, 0.05), ("hard_tanh", 2.0, 0.05),
                                         ("erf", 2.0, 0.3), ("elu", 1.0, 0.2)])
def test_xi_q_is_the_length_map_slope(name, w, b):
    """Oracle: -1/log of a finite-difference slope of the length map at q* (hard-tanh: the
    delta terms of phi'' are included; dropping them gives a different xi_q)."""
    qs = mf.q_star(name, w, b)
    slope = _fd_slope(lambda q: mf.length_map(q, name, w, b), qs, 1e-4 * qs)
    xi_q, _ = mf.depth_scales(name, w, b)
    assert xi_q == pytest.approx(-1 / math.log(slope), rel=1e-7)
    if name == "hard_tanh":  # the smooth formula chi1 + E[phi phi''] without deltas is wrong here
        wrong = -1 / math.log(mf.chi1(name, w, b))
        assert abs(wrong - xi_q) / xi_q > 1e-2


@pytest.mark.parametrize("name, w, b", [("tanh", 4.0, 0.05), ("tanh", 9.0, 0.3), ("sin", 3.0, 0.2),
                                         ("hard_tanh", 4.0, 0.05)])
def test_xi_c_chaotic_is_the_cmap_slope_at_c_star(name, w, b):
    """Oracle: finite-difference slope of correlation_map at c*."""
    cs = mf.c_star(name, w, b)
    slope = _fd_slope(lambda c: mf.correlation_map(c, name, w, b), cs, 1e-4)
    _, xi_c = mf.depth_scales(name, w, b)
    assert xi_c == pytest.approx(-1 / math.log(slope), rel=1e-7)


def test_xi_c_ordered_is_minus_inverse_log_chi1():
    w, b = 1.2, 0.05
    assert mf.depth_scales("tanh", w, b)[1] == pytest.approx(-1 / math.log(mf.chi1("tanh", w, b)), rel=1e-13)


def test_xi_c_decay_of_the_iterated_map():
    """Oracle: iterate the correlation map; |c^l - c*| decays as exp(-l/xi_c)."""
    w, b = 4.0, 0.05
    cs = mf.c_star("tanh", w, b)
    _, xi_c = mf.depth_scales("tanh", w, b)
    c, gaps = cs + 1e-4, []  # start in the linear regime
    for _ in range(8):
        c = mf.correlation_map(c, "tanh", w, b)
        gaps.append(abs(c - cs))
    rate = -np.log(gaps[-1] / gaps[-2])
    assert 1 / rate == pytest.approx(xi_c, rel=2e-4)


def test_xi_c_diverges_at_the_critical_line_and_xi_q_does_not():
    b = 0.05
    wc = mf.critical_sigma_w2("tanh", b)
    xi_q, xi_c = mf.depth_scales("tanh", np.array([wc - 1e-3, wc + 1e-3]), b)
    assert np.all(xi_c > 300) and np.all(xi_q < 3)


def test_gradient_depth_scale_sign():
    assert mf.gradient_depth_scale("tanh", 1.2, 0.05) > 0
    assert mf.gradient_depth_scale("tanh", 4.0, 0.05) < 0
    assert mf.gradient_depth_scale("tanh", 1.2, 0.05) == pytest.approx(
        -1 / math.log(mf.chi1("tanh", 1.2, 0.05)), rel=1e-14)
