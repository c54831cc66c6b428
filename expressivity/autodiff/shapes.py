"""Shape, indexing and construction primitives with their VJPs: reshape, ravel, transpose,
swapaxes, moveaxis, expand_dims, squeeze, broadcast_to, flip, indexing (getitem, take),
concatenate, stack, hstack, vstack, array, asarray, one_hot, tril, triu, sort.
"""
from __future__ import annotations

import numpy as _np

from ..checks import check_positive_int
from .core import Box, VariadicVJP, defvjp, getval, primitive, primitive1


flip = primitive1(lambda x, axis=None: _np.flip(x, axis), "flip")
defvjp(flip, lambda g, ans, x, axis=None: flip(g, axis))


def _reshape_fun(x, shape):
    return _np.reshape(x, shape)


_reshape_p = primitive1(_reshape_fun, "reshape")
defvjp(_reshape_p, lambda g, ans, x, shape: reshape(g, x.shape))


def reshape(x, shape, *more):
    """numpy.reshape(x, shape)."""
    if more:
        shape = (shape,) + more
    return _reshape_p(x, shape)


def ravel(x):
    return _reshape_p(x, (-1,))


def _transpose_fun(x, axes=None):
    if x.__class__ is not _np.ndarray:
        x = _np.asarray(x)
    return x.T if axes is None else x.transpose(axes)


def _transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return transpose(g)
    return transpose(g, tuple(_np.argsort(axes)))


transpose = primitive1(_transpose_fun, "transpose")
defvjp(transpose, _transpose_vjp)

swapaxes = primitive1(lambda x, a1, a2: _np.swapaxes(x, a1, a2), "swapaxes")
defvjp(swapaxes, lambda g, ans, x, a1, a2: swapaxes(g, a1, a2))

moveaxis = primitive1(lambda x, source, destination: _np.moveaxis(x, source, destination), "moveaxis")
defvjp(moveaxis, lambda g, ans, x, source, destination: moveaxis(g, destination, source))

expand_dims = primitive1(lambda x, axis: _np.expand_dims(x, axis), "expand_dims")
defvjp(expand_dims, lambda g, ans, x, axis: reshape(g, x.shape))

squeeze = primitive1(lambda x, axis=None: _np.squeeze(x, axis), "squeeze")
defvjp(squeeze, lambda g, ans, x, axis=None: reshape(g, x.shape))

broadcast_to = primitive1(lambda x, shape: _np.broadcast_to(x, shape), "broadcast_to")
defvjp(broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x))


def _is_basic_index(idx):
    if type(idx) is tuple:
        for i in idx:
            if not _is_basic_index(i):
                return False
        return True
    if idx is None or idx is Ellipsis or isinstance(idx, (int, _np.integer, slice)):
        return True
    if isinstance(idx, _np.ndarray) and idx.dtype == bool:
        return True
    return False


def _getitem_fun(x, idx):
    return x[idx]


_getitem = primitive1(_getitem_fun, "getitem")


def _untake_fun(g, idx, shape, dtype):
    z = _np.zeros(shape, dtype=dtype)
    if _is_basic_index(idx):
        z[idx] = g
    else:
        _np.add.at(z, idx, g)
    return z


_untake = primitive1(_untake_fun, "_untake")
defvjp(_getitem, lambda g, ans, x, idx: _untake(g, idx, x.shape, _dtype_of(x)))
defvjp(_untake, lambda g, ans, x, idx, shape, dtype: _getitem(g, idx))


def getitem(x, idx):
    """x[idx] for basic and advanced indices (repeated integer indices accumulate)."""
    return _getitem(x, _unbox_deep(idx))


def take(x, indices, axis=None):
    """numpy.take (via indexing)."""
    indices = _np.asarray(getval(indices))
    if axis is None:
        return _getitem(ravel(x), indices)
    axis = axis % len(_shape(x))
    return _getitem(x, (slice(None),) * axis + (indices,))


def _concat_fun(axis, *arrays):
    return _np.concatenate(arrays, axis=axis)


