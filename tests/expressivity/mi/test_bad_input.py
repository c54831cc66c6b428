"""Table-driven bad-input test of expressivity.mi: the bounds on score matrices, the
benchmark data, critics and baselines, and the training entry points (issue 19).

Oracle: the documented contract — a ValueError/TypeError naming the argument and the allowed
values, or a documented value (-inf entries are masked pairs; integer matrices are converted;
``mine(S, -800)`` equals ``dv(S)``); never NaN from +inf scores, a complex estimate, a numpy
casting or ufunc error, or a silently truncated step count. Harness: tests/expressivity/_bad_input.py.
"""
from __future__ import annotations

import math

import numpy as np

from expressivity import mi
from tests.expressivity._bad_input import Doc, Named, finite, table_tests

nan, inf = math.nan, math.inf
CASES = []


def add(name, thunk, expect):
    CASES.append((name, thunk, expect))


rng = np.random.default_rng(0)
S0 = rng.standard_normal((4, 4)) + 2 * np.eye(4)


def with_entry(i, j, v, dtype=float):
    S = S0.astype(dtype).copy()
    S[i, j] = v
    return S


BAD_S = {
    "nan": with_entry(1, 2, nan), "inf-diag": with_entry(0, 0, inf), "inf-off": with_entry(0, 1, inf),
    "complex": np.eye(3) + 0j, "str": "abc", "none": None, "non-square": np.zeros((3, 4)),
    "1x1": np.zeros((1, 1)), "empty": np.zeros((0, 0)), "3d": np.zeros((2, 2, 2)), "1d": np.zeros(4),
    "bool": np.eye(3, dtype=bool), "ragged": [[1.0, 2.0], [1.0]],
}
BOUNDS = {
    "dv": mi.dv, "mine": mi.mine, "tuba": mi.tuba, "nwj": mi.nwj, "infonce": mi.infonce, "js": mi.js,
    "js_objective": mi.js_objective, "interpolated": lambda S: mi.interpolated(S, 0.5),
    "tnce": mi.tnce, "loo_upper_bound": mi.loo_upper_bound, "lme_offdiag": mi.lme_offdiag,
    "check_scores": mi.check_scores,
}
for bn, f in BOUNDS.items():
    arg = "log_conditional" if bn in ("tnce", "loo_upper_bound") else "S"
    for sn, S in BAD_S.items():
        add(f"{bn}-S-{sn}", lambda f=f, S=S: f(S), Named(arg))
    add(f"{bn}-S-int-converted", lambda f=f: f(np.eye(4, dtype=int) * 3),
        Doc(lambda v: finite(v) and not np.iscomplexobj(v), "integer scores converted to float"))
    add(f"{bn}-S-list-converted", lambda f=f: f(np.eye(3).tolist()), Doc(finite, "lists converted"))
    add(f"{bn}-S-huge-diag", lambda f=f: f(S0 + 1e300 * np.eye(4)),
        Doc(lambda v: not np.isnan(v), "no NaN at 1e300 on the diagonal"))
    add(f"{bn}-S-neg-inf-off", lambda f=f: f(with_entry(0, 1, -inf)),
        Doc(finite, "-inf off the diagonal is a masked pair"))

# extra arguments of the bounds
for i, v in enumerate([nan, inf, "1", 1j, np.zeros(5), np.array([0.0, nan, 0, 0])]):
    add(f"tuba-log_baseline-{i}", lambda v=v: mi.tuba(S0, v), Named("log_baseline"))
    add(f"interpolated-log_baseline-{i}", lambda v=v: mi.interpolated(S0, 0.5, v), Named("log_baseline"))
for i, v in enumerate([nan, -0.1, 1.5, "0.5", 1j, [0.5]]):
    add(f"interpolated-alpha-{i}", lambda v=v: mi.interpolated(S0, v), Named("alpha"))
for i, v in enumerate([nan, inf, -inf, "0"]):
    add(f"interpolated-alpha_logit-{i}", lambda v=v: mi.interpolated(S0, alpha_logit=v), Named("alpha_logit"))
