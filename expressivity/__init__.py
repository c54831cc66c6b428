"""expressivity: finite random and trained networks, measured exactly, next to mean-field theory.

``propagate_circle`` pushes Poole's great circle through a random network with exact
forward-mode derivatives. Every submodule is reachable as an attribute and loads on first
use (``import expressivity`` stays cheap): ``compare``, ``regions``, ``networks``, ``curves``,
``measures``, ``datasets``, ``checks``, ``training``, and the subpackages ``autodiff`` (a
small reverse-mode engine on numpy), ``sweep`` (grids of experiments from a laptop to a dask
cluster, resumable), ``mi`` (variational mutual-information bounds), ``gan`` (generator
objectives, unrolled GANs, ALI), ``latent`` (Gumbel-Softmax, Broken ELBO, delta-VAE),
``continual`` (Synaptic Intelligence and its baselines), ``trained`` (classifiers trained on
shipped data) and ``papers`` (one module per reproduced paper). The figure command
``expressivity-figures`` lives in :mod:`expressivity.reproduce`.
"""
__version__ = "0.1.0"

import importlib
import importlib.util

from . import measures  # noqa: E402
from .propagate import propagate_circle  # noqa: E402

__all__ = ["propagate_circle", "measures", "__version__"]


def __getattr__(name):  # submodules load on first use: `ex.compare`, `ex.regions`, `ex.mi`, ...
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'expressivity' has no attribute {name!r}")


def __dir__():
    import pkgutil

    return sorted(set(globals()) | {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")})
