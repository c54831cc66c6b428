"""Running a sweep on any ``concurrent.futures.Executor``, resumably, with a progress bar.

``run(fn, grid, store)`` calls ``fn(**params, **fixed)`` for every cell of ``grid`` whose
result is not yet in ``store``, writes each result as it arrives (in this process, so the
workers need no access to the store), and returns all cells as a :class:`LabelledArray`.

* Executors: ``None`` (default) is a local ``ProcessPoolExecutor`` on all cores; an int ``n``
  is a local pool of ``n`` processes (its workers exit when the driver dies, even by
  ``kill -9``); ``"inprocess"`` runs the cells in this process one by one (for debugging: the
  function's own frames are on the traceback); any ``concurrent.futures.Executor`` (thread
  pool, ``mpi4py.futures``...) is used as given; a dask ``Client`` or its
  ``get_executor()`` runs the cells as dask futures. There is no scheduler here: cells are
  submitted in a bounded window and collected as they finish, through done-callbacks, with
  every wait bounded (a cancelled future leaves the window at once: it never blocks).
* Resume: existing cell files are verified (checksum, parameters); verified cells are not
  recomputed, missing ones are, and corrupt or partial ones are moved to
  ``<store>/.corrupt/``, reported with a :class:`CorruptCellWarning`, and recomputed. A crash
  at any moment leaves only complete cells behind because every file is written atomically.
* Several drivers on one store (two terminals, two cluster jobs): each claims a cell before
  computing it (:mod:`.claims`), so they share the work; claims of a driver that died are
  taken over, so a rerun is never blocked.
* Errors: with ``on_error="raise"`` the first failing cell stops submission, cells already
  running are waited for and stored (a dask cluster cancels them), and the original
  exception is re-raised with a note naming the cell. With ``"continue"`` every other cell is
  computed and a :class:`SweepError` listing the failures is raised at the end. A pool whose
  worker process dies, and a store that cannot be written (full disk, read-only), stop the
  sweep with one line saying what happened and what is stored. Ctrl-C cancels what has not
  started, stops the local workers, and re-raises ``KeyboardInterrupt``; run again to resume.
* Progress: a tqdm bar over all cells (done ones counted from the start), advanced as each
  future completes, so counts and time remaining are right on a cluster too; at the end one
  line says what was computed, found stored, or computed by another driver (also in
  ``result.attrs["run"]``).
"""
from __future__ import annotations

import os
import pickle
import queue
import re
import socket
import sys
import threading
import time
import traceback
import warnings
from collections import deque
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from ..checks import plain
from .claims import Claims, NoClaims, StoreNotWritable, describe
from .grid import Grid, check_call
from .labelled import LabelledArray
from .store import CorruptCell, Store, _store_path, as_fields, canonical, cell_key, function_id, function_key

INPROCESS = "inprocess"
DEFAULT_ROOT = ".sweeps"
TICK = 1.0  # longest single wait of the driver (seconds)


class SweepError(RuntimeError):
    """Some cells failed, or the executor broke; ``.failures`` lists ``(params, exception)``."""

    def __init__(self, message: str, failures: list[tuple[dict, BaseException]]):
        super().__init__(message)
        self.failures = failures


class IncompleteSweep(ValueError):
    """:func:`load` found cells that are missing or corrupt; ``.missing`` lists their params."""

    def __init__(self, message: str, missing: list[dict]):
        super().__init__(message)
        self.missing = missing


class CorruptCellWarning(RuntimeWarning):
    """A cell file failed verification and is being recomputed."""


def _warn_corrupt(messages: list[str], action: str) -> None:
    if messages:
        warnings.warn(f"{len(messages)} corrupt cell file(s) {action}; first: {messages[0]}",
                      CorruptCellWarning, stacklevel=3)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


# ---------------------------------------------------------------------------- worker side
def _compute_chunk(fn: Callable, fixed: Mapping[str, Any], chunk: list[tuple[int, dict]]):
    """Run a list of cells; return ``(done, failure)``.

    ``done`` is a list of ``(position, fields, info)``; ``failure`` is ``None`` or
    ``(position, exception, formatted traceback)`` for the first cell that raised (later
    cells of the chunk are not run). Runs in the worker.
    """
    done = []
    for pos, params in chunk:
        t0 = time.perf_counter()
        try:
            fields = as_fields(fn(**params, **fixed))
        except Exception as exc:  # noqa: BLE001 - reported to the driver with the cell
            return done, (pos, exc, traceback.format_exc())
        info = {"seconds": time.perf_counter() - t0, "host": socket.gethostname(), "pid": os.getpid()}
        done.append((pos, fields, info))
    return done, None


_BLAS_LIMIT = []


