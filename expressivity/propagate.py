"""Exact forward-mode propagation of a curve's value, velocity and acceleration.

For every sample t of an input curve (Poole et al. 2016, Sec. 4; Raghu et al. 2017, Sec. 2):

    h_l = W_l z_{l-1} + b_l,        hdot_l = W_l v_{l-1},        hddot_l = W_l a_{l-1}
    z_l = phi(h_l),  v_l = phi'(h_l) hdot_l,  a_l = phi''(h_l) hdot_l^2 + phi'(h_l) hddot_l

The three are stacked as one (3n, N) batch so that each layer costs ONE matrix product (the
Theano R-op of ``ganguli-lab/deepchaos`` computes the same derivatives). No finite
differences: lengths and curvatures are exact up to the quadrature over t.
For piecewise-linear phi, phi'' is a Dirac delta at the kinks and is dropped here: lengths
stay exact, but curvature concentrated at the kinks needs :mod:`expressivity.regions`.

Speed: tanh, relu and hard_tanh layers run one compiled pass (bias, phi, phi', phi'', chain
rule; expressivity._jets), other activations the numpy formulas; the measures take their row
dot products from one compiled pass too. propagate_circle draws its weights with a compiled
ziggurat that reproduces ``rng.standard_normal`` bit for bit (expressivity._fast_normal).
"""
from __future__ import annotations

from numbers import Real

import numpy as np

from .activations import get_activation
from .curves import Curve, great_circle
from .measures import CurveMeasures, layer_measures, measures_from_sums
from .checks import check_array, check_bool, check_memory, plain
from .networks import (RandomNetwork, as_generator, check_positive_int, check_variance,
                       draw_layers, random_network)


_EMPTY = np.empty(0)


def _jet_kernel(act):
    """The compiled one-pass kernel for a built-in activation family, or None (numpy path).

    tanh, relu and hard_tanh have kernels (expressivity._jets, numba, compiled on first use);
    every other activation, sympy-built ones included, runs the numpy formulas of _activate.
    """
    from .activations import BUILTIN

    if act is BUILTIN["tanh"]:
        from ._jets import tanh_jet

        return tanh_jet
    if act is BUILTIN["relu"] or act is BUILTIN["hard_tanh"]:
        from ._jets import piecewise_linear_jet

        relu = act is BUILTIN["relu"]
        return lambda H, Z, b: piecewise_linear_jet(H, Z, b, relu)
    return None


def _activate(act, H, n, out=None, b=None, kernel=None):
    """[phi(h); phi'(h) v; phi''(h) v^2 + phi'(h) a] for the stacked H = [h; v; a].

    ``b`` (length N) is first added to h in place (H then holds the pre-activations);
    ``out`` (shape of H) avoids a fresh allocation per layer; ``kernel`` is _jet_kernel(act).
    """
    Z = np.empty_like(H) if out is None else out
    if kernel is not None:
        N = H.shape[1]
        kernel(H.reshape(3, n, N), Z.reshape(3, n, N), _EMPTY if b is None else b)
        return Z
    if b is not None:
        H[:n] += b
    h, v, a = H[:n], H[n:2 * n], H[2 * n:]
    zf, zv, za = Z[:n], Z[n:2 * n], Z[2 * n:]
    f, d1, d2 = act.all(h)
    zf[...] = f
    np.multiply(d1, v, out=zv)
    np.multiply(d1, a, out=za)
    v2 = np.multiply(v, v)
    v2 *= d2
    za += v2
    return Z


