"""Shape helpers shared by the primitive modules of :mod:`expressivity.autodiff`.

``unbroadcast`` undoes numpy broadcasting in a VJP (a sum over the broadcast axes); the others
normalise reduction axes and unwrap Boxes inside index tuples.

"""
from __future__ import annotations

from .core import Box, getval


def _shape(x):
    return getattr(x, "shape", ())


def unbroadcast(g, x):
    """Sum the cotangent ``g`` over the axes along which ``x`` was broadcast.

    For ``z = f(x, y)`` with broadcasting, ``dL/dx = sum over broadcast axes of dL/dz``.
    Returns ``g`` itself when the shapes already agree (the common case).
    """
    shape = _shape(x)
    gshape = getattr(g, "shape", ())
    if gshape == shape:
        return g
    nd = len(gshape) - len(shape)
    if nd > 0:
        g = sum(g, axis=tuple(range(nd)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return g


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def _keep_shape(shape, axis):
    axes = _normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_reduced(g, x_shape, axis, keepdims):
    """Reshape a reduced cotangent so that it broadcasts against the input of the reduction."""
    if keepdims or axis is None:
        return g
    return reshape(g, _keep_shape(x_shape, axis))


def _unbox_deep(a):
    if type(a) is Box:
        return getval(a)
    if type(a) in (list, tuple):
        return type(a)(_unbox_deep(v) for v in a)
    return a


def _dtype_of(x):
    return getval(x).dtype






from .reductions import sum  # noqa: E402  (bound last: the primitive modules import one another)
from .shapes import reshape  # noqa: E402
