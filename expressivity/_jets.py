"""Compiled forward-mode layer kernels: phi, phi' and phi'' applied to a stacked batch in one pass.

For the stacked pre-activations H = [h; hdot; hddot] (each (n, N)) of one layer, with the
bias b added to h on the way (Poole et al. 2016, Sec. 4):

    z = phi(h),   zdot = phi'(h) hdot,   zddot = phi''(h) hdot^2 + phi'(h) hddot.

One loop reads H once and writes Z once (numpy needs ~10 passes and temporaries).
tanh:  t = tanh h,  phi' = 1 - t^2,  phi'' = -2 t (1 - t^2), so zddot = (1 - t^2)(hddot - 2 t hdot^2).
relu, hard_tanh (piecewise linear): phi' is the indicator of the linear piece, phi'' = 0 (the
Dirac mass at the kinks is left to :mod:`expressivity.regions`), as in activations.py.

tanh itself is computed so that LLVM vectorises the loop (no libm call per element):
tanh x = sign(x) e / (e + 2) with e = expm1(2|x|) = 2^k expm1(r) + 2^k - 1, 2|x| = k ln2 + r
(Cody-Waite reduction, |r| <= ln2/2; expm1(r) by its Taylor series to degree 14; 2^k built
from its bit pattern); |x| >= 20 gives +-1 exactly. Within 5e-16 relative (~2 ulp) of libm's
tanh (tests/expressivity/test_jets.py).

This module imports numba: import it lazily. error_model="numpy" lets divisions vectorise
(no ZeroDivisionError branch); nothing here divides by zero.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bit pattern of a float64 as an int64 (a vectorisable bitcast)."""
    return types.int64(types.float64), lambda ctx, b, sig, args: b.bitcast(args[0], ir.IntType(64))


@intrinsic
def _from_bits(typingctx, i):
    """The float64 whose bit pattern is the int64 ``i``."""
    return types.float64(types.int64), lambda ctx, b, sig, args: b.bitcast(args[0], ir.DoubleType())


_MAGIC = 6755399441055744.0            # 1.5 * 2^52: adding it rounds to an integer in the low bits
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01   # ln 2 split so that k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.90821492927058770002e-10
_C = tuple(1.0 / math.factorial(k) for k in range(19))
(_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13, _C14, _C15, _C16,
 _C17, _C18) = _C


@njit(inline="always", error_model="numpy")
def tanh_scalar(x):
    """tanh x to ~2 ulp with straight-line arithmetic (vectorises inside a loop).

    tanh|x| = e / (e + 2) with e = expm1(2|x|) >= 0 (no cancellation anywhere):
    2|x| = k ln2 + r (Cody-Waite, |r| <= ln2/2), expm1(r) = r (1 + r/2! + ... + r^12/13!),
    e = 2^k expm1(r) + (2^k - 1); 2|x| is clamped to 40 (tanh 20 rounds to 1).
    """
    ax = abs(x)
    y = 2.0 * ax
    y = y if y < 40.0 else 40.0
    kf = y * _INV_LN2 + _MAGIC
    k = kf - _MAGIC
    r = (y - k * _LN2_HI) - k * _LN2_LO
    p = _C14
    p = p * r + _C13
    p = p * r + _C12
    p = p * r + _C11
    p = p * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + _C1
    em1 = p * r
    s = _from_bits((_bits(kf) - _bits(_MAGIC) + 1023) << 52)
    e = s * em1 + (s - 1.0)
    t = e / (e + 2.0)
    t = math.copysign(t, x)   # tanh is odd; -0.0 stays -0.0
    return x if x != x else t   # NaN stays NaN (the clamp above would make it +-1)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def tanh_into(x, out):
    """out[i] = tanh(x[i]) for 1-D arrays (the kernel's tanh, exposed for the tests)."""
    for i in range(x.size):
        out[i] = tanh_scalar(x[i])


@njit(inline="always", error_model="numpy")
def _tanh_point(H, Z, i, j, h):
    t = tanh_scalar(h)
    d = 1.0 - t * t
    v = H[1, i, j]
    Z[0, i, j] = t
    Z[1, i, j] = d * v
    Z[2, i, j] = d * (H[2, i, j] - 2.0 * t * v * v)


@njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def tanh_jet(H, Z, b):
    """Z = [tanh h; tanh'(h) hdot; ...] for H, Z of shape (3, n, N); h += b in H first
    (``b`` of length N, or empty: no bias and H is left untouched)."""
    n, N = H.shape[1], H.shape[2]
    if b.size:
        for i in range(n):
            for j in range(N):
                h = H[0, i, j] + b[j]
                H[0, i, j] = h
                _tanh_point(H, Z, i, j, h)
    else:
        for i in range(n):
            for j in range(N):
                _tanh_point(H, Z, i, j, H[0, i, j])


@njit(inline="always", error_model="numpy")
def _pl_point(H, Z, i, j, h, relu):
    """relu: max(h, 0), phi' = [h > 0]; hard_tanh: clip(h, -1, 1), phi' = [|h| < 1]; phi'' = 0.
    NaN propagates in phi as np.maximum / np.clip do."""
    if relu:
        d = 1.0 if h > 0.0 else 0.0
        z = 0.0 if h <= 0.0 else h
    else:
        d = 1.0 if abs(h) < 1.0 else 0.0
        z = -1.0 if h < -1.0 else h
        z = 1.0 if h > 1.0 else z
    Z[0, i, j] = z
    Z[1, i, j] = d * H[1, i, j]
    Z[2, i, j] = d * H[2, i, j]


@njit(cache=True, error_model="numpy", nogil=True)
def piecewise_linear_jet(H, Z, b, relu):
    """relu (``relu=True``) or hard_tanh: the same contract as :func:`tanh_jet`."""
    n, N = H.shape[1], H.shape[2]
    if b.size:
        for i in range(n):
            for j in range(N):
                h = H[0, i, j] + b[j]
                H[0, i, j] = h
                _pl_point(H, Z, i, j, h, relu)
    else:
        for i in range(n):
            for j in range(N):
                _pl_point(H, Z, i, j, H[0, i, j], relu)


@njit(cache=True, error_model="numpy", fastmath={"reassoc", "contract"}, nogil=True)
def row_sums(X, out):
    """out[:, i] = (x.x, v.v, v.a, a.a) of row i for X = [x; v; a] of shape (3, n, N)."""
    n, N = X.shape[1], X.shape[2]
    for i in range(n):
        xx = 0.0
        vv = 0.0
        va = 0.0
        aa = 0.0
        for j in range(N):
            x = X[0, i, j]
            v = X[1, i, j]
            a = X[2, i, j]
            xx += x * x
            vv += v * v
            va += v * a
            aa += a * a
        out[0, i] = xx
        out[1, i] = vv
        out[2, i] = va
        out[3, i] = aa
