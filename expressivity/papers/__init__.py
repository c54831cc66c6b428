"""One module per reproduced paper: its settings and its figure jobs, in one place.

A paper module is named by first author, year and a word (``poole2016_chaos`` and
``poole2016_gan`` are two papers of 2016). It holds the paper's settings (as the paper states
them, converted to the library's variances where it quotes standard deviations), the figure
functions that compose library calls into the paper's figures, and ``JOBS``: one
:class:`FigureJob` per figure, with the full settings (the committed figure) and quick ones
(seconds; what the tests and ``EXPRESSIVITY_QUICK=1`` notebooks use). The library functions
themselves stay in their packages (theory in :mod:`meanfield`, measurements in
:mod:`expressivity`, models in their subpackages); a paper module only chooses settings and
draws. Figure names start with the module's name, and so do the PNGs in ``figures/`` and the
notebooks in ``notebooks/``.

    from expressivity import papers
    papers.PAPERS                          # the modules, in README order
    job = papers.get_job("poole2016_chaos_fig1_length_map")
    fig = job.render(quick=True)           # a matplotlib Figure, stamped "quick settings"

``expressivity-figures`` (:mod:`expressivity.reproduce`) renders every job into ``figures/``.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["FigureJob", "SharedRuns", "PAPERS", "all_jobs", "get_job", "paper_jobs", "show", "stamp_quick", "quick_mode",
           "checkpoint_path", "QUICK_STAMP"]

#: Paper modules in the order of the README's table (``showcase`` holds the package's own
#: worked examples, which belong to no paper). A module of this package that is not listed
#: is still found (after these, by name).
ORDER = (
    "poole2016_chaos",
    "schoenholz2017_propagation",
    "raghu2017_expressive",
    "poole2019_bounds",
    "poole2016_gan",
    "metz2017_unrolled",
    "dumoulin2017_ali",
    "jang2017_gumbel",
    "alemi2018_elbo",
    "razavi2019_delta",
    "zenke2017_synaptic",
    "showcase",
)

# where and how visibly cells run, never what a figure shows: not part of a figure's key
RUNTIME_KWARGS = ("executor", "progress")


def quick_mode() -> bool:
    """True when ``EXPRESSIVITY_QUICK=1`` (the notebooks' switch to the tests' settings)."""
    return os.environ.get("EXPRESSIVITY_QUICK", "") == "1"


#: The words :func:`stamp_quick` writes on every figure drawn with quick settings.
QUICK_STAMP = "quick settings (not the paper's)"


def stamp_quick(fig) -> None:
    """Write :data:`QUICK_STAMP` on a figure, so a small-settings figure is never mistaken
    for the paper's. Both ``expressivity-figures --quick`` and :func:`show` in quick mode
    stamp (through :meth:`FigureJob.render`); full-mode figures never are."""
    fig.text(0.995, 0.005, QUICK_STAMP, ha="right", va="bottom", fontsize=8, color="tab:red", alpha=0.8)


@dataclass(frozen=True)
class FigureJob:
    """One figure of a paper.

    ``function`` returns a matplotlib Figure (a callable, or ``"module:function"``); it gets
    the ``full`` or ``quick`` keyword arguments, plus ``cache_dir`` (where it keeps its
    resumable intermediate results: sweeps, one verified file per cell) when ``uses_cache``.
    ``revision`` is bumped by hand when the figure's code changes what it draws for the same
    settings: together with the name, the settings and the mode it makes the figure's key, so
    moving or editing code elsewhere never makes a committed figure stale. The figure command
    records the settings next to the key, so a stale figure is reported with what changed.

    The cache directory (``uses_cache``): ``expressivity-figures`` passes
    ``<out>/.cache/<name>``, the figure's own directory, kept across runs (``--force`` redraws
    but reuses it; deleting it recomputes from scratch). In it:

    * the figure's sweeps (:func:`expressivity.sweep.ensemble`, ``run_rows``, ``run_one``):
      one verified file per cell, so an interrupted figure resumes cell by cell;
    * ``checkpoints/``: a cell that trains for more than ~30 s saves a
      :class:`expressivity.training.Checkpoint` every few seconds at
      :func:`checkpoint_path` ``(cache_dir, name, params)``, so an interrupt loses at most
      that much of the run; :func:`expressivity.training.run_steps` deletes the file when the
      run completes and the sweep stores the finished cell. The checkpoint location says
      where a cell runs, not what it computes: keep it out of the cell's key (not in the
      sweep's ``fixed`` arguments), or moving the output directory would recompute the cell.
    """

    name: str
    function: Any
    full: dict = field(default_factory=dict)
    quick: dict = field(default_factory=dict)
    uses_cache: bool = False
    description: str = ""
    revision: int = 0

    def resolve(self) -> Callable[..., Any]:
        """The figure function."""
        if callable(self.function):
            return self.function
        module, _, attr = str(self.function).partition(":")
        return getattr(importlib.import_module(module), attr)

    def kwargs(self, quick: bool) -> dict:
        return dict(self.quick if quick else self.full)

    def settings(self, quick: bool) -> dict:
        """The keyword arguments that determine the figure (runtime ones removed), in a
        canonical JSON form (:func:`expressivity.sweep.store.canonical`: functions by
        ``module:qualname``, arrays by a hash of their bytes, never a memory address), so
        they can be recorded in the manifest and compared with a later run's."""
        from ..sweep.store import canonical

        return canonical({k: v for k, v in self.kwargs(quick).items() if k not in RUNTIME_KWARGS}, legacy=True)

    def key(self, quick: bool) -> str:
        """Hash of what determines the figure: name, settings, mode and ``revision``."""
        payload = json.dumps({"name": self.name, "settings": self.settings(quick), "quick": bool(quick),
                              "revision": self.revision}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def render(self, quick: bool | None = None, cache_dir=None, **extra):
        """Draw the figure: ``quick`` None reads ``EXPRESSIVITY_QUICK``; quick figures are stamped.

        ``extra`` overrides settings (``executor=``, ``progress=``, ...); ``cache_dir`` is
        passed only to jobs that use one (None: a temporary store).
        """
        quick = quick_mode() if quick is None else bool(quick)
        kwargs = self.kwargs(quick)
        if self.uses_cache:
            kwargs["cache_dir"] = None if cache_dir is None else str(cache_dir)
        kwargs.update(extra)
        fig = self.resolve()(**kwargs)
        if quick:
            stamp_quick(fig)
        return fig


def checkpoint_path(cache_dir, name: str, params: Mapping[str, Any]) -> Path | None:
    """Where a long training cell keeps its :class:`expressivity.training.Checkpoint`.

    ``<cache_dir>/checkpoints/<name>-<hash>.pkl``, the hash taken over the cell's own
    parameters (``params``: what its sweep cell is keyed by), so every cell has its own file
    and a rerun of the same cell finds it again. None when ``cache_dir`` is None (a throw-away
    run: nothing to resume). See :class:`FigureJob` for the convention.
    """
    if cache_dir is None:
        return None
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-." for c in name):
        raise ValueError(f"name must be a non-empty file-name-safe string (letters, digits, _-.), got {name!r}")
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of the cell's parameters, got {type(params).__name__}")
    from ..sweep.store import canonical

    digest = hashlib.sha256(json.dumps(canonical(dict(params), legacy=True), sort_keys=True).encode()).hexdigest()[:20]
    return Path(cache_dir) / "checkpoints" / f"{name}-{digest}.pkl"


class SharedRuns:
    """The one run store that the figures of a paper module share, and where its runs keep
    their checkpoints while a figure computes them.

    ``store(cache_dir, jobs)``: called with the figure command's ``<figures>/.cache/<job>``
    (a job of ``jobs``) it returns ``<figures>/.cache/<name>``, beside the jobs' own cache
    directories, so no run is trained twice for two figures; any other ``cache_dir`` holds its
    own store (``<cache_dir>/runs``); None: a throw-away one. ``with runs.checkpoints(store):``
    makes ``runs.checkpoint(prefix, params)`` name a file ``<store>/checkpoints/<prefix>_<hash>.pkl``
    (None outside the block or for a throw-away store).
    """

    def __init__(self, name: str):
        self.name = name
        self._root: Path | None = None

    def store(self, cache_dir, jobs) -> Path | None:
        if cache_dir is None:
            return None
        p = Path(cache_dir)
        if p.name in {job.name for job in jobs}:
            return p.parent / self.name
        return p / "runs"

    @contextlib.contextmanager
    def checkpoints(self, store):
        self._root = None if store is None else Path(store) / "checkpoints"
        try:
            yield
        finally:
            self._root = None

    def checkpoint(self, prefix: str, params: Mapping[str, Any]) -> Path | None:
        if self._root is None:
            return None
        tag = hashlib.sha256(json.dumps(dict(params), sort_keys=True).encode()).hexdigest()[:20]
        return self._root / f"{prefix}_{tag}.pkl"


def _papers() -> tuple[str, ...]:
    import pkgutil

    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    return tuple(n for n in ORDER if n in found) + tuple(sorted(found - set(ORDER)))


def __getattr__(name):
    if name == "PAPERS":  # the paper modules present, in README order
        return _papers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def paper_jobs(paper: str) -> list[FigureJob]:
    """The jobs of one paper module (a name in :data:`PAPERS`)."""
    papers = _papers()
    if paper not in papers:
        raise ValueError(f"paper must be one of {', '.join(papers)}; got {paper!r}")
    return list(getattr(importlib.import_module(f"{__name__}.{paper}"), "JOBS", []))


def all_jobs() -> list[FigureJob]:
    """Every figure job, paper by paper in :data:`PAPERS` order."""
    jobs = [job for paper in _papers() for job in paper_jobs(paper)]
    names = [j.name for j in jobs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise RuntimeError(f"figure names registered twice: {duplicated}")
    return jobs


def get_job(name: str) -> FigureJob:
    """The job called ``name`` (see ``expressivity-figures --list``)."""
    for job in all_jobs():
        if job.name == name:
            return job
    raise ValueError(f"no figure called {name!r}; see expressivity-figures --list")


def show(name: str, quick: bool | None = None, cache_dir=None, **extra):
    """Render the figure job ``name`` (see :meth:`FigureJob.render`), show it, return it.

    The notebooks' one call: ``show("poole2016_chaos_fig1_length_map")`` draws what
    ``expressivity-figures`` writes, in quick mode when ``EXPRESSIVITY_QUICK=1``.
    """
    fig = get_job(name).render(quick, cache_dir, **extra)
    from meanfield.figures import pyplot

    pyplot().show()
    return fig
