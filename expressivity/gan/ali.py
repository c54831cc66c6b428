"""Adversarially Learned Inference (Dumoulin et al. 2017; BiGAN, Donahue et al. 2017).

An encoder G_z (x -> z), a decoder G_x (z -> x, z ~ N(0, I)) and a discriminator D(x, z) on
joint pairs play

    min_G max_D  E_{q(x)}[log D(x, G_z(x))] + E_{p(z)}[log(1 - D(G_x(z), z))];

the optimal D makes the game the Jensen-Shannon divergence between the encoder joint
q(x, z) = q(x) q(z|x) and the decoder joint p(x, z) = p(z) p(x|z). With logits T_q = T(x,
G_z(x)) and T_p = T(G_x(z), z) the losses are (the generator in the non-saturating form,
labels swapped, as in the official code's ``compute_losses``):

    L_D = E[softplus(-T_q)] + E[softplus(T_p)],    L_G = E[softplus(T_q)] + E[softplus(-T_p)].

The encoder is stochastic. ``encoder="noise"`` (the official 25-Gaussian experiment,
``IshmaelBelghazi/ALI`` ``experiments/ali_mixture.py``: a ``COVConditional`` whose MLP takes
2 x the data dimension) maps [x, eps], eps ~ N(0, I_data), through an MLP to z;
``encoder="gaussian"`` (the paper's Sec. 2 reparameterisation) outputs a mean and a
log-variance, z = mu(x) + exp(logvar / 2) eps. The discriminator's hidden layers are maxout
units (``d_pieces`` >= 2 linear pieces each). :class:`ALITrainer` trains it; ``model="gan"`` trains the same
decoder as a plain (non-saturating) GAN with a discriminator on x alone (the official
``gan_mixture.py``), the paper's comparison. Reconstruction: x -> G_x(G_z(x)).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import nn, optim, value_and_grad

from ..checks import as_generator, check_choice, check_positive, check_positive_int
from .models import INITS
from .trainer import TrainerBase, _batch, check_b1

__all__ = ["ALIArchitecture", "ALITrainer", "ali_losses", "maxout_apply", "batch_norm", "mlp_bn_apply",
           "MODELS", "ENCODERS"]

MODELS = ("ali", "gan")
ENCODERS = ("noise", "gaussian")


def _dense_layers(rng, shapes, gain, init, dtype, std=None, batch_norm=False):
    """One dense layer per (n_in, n_out) in ``shapes`` (zero biases), by nn.mlp_init: weights
    of variance gain^2 / n_in, or ``std``^2 whatever the fan-in (the official code's
    IsotropicGaussian(0.02)). ``batch_norm``: the hidden layers (all but the last) also get a
    batch-norm scale "gamma" (ones) and shift "beta" (zeros)."""
    out = []
    for i, (n_in, n_out) in enumerate(shapes):
        s2 = gain * gain if std is None else std * std * n_in
        layer = nn.mlp_init(rng, [n_in, n_out], sigma_w2=s2, sigma_b2=0.0, dtype=dtype, init=init)[0]
        layer["W"] = np.ascontiguousarray(layer["W"])
        if batch_norm and i < len(shapes) - 1:
            layer["gamma"] = np.ones(n_out, dtype)
            layer["beta"] = np.zeros(n_out, dtype)
        out.append(layer)
    return out


BN_EPS = 1e-4  # Blocks' BatchNormalization default epsilon


def batch_norm(z, gamma, beta, eps=BN_EPS):
    """(z - mean) / sqrt(var + eps) * gamma + beta over the rows of ``z`` (the batch's own
    statistics; Ioffe & Szegedy 2015), differentiable."""
    mu = anp.mean(z, axis=0, keepdims=True)
    d = z - mu
    v = anp.mean(d * d, axis=0, keepdims=True)
    return d / anp.sqrt(v + eps) * gamma + beta


def mlp_bn_apply(params, x, activation="relu"):
    """An MLP whose hidden layers are batch-normalised before the activation (layers with
    "gamma"/"beta"; their bias is cancelled by the normalisation) and whose last layer is
    linear; layers without them are ordinary dense layers."""
    h = x
    n = len(params)
    act = nn.get_activation(activation)
    for i, layer in enumerate(params):
        if "gamma" in layer:
            h = act(batch_norm(h @ layer["W"], layer["gamma"], layer["beta"]))
        else:
            h = nn.dense_apply(layer, h, activation if i < n - 1 else "linear")
    return h


def maxout_apply(params, x, pieces):
    """A maxout MLP (Goodfellow et al. 2013): each hidden layer is the maximum over ``pieces``
    affine maps (a layer's W has pieces * hidden columns: column p * hidden + j is piece p of
    unit j, so the maximum runs over contiguous blocks); the last layer is linear."""
    pieces = check_positive_int("pieces", pieces)
    h = x
    n = len(params)
    for i, layer in enumerate(params):
        z = nn.dense_apply(layer, h, "linear")
        if i < n - 1:
            width = layer["W"].shape[1] // pieces
            z = anp.max(anp.reshape(z, (-1, pieces, width)), axis=1)
        h = z
    return h


@dataclass(frozen=True)
class ALIArchitecture:
    """Networks of ALI and of the GAN it is compared with.

    Decoder G_x: ``latent_dim`` -> ``gen_hidden`` x ``decoder_layers`` -> ``data_dim``;
    encoder G_z: [x, eps] (``encoder="noise"``) or x (``"gaussian"``) -> ``gen_hidden`` x
    ``encoder_layers`` -> z (or mean and log-variance); both ``gen_activation``. D: maxout,
    ``d_layers`` hidden layers of ``d_hidden`` units with ``d_pieces`` pieces, on [x, z] (ALI)
    or x (GAN). Weights N(0, ``init_std``^2) (or, with ``init_std=None``, ``init`` with
    ``init_gain``: entries of variance gain^2 / fan_in for "gaussian"), biases 0;
    ``batch_norm`` normalises every hidden pre-activation with the batch's own statistics.
    Defaults: the official 25-Gaussian experiment (module doc; weights N(0, 0.02^2) and batch
    normalisation as there, see :data:`expressivity.gan.experiments.ALI_SETTINGS`).
    """

    latent_dim: int = 2
    data_dim: int = 2
    gen_hidden: int = 400
    decoder_layers: int = 4
    encoder_layers: int = 2
    gen_activation: str = "relu"
    encoder: str = "noise"
    d_hidden: int = 200
    d_layers: int = 3
    d_pieces: int = 5
    batch_norm: bool = True
    init_std: float = 0.02
    init: str = "gaussian"
    init_gain: float = math.sqrt(2.0)

    def __post_init__(self):
        for name in ("latent_dim", "data_dim", "gen_hidden", "decoder_layers", "encoder_layers",
                     "d_hidden", "d_layers"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        object.__setattr__(self, "d_pieces", check_positive_int("d_pieces", self.d_pieces, minimum=2))
        check_choice("gen_activation", self.gen_activation, sorted(nn.ACTIVATIONS))
        check_choice("encoder", self.encoder, ENCODERS)
        check_choice("init", self.init, INITS)
        object.__setattr__(self, "init_gain", check_positive("init_gain", self.init_gain))
        if self.init_std is not None:
            object.__setattr__(self, "init_std", check_positive("init_std", self.init_std))
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm must be True or False, got {type(self.batch_norm).__name__}")

    def as_dict(self):
        return asdict(self)

    def init_params(self, model, seed, dtype=np.float64):
        """{"Gx": decoder, "E": encoder (ALI only), "D": discriminator} from one seed."""
        check_choice("model", model, MODELS)
        rng = as_generator(seed)
        g, init, H = self.init_gain, self.init, self.gen_hidden

        def mlp(n_in, n_hidden_layers, n_out):
            sizes = [n_in] + [H] * n_hidden_layers + [n_out]
            return _dense_layers(rng, list(zip(sizes[:-1], sizes[1:])), g, init, dtype, self.init_std,
                                 self.batch_norm)

        out = {"Gx": mlp(self.latent_dim, self.decoder_layers, self.data_dim)}
        if model == "ali":
            enc_in = 2 * self.data_dim if self.encoder == "noise" else self.data_dim
            enc_out = self.latent_dim if self.encoder == "noise" else 2 * self.latent_dim
            out["E"] = mlp(enc_in, self.encoder_layers, enc_out)
        d_in = self.data_dim + (self.latent_dim if model == "ali" else 0)
        Hd, P = self.d_hidden, self.d_pieces
        shapes = [(d_in, Hd * P)] + [(Hd, Hd * P)] * (self.d_layers - 1) + [(Hd, 1)]
        out["D"] = _dense_layers(rng, shapes, g, init, dtype, self.init_std)
        return out

    @property
    def encoder_noise_dim(self):
        return self.data_dim if self.encoder == "noise" else self.latent_dim

    def decode(self, Gx, z):
        return mlp_bn_apply(Gx, z, self.gen_activation)

    def encode(self, E, x, eps):
        """(z, deterministic code): the sample and, for the Gaussian encoder, its mean (for
        the noise encoder, the code at eps = 0)."""
        if self.encoder == "noise":
            return mlp_bn_apply(E, anp.concatenate([x, eps], axis=1), self.gen_activation), None
        h = mlp_bn_apply(E, x, self.gen_activation)
        k = self.latent_dim
        mu, logvar = h[:, :k], anp.clip(h[:, k:], -12.0, 6.0)
        return mu + anp.exp(0.5 * logvar) * eps, mu

    def logits(self, D, x, z=None):
        inp = x if z is None else anp.concatenate([x, z], axis=1)
        return maxout_apply(D, inp, self.d_pieces)[:, 0]


def ali_losses(E, Gx, D, x, z, eps, arch=None):
    """(L_D, L_G) of ALI for data ``x``, prior latents ``z`` and encoder noise ``eps``; the
    networks' shapes from ``arch`` (an ALIArchitecture; default the official one)."""
    arch = ALIArchitecture() if arch is None else arch
    z_hat, _ = arch.encode(E, x, eps)
    x_tilde = arch.decode(Gx, z)
    n = x.shape[0]
    T = arch.logits(D, anp.concatenate([x, x_tilde], 0), anp.concatenate([z_hat, z], 0))
    Tq, Tp = T[:n], T[n:]
    L_D = anp.mean(anp.softplus(-Tq)) + anp.mean(anp.softplus(Tp))
    L_G = anp.mean(anp.softplus(Tq)) + anp.mean(anp.softplus(-Tp))
    return L_D, L_G


