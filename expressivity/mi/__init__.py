"""expressivity.mi: variational bounds on mutual information (Poole et al., ICML 2019).

    from expressivity import mi
    S = critic(x, y)                 # S[i, j] = f(x_i, y_j): rows x, columns y, diagonal positive
    mi.nwj(S), mi.infonce(S), mi.dv(S), mi.tuba(S, log_baseline), mi.js(S),
    mi.interpolated(S, alpha, log_baseline), mi.mine(S, log_moving_average)
    mi.upper_bound(log_p_pos, log_q), mi.loo_upper_bound(L), mi.tnce(L), mi.ba(log_q, h_x)
    res = mi.train("alpha=0.5", "separable", mi=mi.staircase())      # benchmark training
    mi.estimate_mi(x, y, bound="infonce", critic="separable")         # your own samples

Bounds (:mod:`.bounds`), critics (:mod:`.critics`), baselines (:mod:`.baselines`), the
correlated-Gaussian benchmark (:mod:`.data`), training and evaluation (:mod:`.train`) and the
paper's figures (:mod:`expressivity.papers.poole2019_bounds`).
"""
from .bounds import (  # noqa: F401
    ba, check_scores, dv, infonce, interpolated, interpolated_cap, js, js_objective, lme_offdiag,
    loo_logmeanexp, loo_upper_bound, mine, mine_update, nwj, tnce, tuba, upper_bound,
)
from .data import (  # noqa: F401
    entropy_gaussian, log_conditional, log_marginal, mi_to_rho, pmi, rho_to_mi, sample_gaussian,
    staircase,
)
from .critics import CRITICS, Critic, make_critic, optimal_critic  # noqa: F401
from .baselines import BASELINES, Baseline, make_baseline  # noqa: F401
from .train import (  # noqa: F401
    ESTIMATORS, PAPER_ESTIMATORS, EstimateResult, Estimator, TrainResult, ema, estimate_mi,
    evaluate, make_estimator, train,
)
