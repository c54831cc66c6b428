"""Parameter initialisers and multilayer perceptrons as pure functions of a params pytree.

An MLP with layer sizes ``[n_0, ..., n_L]`` is the list of layers ``[{"W": (n_{l-1}, n_l),
"b": (n_l,)}, ...]`` and computes, for a batch of row vectors ``x``,

    h^l = phi(h^{l-1} W^l + b^l)  (l < L),    h^L = h^{L-1} W^L + b^L,

with the mean-field initialisation of Poole et al. (2016) / Schoenholz et al. (2017):
``W_ij ~ N(0, sigma_w2 / n_{l-1})``, ``b_i ~ N(0, sigma_b2)``. ``orthogonal`` draws ``W``
from the Haar measure scaled so that every entry has the same variance ``sigma_w2 / n_{l-1}``
(Saxe, McClelland & Ganguli 2014).
"""
from __future__ import annotations

import math

import numpy as np

from ..checks import as_generator, check_positive_int, check_variance
from . import numpy as anp
from .core import FusedVJP, defvjp, getval, primitive

__all__ = [
    "as_generator", "gaussian_init", "orthogonal_init", "dense_init", "mlp_init", "mlp_apply",
    "dense_apply", "pair_apply", "get_activation", "ACTIVATIONS",
]


def _variance_for(name, variance, dtype):
    """``check_variance``, and refuse a variance whose draws would overflow ``dtype``."""
    variance = check_variance(name, variance)
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {np.dtype(dtype)}")
    big = float(np.finfo(dtype).max) / 64.0      # room for a few products before the first overflow
    if math.sqrt(variance) * 10.0 > big:
        raise ValueError(f"{name}={variance:g} is too large for {np.dtype(dtype).name} weights (their draws "
                         f"would overflow past {np.finfo(dtype).max:.3g}); use a smaller variance or float64")
    return variance


def gaussian_init(rng, n_in, n_out, sigma_w2=1.0, dtype=np.float64):
    """W of shape (n_in, n_out) with i.i.d. entries N(0, sigma_w2 / n_in)."""
    rng = as_generator(rng, "rng")
    n_in, n_out = check_positive_int("n_in", n_in), check_positive_int("n_out", n_out)
    sigma_w2 = _variance_for("sigma_w2", sigma_w2, dtype)
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(sigma_w2 / n_in)).astype(dtype)


def orthogonal_init(rng, n_in, n_out, sigma_w2=1.0, dtype=np.float64, fan_ratio=True):
    """W of shape (n_in, n_out) = gain * Q with Q Haar-distributed semi-orthogonal.

    Q has orthonormal rows (n_in <= n_out) or orthonormal columns (n_in > n_out), drawn as the
    Q factor of a Gaussian matrix with the signs of R's diagonal folded in (Mezzadri 2007).
    The gain is

    - ``fan_ratio=True`` (default): gain = sqrt(sigma_w2 * max(1, n_out / n_in)). Every entry
      then has variance sigma_w2 / n_in on average, as for :func:`gaussian_init` (the
      mean-field convention); a widening layer's rows have norm sqrt(sigma_w2 n_out / n_in),
      e.g. ~11 for a 2 -> 128 layer at sigma_w2 = 1.96.
    - ``fan_ratio=False``: gain = sqrt(sigma_w2), whatever the shape: rows (or columns) of norm
      sqrt(sigma_w2). This is TensorFlow's ``orthogonal_initializer(gain=sqrt(sigma_w2))`` and
      PyTorch's ``nn.init.orthogonal_(W, gain)``, the initialisation of the unrolled-GAN
      reference code (gain 1.4) and of Metz et al. (2017), App. A (gain 0.8).
    """
    rng = as_generator(rng, "rng")
    n_in, n_out = check_positive_int("n_in", n_in), check_positive_int("n_out", n_out)
    sigma_w2 = _variance_for("sigma_w2", sigma_w2, dtype)
    if not isinstance(fan_ratio, (bool, np.bool_)):
        raise TypeError(f"fan_ratio must be True or False, got {type(fan_ratio).__name__}")
    big, small = max(n_in, n_out), min(n_in, n_out)
    a = rng.standard_normal((big, small))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if n_in < n_out:
        q = q.T
    scale = np.sqrt(sigma_w2 * (max(1.0, n_out / n_in) if fan_ratio else 1.0))
    return (scale * q).astype(dtype)