def _gan_losses(Gx, D, x, z, arch):
    n = x.shape[0]
    T = arch.logits(D, anp.concatenate([x, arch.decode(Gx, z)], 0))
    Tr, Tf = T[:n], T[n:]
    return anp.mean(anp.softplus(-Tr)) + anp.mean(anp.softplus(Tf)), anp.mean(anp.softplus(-Tf))


class ALITrainer(TrainerBase):
    """ALI (``model="ali"``) or a GAN with the same decoder (``model="gan"``).

    ``step(x, z, eps)`` takes simultaneous Adam steps for the discriminator and for the
    generator(s) (decoder, and encoder for ALI), both gradients at the current parameters
    (the official ``ali_algorithm``). ``arch``: an :class:`ALIArchitecture`.
    """

    def __init__(self, model="ali", arch=None, d_lr=1e-4, g_lr=1e-4, b1=0.8, seed=0,
                 dtype=np.float64):
        self.model = check_choice("model", model, MODELS)
        self.arch = ALIArchitecture() if arch is None else arch
        if not isinstance(self.arch, ALIArchitecture):
            raise TypeError(f"arch must be a gan.ALIArchitecture, got {type(self.arch).__name__}")
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be a floating dtype, got {self.dtype}")
        self.latent_dim = self.arch.latent_dim
        p = self.arch.init_params(model, seed, self.dtype)
        self.Gx, self.D, self.E = p["Gx"], p["D"], p.get("E")
        self.gen = {"E": self.E, "Gx": self.Gx} if model == "ali" else {"Gx": self.Gx}
        b1 = check_b1(b1)
        self.opt_G = optim.adam_inplace(self.gen, lr=check_positive("g_lr", g_lr), b1=b1)
        self.opt_D = optim.adam_inplace(self.D, lr=check_positive("d_lr", d_lr), b1=b1)
        self._params = {"gen": self.gen, "D": self.D}
        self._optimizers = {"G": self.opt_G, "D": self.opt_D}
        self._dgrad = value_and_grad(lambda D, gen, x, z, eps: self._losses(gen, D, x, z, eps)[0])
        self._ggrad = value_and_grad(lambda gen, D, x, z, eps: self._losses(gen, D, x, z, eps)[1])

    def _losses(self, gen, D, x, z, eps):
        if self.model == "ali":
            return ali_losses(gen["E"], gen["Gx"], D, x, z, eps, self.arch)
        return _gan_losses(gen["Gx"], D, x, z, self.arch)

    def _generate(self, z):
        return self.arch.decode(self.Gx, z)

    def step(self, x, z, eps):
        """One simultaneous update; returns (generator loss, discriminator loss)."""
        a = self.arch
        x = _batch("x", x, a.data_dim, self.dtype)
        z = _batch("z", z, a.latent_dim, self.dtype)
        eps = _batch("eps", eps, a.encoder_noise_dim, self.dtype, rows=len(x))
        ld, gD = self._dgrad(self.D, self.gen, x, z, eps)
        lg, gG = self._ggrad(self.gen, self.D, x, z, eps)
        self.opt_D.step(gD)
        self.opt_G.step(gG)
        return self._finish(lg, ld, "ALI" if self.model == "ali" else "GAN")

    def encode(self, x, seed=0):
        """G_z(x): codes of the rows of ``x`` (encoder noise from ``seed``; ALI only)."""
        if self.E is None:
            raise ValueError("encode needs model='ali' (a GAN has no encoder)")
        x = _batch("x", x, self.arch.data_dim, self.dtype)
        eps = as_generator(seed).standard_normal((len(x), self.arch.encoder_noise_dim)).astype(self.dtype)
        return np.asarray(self.arch.encode(self.E, x, eps)[0])

    def reconstruct(self, x, seed=0):
        """G_x(G_z(x)) (encoder noise from ``seed``; ALI only)."""
        return np.asarray(self.arch.decode(self.Gx, self.encode(x, seed)))

    def __repr__(self):
        return f"ALITrainer(model={self.model!r}, steps={self.opt_G.count}, {self.arch})"