def iterate_layers(net: RandomNetwork, curve, post_activation: bool = False,
                   input_is_preactivation: bool = False):
    """Yield (x, v, a) views, each (n, N), for the input and then every layer of ``net``.

    The views live in reused buffers and are overwritten at the next layer: copy what you keep.

    Pre-activations h^l by default; ``post_activation`` yields z^l = phi(h^l) (Raghu et al.).
    ``curve`` is a :class:`Curve` or a stacked (3n, dim) array. ``input_is_preactivation``
    treats the input as h^1 (Poole's circle), so phi is applied before the first layer.
    """
    if not isinstance(net, RandomNetwork):
        raise TypeError(f"net must be a RandomNetwork (expressivity.random_network), got {type(net).__name__}")
    S = curve.stacked() if isinstance(curve, Curve) else np.ascontiguousarray(
        check_array("curve", curve, ndim=2))
    if S.ndim != 2 or S.shape[0] % 3:
        raise ValueError(f"stacked curve must have shape (3n, dim); got {S.shape}")
    if S.shape[1] != net.input_dim:
        raise ValueError(f"curve dimension {S.shape[1]} != network input_dim {net.input_dim}")
    n = S.shape[0] // 3
    for X in _iterate(net.activation, zip(net.weights, net.biases), S, post_activation,
                      input_is_preactivation):
        yield X[:n], X[n:2 * n], X[2 * n:]


def _iterate(act, layers, S, post_activation, input_is_preactivation):
    """Yield the stacked (3n, N) [x; v; a] of the input and of every layer, for an iterable of
    (W, b) (which may be drawn lazily). Each layer is one product of the whole stack."""
    S = np.ascontiguousarray(S, dtype=float)
    n = S.shape[0] // 3
    kernel = _jet_kernel(act)
    Z = _activate(act, S, n, kernel=kernel) if input_is_preactivation else S
    yield Z if post_activation else S
    bufs = {}  # persistent buffers (one pair per width): no fresh 3n x N array per layer
    for W, b in layers:
        N = W.shape[0]
        if N not in bufs:
            bufs[N] = (np.empty((3 * n, N)), np.empty((3 * n, N)))
        H, Znew = bufs[N]   # Z is consumed by the product before Znew overwrites it
        np.matmul(Z, W.T, out=H)
        Z = _activate(act, H, n, out=Znew, b=b, kernel=kernel)
        yield Z if post_activation else H


def propagate_curve(net: RandomNetwork, curve: Curve, post_activation: bool = False,
                    input_is_preactivation: bool = False) -> CurveMeasures:
    """Measures of the input curve (index 0) and of every layer (index l), see measures.py."""
    if not isinstance(curve, Curve):
        raise TypeError(f"curve must be an expressivity.curves.Curve, got {type(curve).__name__}")
    rows = [layer_measures(x, v, a, curve.weights)
            for x, v, a in iterate_layers(net, curve, post_activation, input_is_preactivation)]
    return CurveMeasures(*(np.array(c) for c in zip(*rows)))