def _worker_init(blas_threads: int, parent: int) -> None:
    """Initializer of the local pool's workers: share the BLAS threads, and exit when the
    driver dies.

    Forked workers inherit the parent's thread pools; with every worker running BLAS on all
    cores the threads oversubscribe the machine (OpenBLAS busy-waits: several times slower).
    A worker blocked on its task queue never notices that its driver was killed (it holds
    the queue's write end itself), so it asks the kernel for SIGKILL when the parent dies
    (Linux) and also polls its parent pid twice a second (any POSIX).
    """
    try:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMIT.append(threadpool_limits(limits=blas_threads))
    except ImportError:   # pragma: no cover - threadpoolctl is a dependency
        pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except Exception:  # noqa: BLE001 - best effort; the poll below still works
            pass
    if hasattr(os, "getppid"):
        if os.getppid() != parent:  # the driver died before we got here
            os._exit(1)

        def watch():
            while True:
                time.sleep(0.5)
                if os.getppid() != parent:
                    os._exit(1)

        threading.Thread(target=watch, name="sweep-driver-watch", daemon=True).start()


# ---------------------------------------------------------------------------- planning
class _Plan:
    """Every cell of a sweep with its key, and the checks done before any work."""

    def __init__(self, fn: Callable, grid: Grid, store: Store | str | os.PathLike | None,
                 fixed: Mapping[str, Any] | None):
        if not callable(fn):
            raise TypeError(f"fn must be a callable (the function to sweep), got {type(fn).__name__}")
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a sweep.Grid (e.g. Grid(width=[16, 64], seeds=3)), "
                            f"got {type(grid).__name__}")
        if fixed is not None and not isinstance(fixed, Mapping):
            raise TypeError(f"fixed must be a dict of keyword arguments, got {type(fixed).__name__}")
        check_call(fn, grid, fixed)
        self.fn, self.grid = fn, grid
        self.fixed = dict(fixed or {})
        self.fn_id = function_id(fn)
        self.fn_key = function_key(fn)
        if store is None:  # by the function's name only, so a script and a REPL share it
            qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
            store = Path(DEFAULT_ROOT) / re.sub(r"[^A-Za-z0-9_.-]+", "_", qualname)
            legacy = Path(DEFAULT_ROOT) / re.sub(r"[^A-Za-z0-9_.-]+", "_", self.fn_id)
            if not store.exists() and legacy.is_dir():  # the default before content keys
                store = legacy
        if not isinstance(store, Store):
            store = Store(_store_path(store))
        self.store = store
        self.fixed_c = {}
        for name, value in self.fixed.items():
            try:
                self.fixed_c[name] = canonical(value)
            except TypeError as exc:
                raise TypeError(f"fixed argument {name!r}: {exc}") from None
        self.fixed_c = canonical(self.fixed_c)  # sorted
        self.cells = [(params, cell_key(self.fn_key, params, self.fixed_c)) for _, params in grid]

    def legacy_keys(self) -> list[str]:
        """The keys this sweep's cells had before content keys (function by module:qualname)."""
        fixed_l = canonical(self.fixed, legacy=True)
        return [cell_key(self.fn_id, params, fixed_l) for params, _ in self.cells]

    def meta(self, params: dict, info: Mapping[str, Any]) -> dict:
        from .. import __version__

        return {"function": self.fn_id, "function_key": self.fn_key, "params": canonical(params),
                "fixed": self.fixed_c, "version": __version__,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **info}

    def scan(self, keep: bool, migrate: bool = False) -> tuple[dict[int, dict], list[int], list[str], int]:
        """Verify the cells on disk: ``(results by position, todo positions, corruption
        messages, cells found under their pre-content-hash key)``. With ``migrate`` those
        are rewritten under their new key."""
        self.store.remove_stale_temporaries()
        present = set(self.store.keys())
        results, todo, corrupt, migrated = {}, [], [], 0
        legacy = self.legacy_keys() if present else None
        for pos, (params, key) in enumerate(self.cells):
            if key not in present:
                fields = self._legacy(pos, legacy, present, migrate) if legacy else None
                if fields is None:
                    todo.append(pos)
                else:
                    migrated += 1
                    if keep:
                        results[pos] = fields
                continue
            try:
                fields, _ = self.store.read(key, params)
            except FileNotFoundError:
                todo.append(pos)
                continue
            except CorruptCell as exc:
                corrupt.append(str(exc))
                todo.append(pos)
                continue
            if keep:
                results[pos] = fields
        return results, todo, corrupt, migrated

    def _legacy(self, pos: int, legacy: list[str], present: set, migrate: bool) -> dict | None:
        old = legacy[pos]
        if old not in present:
            return None
        params, key = self.cells[pos]
        try:
            fields, meta = self.store.read(old, params)
        except (FileNotFoundError, CorruptCell):
            return None
        if migrate:
            try:
                info = {k: meta[k] for k in ("seconds", "host", "pid", "created") if k in meta}
                self.store.write(key, fields, dict(self.meta(params, info), migrated_from=old,
                                                   version_written=meta.get("version")))
                self.store.file(old).unlink()
            except OSError:
                pass  # read-only store: keep using the old file
        return fields

    def attrs(self) -> dict:
        from .. import __version__

        return {"function": self.fn_id, "function_key": self.fn_key, "fixed": self.fixed_c,
                "store": str(self.store.path), "version": __version__}

    def assemble(self, results: Mapping[int, Mapping[str, np.ndarray]],
                 fill_missing: bool = False) -> LabelledArray:
        grid = self.grid
        if not results:
            raise IncompleteSweep("no cell of this sweep is in the store", [p for p, _ in self.cells])
        if len(results) < len(grid) and not fill_missing:
            gone = [self.cells[pos][0] for pos in range(len(grid)) if pos not in results]
            raise IncompleteSweep(f"{len(gone)} of {len(grid)} cells are missing (first: {gone[0]}); "
                                  "run the sweep again to compute them", gone)
        names = None
        for pos, fields in results.items():
            if names is None:
                names, first = sorted(fields), pos
            elif sorted(fields) != names:
                raise ValueError(f"cells return different fields: {names} at {self.cells[first][0]} "
                                 f"but {sorted(fields)} at {self.cells[pos][0]}")
        values = {}
        for name in names:
            shapes = {np.shape(f[name]) for f in results.values()}
            if len(shapes) > 1:
                raise ValueError(f"result field {name!r} has different shapes across cells: {sorted(shapes)}")
            dtype = np.result_type(*{f[name].dtype for f in results.values()})
            if fill_missing and len(results) < len(grid):
                dtype = np.result_type(dtype, np.float64)
            out = np.empty((len(grid),) + shapes.pop(), dtype=dtype)
            if fill_missing:
                out[...] = np.nan
            for pos, fields in results.items():
                out[pos] = fields[name]
            values[name] = out.reshape(grid.shape + out.shape[1:])
        return LabelledArray(grid.dims, grid.coords, values, self.attrs())