def dense_init(rng, n_in, n_out, sigma_w2=1.0, sigma_b2=0.0, dtype=np.float64, init="gaussian"):
    """One layer ``{"W": (n_in, n_out), "b": (n_out,)}`` with b ~ N(0, sigma_b2)."""
    rng = as_generator(rng, "rng")
    if init == "gaussian":
        W = gaussian_init(rng, n_in, n_out, sigma_w2, dtype)
    elif init == "orthogonal":
        W = orthogonal_init(rng, n_in, n_out, sigma_w2, dtype)
    else:
        raise ValueError(f"init must be 'gaussian' or 'orthogonal', got {init!r}")
    sigma_b2 = _variance_for("sigma_b2", sigma_b2, dtype)
    b = (rng.standard_normal(n_out) * np.sqrt(sigma_b2)).astype(dtype)
    return {"W": W, "b": b}


def mlp_init(rng_or_seed, sizes, sigma_w2=1.0, sigma_b2=0.0, dtype=np.float64, init="gaussian"):
    """Parameters of an MLP with layer widths ``sizes = [n_in, hidden..., n_out]``.

    Returns a list of ``{"W", "b"}`` dicts (see the module docstring for the distribution).
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    for i, n in enumerate(sizes):
        check_positive_int(f"sizes[{i}]", n)
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {np.dtype(dtype)}")
    rng = as_generator(rng_or_seed, "rng_or_seed")
    return [
        dense_init(rng, a, b, sigma_w2, sigma_b2, dtype, init) for a, b in zip(sizes[:-1], sizes[1:])
    ]


def _hard_tanh(x):
    return anp.clip(x, -1.0, 1.0)


def _swish(x):
    return x * anp.sigmoid(x)


def _elu(x):
    return anp.where(x > 0, x, anp.expm1(anp.minimum(x, 0.0)))


def _gelu(x):
    return 0.5 * x * (1.0 + anp.erf(x * 0.7071067811865476))


ACTIVATIONS = {
    "relu": anp.relu,
    "tanh": anp.tanh,
    "sigmoid": anp.sigmoid,
    "linear": lambda x: x,
    "identity": lambda x: x,
    "softplus": anp.softplus,
    "erf": anp.erf,
    "hard_tanh": _hard_tanh,
    "swish": _swish,
    "elu": _elu,
    "gelu": _gelu,
    "sin": anp.sin,
}


def get_activation(activation):
    """The differentiable function for an activation name (or a callable, returned as is)."""
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be a callable or one of {sorted(ACTIVATIONS)}, got {activation!r}"
        ) from None


# Fused dense layer phi(x W + b): one node instead of three, the bias added and the activation
# applied in place on the fresh matmul output, and one shared backward (the cotangent of the
# pre-activation is computed once for the three parameter cotangents). Its VJP is written with
# the engine's primitives, so it is differentiable again.

def _dense_fun(x, W, b, activation):
    z = x @ W
    if b.__class__ is np.ndarray and b.ndim <= 1 and b.dtype == z.dtype and z.ndim >= 1:
        z += b  # z is a fresh array: add in place
    else:
        z = z + b
    if activation == "relu":
        np.maximum(z, 0, out=z)
    elif activation == "tanh":
        np.tanh(z, out=z)
    return z


_getrefcount = __import__("sys").getrefcount
# Reference count of an unaliased cotangent as seen inside a fused VJP (the backward sweep's
# local, call-stack references, the parameter, getrefcount's argument). Measured once below on
# the real code path, so it is right for the running Python version; a cotangent that any other
# node or gradient shares has a larger count and is never modified in place.
_OWNED_REFCOUNT = [0]


def _activation_cotangent(g, ans, activation, owned):
    """Cotangent of the pre-activation from that of the output ``ans`` (plain arrays). ``owned``:
    the caller's reference count says nobody else holds g, so ReLU may mask it in place."""
    if activation == "relu":
        if owned and g.base is None and g.dtype == ans.dtype and g.flags.writeable:
            g *= ans > 0  # in place: g is a fresh cotangent nobody else holds
            return g
        return g * (ans > 0)
    if activation == "tanh":
        gz = ans * ans
        np.subtract(1, gz, out=gz)
        gz *= g
        return gz
    return g


