"""Running a sweep on any ``concurrent.futures.Executor``, resumably, with a progress bar.

``run(fn, grid, store)`` calls ``fn(**params, **fixed)`` for every cell of ``grid`` whose
result is not yet in ``store``, writes each result as it arrives (in this process, so the
workers need no access to the store), and returns all cells as a :class:`LabelledArray`.

* Executors: ``None`` (default) is a local ``ProcessPoolExecutor`` on all cores; an int ``n``
  is a local pool of ``n`` processes; ``"inprocess"`` runs the cells in this process one by
  one (for debugging: the function's own frames are on the traceback); any
  ``concurrent.futures.Executor`` (thread pool, ``dask.distributed.Client.get_executor()``,
  ``mpi4py.futures``...) is used as given, and a dask ``Client`` may be passed directly. There
  is no scheduler here: cells are submitted in bounded batches and collected as they finish.
* Resume: existing cell files are verified (checksum, parameters); verified cells are not
  recomputed, missing ones are, and corrupt or partial ones are reported with a
  :class:`CorruptCellWarning` and recomputed. A crash at any moment leaves only complete
  cells behind because every file is written atomically.
* Errors: with ``on_error="raise"`` the first failing cell stops submission, cells already
  running are waited for and stored, and the original exception is re-raised with a note
  naming the cell. With ``"continue"`` every other cell is computed and a
  :class:`SweepError` listing the failures is raised at the end. Ctrl-C cancels what has
  not started, stops the local workers, and re-raises ``KeyboardInterrupt``; run again to
  resume.
* Progress: a tqdm bar over all cells (done ones counted from the start), advanced as each
  future completes, so counts and time remaining are right on a cluster too.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import time
import traceback
import warnings
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .grid import Grid, check_call
from .labelled import LabelledArray
from .store import CorruptCell, Store, as_fields, canonical, cell_key, function_id

INPROCESS = "inprocess"
DEFAULT_ROOT = ".sweeps"


class SweepError(RuntimeError):
    """Some cells failed (``on_error="continue"``); ``.failures`` lists ``(params, exception)``."""

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


# ---------------------------------------------------------------------------- planning
class _Plan:
    """Every cell of a sweep with its key, and the checks done before any work."""

    def __init__(self, fn: Callable, grid: Grid, store: Store | str | os.PathLike | None,
                 fixed: Mapping[str, Any] | None):
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a sweep.Grid, got {type(grid).__name__}")
        if fixed is not None and not isinstance(fixed, Mapping):
            raise TypeError(f"fixed must be a mapping of keyword arguments, got {type(fixed).__name__}")
        check_call(fn, grid, fixed)
        self.fn, self.grid = fn, grid
        self.fixed = dict(fixed or {})
        self.fn_id = function_id(fn)
        if store is None:
            store = Path(DEFAULT_ROOT) / re.sub(r"[^A-Za-z0-9_.-]+", "_", self.fn_id)
        self.store = store if isinstance(store, Store) else Store(store)
        self.fixed_c = canonical(self.fixed)
        self.cells = [(params, cell_key(self.fn_id, params, self.fixed_c)) for _, params in grid]

    def meta(self, params: dict, info: Mapping[str, Any]) -> dict:
        from .. import __version__

        return {"function": self.fn_id, "params": canonical(params), "fixed": self.fixed_c,
                "version": __version__, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                **info}

    def scan(self, keep: bool) -> tuple[dict[int, dict], list[int], list[str]]:
        """Verify the cells on disk: ``(results by position, todo positions, corruption messages)``."""
        self.store.remove_stale_temporaries()
        present = set(self.store.keys())
        results, todo, corrupt = {}, [], []
        for pos, (params, key) in enumerate(self.cells):
            if key not in present:
                todo.append(pos)
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
        return results, todo, corrupt

    def attrs(self) -> dict:
        from .. import __version__

        return {"function": self.fn_id, "fixed": self.fixed_c, "store": str(self.store.path),
                "version": __version__}

    def assemble(self, results: Mapping[int, Mapping[str, np.ndarray]],
                 fill_missing: bool = False) -> LabelledArray:
        grid = self.grid
        if not results:
            raise IncompleteSweep("no cell of this sweep is in the store", [p for p, _ in self.cells])
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


def _check_executor(executor: Any) -> None:
    if executor is None or isinstance(executor, Executor) or hasattr(executor, "get_executor"):
        return
    if isinstance(executor, str):
        if executor != INPROCESS:
            raise ValueError(f"executor={executor!r}: the only string allowed is {INPROCESS!r}")
        return
    if isinstance(executor, int) and not isinstance(executor, bool):
        if executor < 1:
            raise ValueError(f"executor={executor}: a number of local worker processes must be >= 1")
        return
    raise TypeError(f"executor must be None, {INPROCESS!r}, a number of processes, a "
                    f"concurrent.futures.Executor or a dask Client; got {type(executor).__name__}")


_BLAS_LIMIT = []


def _limit_blas_threads(n: int) -> None:
    """Worker initializer: at most ``n`` BLAS/OpenMP threads in this process. Forked workers
    inherit the parent's thread pools; with every worker running BLAS on all cores the
    threads oversubscribe the machine and (OpenBLAS busy-waits) can run several times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:   # pragma: no cover - threadpoolctl is a dependency
        return
    _BLAS_LIMIT.append(threadpool_limits(limits=n))


