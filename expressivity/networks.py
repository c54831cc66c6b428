"""Random fully connected networks at the mean-field initialisation.

    h^l = W^l z^{l-1} + b^l,   z^l = phi(h^l),   W^l_ij ~ N(0, sigma_w2 / N_{l-1}),  b^l_i ~ N(0, sigma_b2)

(Poole et al. 2016, Eq. 1; Raghu et al. 2017, Sec. 2). z^0 is the input. Weights are float64
and drawn from one ``numpy.random.Generator`` (an integer seed builds it), layer by layer:
W^1, b^1, W^2, b^2, ...
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .checks import as_generator, check_positive_int, check_variance  # noqa: F401  (re-exported)
from .checks import check_array, check_memory, plain

from .activations import ArrayActivation, get_activation


@dataclass(frozen=True)
class RandomNetwork:
    """Weights ``weights[l]`` of shape (N_{l+1}, N_l) and biases ``biases[l]`` of shape (N_{l+1},)."""

    weights: tuple
    biases: tuple
    activation: ArrayActivation
    sigma_w2: float
    sigma_b2: float

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def widths(self) -> tuple:
        return tuple(w.shape[0] for w in self.weights)

    @property
    def input_dim(self) -> int:
        return self.weights[0].shape[1]

    def forward(self, x, post_activation: bool = False, input_is_preactivation: bool = False):
        """All layers for inputs ``x`` (shape (..., input_dim)): list of h^l (or z^l), l = 1..depth.

        ``input_is_preactivation`` applies phi to ``x`` first (Poole's circle is h^1 itself).
        """
        z = check_array("x", x)
        if z.ndim == 0 or z.shape[-1] != self.input_dim:
            raise ValueError(f"x must have shape (..., {self.input_dim}) (input_dim), got {z.shape}")
        if input_is_preactivation:
            z = self.activation.phi(z)
        out = []
        for W, b in zip(self.weights, self.biases):
            h = z @ W.T + b
            z = self.activation.phi(h)
            out.append(z if post_activation else h)
        return out


def random_network(input_dim: int, widths, depth: int | None = None, activation="tanh",
                   sigma_w2: float = 1.0, sigma_b2: float = 0.0, seed=0) -> RandomNetwork:
    """Draw a random network.

    ``widths`` is one int (then ``depth`` layers of that width) or a sequence of layer widths
    (then ``depth`` must be None or equal its length). ``seed``: int or Generator.
    """
    input_dim = check_positive_int("input_dim", input_dim)
    if isinstance(widths, Integral) and not isinstance(widths, bool):
        if depth is None:
            raise ValueError("depth is required when widths is a single int")
        depth = check_positive_int("depth", depth)
        widths = [check_positive_int("widths", widths)] * depth
    else:
        try:
            widths = [check_positive_int("widths[i]", w) for w in widths]
        except TypeError:
            raise TypeError("widths must be an int or a sequence of ints >= 1") from None
        if not widths:
            raise ValueError("widths must name at least one layer")
        if depth is not None and check_positive_int("depth", depth) != len(widths):
            raise ValueError(f"depth={depth} does not match len(widths)={len(widths)}")
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    rng = as_generator(seed)
    n_weights = sum(a * b for a, b in zip([input_dim] + widths[:-1], widths))
    check_memory("widths", widths if len(widths) <= 4 else f"{widths[:4]}...", 8.0 * n_weights,
                 f"weights (input_dim={input_dim})")
    layers = list(draw_layers(rng, input_dim, widths, sigma_w2, sigma_b2))
    return RandomNetwork(tuple(W for W, _ in layers), tuple(b for _, b in layers), act,
                         sigma_w2, sigma_b2)


def draw_layers(rng: np.random.Generator, input_dim: int, widths, sigma_w2: float,
                sigma_b2: float, reuse: bool = False):
    """Yield (W^l, b^l) one layer at a time, in the order :func:`random_network` draws them
    (so a long network never has to sit in memory at once).

    ``reuse=True`` draws W into two buffers per shape in turn, so a W is overwritten two
    layers later (for callers that are done with W^l before asking for W^{l+2}). The draws are ``rng.standard_normal``
    bit for bit; large ones run a compiled ziggurat (_fast_normal).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    input_dim = check_positive_int("input_dim", input_dim)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    fan_in = input_dim
    bufs = {}
    for n in widths:
        if reuse:
            ring = bufs.setdefault((n, fan_in), [])
            if len(ring) < 2:
                ring.append(np.empty((n, fan_in)))
            ring.reverse()
            W = ring[0]
        else:
            W = np.empty((n, fan_in))
        standard_normal(rng, W, np.sqrt(sigma_w2 / fan_in))
        b = rng.standard_normal(n)
        b *= np.sqrt(sigma_b2)
        yield W, b
        fan_in = n


_FAST_DRAW_MIN = 1 << 16   # below this numba's import and call overhead is not worth it


def standard_normal(rng: np.random.Generator, out: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Fill the C-contiguous float64 ``out`` exactly as ``rng.standard_normal(out=out);
    out *= scale`` would."""
    if not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.flags.c_contiguous
            and out.flags.writeable):
        raise TypeError(f"out must be a writeable C-contiguous float64 numpy array, got "
                        f"{type(out).__name__}{' of dtype ' + str(out.dtype) if isinstance(out, np.ndarray) else ''}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)) \
            or not np.isfinite(scale) or scale < 0:
        raise ValueError(f"scale must be a finite number >= 0, got {plain(scale)}")
    if out.size >= _FAST_DRAW_MIN:
        from ._fast_normal import standard_normal_into

        return standard_normal_into(rng, out, scale)
    rng.standard_normal(out=out)
    out *= scale
    return out
