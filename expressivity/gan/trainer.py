"""Training states of the adversarial models: parameters, Adam optimisers, one update a call.

:class:`GANTrainer` (Metz et al. 2017; any generator objective of Poole et al. 2016) holds a
generator and a discriminator (shapes and initialisation from an :class:`~.models.
Architecture`) with their in-place Adam optimisers. ``step(x_real, z)`` is one update of both:

- ``update="alternating"``: first a discriminator Adam step on the logistic loss at the
  current generator samples, then a generator step on the unrolled surrogate f_K taken at the
  *updated* discriminator (as in the reference code of Metz et al.'s App. A, where the
  discriminator and generator training ops run one after the other); ``x_gen``, ``z_gen``
  give the generator step its own batch (default: the same batch).
- ``update="simultaneous"``: both gradients at the current parameters, then both steps; the
  discriminator's gradient is the first unrolled step's (the same loss at the same point).

The K unrolled discriminator steps use the differentiable Adam with the discriminator's
learning rate, started from the real discriminator optimiser's moments (they continue it).
:class:`TrainerBase` is the tail the GAN and ALI trainers share: the finiteness check of a
step's losses, sampling the generator, and the state a checkpoint saves and restores.
"""
from __future__ import annotations

import numpy as np

from expressivity.autodiff import optim, tree_flatten, tree_unflatten, value_and_grad

from ..checks import check_choice, check_in_range, check_positive
from .fused import AdamHyper, eligible, loss_and_grad
from .models import Architecture
from .objectives import get_objective
from .unrolled import _check_unroll_steps, adam_state_of, d_loss, unrolled_surrogate

__all__ = ["GANTrainer", "TrainerBase", "UPDATES", "check_b1"]

UPDATES = ("alternating", "simultaneous")


def _optimizer_state(opt):
    if opt.flat:
        return {"count": opt.count, "m": opt.m.copy(), "v": opt.v.copy()}
    return {"count": opt.count, "m": [m.copy() for m in opt.m], "v": [v.copy() for v in opt.v]}


def _set_optimizer_state(opt, state):
    opt.count = int(state["count"])
    if opt.flat:
        np.copyto(opt.m, state["m"])
        np.copyto(opt.v, state["v"])
    else:
        for a, b in zip(opt.m + opt.v, list(state["m"]) + list(state["v"])):
            np.copyto(a, b)


def _copy_tree(tree):
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [np.array(x, copy=True) for x in leaves])


def _copy_into(tree, values):
    dst, _ = tree_flatten(tree)
    src, _ = tree_flatten(values)
    if len(dst) != len(src) or any(a.shape != np.shape(b) for a, b in zip(dst, src)):
        raise ValueError("saved parameters do not match this trainer's networks")
    for a, b in zip(dst, src):
        np.copyto(a, b)


