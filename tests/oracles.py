"""Closed-form oracles shared by tests: the erf network (Williams 1997), independent of meanfield.

V(q) = (2/pi) asin(2q/(1+2q)), C(c, q) = (2/pi) asin(2qc/(1+2q)), D(q) = (4/pi)(1+4q)^-1/2;
q*, chi1 and xi_c follow in plain Python (scipy brentq).
"""
import math

from scipy import optimize


def erf_V(q):
    return (2 / math.pi) * math.asin(2 * q / (1 + 2 * q))


def erf_C(c, q):
    return (2 / math.pi) * math.asin(2 * q * c / (1 + 2 * q))


def erf_qstar(w, b):
    return optimize.brentq(lambda q: w * erf_V(q) + b - q, 1e-12, 1e3, xtol=1e-15, rtol=1e-15)


def erf_chi1(w, b):
    return w * (4 / math.pi) / math.sqrt(1 + 4 * erf_qstar(w, b))


def erf_xi_c(w, b):
    """-1/log of the c-map slope at c*: c* by brentq on the closed-form map (chaotic) or 1."""
    q = erf_qstar(w, b)
    cmap = lambda c: (w * erf_C(c, q) + b) / q
    if erf_chi1(w, b) <= 1:
        cs = 1.0
    else:
        cs = optimize.brentq(lambda c: cmap(c) - c, -0.999999, 1 - 1e-9, xtol=1e-15)
    x = 2 * q / (1 + 2 * q)
    slope = w * (2 / math.pi) * x / math.sqrt(1 - (x * cs) ** 2) / q
    return -1 / math.log(slope)
