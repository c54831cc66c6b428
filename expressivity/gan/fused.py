"""One recorded operation per unrolled Adam step of a one-hidden-layer ReLU discriminator.

The unrolled generator loss (Metz et al. 2017) differentiates through K Adam steps of the
discriminator on the logistic loss. Composed from the engine's primitives, one step records
about 20 operations on (batch x hidden) arrays and its reverse pass about 40 more, each a
pass over memory plus Python overhead. For the paper's discriminator, T(x) = w2 . relu(s x W1
+ b1) + b2, this module makes the whole step, Adam included, one primitive on the flat state
S = [theta, m, v] (theta = [W1, b1, W2, b2] raveled; m, v Adam's moments):

    S' = step(S, x_fake; x_real),

with the logistic loss L = sum_i c_i softplus(sigma_i T_i) (sigma = -1, c = 1/n_real on real
rows; +1, 1/n_fake on fake rows; the loss of :func:`.unrolled.d_loss`). Its forward pass
computes the gradient g = dL/dtheta in closed form,

    delta_i = c_i sigma_i sigmoid(sigma_i T_i),  gW2 = A^T delta,  gb2 = sum delta,
    GH = delta w2^T * M,  gW1 = (s X)^T GH,  gb1 = sum_i GH_i      (M = [h > 0], A = h M),

then Adam as :func:`expressivity.autodiff.optim.adam` does it (bit-identical arithmetic). Its
VJP back-propagates the cotangent of S' through Adam (the partial derivatives of
optim.adam's fused updates, d sqrt(c2 v)/dv = 0 at v = 0) and through g by the exact
Hessian-vector product of L: with the cotangent gbar = (W1bar, b1bar, w2bar, b2bar) of g,

    <gbar, g> = sum_i delta_i r_i,   r_i = a_i . w2bar + b2bar + q_i . w2,
    q_i = m_i * (s x_i W1bar + b1bar),   eps_i = d delta_i / d T_i = c_i p_i (1 - p_i),

so (u_i = eps_i r_i, E_i = m_i * (u_i w2 + delta_i w2bar), the mask held fixed: ReLU is
piecewise linear)

    dW2 = A^T u + Q^T delta,  db2 = sum u,  dW1 = (s X)^T E,  db1 = sum E,
    dx_i = s (E_i W1^T + GH_i W1bar^T)   (fake rows).

The forward keeps these intermediates as the VJP's residual. Called on traced arguments of
an outer trace (a derivative of the unrolled gradient, third order in D's loss), the VJP
falls back to the composed engine form, so every order stays exact. Checked against the
composed form and against finite differences in the tests.
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad, optim
from expressivity.autodiff.core import FusedVJP, getval, primitive

__all__ = ["AdamHyper", "eligible", "pack_state", "unpack_params", "fused_unroll", "loss_and_grad"]


class AdamHyper:
    """Adam's hyperparameters for the unrolled steps (``optim.adam(lr, b1, b2, eps)``); the
    fused path needs them by value, an opaque pure optimiser hides them."""

    __slots__ = ("lr", "b1", "b2", "eps")

    def __init__(self, lr=1e-4, b1=0.5, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = float(lr), float(b1), float(b2), float(eps)

    def optimizer(self):
        return optim.adam(self.lr, b1=self.b1, b2=self.b2, eps=self.eps)

    def __repr__(self):
        return f"AdamHyper(lr={self.lr}, b1={self.b1}, b2={self.b2}, eps={self.eps})"


def eligible(D, activation):
    """True for plain (untraced) parameters of a one-hidden-layer network with ReLU and one
    output unit, the shape the fused step handles."""
    if activation != "relu" or not isinstance(D, list) or len(D) != 2:
        return False
    try:
        W1, b1, W2, b2 = D[0]["W"], D[0]["b"], D[1]["W"], D[1]["b"]
    except (KeyError, TypeError):
        return False
    arrays = (W1, b1, W2, b2)
    if not all(a.__class__ is np.ndarray for a in arrays):
        return False
    H = W1.shape[1] if W1.ndim == 2 else -1
    return (b1.shape == (H,) and W2.shape == (H, 1) and b2.shape == (1,)
            and len({a.dtype for a in arrays}) == 1)


def _flat(layers):
    return np.concatenate([layers[0]["W"].ravel(), layers[0]["b"], layers[1]["W"].ravel(), layers[1]["b"]])


def pack_state(D, state=None):
    """The flat state [theta, m, v] of ``D`` and an ``optim.AdamState`` (zeros if None);
    returns (S, count)."""
    theta = _flat(D)
    if state is None:
        z = np.zeros_like(theta)
        return np.concatenate([theta, z, z]), 0
    return np.concatenate([theta, _flat(state.m), _flat(state.v)]), int(state.count)


def unpack_params(S, din, H):
    """D's parameter pytree from the first entries of the (possibly traced) flat state."""
    o1 = din * H
    return [{"W": anp.reshape(S[:o1], (din, H)), "b": S[o1:o1 + H]},
            {"W": anp.reshape(S[o1 + H:o1 + 2 * H], (H, 1)), "b": S[o1 + 2 * H:o1 + 2 * H + 1]}]


