"""The activation formulas exist in four copies, each where speed needs its own form:
meanfield.activations (numba scalar kernels for the quadratures), expressivity.activations
(numpy arrays for the simulations), expressivity.autodiff.nn (differentiable, for training)
and expressivity._jets (compiled forward-mode layer kernels for tanh, relu and hard_tanh).

Oracle: each other. On every built-in, phi, phi' and phi'' of every copy that has them agree
to rounding (1e-13 relative to max(1, |value|)) on points from -40 to 40, including points
next to (not on) the kinks; the autodiff copy's phi' and phi'' are its own first and second
derivatives (reverse mode, nested). This is the one meanfield test that imports expressivity.
"""
import numpy as np
import pytest

import meanfield as mf

ex_act = pytest.importorskip("expressivity.activations")
from expressivity import _jets  # noqa: E402
from expressivity.autodiff import grad, nn  # noqa: E402

TOL = 1e-13


def _points(kinks):
    x = np.r_[np.linspace(-40, 40, 161), np.linspace(-3, 3, 121), -1e-3, 1e-3]
    for k in kinks:
        x = np.r_[x, k - 1e-9, k + 1e-9, k - 0.3, k + 0.3]
    x = x[np.all(np.abs(x[:, None] - np.asarray(kinks, float)[None, :]) > 0, axis=1)] if kinks else x
    return np.unique(x)


def _close(a, b, what):
    a, b = np.asarray(a, float), np.asarray(b, float)
    err = np.abs(a - b) / np.maximum(1.0, np.abs(b))
    assert err.max() <= TOL, f"{what}: max deviation {err.max():.3g} at x index {err.argmax()}"


def _autodiff_derivatives(f, x):
    """phi, phi', phi'' of an elementwise autodiff function, by nested reverse mode."""
    import expressivity.autodiff.numpy as anp

    d1 = grad(lambda v: anp.sum(f(v)))
    d2 = grad(lambda v: anp.sum(d1(v)))
    return np.asarray(f(x), float), np.asarray(d1(x), float), np.asarray(d2(x), float)


@pytest.mark.parametrize("name", mf.BUILTIN_NAMES)
def test_all_copies_agree_on_phi_and_its_derivatives(name):
    act = mf.get_activation(name)
    x = _points(act.kinks)
    ref = (act.phi(x), act.dphi(x), act.d2phi(x))

    arr = ex_act.get_activation(name)
    for k, got in enumerate(arr.all(x)):
        _close(got, ref[k], f"expressivity.activations {name} derivative {k}")
    for k, fn in enumerate((arr.phi, arr.dphi, arr.d2phi)):
        _close(fn(x), ref[k], f"expressivity.activations {name} .{('phi', 'dphi', 'd2phi')[k]}")

    for k, got in enumerate(_autodiff_derivatives(nn.get_activation(name), x)):
        _close(got, ref[k], f"autodiff.nn {name} derivative {k}")


@pytest.mark.parametrize("name", ["tanh", "relu", "hard_tanh"])
def test_the_compiled_jet_kernels_agree(name):
    """_jets computes z = phi(h), zdot = phi'(h) hdot, zddot = phi''(h) hdot^2 + phi'(h) hddot:
    with hdot = 1, hddot = 0 the three rows are phi, phi', phi''."""
    act = mf.get_activation(name)
    x = _points(act.kinks)
    H = np.stack([x, np.ones_like(x), np.zeros_like(x)])[:, None, :].copy()
    Z = np.empty_like(H)
    if name == "tanh":
        _jets.tanh_jet(H, Z, np.empty(0))
    else:
        _jets.piecewise_linear_jet(H, Z, np.empty(0), name == "relu")
    for k, ref in enumerate((act.phi(x), act.dphi(x), act.d2phi(x))):
        _close(Z[k, 0], ref, f"_jets {name} row {k}")
