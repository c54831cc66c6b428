"""Training one classifier: :func:`train_classifier` and the stateful :class:`ClassifierTrainer`.

Minibatch training of the deep classifier of :mod:`.model` on standardised data (:mod:`.data`)
with an in-place optimiser (:mod:`.optimizers`), through :func:`expressivity.training.run_steps`
(progress bar, Ctrl-C returns the partial run, resumable checkpoints) inside
:func:`expressivity.training.blas_threads`. Options used by the papers' experiments:

* ``trainable_layers``: train only these layers (0-based; ``depth`` is the readout), the
  others stay frozen at their random initialisation (Raghu et al. 2017, Sec. 4.1);
* ``norm="batch_norm"`` (Ioffe & Szegedy 2015) or ``norm="trajectory"`` (Raghu et al. 2017,
  Sec. 5: a learned scale per hidden layer and the length penalty of :mod:`.regularizer` in
  place of batch norm);
* the sigma_w2 x depth trainability experiment of Schoenholz et al. (2017) is one call per cell
  (:mod:`.trainability`).

Batches are drawn without replacement, a fresh permutation of the training set per epoch,
from the generator that drew the weights (one integer ``seed`` fixes the whole run). A step
whose loss or gradient is not finite (exploding gradients deep in the chaotic phase) leaves
the parameters unchanged and is counted in ``skipped_steps``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from expressivity.autodiff import value_and_grad

from ..checks import as_generator, check_in_range, check_nonnegative_int, check_positive, check_positive_int
from ..training import Checkpoint, blas_threads, run_steps
from . import model as M
from .data import Prepared, prepare
from .optimizers import make_optimizer, optimizer_state, set_optimizer_state
from .regularizer import traced_lengths, trajectory_penalty
from .trajectory import data_trajectory

__all__ = ["ClassifierTrainer", "TrainedClassifier", "train_classifier"]


@dataclass
class TrainedClassifier:
    """Result of :func:`train_classifier`.

    ``params`` (the trained layers, see :mod:`.model`), ``test_accuracy`` and
    ``train_accuracy`` (fractions), ``train_loss`` (one entry per completed step),
    ``seconds`` (wall time of the training loop), ``seconds_per_step``, ``skipped_steps``,
    ``interrupted`` (Ctrl-C), ``stats`` (population statistics of the batch-norm layers or
    None), and ``settings`` (the arguments of the run).
    """

    params: list
    test_accuracy: float
    train_accuracy: float
    train_loss: np.ndarray
    seconds: float
    seconds_per_step: float
    skipped_steps: int
    interrupted: bool
    stats: list | None
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.settings
        last = self.train_loss[-1] if len(self.train_loss) else float("nan")
        return (f"TrainedClassifier({s.get('activation')}, sigma_w2={s.get('sigma_w2')}, depth={s.get('depth')}, "
                f"width={s.get('width')}: test accuracy {self.test_accuracy:.3f}, train {self.train_accuracy:.3f}, "
                f"loss {last:.3g} after {len(self.train_loss)} steps, {self.seconds:.1f} s"
                + (", interrupted" if self.interrupted else "") + ")")


class ClassifierTrainer:
    """The state of one training run (parameters, optimiser, generator, batch order).

    ``step(i)`` performs one update and returns ``{"loss": ...}``; :meth:`evaluate` gives
    the accuracies; :meth:`get_state` / :meth:`set_state` snapshot and restore everything the
    remaining steps depend on (for :class:`expressivity.training.Checkpoint`). The arguments
    are those of :func:`train_classifier`.
    """

    def __init__(self, activation="tanh", sigma_w2=1.76, sigma_b2=0.05, depth=10, width=64, seed=0,
                 data="digits", optimizer="rmsprop", lr=1e-3, batch_size=128, trainable_layers=None,
                 norm=None, reg_strength=0.01, reg_points=64, dtype=np.float32, standardize=True,
                 steps=None, lr_decay=0.0):
        self.activation = M.check_activation(activation)
        self.depth = check_nonnegative_int("depth", depth)
        self.width = check_positive_int("width", width)
        self.batch_size = check_positive_int("batch_size", batch_size)
        if norm not in M.NORMS:
            raise ValueError(f"norm must be one of {M.NORMS}, got {norm!r}")
        self.norm = norm
        self.reg_strength = check_positive("reg_strength", reg_strength) if norm == "trajectory" else 0.0
        self.data = data if isinstance(data, Prepared) else prepare(data, dtype, standardize)
        self.rng = as_generator(seed)
        self.params = M.init_params(self.data.input_dim, self.data.n_classes, depth, width, sigma_w2,
                                    sigma_b2, self.rng, dtype, norm)
        if trainable_layers is None:
            trainable_layers = range(depth + 1)
        self.trainable = sorted({check_nonnegative_int("trainable_layers[i]", l) for l in trainable_layers})
        if not self.trainable or self.trainable[-1] > depth:
            raise ValueError(f"trainable_layers must name layers in 0..{depth} (depth = the readout), "
                             f"got {list(trainable_layers)}")
        # the trainable arrays as one flat list (cheaper to box and unbox than dicts each step)
        self._keys = [list(self.params[l]) for l in self.trainable]
        self.tparams = [self.params[l][k] for l, keys in zip(self.trainable, self._keys) for k in keys]
        self.opt = make_optimizer(optimizer, self.tparams, lr)
        self.lr = float(lr)
        self.lr_decay = check_in_range("lr_decay", lr_decay, 0.0, 1.0)
        self.steps = None if steps is None else check_nonnegative_int("steps", steps)
        if self.lr_decay > 0 and self.steps is None:
            raise ValueError("lr_decay > 0 needs the number of steps (steps=...)")
        self.curve = self.original = None
        if norm == "trajectory":
            self.curve = data_trajectory(self.data, "loop", check_positive_int("reg_points", reg_points, 3),
                                         seed=0, split="train")
            self.original = [float(l) for l in traced_lengths(self.params, self.curve, self.activation)]
        self._vg = value_and_grad(self._loss)
        self.perm = np.zeros(0, np.int64)
        self.pos = 0
        self.skipped = 0

    # ---- one step
    def _loss(self, tparams, x, y):
        params = list(self.params)
        i = 0
        for l, keys in zip(self.trainable, self._keys):
            params[l] = dict(zip(keys, tparams[i:i + len(keys)]))
            i += len(keys)
        loss = M.cross_entropy(M.forward(params, x, self.activation), y)
        if self.curve is not None:
            loss = loss + trajectory_penalty(params, self.curve, self.original, self.reg_strength,
                                             self.activation)
        return loss

    def _batch(self):
        n = len(self.data.y_train)
        b = min(self.batch_size, n)
        if self.pos + b > len(self.perm):
            self.perm = self.rng.permutation(n)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + b]
        self.pos += b
        return self.data.x_train[idx], self.data.y_train[idx]

    def lr_at(self, i) -> float:
        """The learning rate of step i: constant, then (with ``lr_decay`` = f > 0) falling
        linearly over the last f * steps steps, to lr / (f * steps) at the last one."""
        if not self.lr_decay or i is None:
            return self.lr
        tail = self.lr_decay * self.steps
        left = self.steps - i
        return self.lr * min(1.0, left / tail) if tail > 0 else self.lr

    def step(self, i=None):
        self.opt.lr = self.lr_at(i)
        x, y = self._batch()
        val, g = self._vg(self.tparams, x, y)
        val = float(val)
        if not np.isfinite(val) or not all(np.isfinite(a).all() for a in g):
            self.skipped += 1
            return {"loss": val}
        self.opt.step(g)
        return {"loss": val}

    # ---- evaluation
    def stats(self):
        """Population statistics of the batch-norm layers on the training set (or None)."""
        return M.population_stats(self.params, self.data.x_train, self.activation)

    def evaluate(self):
        """(test accuracy, train accuracy, stats) of the current parameters."""
        st = self.stats()
        d = self.data
        return (M.accuracy(self.params, d.x_test, d.y_test, self.activation, st),
                M.accuracy(self.params, d.x_train, d.y_train, self.activation, st), st)

    # ---- checkpoints
    def get_state(self):
        return {"params": [{k: v.copy() for k, v in layer.items()} for layer in self.params],
                "opt": optimizer_state(self.opt), "rng": self.rng.bit_generator.state,
                "perm": self.perm.copy(), "pos": self.pos, "skipped": self.skipped}

    def set_state(self, state):
        for layer, saved in zip(self.params, state["params"]):
            for k, v in saved.items():
                np.copyto(layer[k], v)      # in place: the optimiser holds these arrays
        set_optimizer_state(self.opt, state["opt"])
        self.rng.bit_generator.state = state["rng"]
        self.perm, self.pos, self.skipped = state["perm"].copy(), state["pos"], state["skipped"]

    def checkpoint(self, path, every=30.0) -> Checkpoint:
        return Checkpoint(path, self.get_state, self.set_state, every)


def train_classifier(activation="tanh", sigma_w2=1.76, sigma_b2=0.05, depth=10, width=64, steps=1000,
                     seed=0, *, data="digits", optimizer="rmsprop", lr=1e-3, batch_size=128,
                     trainable_layers=None, norm=None, reg_strength=0.01, dtype=np.float32,
                     standardize=True, lr_decay=0.0, checkpoint=None, checkpoint_every=30.0, threads=1, progress=False) -> TrainedClassifier:
    """Train one deep classifier at the mean-field initialisation; return its accuracies.

    Parameters
    ----------
    activation : {"tanh", "hard_tanh", "relu", "linear"}
    sigma_w2, sigma_b2 : float
        Weight and bias variances of every layer (W ~ N(0, sigma_w2 / fan_in)).
    depth, width : int
        Hidden layers (>= 0) and their width; a linear readout to the classes follows.
    steps : int
        Optimisation steps (minibatches of ``batch_size``).
    seed : int or numpy Generator
        Draws the weights, then the batch order.
    data : "digits", expressivity.datasets.Dataset, path, or trained.data.Prepared
        The shipped digits by default; a directory of MNIST IDX files or CIFAR-10 batches.
    standardize : bool
        Centre the inputs and scale them to mean square 1 per coordinate (default), or keep
        the raw pixels in [0, 1] (see :mod:`.data`).
    optimizer : {"sgd", "momentum", "rmsprop", "adam"}
    lr : float
    lr_decay : float in [0, 1]
        Fraction of the final steps over which the learning rate falls linearly towards 0
        (0: constant, the default). Damps the step-to-step noise of the final parameters.
    trainable_layers : sequence of int, optional
        Layers to train (0 .. depth, depth = the readout); the rest stay at initialisation.
    norm : {None, "batch_norm", "trajectory"}
        Batch norm before every hidden nonlinearity, or Raghu's trajectory-regularisation
        layer there (a learned scale and a length penalty of weight ``reg_strength``).
    dtype : numpy floating dtype
    checkpoint : path, optional
        Resume from / save to this file every ``checkpoint_every`` seconds (removed at the end).
    threads : int or None
        BLAS threads during training (None leaves them alone).
    progress : bool

    Returns
    -------
    TrainedClassifier
        ``.test_accuracy``, ``.train_accuracy``, ``.train_loss`` (per step), ``.seconds``,
        ``.seconds_per_step``, ``.params``, ...

    Raises
    ------
    ValueError, TypeError
        Invalid arguments (named in the message).
    """
    steps = check_nonnegative_int("steps", steps)
    settings = dict(activation=activation, sigma_w2=sigma_w2, sigma_b2=sigma_b2, depth=depth, width=width,
                    steps=steps, optimizer=optimizer, lr=lr, batch_size=batch_size, norm=norm,
                    trainable_layers=None if trainable_layers is None else list(trainable_layers),
                    reg_strength=reg_strength, dtype=np.dtype(dtype).name, standardize=standardize,
                    lr_decay=lr_decay,
                    data=data if isinstance(data, str) else getattr(data, "name", type(data).__name__))
    with blas_threads(threads):
        tr = ClassifierTrainer(activation, sigma_w2, sigma_b2, depth, width, seed, data, optimizer, lr,
                               batch_size, trainable_layers, norm, reg_strength, dtype=dtype,
                               standardize=standardize, steps=steps, lr_decay=lr_decay)
        cp = None if checkpoint is None else tr.checkpoint(checkpoint, checkpoint_every)
        t0 = time.perf_counter()
        hist = run_steps(tr.step, steps, desc=f"{activation} depth {depth}", progress=progress,
                         checkpoint=cp)
        seconds = time.perf_counter() - t0
        test, train, stats = tr.evaluate()
    n = len(hist)
    done = n - hist.resumed_from
    return TrainedClassifier(tr.params, test, train, hist["loss"] if "loss" in hist else np.zeros(0),
                             seconds, hist.seconds / done if done else float("nan"), tr.skipped,
                             hist.interrupted, stats, settings)


def checkpoint_path(checkpoint_dir, **settings):
    """A checkpoint file in ``checkpoint_dir`` named by a hash of the run's ``settings`` (one
    file per distinct run), or None without a directory."""
    if checkpoint_dir is None:
        return None
    import hashlib
    import json
    from pathlib import Path

    key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=repr).encode()).hexdigest()[:20]
    return Path(checkpoint_dir) / f"{key}.ckpt"


def accuracy_cell(seed=0, checkpoint_dir=None, **kwargs) -> dict:
    """Sweep cell: :func:`train_classifier` (``seed`` and ``kwargs``), its accuracies, final
    loss (mean of the last 10 % of steps), loss curve, skipped steps and seconds. With a
    ``checkpoint_dir`` the run checkpoints there every 20 s (:func:`checkpoint_path`), so an
    interrupted figure resumes mid-run. Raises KeyboardInterrupt if the run was interrupted
    (so the cell is not stored)."""
    path = checkpoint_path(checkpoint_dir, seed=seed, **kwargs)
    r = train_classifier(seed=seed, checkpoint=path, checkpoint_every=20.0, **kwargs)
    if r.interrupted:
        raise KeyboardInterrupt("training interrupted")
    loss = r.train_loss
    tail = loss[-max(1, len(loss) // 10):] if len(loss) else np.full(1, np.nan)
    return {"test_accuracy": r.test_accuracy, "train_accuracy": r.train_accuracy,
            "final_loss": float(np.mean(tail)), "train_loss": loss, "skipped_steps": r.skipped_steps,
            "seconds": r.seconds}
