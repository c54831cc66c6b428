"""Compiled passes of the fused unrolled step (:mod:`.fused`): the logistic loss's gradient and
its Hessian-vector product for a one-hidden-layer ReLU discriminator, one loop over the rows.

The numpy form in :mod:`.fused` walks (rows x hidden) arrays about a dozen times in each
direction; these kernels visit each (row, unit) pair twice per call, recomputing the hidden
pre-activation h = x W1 + b1 (a few multiply-adds when the data are 2-D) instead of storing
it, and accumulate the parameter sums in float64. Same formulas as :mod:`.fused`'s module
docstring; the tests compare both forms. Imported lazily (``import expressivity.gan`` does not
import numba).
"""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def _row_hidden(X, i, W1, b1, h, a):
    """h = x_i W1 + b1 and a = relu(h) for row i (inner loops over the units: vectorised)."""
    din, H = W1.shape
    for j in range(H):
        h[j] = b1[j]
    for k in range(din):
        xk = X[i, k]
        for j in range(H):
            h[j] += xk * W1[k, j]
    for j in range(H):
        a[j] = h[j] if h[j] > 0 else 0.0


@njit(cache=True, nogil=True, fastmath=True)
def loss_grad(X, W1, b1, w2, b2, nr):
    """X: (n, din) inputs already multiplied by the input scale (rows < nr real, >= nr fake).
    Returns (loss, gW1, gb1, gw2, gb2, delta, eps): the logistic loss sum_i c_i softplus(s_i
    T_i), its gradient (gW1 with respect to the weights applied to X) and per-row dL/dT and
    d^2L/dT^2."""
    n = X.shape[0]
    din, H = W1.shape
    nf = n - nr
    h = np.empty(H, X.dtype)  # per-row temporaries in the data's precision (vector width),
    a = np.empty(H, X.dtype)  # sums over rows in float64
    gh = np.empty(H, X.dtype)
    gW1 = np.zeros((din, H), np.float64)
    gb1 = np.zeros(H, np.float64)
    gw2 = np.zeros(H, np.float64)
    gb2 = 0.0
    delta = np.empty(n, np.float64)
    eps = np.empty(n, np.float64)
    loss = 0.0
    for i in range(n):
        _row_hidden(X, i, W1, b1, h, a)
        T = b2
        for j in range(H):
            T += a[j] * w2[j]
        if i < nr:
            sg, c = -1.0, 1.0 / nr
        else:
            sg, c = 1.0, 1.0 / nf
        z = sg * T
        e = np.exp(-abs(z))
        p = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
        loss += c * (max(z, 0.0) + np.log1p(e))
        d = c * sg * p
        delta[i] = d
        eps[i] = c * p * (1.0 - p)
        gb2 += d
        for j in range(H):
            m = 1.0 if h[j] > 0 else 0.0
            gw2[j] += d * a[j]
            gh[j] = d * w2[j] * m
            gb1[j] += gh[j]
        for k in range(din):
            xk = X[i, k]
            for j in range(H):
                gW1[k, j] += xk * gh[j]
    return loss, gW1, gb1, gw2, gb2, delta, eps


@njit(cache=True, nogil=True, fastmath=True)
def hvp(X, W1, b1, w2, b2, nr, delta, eps, W1b, b1b, w2b, b2b):
    """The VJP of the gradient of :func:`loss_grad` along gbar = (W1b, b1b, w2b, b2b): returns
    (dW1, db1, dw2, db2, dX) with dX the rows >= nr (fake), all with respect to the scaled X."""
    n = X.shape[0]
    din, H = W1.shape
    h = np.empty(H, X.dtype)
    a = np.empty(H, X.dtype)
    q = np.empty(H, X.dtype)
    E = np.empty(H, X.dtype)
    gh = np.empty(H, X.dtype)
    dW1 = np.zeros((din, H), np.float64)
    db1 = np.zeros(H, np.float64)
    dw2 = np.zeros(H, np.float64)
    db2 = 0.0
    dX = np.zeros((n - nr, din), np.float64)
    for i in range(n):
        _row_hidden(X, i, W1, b1, h, a)
        for j in range(H):
            q[j] = b1b[j]
        for k in range(din):
            xk = X[i, k]
            for j in range(H):
                q[j] += xk * W1b[k, j]
        r = b2b
        for j in range(H):
            m = 1.0 if h[j] > 0 else 0.0
            q[j] *= m
            r += a[j] * w2b[j] + q[j] * w2[j]
        d = delta[i]
        u = eps[i] * r
        db2 += u
        for j in range(H):
            m = 1.0 if h[j] > 0 else 0.0
            dw2[j] += u * a[j] + d * q[j]
            E[j] = m * (u * w2[j] + d * w2b[j])
            db1[j] += E[j]
            gh[j] = m * d * w2[j]
        for k in range(din):
            xk = X[i, k]
            for j in range(H):
                dW1[k, j] += xk * E[j]
        if i >= nr:
            for k in range(din):
                acc = 0.0
                for j in range(H):
                    acc += E[j] * W1[k, j] + gh[j] * W1b[k, j]
                dX[i - nr, k] = acc
    return dW1, db1, dw2, db2, dX
