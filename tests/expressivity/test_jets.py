"""Compiled layer kernels (expressivity._jets) against the numpy formulas.

Oracles: libm's tanh (np.tanh, itself correctly rounded to < 1 ulp) for the kernel's tanh;
the activation table's phi, phi', phi'' (activations.BUILTIN[...].all) composed with the
chain rule in plain numpy for the one-pass jets; np.einsum for the row sums.
"""
import numpy as np
import pytest

from expressivity import _jets
from expressivity.activations import BUILTIN


def test_tanh_within_two_ulp_of_libm():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(10 ** 6) * 3, np.linspace(-25, 25, 200001),
                        rng.standard_normal(10 ** 5) * 1e-3, np.logspace(-300, 1.5, 20000),
                        -np.logspace(-300, 1.5, 20000),
                        np.nextafter(0.35, [-1, 1]), np.nextafter(-0.35, [-1, 1]),
                        [0.35, -0.35, 19.99, 20.0, 20.01, 40.0, 1e300, -1e300, 5e-324]])
    out = np.empty_like(x)
    _jets.tanh_into(x, out)
    ref = np.tanh(x)
    nz = ref != 0
    rel = np.abs(out[nz] - ref[nz]) / np.abs(ref[nz])
    assert rel.max() <= 5e-16   # ~2 ulp (2.2 eps)
    assert np.all(out[~nz] == 0)
    assert np.all(np.abs(out) <= 1.0)


def test_tanh_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    out = np.empty_like(x)
    _jets.tanh_into(x, out)
    assert out[0] == 0.0 and not np.signbit(out[0]) and np.signbit(out[1])
    assert out[2] == 1.0 and out[3] == -1.0 and np.isnan(out[4])


def _numpy_jet(name, H, b):
    """The straightforward formulas: h += b; z = phi(h), phi'(h) v, phi''(h) v^2 + phi'(h) a."""
    h = H[0] + b if b.size else H[0]
    f, d1, d2 = BUILTIN[name].all(h)
    v, a = H[1], H[2]
    # the size of the terms, for a rounding tolerance: zddot's two terms may cancel, and
    # phi' = 1 - t^2 is formed from t in both, so its error is absolute (~ulp(1)), not relative
    g = np.abs(d1) + 1.0
    scale = np.stack([np.abs(f), g * np.abs(v), g * (np.abs(a) + 2 * v * v)])
    return h, np.stack([f, d1 * v, d2 * v * v + d1 * a]), scale


@pytest.mark.parametrize("name", ["tanh", "relu", "hard_tanh"])
@pytest.mark.parametrize("bias", [True, False])
def test_jets_match_numpy_formulas(name, bias):
    rng = np.random.default_rng(1)
    H = rng.standard_normal((3, 40, 333)) * 2.0
    H[0, 0, :5] = [0.0, -1.0, 1.0, np.nan, 25.0]   # kinks, NaN, saturation
    b = rng.standard_normal(333) * 0.5 if bias else np.empty(0)
    h_ref, Z_ref, scale = _numpy_jet(name, H, b)
    H_in = H.copy()
    Z = np.empty_like(H)
    if name == "tanh":
        _jets.tanh_jet(H_in, Z, b)
    else:
        _jets.piecewise_linear_jet(H_in, Z, b, name == "relu")
    np.testing.assert_array_equal(H_in[0], h_ref)          # the bias, added in place
    np.testing.assert_array_equal(H_in[1:], H[1:])
    tol = 2e-15 if name == "tanh" else 0.0                  # piecewise linear: exact
    ok = np.isnan(Z_ref) | (np.abs(Z - Z_ref) <= tol * scale)
    assert ok.all(), np.max(np.abs(Z - Z_ref)[~ok] / scale[~ok])
    assert np.isnan(Z[0, 0, 3]) and np.array_equal(np.isnan(Z), np.isnan(Z_ref))


def test_row_sums_match_einsum():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 17, 1001))
    out = np.empty((4, 17))
    _jets.row_sums(X, out)
    for k, (i, j) in enumerate([(0, 0), (1, 1), (1, 2), (2, 2)]):
        np.testing.assert_allclose(out[k], np.einsum("ij,ij->i", X[i], X[j]), rtol=1e-13)
