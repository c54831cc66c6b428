"""Special-function primitives with their VJPs: sigmoid, softplus, log_sigmoid, erf.

scipy.special is imported on first use (``expit``, ``erf``); softplus and log_sigmoid use
numpy's logaddexp, exact at +-1000.
"""
from __future__ import annotations

import math

import numpy as _np

from .core import defvjp, primitive1

_HALF_LOG_PI_FACTOR = 2.0 / math.sqrt(math.pi)


_special = {}


def _sp(name):
    f = _special.get(name)
    if f is None:
        import scipy.special

        f = _special[name] = getattr(scipy.special, name)
    return f


def _expit(x):
    return _sp("expit")(x)


sigmoid = primitive1(_expit, "sigmoid")
sigmoid.__doc__ = "Logistic sigmoid 1 / (1 + exp(-x)), stable for any x (scipy.special.expit)."
defvjp(sigmoid, lambda g, ans, x: g * (ans * (1 - ans)))


def _softplus(x):
    return _np.logaddexp(0, x)


softplus = primitive1(_softplus, "softplus")
softplus.__doc__ = "softplus(x) = log(1 + exp(x)) = logaddexp(0, x); exact at +-1000."
defvjp(softplus, lambda g, ans, x: g * sigmoid(x))


def _log_sigmoid(x):
    return -_np.logaddexp(0, -x)


log_sigmoid = primitive1(_log_sigmoid, "log_sigmoid")
log_sigmoid.__doc__ = "log sigmoid(x) = -softplus(-x); exact at +-1000."
defvjp(log_sigmoid, lambda g, ans, x: g * sigmoid(-x))


def _erf(x):
    return _sp("erf")(x)


erf = primitive1(_erf, "erf")
erf.__doc__ = "Error function (scipy.special.erf); d erf/dx = 2/sqrt(pi) exp(-x^2)."
defvjp(erf, lambda g, ans, x: g * (_HALF_LOG_PI_FACTOR * exp(-(x * x))))


from .elementwise import exp  # noqa: E402  (bound last: the primitive modules import one another)
