"""A small generic training loop shared by :mod:`expressivity.mi` and :mod:`expressivity.gan`.

    def step(i):                       # one optimisation step; returns what to record
        val, g = value_and_grad(loss)(params, *batch(i))
        opt.step(g)
        return {"loss": val}           # or a plain float (recorded as "value")

    hist = run_steps(step, 1000, desc="critic")
    hist["loss"]                       # numpy array, one entry per completed step
    hist.interrupted                   # True if Ctrl-C stopped the loop early

The loop shows a tqdm progress bar (with the latest recorded values as postfix), records
scalars per step into preallocated arrays, and is interruption safe: a KeyboardInterrupt ends
the loop after the last completed step and returns the partial history (``interrupt="raise"``
re-raises after closing the bar). Nothing here knows about models or losses.

Every training entry point of the package runs its loop inside :func:`blas_threads`: small
matrices are slower with several BLAS threads, and on a loaded machine OpenBLAS threads that
busy-wait made 1000 MI steps take 62 s instead of 1.5 s. The default is one thread; pass
``threads=None`` to a trainer to leave the BLAS pools as they are.

Long runs checkpoint: pass ``checkpoint=Checkpoint(path, get_state, set_state)`` and the loop
pickles the recorded values and ``get_state()`` (everything the remaining steps depend on:
parameters, optimiser state, the generator) atomically every ``every`` seconds at a step
boundary. Started again with the same path, it restores them with ``set_state`` and continues
from the saved step, so an interrupt or a crash loses at most ``every`` seconds; the file is
removed when the run completes.
"""
from __future__ import annotations

import contextlib
import math
import os
import pickle
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

__all__ = ["History", "Checkpoint", "run_steps", "blas_threads"]


@contextlib.contextmanager
def blas_threads(threads: int | None = 1) -> Iterator[None]:
    """Limit BLAS/OpenMP thread pools to ``threads`` inside the block (threadpoolctl).

    ``None`` leaves them untouched. The limits are restored on exit, also after an exception
    or a KeyboardInterrupt.
    """
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be None (leave BLAS alone) or an integer >= 1, got {threads!r}")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        yield


@dataclass
class History:
    """Per-step records of :func:`run_steps`.

    ``values[name]`` has one entry per completed step (``len(history)`` of them);
    ``n_requested`` is the number of steps asked for, ``interrupted`` whether a
    KeyboardInterrupt stopped the loop, ``seconds`` the wall time spent in this call and
    ``resumed_from`` the step a checkpoint restored (0: started afresh).
    """

    values: dict = field(default_factory=dict)
    n_requested: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    resumed_from: int = 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __len__(self) -> int:
        return min((len(v) for v in self.values.values()), default=0)

    def keys(self):
        return self.values.keys()


@dataclass
class Checkpoint:
    """Where and how often :func:`run_steps` saves a resumable state.

    ``get_state()`` returns a picklable snapshot of everything the remaining steps depend on
    (it is pickled at once, so returning live arrays is fine); ``set_state(state)`` puts such
    a snapshot back. ``every`` is the interval in seconds between saves.
    """

    path: Any
    get_state: Callable[[], Any]
    set_state: Callable[[Any], None]
    every: float = 30.0

    def __post_init__(self):
        self.path = Path(self.path)
        if not callable(self.get_state) or not callable(self.set_state):
            raise TypeError("get_state and set_state must be callable")
        if not (isinstance(self.every, (int, float)) and self.every >= 0):
            raise ValueError(f"every must be a number of seconds >= 0, got {self.every!r}")

    def save(self, n_steps: int, done: int, buffers: Mapping[str, np.ndarray]) -> None:
        payload = {"format": 1, "n_steps": n_steps, "done": done,
                   "buffers": {k: v[:done] for k, v in buffers.items()}, "state": self.get_state()}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(tmp, "wb") as f:
                pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            if tmp.exists():
                tmp.unlink()

    def load(self, n_steps: int):
        """``(done, buffers)`` restored from the file (state set), or None if there is none."""
        if not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as f:
                payload = pickle.load(f)
            if payload.get("format") != 1 or payload["n_steps"] != n_steps:
                raise ValueError(f"written for n_steps={payload.get('n_steps')}, not {n_steps}")
        except Exception as e:  # a damaged or foreign file: start afresh, say so
            warnings.warn(f"checkpoint {self.path} not used ({type(e).__name__}: {e}); starting afresh",
                          RuntimeWarning, stacklevel=3)
            return None
        self.set_state(payload["state"])
        return payload["done"], payload["buffers"]


