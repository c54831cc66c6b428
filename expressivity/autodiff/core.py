"""The reverse-mode core: traced values, primitives with their VJPs, and ``grad``.

The design follows HIPS autograd (Maclaurin, Duvenaud & Adams 2015): a differentiated
function is run on :class:`Box` objects that wrap the numbers. Every *primitive* (a numpy
function registered with :func:`primitive`) unwraps its boxed arguments, computes the numpy
result and returns a new ``Box`` that remembers its parents and the primitive's
vector-Jacobian products (VJPs). ``grad`` then walks this record backwards:

    g_parent += VJP_i(g_child, ans, *args)   with   VJP_i(g) = g^T d ans / d args[i].

Each call of ``grad`` opens a *trace* with its own level. Boxes of a newer (higher) level can
wrap boxes of an older one, and since every VJP is written with the same primitives, the
backward pass of an inner ``grad`` is itself recorded by the outer one. That gives
``grad(grad(f))``, Hessian-vector products and differentiation through optimiser steps with
no extra machinery.

Speed (the engine must stay within ~10% of hand-written numpy on real models):

- the nodes of one trace are appended to a tape (a list) in creation order, which is a
  topological order, so the backward pass is one reversed loop with the cotangent stored on
  the node itself; each node drops its references once processed, so intermediates are freed
  during the sweep;
- primitives take their arguments as given (no copies), compute the numpy result once, and
  VJPs are called only for arguments that are boxes of the current trace; binary and unary
  primitives have dedicated wrappers (about 2 us of Python per operation, forward + backward);
- a primitive may keep a *residual* of its forward pass for its VJP (``primitive1(...,
  with_residual=...)``: logsumexp keeps its softmax) and may compute all its cotangents in one
  call (:class:`FusedVJP`: the dense layer of :mod:`.nn`);
- cotangents are summed in place when the running sum is provably unshared (CPython reference
  count, calibrated at import), and VJPs take numpy fast paths when nothing is traced.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .tree import tree_map

__all__ = ["Box", "primitive", "defvjp", "FusedVJP", "VariadicVJP", "grad", "value_and_grad", "stop_gradient", "getval"]


class Box:
    """A value recorded on a trace: a node of the computation graph.

    ``_value`` is the wrapped number (an ndarray, a numpy scalar, or a Box of an outer trace),
    ``_level`` the trace level, ``_tape`` the trace's node list, ``_parents`` the boxed
    arguments of the primitive that produced it and ``_argnums`` their positions, ``_vjps``
    the primitive's VJP table, ``_args``/``_kw`` the unboxed arguments, ``_g`` the cotangent
    accumulated during the backward pass. Operators and array methods are attached by
    :mod:`expressivity.autodiff.box_ops` (imported at the end of this module).
    """

    __slots__ = ("_value", "_level", "_tape", "_parents", "_argnums", "_vjps", "_args", "_kw", "_g")
    __array_ufunc__ = None  # numpy operators defer to the Box's reflected methods
    __array_priority__ = 1000.0

    def __init__(self, value, level, tape, parents, argnums, vjps, args, kw):
        self._value = value
        self._level = level
        self._tape = tape
        self._parents = parents
        self._argnums = argnums
        self._vjps = vjps
        self._args = args
        self._kw = kw
        self._g = None

    def __repr__(self):
        return f"Box(level={self._level}, value={self._value!r})"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "a traced value (Box) cannot be converted to a numpy array inside a differentiated "
            "function; use expressivity.autodiff.numpy (anp) instead of numpy, or "
            "stop_gradient(x) to use the plain value"
        )


def getval(x):
    """The plain value under any number of Box layers."""
    while type(x) is Box:
        x = x._value
    return x


def stop_gradient(x):
    """Return ``x`` with no gradient flowing through it (at any order).

    ``stop_gradient(x)`` is the plain numpy value of ``x`` (pytrees are mapped leafwise):
    the derivative of anything computed from it with respect to the inputs of any enclosing
    ``grad`` is zero.
    """
    if type(x) is Box:
        return getval(x)
    if isinstance(x, (dict, list, tuple)):
        return tree_map(getval, x)
    return x


def primitive(fun, name: str | None = None, vjp_table=None, with_residual=None):
    """Wrap a numpy function ``fun`` as a differentiable primitive.

    The returned function behaves like ``fun`` on plain arguments. When some positional
    arguments are Boxes it records a node on the newest trace among them; the VJPs are
    attached with :func:`defvjp`. Keyword arguments are never differentiated. ``vjp_table``
    (optional) is any object with ``vjp_table[i] -> vjp_i``, for variadic primitives.
    ``with_residual`` as in :func:`primitive1` (the keyword ``_res`` of the VJPs; None when
    an argument wraps an outer trace's Box).
    """
    if not callable(fun):
        raise TypeError(f"primitive: fun must be callable, got {type(fun).__name__}")
    vjps = {} if vjp_table is None else vjp_table
    binary_fast_path = with_residual is None

    def f_wrapped(*args, **kw):
        if len(args) == 2 and binary_fast_path:
            # fast path for binary operations (most recorded operations)
            a, b = args
            ta = type(a) is Box
            tb = type(b) is Box
            if ta:
                if tb:
                    la = a._level
                    lb = b._level
                    if la == lb:
                        va = a._value
                        vb = b._value
                        parents = (a, b)
                        argnums = (0, 1)
                    elif la > lb:
                        va = a._value
                        vb = b
                        parents = (a,)
                        argnums = (0,)
                    else:
                        va = a
                        vb = b._value
                        parents = (b,)
                        argnums = (1,)
                        a = b
                else:
                    va = a._value
                    vb = b
                    parents = (a,)
                    argnums = (0,)
            elif tb:
                va = a
                vb = b._value
                parents = (b,)
                argnums = (1,)
                a = b
            else:
                return fun(a, b, **kw)
            if type(va) is Box or type(vb) is Box:
                ans = f_wrapped(va, vb, **kw)
            else:
                ans = fun(va, vb, **kw)
            tape = a._tape
            node = Box(ans, a._level, tape, parents, argnums, vjps, (va, vb), kw)
            tape.append(node)
            return node
        top = -1
        for a in args:
            if type(a) is Box and a._level > top:
                top = a._level
                tape = a._tape
        if top < 0:
            return fun(*args, **kw)
        vals = list(args)
        parents = []
        argnums = []
        lower = False
        for i, a in enumerate(args):
            if type(a) is Box:
                if a._level == top:
                    v = a._value
                    vals[i] = v
                    parents.append(a)
                    argnums.append(i)
                    if type(v) is Box:
                        lower = True
                else:
                    lower = True
        if with_residual is None:
            ans = f_wrapped(*vals, **kw) if lower else fun(*vals, **kw)
        elif lower:
            ans = f_wrapped(*vals, **kw)
            kw = dict(kw, _res=None)
        else:
            ans, res = with_residual(*vals, **kw)
            kw = dict(kw, _res=res)
        node = Box(ans, top, tape, parents, argnums, vjps, vals, kw)
        tape.append(node)
        return node

    return _label(f_wrapped, fun, vjps, name)


def _label(f_wrapped, fun, vjps, name):
    """Attach the VJP table and the wrapped function's name and doc to a primitive. A dict
    table also keeps the name under the key "name" (for the error of a missing VJP)."""
    if type(vjps) is dict:
        vjps["name"] = name or getattr(fun, "__name__", "primitive")
    f_wrapped.vjps = vjps
    f_wrapped.fun = fun
    f_wrapped.__name__ = name or getattr(fun, "__name__", "primitive")
    f_wrapped.__qualname__ = f_wrapped.__name__
    f_wrapped.__doc__ = getattr(fun, "__doc__", None)
    return f_wrapped


def primitive1(fun, name: str | None = None, with_residual=None):
    """Like :func:`primitive` for functions differentiable in their first argument only.

    The other positional and keyword arguments (axes, shapes, constants) are passed through;
    this saves the scan over them, which is most of a primitive's Python overhead.

    ``with_residual(x, *rest, **kw) -> (ans, res)`` (optional) is used instead of ``fun`` when
    the call is recorded on plain values: ``res`` (e.g. a softmax computed on the way to a
    logsumexp) reaches the VJPs as the keyword ``_res`` and saves recomputing it. When ``x``
    wraps an outer trace's Box, ``_res`` is None and the VJP must use its traced formula.
    """
    if not callable(fun):
        raise TypeError(f"primitive1: fun must be callable, got {type(fun).__name__}")
    vjps: dict = {}

    if with_residual is None:

        def f_wrapped(x, *rest, **kw):
            if type(x) is not Box:
                return fun(x, *rest, **kw)
            v = x._value
            ans = f_wrapped(v, *rest, **kw) if type(v) is Box else fun(v, *rest, **kw)
            tape = x._tape
            node = Box(ans, x._level, tape, (x,), (0,), vjps, (v,) + rest, kw)
            tape.append(node)
            return node

    else:

        def f_wrapped(x, *rest, **kw):
            if type(x) is not Box:
                return fun(x, *rest, **kw)
            v = x._value
            if type(v) is Box:
                ans = f_wrapped(v, *rest, **kw)
                kw2 = dict(kw, _res=None)
            else:
                ans, res = with_residual(v, *rest, **kw)
                kw2 = dict(kw, _res=res)
            tape = x._tape
            node = Box(ans, x._level, tape, (x,), (0,), vjps, (v,) + rest, kw2)
            tape.append(node)
            return node

    return _label(f_wrapped, fun, vjps, name)


def defvjp(prim, *vjps, argnums=None):
    """Register VJPs ``vjp_i(g, ans, *args, **kw) -> cotangent of args[i]`` for ``prim``.

    VJPs must be written with differentiable operations (Box operators and primitives) so
    that higher derivatives work; on plain arrays they run at numpy speed.
    """
    table = getattr(prim, "vjps", None)
    if not isinstance(table, dict):
        raise TypeError(f"defvjp: prim must be a primitive made by primitive() or primitive1() "
                        f"(with a dict of VJPs), got {type(prim).__name__}")
    argnums = range(len(vjps)) if argnums is None else argnums
    for i, v in zip(argnums, vjps):
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise TypeError(f"defvjp: argnums must be integers >= 0, got {i!r}")
        if v is not None:
            if not callable(v):
                raise TypeError(f"defvjp: the VJP of argument {i} of {prim.__name__} must be callable "
                                f"or None, got {type(v).__name__}")
            table[i] = v


# ----------------------------------------------------------------------------- tracing

_next_level = [0]


class FusedVJP:
    """VJP table of a primitive whose cotangents share work: ``fn(g, ans, argnums, *args,
    **kw)`` returns the cotangents of ``args[i]`` for every ``i`` in ``argnums`` at once."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class VariadicVJP:
    """VJP table of a variadic primitive whose array arguments are ``args[1:]`` (einsum,
    concatenate, stack): ``fn(i, g, ans, *args, **kw)`` is the VJP of ``args[i]``."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __getitem__(self, i):
        return partial(self.fn, i)


def _accumulate(p, pg):
    """p._g += pg. In place when the running sum is a plain array that nothing else can see
    (it owns its data and only ``p._g`` refers to it, by its CPython reference count), else
    out of place, which is always safe and is what happens for traced cotangents."""
    old = p._g
    if (
        old.__class__ is _ndarray
        and pg.__class__ is _ndarray
        and old.shape == pg.shape
        and old.dtype == pg.dtype
        and old.base is None
        and _getrefcount(old) <= _ACC_REFCOUNT[0]
        and old.flags.writeable
    ):
        _np_add(old, pg, out=old)
    else:
        p._g = old + pg


_ndarray = np.ndarray
_np_add = np.add
_getrefcount = __import__("sys").getrefcount
_ACC_REFCOUNT = [0]  # set by _calibrate_accumulate below


def _calibrate_accumulate():
    """Measure the reference count of an unshared running sum inside ``_accumulate`` on the
    running interpreter (so the in-place test stays exact if CPython changes how many
    references locals and calls hold); anything shared has a larger count."""
    global _getrefcount
    seen = []
    real = _getrefcount

    def spy(o):
        n = real(o) - 1  # minus the extra reference of this wrapper's own parameter
        seen.append(n)
        return n + 10**9  # never take the in-place branch while calibrating

    _getrefcount = spy
    try:

        class _P:
            __slots__ = ("_g",)

        holder = _P()
        holder._g = np.zeros(2)
        _accumulate(holder, np.ones(2))
    finally:
        _getrefcount = real
    _ACC_REFCOUNT[0] = seen[0]
    assert np.array_equal(holder._g, np.ones(2))


_calibrate_accumulate()


def _backward(tape, out, g0):
    """Accumulate cotangents from ``out`` back to the leaves of ``tape``'s trace.

    The tape is in creation order, a topological order, so one reversed sweep suffices. A
    node's references are dropped as soon as it is processed, so intermediate arrays are
    freed (and their memory reused) during the sweep rather than after it.
    """
    out._g = g0
    for node in reversed(tape):
        g = node._g
        if g is None:
            continue
        vjps = node._vjps
        args = node._args
        kw = node._kw
        ans = node._value
        node._g = node._args = node._value = node._kw = None
        if vjps.__class__ is FusedVJP:
            for p, pg in zip(node._parents, vjps.fn(g, ans, node._argnums, *args, **kw)):
                if p._g is None:
                    p._g = pg
                else:
                    _accumulate(p, pg)
        else:
            for i, p in zip(node._argnums, node._parents):
                try:
                    vjp = vjps[i]
                except KeyError:
                    raise NotImplementedError(_missing_vjp(vjps, i)) from None
                pg = vjp(g, ans, *args, **kw)
                if p._g is None:
                    p._g = pg
                else:
                    _accumulate(p, pg)
        # no stale references to cotangents may survive into the next iteration: the
        # in-place fast paths use reference counts to prove a cotangent is unshared
        pg = g = None


def _missing_vjp(vjps, i):
    name = vjps.get("name", "primitive") if type(vjps) is dict else "primitive"
    return (f"the primitive {name!r} has no VJP for its argument {i}, through which a gradient is "
            f"asked: register one with defvjp({name}, ..., argnums=({i},)), or pass that argument "
            "through stop_gradient")


def _describe(argnum, path_index, in_tree):
    if not in_tree:
        return f"argument {argnum}"
    return f"argument {argnum} (leaf {path_index} of its pytree)"


def _check_float(x, argnum, i, in_tree):
    v = x
    while type(v) is Box:
        v = v._value
    if v.__class__ is np.ndarray and v.dtype.kind == "f":
        return x
    if isinstance(v, float):
        return np.asarray(v, dtype=np.float64) if type(x) is not Box else x
    dt = getattr(v, "dtype", None)
    if dt is None or dt.kind != "f":
        got = type(v).__name__ if dt is None else str(dt)
        raise TypeError(
            f"grad: can only differentiate with respect to floating-point inputs; "
            f"{_describe(argnum, i, in_tree)} has type/dtype {got}"
        )
    return x


def _box_tree(t, level, tape, boxes, argnum, in_tree):
    """The pytree ``t`` with every leaf wrapped in a fresh Box of ``level`` (one pass)."""
    tp = type(t)
    if tp is dict:
        out = {}
        for k, v in t.items():
            out[k] = _box_tree(v, level, tape, boxes, argnum, True)
        return out
    if tp is list:
        out = []
        for v in t:
            out.append(_box_tree(v, level, tape, boxes, argnum, True))
        return out
    if tp is tuple:
        out = []
        for v in t:
            out.append(_box_tree(v, level, tape, boxes, argnum, True))
        return tuple(out)
    if t is None:
        return None
    if tp is np.ndarray and t.dtype.kind == "f":
        b = Box(t, level, tape, (), (), None, (), None)
        boxes.append(b)
        return b
    if isinstance(t, (dict, tuple)):  # dict subclasses and namedtuples
        return tree_map(lambda leaf: _box_tree(leaf, level, tape, boxes, argnum, True), t)
    b = Box(_check_float(t, argnum, len(boxes), in_tree), level, tape, (), (), None, (), None)
    boxes.append(b)
    return b


def _make_vjp_run(fun, args, kwargs, argnums, has_aux, tape):
    """Run ``fun`` with the leaves of ``args[argnums]`` boxed on a new trace."""
    level = _next_level[0] = _next_level[0] + 1
    args = list(args)
    boxed = []
    for argnum in argnums:
        if argnum >= len(args) or argnum < -len(args):
            raise ValueError(
                f"grad: argnum={argnum} is out of range for a call with {len(args)} positional "
                "arguments"
            )
        bt = _box_tree(args[argnum], level, tape, [], argnum, False)
        boxed.append(bt)
        args[argnum] = bt
    result = fun(*args, **kwargs)
    if has_aux:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError("grad: with has_aux=True the function must return (value, aux)")
        out, aux = result
        aux = tree_map(lambda a: a._value if type(a) is Box and a._level == level else a, aux)
    else:
        out, aux = result, None
    return out, aux, boxed, tape, level


def _run_backward(out, boxed, tape, level):
    if type(out) is Box and out._level == level:
        val = out._value
        raw = getval(val)
        if raw.__class__ is not np.ndarray and not isinstance(raw, np.generic):
            raw = np.asarray(raw)
        if raw.dtype.kind != "f":
            raise TypeError(f"grad: the differentiated function must return a real scalar, got "
                            f"dtype {raw.dtype}")
        if raw.size != 1:
            raise TypeError(
                f"grad: the differentiated function must return a scalar, got shape {raw.shape}"
            )
        _backward(tape, out, np.ones(raw.shape, raw.dtype))
    else:
        val = out
        raw = getval(out)
        if isinstance(raw, bool) or not isinstance(raw, (int, float, np.ndarray, np.generic)) or \
                np.asarray(raw).dtype.kind not in "iuf":
            raise TypeError(f"grad: the differentiated function must return a real scalar, got "
                            f"{type(raw).__name__}"
                            + (f" of dtype {raw.dtype}" if isinstance(raw, (np.ndarray, np.generic)) else ""))
        if np.size(getval(out)) != 1:
            raise TypeError(
                f"grad: the differentiated function must return a scalar, got shape "
                f"{np.shape(getval(out))}"
            )
    seen = set()

    def leaf_grad(b):
        g = b._g
        b._g = None
        raw = b._value
        while type(raw) is Box:
            raw = raw._value
        if g is None:
            return np.zeros_like(raw)
        if not (
            g.__class__ is np.ndarray
            and raw.__class__ is np.ndarray
            and g.shape == raw.shape
            and g.dtype == raw.dtype
        ):
            g = _conform(g, raw)
        if g.__class__ is np.ndarray:
            # hand out writeable arrays that share no memory with one another
            base = g if g.base is None else g.base
            if id(base) in seen or not g.flags.writeable:
                g = np.array(g)
                base = g
            seen.add(id(base))
        return g

    grads = [tree_map(leaf_grad, bt) for bt in boxed]
    tape.clear()
    return val, grads


def _conform(g, raw):
    """Give the gradient the leaf's shape (size-1 broadcasts) and dtype."""
    gshape = np.shape(getval(g))
    rshape = np.shape(raw)
    if gshape != rshape:
        g = reshape(g, rshape)
    gd = getattr(getval(g), "dtype", None)
    rd = getattr(raw, "dtype", None)
    if rd is not None and gd is not None and gd != rd:
        g = astype(g, rd)
    elif rd is not None and gd is None:
        g = np.asarray(g, dtype=rd)
    return g


def value_and_grad(fun, argnum=0, has_aux=False):
    """Return ``f(*args) -> (fun(*args), d fun / d args[argnum])``.

    ``fun`` must return a scalar (a 0-d or size-1 array or float). ``args[argnum]`` may be an
    array or a pytree of floating-point arrays; the gradient has the same structure and
    dtypes. ``argnum`` may be a tuple, giving a tuple of gradients. With ``has_aux=True``
    ``fun`` returns ``(value, aux)`` and the result is ``((value, aux), grad)``; the leaves of
    ``aux`` come back as values (unwrapped from this trace; still traced by enclosing ones).
    """
    if not callable(fun):
        raise TypeError(f"grad: fun must be callable, got {type(fun).__name__}")
    multi = isinstance(argnum, (tuple, list))
    argnums = tuple(argnum) if multi else (argnum,)
    if not argnums or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in argnums):
        raise TypeError(f"grad: argnum must be an int or a non-empty tuple of ints, got {argnum!r}")
    if not isinstance(has_aux, (bool, np.bool_)):
        raise TypeError(f"grad: has_aux must be True or False, got {type(has_aux).__name__}")

    def vg(*args, **kwargs):
        tape: list = []
        try:
            out, aux, boxed, tape, level = _make_vjp_run(fun, args, kwargs, argnums, has_aux, tape)
            val, grads = _run_backward(out, boxed, tape, level)
        finally:
            tape.clear()  # nodes refer to the tape: break the cycle even after an error
        g = tuple(grads) if multi else grads[0]
        if has_aux:
            return (val, aux), g
        return val, g

    vg.__name__ = f"value_and_grad({getattr(fun, '__name__', 'fun')})"
    vg.__doc__ = fun.__doc__
    return vg


def grad(fun, argnum=0, has_aux=False):
    """Return the gradient function of a scalar-valued ``fun`` with respect to ``args[argnum]``.

    ``grad(grad(f))``, Hessian-vector products ``grad(lambda x: vdot(grad(f)(x), v))`` and
    gradients through loops of optimiser steps work because every VJP is itself traced.
    With ``has_aux=True`` returns ``(grad, aux)``.
    """
    vg = value_and_grad(fun, argnum, has_aux)

    def g(*args, **kwargs):
        if has_aux:
            (val, aux), gr = vg(*args, **kwargs)
            return gr, aux
        return vg(*args, **kwargs)[1]

    g.__name__ = f"grad({getattr(fun, '__name__', 'fun')})"
    g.__doc__ = fun.__doc__
    return g


# The Box operators (x + y, x @ W, x.sum(), x[i]) are the primitives of the topic modules,
# attached here so that a Box is complete as soon as the engine is imported. They import
# this module's names, all defined above.
from . import box_ops as _box_ops  # noqa: E402,F401
from .elementwise import astype  # noqa: E402
from .shapes import reshape  # noqa: E402
