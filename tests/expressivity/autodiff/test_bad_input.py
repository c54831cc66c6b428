"""Table-driven bad-input test of expressivity.autodiff: grad / value_and_grad, primitive /
defvjp, the numpy namespace's own checks, the optimisers, pytrees and the testing helpers
(issue 19).

Oracle: the documented contract — a ValueError/TypeError naming the argument and the allowed
values, a NotImplementedError naming a primitive without a VJP and the argument, or a
documented value (NaN in gives NaN out, as numpy; None is an empty pytree); never a bare
KeyError from the backward pass, a silent 0 or a warning. Harness: tests/expressivity/_bad_input.py.
"""
from __future__ import annotations

import math

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import defvjp, grad, optim, primitive, stop_gradient, tree, value_and_grad
from expressivity.autodiff.testing import check_grads, numerical_grad
from tests.expressivity._bad_input import Doc, Named, is_nan, table_tests

nan, inf = math.nan, math.inf
CASES = []


def add(name, thunk, expect):
    CASES.append((name, thunk, expect))


sq = lambda x: anp.sum(x * x)  # noqa: E731

# ---------------------------------------------------------------- grad / value_and_grad
for g in (grad, value_and_grad):
    n = g.__name__
    for i, v in enumerate([3, None, "f", [sq]]):
        add(f"{n}-fun-{i}", lambda g=g, v=v: g(v), Named("fun"))
    for i, v in enumerate(["0", 1.5, None, (), True]):
        add(f"{n}-argnum-{i}", lambda g=g, v=v: g(sq, v), Named("argnum"))
    add(f"{n}-argnum-range", lambda g=g: g(sq, 3)(np.ones(2)), Named("argnum"))
    add(f"{n}-has_aux-str", lambda g=g: g(sq, has_aux="yes"), Named("has_aux"))
    add(f"{n}-has_aux-no-pair", lambda g=g: g(sq, has_aux=True)(np.ones(2)), Named("has_aux"))
    for i, f in enumerate([lambda x: "a", lambda x: None, lambda x: 1j, lambda x: [1.0],
                           lambda x: x * 1j, lambda x: x > 0, lambda x: {"a": 1.0}]):
        add(f"{n}-returns-bad-{i}", lambda g=g, f=f: g(f)(1.0), Named("return"))
    add(f"{n}-returns-vector", lambda g=g: g(lambda x: x * 2)(np.ones(3)), Named("scalar"))
    add(f"{n}-returns-empty", lambda g=g: g(lambda x: anp.sum(x) * np.ones(0))(np.ones(3)),
        Named("scalar"))
    for i, v in enumerate(["a", 1 + 0j, 3, True, np.arange(3), np.ones(2, complex), ["a", 1.0],
                           {"w": 2}]):
        add(f"{n}-input-{i}", lambda g=g, v=v: g(lambda x: 1.0)(v), Named("argument"))
add("grad-input-None-empty-tree", lambda: grad(lambda x: 1.0)(None),
    Doc(lambda r: r is None, "None: an empty pytree has an empty gradient"))
add("grad-nan-input", lambda: grad(lambda x: anp.sin(x))(nan), Doc(is_nan, "NaN in, NaN out"))
add("grad-inf-input", lambda: grad(lambda x: anp.tanh(x))(inf), Doc(lambda r: r == 0.0, "d tanh(inf) = 0"))
add("grad-huge-input", lambda: grad(lambda x: anp.sum(x * 2.0))(1e300), Doc(lambda r: r == 2.0, "2"))
add("grad-empty-input", lambda: grad(lambda x: anp.sum(x) + 1.0)(np.ones(0)),
    Doc(lambda r: r.shape == (0,), "an empty gradient for an empty input"))
add("grad-constant-output", lambda: grad(lambda x: 3.0)(1.0),
    Doc(lambda r: r == 0.0, "0: the output does not depend on x"))

# ---------------------------------------------------------------- primitives without VJPs
_novjp = primitive(np.sin, "my_sin")
_half = primitive(np.multiply, "half_mul")
defvjp(_half, lambda g, ans, x, y: g * y)  # no VJP for y
add("primitive-no-vjp", lambda: grad(lambda x: _novjp(x))(1.0),
    Named("my_sin", types=(NotImplementedError,)))
add("primitive-no-vjp-arg1", lambda: grad(lambda y: _half(2.0, y))(1.0),
    Named("argument 1", types=(NotImplementedError,)))
