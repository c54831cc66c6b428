"""Unrolled GANs (Metz, Poole, Pfau & Sohl-Dickstein 2017) with any generator objective.

With f(theta_G, theta_D) = E_x[log D(x)] + E_z[log(1 - D(G(z)))] the discriminator is unrolled
K steps, theta_D^0 = theta_D, theta_D^{k+1} = theta_D^k + eta df(theta_G, theta_D^k)/dtheta_D^k
(here the differentiable Adam of :mod:`expressivity.autodiff.optim`, started from the real
discriminator's Adam moments), and the generator descends the surrogate
f_K(theta_G, theta_D) = f(theta_G, theta_D^K(theta_G, theta_D)):

    df_K/dtheta_G = df/dtheta_G + (df/dtheta_D^K) (dtheta_D^K/dtheta_G),

the second term by backpropagation through the K optimiser steps (true second-order terms).
``first_order=True`` is the paper's ablation: theta_D^K is computed but its dependence on
theta_G is cut (stop_gradient), leaving only the first term. K = 0 is the ordinary GAN. The
discriminator takes an ordinary step on f; the unrolled copies are discarded.

For ``objective="minimax"`` the generator loss is exactly -(the discriminator's logistic
loss) at theta_D^K, i.e. f_K including the real-data term (which depends on theta_G through
theta_D^K). Other objectives (:mod:`.objectives`) use their fake-sample loss at theta_D^K.
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import getval, grad, nn, optim, stop_gradient, value_and_grad
from expressivity.autodiff.optim import AdamState

from ..checks import check_nonnegative_int
from .fused import AdamHyper, eligible, fused_unroll
from .models import discriminator, generator
from .objectives import get_objective

__all__ = ["d_loss", "unroll_discriminator", "unrolled_generator_loss", "unrolled_surrogate",
           "adam_state_of"]


def d_loss(D, x_real, x_fake, activation="tanh", input_scale=1.0):
    """Logistic discriminator loss -f = E_p[softplus(-T)] + E_q[softplus(T)].

    Real and fake rows go through the network as one stacked batch and the two means are one
    weighted sum, sum_i w_i softplus(s_i T_i) with s = -1, w = 1/n_real on real rows and
    s = +1, w = 1/n_fake on fake rows (a quarter of the recorded operations of two passes and
    two means; the unrolled steps are bound by per-operation overhead). The network sees
    ``input_scale`` * x."""
    x = anp.concatenate([x_real, x_fake], axis=0)
    if input_scale != 1.0:
        x = x * input_scale
    T = nn.mlp_apply(D, x, activation)
    s, w = _signs_weights(x_real.shape[0], x_fake.shape[0], getval(T).dtype)
    return anp.sum(w * anp.softplus(T * s))


_SW_CACHE: dict = {}


def _signs_weights(n_real, n_fake, dtype):
    key = (n_real, n_fake, dtype)
    sw = _SW_CACHE.get(key)
    if sw is None:
        s = np.concatenate([-np.ones(n_real), np.ones(n_fake)]).astype(dtype)[:, None]
        w = np.concatenate([np.full(n_real, 1.0 / n_real), np.full(n_fake, 1.0 / n_fake)])
        sw = _SW_CACHE[key] = (s, w.astype(dtype)[:, None])
        if len(_SW_CACHE) > 64:
            _SW_CACHE.pop(next(iter(_SW_CACHE)))
    return sw


def unroll_discriminator(D, x_real, x_fake, unroll_steps, optimizer, state=None, activation="tanh",
                         input_scale=1.0):
    """theta_D^K after ``unroll_steps`` pure ``optimizer`` steps on :func:`d_loss` (recorded
    on the current trace, so differentiable w.r.t. x_fake and D)."""
    return _unroll(D, x_real, x_fake, unroll_steps, optimizer, state, activation, input_scale)[0]


def _check_unroll_steps(unroll_steps):
    return check_nonnegative_int("unroll_steps", unroll_steps)


def _unroll(D, x_real, x_fake, unroll_steps, optimizer, state, activation, input_scale=1.0):
    """(theta_D^K, d_loss and its gradient at theta_D^0 = D): the first unrolled step's
    gradient is the real discriminator's gradient of this iteration (see GANTrainer.step)."""
    unroll_steps = _check_unroll_steps(unroll_steps)
    if state is None:
        state = optimizer.init(D)
    first = None
    for k in range(unroll_steps):
        if k == 0:
            ld, g = _d_value_and_grad(D, x_real, x_fake, activation, input_scale)
            first = (ld, g)
        else:
            g = _d_grad(D, x_real, x_fake, activation, input_scale)
        D, state = optimizer.update(g, state, D)
    return D, first


