"""The critical line chi1 = 1."""
import numpy as np
import pytest

import meanfield as mf


@pytest.mark.parametrize("name", ["tanh", "erf", "hard_tanh", "sin", "sigmoid", "gelu", "swish", "elu", "softplus"])
def test_chi1_is_one_on_the_critical_line(name):
    for b in (0.05, 0.5, 2.0):
        try:
            w = mf.critical_sigma_w2(name, b)
        except ValueError:
            continue  # no crossing for this activation and bias: that is reported, not looped
        assert abs(mf.chi1(name, w, b) - 1.0) <= 1e-10


def test_tanh_has_a_critical_point_for_each_bias():
    b = np.array([0.0, 0.05, 1.0, 4.0])
    w = mf.critical_sigma_w2("tanh", b)
    np.testing.assert_allclose(mf.chi1("tanh", w, b), 1.0, atol=1e-10)
    assert w[0] == 1.0 and np.all(np.diff(w) > 0)


def test_parametric_line_is_consistent():
    """(1/D(q), q - V(q)/D(q)) has q* = q and chi1 = 1 (oracle: the fixed-point solver)."""
    q = np.array([0.3, 2.0, 10.0])
    w, b = mf.critical_line("tanh", q)
    np.testing.assert_allclose(mf.q_star("tanh", w, b), q, rtol=1e-10)
    np.testing.assert_allclose(mf.chi1("tanh", w, b), 1.0, atol=1e-12)


def test_relu_critical_point_only_without_bias():
    assert mf.critical_sigma_w2("relu", 0.0) == 2.0
    with pytest.raises(ValueError, match="no critical point"):
        mf.critical_sigma_w2("relu", 0.1)
    with pytest.raises(ValueError, match="sigma_b2"):
        mf.critical_sigma_w2("tanh", -1.0)
