"""Train one layer, freeze the rest (Raghu et al. 2017, Sec. 4.1, Figs. 6-7).

Every layer but one stays at its random initialisation; only layer ``layer`` (its W and b)
is trained. Raghu et al. train one hidden-to-hidden layer at a time (from W^(1) on, so the
number of trained parameters is the same for every choice) and find that the lower the
trained layer, i.e. the more *remaining depth* above it, the better the accuracy.
Layer indices are the classifier's (:mod:`.model`): 0 maps the input to the first hidden
layer, 1 .. depth-1 are width x width, ``depth`` is the readout.
"""
from __future__ import annotations

from ..checks import check_nonnegative_int
from .classifier import accuracy_cell

__all__ = ["single_layer_cell", "HIDDEN_TO_HIDDEN"]


def HIDDEN_TO_HIDDEN(depth):
    """The layers with the same parameter count, width x width + width: 1 .. depth - 1."""
    return list(range(1, check_nonnegative_int("depth", depth)))


def single_layer_cell(layer, seed, *, depth, **kwargs) -> dict:
    """Sweep cell: train only layer ``layer`` (0 .. depth) of a fresh classifier with weights
    from ``seed``; ``kwargs`` go to :func:`~.classifier.train_classifier`. Returns the fields
    of :func:`~.classifier.accuracy_cell` plus ``remaining_depth`` = depth - layer (hidden
    layers above the trained one)."""
    layer = check_nonnegative_int("layer", layer)
    if layer > depth:
        raise ValueError(f"layer must be in 0..depth={depth}, got {layer}")
    out = accuracy_cell(seed, depth=depth, trainable_layers=[layer], **kwargs)
    out["remaining_depth"] = depth - layer
    return out
