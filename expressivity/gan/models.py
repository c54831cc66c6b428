"""Generator and discriminator MLPs for 2-D mixtures, each with its own shape.

Generator x = G(z), z ~ N(0, I_latent); discriminator logit T(x) = D(s x) with an input scale
s (Metz et al. 2017 divide the discriminator's input by 4), read as an estimate of the log
density ratio log p_data(x)/q_gen(x) (the optimum of the logistic loss, see
:mod:`.objectives`). Both are :func:`expressivity.autodiff.nn.mlp_apply` networks (hidden
layers with an activation, a linear output), initialised by :func:`expressivity.autodiff.nn.
mlp_init` with orthogonal weights W = gain * Q (zero biases); ``fan_ratio`` says whether a
widening layer's gain is multiplied by sqrt(n_out / n_in) (the mean-field convention of
``nn.orthogonal_init``) or not (TensorFlow's ``orthogonal_initializer(gain)``, the papers').
:class:`Architecture` holds the two shapes and the initialisation.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from expressivity.autodiff import nn

from ..checks import check_choice, check_positive, check_positive_int

__all__ = ["Architecture", "network_init", "generator", "discriminator", "sample_latent"]

INITS = ("orthogonal", "gaussian")


def network_init(rng, sizes, gain=1.0, fan_ratio=False, init="orthogonal", dtype=np.float64):
    """Parameters of an MLP with layer widths ``sizes`` (list of {"W", "b"}), zero biases.

    ``init="orthogonal"``: W = gain * Q (``fan_ratio=False``) or gain * sqrt(max(1, n_out /
    n_in)) * Q (``fan_ratio=True``), Q semi-orthogonal; ``init="gaussian"``: entries
    N(0, gain^2 / n_in). Drawn by :func:`expressivity.autodiff.nn.mlp_init` (which applies the
    fan ratio to orthogonal layers; it is divided out here when ``fan_ratio`` is False).
    """
    gain = check_positive("gain", gain)
    check_choice("init", init, INITS)
    if not isinstance(fan_ratio, (bool, np.bool_)):
        raise TypeError(f"fan_ratio must be True or False, got {type(fan_ratio).__name__}")
    params = nn.mlp_init(rng, sizes, sigma_w2=gain * gain, sigma_b2=0.0, dtype=dtype, init=init)
    for layer in params:
        W = np.ascontiguousarray(layer["W"])  # an orthogonal widening layer comes out F-ordered
        n_in, n_out = W.shape
        if init == "orthogonal" and not fan_ratio and n_out > n_in:
            W *= np.asarray(np.sqrt(n_in / n_out), W.dtype)
        layer["W"] = W
    return params


def generator(params, z, activation="relu"):
    """x = G(z), rows of ``z`` to rows of ``x`` (differentiable in params and z)."""
    return nn.mlp_apply(params, z, activation)


def discriminator(params, x, activation="relu", input_scale=1.0):
    """Logits T(x) = D(input_scale * x), shape (n,): the estimated log p_data(x)/q_gen(x)."""
    if input_scale != 1.0:
        x = x * input_scale
    return nn.mlp_apply(params, x, activation)[:, 0]


def sample_latent(rng, n, latent_dim, dtype=np.float64):
    """z ~ N(0, I_latent), shape (n, latent_dim)."""
    return rng.standard_normal((n, latent_dim)).astype(dtype, copy=False)


@dataclass(frozen=True)
class Architecture:
    """Shapes of G and D and their initialisation.

    G: ``latent_dim`` -> ``g_hidden`` x ``g_layers`` (``g_activation``) -> ``data_dim``;
    D: ``d_input_scale`` * x -> ``d_hidden`` x ``d_layers`` (``d_activation``) -> 1 logit;
    every weight ``init`` with ``init_gain`` and ``fan_ratio`` (:func:`network_init`),
    biases 0. The defaults are Metz et al. (2017), App. A (see
    :data:`expressivity.gan.experiments.SETTINGS`).
    """

    latent_dim: int = 256
    data_dim: int = 2
    g_hidden: int = 128
    g_layers: int = 2
    g_activation: str = "relu"
    d_hidden: int = 128
    d_layers: int = 1
    d_activation: str = "relu"
    d_input_scale: float = 0.25
    init: str = "orthogonal"
    init_gain: float = 0.8
    fan_ratio: bool = False

    def __post_init__(self):
        for name in ("latent_dim", "data_dim", "g_hidden", "g_layers", "d_hidden", "d_layers"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        for name in ("g_activation", "d_activation"):
            check_choice(name, getattr(self, name), sorted(nn.ACTIVATIONS))
        object.__setattr__(self, "d_input_scale", check_positive("d_input_scale", self.d_input_scale))
        object.__setattr__(self, "init_gain", check_positive("init_gain", self.init_gain))
        check_choice("init", self.init, INITS)
        if not isinstance(self.fan_ratio, (bool, np.bool_)):
            raise TypeError(f"fan_ratio must be True or False, got {type(self.fan_ratio).__name__}")

    @property
    def g_sizes(self):
        return [self.latent_dim] + [self.g_hidden] * self.g_layers + [self.data_dim]

    @property
    def d_sizes(self):
        return [self.data_dim] + [self.d_hidden] * self.d_layers + [1]

    def init_params(self, seed, dtype=np.float64):
        """(G, D) parameters from one seed (G drawn first)."""
        rng = nn.as_generator(seed)
        G = network_init(rng, self.g_sizes, self.init_gain, self.fan_ratio, self.init, dtype)
        D = network_init(rng, self.d_sizes, self.init_gain, self.fan_ratio, self.init, dtype)
        return G, D

    def generate(self, G, z):
        return generator(G, z, self.g_activation)

    def logits(self, D, x):
        return discriminator(D, x, self.d_activation, self.d_input_scale)

    def as_dict(self):
        return asdict(self)
