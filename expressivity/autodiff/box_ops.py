"""The operators and array methods of :class:`~expressivity.autodiff.core.Box`.

Imported by :mod:`.core` itself, so a Box is complete (``b + 1``, ``b @ W``, ``b.sum()``,
``b.T``, ``b[idx]``) as soon as the engine is, without importing the numpy namespace. Each
operator is the corresponding primitive; comparisons and conversions act on plain values.
"""
from __future__ import annotations

from .core import Box, getval
from .elementwise import (absolute, add, astype, clip, divide, multiply,
                          negative, power, subtract)
from .linalg import dot, matmul
from .reductions import cumsum, max, mean, min, std, sum, var  # noqa: A004
from .shapes import getitem, ravel, reshape, squeeze, swapaxes, transpose


def _install_box_methods():
    B = Box
    B.__add__ = add  # plain functions bind as methods: add(self, other)
    B.__radd__ = add  # addition and multiplication of floats commute exactly
    B.__sub__ = subtract
    B.__rsub__ = lambda s, o: subtract(o, s)
    B.__mul__ = multiply
    B.__rmul__ = multiply
    B.__truediv__ = divide
    B.__rtruediv__ = lambda s, o: divide(o, s)
    B.__pow__ = power
    B.__rpow__ = lambda s, o: power(o, s)
    B.__matmul__ = matmul
    B.__rmatmul__ = lambda s, o: matmul(o, s)
    B.__neg__ = negative
    B.__pos__ = lambda s: s
    B.__abs__ = lambda s: absolute(s)
    B.__getitem__ = getitem

    def _setitem(s, idx, v):
        raise TypeError(
            "in-place assignment to a traced array is not differentiable; build the array with "
            "anp.where, anp.concatenate or anp.stack instead"
        )

    B.__setitem__ = _setitem
    B.__len__ = lambda s: len(s._value)
    B.__iter__ = lambda s: (s[i] for i in range(len(s._value)))
    B.__lt__ = lambda s, o: getval(s) < getval(o)
    B.__le__ = lambda s, o: getval(s) <= getval(o)
    B.__gt__ = lambda s, o: getval(s) > getval(o)
    B.__ge__ = lambda s, o: getval(s) >= getval(o)
    B.__eq__ = lambda s, o: getval(s) == getval(o)
    B.__ne__ = lambda s, o: getval(s) != getval(o)
    B.__hash__ = object.__hash__
    B.__bool__ = lambda s: bool(getval(s))
    B.__float__ = lambda s: float(getval(s))
    B.__int__ = lambda s: int(getval(s))
    B.item = lambda s: getval(s).item()
    B.shape = property(lambda s: s._value.shape)
    B.ndim = property(lambda s: s._value.ndim)
    B.size = property(lambda s: s._value.size)
    B.dtype = property(lambda s: s._value.dtype)
    B.T = property(lambda s: transpose(s))
    B.sum = lambda s, axis=None, keepdims=False: sum(s, axis, keepdims)
    B.mean = lambda s, axis=None, keepdims=False: mean(s, axis, keepdims)
    B.max = lambda s, axis=None, keepdims=False: max(s, axis, keepdims)
    B.min = lambda s, axis=None, keepdims=False: min(s, axis, keepdims)
    B.var = lambda s, axis=None, keepdims=False, ddof=0: var(s, axis, keepdims, ddof)
    B.std = lambda s, axis=None, keepdims=False, ddof=0: std(s, axis, keepdims, ddof)
    B.reshape = reshape
    B.ravel = ravel
    B.flatten = ravel
    B.transpose = lambda s, *axes: transpose(s, axes[0] if len(axes) == 1 else (axes or None))
    B.swapaxes = swapaxes
    B.squeeze = squeeze
    B.dot = dot
    B.astype = astype
    B.clip = clip
    B.cumsum = cumsum


_install_box_methods()

