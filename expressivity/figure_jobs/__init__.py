"""Registry of the figures that ``expressivity-figures`` writes.

Each module in this package defines ``JOBS``, a list of :class:`FigureJob`. A job names a
library function that returns a matplotlib Figure and the keyword arguments for the quick
mode (used by the tests) and the full mode (the committed figures). Keeping one module per
paper lets each subpackage register its figures without touching the others.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class FigureJob:
    """One figure: ``target`` is ``"module:function"``; the function returns a Figure.

    The function receives ``quick`` or ``full`` keyword arguments, plus ``cache_dir`` (a
    directory it may use to store resumable intermediate results) when ``uses_cache``. Long
    jobs keep their ensembles there as sweeps (:mod:`expressivity.sweep`, one verified file
    per cell); if their function takes ``progress`` it gets the command's setting, and
    ``expressivity-figures --workers/--scheduler`` replaces the ``executor`` of functions that
    take one.
    """

    name: str
    target: str
    full: dict[str, Any] = field(default_factory=dict)
    quick: dict[str, Any] = field(default_factory=dict)
    uses_cache: bool = False
    description: str = ""

    def function(self) -> Callable[..., Any]:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def kwargs(self, quick: bool) -> dict[str, Any]:
        return dict(self.quick if quick else self.full)


def all_jobs() -> list[FigureJob]:
    """Every registered job, module by module in name order."""
    jobs: list[FigureJob] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        jobs.extend(getattr(module, "JOBS", []))
    names = [j.name for j in jobs]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise RuntimeError(f"figure names registered twice: {sorted(duplicated)}")
    return jobs