add("interpolated-no-alpha", lambda: mi.interpolated(S0), Named("alpha"))
add("interpolated-both-alpha", lambda: mi.interpolated(S0, 0.5, alpha_logit=0.0), Named("alpha"))
add("interpolated-alpha-0-documented", lambda: mi.interpolated(S0, 0.0), Doc(finite, "alpha = 0: TUBA"))
for i, v in enumerate([nan, inf, "0", 1j]):
    add(f"mine-log_moving_average-{i}", lambda v=v: mi.mine(S0, v), Named("log_moving_average"))
    add(f"mine_update-log_moving_average-{i}", lambda v=v: mi.mine_update(v, S0), Named("log_moving_average"))
add("mine-lma-minus-800", lambda: mi.mine(S0, -800.0),
    Doc(lambda v: v == mi.dv(S0), "dv(S) exactly (the docstring's promise)"))
for i, v in enumerate([0.0, -0.1, 1.5, nan, "0.1"]):
    add(f"mine_update-rate-{i}", lambda v=v: mi.mine_update(0.0, S0, v), Named("rate"))
for i, v in enumerate([nan, inf, "1"]):
    add(f"js-shift-{i}", lambda v=v: mi.js(S0, v), Named("shift"))
for i, v in enumerate([1, 0, -3, 2.5, "64", None]):
    add(f"interpolated_cap-K-{i}", lambda v=v: mi.interpolated_cap(v, 0.5), Named("K"))
for i, v in enumerate([0.0, -0.5, 1.5, nan, "0.5"]):
    add(f"interpolated_cap-alpha-{i}", lambda v=v: mi.interpolated_cap(64, v), Named("alpha"))
for i, (a, b) in enumerate([(np.zeros(3), np.zeros(4)), (np.zeros((2, 2)), np.zeros((2, 2))),
                            (np.zeros(3), np.zeros((3, 1))), (np.zeros(0), np.zeros(0))]):
    add(f"upper_bound-shapes-{i}", lambda a=a, b=b: mi.upper_bound(a, b), Named("log_conditional_pos"))
add("upper_bound-nan", lambda: mi.upper_bound(np.array([0.0, nan]), np.zeros(2)), Named("log_conditional_pos"))
add("upper_bound-str", lambda: mi.upper_bound(np.zeros(2), "ab"), Named("log_marginal_q"))
add("upper_bound-complex", lambda: mi.upper_bound(np.zeros(2), np.zeros(2) + 1j), Named("log_marginal_q"))
for i, v in enumerate([np.zeros((2, 2)), np.zeros(0), "ab", np.array([nan, 0.0]), None]):
    add(f"ba-log_q-{i}", lambda v=v: mi.ba(v, 1.0), Named("log_q_x_given_y"))
for i, v in enumerate([nan, inf, "1", None, 1j]):
    add(f"ba-entropy_x-{i}", lambda v=v: mi.ba(np.zeros(3), v), Named("entropy_x"))
for i, v in enumerate([np.zeros(3), np.zeros((2, 2, 2)), "ab", np.array([[0.0, nan]]), np.zeros((3, 1))]):
    add(f"loo_logmeanexp-T-{i}", lambda v=v: mi.loo_logmeanexp(v), Named("T"))
add("loo_logmeanexp-axis", lambda: mi.loo_logmeanexp(np.zeros((3, 3)), axis=2), Named("axis"))

# ---------------------------------------------------------------- data, critics, baselines
for i, v in enumerate([-1.0, nan, inf, "2", None, 1j, [[-1.0]]]):
    add(f"mi_to_rho-mi-{i}", lambda v=v: mi.mi_to_rho(v, 20), Named("mi"))
    add(f"sample_gaussian-mi-{i}", lambda v=v: mi.sample_gaussian(0, 8, 2, v), Named("mi"))
