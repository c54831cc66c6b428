"""Exact region walking for piecewise-linear networks (Raghu et al. 2017, Sec. 2-3).

With phi = relu or hard_tanh the network is affine inside each linear region. Along an input
curve x(s) = c + g1(s) u + g2(s) w, with (g1, g2) = (s, 0) for a line and (cos s, sin s) for
a circle or circular arc, every pre-activation inside a region therefore reads

    h_i(s) = A_i g1(s) + B_i g2(s) + C_i,

and the next region boundary is the smallest root s' > s of h_i(s') = kink over all neurons
(a linear equation on a line; R cos(s - phi) = kink - C on a circle). The walker crosses that
boundary, flips the one neuron, updates the coefficients of the layers above, and repeats.
It counts exactly:

- transitions: region switches of every neuron, per layer (relu off/on; hard_tanh -1/linear/+1);
- activation patterns: distinct patterns of all neurons met along the curve (Zobrist hashes);
- sign changes of the output h^D_0;
- Euclidean length of each layer's curve (closed form on a line, Gauss-Legendre inside each
  region on a circle) and the Grassmannian length: the turning inside regions plus
  arccos(T_before . T_after) at every kink (all turning of a piecewise-linear image of a line
  happens at the kinks; spec "Measuring exactly").

:func:`dichotomies` sweeps one layer's weights along W cos t + W' sin t: every input's
pre-activation in that layer is then A cos t + B sin t + C, so the same walker gives the exact
times where each output label flips (Raghu et al. 2017, Sec. 3, s = 15 inputs).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._region_kernel import HARD_TANH as _HARD_TANH
from ._region_kernel import LINE as _LINE
from ._region_kernel import LINEAR as _LINEAR
from ._region_kernel import RELU as _RELU
from ._region_kernel import TRIG as _TRIG
from ._region_kernel import walk_kernel as _walk_kernel
from .checks import check_array, check_bool, check_positive, check_positive_int, check_real, plain
from .networks import RandomNetwork, as_generator

_TWO_PI = 2.0 * np.pi
_GLX, _GLW = np.polynomial.legendre.leggauss(16)


class Walk(NamedTuple):
    """Exact counts along one curve. Per-layer arrays have shape (depth,) (layer 1 first);
    lengths measure h^l (or z^l with ``post_activation``) over the walked parameter range."""

    transitions: np.ndarray
    n_patterns: int
    output_sign_changes: np.ndarray
    euclidean_length: np.ndarray
    grassmannian_length: np.ndarray
    event_s: np.ndarray
    event_layer: np.ndarray
    event_unit: np.ndarray


def _act_code(net: RandomNetwork) -> int:
    if not isinstance(net, RandomNetwork):
        raise TypeError(f"net must be a RandomNetwork (expressivity.random_network), got {type(net).__name__}")
    name = net.activation.name
    codes = {"relu": _RELU, "hard_tanh": _HARD_TANH, "linear": _LINEAR}
    if name not in codes:
        raise ValueError(f"region walking needs a piecewise-linear activation (relu, hard_tanh, "
                         f"linear); got {name!r}")
    return codes[name]


def _pack(weights, biases):
    """Transposed weights of layers 2.. flattened, with offsets; biases flattened."""
    widths = np.array([w.shape[0] for w in weights], np.int64)
    w_off = np.zeros(len(weights), np.int64)
    parts = []
    off = 0
    for j, W in enumerate(weights):
        w_off[j] = off
        if j > 0:
            parts.append(np.ascontiguousarray(W.T).ravel())
            off += W.size
    WT = np.concatenate(parts) if parts else np.zeros(1)
    return WT, w_off, np.concatenate([np.asarray(b, float) for b in biases]), widths


def _zobrist(n_units, seed=12345):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(np.uint64).max, size=(n_units, 3), dtype=np.uint64,
                        endpoint=True)


def _check_s_range(s_range):
    if isinstance(s_range, (str, bytes)) or not hasattr(s_range, "__len__") or len(s_range) != 2:
        raise ValueError(f"s_range must be a pair (s0, s1) of finite numbers with s0 < s1; got {s_range!r}")
    s0, s1 = (check_real("s_range[i]", v) for v in s_range)
    if not s1 > s0:
        raise ValueError(f"s_range must be a pair (s0, s1) of finite numbers with s0 < s1; got ({s0}, {s1})")
    return s0, s1


def _check_layers(weights, biases):
    """Weights (N_l, N_{l-1}) chained, biases (N_l,), all finite."""
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__") or len(weights) == 0:
        raise ValueError("weights must be a non-empty sequence of 2-D arrays (one per layer)")
    if isinstance(biases, (str, bytes)) or not hasattr(biases, "__len__") or len(biases) != len(weights):
        raise ValueError(f"biases must be a sequence of {len(weights)} 1-D arrays (one per layer of weights)")
    ws, bs = [], []
    for j, (W, b) in enumerate(zip(weights, biases)):
        W = check_array(f"weights[{j}]", W, ndim=2)
        if j and W.shape[1] != ws[-1].shape[0]:
            raise ValueError(f"weights[{j}] must have {ws[-1].shape[0]} columns (the width of layer "
                             f"{j}), got shape {W.shape}")
        ws.append(W)
        bs.append(check_array(f"biases[{j}]", b, shape=(W.shape[0],)))
    return ws, bs


class WalkCoefficients(NamedTuple):
    """Raw result of :func:`walk_coefficients`. Per-layer arrays have shape (depth,); the
    event arrays one entry per region boundary crossed, in order of s."""

    transitions: np.ndarray          # region switches per layer
    euclidean_length: np.ndarray     # length of each layer's curve
    grassmannian_length: np.ndarray  # turning of each layer's curve (inside regions + kinks)
    event_s: np.ndarray              # curve parameter of each crossing
    event_layer: np.ndarray          # 0-based layer of the neuron that switched
    event_unit: np.ndarray           # its index within the layer
    event_hash: np.ndarray           # Zobrist hash of the activation pattern after the crossing
    first_hash: int                  # hash of the pattern at s_range[0]
    output_sign_changes: np.ndarray  # s where the output h^D_0 changes sign
    overflow: bool                   # True if max_events stopped the walk (then raised)


def walk_coefficients(kind: str, s_range, A1, B1, C1, weights, biases, activation_code: int,
                      post_activation: bool = False, max_events: int = 10_000_000) -> WalkCoefficients:
    """Low-level walk from first-layer coefficients h^1(s) = A1 g1(s) + B1 g2(s) + C1.

    ``activation_code`` is 0 (relu), 1 (hard_tanh) or 2 (linear); ``weights``/``biases`` are
    the layers (the first one only gives the widths: its action is in A1, B1, C1). Returns a
    :class:`WalkCoefficients`.
    """
    kinds = {"line": _LINE, "trig": _TRIG}
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"kind must be 'line' or 'trig'; got {plain(kind)}")
    s0, s1 = _check_s_range(s_range)
    if isinstance(activation_code, bool) or activation_code not in (_RELU, _HARD_TANH, _LINEAR) \
            or not isinstance(activation_code, (int, np.integer)):
        raise ValueError(f"activation_code must be 0 (relu), 1 (hard_tanh) or 2 (linear); got "
                         f"{plain(activation_code)}")
    post_activation = check_bool("post_activation", post_activation)
    max_events = check_positive_int("max_events", max_events)
    weights, biases = _check_layers(weights, biases)
    n1 = weights[0].shape[0]
    A1, B1, C1 = (np.ascontiguousarray(check_array(nm, v, shape=(n1,)))
                  for nm, v in (("A1", A1), ("B1", B1), ("C1", C1)))
    WT, w_off, b, widths = _pack(weights, biases)
    res = _walk_kernel(kinds[kind], s0, s1, A1, B1, C1, WT,
                       w_off, b, widths, activation_code, bool(post_activation),
                       _zobrist(int(widths.sum())), int(max_events), _GLX, _GLW)
    if res[-1]:
        raise RuntimeError(f"more than max_events={max_events} events along the curve; raise "
                           "max_events")
    return WalkCoefficients(*res)


def walk(net: RandomNetwork, center, u, w=None, kind: str = "line", s_range=(0.0, 1.0),
         post_activation: bool = False, max_events: int = 10_000_000) -> Walk:
    """Walk x(s) = center + g1(s) u + g2(s) w through ``net`` (see the module docstring).

    kind ``"line"``: (g1, g2) = (s, 0); ``"trig"``: (cos s, sin s), e.g. s in [0, 2 pi].
    """
    act = _act_code(net)
    center = check_array("center", center, shape=(net.input_dim,))
    u = check_array("u", u, shape=(net.input_dim,))
    w = np.zeros_like(u) if w is None else check_array("w", w, shape=(net.input_dim,))
    W1, b1 = net.weights[0], net.biases[0]
    r = walk_coefficients(kind, s_range, W1 @ u, W1 @ w, W1 @ center + b1, net.weights,
                          net.biases, act, post_activation, max_events)
    n_patterns = int(np.unique(np.concatenate([[r.first_hash], r.event_hash])).size)
    return Walk(r.transitions, n_patterns, r.output_sign_changes, r.euclidean_length,
                r.grassmannian_length, r.event_s, r.event_layer, r.event_unit)


def _points(net, **points):
    """The named input points as finite float vectors of shape (net.input_dim,)."""
    _act_code(net)
    return [check_array(k, v, shape=(net.input_dim,)) for k, v in points.items()]


def _inputs(net, X):
    X = check_array("X", X, ndim=2)
    if X.shape[1] != net.input_dim:
        raise ValueError(f"X must have shape (n, {net.input_dim}) (input_dim); got {X.shape}")
    return X


def walk_line(net: RandomNetwork, x0, x1, post_activation: bool = False, **kw) -> Walk:
    """Exact walk along the segment x0 + t (x1 - x0), t in [0, 1]."""
    x0, x1 = _points(net, x0=x0, x1=x1)
    return walk(net, x0, x1 - x0, None, "line", (0.0, 1.0), post_activation, **kw)


def walk_arc(net: RandomNetwork, x0, x1, post_activation: bool = False, **kw) -> Walk:
    """Exact walk along Raghu's arc cos(pi t/2) x0 + sin(pi t/2) x1; event times are in t."""
    x0, x1 = _points(net, x0=x0, x1=x1)
    r = walk(net, np.zeros_like(x0), x0, x1, "trig", (0.0, 0.5 * np.pi), post_activation, **kw)
    scale = 2.0 / np.pi
    return r._replace(event_s=r.event_s * scale, output_sign_changes=r.output_sign_changes * scale)


