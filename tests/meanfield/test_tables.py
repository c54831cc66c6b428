"""Pieces of the per-activation tables against independent oracles (the tables as a whole are
checked through phase_diagram against the pointwise solver in test_phase)."""
import math

import numpy as np
from numpy.polynomial import hermite_e

import meanfield as mf
from meanfield import _tablekernels, tables


def test_hermite_projections_match_numpy_hermite_e():
    """Oracle: numpy's probabilists' Hermite polynomials He_k / sqrt(k!) evaluated directly,
    summed against the same weights, for k <= 40 (where direct evaluation is still exact to
    ~1e-13 relative to the sum of |f|)."""
    rng = np.random.default_rng(0)
    z = rng.uniform(-6, 6, 300)
    f = rng.standard_normal(300) * np.exp(-0.25 * z * z)
    f[::7] = 0.0   # skipped nodes
    got = _tablekernels.hermite_projections(f, z, 40)
    for k in range(41):
        c = np.zeros(k + 1)
        c[k] = 1.0
        ref = np.dot(f, hermite_e.hermeval(z, c)) / math.sqrt(math.factorial(k))
        assert abs(got[k] - ref) <= 1e-12 * np.abs(f).sum() * max(1.0, abs(ref)), k


def test_mehler_coefficients_resum_to_the_two_point_kernel():
    """Oracle: C(c, q) by direct quadrature (kernels.two_d); the Hermite coefficients of a
    table row satisfy C = sum_k a_k^2 c^k (Mehler) at moderate c, for a smooth and a kinked phi."""
    from meanfield import kernels

    for name, q in [("tanh", 2.0), ("elu", 1.5)]:
        act = mf.get_activation(name)
        a = tables._hermite_coefficients(act, q, 1024)
        for c in (-0.6, 0.3, 0.7):
            series = np.sum(a ** 2 * c ** np.arange(a.size))
            assert abs(series - kernels.two_d(act, "C", c, q)) <= 1e-12, (name, c)
