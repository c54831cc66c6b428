"""Activations: phi' and phi'' against central finite differences of phi (smooth points)."""
import math

import numpy as np
import pytest

from expressivity.activations import BUILTIN, get_activation

X = np.array([-2.3, -1.4, -0.6, -0.2, 0.35, 0.8, 1.7, 2.6])


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_derivatives_match_finite_differences(name):
    act = get_activation(name)
    h = 1e-5
    x = X[np.all(np.abs(X[:, None] - np.array(act.kinks or (99.0,))) > 1e-2, axis=1)]
    f, d1, d2 = act.all(x)
    np.testing.assert_allclose(f, act.phi(x), rtol=1e-15)
    np.testing.assert_allclose(d1, (act.phi(x + h) - act.phi(x - h)) / (2 * h), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(d2, (act.dphi(x + h) - act.dphi(x - h)) / (2 * h), rtol=1e-6, atol=1e-7)


def test_piecewise_linear_flags_and_kinks():
    assert get_activation("relu").kinks == (0.0,) and get_activation("relu").piecewise_linear
    assert get_activation("hard_tanh").kinks == (-1.0, 1.0)
    assert not get_activation("tanh").piecewise_linear


def test_object_with_scalar_functions_is_vectorised():
    """An object whose functions only accept scalars (math.*) still works on arrays."""
    class Cube:
        name = "cube"
        phi = staticmethod(lambda x: math.pow(x, 3))
        dphi = staticmethod(lambda x: 3 * math.pow(x, 2))
        d2phi = staticmethod(lambda x: 6 * x)

    act = get_activation(Cube())
    np.testing.assert_allclose(act.phi(X), X ** 3)
    np.testing.assert_allclose(act.all(X)[2], 6 * X)


def test_numba_scalar_object_like_sympy_activation():
    """meanfield.Activation.from_sympy carries numba-jitted scalar kernels: they are looped
    in compiled code; values against numpy closed forms of x^2 sin x."""
    import math

    from numba import njit

    class SympyLike:
        name = "x2sin"
        phi = staticmethod(njit(lambda x: x * x * math.sin(x)))
        dphi = staticmethod(njit(lambda x: 2 * x * math.sin(x) + x * x * math.cos(x)))
        d2phi = staticmethod(njit(lambda x: 2 * math.sin(x) + 4 * x * math.cos(x) - x * x * math.sin(x)))

    act = get_activation(SympyLike())
    Xm = X.reshape(2, 4)
    np.testing.assert_allclose(act.phi(Xm), Xm ** 2 * np.sin(Xm), rtol=1e-14)
    f, d1, d2 = act.all(X)
    np.testing.assert_allclose(d1, 2 * X * np.sin(X) + X ** 2 * np.cos(X), rtol=1e-13)
    np.testing.assert_allclose(d2, (act.dphi(X + 1e-5) - act.dphi(X - 1e-5)) / 2e-5, rtol=1e-6)


def test_named_object_uses_builtin_table():
    class T:
        name = "tanh"
        phi = dphi = d2phi = None

    assert get_activation(T()) is BUILTIN["tanh"]


def test_bad_activation():
    with pytest.raises(ValueError, match="activation"):
        get_activation("tan")
    with pytest.raises(TypeError, match="activation"):
        get_activation(1.0)
