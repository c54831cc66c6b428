"""Independent oracles for the meanfield tests: scipy adaptive quadrature, split at kinks.

quad's default epsabs (1.5e-8) is far too loose for 1e-9 relative checks: every call here
sets epsabs/epsrel explicitly, at the edge of what double precision reaches; where quad reports
"roundoff error ... prevents the requested tolerance" (IntegrationWarning) its estimate is
still ~1e-14, far inside the tests' 1e-9, so the oracle silences that one warning class.
"""
import functools
import math
import types
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize

_C = 1.0 / math.sqrt(2.0 * math.pi)
ZMAX = 12.0


def _pieces(points):
    inside = sorted(p for p in set(points) if -ZMAX < p < ZMAX)
    edges = [-ZMAX] + inside + [ZMAX]
    return list(zip(edges[:-1], edges[1:]))


def _quiet(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return fn(*args, **kwargs)

    return wrapped


@_quiet
def gauss1(f, q, kinks=()):
    """E[f(sqrt(q) z)] by adaptive quadrature."""
    rq = math.sqrt(q)
    g = lambda z: f(rq * z) * _C * math.exp(-0.5 * z * z)
    pts = [k / rq for k in kinks] if q > 0 else []
    return sum(integrate.quad(g, a, b, epsabs=1e-16, epsrel=1e-13, limit=500)[0] for a, b in _pieces(pts))


@_quiet
def gauss2(f1, f2, c, q, kinks=()):
    """E[f1(u1) f2(u2)], u ~ N(0, q[[1, c], [c, 1]]), by nested adaptive quadrature."""
    rq = math.sqrt(q)
    s = rq * math.sqrt(max(0.0, 1.0 - c * c))

    def inner(z1):
        m = rq * c * z1
        g = lambda z2: f2(m + s * z2) * _C * math.exp(-0.5 * z2 * z2)
        pts = [(k - m) / s for k in kinks] if s > 0 else []
        return sum(integrate.quad(g, a, b, epsabs=1e-16, epsrel=1e-13, limit=300)[0] for a, b in _pieces(pts))

    pts = [k / rq for k in kinks] + ([k / (rq * c) for k in kinks] if c != 0 else [])
    outer = lambda z1: f1(rq * z1) * inner(z1) * _C * math.exp(-0.5 * z1 * z1)
    return sum(integrate.quad(outer, a, b, epsabs=1e-15, epsrel=1e-12, limit=300)[0] for a, b in _pieces(pts))


def scalar(fn):
    return lambda x: float(fn(x))


def q_star_oracle(act, w, b, lo, hi):
    """Root of sigma_w2 V(q) + sigma_b2 = q in [lo, hi] with V by adaptive quadrature."""
    phi = scalar(act.phi)
    return optimize.brentq(lambda q: w * gauss1(lambda x: phi(x) ** 2, q, act.kinks) + b - q,
                           lo, hi, xtol=1e-15, rtol=1e-14)


@pytest.fixture
def oracle():
    return types.SimpleNamespace(gauss1=gauss1, gauss2=gauss2, scalar=scalar, q_star=q_star_oracle)


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
