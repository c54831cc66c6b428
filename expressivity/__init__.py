"""expressivity: finite random and trained networks, measured exactly, next to mean-field theory.

``propagate_circle`` pushes Poole's great circle through a random network with exact
forward-mode derivatives; subpackages: ``autodiff`` (a small reverse-mode engine on numpy),
``sweep`` (grids of experiments from a laptop to a dask cluster, resumable), ``mi``
(variational mutual-information bounds), ``gan`` (generator objectives, unrolled GANs). The
figure command ``expressivity-figures`` lives in :mod:`expressivity.reproduce`.
"""
__version__ = "0.1.0"

import importlib

from . import measures  # noqa: E402
from .propagate import propagate_circle  # noqa: E402

__all__ = ["propagate_circle", "measures", "sweep", "autodiff", "mi", "gan", "__version__"]
_LAZY = {"sweep", "autodiff", "mi", "gan"}


def __getattr__(name):  # subpackages load on first use: `import expressivity` stays cheap
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'expressivity' has no attribute {name!r}")
