"""expressivity.gan: generator objectives, unrolled GANs and ALI on 2-D Gaussian mixtures.

    from expressivity import gan
    r = gan.ring_experiment(unroll_steps=10, steps=5000, seed=0)
    r.modes_covered, r.high_quality_fraction, r.kl_pq, r.kl_qp

Modules: :mod:`.data` (ring, grid, unbalanced mixtures), :mod:`.models` (MLPs),
:mod:`.objectives` (the f-divergence family, Poole et al. 2016), :mod:`.unrolled` (Metz et al.
2017), :mod:`.trainer`, :mod:`.ali` (Dumoulin et al. 2017), :mod:`.metrics`,
:mod:`.experiments`, :mod:`.figures` (matplotlib, imported lazily).
"""
from . import data, metrics, objectives  # noqa: F401
from .data import Mixture, grid, ring, unbalanced
from .experiments import GANResult, grid_experiment, objectives_experiment, ring_experiment, train_gan
from .metrics import kl_estimates, mode_metrics
from .objectives import OBJECTIVES, custom, get_objective
from .trainer import GANTrainer
from .unrolled import unrolled_generator_loss

__all__ = [
    "Mixture", "ring", "grid", "unbalanced", "ring_experiment", "objectives_experiment", "grid_experiment",
    "train_gan", "GANResult", "mode_metrics", "kl_estimates", "OBJECTIVES", "custom",
    "get_objective", "GANTrainer", "unrolled_generator_loss",
]
