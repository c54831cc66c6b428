"""Optimisers: pure, differentiable ``init``/``update`` pairs and fast in-place versions.

Pure optimisers (``sgd``, ``momentum``, ``adam``) return an :class:`Optimizer` with

    state = opt.init(params)
    params, state = opt.update(grads, state, params)

Both are pure functions of pytrees built from the engine's primitives, so a Python loop of
``update`` calls inside a differentiated function is differentiated through (unrolled
optimisation, Metz et al. 2017; Maclaurin et al. 2015).

In-place optimisers (``adam_inplace``, ``sgd_inplace``, ``momentum_inplace``) update the
numpy arrays of a params pytree in place with preallocated buffers, for ordinary training.

Adam (Kingma & Ba 2015): m_t = b1 m + (1 - b1) g, v_t = b2 v + (1 - b2) g^2,
p_t = p - lr * (m_t / (1 - b1^t)) / (sqrt(v_t / (1 - b2^t)) + eps).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import numpy as anp
from .core import FusedVJP, defvjp, getval, primitive, primitive1
from ..checks import check_bool, check_positive, check_real, plain
from .tree import TreeMismatchError, tree_leaves, tree_map

__all__ = [
    "Optimizer", "sgd", "momentum", "adam", "AdamState",
    "adam_inplace", "sgd_inplace", "momentum_inplace", "AdamInPlace", "SGDInPlace",
    "MomentumInPlace",
]


class Optimizer(NamedTuple):
    """A pure optimiser: ``init(params) -> state``, ``update(grads, state, params) -> (params, state)``."""

    init: Callable
    update: Callable


class AdamState(NamedTuple):
    count: int
    m: object
    v: object


def _check_lr(lr):
    lr = check_real("lr", lr)
    if lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {plain(lr)}")
    return lr


def _check_beta(name, b):
    b = check_real(name, b)
    if not 0.0 <= b < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {plain(b)}")
    return b


def _checked_update(name, update):
    """``update(grads, state, params)`` that names ``grads`` when its structure differs from
    ``params`` (the check costs nothing when they agree: it happens inside tree_map)."""

    def checked(grads, state, params):
        try:
            return update(grads, state, params)
        except TreeMismatchError as e:
            raise ValueError(f"{name}.update: grads (and state) must have the structure of params; {e}") from None

    checked.__name__ = "update"
    checked.__doc__ = update.__doc__
    return checked


def _zeros_like(p):
    return np.zeros_like(getval(p))


def sgd(lr) -> Optimizer:
    """Plain gradient descent p <- p - lr * g."""
    lr = _check_lr(lr)

    def init(params):
        return ()

    def update(grads, state, params):
        return tree_map(lambda p, g: p - lr * g, params, grads), state

    return Optimizer(init, _checked_update("sgd", update))


def momentum(lr, mass=0.9, nesterov=False) -> Optimizer:
    """Heavy ball: v <- mass v + g, p <- p - lr v (Nesterov: p <- p - lr (g + mass v))."""
    lr = _check_lr(lr)
    mass = _check_beta("mass", mass)
    nesterov = check_bool("nesterov", nesterov)

    def init(params):
        return tree_map(_zeros_like, params)

    def update(grads, state, params):
        v = tree_map(lambda vi, g: mass * vi + g, state, grads)
        if nesterov:
            newp = tree_map(lambda p, g, vi: p - lr * (g + mass * vi), params, grads, v)
        else:
            newp = tree_map(lambda p, vi: p - lr * vi, params, v)
        return newp, v

    return Optimizer(init, _checked_update("momentum", update))


def _adam_sqrt_fun(v):
    return np.sqrt(v)


def _adam_sqrt_vjp(g, ans, v):
    a = getval(ans)
    if np.all(a > 0):
        return g * 0.5 / ans
    return g * 0.5 / anp.where(a > 0, ans, np.inf)


# sqrt with derivative 0 (instead of inf) at v = 0. In Adam, v = 0 only where every gradient so
# far was exactly 0, where dv/dg = 2 (1 - b2) g = 0: the product of the two factors is 0 and this
# avoids the 0 * inf = NaN of the literal chain rule.
_adam_sqrt = primitive1(_adam_sqrt_fun, "adam_sqrt")
defvjp(_adam_sqrt, _adam_sqrt_vjp)


# Fused Adam: three recorded operations per parameter array instead of fourteen (the unrolled
# GAN's inner loop is bound by per-operation overhead, and these are most of its operations):
#
#   m_t = b1 m + (1 - b1) g,   v_t = b2 v + (1 - b2) g^2,   p_t = p - a m_t / (sqrt(c2 v_t) + eps)
#
# with a = lr / (1 - b1^t), c2 = 1 / (1 - b2^t). The VJPs are the partial derivatives of these
# formulas, written with the engine's primitives so they are differentiable again; on plain
# arrays they take numpy fast paths. d sqrt(c2 v)/dv is taken as 0 where v = 0 (see _adam_sqrt).

def _adam_m_fun(m, g, beta):
    out = g * (1.0 - beta)
    out += beta * m
    return out


_adam_m = primitive(_adam_m_fun, "adam_m")
defvjp(_adam_m, lambda gb, ans, m, g, beta: gb * beta,
       lambda gb, ans, m, g, beta: gb * (1.0 - beta))


def _adam_v_fun(v, g, beta):
    out = g * g
    out *= 1.0 - beta
    out += beta * v
    return out


_adam_v = primitive(_adam_v_fun, "adam_v")
defvjp(_adam_v, lambda gb, ans, v, g, beta: gb * beta,
       lambda gb, ans, v, g, beta: gb * (2.0 * (1.0 - beta)) * g)


def _adam_apply_fun(p, m, v, a, c2, eps):
    d = v * c2
    np.sqrt(d, out=d)
    d += eps
    np.divide(m, d, out=d)
    d *= a
    return np.subtract(p, d, out=d)


def _adam_apply_vjp(gb, ans, argnums, p, m, v, a, c2, eps):
    nd = np.ndarray
    if gb.__class__ is nd and m.__class__ is nd and v.__class__ is nd:
        s = np.sqrt(v * c2)
        d = s + eps
        out = []
        for i in argnums:
            if i == 0:
                out.append(gb)
            elif i == 1:
                out.append(gb * (-a) / d)
            else:
                # dp_t/dv = a m c2 / (2 s d^2), 0 where s = 0
                den = np.where(s > 0, s, np.inf) * d * d
                out.append(gb * m * (0.5 * a * c2) / den)
        return out
    s = _adam_sqrt(v * c2)
    d = s + eps
    out = []
    for i in argnums:
        if i == 0:
            out.append(gb)
        elif i == 1:
            out.append(gb * (-a) / d)
        else:
            den = anp.where(getval(s) > 0, s, np.inf) * d * d
            out.append(gb * m * (0.5 * a * c2) / den)
    return out


_adam_apply = primitive(_adam_apply_fun, "adam_apply", vjp_table=FusedVJP(_adam_apply_vjp))


def adam(lr, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    """Adam as a pure, differentiable optimiser. State: ``AdamState(count, m, v)``.

    Each parameter array costs three recorded operations (fused moment and parameter updates
    with hand-written VJPs), so a loop of ``update`` calls is cheap to differentiate through."""
    lr = _check_lr(lr)
    b1 = _check_beta("b1", b1)
    b2 = _check_beta("b2", b2)
    eps = check_positive("eps", eps)

    def init(params):
        return AdamState(0, tree_map(_zeros_like, params), tree_map(_zeros_like, params))

    def update(grads, state, params):
        t = state.count + 1
        a = lr / (1.0 - b1**t)
        c2 = 1.0 / (1.0 - b2**t)
        m = tree_map(lambda mi, g: _adam_m(mi, g, beta=b1), state.m, grads)
        v = tree_map(lambda vi, g: _adam_v(vi, g, beta=b2), state.v, grads)
        newp = tree_map(lambda p, mi, vi: _adam_apply(p, mi, vi, a=a, c2=c2, eps=eps), params, m, v)
        return newp, AdamState(t, m, v)

    return Optimizer(init, _checked_update("adam", update))


# ----------------------------------------------------------------------------- in place

def _float_leaves(params, what):
    leaves = tree_leaves(params)
    for i, p in enumerate(leaves):
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(
                f"{what}: params leaf {i} must be a floating numpy array, got "
                f"{type(p).__name__}{'' if not hasattr(p, 'dtype') else ' ' + str(p.dtype)}"
            )
        if not p.flags.writeable:
            raise ValueError(f"{what}: params leaf {i} is read-only")
    return leaves


def _grad_leaves(grads, params, what):
    gl = tree_leaves(grads)
    if len(gl) != len(params):
        raise ValueError(f"{what}: grads has {len(gl)} leaves but params has {len(params)}")
    for i, (g, p) in enumerate(zip(gl, params)):
        if getattr(g, "shape", None) != p.shape:
            raise ValueError(f"{what}: grads leaf {i} must have the shape {p.shape} of params leaf "
                             f"{i}, got {getattr(g, 'shape', type(g).__name__)}")
    return gl


def _square_limit(dtype):
    """Largest second-moment value Adam lets in: a quarter of the dtype's maximum (so v and
    (g^2 - v) (1 - b2) stay finite)."""
    return float(np.finfo(dtype).max) / 4.0


_KERNEL = []


def _flat_kernel():
    """The compiled flat Adam pass, or None without numba (imported on first use)."""
    if not _KERNEL:
        try:
            from ._adam_kernel import adam_flat
        except ImportError:  # pragma: no cover - numba is a dependency; the numpy path remains
            adam_flat = None
        _KERNEL.append(adam_flat)
    return _KERNEL[0]


class AdamInPlace:
    """Adam updating the arrays of ``params`` in place; ``step(grads)`` per iteration.

    Uses the equivalent form p -= lr_t m / (sqrt(v) + eps_t) with
    lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) and eps_t = eps sqrt(1 - b2^t). When all leaves
    share one dtype, the moments live in one flat buffer: each step copies the gradients into
    it and runs the Adam arithmetic once over all parameters (about 2 numpy calls per leaf
    instead of 11).
    """

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.lr = _check_lr(lr)
        self.b1 = _check_beta("b1", b1)
        self.b2 = _check_beta("b2", b2)
        self.eps = check_positive("eps", eps)
        self.params = _float_leaves(params, "adam_inplace")
        self.count = 0
        dtypes = {p.dtype for p in self.params}
        self.flat = len(dtypes) == 1
        if self.flat:
            dt = dtypes.pop()
            total = sum(p.size for p in self.params)
            self._g, self.m, self.v, self._tmp = (np.zeros(total, dt) for _ in range(4))
            self._gviews, self._tviews = [], []
            o = 0
            for p in self.params:
                self._gviews.append(self._g[o:o + p.size].reshape(p.shape))
                self._tviews.append(self._tmp[o:o + p.size].reshape(p.shape))
                o += p.size
        else:
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
            self.tmp = [np.empty_like(p) for p in self.params]

    def _coefficients(self):
        self.count += 1
        t = self.count
        s2 = np.sqrt(1.0 - self.b2**t)
        return self.lr * s2 / (1.0 - self.b1**t), self.eps * s2

    @staticmethod
    def _update(g, m, v, tmp, a1, a2, lr_t, eps_t):
        # v += (1 - b2) (g^2 - v);  m += (1 - b1) (g - m);  tmp = lr_t m / (sqrt(v) + eps_t),
        # all in the buffers' dtype (as the compiled pass of _adam_kernel, bit for bit)
        lr_t, eps_t = tmp.dtype.type(lr_t), tmp.dtype.type(eps_t)
        with np.errstate(over="ignore"):
            np.multiply(g, g, out=tmp)
        limit = _square_limit(tmp.dtype)
        if not tmp.max(initial=0.0) <= limit:
            # a gradient entry whose square overflows (|g| > ~1e19 in float32: a critic whose
            # exp-terms blew up) or is inf/NaN. NaN is an error; huge entries are clipped to
            # +-sqrt(limit) for this step, which keeps their sign and leaves the Adam step
            # (bounded by ~lr per coordinate) essentially unchanged; v stays finite.
            if np.isnan(tmp).any():
                raise FloatingPointError("adam_inplace: the gradient contains NaN")
            c = tmp.dtype.type(np.sqrt(limit))  # (in g's dtype: a float64 bound would upcast g)
            g = np.clip(g, -c, c)
            np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= a2
        v += tmp
        np.subtract(g, m, out=tmp)
        tmp *= a1
        m += tmp
        np.sqrt(v, out=tmp)
        tmp += eps_t
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t

    def _update_flat(self, a1, a2, lr_t, eps_t):
        """The update over the flat buffers: one compiled pass (``_adam_kernel``, bit-identical)
        for float32/float64 when numba is importable, else the numpy passes. False on NaN."""
        kernel = _flat_kernel()
        dt = self._g.dtype
        if kernel is not None and dt in (np.float32, np.float64):
            c = dt.type
            return kernel(self._g, self.m, self.v, self._tmp, c(a1), c(a2), c(lr_t),
                          c(eps_t), c(np.sqrt(_square_limit(dt))))
        try:
            self._update(self._g, self.m, self.v, self._tmp, a1, a2, lr_t, eps_t)
        except FloatingPointError:
            return False
        return True

    def step(self, grads, skip_nan=False):
        """One update. A NaN in the gradient raises FloatingPointError, or with ``skip_nan``
        leaves the parameters and the state untouched and returns False (True otherwise)."""
        gl = _grad_leaves(grads, self.params, "adam_inplace")
        if skip_nan and not self.flat and any(np.isnan(g).any() for g in gl):
            return False
        lr_t, eps_t = self._coefficients()
        a1, a2 = 1.0 - self.b1, 1.0 - self.b2
        if self.flat:
            copyto = np.copyto
            for view, g in zip(self._gviews, gl):
                copyto(view, g)
            ok = self._update_flat(a1, a2, lr_t, eps_t)  # (the NaN check precedes any state change)
            if not ok:
                self.count -= 1
                if not skip_nan:
                    raise FloatingPointError("adam_inplace: the gradient contains NaN")
                return False
            for p, t in zip(self.params, self._tviews):
                p -= t
            return True
        for p, g, m, v, tmp in zip(self.params, gl, self.m, self.v, self.tmp):
            self._update(g, m, v, tmp, a1, a2, lr_t, eps_t)
            p -= tmp
        return True


class SGDInPlace:
    """p -= lr * g in place."""

    def __init__(self, params, lr=1e-2):
        self.lr = _check_lr(lr)
        self.params = _float_leaves(params, "sgd_inplace")
        self.tmp = [np.empty_like(p) for p in self.params]

    def step(self, grads):
        gl = _grad_leaves(grads, self.params, "sgd_inplace")
        for p, g, tmp in zip(self.params, gl, self.tmp):
            np.multiply(g, self.lr, out=tmp)
            p -= tmp


class MomentumInPlace:
    """v = mass v + g; p -= lr v (Nesterov: p -= lr (g + mass v)), in place."""

    def __init__(self, params, lr=1e-2, mass=0.9, nesterov=False):
        self.lr = _check_lr(lr)
        self.mass = _check_beta("mass", mass)
        self.nesterov = check_bool("nesterov", nesterov)
        self.params = _float_leaves(params, "momentum_inplace")
        self.v = [np.zeros_like(p) for p in self.params]
        self.tmp = [np.empty_like(p) for p in self.params]

    def step(self, grads):
        gl = _grad_leaves(grads, self.params, "momentum_inplace")
        for p, g, v, tmp in zip(self.params, gl, self.v, self.tmp):
            v *= self.mass
            v += g
            if self.nesterov:
                np.multiply(v, self.mass, out=tmp)
                tmp += g
                tmp *= self.lr
            else:
                np.multiply(v, self.lr, out=tmp)
            p -= tmp


def adam_inplace(params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8) -> AdamInPlace:
    """In-place Adam over the float arrays of ``params``: ``opt.step(grads)`` each iteration."""
    return AdamInPlace(params, lr, b1, b2, eps)


def sgd_inplace(params, lr=1e-2) -> SGDInPlace:
    """In-place SGD: ``opt.step(grads)``."""
    return SGDInPlace(params, lr)


def momentum_inplace(params, lr=1e-2, mass=0.9, nesterov=False) -> MomentumInPlace:
    """In-place momentum: ``opt.step(grads)``."""
    return MomentumInPlace(params, lr, mass, nesterov)