for i, v in enumerate([0, -1, 2.5, "20", None, True]):
    add(f"mi_to_rho-dim-{i}", lambda v=v: mi.mi_to_rho(1.0, v), Named("dim"))
    add(f"entropy_gaussian-dim-{i}", lambda v=v: mi.entropy_gaussian(v), Named("dim"))
for i, v in enumerate([1.0, -1.0, nan, "0.5", 1j]):
    add(f"rho_to_mi-rho-{i}", lambda v=v: mi.rho_to_mi(v, 2), Named("rho"))
for i, v in enumerate([0, -1, 2.5, "8", None]):
    add(f"sample_gaussian-batch_size-{i}", lambda v=v: mi.sample_gaussian(0, v, 2), Named("batch_size"))
    add(f"staircase-steps_per_level-{i}", lambda v=v: mi.staircase((1.0,), v), Named("steps_per_level"))
for i, v in enumerate([-1, "x", 2.5]):
    add(f"sample_gaussian-rng-{i}", lambda v=v: mi.sample_gaussian(v, 8, 2), Named("seed", "rng"))
for i, v in enumerate([[], [-1.0], "x", [nan], [[1.0]], None]):
    add(f"staircase-levels-{i}", lambda v=v: mi.staircase(v, 2), Named("levels"))
_x, _y = mi.sample_gaussian(0, 5, 3)
for i, v in enumerate([np.zeros(3), "x", np.full((5, 3), nan), np.zeros((5, 3)) + 1j]):
    add(f"log_conditional-x-{i}", lambda v=v: mi.log_conditional(v, _y, 1.0), Named("x"))
add("log_conditional-y-dim", lambda: mi.log_conditional(_x, np.zeros((5, 2)), 1.0), Named("y"))
add("log_marginal-y", lambda: mi.log_marginal("abc"), Named("y"))
add("pmi-mi", lambda: mi.pmi(_x, _y, -1.0), Named("mi"))
for i, v in enumerate([0.0, -1.0, nan, "1"]):
    add(f"entropy_gaussian-variance-{i}", lambda v=v: mi.entropy_gaussian(3, v), Named("variance"))
for i, v in enumerate(["nope", 3, None, ("a", "b")]):
    add(f"make_critic-{i}", lambda v=v: mi.make_critic(v), Named("critic"))
for i, v in enumerate(["nope", 3, ("a", "b")]):
    add(f"make_baseline-{i}", lambda v=v: mi.make_baseline(v), Named("baseline"))
for i, v in enumerate([-1.0, nan, "1"]):
    add(f"optimal_critic-mi-{i}", lambda v=v: mi.optimal_critic(v), Named("mi"))
add("optimal_critic-shift", lambda: mi.optimal_critic(1.0, shift=nan), Named("shift"))

# ---------------------------------------------------------------- training entry points
TR = dict(bound="infonce", critic="bilinear", mi=1.0, steps=1, batch_size=4, dim=2, progress=False)


def tr(**kw):
    args = dict(TR, **kw)
    return lambda: mi.train(args.pop("bound"), args.pop("critic"), **args)


for i, v in enumerate([2.5, -1, 0, "10", None, True]):
    add(f"train-steps-{i}", tr(steps=v), Named("steps"))
add("train-steps-vs-schedule", tr(mi=[1.0, 2.0], steps=3), Named("steps"))
for i, v in enumerate([1, -5, 0, 2.5, "64", None]):
    add(f"train-batch_size-{i}", tr(batch_size=v), Named("batch_size"))
for i, v in enumerate([0, -1, 2.5, "2"]):
    add(f"train-dim-{i}", tr(dim=v), Named("dim"))
for i, v in enumerate([nan, -1.0, inf, "2", 1j, [[1.0]], [1.0, nan]]):
    add(f"train-mi-{i}", tr(mi=v), Named("mi"))
for i, v in enumerate([0.0, -1.0, nan, "x", None]):
    add(f"train-lr-{i}", tr(lr=v), Named("lr"))
for i, v in enumerate(["nope", 3, None]):
    add(f"train-bound-{i}", tr(bound=v), Named("bound"))