def _as_record(out) -> Mapping[str, float]:
    if out is None:
        return {}
    if isinstance(out, Mapping):
        return out
    return {"value": out}


def run_steps(step: Callable[[int], object], n_steps: int, *, desc: str = "training",
              progress: bool = True, postfix_every: int = 50, interrupt: str = "stop",
              check_finite: bool = False, checkpoint: Checkpoint | None = None) -> History:
    """Call ``step(i)`` for ``i = 0 .. n_steps - 1`` and record what it returns.

    ``step`` returns ``None``, a scalar (recorded as ``"value"``) or a mapping of names to
    scalars (float64 arrays are grown on first sight of a name; a name missing at a step is
    recorded as NaN). ``interrupt`` is ``"stop"`` (return the partial history with
    ``interrupted=True``) or ``"raise"``. With ``check_finite`` a non-finite recorded value
    raises ``FloatingPointError`` naming the step and the record; a ``FloatingPointError`` from
    ``step`` (e.g. an optimiser refusing a NaN gradient) is raised again naming ``desc`` and
    the step. With a ``checkpoint``
    (:class:`Checkpoint`) the loop resumes from a saved step and saves every
    ``checkpoint.every`` seconds; the file is removed when all steps are done.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    if interrupt not in ("stop", "raise"):
        raise ValueError(f"interrupt must be 'stop' or 'raise', got {interrupt!r}")
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"checkpoint must be a training.Checkpoint or None, got {type(checkpoint).__name__}")
    n_steps = int(n_steps)
    postfix_every = max(1, int(postfix_every))
    from tqdm.auto import tqdm

    buffers: dict[str, np.ndarray] = {}
    done = start = 0
    if checkpoint is not None:
        restored = checkpoint.load(n_steps)
        if restored is not None:
            done = start = int(restored[0])
            for name, v in restored[1].items():
                buffers[name] = np.full(n_steps, np.nan)
                buffers[name][:done] = v
    interrupted = False
    t0 = last_save = time.perf_counter()
    bar = tqdm(total=n_steps, initial=start, desc=desc, disable=not progress, leave=False,
               mininterval=0.5, dynamic_ncols=True)
    try:
        for i in range(start, n_steps):
            try:
                rec = _as_record(step(i))
            except FloatingPointError as e:   # a diverging run: say which run and when
                raise FloatingPointError(f"{desc}: training diverged at step {i} of {n_steps} ({e}); the "
                                         "learning rate or a penalty strength is too large for this "
                                         "run") from e
            for name, v in rec.items():
                buf = buffers.get(name)
                if buf is None:
                    buf = buffers[name] = np.full(n_steps, np.nan)
                v = float(v)
                if check_finite and not math.isfinite(v):
                    raise FloatingPointError(f"step {i}: recorded {name!r} is not finite ({v})")
                buf[i] = v
            done = i + 1
            bar.update(1)
            if progress and (i % postfix_every == 0 or done == n_steps) and rec:
                bar.set_postfix({k: f"{float(v):.3g}" for k, v in list(rec.items())[:4]},
                                refresh=False)
            if checkpoint is not None and done < n_steps and time.perf_counter() - last_save >= checkpoint.every:
                checkpoint.save(n_steps, done, buffers)
                last_save = time.perf_counter()
    except KeyboardInterrupt:
        interrupted = True
        if interrupt == "raise":
            raise
    finally:
        bar.close()
    if checkpoint is not None and done == n_steps and checkpoint.path.exists():
        checkpoint.path.unlink()
    return History({k: v[:done].copy() for k, v in buffers.items()}, n_steps, interrupted,
                   time.perf_counter() - t0, start)