def _dense_vjp(g, ans, argnums, x, W, b, activation):
    nd = np.ndarray
    if g.__class__ is nd and ans.__class__ is nd and x.__class__ is nd and W.__class__ is nd:
        # first-order fast path (all plain arrays)
        gz = _activation_cotangent(g, ans, activation, _getrefcount(g) <= _OWNED_REFCOUNT[0])
        if gz.ndim == 2 and x.ndim == 2 and W.ndim == 2:
            out = []
            for i in argnums:
                if i == 0:
                    # one output unit: the outer product by broadcasting (exact; gemm with
                    # k = 1 is several times slower)
                    out.append(gz * W.T if W.shape[1] == 1 else gz @ W.T)
                elif i == 1:
                    out.append(x.T @ gz)
                elif b.__class__ is nd and b.ndim == 1:
                    out.append(np.add.reduce(gz, axis=0))
                else:
                    out.append(anp.unbroadcast(gz, b))
            return out
    elif activation == "relu":
        gz = g * (getval(ans) > 0)
    elif activation == "tanh":
        gz = _tanh_grad(g, ans)
    else:
        gz = g
    out = []
    for i in argnums:
        if i == 0:
            out.append(anp._matmul_vjp0(gz, None, x, W))
        elif i == 1:
            out.append(anp._matmul_vjp1(gz, None, x, W))
        else:
            out.append(anp.unbroadcast(gz, b))
    return out


def _tanh_grad_fun(g, ans):
    out = ans * ans
    np.subtract(1, out, out=out)
    out *= g
    return out


# g * (1 - ans^2), the cotangent of tanh's input from its output ans: one recorded operation
# (instead of three) when the dense layer's backward pass is itself differentiated.
_tanh_grad = primitive(_tanh_grad_fun, "tanh_grad")
defvjp(_tanh_grad, lambda gb, out, g, ans: _tanh_grad(gb, ans),
       lambda gb, out, g, ans: gb * g * ans * -2.0)


def _calibrate_owned_refcount():
    from .core import grad

    seen = []

    def probe(g, ans, argnums, x, W, b, activation):
        seen.append(_getrefcount(g))
        return [g @ W.T][: len(argnums)]

    p = primitive(lambda x, W, b, a: x @ W, "probe", vjp_table=FusedVJP(probe))
    grad(lambda x: (p(x, np.ones((1, 1)), None, "relu") * 2.0).sum())(np.ones((1, 1)))
    _OWNED_REFCOUNT[0] = seen[0]


_dense = primitive(_dense_fun, "dense", vjp_table=FusedVJP(_dense_vjp))
_FUSED = {"relu": "relu", "tanh": "tanh", "linear": "linear", "identity": "linear"}
_calibrate_owned_refcount()


# Fused pairwise layer phi(a_i + c_j + b) for all pairs (i, j): the first layer of a critic on
# concatenated pairs [x_i, y_j] (W [x; y] + b = W_x x + W_y y + b) without the K^2 x (dx + dy)
# input. One node instead of four (broadcast add, bias, activation, reshape); the K^2 x H
# pre-activation is formed once and the activation applied in place, and the backward pass
# masks the cotangent once (in place when it is unshared) and reduces it over each axis.

def _pair_fun(a, c, b, activation):
    ka, h = a.shape
    kc = c.shape[0]
    cb = c + b
    z = np.empty((ka, kc, h), np.result_type(a, cb))
    np.add(a[:, None, :], cb[None, :, :], out=z)
    if activation == "relu":
        np.maximum(z, 0, out=z)
    elif activation == "tanh":
        np.tanh(z, out=z)
    return z.reshape(ka * kc, h)