def _local_pool(n_workers: int) -> ProcessPoolExecutor:
    per = max(1, _cpu_count() // n_workers)
    return ProcessPoolExecutor(max_workers=n_workers, initializer=_limit_blas_threads, initargs=(per,))


def _open_executor(executor: Any) -> tuple[Executor | None, bool]:
    """``(executor or None for in-process, whether we own it and must shut it down)``.
    Local pools give each worker its share of the cores' BLAS threads."""
    if executor is None:
        return _local_pool(_cpu_count()), True
    if isinstance(executor, str):
        return None, False
    if isinstance(executor, int):
        return _local_pool(executor), True
    if isinstance(executor, Executor):
        return executor, False
    return executor.get_executor(), False


def _default_pending(pool: Executor) -> int:
    """Tasks to keep in flight: 4 per worker, at least 64 (local pools) or 1024 (clusters)."""
    workers = getattr(pool, "_max_workers", None)
    if workers:
        return max(64, 4 * workers)
    client = getattr(pool, "_client", None)  # dask.distributed ClientExecutor
    try:
        workers = sum(client.nthreads().values()) if client is not None else 0
    except Exception:  # noqa: BLE001 - any failure just means "unknown"
        workers = 0
    return max(1024, 4 * workers)


def _stop_own_pool(pool: Executor) -> None:
    """Cancel queued work and end the worker processes of a pool we created.

    On Python 3.11 the pool's management thread, finding its workers gone, calls
    ``set_exception`` on futures we already cancelled and dies with InvalidStateError
    (a CPython race); that thread's traceback is noise on the way out, so it is silenced
    for the duration of the shutdown.
    """
    import concurrent.futures
    import threading

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


# ---------------------------------------------------------------------------- driver
def run(fn: Callable, grid: Grid, store: Store | str | os.PathLike | None = None, *,
        fixed: Mapping[str, Any] | None = None, executor: Any = None, chunksize: int = 1,
        progress: bool = True, on_error: str = "raise", load: bool = True,
        max_pending: int | None = None) -> LabelledArray | None:
    """Compute every cell of ``grid`` not yet in ``store``; return all cells as a LabelledArray.

    Parameters
    ----------
    fn : callable
        Called as ``fn(**params, **fixed)`` (``params`` include ``seed`` when the grid has
        seeds). Returns a dict of scalars/arrays, a dataclass, a namedtuple, or one
        scalar/array (field ``"value"``). Must be picklable (module level) for process or
        cluster executors, and deterministic given its arguments for resumes to be exact.
    grid : Grid
    store : Store or path, optional
        Directory of cell files (see :mod:`expressivity.sweep.store`). Default:
        ``.sweeps/<module.function>`` in the working directory.
    fixed : dict, optional
        Keyword arguments passed unchanged to every cell; part of each cell's key.
    executor : None, "inprocess", int, Executor or dask Client
        Where cells run (see the module docstring). Executors you pass are not shut down.
    chunksize : int
        Cells per task; larger amortises scheduling overhead for very cheap cells.
    progress : bool
        Show a tqdm bar with counts and time remaining.
    on_error : "raise" or "continue"
    load : bool
        Return the results (True) or only compute and verify them (False, returns None;
        for sweeps whose results do not fit in memory).
    max_pending : int, optional
        Tasks in flight at once (default: 4 per worker; at least 64 for local pools and 1024
        for other executors such as a dask cluster, whose size may change).

    Raises ``ValueError``/``TypeError`` for a bad grid, arguments that ``fn`` does not take,
    or bad options, before any cell runs.
    """
    plan = _Plan(fn, grid, store, fixed)
    if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
        raise ValueError(f"chunksize={chunksize!r} must be an int >= 1")
    if on_error not in ("raise", "continue"):
        raise ValueError(f"on_error={on_error!r} must be 'raise' or 'continue'")
    if max_pending is not None and (isinstance(max_pending, bool) or not isinstance(max_pending, int)
                                    or max_pending < 1):
        raise ValueError(f"max_pending={max_pending!r} must be an int >= 1")
    _check_executor(executor)

    results, todo, corrupt = plan.scan(keep=load)
    _warn_corrupt(corrupt, "will be recomputed")
    if todo:
        _execute(plan, todo, results if load else None, executor, chunksize, progress, on_error, max_pending)
    return plan.assemble(results) if load else None


def _execute(plan: _Plan, todo: list[int], results: dict | None, executor: Any, chunksize: int,
             progress: bool, on_error: str, max_pending: int | None) -> None:
    from tqdm.auto import tqdm

    n_total = len(plan.cells)
    chunks = [[(pos, plan.cells[pos][0]) for pos in todo[i:i + chunksize]]
              for i in range(0, len(todo), chunksize)]
    name = getattr(plan.fn, "__name__", "sweep")
    class _Bar(tqdm):
        monitor_interval = 0  # no monitor thread: local pools fork after the bar exists

    bar = _Bar(total=n_total, initial=n_total - len(todo), desc=name, unit="cell",
               disable=not progress, dynamic_ncols=True, smoothing=0.05)
    failures: list[tuple[dict, BaseException]] = []
    pool, own = None, False

    def accept(done, failure):
        for pos, fields, info in done:
            params, key = plan.cells[pos]
            plan.store.write(key, fields, plan.meta(params, info))
            if results is not None:
                results[pos] = fields
            bar.update(1)
        if failure is not None:
            pos, exc, tb = failure
            params = plan.cells[pos][0]
            if not any(exc is e for _, e in failures):  # a broken pool fails every future with one exception
                if tb is None:
                    exc.add_note(f"the executor failed while running sweep cell {params} of {plan.fn_id}")
                else:
                    exc.add_note(f"in sweep cell {params} of {plan.fn_id}")
                if exc.__traceback__ is None and tb:  # came from another process: keep its traceback
                    exc.add_note(tb)
            failures.append((params, exc))
            bar.set_postfix(failed=len(failures))

    try:
        pool, own = _open_executor(executor)
        if pool is None:  # in-process
            for chunk in chunks:
                accept(*_compute_chunk(plan.fn, plan.fixed, chunk))
                if failures and on_error == "raise":
                    break
        else:
            _drive(plan, pool, own, chunks, accept, failures, on_error, max_pending)
    except KeyboardInterrupt:
        bar.close()
        if own and pool is not None:
            _stop_own_pool(pool)
            pool = None
        print(f"\ninterrupted: completed cells are stored in {plan.store.path}; "
              "run the same sweep again to resume", file=sys.stderr)
        raise
    finally:
        bar.close()
        if own and pool is not None:
            pool.shutdown(wait=True)
    if failures:
        params, exc = failures[0]
        if on_error == "raise":
            exc.add_note(f"cells computed so far are stored in {plan.store.path}; run again to resume")
            raise exc
        raise SweepError(f"{len(failures)} of {len(todo)} cells failed (the rest are stored in "
                         f"{plan.store.path}); first: {params}: {exc!r}", failures) from exc


def _drive(plan: _Plan, pool: Executor, own: bool, chunks: list, accept, failures: list,
           on_error: str, max_pending: int | None) -> None:
    """Submit chunks in a bounded window; collect results as they complete."""
    if max_pending is None:
        max_pending = _default_pending(pool)
    it = iter(chunks)
    pending: dict = {}
    stopping = False

    def fill():
        while not stopping and len(pending) < max_pending:
            chunk = next(it, None)
            if chunk is None:
                return
            pending[pool.submit(_compute_chunk, plan.fn, plan.fixed, chunk)] = chunk

    try:
        fill()
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in done:
                chunk = pending.pop(fut)
                if fut.cancelled():
                    continue
                exc = fut.exception()
                if exc is not None:  # the executor itself failed (broken pool, pickling, lost worker)
                    accept([], (chunk[0][0], exc, None))
                else:
                    accept(*fut.result())
            if failures and on_error == "raise" and not stopping:
                stopping = True
                for fut in pending:
                    fut.cancel()  # queued ones are dropped; running ones finish and are stored
            fill()
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise


def missing(fn: Callable, grid: Grid, store: Store | str | os.PathLike | None = None, *,
            fixed: Mapping[str, Any] | None = None) -> list[dict]:
    """Parameters of the cells that are not (validly) in ``store``."""
    plan = _Plan(fn, grid, store, fixed)
    _, todo, corrupt = plan.scan(keep=False)
    _warn_corrupt(corrupt, "counted as missing")
    return [plan.cells[pos][0] for pos in todo]


def load(fn: Callable, grid: Grid, store: Store | str | os.PathLike | None = None, *,
         fixed: Mapping[str, Any] | None = None, allow_missing: bool = False) -> LabelledArray:
    """Read a sweep back without computing anything.

    Every cell is verified. Missing or corrupt cells raise :class:`IncompleteSweep` (a
    ``ValueError``) listing them, unless ``allow_missing``: then they are NaN (fields are
    promoted to float) and corrupt files are reported with a warning, never used.
    """
    plan = _Plan(fn, grid, store, fixed)
    results, todo, corrupt = plan.scan(keep=True)
    _warn_corrupt(corrupt, "ignored")
    if todo and not allow_missing:
        params = [plan.cells[pos][0] for pos in todo]
        raise IncompleteSweep(f"{len(todo)} of {len(plan.cells)} cells are missing or corrupt "
                              f"(first: {params[0]}); run sweep.run(...) to compute them", params)
    return plan.assemble(results, fill_missing=bool(todo))