add("primitive-no-vjp-stopped", lambda: grad(lambda y: _half(2.0, stop_gradient(y)) + y)(1.0),
    Doc(lambda r: r == 1.0, "stop_gradient skips the missing VJP"))
add("primitive-fun", lambda: primitive(3), Named("fun"))
add("defvjp-prim", lambda: defvjp(np.sin, lambda g, ans, x: g), Named("prim"))
add("defvjp-vjp", lambda: defvjp(primitive(np.cos), "notfn"), Named("VJP"))
add("defvjp-argnums", lambda: defvjp(primitive(np.cos), lambda g, a, x: g, argnums=("a",)), Named("argnums"))

# ---------------------------------------------------------------- traced values misused
add("box-asarray", lambda: grad(lambda x: np.asarray(x).sum())(np.ones(2)), Named("traced"))
add("box-setitem", lambda: grad(lambda x: x.__setitem__(0, 1.0))(np.ones(2)), Named("in-place"))
add("anp-unknown", lambda: anp.fft, Named("fft", types=(AttributeError,)))
add("anp-dot-3d", lambda: anp.dot(np.ones((2, 2, 2)), np.ones((2, 2))), Named("ndim"))
add("anp-einsum-ellipsis", lambda: anp.einsum("...i->i", np.ones((2, 2))),
    Named("anp.einsum", types=(NotImplementedError,)))
add("anp-einsum-repeat", lambda: anp.einsum("ii->", np.ones((2, 2))),
    Named("anp.einsum", types=(NotImplementedError,)))
add("anp-einsum-operands", lambda: anp.einsum("ij,jk->ik", np.ones((2, 2))), Named("operands"))
for i, v in enumerate([np.array([0.5]), ["a"], np.array([1 + 0j])]):
    add(f"anp-one_hot-idx-type-{i}", lambda v=v: anp.one_hot(v, 3), Named("idx"))
add("anp-one_hot-idx-range", lambda: anp.one_hot(np.array([5]), 3), Named("idx"))
for i, v in enumerate([0, -1, 2.5, "3", None]):
    add(f"anp-one_hot-n-{i}", lambda v=v: anp.one_hot(np.array([0]), v), Named("n"))
add("anp-reshape-traced", lambda: grad(lambda x: anp.sum(anp.reshape(x, (5,))))(np.ones(4)),
    Named("shape"))

# ---------------------------------------------------------------- optimisers
BAD_LR = [nan, inf, -1.0, "0.1", None, 1j, [0.1]]
for i, v in enumerate(BAD_LR):
    add(f"sgd-lr-{i}", lambda v=v: optim.sgd(v), Named("lr"))
    add(f"adam-lr-{i}", lambda v=v: optim.adam(v), Named("lr"))
    add(f"momentum-lr-{i}", lambda v=v: optim.momentum(v), Named("lr"))
    add(f"adam_inplace-lr-{i}", lambda v=v: optim.adam_inplace({"w": np.ones(2)}, lr=v), Named("lr"))
    add(f"sgd_inplace-lr-{i}", lambda v=v: optim.sgd_inplace({"w": np.ones(2)}, lr=v), Named("lr"))
    add(f"momentum_inplace-lr-{i}", lambda v=v: optim.momentum_inplace({"w": np.ones(2)}, lr=v), Named("lr"))
for i, v in enumerate([1.0, -0.1, nan, "0.9", None, 1j]):
    add(f"adam-b1-{i}", lambda v=v: optim.adam(0.1, b1=v), Named("b1"))
    add(f"adam-b2-{i}", lambda v=v: optim.adam(0.1, b2=v), Named("b2"))
    add(f"momentum-mass-{i}", lambda v=v: optim.momentum(0.1, mass=v), Named("mass"))
    add(f"adam_inplace-b2-{i}", lambda v=v: optim.adam_inplace({"w": np.ones(2)}, b2=v), Named("b2"))
for i, v in enumerate([0.0, -1e-8, nan, inf, "1e-8", None]):
    add(f"adam-eps-{i}", lambda v=v: optim.adam(0.1, eps=v), Named("eps"))
    add(f"adam_inplace-eps-{i}", lambda v=v: optim.adam_inplace({"w": np.ones(2)}, eps=v), Named("eps"))