def _concat_vjp(i, g, ans, axis, *arrays):
    ax = axis % len(ans.shape)
    start = 0
    for a in arrays[: i - 1]:
        start += _shape(a)[ax]
    stop = start + _shape(arrays[i - 1])[ax]
    return _getitem(g, (slice(None),) * ax + (slice(start, stop),))


_concat_p = primitive(_concat_fun, "concatenate", vjp_table=VariadicVJP(_concat_vjp))


def concatenate(arrays, axis=0):
    """numpy.concatenate(arrays, axis)."""
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    return _concat_p(axis, *arrays)


def _stack_fun(axis, *arrays):
    return _np.stack(arrays, axis=axis)


def _stack_vjp(i, g, ans, axis, *arrays):
    ax = axis % len(ans.shape)
    return _getitem(g, (slice(None),) * ax + (i - 1,))


_stack_p = primitive(_stack_fun, "stack", vjp_table=VariadicVJP(_stack_vjp))


def stack(arrays, axis=0):
    """numpy.stack(arrays, axis)."""
    return _stack_p(axis, *arrays)


def hstack(arrays):
    arrays = list(arrays)
    return concatenate(arrays, axis=0 if _np.ndim(getval(arrays[0])) == 1 else 1)


def vstack(arrays):
    return concatenate([reshape(a, (1, -1)) if _np.ndim(getval(a)) == 1 else a for a in arrays], axis=0)


def array(x, dtype=None):
    """numpy.array; lists containing traced values are stacked (differentiably)."""
    if type(x) is Box:
        return x if dtype is None else astype(x, dtype)
    if isinstance(x, (list, tuple)) and any(type(v) is Box or isinstance(v, (list, tuple)) for v in x):
        if any(_contains_box(v) for v in x):
            out = stack([array(v) for v in x])
            return out if dtype is None else astype(out, dtype)
    return _np.array(x, dtype=dtype)


def _contains_box(x):
    if type(x) is Box:
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_box(v) for v in x)
    return False


def asarray(x, dtype=None):
    """numpy.asarray; traced values pass through (cast with astype when dtype is given)."""
    if type(x) is Box or _contains_box(x):
        out = array(x)
        if dtype is not None and _np.dtype(dtype) != _dtype_of(out):
            out = astype(out, dtype)
        return out
    return _np.asarray(x, dtype=dtype)


def one_hot(idx, n, dtype=_np.float64):
    """One-hot rows: ``one_hot(idx, n)[..., j] = (idx == j)`` (not differentiable)."""
    n = check_positive_int("n", n)
    idx = _np.asarray(getval(idx))
    if not _np.issubdtype(idx.dtype, _np.integer):
        raise TypeError(f"one_hot: idx must be an integer array, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"one_hot: idx must lie in [0, n) = [0, {n})")
    return _np.eye(n, dtype=dtype)[idx]


def tril(x, k=0):
    """Lower triangle (numpy.tril) of the last two axes, as where(mask, x, 0)."""
    n, m = _shape(x)[-2:]
    return where(_np.tri(n, m, k, dtype=bool), x, 0)


def triu(x, k=0):
    """Upper triangle (numpy.triu) of the last two axes, as where(mask, x, 0)."""
    n, m = _shape(x)[-2:]
    return where(~_np.tri(n, m, k - 1, dtype=bool), x, 0)


def sort(x, axis=-1):
    """numpy.sort (differentiable: a gather with the argsort permutation)."""
    xv = getval(x)
    if axis is None:
        return sort(ravel(x), 0)
    axis = axis % xv.ndim
    idx = _np.argsort(xv, axis=axis)
    grid = list(_np.ix_(*[_np.arange(n) for n in xv.shape]))
    grid[axis] = idx
    return _getitem(x, tuple(grid))


from .elementwise import astype, where  # noqa: E402  (bound last: the primitive modules import one another)
from ._helpers import _dtype_of, _shape, _unbox_deep, unbroadcast  # noqa: E402
