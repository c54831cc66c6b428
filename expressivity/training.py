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
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

import numpy as np

__all__ = ["History", "run_steps", "blas_threads"]


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
    KeyboardInterrupt stopped the loop, ``seconds`` the wall time spent.
    """

    values: dict = field(default_factory=dict)
    n_requested: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __len__(self) -> int:
        return min((len(v) for v in self.values.values()), default=0)

    def keys(self):
        return self.values.keys()


def _as_record(out) -> Mapping[str, float]:
    if out is None:
        return {}
    if isinstance(out, Mapping):
        return out
    return {"value": out}


def run_steps(step: Callable[[int], object], n_steps: int, *, desc: str = "training",
              progress: bool = True, postfix_every: int = 50, interrupt: str = "stop",
              check_finite: bool = False) -> History:
    """Call ``step(i)`` for ``i = 0 .. n_steps - 1`` and record what it returns.

    ``step`` returns ``None``, a scalar (recorded as ``"value"``) or a mapping of names to
    scalars (float64 arrays are grown on first sight of a name; a name missing at a step is
    recorded as NaN). ``interrupt`` is ``"stop"`` (return the partial history with
    ``interrupted=True``) or ``"raise"``. With ``check_finite`` a non-finite recorded value
    raises ``FloatingPointError`` naming the step and the record.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    if interrupt not in ("stop", "raise"):
        raise ValueError(f"interrupt must be 'stop' or 'raise', got {interrupt!r}")
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    n_steps = int(n_steps)
    postfix_every = max(1, int(postfix_every))
    from tqdm.auto import tqdm

    buffers: dict[str, np.ndarray] = {}
    done = 0
    interrupted = False
    t0 = time.perf_counter()
    bar = tqdm(total=n_steps, desc=desc, disable=not progress, leave=False,
               mininterval=0.5, dynamic_ncols=True)
    try:
        for i in range(n_steps):
            rec = _as_record(step(i))
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
    except KeyboardInterrupt:
        interrupted = True
        if interrupt == "raise":
            raise
    finally:
        bar.close()
    return History({k: v[:done].copy() for k, v in buffers.items()}, n_steps, interrupted,
                   time.perf_counter() - t0)