def _pair_vjp(g, ans, argnums, a, c, b, activation):
    nd = np.ndarray
    ka = getval(a).shape[0]
    kc, h = getval(c).shape
    if g.__class__ is nd and ans.__class__ is nd and a.__class__ is nd and c.__class__ is nd:
        gz = _activation_cotangent(g, ans, activation, _getrefcount(g) <= _OWNED_REFCOUNT[0])
        gz = gz.reshape(ka, kc, h)
        out = []
        gc = None
        for i in argnums:
            if i == 0:
                out.append(np.add.reduce(gz, axis=1))
            else:
                if gc is None:
                    gc = np.add.reduce(gz, axis=0)
                out.append(gc if i == 1 else anp.unbroadcast(gc, b))
        return out
    if activation == "relu":
        gz = g * (getval(ans) > 0)
    elif activation == "tanh":
        gz = g * (1 - ans * ans)
    else:
        gz = g
    gz = anp.reshape(gz, (ka, kc, h))
    out = []
    for i in argnums:
        if i == 0:
            out.append(anp.sum(gz, axis=1))
        elif i == 1:
            out.append(anp.sum(gz, axis=0))
        else:
            out.append(anp.unbroadcast(anp.sum(gz, axis=0), b))
    return out


_pair = primitive(_pair_fun, "pair_dense", vjp_table=FusedVJP(_pair_vjp))


def pair_apply(a, c, b, activation="relu"):
    """phi(a_i + c_j + b) for every pair, as a (K_a K_c, H) array with row i K_c + j.

    ``a`` is (K_a, H) (e.g. x W_x), ``c`` is (K_c, H) (e.g. y W_y), ``b`` is (H,): the first
    layer of an MLP on all concatenated pairs [x_i, y_j], since W^T [x; y] = W_x^T x + W_y^T y.
    Fused for relu, tanh and linear (one recorded operation)."""
    sa, sc = np.shape(getval(a)), np.shape(getval(c))
    if len(sa) != 2 or len(sc) != 2 or sa[1] != sc[1]:
        raise ValueError(f"a and c must be (K_a, H) and (K_c, H) with the same H, got {sa} and {sc}")
    act = _FUSED.get(activation) if activation.__class__ is str else None
    if act is not None:
        return _pair(a, c, b, act)
    z = anp.reshape(a, (sa[0], 1, sa[1])) + anp.reshape(c + b, (1, sc[0], sc[1]))
    return get_activation(activation)(anp.reshape(z, (sa[0] * sc[0], sa[1])))


def dense_apply(layer, x, activation="linear"):
    """phi(x @ W + b) for one layer ``{"W", "b"}`` (fused into one recorded operation for the
    activations relu, tanh and linear)."""
    act = _FUSED.get(activation) if activation.__class__ is str else None
    if act is not None:
        return _dense(x, layer["W"], layer["b"], act)
    return get_activation(activation)(x @ layer["W"] + layer["b"])


def mlp_apply(params, x, activation="relu", final_activation=None):
    """Apply the MLP ``params`` to the rows of ``x``; the last layer is linear unless
    ``final_activation`` is given. Works on plain arrays and traced values alike."""
    if activation.__class__ is not str or activation not in ACTIVATIONS:
        get_activation(activation)  # raises for unknown names
    n = len(params)
    h = x
    for i, layer in enumerate(params):
        if i < n - 1:
            h = dense_apply(layer, h, activation)
        else:
            h = dense_apply(layer, h, "linear" if final_activation is None else final_activation)
    return h


# ---- batch normalisation ----------------------------------------------------------------------
# Ioffe & Szegedy (2015): for a batch of rows x (n, N), per feature j
#
#     mu_j = mean_i x_ij,  s2_j = mean_i (x_ij - mu_j)^2,  xhat = (x - mu) / sqrt(s2 + eps),
#     y = gamma xhat + beta.
#
# One recorded operation with a hand-written VJP (the cotangents of x, gamma and beta share
# xhat): with gh = g gamma,
#
#     dx = (gh - mean_i gh - xhat mean_i(gh xhat)) / sqrt(s2 + eps),
#     dgamma = sum_i g xhat,   dbeta = sum_i g.
#
# The VJP is written with the engine's primitives, so the layer is differentiable again.
# At evaluation, ``batch_norm(x, gamma, beta, mean=..., var=...)`` normalises with given
# (population) statistics instead of the batch's own: a plain affine map of x.