def circle_q(activation, sigma_w2: float, sigma_b2: float, q0=None) -> float:
    """Squared length per unit of Poole's input circle: q0 if given, else q* of the length map.

    Raises ValueError where q* is 0 or infinite (no circle to place) and no q0 is given.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    if q0 is not None:
        if isinstance(q0, bool) or not isinstance(q0, Real):
            raise TypeError(f"q0 must be None or a finite squared length per unit > 0; got "
                            f"{type(q0).__name__}")
        if not np.isfinite(q0) or q0 <= 0:
            raise ValueError(f"q0 must be None or a finite squared length per unit > 0; got {plain(q0)}")
        return float(q0)
    import meanfield as mf  # the theory owns q*; imported here to keep `import expressivity` cheap

    if isinstance(activation, mf.Activation):
        theory_act = activation
    elif act.name in mf.BUILTIN_NAMES:
        theory_act = mf.get_activation(act.name)
    else:
        raise ValueError(f"q* of the custom activation {act.name!r} is unknown to meanfield: pass "
                         "q0, or build it with meanfield.Activation.from_sympy")
    q = float(mf.q_star(theory_act, sigma_w2, sigma_b2))
    if q == 0.0 or not np.isfinite(q):
        raise ValueError(f"q* = {q} for {act.name} at sigma_w2={plain(sigma_w2)}, sigma_b2={plain(sigma_b2)}: "
                         "no finite non-zero fixed point to place the circle at; pass q0 > 0")
    return q


def _circle_memory(width, n_points):
    """Bytes of propagate_circle's arrays: two W buffers (N^2 each), the circle and its
    stacked copy, two (3n, N) layer buffers (float64)."""
    return 8.0 * (2.0 * width * width + 9.0 * n_points * width)


def _check_resolution(act, q, n_points):
    """Refuse a circle whose samples cannot resolve phi: a unit's pre-activation on the circle
    has amplitude ~ sqrt(2 q), so it crosses the non-saturated range of a bounded activation
    (tanh: |h| < 1; hard_tanh: the kinks at +-1) in an angle ~ 1/sqrt(q), and with fewer than
    ~sqrt(q) of the n_points samples per turn phi' is sampled only where it underflows to 0
    (gbar = 0 at the next layer although the true value is large). relu and linear are
    scale free and never refused."""
    scale_free = act.piecewise_linear and all(k == 0.0 for k in act.kinks)
    if not scale_free and n_points < np.sqrt(q):
        need = int(np.ceil(np.sqrt(q)))
        raise ValueError(
            f"n_points={n_points} cannot resolve the circle at q={q:.6g}: each unit's "
            f"pre-activation crosses the range where {act.name} bends between two samples, so phi' "
            f"is sampled only where it underflows; use n_points >= {need}, or a smaller "
            "sigma_w2 (or q0)")


def _circle_setup(activation, sigma_w2, sigma_b2, width, depth, n_points, seed, q0):
    """Validated arguments, the generator, and the input circle drawn first from it."""
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    width = check_positive_int("width", width, 2)
    depth = check_positive_int("depth", depth)
    n_points = check_positive_int("n_points", n_points, 3)
    rng = as_generator(seed)
    need = _circle_memory(width, n_points)
    if 2.0 * width * width >= 9.0 * n_points * width:
        check_memory("width", width, need, "weights and layer buffers")
    else:
        check_memory("n_points", n_points, need, "layer buffers")
    # the original object: a meanfield.Activation (from_sympy) carries what q* needs
    q = circle_q(activation, sigma_w2, sigma_b2, q0)
    _check_resolution(act, q, n_points)
    return act, sigma_w2, sigma_b2, width, depth, rng, great_circle(width, n_points, q, seed=rng)


def circle_network(activation, sigma_w2: float, sigma_b2: float, width: int, depth: int,
                   n_points: int = 500, seed=0, q0=None) -> tuple[RandomNetwork | None, Curve]:
    """Poole's experiment: the great circle h^1 (at q* or q0) and the depth-1 layers above it.

    One generator draws the circle's basis first, then the network (W^2, b^2, ...).
    """
    act, sigma_w2, sigma_b2, width, depth, rng, circle = _circle_setup(
        activation, sigma_w2, sigma_b2, width, depth, n_points, seed, q0)
    net = (random_network(width, width, depth - 1, act, sigma_w2, sigma_b2, seed=rng)
           if depth > 1 else None)
    return net, circle


def propagate_circle(activation, sigma_w2: float, sigma_b2: float, width: int, depth: int,
                     n_points: int = 500, seed=0, q0=None,
                     post_activation: bool = False) -> CurveMeasures:
    """Propagate a great circle through a random network; measure it exactly at every layer.

    h^1(theta) = sqrt(N q*)(u0 cos theta + u1 sin theta) (Poole et al. 2016, Sec. 4; q0
    replaces q* where given), then h^{l+1} = W^{l+1} phi(h^l) + b^{l+1} with width N.
    Returns :class:`CurveMeasures` with fields of shape (depth,), index l-1 = h^l (index 0 is
    the circle: gbar = q*, kappa_bar2 = 1/q*, grassmannian_length = 2 pi), the same
    indexing and normalisation as ``meanfield.curve_theory``:
    q = mean ||h||^2/N, gbar = mean ||dh||^2/N, kappa_bar2 = N mean kappa^2,
    euclidean_length = integral ||dh|| dtheta / sqrt(N), grassmannian_length =
    integral kappa ||dh|| dtheta, with the periodic trapezoid rule over ``n_points`` angles.
    ``post_activation`` measures z^l = phi(h^l) instead (Raghu et al. 2017).
    Runs on the calling thread (plus whatever threads BLAS uses for the products).

    Parameters
    ----------
    activation : str or Activation
        A built-in name (``"tanh"``, ``"relu"``, ...), a ``meanfield.Activation`` (e.g. from
        ``Activation.from_sympy``; its q* comes from meanfield) or an object with
        ``.phi/.dphi/.d2phi`` (then give ``q0``).
    sigma_w2, sigma_b2 : float
        Weight and bias variances, finite and >= 0.
    width : int
        N >= 2 units per layer.
    depth : int
        Number of measured layers >= 1 (the circle h^1 and depth - 1 random layers above it).
    n_points : int
        Samples of the circle (>= 3, and >= sqrt(q) for a bounded activation so that phi is
        resolved between samples).
    seed : int or numpy.random.Generator
        Draws the circle's basis, then W^2, b^2, ...
    q0 : float, optional
        Squared length per unit of the circle (> 0) instead of q*.
    post_activation : bool
        Measure z^l = phi(h^l) instead of h^l.

    Returns
    -------
    CurveMeasures
        Fields ``q``, ``gbar``, ``kappa_bar2``, ``euclidean_length``, ``grassmannian_length``,
        each of shape (depth,). ``kappa_bar2`` and ``grassmannian_length`` are NaN at a layer
        whose curve has zero speed somewhere (e.g. every layer above the circle when
        ``sigma_w2 = 0``).

    Raises
    ------
    TypeError
        For arguments of the wrong type (a string variance, a float width, ...).
    ValueError
        For values out of range: negative or non-finite variances, sizes below their minimum,
        an unknown activation name, q* = 0 or inf without ``q0``, a width or ``n_points`` whose
        arrays would not fit in memory (refused before allocating), or a circle too coarse to
        resolve phi (fewer than sqrt(q) samples, or phi' underflowing to 0 at every sample).
    """
    post_activation = check_bool("post_activation", post_activation)
    act, sigma_w2, sigma_b2, width, depth, rng, circle = _circle_setup(
        activation, sigma_w2, sigma_b2, width, depth, n_points, seed, q0)
    # the same draws as circle_network, one layer at a time into one reused W buffer
    # (a depth-40 net never sits in memory)
    layers = draw_layers(rng, width, [width] * (depth - 1), sigma_w2, sigma_b2, reuse=True)
    n = circle.n_points
    sums = np.empty((4, n))
    rows = []
    for X in _iterate(act, layers, circle.stacked(), post_activation, True):
        X3 = X.reshape(3, n, -1)
        _row_sums(X3, sums)
        rows.append(measures_from_sums(*sums, X3[1], X3[2], circle.weights))
        if len(rows) > 1 and rows[-1][1] == 0.0 and rows[-2][1] > 0.0 and sigma_w2 > 0.0:
            raise ValueError(
                f"n_points={n} under-resolves the curve at layer {len(rows)}: phi' underflowed to "
                f"0 at every sample (gbar = 0 although sigma_w2={plain(sigma_w2)} > 0); use more "
                "n_points or a smaller sigma_w2")
    return CurveMeasures(*(np.array(c) for c in zip(*rows)))


def _row_sums(X3, out):
    """out = (x.x, v.v, v.a, a.a) per row of the stacked X3 = [x; v; a] (3, n, N)."""
    if X3.size >= 1 << 14:
        from ._jets import row_sums

        row_sums(X3, out)
    else:
        for k, (i, j) in enumerate(((0, 0), (1, 1), (1, 2), (2, 2))):
            np.einsum("ij,ij->i", X3[i], X3[j], out=out[k])