def walk_circle(net: RandomNetwork, u0, u1, radius: float = 1.0, post_activation: bool = False,
                **kw) -> Walk:
    """Exact walk around radius (u0 cos s + u1 sin s), s in [0, 2 pi)."""
    u0, u1 = _points(net, u0=u0, u1=u1)
    radius = check_positive("radius", radius)
    u0 = u0 * radius
    return walk(net, np.zeros_like(u0), u0, u1 * radius, "trig",
                (0.0, _TWO_PI), post_activation, **kw)


def patterns_at(net: RandomNetwork, X) -> tuple[np.ndarray, np.ndarray]:
    """Region index of every neuron at inputs X (n, dim): (states (n, units), output h^D_0).

    relu: 0 off / 1 on; hard_tanh: 0 (h < -1) / 1 / 2 (h > 1). The dense-sampling oracle.
    """
    code = _act_code(net)
    hs = net.forward(_inputs(net, X))
    if code == _RELU:
        states = [(h > 0).astype(np.int8) for h in hs]
    elif code == _HARD_TANH:
        states = [((h > -1).astype(np.int8) + (h > 1).astype(np.int8)) for h in hs]
    else:
        states = [np.ones_like(h, dtype=np.int8) for h in hs]
    return np.concatenate(states, axis=1), hs[-1][:, 0]


