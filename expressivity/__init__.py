"""expressivity: finite random and trained networks, measured exactly, next to mean-field theory.

Subpackages: ``autodiff`` (a small reverse-mode engine on numpy), ``mi`` (variational
mutual-information bounds), ``gan`` (generator objectives, unrolled GANs). The figure command
``expressivity-figures`` lives in :mod:`expressivity.reproduce`.
"""
__version__ = "0.1.0"

from . import measures  # noqa: E402
from .propagate import propagate_circle  # noqa: E402

__all__ = ["propagate_circle", "measures", "__version__"]
