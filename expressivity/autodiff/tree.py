"""Pytrees: nested ``dict`` / ``list`` / ``tuple`` (and namedtuple) containers of arrays.

Parameters, gradients and optimiser states are pytrees. A leaf is anything that is not one of
those containers (an array, a float, a traced value); ``None`` is an empty subtree. Dicts keep
their insertion order, so a gradient has the same layout as the parameters it belongs to.
"""
from __future__ import annotations

import numpy as _np

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "TreeMismatchError"]

_ndarray = _np.ndarray


def _is_namedtuple(t) -> bool:
    return isinstance(t, tuple) and hasattr(type(t), "_fields")


def tree_flatten(tree):
    """Return ``(leaves, treedef)``; ``tree_unflatten(treedef, leaves)`` rebuilds ``tree``."""
    leaves: list = []

    def rec(t):
        tp = type(t)
        if tp is dict or (isinstance(t, dict)):
            keys = list(t.keys())
            return (tp, keys, [rec(t[k]) for k in keys])
        if tp is list:
            return (list, None, [rec(v) for v in t])
        if tp is tuple:
            return (tuple, None, [rec(v) for v in t])
        if _is_namedtuple(t):
            return (tp, "namedtuple", [rec(v) for v in t])
        if t is None:
            return (None, None, None)
        leaves.append(t)
        return None

    treedef = rec(tree)
    return leaves, treedef


def tree_unflatten(treedef, leaves):
    """Inverse of :func:`tree_flatten`. ``leaves`` must hold exactly as many leaves as
    ``treedef`` has (ValueError otherwise)."""
    leaves = list(leaves)
    n = _count_leaves(treedef)
    if len(leaves) != n:
        raise ValueError(f"tree_unflatten: treedef has {n} leaves, got {len(leaves)} leaves")
    it = iter(leaves)

    def rec(d):
        if d is None:
            return next(it)
        tp, keys, children = d
        if tp is None:
            return None
        if keys == "namedtuple":
            return tp(*[rec(c) for c in children])
        if keys is not None:
            out = tp() if tp is not dict else {}
            for k, c in zip(keys, children):
                out[k] = rec(c)
            return out
        return tp(rec(c) for c in children) if tp is tuple else [rec(c) for c in children]

    return rec(treedef)


def _count_leaves(d):
    if d is None:
        return 1
    if not (isinstance(d, tuple) and len(d) == 3):
        raise TypeError(f"tree_unflatten: treedef must come from tree_flatten, got {type(d).__name__}")
    tp, _, children = d
    if tp is None:
        return 0
    return sum(_count_leaves(c) for c in children)


def tree_leaves(tree) -> list:
    """The leaves of ``tree`` in flattening order."""
    return tree_flatten(tree)[0]


def _map1(f, t):
    # single-tree map with plain loops (cheaper than comprehensions on CPython 3.11)
    tp = type(t)
    if tp is dict:
        out = {}
        for k, v in t.items():
            out[k] = _map1(f, v)
        return out
    if tp is list:
        out = []
        for v in t:
            out.append(_map1(f, v))
        return out
    if tp is tuple:
        out = []
        for v in t:
            out.append(_map1(f, v))
        return tuple(out)
    if t is None:
        return None
    if tp is _ndarray:
        return f(t)
    if isinstance(t, dict) or _is_namedtuple(t):
        return _map_many(f, t)
    return f(t)


class TreeMismatchError(ValueError):
    """The trees given to :func:`tree_map` together differ in structure."""


def _describe(t):
    if isinstance(t, dict):
        return f"{type(t).__name__} with keys {list(t.keys())}"
    if isinstance(t, (list, tuple)):
        return f"{type(t).__name__} of length {len(t)}"
    return "a leaf" if t is not None else "None"


def _check_same(tree, rest):
    tp = type(tree)
    for r in rest:
        if type(r) is not tp or len(r) != len(tree) or (isinstance(tree, dict) and r.keys() != tree.keys()):
            raise TreeMismatchError(f"tree_map: the trees differ in structure: {_describe(tree)} "
                                    f"against {_describe(r)}")


def tree_map(f, tree, *rest):
    """Apply ``f`` leafwise to ``tree`` (and to the matching leaves of ``rest``).

    With several trees they must have one structure (same containers, keys and lengths);
    otherwise :class:`TreeMismatchError` (a ValueError) says where they differ.
    """
    if not rest:
        return _map1(f, tree)
    return _map_many(f, tree, *rest)


def _map_many(f, tree, *rest):
    tp = type(tree)
    if tp is dict or tp is list or tp is tuple or isinstance(tree, dict) or _is_namedtuple(tree):
        _check_same(tree, rest)
    elif tree is not None:
        for r in rest:
            if isinstance(r, (dict, list, tuple)):
                raise TreeMismatchError(f"tree_map: the trees differ in structure: a leaf against "
                                        f"{_describe(r)}")
    if tp is dict:
        return {k: _map_many(f, v, *[r[k] for r in rest]) for k, v in tree.items()}
    if tp is list:
        return [_map_many(f, *xs) for xs in zip(tree, *rest)]
    if tp is tuple:
        return tuple(_map_many(f, *xs) for xs in zip(tree, *rest))
    if tree is None:
        return None
    if tp is _ndarray:
        return f(tree, *rest)
    if isinstance(tree, dict):
        out = tp()
        for k, v in tree.items():
            out[k] = _map_many(f, v, *[r[k] for r in rest])
        return out
    if _is_namedtuple(tree):
        return tp(*[_map_many(f, *xs) for xs in zip(tree, *rest)])
    return f(tree, *rest)
