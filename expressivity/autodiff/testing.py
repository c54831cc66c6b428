"""Finite-difference oracles for gradients (used by the tests; handy for new primitives).

Central differences f'(x) ~ (f(x + h) - f(x - h)) / (2h) have error O(h^2 f''') + O(eps/h);
with float64 and h = 1e-6 (scaled by |x|) both are far below the 1e-6 relative tolerance used.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_positive
from .core import grad
from .tree import tree_flatten, tree_unflatten

__all__ = ["numerical_grad", "check_grads", "rel_error"]


def _check_args(f, args, argnum, h):
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple or list of positional arguments, got {type(args).__name__}")
    if isinstance(argnum, bool) or not isinstance(argnum, int) or not -len(args) <= argnum < len(args):
        raise ValueError(f"argnum must be an int indexing args (0 <= argnum < {len(args)}), got {argnum!r}")
    check_positive("h", h)


def rel_error(a, b) -> float:
    """||a - b|| / max(||b||, 1e-12) over flattened pytrees."""
    la, _ = tree_flatten(a)
    lb, _ = tree_flatten(b)
    da = np.concatenate([np.ravel(np.asarray(x, np.float64) - np.asarray(y, np.float64)) for x, y in zip(la, lb)])
    nb = np.concatenate([np.ravel(np.asarray(y, np.float64)) for y in lb])
    return float(np.linalg.norm(da) / max(np.linalg.norm(nb), 1e-12))


def numerical_grad(f, args, argnum=0, h=1e-6):
    """Gradient of the scalar ``f(*args)`` w.r.t. the pytree ``args[argnum]`` by central
    differences, one coordinate at a time (float64)."""
    _check_args(f, args, argnum, h)
    args = list(args)
    leaves, treedef = tree_flatten(args[argnum])
    leaves = [np.array(l, dtype=np.float64) for l in leaves]
    out = []
    for k, leaf in enumerate(leaves):
        g = np.zeros_like(leaf)
        flat = leaf.reshape(-1)
        gflat = g.reshape(-1)
        for i in range(flat.size):
            x0 = flat[i]
            step = h * max(1.0, abs(x0))
            flat[i] = x0 + step
            args[argnum] = tree_unflatten(treedef, leaves)
            fp = float(f(*args))
            flat[i] = x0 - step
            args[argnum] = tree_unflatten(treedef, leaves)
            fm = float(f(*args))
            flat[i] = x0
            gflat[i] = (fp - fm) / (2 * step)
        out.append(g)
    return tree_unflatten(treedef, out)


def check_grads(f, args, argnum=0, rtol=1e-6, h=1e-6):
    """Assert that ``grad(f, argnum)`` matches :func:`numerical_grad` to ``rtol``; returns the
    relative error."""
    _check_args(f, args, argnum, h)
    rtol = check_positive("rtol", rtol)
    g = grad(f, argnum)(*args)
    gn = numerical_grad(f, args, argnum, h)
    err = rel_error(g, gn)
    if not err <= rtol:
        raise AssertionError(f"gradient mismatch: relative error {err:.3e} > {rtol:.1e}")
    return err
