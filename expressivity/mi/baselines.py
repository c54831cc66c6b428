"""Baselines log a(y) for TUBA and I_alpha (Poole et al. 2019, Sec. 2.2 and 4).

A baseline is ``init(seed, y_dim) -> params`` and ``apply(params, y) -> log a(y_j)`` of shape
(K,), applied to column j of the score matrix:

* ``constant``: a learned scalar log a;
* ``mlp``: a learned MLP (paper: 2 x 512 ReLU) giving log a(y);
* ``gaussian``: log N(y; 0, I), the true marginal of the Gaussian benchmark (no params);
* ``none``: log a = 0.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

from ..autodiff import nn
from ..autodiff import numpy as anp
from ..autodiff.nn import as_generator

__all__ = ["Baseline", "make_baseline", "BASELINES"]


class Baseline(NamedTuple):
    init: Callable
    apply: Callable
    name: str = ""


def _const_init(seed, y_dim, dtype=np.float32):
    return {"log_a": np.zeros(1, dtype)}


def _const_apply(params, y):
    return params["log_a"] + np.zeros(np.shape(y)[0], dtype=np.asarray(y).dtype)


def _mlp_init(seed, y_dim, hidden=(512, 512), dtype=np.float32):
    from .critics import glorot_mlp

    return glorot_mlp(seed, [y_dim, *hidden, 1], dtype)


def _mlp_apply(params, y):
    return anp.reshape(nn.mlp_apply(params, y, "relu"), (np.shape(y)[0],))


def _gauss_apply(params, y):
    y = np.asarray(y)
    return (-0.5 * np.sum(y * y, 1) - 0.5 * y.shape[1] * math.log(2 * math.pi)).astype(y.dtype)


BASELINES = {
    "none": Baseline(lambda *a, **k: {}, lambda p, y: None, "none"),
    "constant": Baseline(_const_init, _const_apply, "constant"),
    "mlp": Baseline(_mlp_init, _mlp_apply, "mlp"),
    "gaussian": Baseline(lambda *a, **k: {}, _gauss_apply, "gaussian"),
}


def make_baseline(baseline):
    """A :class:`Baseline` from a name in ``BASELINES`` (None means ``"none"``) or a pair."""
    if baseline is None:
        return BASELINES["none"]
    if isinstance(baseline, Baseline):
        return baseline
    if isinstance(baseline, tuple) and len(baseline) == 2 and all(callable(c) for c in baseline):
        return Baseline(baseline[0], baseline[1], "custom")
    try:
        return BASELINES[baseline]
    except (KeyError, TypeError):
        raise ValueError(f"baseline must be None, one of {sorted(BASELINES)} or an (init, apply) pair, got {baseline!r}") from None