def sampled_counts(net: RandomNetwork, X) -> tuple[np.ndarray, int, int]:
    """Counts seen by sampling the curve at the rows of X: (transitions per layer, distinct
    patterns, output sign changes). A lower bound that converges to the exact walk as the
    samples get dense (crossings missed between two samples are never counted)."""
    _act_code(net)
    X = _inputs(net, X)
    if X.shape[0] < 2:
        raise ValueError(f"X must hold at least 2 samples of the curve, got shape {X.shape}")
    states, out = patterns_at(net, X)
    jumps = np.abs(np.diff(states.astype(np.int64), axis=0)).sum(axis=0)
    bounds = np.cumsum((0,) + net.widths)
    per_layer = np.array([jumps[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:])])
    n_patterns = np.unique(states, axis=0).shape[0]
    sign_changes = int(np.count_nonzero(np.diff(np.sign(out)) != 0))
    return per_layer, n_patterns, sign_changes


def dichotomies(net: RandomNetwork, layer: int, X, seed=0, return_times: bool = False):
    """Distinct labellings sign(h^D_0(x_i)) of the rows of X while sweeping one layer's weights.

    W^layer(t) = W cos t + W' sin t, t in [0, 2 pi), W' an independent draw with the same
    variance (Raghu et al. 2017, Sec. 3; 1-based ``layer``; remaining depth = depth - layer).
    Exact: every input's swept pre-activation is A cos t + B sin t + C, walked through the
    layers above. Needs at most 62 inputs (labellings are stored as int64 bit masks).
    """
    code = _act_code(net)
    X = _inputs(net, X)
    if not 1 <= X.shape[0] <= 62:
        raise ValueError(f"X must hold between 1 and 62 inputs; got {X.shape[0]}")
    if isinstance(layer, bool) or not (isinstance(layer, (int, np.integer)) and 1 <= layer <= net.depth):
        raise ValueError(f"layer must be an int in [1, {net.depth}]; got {plain(layer)}")
    rng = as_generator(seed)
    W = net.weights[layer - 1]
    W2 = rng.standard_normal(W.shape) * np.sqrt(net.sigma_w2 / W.shape[1])
    z = X if layer == 1 else net.activation.phi(net.forward(X)[layer - 2])
    above_w = net.weights[layer - 1:]
    above_b = net.biases[layer - 1:]
    times, who, init = [], [], 0
    for i in range(X.shape[0]):
        res = walk_coefficients("trig", (0.0, _TWO_PI), W @ z[i], W2 @ z[i], net.biases[layer - 1],
                                above_w, above_b, code)
        out_s = res.output_sign_changes
        h_out = net.forward(X[i:i + 1])[-1][0, 0]
        init |= int(h_out > 0) << i
        times.append(out_s)
        who.append(np.full(out_s.size, i, np.int64))
    times = np.concatenate(times)
    who = np.concatenate(who)
    order = np.argsort(times, kind="stable")
    flips = np.left_shift(np.int64(1), who[order])
    masks = np.bitwise_xor.accumulate(np.concatenate([[np.int64(init)], flips]))
    count = int(np.unique(masks).size)
    return (count, times[order], masks) if return_times else count