def _split(theta, din, H):
    o1 = din * H
    return (theta[:o1].reshape(din, H), theta[o1:o1 + H], theta[o1 + H:o1 + 2 * H],
            theta[o1 + 2 * H:o1 + 2 * H + 1])


def _expit(x):
    """sigmoid(x) without overflow: e = exp(-|x|) <= 1, then 1/(1+e) or e/(1+e)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


_KERNELS: list = []


def _kernels():
    """The compiled passes (:mod:`.fused_kernels`), or None where numba is missing; the
    numpy form below is then used (and is the tests' reference)."""
    if not _KERNELS:
        try:
            from . import fused_kernels
        except ImportError:  # pragma: no cover - numba is a dependency
            fused_kernels = None
        _KERNELS.append(fused_kernels)
    return _KERNELS[0] if USE_KERNELS else None


#: Use the compiled passes when numba is importable (False: the numpy form, for comparison).
USE_KERNELS = True


def _forward(theta, x_real, x_fake, din, H, s):
    """Loss, gradient (flat, theta's dtype) and the residual for :func:`_hvp`."""
    W1, b1, w2, b2 = _split(theta, din, H)
    nr, nf = x_real.shape[0], x_fake.shape[0]
    dt = theta.dtype
    Xs = np.concatenate([x_real, x_fake], axis=0).astype(dt, copy=False)
    if s != 1.0:
        Xs = Xs * dt.type(s)
    k = _kernels()
    if k is not None:
        loss, gW1, gb1, gw2, gb2, delta, eps_ = k.loss_grad(Xs, W1, b1, w2, float(b2[0]), nr)
        g = np.concatenate([gW1.ravel(), gb1, gw2, [gb2]]).astype(dt)
        return loss, g, ("kernel", Xs, W1, b1, w2, float(b2[0]), nr, delta, eps_)
    Hm = Xs @ W1
    Hm += b1
    M = Hm > 0
    A = np.maximum(Hm, 0, out=Hm)
    T = A @ w2
    T += b2
    sgn = np.empty(nr + nf, dt)
    sgn[:nr], sgn[nr:] = -1, 1
    c = np.empty(nr + nf, dt)
    c[:nr], c[nr:] = 1.0 / nr, 1.0 / nf
    zz = sgn * T
    loss = float(np.sum(c * np.logaddexp(0, zz)))
    p = _expit(zz)
    delta = c * sgn * p
    eps_ = c * p * (1 - p)
    GH = np.multiply.outer(delta, w2)
    GH *= M
    ones = np.ones(nr + nf, dt)  # column sums as matrix-vector products (~4x faster than sum)
    g = np.concatenate([(Xs.T @ GH).ravel(), ones @ GH, A.T @ delta, [delta.sum()]]).astype(dt, copy=False)
    return loss, g, ("numpy", Xs, M, A, delta, eps_, GH, W1, w2, ones)


def _hvp(res, gbar, din, H, s, dt, nf):
    """(d theta, d x_fake) of <gbar, gradient> (module docstring), from :func:`_forward`'s
    residual; ``nf`` fake rows (the last ones)."""
    W1b, b1b, w2b, b2b = _split(gbar, din, H)
    if res[0] == "kernel":
        _, Xs, W1, b1, w2, b2, nr, delta, eps_ = res
        dW1, db1, dw2, db2, dX = _kernels().hvp(Xs, W1, b1, w2, b2, nr, delta, eps_, W1b, b1b, w2b,
                                                float(b2b[0]))
        d_theta = np.concatenate([dW1.ravel(), db1, dw2, [db2]]).astype(dt)
        return d_theta, (dX * s).astype(dt)
    _, Xs, M, A, delta, eps_, GH, W1, w2, ones = res
    Q = Xs @ W1b
    Q += b1b
    Q *= M
    r = A @ w2b
    r += Q @ w2
    r += b2b
    u = eps_ * r
    E = np.stack([u, delta], 1) @ np.stack([w2, w2b])
    E *= M
    d_theta = np.concatenate([(Xs.T @ E).ravel(), ones @ E, A.T @ u + Q.T @ delta, [u.sum()]])
    gx = E[-nf:] @ W1.T
    gx += GH[-nf:] @ W1b.T
    if s != 1.0:
        gx *= gx.dtype.type(s)
    return d_theta.astype(dt, copy=False), gx


def loss_and_grad(D, x_real, x_fake, input_scale=1.0):
    """(logistic loss, its gradient pytree) at plain ``D`` (eligible shape), by the closed form."""
    theta = _flat(D)
    din, H = D[0]["W"].shape
    loss, g, _ = _forward(theta, np.asarray(x_real), np.asarray(x_fake), din, H, float(input_scale))
    W1, b1, w2, b2 = _split(g, din, H)
    return loss, [{"W": W1.copy(), "b": b1.copy()}, {"W": w2.reshape(H, 1).copy(), "b": b2.copy()}]


def _adam(theta, m, v, g, t, hp):
    a = hp.lr / (1.0 - hp.b1**t)
    c2 = 1.0 / (1.0 - hp.b2**t)
    m1 = g * (1.0 - hp.b1)
    m1 += hp.b1 * m
    v1 = g * g
    v1 *= 1.0 - hp.b2
    v1 += hp.b2 * v
    sq = v1 * c2
    np.sqrt(sq, out=sq)
    d = sq + hp.eps
    upd = np.divide(m1, d)
    upd *= a
    return theta - upd, m1, v1, sq, d, a, c2


def _step_with_residual(S, x_fake, x_real, din, H, s, t, hp):
    P = S.shape[0] // 3
    theta, m, v = S[:P], S[P:2 * P], S[2 * P:]
    _, g, inter = _forward(theta, x_real, x_fake, din, H, s)
    th1, m1, v1, sq, d, a, c2 = _adam(theta, m, v, g, t, hp)
    return np.concatenate([th1, m1, v1]), (g, inter, m1, sq, d, a, c2, x_fake.shape[0])


def _step(S, x_fake, x_real, din, H, s, t, hp):
    return _step_with_residual(S, x_fake, x_real, din, H, s, t, hp)[0]


def _composed(S, x_fake, x_real, din, H, s, t, hp):
    """The same step composed from engine primitives (differentiable to any order)."""
    from .unrolled import d_loss

    P = S.shape[0] // 3
    D = unpack_params(S, din, H)
    g = grad(d_loss)(D, x_real, x_fake, "relu", s)
    gf = anp.concatenate([anp.reshape(g[0]["W"], (-1,)), g[0]["b"], anp.reshape(g[1]["W"], (-1,)), g[1]["b"]])
    m = S[P:2 * P] * 1.0
    v = S[2 * P:] * 1.0
    newp, st = hp.optimizer().update(gf, optim.AdamState(t - 1, m, v), S[:P])
    return anp.concatenate([newp, st.m, st.v])


def _vjp(gS, ans, argnums, S, x_fake, x_real, din, H, s, t, hp, _res=None):
    nd = np.ndarray
    if _res is None or gS.__class__ is not nd or S.__class__ is not nd or x_fake.__class__ is not nd:
        # traced by an outer trace: the composed form, recorded there
        def inner(S_, xf_):
            return anp.sum(_composed(S_, xf_, x_real, din, H, s, t, hp) * gS)
        gs = grad(inner, argnum=(0, 1))(S, x_fake)
        return [gs[i] for i in argnums]
    g, inter, m1, sq, d, a, c2, nf = _res
    P = S.shape[0] // 3
    gth, gm1, gv1 = gS[:P], gS[P:2 * P], gS[2 * P:]
    # Adam: p' = p - a m'/(sqrt(c2 v') + eps), m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2
    mh = gm1 + gth * (-a) / d
    den = np.where(sq > 0, sq, np.inf) * d * d
    vh = gv1 + gth * m1 * (0.5 * a * c2) / den
    gbar = mh * (1.0 - hp.b1) + vh * (2.0 * (1.0 - hp.b2)) * g
    out_m, out_v = mh * hp.b1, vh * hp.b2
    # Hessian-vector product of the logistic loss along gbar
    d_theta, gx = _hvp(inter, gbar, din, H, s, gth.dtype, nf)
    out = []
    for i in argnums:
        out.append(np.concatenate([gth + d_theta, out_m, out_v]) if i == 0 else gx.astype(x_fake.dtype, copy=False))
    return out


_fused_step = primitive(_step, "unrolled_adam_step", vjp_table=FusedVJP(_vjp),
                        with_residual=_step_with_residual)


def fused_unroll(D, x_real, x_fake, unroll_steps, hyper, state=None, input_scale=1.0, with_first=True):
    """(theta_D^K as a pytree, (loss, gradient) at theta_D^0 or None): K fused Adam steps of
    the eligible ``D`` (plain arrays) on the logistic loss, differentiable in ``x_fake``.
    ``state``: an ``optim.AdamState`` to continue (default fresh); ``with_first``: also return
    the first step's loss and gradient (None for K = 0 or when False)."""
    din, H = D[0]["W"].shape
    xr = np.asarray(x_real)
    S, count = pack_state(D, state)
    first = None
    if unroll_steps and with_first:
        first = loss_and_grad(D, xr, getval(x_fake), input_scale)
    for k in range(unroll_steps):
        S = _fused_step(S, x_fake, x_real=xr, din=din, H=H, s=float(input_scale), t=count + k + 1,
                        hp=hyper)
    return unpack_params(S, din, H), first