def _batch(name, a, cols, dtype, rows=None):
    """A finite (n, cols) batch as ``dtype`` (ValueError naming it otherwise)."""
    try:
        x = np.asarray(a, dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers of shape (n, {cols}), got {type(a).__name__}") from None
    if x.ndim != 2 or x.shape[1] != cols or x.shape[0] < 1 or (rows is not None and x.shape[0] != rows):
        want = f"({rows}, {cols})" if rows is not None else f"(n >= 1, {cols})"
        raise ValueError(f"{name} must have shape {want}, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite numbers (got NaN or inf)")
    return x


def check_b1(b1):
    """Adam's beta1: a number in [0, 1)."""
    b1 = check_in_range("b1", b1, 0.0, 1.0)
    if b1 >= 1.0:
        raise ValueError("b1 must be a number in [0.0, 1.0), got 1.0")
    return b1


class TrainerBase:
    """What the GAN and ALI trainers share. Subclasses set ``latent_dim``, ``dtype``,
    ``_params`` ({name: pytree}), ``_optimizers`` ({name: in-place optimiser}) and implement
    ``_generate(z)``."""

    latent_dim: int
    dtype: object

    @staticmethod
    def _finish(lg, ld, what="GAN"):
        """The step's (generator, discriminator) losses as floats; non-finite ones raise."""
        lg, ld = float(lg), float(ld)
        if not (np.isfinite(lg) and np.isfinite(ld)):
            raise FloatingPointError(f"{what} losses became non-finite: generator {lg}, discriminator {ld}")
        return lg, ld

    def sample(self, n, seed=0):
        """``n`` generator samples (plain array), latents z ~ N(0, I) from ``seed``."""
        from ..checks import as_generator, check_nonnegative_int

        n = check_nonnegative_int("n", n)
        z = as_generator(seed).standard_normal((n, self.latent_dim)).astype(self.dtype, copy=False)
        return np.asarray(self._generate(z))

    def get_state(self):
        """Copies of every parameter and optimiser moment (for a checkpoint)."""
        return {"params": {k: _copy_tree(v) for k, v in self._params.items()},
                "optimizers": {k: _optimizer_state(o) for k, o in self._optimizers.items()}}

    def set_state(self, state):
        """Put a :meth:`get_state` snapshot back (in place: the optimisers keep their arrays)."""
        for k, v in state["params"].items():
            _copy_into(self._params[k], v)
        for k, s in state["optimizers"].items():
            _set_optimizer_state(self._optimizers[k], s)


class GANTrainer(TrainerBase):
    """State of a (possibly unrolled) GAN.

    Parameters
    ----------
    unroll_steps : int >= 0
        K, the unrolled discriminator steps in the generator's loss (0: a plain GAN).
    objective : str or Objective
        Generator objective (:data:`~.objectives.OBJECTIVES`).
    first_order : bool
        The ablation: theta_D^K computed but not differentiated through.
    arch : Architecture, optional
        Shapes and initialisation of G and D (default: Metz et al. 2017, App. A).
    update : {"alternating", "simultaneous"}
        Order of the two updates (module doc).
    d_lr, g_lr, b1 : float
        Adam learning rates and beta1 (beta2 = 0.999, eps = 1e-8).
    seed : int or Generator
        Initial parameters.
    dtype : numpy float dtype
    """

    def __init__(self, unroll_steps=0, objective="minimax", first_order=False, arch=None,
                 update="alternating", d_lr=1e-4, g_lr=1e-4, b1=0.5, seed=0, dtype=np.float64):
        self.unroll_steps = _check_unroll_steps(unroll_steps)
        self.objective = get_objective(objective)
        if not isinstance(first_order, (bool, np.bool_)):
            raise TypeError(f"first_order must be True or False, got {type(first_order).__name__}")
        self.first_order = bool(first_order)
        arch = Architecture() if arch is None else arch
        if not isinstance(arch, Architecture):
            raise TypeError(f"arch must be a gan.Architecture, got {type(arch).__name__}")
        self.arch = arch
        self.update = check_choice("update", update, UPDATES)
        d_lr, g_lr = check_positive("d_lr", d_lr), check_positive("g_lr", g_lr)
        b1 = check_b1(b1)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be a floating dtype, got {self.dtype}")
        self.latent_dim = arch.latent_dim
        self.G, self.D = arch.init_params(seed, self.dtype)
        self.opt_G = optim.adam_inplace(self.G, lr=g_lr, b1=b1)
        self.opt_D = optim.adam_inplace(self.D, lr=d_lr, b1=b1)
        self.unroll_opt = AdamHyper(d_lr, b1=b1)  # the unrolled steps: Adam with D's settings
        self._params = {"G": self.G, "D": self.D}
        self._optimizers = {"G": self.opt_G, "D": self.opt_D}
        self._g_grad = value_and_grad(unrolled_surrogate, has_aux=True)
        self._d_grad = value_and_grad(d_loss)

    def _generate(self, z):
        return self.arch.generate(self.G, z)

    def _generator_step(self, x_real, z):
        a = self.arch
        state = adam_state_of(self.opt_D, self.D) if self.unroll_steps else None
        (lg, first), gG = self._g_grad(self.G, self.D, z, x_real, self.unroll_steps, self.objective,
                                       self.unroll_opt, state, self.first_order, a.g_activation,
                                       a.d_activation, a.d_input_scale, self.update == "simultaneous")
        return lg, first, gG

    def _discriminator_grad(self, x_real, z):
        fake = np.asarray(self._generate(z))
        a = self.arch
        if eligible(self.D, a.d_activation):  # the closed form of .fused (the same numbers)
            return loss_and_grad(self.D, x_real, fake, a.d_input_scale)
        return self._d_grad(self.D, x_real, fake, a.d_activation, a.d_input_scale)

    def step(self, x_real, z, x_gen=None, z_gen=None):
        """One update of D and G (see the module doc); returns (generator loss, discriminator
        loss) as floats. ``x_gen``, ``z_gen``: the generator step's batch in alternating mode
        (default: ``x_real``, ``z``)."""
        a = self.arch
        x_real = _batch("x_real", x_real, a.data_dim, self.dtype)
        z = _batch("z", z, a.latent_dim, self.dtype)
        if self.update == "alternating":
            ld, gD = self._discriminator_grad(x_real, z)
            self.opt_D.step(gD)
            x_g = x_real if x_gen is None else _batch("x_gen", x_gen, a.data_dim, self.dtype)
            z_g = z if z_gen is None else _batch("z_gen", z_gen, a.latent_dim, self.dtype)
            lg, _, gG = self._generator_step(x_g, z_g)
            self.opt_G.step(gG)
        else:
            lg, first, gG = self._generator_step(x_real, z)
            ld, gD = self._discriminator_grad(x_real, z) if first is None else first
            self.opt_G.step(gG)
            self.opt_D.step(gD)
        return self._finish(lg, ld)

    def __repr__(self):
        a = self.arch
        return (f"GANTrainer(K={self.unroll_steps}, objective={self.objective.name!r}, "
                f"update={self.update!r}, G={a.g_sizes} {a.g_activation}, D={a.d_sizes} "
                f"{a.d_activation}, steps={self.opt_G.count})")