for i, v in enumerate(["nope", 3]):
    add(f"train-critic-{i}", tr(critic=v), Named("critic"))
for i, v in enumerate([-1, "x", 2.5]):
    add(f"train-seed-{i}", tr(seed=v), Named("seed"))
for i, v in enumerate([int, "abc", np.complex128]):
    add(f"train-dtype-{i}", tr(dtype=v), Named("dtype"))
add("train-cubic", tr(cubic="yes"), Named("cubic"))
add("train-progress", tr(progress="no"), Named("progress"))
for i, v in enumerate([0, -1, 2.5, "1", True]):
    add(f"train-threads-{i}", tr(threads=v), Named("threads"))
add("train-checkpoint", tr(checkpoint=3), Named("checkpoint"))
add("train-checkpoint_every", tr(checkpoint="/tmp/x.pkl", checkpoint_every=-1.0), Named("checkpoint_every"))
for i, v in enumerate([0.0, 1.0, nan, "x"]):
    add(f"train-alpha-{i}", tr(bound="interpolated", alpha=v), Named("alpha"))
add("train-ok-threads-None", tr(threads=None), Doc(lambda r: len(r.estimates) == 1, "one step"))

_N = 40
_X, _Y = mi.sample_gaussian(1, _N, 2)
EM = dict(bound="infonce", critic="bilinear", steps=1, batch_size=4, progress=False)


def em(x=_X, y=_Y, **kw):
    args = dict(EM, **kw)
    return lambda: mi.estimate_mi(x, y, **args)


for i, v in enumerate(["abc", None, np.full((_N, 2), nan), _X + 1j, np.zeros((_N, 2, 2)), _X[:10]]):
    add(f"estimate_mi-x-{i}", em(x=v), Named("x"))
add("estimate_mi-y-str", em(y="abc"), Named("y"))
for i, v in enumerate([0.0, 1.0, nan, "0.2"]):
    add(f"estimate_mi-held_out-{i}", em(held_out=v), Named("held_out"))
for i, v in enumerate([0, -1, 2.5]):
    add(f"estimate_mi-steps-{i}", em(steps=v), Named("steps"))
add("estimate_mi-batch_size-too-big", em(batch_size=32), Named("batch_size"))
add("estimate_mi-threads", em(threads=0), Named("threads"))

_RES = mi.train("infonce", "bilinear", mi=1.0, steps=2, batch_size=4, dim=2, progress=False)
for i, v in enumerate([1, 0, 2.5, "10"]):
    add(f"evaluate-n_batches-{i}", lambda v=v: mi.evaluate(_RES, 1.0, n_batches=v), Named("n_batches"))
for i, v in enumerate([-1.0, nan, "1", None]):
    add(f"evaluate-mi-{i}", lambda v=v: mi.evaluate(_RES, v, n_batches=2), Named("mi"))
add("evaluate-result", lambda: mi.evaluate("res", 1.0), Named("result"))
add("evaluate-batch_size", lambda: mi.evaluate(_RES, 1.0, n_batches=2, batch_size=1), Named("batch_size"))
for i, v in enumerate(["nope", 3, None]):
    add(f"make_estimator-bound-{i}", lambda v=v: mi.make_estimator(v), Named("bound"))
for i, v in enumerate([0.0, 1.0, nan, "x", 1.5]):
    add(f"make_estimator-alpha-{i}", lambda v=v: mi.make_estimator("interpolated", alpha=v), Named("alpha"))
for i, v in enumerate(["x", np.zeros((2, 2)), None]):
    add(f"ema-values-{i}", lambda v=v: mi.ema(v), Named("values"))
for i, v in enumerate([0, -1.0, nan, "x"]):
    add(f"ema-span-{i}", lambda v=v: mi.ema(np.ones(3), v), Named("span"))
add("ema-nan-values-documented", lambda: mi.ema(np.array([1.0, nan, 3.0])),
    Doc(finite, "non-finite values skipped (documented)"))


test_bad_input, test_case_ids_unique = table_tests(CASES)