# ---------------------------------------------------------------------------- executors
def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _is_dask_client(executor: Any) -> bool:
    return hasattr(executor, "get_executor") and hasattr(executor, "submit") and not isinstance(executor, Executor)


def _check_executor(executor: Any) -> None:
    allowed = (f"None (local processes), {INPROCESS!r}, a number of local processes >= 1, a "
               "concurrent.futures.Executor or a dask Client")
    if executor is None or isinstance(executor, Executor) or _is_dask_client(executor):
        return
    if isinstance(executor, str):
        if executor != INPROCESS:
            raise ValueError(f"executor={executor!r}: the only string allowed is {INPROCESS!r}; "
                             f"executor may be {allowed}")
        return
    if isinstance(executor, (int, np.integer)) and not isinstance(executor, (bool, np.bool_)):
        if executor < 1:
            raise ValueError(f"executor={plain(executor)}: a number of local worker processes must be >= 1")
        return
    raise TypeError(f"executor must be {allowed}; got {type(executor).__name__}")


def _check_picklable(plan: _Plan, executor: Any) -> None:
    """Cells sent to worker processes must pickle (a dask cluster: cloudpickle): say so
    before any pool starts or any task is submitted."""
    dumps = pickle.dumps
    if _is_dask_client(executor) or type(executor).__name__ == "ClientExecutor":
        try:
            import cloudpickle

            dumps = cloudpickle.dumps
        except ImportError:  # pragma: no cover - dask depends on cloudpickle
            return
    elif not (executor is None or (isinstance(executor, (int, np.integer)) and not isinstance(executor, bool))
              or isinstance(executor, ProcessPoolExecutor)):
        return
    for what, value in (("fn", plan.fn), *((f"fixed[{k!r}]", v) for k, v in plan.fixed.items())):
        try:
            dumps(value)
        except Exception as exc:  # noqa: BLE001 - any failure: it cannot reach a worker
            name = getattr(value, "__qualname__", type(value).__name__)
            hint = ("a lambda or a function defined inside another function cannot be pickled: "
                    "define it at module level" if "<lambda>" in name or "<locals>" in name
                    else "make it picklable (module-level functions and classes)")
            raise TypeError(f"{what}={name} cannot be sent to worker processes ({type(exc).__name__}: "
                            f"{exc}); {hint}, or run the cells in this process with "
                            f"executor={INPROCESS!r}") from None


def _local_pool(n_workers: int) -> ProcessPoolExecutor:
    per = max(1, _cpu_count() // n_workers)
    return ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_init, initargs=(per, os.getpid()))


def _stop_own_pool(pool: Executor) -> None:
    """Cancel queued work and end the worker processes of a pool we created.

    On Python 3.11 the pool's management thread, finding its workers gone, calls
    ``set_exception`` on futures we already cancelled and dies with InvalidStateError
    (a CPython race); that thread's traceback is noise on the way out, so it is silenced
    for the duration of the shutdown.
    """
    import concurrent.futures

    previous = threading.excepthook

    def quiet(args):
        if not issubclass(args.exc_type, concurrent.futures.InvalidStateError):
            previous(args)

    threading.excepthook = quiet
    try:
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            try:
                p.terminate()
            except Exception:  # noqa: BLE001 - already gone
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        for p in procs:
            p.join(timeout=5)
    finally:
        threading.excepthook = previous


