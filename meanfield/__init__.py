"""meanfield: exact, fast mean-field theory of signal propagation in random deep networks.

Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli, "Exponential expressivity in deep neural
networks through transient chaos" (NeurIPS 2016); Schoenholz, Gilmer, Ganguli &
Sohl-Dickstein, "Deep Information Propagation" (ICLR 2017).

Theory functions take the activation first, then ``sigma_w2, sigma_b2`` (variances), and
broadcast numeric arguments like numpy ufuncs::

    import meanfield as mf
    mf.q_star("tanh", 2.5**2, 0.3**2)            # 4.0791...
    mf.chi1("tanh", 2.5**2, 0.3**2)              # 1.5852...
    mf.phase_diagram("tanh", sigma_w2=np.linspace(1, 25, 256), sigma_b2=np.linspace(0, 16, 256))
"""
__version__ = "0.1.0"

from .activations import BUILTIN_NAMES, Activation, get_activation
from .critical import critical_line, critical_sigma_w2
from .errors import ConvergenceError, IntegrationError
from .depth import depth_scales, gradient_depth_scale, gradient_factor, trainable_depth
from .geometry import CurveTheory, curve_theory
from .maps import (c_dynamics, c_star, chi1, chi2, correlation_map, iterations_to_converge,
                   length_map, q_dynamics, q_star)

__all__ = [
    "Activation", "BUILTIN_NAMES", "get_activation",
    "length_map", "q_star", "correlation_map", "c_star", "chi1", "chi2",
    "q_dynamics", "c_dynamics", "iterations_to_converge",
    "depth_scales", "gradient_depth_scale", "trainable_depth", "gradient_factor",
    "critical_sigma_w2", "critical_line",
    "curve_theory", "CurveTheory", "ConvergenceError", "IntegrationError",
]
from .phase import PhaseDiagram, phase_diagram, phase_diagram_pointwise  # noqa: E402

__all__ += ["phase_diagram", "phase_diagram_pointwise", "PhaseDiagram"]