_d_grad = grad(d_loss)
_d_value_and_grad = value_and_grad(d_loss)


def unrolled_generator_loss(G, D, z, x_real, unroll_steps=0, objective="minimax", optimizer=None,
                            state=None, first_order=False, activation="tanh", d_activation=None,
                            d_input_scale=1.0):
    """The surrogate f_K as a function of the generator parameters ``G`` (see module doc).

    ``optimizer``: a pure optimiser, or :class:`.fused.AdamHyper` hyperparameters (default
    ``AdamHyper(1e-4, b1=0.5)``): Adam then runs as one fused operation per step when D has
    one ReLU hidden layer (:mod:`.fused`; the same numbers as the composed form), else as
    ``optim.adam``. ``state``: the optimiser's state for D (default fresh). Differentiate with
    ``grad(unrolled_generator_loss)``.
    """
    return unrolled_surrogate(G, D, z, x_real, unroll_steps, objective, optimizer, state,
                              first_order, activation, d_activation, d_input_scale)[0]


def unrolled_surrogate(G, D, z, x_real, unroll_steps=0, objective="minimax", optimizer=None,
                       state=None, first_order=False, activation="tanh", d_activation=None,
                       d_input_scale=1.0, with_first=True):
    """(f_K, aux): the generator loss of :func:`unrolled_generator_loss` and, for
    ``unroll_steps`` >= 1, aux = (d_loss, its gradient in D) at the current D and generator
    samples (a by-product of the first unrolled step; None for K = 0). For
    ``value_and_grad(..., has_aux=True)``: a simultaneous discriminator step reuses aux;
    ``with_first=False`` skips it."""
    obj = get_objective(objective)
    unroll_steps = _check_unroll_steps(unroll_steps)
    if optimizer is None:
        optimizer = AdamHyper(1e-4, b1=0.5)
    d_act = activation if d_activation is None else d_activation
    fake = generator(G, z, activation)
    first = None
    if unroll_steps and isinstance(optimizer, AdamHyper) and eligible(D, d_act):
        xf = stop_gradient(fake) if first_order else fake
        DK, first = fused_unroll(D, x_real, xf, unroll_steps, optimizer, state, d_input_scale, with_first)
        if first_order:
            DK = stop_gradient(DK)
    elif unroll_steps:
        if isinstance(optimizer, AdamHyper):
            optimizer = optimizer.optimizer()
        if first_order:
            DK, first = _unroll(D, x_real, stop_gradient(fake), unroll_steps, optimizer, state,
                                d_act, d_input_scale)
            DK = stop_gradient(DK)
        else:
            DK, first = _unroll(D, x_real, fake, unroll_steps, optimizer, state, d_act, d_input_scale)
    else:
        DK = D
    loss = obj.generator_loss(discriminator(DK, fake, d_act, d_input_scale))
    if obj.name == "minimax":
        # f_K's real-data term: depends on theta_G through theta_D^K only (constant for K = 0)
        loss = loss - anp.mean(anp.softplus(-discriminator(DK, x_real, d_act, d_input_scale)))
    return loss, first


def adam_state_of(opt, params):
    """The pure-Adam state (count, m, v) equal to an ``optim.adam_inplace`` optimiser's current
    moments, shaped like ``params`` (copies): the unrolled steps continue the real optimiser."""
    from expressivity.autodiff import tree_flatten, tree_unflatten

    leaves, treedef = tree_flatten(params)
    if opt.flat:
        ms, vs, o = [], [], 0
        for p in leaves:
            ms.append(opt.m[o:o + p.size].reshape(p.shape).copy())
            vs.append(opt.v[o:o + p.size].reshape(p.shape).copy())
            o += p.size
    else:
        ms = [m.copy() for m in opt.m]
        vs = [v.copy() for v in opt.v]
    return AdamState(opt.count, tree_unflatten(treedef, ms), tree_unflatten(treedef, vs))
