"""expressivity.gan: generator objectives, unrolled GANs and ALI on 2-D Gaussian mixtures.

    from expressivity import gan
    r = gan.ring_experiment(unroll_steps=10, seed=0)      # Metz et al. (2017), App. A setting
    r.modes_covered, r.high_quality_fraction, r.mode_fractions, r.kl_pq, r.kl_qp

Modules: :mod:`.data` (ring, grid, unbalanced mixtures), :mod:`.models` (the two MLPs and
their :class:`Architecture`), :mod:`.objectives` (the f-divergence family, Poole et al.
2016), :mod:`.unrolled` (Metz et al. 2017), :mod:`.trainer`, :mod:`.ali` (Dumoulin et al.
2017), :mod:`.metrics`, :mod:`.experiments` (settings and entry points). The figures live in
the paper modules :mod:`expressivity.papers.metz2017_unrolled`, ``poole2016_gan`` and
``dumoulin2017_ali``.
"""
from . import data, metrics, objectives  # noqa: F401
from .data import Mixture, grid, ring, unbalanced
from .ali import ALIArchitecture, ALITrainer
from .experiments import (ALI_SETTINGS, MIXTURES, PUBLISHED, SETTINGS, GANResult, get_setting,
                          grid_experiment, objectives_experiment, ring_experiment, train_gan)
from .metrics import kl_estimates, mode_fractions, mode_metrics
from .models import Architecture
from .objectives import OBJECTIVES, custom, get_objective
from .trainer import GANTrainer
from .unrolled import unrolled_generator_loss

__all__ = [
    "Mixture", "ring", "grid", "unbalanced", "ring_experiment", "objectives_experiment",
    "grid_experiment", "ALI_SETTINGS", "ALIArchitecture", "ALITrainer", "train_gan", "GANResult", "SETTINGS", "PUBLISHED", "MIXTURES", "get_setting", "mode_metrics",
    "mode_fractions", "kl_estimates", "OBJECTIVES", "custom", "get_objective", "GANTrainer",
    "Architecture", "unrolled_generator_loss",
]
