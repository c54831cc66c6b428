"""One continual-learning run: a protocol x method x strength x seed.

    from expressivity import continual
    r = continual.run("permuted", "si", strength=0.1, n_tasks=10, seed=0)
    r.accuracy            # (10, 10): accuracy on task j after training task i
    r.average_accuracy, r.forgetting, r.seconds

The training follows the paper's code (``ganguli-lab/pathint``): Adam (lr 1e-3, b1 0.9,
b2 0.999) on minibatches of the current task, reshuffled every epoch (the last, partial
batch included, as Keras' ``fit``), ``epochs`` epochs per task; the optimiser state is reset
between tasks in the split protocol and kept in the permuted one (``reset_optimizer``, as
in the two reference notebooks). Each step

    g      = grad of the unregularised cross-entropy of the minibatch (autodiff)
    g_tot  = g + d(penalty)/d(theta)           (SI: 2 c Omega (theta - theta~); EWC: lam F (...))
    theta  <- optimiser step with g_tot
    SI:  omega += -g * (theta_new - theta_old)

so SI costs two fused vector passes a step (:mod:`._kernels`; the first also keeps theta_old). The settings
whose defaults depend on the protocol are in :data:`DEFAULTS` (the paper's, with the
network of the permuted protocol scaled to digits; see the README).
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

from ..checks import as_generator, check_choice, check_positive, check_positive_int
from ..training import Checkpoint, blas_threads, run_steps
from .base import check_strength
from .ewc import EWC
from .finetune import FineTune
from .joint import TrainSet, task_set, union
from .model import cross_entropy, init_network
from .protocols import PROTOCOLS, Protocol, make
from .result import Result
from .si import SI

__all__ = ["run", "METHODS", "DEFAULTS", "make_method"]

METHODS = ("finetune", "si", "ewc", "joint")

#: Per-protocol defaults. Split: the paper's split-MNIST setting (Sec. 5.1 and
#: ``fig_split_mnist``): 2 x 256 ReLU, batch 64, 10 epochs a task, xi = 1e-3, c = 1, optimiser
#: reset per task, zero-initialised output layer. Permuted: the permuted-MNIST setting
#: (Sec. 5.2, ``fig_permuted_mnist``): batch 256, 20 epochs a task, xi = 0.1, optimiser kept
#: across tasks; the hidden layers are 2 x 2000 there, 2 x 512 here (digits have 64 inputs; a
#: run takes ~15-30 s; wider networks help SI only slowly: 59 % at 512, 64 % at 1000, 69 % at
#: 2000 on seed 0, against joint training's 96-97 %, see the README). The default
#: strengths other than the paper's split c = 1 are the best of the sweeps on digits
#: (``zenke2017_synaptic`` figures): permuted c = 30 (the paper's c = 0.1 on MNIST is close
#: to fine-tuning on digits), EWC lambda = 1e4 (split) and 30 (permuted).
DEFAULTS = {
    "split": dict(hidden=(256, 256), epochs=10, batch_size=64, xi=1e-3, reset_optimizer=True,
                  zero_head=True, strength={"si": 1.0, "ewc": 1e4}),
    "permuted": dict(hidden=(512, 512), epochs=20, batch_size=256, xi=0.1, reset_optimizer=False,
                     zero_head=False, strength={"si": 30.0, "ewc": 30.0}),
}


def make_method(method: str, strength: float, xi: float, fisher="exact", fisher_samples=None, online=False,
                gamma=1.0, record_fisher=None):
    """The :class:`~.base.Method` object for a method name (joint training uses fine-tuning's
    per-stage loop)."""
    check_choice("method", method, METHODS)
    if method == "si":
        return SI(strength, xi, fisher=record_fisher, fisher_samples=fisher_samples)
    if method == "ewc":
        return EWC(strength, online=online, gamma=gamma, fisher=fisher, fisher_samples=fisher_samples)
    return FineTune()


class _Stage:
    """What one stage trains on: a task (sequential methods) or a union of tasks (joint)."""

    def __init__(self, index: int, data: TrainSet, task, n_steps: int, fresh_start: bool):
        self.index, self.data, self.task, self.n_steps, self.fresh_start = index, data, task, n_steps, fresh_start


class _Runner:
    """The state of a run; ``step(i)`` is the i-th optimisation step over all stages."""

    def __init__(self, proto: Protocol, method_name: str, method, stages, net, *, batch_size, epochs, lr, b1, b2,
                 optimizer, reset_optimizer, seed):
        self.proto, self.method_name, self.method, self.stages, self.net = proto, method_name, method, stages, net
        self.batch_size, self.epochs, self.seed = batch_size, epochs, seed
        self.opt_kw = dict(lr=lr, b1=b1, b2=b2) if optimizer == "adam" else dict(lr=lr)
        self.optimizer, self.reset_optimizer = optimizer, reset_optimizer
        self.theta0 = net.theta.copy()
        theta = net.theta
        self.g = np.empty_like(theta)        # unregularised gradient, flat
        self.g_views = type(net)(net.sizes, self.g).params
        self.g_tot = np.empty_like(theta)
        self.prev = np.empty_like(theta)
        self.bounds = np.cumsum([0] + [s.n_steps for s in stages])
        T = len(proto)
        self.accuracy = np.full((T, T), np.nan)
        from expressivity.autodiff import value_and_grad

        self.vg = value_and_grad(cross_entropy)
        self.opt = self._new_optimizer()
        self.order = None
        self.stage_at = -1
        method.start(net)

    @property
    def n_steps(self) -> int:
        return int(self.bounds[-1])

    def _new_optimizer(self):
        from expressivity.autodiff import optim

        if self.optimizer == "adam":
            return optim.adam_inplace([self.net.theta], **self.opt_kw)
        return optim.sgd_inplace([self.net.theta], **self.opt_kw)

    def _begin(self, k: int):
        st = self.stages[k]
        if st.fresh_start:                        # joint: each stage from the same initial parameters
            np.copyto(self.net.theta, self.theta0)
        if k > 0 and (self.reset_optimizer or st.fresh_start):
            self.opt = self._new_optimizer()
        self.method.begin_task(self.net, st.task, st.index)

    def _order(self, k: int):
        st = self.stages[k]
        rng = np.random.default_rng([self.seed, 2, st.index])
        n = len(st.data)
        return np.concatenate([rng.permutation(n) for _ in range(self.epochs)])

    def _end(self, k: int):
        st = self.stages[k]
        rng = np.random.default_rng([self.seed, 3, st.index])
        self.method.end_task(self.net, st.task, st.index, rng)
        for j, task in enumerate(self.proto):
            self.accuracy[st.index, j] = self.net.accuracy(task.x_test, task.y_test, task.classes)

    def step(self, i: int):
        k = int(np.searchsorted(self.bounds, i, side="right")) - 1
        j = i - int(self.bounds[k])
        if j == 0:
            self._begin(k)
        if self.stage_at != k:
            self.order, self.stage_at = self._order(k), k
        st = self.stages[k]
        n, bs = len(st.data), self.batch_size
        per_epoch = math.ceil(n / bs)
        e, b = divmod(j, per_epoch)
        idx = self.order[e * n + b * bs: e * n + min((b + 1) * bs, n)]
        x, t, off = st.data.batch(idx)
        loss, grads = self.vg(self.net.params, x, t, off)
        for gv, gr in zip(self.g_views, grads):
            np.copyto(gv["W"], gr["W"])
            np.copyto(gv["b"], gr["b"])
        method, theta = self.method, self.net.theta
        g_step = method.step_gradient(theta, self.g, self.g_tot, self.prev)
        self.opt.step([g_step])
        if method.tracks_steps:
            method.after_step(self.g, theta, self.prev)
        if j == st.n_steps - 1:
            self._end(k)
        return {"loss": float(loss)}

    # ---- checkpoints: everything the remaining steps depend on
    def get_state(self):
        opt = self.opt
        st = dict(theta=self.net.theta.copy(), accuracy=self.accuracy.copy(), method=self.method.get_state())
        if self.optimizer == "adam":
            st["opt"] = (opt.m.copy(), opt.v.copy(), opt.count)
        return st

    def set_state(self, state):
        np.copyto(self.net.theta, state["theta"])
        self.accuracy[...] = state["accuracy"]
        self.method.set_state(state["method"])
        if "opt" in state:
            m, v, count = state["opt"]
            np.copyto(self.opt.m, m)
            np.copyto(self.opt.v, v)
            self.opt.count = count


def _stages(proto: Protocol, method: str, joint_stages: str, epochs: int, batch_size: int):
    T = len(proto)
    out = []
    if method == "joint":
        which = range(T) if joint_stages == "all" else [T - 1]
        for i in which:
            data = union(proto.tasks[:i + 1], proto.n_outputs)
            out.append(_Stage(i, data, None, epochs * math.ceil(len(data) / batch_size), True))
    else:
        for i, task in enumerate(proto):
            data = task_set(task, proto.n_outputs)
            out.append(_Stage(i, data, task, epochs * math.ceil(len(data) / batch_size), False))
    return out


def run(protocol="permuted", method: str = "si", strength: float | None = None, n_tasks: int | None = None,
        seed: int = 0, *, data="digits", hidden=None, epochs: int | None = None, batch_size: int | None = None,
        lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999, xi: float | None = None,
        reset_optimizer: bool | None = None, optimizer: str = "adam", fisher: str = "exact",
        fisher_samples: int | None = None, online: bool = False, gamma: float = 1.0, joint_stages: str = "all",
        record_fisher: str | None = None, canvas: int | None = None, dtype="float32", progress: bool = False,
        threads: int | None = 1,
        checkpoint=None, checkpoint_every: float = 30.0) -> Result:
    """Train ``method`` on the tasks of ``protocol`` in turn; the accuracy on every task after each.

    Parameters
    ----------
    protocol : "split", "permuted" or a :class:`~.protocols.Protocol`
        Split: 5 two-class tasks, multi-head. Permuted: pixel permutations, single head.
    method : "finetune", "si", "ewc" or "joint"
        Plain training, Synaptic Intelligence, EWC, or joint (multitask) training on the union
        of the tasks (the upper bound; stage i trains afresh on tasks 0..i, see ``joint_stages``).
    strength : float >= 0 or None
        c of SI, lambda of EWC (ignored by fine-tuning and joint training); None: the
        protocol's default (:data:`DEFAULTS`).
    n_tasks : int >= 1 or None
        Number of tasks (None: 5 split, 10 permuted; at most 5 for split).
    seed : int
        Seeds everything: the permutations (as ``protocols.make(..., seed)``), the initial
        weights, the minibatch order and sampled Fishers.
    data : "digits", a directory of MNIST IDX files, or a ``datasets.Dataset``
        Ignored when ``protocol`` is a Protocol.
    hidden, epochs, batch_size, xi, reset_optimizer
        None: the protocol's defaults. ``xi`` is SI's damping (> 0).
    lr, b1, b2, optimizer
        Adam's (the paper's lr 1e-3, b1 0.9, b2 0.999) or ``optimizer="sgd"`` with ``lr``.
    fisher, fisher_samples, online, gamma
        EWC: Fisher kind ("exact" expectation over the model's predictions, "empirical",
        "sampled"), how many training images it averages over (None: all), online EWC and
        its decay.
    joint_stages : "all" or "last"
        Joint training: a model per number of tasks (every row), or only on all of them.
    record_fisher : None or a Fisher kind
        SI: also sum each task's Fisher at its end into ``result.extra["fisher"]``.
    canvas : int or None
        Permuted protocol only: centre the images on a blank canvas x canvas square before
        permuting (an ablation; see :func:`.protocols.permuted`).
    dtype : "float32" or "float64"
    progress, threads
        A progress bar; BLAS threads (None: leave them).
    checkpoint : path or None
        Save the run's state there every ``checkpoint_every`` seconds and resume from it.

    Returns
    -------
    Result
        ``.accuracy`` (n_tasks x n_tasks), ``.average_accuracy``, ``.forgetting``,
        ``.seconds``, ``.loss``, ``.extra``.

    Raises
    ------
    ValueError
        Unknown protocol or method, strength < 0, xi <= 0, n_tasks < 1 (or more than the
        protocol has), bad sizes or rates; each message names the argument.
    """
    t0 = time.perf_counter()
    check_choice("method", method, METHODS)
    if isinstance(protocol, Protocol):
        proto_name = protocol.name
    else:
        proto_name = check_choice("protocol", protocol, PROTOCOLS)
    d = DEFAULTS[proto_name]
    if n_tasks is not None:
        n_tasks = check_positive_int("n_tasks", n_tasks)
    if strength is None:
        strength = d["strength"].get(method, 0.0)
    strength = check_strength("strength", strength)
    xi = check_positive("xi", d["xi"] if xi is None else xi)
    hidden = tuple(d["hidden"] if hidden is None else hidden)
    for i, h in enumerate(hidden):
        check_positive_int(f"hidden[{i}]", h)
    epochs = check_positive_int("epochs", d["epochs"] if epochs is None else epochs)
    batch_size = check_positive_int("batch_size", d["batch_size"] if batch_size is None else batch_size)
    lr = check_positive("lr", lr)
    optimizer = check_choice("optimizer", optimizer, ("adam", "sgd"))
    joint_stages = check_choice("joint_stages", joint_stages, ("all", "last"))
    reset_optimizer = d["reset_optimizer"] if reset_optimizer is None else bool(reset_optimizer)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype}")
    if isinstance(protocol, Protocol):
        if canvas is not None:
            raise ValueError("canvas must be None when protocol is a Protocol (build it with protocols.permuted)")
        if n_tasks is not None and n_tasks > len(protocol):
            raise ValueError(f"n_tasks must be an integer in [1, {len(protocol)}] for this protocol, got {n_tasks}")
        proto = protocol if n_tasks is None else Protocol(protocol.name, protocol.tasks[:n_tasks], protocol.n_inputs,
                                                          protocol.n_outputs, protocol.multi_head,
                                                          protocol.data_name, protocol.seed)
    else:
        as_generator(seed)
        proto = make(proto_name, n_tasks, seed, data, canvas)
    if dtype != np.float32:
        proto = _cast(proto, dtype)
    meth = make_method(method, strength, xi, fisher, fisher_samples, online, gamma, record_fisher)
    net = init_network([proto.n_inputs, *hidden, proto.n_outputs], np.random.default_rng([seed, 1]), dtype,
                       zero_head=d["zero_head"])
    stages = _stages(proto, method, joint_stages, epochs, batch_size)
    runner = _Runner(proto, method, meth, stages, net, batch_size=batch_size, epochs=epochs, lr=lr, b1=b1, b2=b2,
                     optimizer=optimizer, reset_optimizer=reset_optimizer, seed=seed)
    ck = None
    if checkpoint is not None:
        ck = Checkpoint(os.fspath(checkpoint), runner.get_state, runner.set_state, every=checkpoint_every)
    with blas_threads(threads):
        hist = run_steps(runner.step, runner.n_steps, desc=f"{proto.name}/{method}", progress=progress,
                         checkpoint=ck)
    settings = dict(hidden=hidden, epochs=epochs, batch_size=batch_size, lr=lr, b1=b1, b2=b2, xi=xi,
                    reset_optimizer=reset_optimizer, optimizer=optimizer, data=proto.data_name, canvas=canvas,
                    dtype=str(dtype))
    if method == "ewc":
        settings.update(fisher=fisher, fisher_samples=fisher_samples, online=online, gamma=gamma)
    if method == "joint":
        settings.update(joint_stages=joint_stages)
    extra = meth.extra() if len(hist) == runner.n_steps else {}
    return Result(proto.name, method, strength if method in ("si", "ewc") else 0.0, int(seed), runner.accuracy,
                  time.perf_counter() - t0, hist["loss"] if "loss" in hist else np.zeros(0), settings, extra,
                  hist.interrupted)


def _cast(proto: Protocol, dtype) -> Protocol:
    from .protocols import Task

    tasks = tuple(Task(t.name, t.x_train.astype(dtype), t.y_train, t.x_test.astype(dtype), t.y_test, t.classes)
                  for t in proto.tasks)
    return Protocol(proto.name, tasks, proto.n_inputs, proto.n_outputs, proto.multi_head, proto.data_name,
                    proto.seed)