class _InProcess:
    """Cells run at submission, in this process."""

    workers = 1

    def __init__(self, plan: _Plan):
        self.plan, self.ready = plan, deque()

    def submit(self, chunk):
        handle = object()
        self.ready.append((handle, "ok", _compute_chunk(self.plan.fn, self.plan.fixed, chunk)))
        return handle

    def poll(self, timeout: float):
        out, self.ready = list(self.ready), deque()
        return out

    def cancel(self, handle) -> bool:
        return True

    def close(self, abort: bool) -> None:
        pass


def _drain(done: queue.SimpleQueue, timeout: float) -> list:
    """The futures put on ``done`` by their callbacks: wait up to ``timeout`` for the first,
    then take every one already there."""
    try:
        futs = [done.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            futs.append(done.get_nowait())
        except queue.Empty:
            return futs


class _Futures:
    """Any concurrent.futures.Executor. Completions arrive through done-callbacks on a queue
    (no ``wait`` over every pending future, and a future that is cancelled but never
    notified, as dask's ClientExecutor leaves them, cannot block anything)."""

    def __init__(self, plan: _Plan, pool: Executor, own: bool):
        self.plan, self.pool, self.own = plan, pool, own
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.workers = getattr(pool, "_max_workers", None)
        self._procs: dict = {}

    def processes(self) -> list:
        """The pool's worker processes seen so far (a broken pool forgets its own)."""
        for p in list((getattr(self.pool, "_processes", None) or {}).values()):
            self._procs[p.pid] = p
        return list(self._procs.values())

    def submit(self, chunk):
        fut = self.pool.submit(_compute_chunk, self.plan.fn, self.plan.fixed, chunk)
        if self.own:
            self.processes()
        fut.add_done_callback(self.done.put)
        return fut

    def poll(self, timeout: float):
        futs = _drain(self.done, timeout)
        if not futs:
            return []
        return [(f, *self._outcome(f)) for f in futs]

    @staticmethod
    def _outcome(fut):
        if fut.cancelled():
            return "cancelled", None
        exc = fut.exception()
        return ("error", exc) if exc is not None else ("ok", fut.result())

    def cancel(self, fut) -> bool:
        return fut.cancel()

    def close(self, abort: bool) -> None:
        if not self.own:
            return
        if abort:
            _stop_own_pool(self.pool)
        else:
            self.pool.shutdown(wait=True)


class _Dask:
    """A dask.distributed Client (or its ``get_executor()``), through dask's own futures:
    cancelling one is final (no wrapper future that may never be notified)."""

    def __init__(self, plan: _Plan, client: Any, kwargs: Mapping[str, Any]):
        self.plan, self.client, self.kwargs = plan, client, dict(kwargs)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        try:
            self.workers = sum(client.nthreads().values())
        except Exception:  # noqa: BLE001 - unknown size
            self.workers = None

    def submit(self, chunk):
        # pure=False: a task of another sweep (or an earlier run) with the same arguments must
        # not share this one's key, or cancelling one would cancel the other
        fut = self.client.submit(_compute_chunk, self.plan.fn, self.plan.fixed, chunk, **dict(self.kwargs, pure=False))
        fut.add_done_callback(self.done.put)
        return fut

    def poll(self, timeout: float):
        futs = _drain(self.done, timeout)
        if not futs:
            return []
        out = []
        finished = [f for f in futs if f.status == "finished"]
        if finished:  # one round trip for all of them
            try:
                values = self.client.gather(finished, errors="raise")
            except Exception:  # noqa: BLE001 - one was lost meanwhile: fetch one by one
                values = None
            for i, fut in enumerate(finished):
                if values is not None:
                    out.append((fut, "ok", values[i]))
                    continue
                try:
                    out.append((fut, "ok", fut.result()))
                except Exception as exc:  # noqa: BLE001 - lost between status and fetch
                    out.append((fut, "error", exc))
        for fut in futs:
            status = fut.status
            if fut in finished:
                continue
            if status == "finished":  # finished since
                try:
                    out.append((fut, "ok", fut.result()))
                except Exception as exc:  # noqa: BLE001
                    out.append((fut, "error", exc))
            elif status == "cancelled":
                out.append((fut, "cancelled", None))
            else:
                try:
                    exc = fut.exception(timeout=TICK)
                except BaseException as err:  # noqa: BLE001
                    if isinstance(err, KeyboardInterrupt):
                        raise
                    exc = err
                out.append((fut, "error", exc if exc is not None else RuntimeError(f"dask future {status}")))
        return out

    def cancel(self, fut) -> bool:
        if fut.status == "finished":
            return False  # its callback delivers it: keep it
        fut.cancel()
        return True

    def close(self, abort: bool) -> None:
        pass


def _backend(plan: _Plan, executor: Any):
    """The backend for ``executor`` and whether we own (and must stop) its pool."""
    if executor == INPROCESS:
        return _InProcess(plan)
    if executor is None:
        return _Futures(plan, _local_pool(_cpu_count()), own=True)
    if isinstance(executor, (int, np.integer)):
        return _Futures(plan, _local_pool(int(executor)), own=True)
    if _is_dask_client(executor):
        return _Dask(plan, executor, {})
    client = getattr(executor, "_client", None)
    if type(executor).__name__ == "ClientExecutor" and client is not None and hasattr(client, "submit"):
        return _Dask(plan, client, getattr(executor, "_kwargs", {}) or {})
    return _Futures(plan, executor, own=False)


def _default_pending(backend) -> int:
    """Tasks to keep in flight: 4 per worker, at least 64 (local pools) or 1024 (clusters)."""
    if isinstance(backend, _InProcess):
        return 1
    if isinstance(backend, _Futures) and backend.workers:
        return max(64, 4 * backend.workers)
    return max(1024, 4 * (backend.workers or 0))


# ---------------------------------------------------------------------------- driver
def run(fn: Callable, grid: Grid, store: Store | str | os.PathLike | None = None, *,
        fixed: Mapping[str, Any] | None = None, executor: Any = None, chunksize: int = 1,
        progress: bool = True, on_error: str = "raise", load: bool = True,
        max_pending: int | None = None, desc: str | None = None) -> LabelledArray | None:
    """Compute every cell of ``grid`` not yet in ``store``; return all cells as a LabelledArray.

    Parameters
    ----------
    fn : callable
        Called as ``fn(**params, **fixed)`` (``params`` include ``seed`` when the grid has
        seeds). Returns a dict of scalars/arrays, a dataclass, a namedtuple, or one
        scalar/array (field ``"value"``). Must be picklable (module level) for process
        executors, and deterministic given its arguments for resumes to be exact. Cells are
        keyed by its content (:func:`expressivity.sweep.store.function_key`), not by where
        it is defined.
    grid : Grid
        The cells: one call per point of the grid.
    store : Store or path, optional
        Directory of cell files (see :mod:`expressivity.sweep.store`). Default:
        ``.sweeps/<function name>`` in the working directory (``.sweeps/<module_function>``
        if only that one exists: the default before content keys).
    fixed : dict, optional
        Keyword arguments passed unchanged to every cell; part of each cell's key.
    executor : None, "inprocess", int, Executor or dask Client
        Where cells run (see the module docstring). Executors you pass are not shut down.
    chunksize : int
        Cells per task (>= 1); larger amortises scheduling overhead for very cheap cells.
    progress : bool
        Show a tqdm bar with counts and time remaining, and a summary line at the end.
    desc : str, optional
        The label of the progress bar and of the summary line (default: the function's
        name); the figures pass the ensemble's name ("staircase", "ring").
    on_error : {"raise", "continue"}
        Stop at the first failing cell (re-raising its exception) or compute all others
        and raise :class:`SweepError` at the end.
    load : bool
        Return the results (True) or only compute and verify them (False, returns None;
        for sweeps whose results do not fit in memory).
    max_pending : int, optional
        Tasks in flight at once (>= 1; default: 4 per worker; at least 64 for local pools
        and 1024 for a dask cluster, whose size may change).

    Returns
    -------
    LabelledArray or None
        Every cell's fields over the grid's dims (None if ``load=False``);
        ``attrs["run"]`` counts the cells computed here, found stored, computed by another
        driver, found corrupt and recomputed.

    Raises
    ------
    TypeError, ValueError
        A bad grid, arguments that ``fn`` does not take, a function or fixed argument that
        cannot be sent to worker processes, or bad options; before any cell runs.
    Exception
        With ``on_error="raise"``: the first failing cell's own exception, with notes naming
        the cell and the store.
    SweepError
        With ``on_error="continue"``, if any cell failed; or when the executor broke (a
        worker process died): cells finished before are stored.
    OSError
        :class:`~expressivity.sweep.claims.StoreNotWritable`: the store cannot be written
        (read-only before any cell runs; a full disk mid-way, with what is stored).
    KeyboardInterrupt
        Ctrl-C: completed cells are stored, local workers stopped; run again to resume.
    """
    plan = _Plan(fn, grid, store, fixed)
    if isinstance(chunksize, (bool, np.bool_)) or not isinstance(chunksize, (int, np.integer)):
        raise TypeError(f"chunksize must be an integer >= 1 (cells per task), got {type(chunksize).__name__}")
    if chunksize < 1:
        raise ValueError(f"chunksize={plain(chunksize)} must be an integer >= 1 (cells per task)")
    progress = _check_bool("progress", progress)
    load = _check_bool("load", load)
    if not isinstance(on_error, str) or on_error not in ("raise", "continue"):
        raise ValueError(f"on_error={on_error!r} must be 'raise' or 'continue'")
    if max_pending is not None:
        if isinstance(max_pending, (bool, np.bool_)) or not isinstance(max_pending, (int, np.integer)):
            raise TypeError(f"max_pending must be None or an integer >= 1, got {type(max_pending).__name__}")
        if max_pending < 1:
            raise ValueError(f"max_pending={plain(max_pending)} must be None or an integer >= 1")
    _check_executor(executor)
    _check_picklable(plan, executor)
    if desc is not None and not isinstance(desc, str):
        raise TypeError(f"desc must be a string or None, got {type(desc).__name__}")
    plan.desc = desc or getattr(plan.fn, "__name__", "sweep")

    results, todo, corrupt, migrated = plan.scan(keep=load, migrate=True)
    stats = {"cells": len(plan.cells), "stored_before": len(plan.cells) - len(todo), "computed": 0,
             "by_other_drivers": 0, "corrupt_recomputed": len(corrupt), "migrated": migrated,
             "stale_claims": 0}
    if corrupt:
        _warn_corrupt(corrupt, f"will be moved to {plan.store.path / '.corrupt'} and recomputed")
    if todo:
        _Driver(plan, todo, results if load else None, executor, int(chunksize), progress, on_error,
                max_pending, stats).run()
    if progress:
        print(_summary(plan, stats), file=sys.stderr)
    if not load:
        return None
    res = plan.assemble(results)
    res.attrs["run"] = stats
    return res


def _summary(plan: _Plan, stats: dict) -> str:
    parts = [f"{stats['computed']} computed"]
    if stats["stored_before"]:
        parts.append(f"{stats['stored_before']} already stored")
    if stats["by_other_drivers"]:
        parts.append(f"{stats['by_other_drivers']} computed by another driver")
    if stats["corrupt_recomputed"]:
        parts.append(f"{stats['corrupt_recomputed']} corrupt moved to .corrupt/")
    if stats["migrated"]:
        parts.append(f"{stats['migrated']} moved from name keys to content keys")
    if stats["stale_claims"]:
        parts.append(f"{stats['stale_claims']} claims of dead drivers cleared")
    name = getattr(plan, "desc", None) or getattr(plan.fn, "__name__", "sweep")
    return f"sweep {name}: {stats['cells']} cells in {plan.store.path}: {', '.join(parts)}"


class _Driver:
    """Claim, submit, collect and store; every wait bounded by TICK seconds."""

    def __init__(self, plan: _Plan, todo: list[int], results: dict | None, executor: Any, chunksize: int,
                 progress: bool, on_error: str, max_pending: int | None, stats: dict):
        self.plan, self.results, self.executor = plan, results, executor
        self.chunksize, self.progress, self.on_error = chunksize, progress, on_error
        self.max_pending, self.stats = max_pending, stats
        self.queue = deque(todo)
        self.deferred: dict[int, dict] = {}   # position -> owner of another driver's live claim
        self.pending: dict[Any, list] = {}    # handle -> chunk
        self.failures: list[tuple[dict, BaseException]] = []
        self.stopping = False
        self.n_todo = len(todo)

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        from tqdm.auto import tqdm

        plan = self.plan
        n_total = len(plan.cells)

        class _Bar(tqdm):
            monitor_interval = 0  # no monitor thread: local pools fork after the bar exists

        # leave=None: a nested bar (inside the figure command's) clears itself when done
        self.bar = _Bar(total=n_total, initial=n_total - self.n_todo,
                        desc=getattr(plan, "desc", None) or getattr(plan.fn, "__name__", "sweep"),
                        unit="cell", disable=not self.progress, dynamic_ncols=True, smoothing=0.05, leave=None)
        self.claims = Claims(plan.store.path) if getattr(plan.store, "shared", True) else NoClaims()
        backend, abort = None, True
        try:
            self.claims.start()  # a read-only store fails here, before any work
            backend = self.backend = _backend(plan, self.executor)
            if self.max_pending is None:
                self.max_pending = _default_pending(backend)
            self._loop()
            abort = False
        except KeyboardInterrupt:
            self._cancel_all()
            self.bar.close()
            if backend is not None:
                backend.close(abort=True)
                backend = None
            print(f"\ninterrupted: completed cells are stored in {plan.store.path}; "
                  "run the same sweep again to resume", file=sys.stderr)
            raise
        finally:
            self.bar.close()
            self.stats["stale_claims"] = self.claims.taken_over
            self.claims.stop()
            if backend is not None:
                backend.close(abort=abort)
        self._raise_failures()

    def _loop(self) -> None:
        wait = 0.02
        last_check = time.monotonic()
        while True:
            self._fill()
            if not self.pending and (self.stopping or not (self.queue or self.deferred)):
                return
            if self.pending:
                events = self.backend.poll(TICK)
                for handle, kind, value in events:
                    self._collect(handle, kind, value)
                if time.monotonic() - last_check > TICK and self.deferred:
                    self._check_deferred()
                    last_check = time.monotonic()
            elif self.deferred and not self.stopping:  # only other drivers' cells are left
                self._check_deferred()
                if self.deferred and not self.queue:
                    owners = {describe(o) for o in self.deferred.values()}
                    self.bar.set_postfix_str(f"waiting for {len(self.deferred)} cells claimed by "
                                             f"{', '.join(sorted(owners))}")
                    time.sleep(wait)
                    wait = min(2 * wait, TICK)

    def _fill(self) -> None:
        """Claim cells and submit them in chunks while the window has room."""
        chunk = []
        while not self.stopping and len(self.pending) < self.max_pending and self.queue:
            pos = self.queue.popleft()
            if self._claim(pos):
                chunk.append((pos, self.plan.cells[pos][0]))
            if len(chunk) == self.chunksize or (chunk and not self.queue):
                self._submit(chunk)
                chunk = []
        if chunk:
            self._submit(chunk)

    def _submit(self, chunk: list) -> None:
        try:
            self.pending[self.backend.submit(chunk)] = chunk
        except BrokenExecutor as exc:
            for pos, _ in chunk:
                self.claims.release(self.plan.cells[pos][1])
            self._broken(exc)
        except RuntimeError as exc:  # an executor that was shut down
            for pos, _ in chunk:
                self.claims.release(self.plan.cells[pos][1])
            raise SweepError(f"the executor refused work ({exc}); {self._stored_line()}", []) from exc

    def _claim(self, pos: int) -> bool:
        """Claim a cell and re-check the store: True if we must compute it."""
        params, key = self.plan.cells[pos]
        try:
            got = self.claims.claim(key)
        except StoreNotWritable as exc:
            self._cancel_all()
            raise StoreNotWritable(exc.errno, f"cannot write to the store {self.plan.store.path} "
                                   f"({exc.strerror}); {self._stored_line()}; free space or choose "
                                   "another store, then run again to resume") from None
        if got is not True:
            self.deferred[pos] = got
            return False
        if self._take_stored(pos):
            self.claims.release(key)
            return False
        return True

    def _take_stored(self, pos: int) -> bool:
        """If the cell file is there and verifies (another driver wrote it), use it; move a
        corrupt file aside. True if the cell is done."""
        params, key = self.plan.cells[pos]
        store = self.plan.store
        if not os.path.lexists(store.file(key)):
            return False
        try:
            fields, _ = store.read(key, params)
        except FileNotFoundError:
            return False
        except CorruptCell as exc:
            try:
                store.quarantine(key, str(exc))
            except OSError as err:
                raise StoreNotWritable(err.errno, f"cannot move the corrupt cell file {store.file(key)} "
                                       f"aside ({err.strerror or err}); {self._stored_line()}") from err
            return False
        if self.results is not None:
            self.results[pos] = fields
        self.stats["by_other_drivers"] += 1
        self.bar.update(1)
        return True

    def _check_deferred(self) -> None:
        for pos in list(self.deferred):
            if self._take_stored(pos):
                del self.deferred[pos]
                continue
            owner = self.claims.holder(self.plan.cells[pos][1])
            if owner is None:  # released without a file, or its driver died: ours to do
                del self.deferred[pos]
                self.queue.appendleft(pos)
            else:
                self.deferred[pos] = owner

    # ------------------------------------------------------------------ results
    def _collect(self, handle, kind: str, value) -> None:
        chunk = self.pending.pop(handle, None)
        if chunk is None:
            return  # cancelled and forgotten earlier
        if kind == "cancelled":
            self._release(chunk)
            if not self.stopping:  # cancelled by someone else: those cells have no result
                pos = chunk[0][0]
                exc = RuntimeError("the executor cancelled this task (not the sweep: another client, "
                                   "or a dask task of the same key cancelled elsewhere)")
                self._fail(pos, exc, None)
            return
        if kind == "error":
            self._release(chunk)
            if isinstance(value, BrokenExecutor):
                self._broken(value)
            self._fail(chunk[0][0], value, None)
            return
        done, failure = value
        self._store(done)
        if failure is not None:
            self._fail(*failure)
        self._release(chunk)

    def _store(self, done) -> None:
        for pos, fields, info in done:
            params, key = self.plan.cells[pos]
            try:
                self.plan.store.write(key, fields, self.plan.meta(params, info))
            except OSError as exc:
                self._cancel_all()
                raise StoreNotWritable(exc.errno, f"cannot write sweep cells to {self.plan.store.path} "
                                       f"({exc.strerror or exc}); {self._stored_line()}; free space or "
                                       "choose another store, then run again to resume") from exc
            self.claims.release(key)
            if self.results is not None:
                self.results[pos] = fields
            self.stats["computed"] += 1
            self.bar.update(1)

    def _release(self, chunk) -> None:
        for pos, _ in chunk:
            key = self.plan.cells[pos][1]
            if key in self.claims.held:
                self.claims.release(key)

    def _fail(self, pos: int, exc: BaseException, tb: str | None) -> None:
        params = self.plan.cells[pos][0]
        if not any(exc is e for _, e in self.failures):
            if tb is None:
                exc.add_note(f"the executor failed while running sweep cell {params} of {self.plan.fn_id}")
            else:
                exc.add_note(f"in sweep cell {params} of {self.plan.fn_id}")
            if exc.__traceback__ is None and tb:  # came from another process: keep its traceback
                exc.add_note(tb)
        self.failures.append((params, exc))
        self.bar.set_postfix(failed=len(self.failures))
        if self.on_error == "raise" and not self.stopping:
            self.stopping = True
            self._cancel_queued()

    def _broken(self, exc: BaseException) -> None:
        """The pool lost a worker: nothing more can run on it. Stop with one line."""
        self._cancel_all()
        why = "a worker process died abruptly"
        codes = []
        deadline = time.monotonic() + 1.0  # the dead worker may not be reaped yet: wait a little
        for p in getattr(self.backend, "processes", lambda: [])():
            try:
                p.join(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - not our child or already gone
                pass
            code = getattr(p, "exitcode", None)
            if code not in (None, 0, -15):  # (the pool ends the other workers with SIGTERM)
                codes.append(f"pid {p.pid} {'killed by signal ' + str(-code) if code < 0 else 'exited with code ' + str(code)}")
        if codes:
            why += f" ({'; '.join(codes)})"
        raise SweepError(f"{why} while running cells of {self.plan.fn_id} (os._exit, a signal or out of "
                         f"memory in a cell?); {self._stored_line()}; run again to resume", self.failures) from exc

    # ------------------------------------------------------------------ stopping
    def _cancel_queued(self) -> None:
        """Cancel what has not started; a cancelled task leaves the window at once."""
        for handle in list(self.pending):
            if self.backend.cancel(handle):
                self._release(self.pending.pop(handle))

    def _cancel_all(self) -> None:
        self.stopping = True
        backend = getattr(self, "backend", None)
        for handle in list(self.pending):
            try:
                if backend is not None:
                    backend.cancel(handle)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
            self._release(self.pending.pop(handle))

    def _stored_line(self) -> str:
        stored = self.stats["stored_before"] + self.stats["computed"] + self.stats["by_other_drivers"]
        return f"{stored} of {len(self.plan.cells)} cells are stored in {self.plan.store.path}"

    def _raise_failures(self) -> None:
        if not self.failures:
            return
        params, exc = self.failures[0]
        if self.on_error == "raise":
            exc.add_note(f"{self._stored_line()}; run again to resume")
            raise exc
        raise SweepError(f"{len(self.failures)} of {self.n_todo} cells failed ({self._stored_line()}); "
                         f"first: {params}: {exc!r}", self.failures) from exc


def missing(fn: Callable, grid: Grid, store: Store | str | os.PathLike | None = None, *,
            fixed: Mapping[str, Any] | None = None) -> list[dict]:
    """Parameters of the cells that are not (validly) in ``store``.

    Parameters
    ----------
    fn, grid, store, fixed
        As for :func:`run`.

    Returns
    -------
    list of dict
        The parameters of every missing or corrupt cell, in grid order (corrupt ones are
        reported with a :class:`CorruptCellWarning`; nothing is modified).

    Raises
    ------
    TypeError, ValueError
        Bad arguments, as for :func:`run`.
    """
    plan = _Plan(fn, grid, store, fixed)
    _, todo, corrupt, _ = plan.scan(keep=False)
    _warn_corrupt(corrupt, "counted as missing")
    return [plan.cells[pos][0] for pos in todo]


def load(fn: Callable, grid: Grid, store: Store | str | os.PathLike | None = None, *,
         fixed: Mapping[str, Any] | None = None, allow_missing: bool = False) -> LabelledArray:
    """Read a sweep back without computing anything.

    Every cell is verified; nothing in the store is modified.

    Parameters
    ----------
    fn, grid, store, fixed
        As for :func:`run` (they determine the cells' keys).
    allow_missing : bool
        Fill missing or corrupt cells with NaN (fields are promoted to float; corrupt files
        are reported with a :class:`CorruptCellWarning`, never used) instead of raising.

    Returns
    -------
    LabelledArray
        Every cell's fields over the grid's dims.

    Raises
    ------
    IncompleteSweep
        A ``ValueError``: cells are missing or corrupt (``.missing`` lists them), unless
        ``allow_missing``; or no cell of the sweep is stored at all.
    TypeError, ValueError
        Bad arguments, as for :func:`run`.
    """
    plan = _Plan(fn, grid, store, fixed)
    allow_missing = _check_bool("allow_missing", allow_missing)
    results, todo, corrupt, _ = plan.scan(keep=True)
    _warn_corrupt(corrupt, "ignored")
    if todo and not allow_missing:
        params = [plan.cells[pos][0] for pos in todo]
        raise IncompleteSweep(f"{len(todo)} of {len(plan.cells)} cells are missing or corrupt "
                              f"(first: {params[0]}); run sweep.run(...) to compute them", params)
    return plan.assemble(results, fill_missing=bool(todo))