add("momentum-nesterov", lambda: optim.momentum(0.1, nesterov="yes"), Named("nesterov"))
add("momentum_inplace-nesterov", lambda: optim.momentum_inplace({"w": np.ones(2)}, nesterov=1), Named("nesterov"))
_P = {"w": np.ones(2), "b": np.zeros(1)}
for make in (lambda: optim.sgd(0.1), lambda: optim.momentum(0.1), lambda: optim.adam(0.1)):
    nm = make().update.__qualname__
    for j, gr in enumerate([{"w": np.ones(2)}, {"w": np.ones(2), "c": np.zeros(1)}, [np.ones(2), np.zeros(1)],
                            {"w": [np.ones(2)], "b": np.zeros(1)}]):
        add(f"{nm}-{make().init.__qualname__}-{j}",
            lambda make=make, gr=gr: (lambda o: o.update(gr, o.init(_P), _P))(make()), Named("grads"))
for i, v in enumerate([{"w": np.ones(2, int)}, {"w": [1.0, 2.0]}, "abc", {"w": np.ones(2) + 0j}]):
    add(f"adam_inplace-params-{i}", lambda v=v: optim.adam_inplace(v), Named("params"))
_ro = np.ones(2)
_ro.flags.writeable = False
add("adam_inplace-params-readonly", lambda: optim.adam_inplace({"w": _ro}), Named("params"))
for cls in ("adam_inplace", "sgd_inplace", "momentum_inplace"):
    make = getattr(optim, cls)
    add(f"{cls}-step-leaves", lambda make=make: make({"w": np.ones(2)}).step({"w": np.ones(2), "b": np.ones(1)}),
        Named("grads"))
    add(f"{cls}-step-shape", lambda make=make: make({"w": np.ones(2)}).step({"w": np.ones(3)}), Named("grads"))
    add(f"{cls}-step-str", lambda make=make: make({"w": np.ones(2)}).step({"w": "ab"}), Named("grads"))
add("adam_inplace-step-nan", lambda: optim.adam_inplace({"w": np.ones(2)}).step({"w": np.array([nan, 0.0])}),
    Named("NaN", types=(FloatingPointError,)))
add("adam_inplace-step-nan-skip", lambda: optim.adam_inplace({"w": np.ones(2)}).step(
    {"w": np.array([nan, 0.0])}, skip_nan=True), Doc(lambda r: r is False, "False: step skipped"))

# ---------------------------------------------------------------- pytrees
add("tree_map-keys", lambda: tree.tree_map(lambda a, b: a, {"w": 1.0}, {"b": 1.0}), Named("trees"))
add("tree_map-length", lambda: tree.tree_map(lambda a, b: a, [1.0, 2.0], [1.0]), Named("trees"))
add("tree_map-type", lambda: tree.tree_map(lambda a, b: a, {"w": 1.0}, [1.0]), Named("trees"))
add("tree_map-leaf-vs-dict", lambda: tree.tree_map(lambda a, b: a, [1.0], [{"w": 1.0}]), Named("trees"))
_leaves, _def = tree.tree_flatten({"w": 1.0, "b": [2.0, 3.0]})
add("tree_unflatten-few", lambda: tree.tree_unflatten(_def, [1.0]), Named("leaves"))
add("tree_unflatten-many", lambda: tree.tree_unflatten(_def, [1.0] * 5), Named("leaves"))
add("tree_unflatten-treedef", lambda: tree.tree_unflatten("abc", [1.0]), Named("treedef"))

# ---------------------------------------------------------------- testing helpers
for fn in (check_grads, numerical_grad):
    n = fn.__name__
    add(f"{n}-f", lambda fn=fn: fn(3, (1.0,)), Named("f"))
    add(f"{n}-args", lambda fn=fn: fn(sq, 1.0), Named("args"))
    for i, v in enumerate([5, -3, "0", 1.5]):
        add(f"{n}-argnum-{i}", lambda fn=fn, v=v: fn(sq, (np.ones(2),), v), Named("argnum"))
    for i, v in enumerate([0.0, -1e-6, nan, "1e-6"]):
        add(f"{n}-h-{i}", lambda fn=fn, v=v: fn(sq, (np.ones(2),), 0, h=v), Named("h"))
for i, v in enumerate([0.0, -1.0, nan, "x"]):
    add(f"check_grads-rtol-{i}", lambda v=v: check_grads(sq, (np.ones(2),), rtol=v), Named("rtol"))


test_bad_input, test_case_ids_unique = table_tests(CASES)