def batch_norm_init(n, dtype=np.float64):
    """Parameters ``{"gamma": ones(n), "beta": zeros(n)}`` of a batch-norm layer on n features."""
    n = check_positive_int("n", n)
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {np.dtype(dtype)}")
    return {"gamma": np.ones(n, dtype), "beta": np.zeros(n, dtype)}


def batch_moments(x):
    """Per-feature batch mean and (biased) variance of the rows of a plain 2-D array ``x``."""
    x = getval(x)
    mu = x.mean(axis=0)
    xc = x - mu
    return mu, np.einsum("ij,ij->j", xc, xc) / x.shape[0]


def _bn_xhat(x, eps):
    mu = x.mean(axis=0)
    xc = x - mu
    inv = 1.0 / np.sqrt(np.einsum("ij,ij->j", xc, xc) / x.shape[0] + eps)
    xc *= inv
    return xc, inv


def _bn_fun(x, gamma, beta, eps):
    y, _ = _bn_xhat(x, eps)
    y *= gamma
    y += beta
    return y


def _bn_vjp(g, ans, argnums, x, gamma, beta, eps):
    nd = np.ndarray
    if g.__class__ is nd and x.__class__ is nd and gamma.__class__ is nd:
        # first-order fast path (all plain arrays)
        xhat, inv = _bn_xhat(x, eps)
        out = []
        for i in argnums:
            if i == 0:
                gh = g * gamma
                gx = gh - gh.mean(axis=0)
                gx -= xhat * (np.einsum("ij,ij->j", gh, xhat) / x.shape[0])
                gx *= inv
                out.append(gx)
            elif i == 1:
                out.append(np.einsum("ij,ij->j", g, xhat))
            else:
                out.append(g.sum(axis=0))
        return out
    mu = anp.mean(x, axis=0)
    xc = x - mu
    inv = 1.0 / anp.sqrt(anp.mean(xc * xc, axis=0) + eps)
    xhat = xc * inv
    out = []
    for i in argnums:
        if i == 0:
            gh = g * gamma
            out.append(inv * (gh - anp.mean(gh, axis=0) - xhat * anp.mean(gh * xhat, axis=0)))
        elif i == 1:
            out.append(anp.sum(g * xhat, axis=0))
        else:
            out.append(anp.sum(g, axis=0))
    return out


_batch_norm = primitive(_bn_fun, "batch_norm", vjp_table=FusedVJP(_bn_vjp))


def batch_norm(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """Batch normalisation of the rows of ``x`` (n, N): ``gamma (x - mu)/sqrt(s2 + eps) + beta``.

    With ``mean`` and ``var`` None (training) mu and s2 are the batch's own per-feature mean
    and biased variance, and gradients flow through them (Ioffe & Szegedy 2015, Alg. 1; one
    recorded operation with a hand-written, again differentiable VJP). With both given
    (evaluation: population statistics, e.g. :func:`batch_moments` of the training set) the
    layer is the affine map ``gamma (x - mean)/sqrt(var + eps) + beta``.

    Raises
    ------
    ValueError
        ``x`` not 2-D, fewer than 2 rows in training mode, shapes of ``gamma``/``beta``
        other than (N,), ``eps`` not > 0, or only one of ``mean``/``var`` given.
    """
    shape = np.shape(getval(x))
    if len(shape) != 2:
        raise ValueError(f"x must be a 2-D batch (n, N), got shape {shape}")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if np.shape(getval(p)) != (shape[1],):
            raise ValueError(f"{name} must have shape ({shape[1]},), got {np.shape(getval(p))}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not eps > 0:
        raise ValueError(f"eps must be a number > 0, got {eps!r}")
    if (mean is None) != (var is None):
        raise ValueError("give both mean and var (evaluation) or neither (batch statistics)")
    if mean is None:
        if shape[0] < 2:
            raise ValueError(f"batch statistics need at least 2 rows, got {shape[0]}")
        return _batch_norm(x, gamma, beta, eps=float(eps))
    scale = gamma / anp.sqrt(var + eps)
    return (x - mean) * scale + beta


__all__ += ["batch_norm", "batch_norm_init", "batch_moments"]
