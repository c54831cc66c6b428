"""Zenke, Poole & Ganguli (2017), "Continual Learning Through Synaptic Intelligence" (ICML 2017,
arXiv 1703.04200): settings and figures, on scikit-learn's 8 x 8 digits.

The paper's two MNIST benchmarks, from the paper (Sec. 5) and its code
(``ganguli-lab/pathint``, notebooks ``fig_split_mnist`` and ``fig_permuted_mnist``):

* split MNIST — 5 two-class tasks, multi-head (masked softmax); MLP 784-256-256-10 ReLU
  (zero-initialised output weights), Adam lr 1e-3 (b1 0.9, b2 0.999), batch 64, 10 epochs
  a task, optimiser reset after each task, xi = 1e-3, c = 1; 10 runs (Fig. 2).
* permuted MNIST — 10 tasks (the first unpermuted), single head; MLP 784-2000-2000-10 ReLU,
  Adam lr 1e-3, batch 256, 20 epochs a task, optimiser state kept, xi = 0.1, c in
  {0, 0.01, 0.1, 1} with c = 0.1 chosen; average test accuracy after 10 tasks 96.9 % (SI)
  against 57.4 % without consolidation (spec G; Fig. 4 of the paper).

On digits (64 inputs, 1438 training and 359 test images; :mod:`expressivity.continual`) the
split setting is used as is; for the permuted protocol the hidden layers are scaled (see
``DIGITS``) so a 10-task run stays under a minute on one core, and the strengths are swept
(c and xi interact: when Delta^2 << xi, only c / xi matters). EWC (Kirkpatrick et al. 2017)
and joint multitask training are run beside SI with the same networks, data and seeds.

Figures: the Fig. 2-style task curves on split digits (with the strength sweep), average
accuracy against the number of tasks and against c and lambda on permuted digits, and SI's
importance Omega against the Fisher diagonal. Every run is one verified sweep cell in
``cache_dir`` (resumable; with a checkpoint inside the run). Notebook:
``notebooks/zenke2017_synaptic.ipynb``.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from meanfield.figures import pyplot

from .. import continual, sweep
from . import FigureJob

__all__ = ["PAPER", "PUBLISHED", "DIGITS", "CheckpointDir", "run_cell", "runs", "strength_table", "fig_split",
           "fig_permuted", "fig_permuted_why", "fig_omega_fisher", "omega_fisher_stats", "JOBS"]

#: The paper's settings (Sec. 5.1, 5.2 and the pathint notebooks).
PAPER = {
    "split": dict(hidden=(256, 256), batch_size=64, epochs=10, lr=1e-3, b1=0.9, b2=0.999, xi=1e-3, c=1.0,
                  reset_optimizer=True, n_runs=10, data="MNIST"),
    "permuted": dict(hidden=(2000, 2000), batch_size=256, epochs=20, lr=1e-3, b1=0.9, b2=0.999, xi=0.1, c=0.1,
                     c_grid=(0.0, 0.01, 0.1, 1.0), reset_optimizer=False, n_tasks=10, data="MNIST"),
}
#: Published average test accuracy after 10 permuted-MNIST tasks (spec G).
PUBLISHED = {"permuted_mnist": {"si": 0.969, "finetune": 0.574}}
#: The digits settings (``continual.DEFAULTS``): split as the paper; permuted scaled.
DIGITS = {p: dict(continual.DEFAULTS[p]) for p in ("split", "permuted")}

_COLORS = {"finetune": "0.45", "si": "tab:blue", "ewc": "tab:orange", "joint": "k"}
_LABELS = {"finetune": "fine-tuning", "si": "SI", "ewc": "EWC", "joint": "joint (multitask)"}


# ----------------------------------------------------------------------------- runs as sweep cells

class CheckpointDir:
    """Where the cells of a sweep keep their run checkpoints, passed as a fixed argument that
    stays out of the cells' keys: its ``repr`` (what the sweep store keys an object by) is the
    same for every path, since where a checkpoint lives does not change what a run computes.
    (A plain path string would be part of the key, so the same figure cache reached through
    a relative and an absolute path would be computed twice.)"""

    def __init__(self, path):
        self.path = str(path)

    def __repr__(self) -> str:
        return "CheckpointDir(<not part of the cell key>)"


def run_cell(protocol, method, strength, seed, n_tasks, options, checkpoint_dir=None):
    """One :func:`continual.run` as a sweep cell (module level: picklable). ``options`` are
    keyword arguments of ``run`` as JSON; ``checkpoint_dir`` (a :class:`CheckpointDir` or a
    path) keeps a checkpoint of the run."""
    opts = json.loads(options)
    ck = None
    if checkpoint_dir is not None:
        where = checkpoint_dir.path if isinstance(checkpoint_dir, CheckpointDir) else checkpoint_dir
        tag = hashlib.sha256(json.dumps([protocol, method, strength, seed, n_tasks, options]).encode()).hexdigest()
        ck = Path(where) / f"{protocol}-{method}-{tag[:16]}.ckpt"
    r = continual.run(protocol, method, strength, n_tasks, seed, checkpoint=ck, **opts)
    if r.interrupted:
        raise KeyboardInterrupt(f"{protocol}/{method} run interrupted")   # never store a partial run
    out = {"accuracy": r.accuracy, "seconds": r.seconds}
    if opts.get("record_fisher"):
        out["Omega"] = r.extra["Omega"]
        out["fisher"] = r.extra["fisher"]
    return out


def runs(protocol, rows, n_tasks, options=None, cache_dir=None, executor=None, progress=False, name="runs"):
    """Run ``rows`` (dicts of method, strength, seed and optional per-row options) as one sweep;
    returns one dict per row (accuracy matrix, seconds, ...). Finished cells in
    ``cache_dir/<name>`` are reused."""
    # every setting explicit in the cell's key, so a changed default never serves a stale run
    d = continual.DEFAULTS[protocol]
    options = dict({k: d[k] for k in ("hidden", "epochs", "batch_size", "xi", "reset_optimizer")},
                   **(options or {}))
    cells = []
    for r in rows:
        o = dict(options, **r.get("options", {}))
        o["hidden"] = list(o["hidden"])
        cells.append(dict(protocol=protocol, method=r["method"], strength=float(r.get("strength", 0.0)),
                          seed=int(r["seed"]), n_tasks=int(n_tasks), options=json.dumps(o, sort_keys=True)))
    fixed = {} if cache_dir is None else {"checkpoint_dir": CheckpointDir(Path(cache_dir) / "checkpoints")}
    res = sweep.run_rows(name, run_cell, cells, cache_dir, fixed=fixed, executor=executor, progress=progress)
    out = []
    for k in range(len(cells)):
        out.append({key: v[k] for key, v in res.values.items()})
    return out


def _rows(seeds, si_strengths, ewc_strengths, joint=True):
    rows = [dict(method="finetune", seed=s) for s in seeds]
    rows += [dict(method="si", strength=c, seed=s) for c in si_strengths for s in seeds]
    rows += [dict(method="ewc", strength=lam, seed=s) for lam in ewc_strengths for s in seeds]
    if joint:
        rows += [dict(method="joint", seed=s) for s in seeds]
    return rows


def strength_table(results, rows):
    """{(method, strength): array of final average accuracies over seeds} and the accuracy
    matrices {(method, strength): (n_seeds, T, T)}."""
    final, mats = {}, {}
    for r, res in zip(rows, results):
        key = (r["method"], float(r.get("strength", 0.0)))
        a = np.asarray(res["accuracy"])
        final.setdefault(key, []).append(float(np.mean(a[-1])))
        mats.setdefault(key, []).append(a)
    return {k: np.array(v) for k, v in final.items()}, {k: np.array(v) for k, v in mats.items()}


def _best(final, method):
    keys = [k for k in final if k[0] == method]
    return max(keys, key=lambda k: final[k].mean()) if keys else None


def _pm(a, pct=True):
    a = np.asarray(a, float) * (100 if pct else 1)
    return f"{a.mean():.1f} ± {a.std(ddof=1) if len(a) > 1 else 0.0:.1f}"


def _se_one_run(p, n_test):
    """Binomial standard error of one run's average accuracy over n_test test predictions."""
    return float(np.sqrt(max(p * (1 - p), 1e-12) / n_test))


# ----------------------------------------------------------------------------- split (Fig. 2)

def fig_split(seeds=tuple(range(10)), si_strengths=(0.1, 1.0, 10.0), ewc_strengths=(10.0, 100.0, 1000.0),
              curve_c=1.0, n_tasks=5, options=None, cache_dir=None, executor=None, progress=True):
    """Fig. 2 on split digits: accuracy on each task (panels) after training tasks 1..5, for
    fine-tuning, SI at ``curve_c`` (the paper's c = 1), EWC at its best lambda and joint
    training (mean ± std over seeds); last panel: average accuracy after all tasks against the
    strength (log scale)."""
    plt = pyplot()
    rows = _rows(seeds, sorted(set(si_strengths) | {curve_c}), ewc_strengths)
    res = runs("split", rows, n_tasks, options, cache_dir, executor, progress, name="split")
    final, mats = strength_table(res, rows)
    best_ewc = _best(final, "ewc")
    curves = [("finetune", 0.0), ("si", float(curve_c)), best_ewc, ("joint", 0.0)]
    proto = continual.split(n_tasks=n_tasks)
    fig, axes = plt.subplots(1, n_tasks + 1, figsize=(2.3 * (n_tasks + 1), 2.7))
    x = np.arange(1, n_tasks + 1)
    for j in range(n_tasks):
        ax = axes[j]
        for key in curves:
            if key is None:
                continue
            m = mats[key][:, j:, j]
            lab = _LABELS[key[0]] + (f" (c={key[1]:g})" if key[0] == "si" else
                                     f" (λ={key[1]:g})" if key[0] == "ewc" else "")
            ax.errorbar(x[j:], m.mean(0), m.std(0), color=_COLORS[key[0]], marker="o", ms=3, lw=1.2,
                        capsize=2, label=lab)
        ax.set_title(f"task {j + 1} ({proto[j].name})", fontsize=9)
        ax.set_xticks(x)
        ax.set_xlim(0.5, n_tasks + 0.5)
        ax.set_ylim(0.5, 1.02)
        ax.set_xlabel("tasks trained", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("test accuracy", fontsize=8)
    axes[0].legend(fontsize=6, loc="lower left")
    _strength_panel(axes[-1], final, "split")
    fig.suptitle(f"Split digits (Zenke et al. 2017, Fig. 2): {len(seeds)} seeds, mean ± std; "
                 f"{_settings_text('split', options)}", fontsize=8)
    fig.tight_layout()
    return fig


def _settings_text(protocol, options):
    d = dict(DIGITS[protocol])
    d.update(options or {})
    return (f"MLP {'-'.join(map(str, d['hidden']))} ReLU, Adam 1e-3, batch {d['batch_size']}, "
            f"{d['epochs']} epochs/task, xi={d.get('xi')}")


def _strength_panel(ax, final, protocol, which=("si", "ewc"), xlabel="strength (c for SI, λ for EWC)"):
    for method in which:
        ks = sorted(k for k in final if k[0] == method)
        if not ks:
            continue
        s = np.array([k[1] for k in ks])
        m = np.array([final[k].mean() for k in ks])
        e = np.array([final[k].std(ddof=1) if len(final[k]) > 1 else 0.0 for k in ks])
        ax.errorbar(s, m, e, color=_COLORS[method], marker="o", ms=3, capsize=2, label=_LABELS[method])
    ax.set_xscale("log")
    for method in ("finetune", "joint"):
        if (method, 0.0) in final:
            v = final[(method, 0.0)]
            ax.axhline(v.mean(), color=_COLORS[method], ls="--" if method == "finetune" else "-", lw=1,
                       label=_LABELS[method])
            ax.axhspan(v.mean() - v.std(), v.mean() + v.std(), color=_COLORS[method], alpha=0.1, lw=0)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel("average accuracy after all tasks", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, loc="best")


# ----------------------------------------------------------------------------- permuted (Fig. 4)

def fig_permuted(seeds=(0, 1, 2), si_strengths=(0.1, 1.0, 3.0, 10.0, 30.0, 100.0),
                 ewc_strengths=(1.0, 3.0, 10.0, 30.0, 100.0, 1000.0), n_tasks=10, options=None, cache_dir=None,
                 executor=None, progress=True):
    """Permuted digits: (a) average accuracy over the tasks seen so far against the number of
    tasks for every method (SI and EWC at their best strength, mean ± std over seeds), with the
    paper's permuted-MNIST end points; (b) average accuracy after all tasks against c (SI) and
    (c) against lambda (EWC), log scale, with fine-tuning and joint training as bands."""
    plt = pyplot()
    rows = _rows(seeds, si_strengths, ewc_strengths)
    res = runs("permuted", rows, n_tasks, options, cache_dir, executor, progress, name="permuted")
    final, mats = strength_table(res, rows)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw=dict(width_ratios=[1.3, 1, 1]))
    ax = axes[0]
    x = np.arange(1, n_tasks + 1)
    lines = []
    for key in [("finetune", 0.0), _best(final, "si"), _best(final, "ewc"), ("joint", 0.0)]:
        if key is None:
            continue
        curve = np.array([[np.mean(a[i, :i + 1]) for i in range(n_tasks)] for a in mats[key]])
        lab = _LABELS[key[0]] + (f" (c={key[1]:g})" if key[0] == "si" else
                                 f" (λ={key[1]:g})" if key[0] == "ewc" else "")
        ax.errorbar(x, curve.mean(0), curve.std(0), color=_COLORS[key[0]], marker="o", ms=3, capsize=2,
                    label=lab)
        lines.append((lab, final[key]))
    if n_tasks == 10:
        pub = PUBLISHED["permuted_mnist"]
        ax.plot([10.25], [pub["si"]], "s", mfc="none", color=_COLORS["si"], label="paper, MNIST: SI")
        ax.plot([10.25], [pub["finetune"]], "s", mfc="none", color=_COLORS["finetune"],
                label="paper, MNIST: c = 0")
    ax.set_xticks(x)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("number of tasks", fontsize=8)
    ax.set_ylabel("average accuracy on the tasks so far", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, loc="lower left")
    n_test = len(continual.permuted(n_tasks=1)[0].y_test) * n_tasks
    txt = "\n".join(f"{lab}: {_pm(v)} %" for lab, v in lines)
    p_joint = final[("joint", 0.0)].mean() if ("joint", 0.0) in final else 0.9
    ax.text(0.98, 0.02, txt + f"\n(1 run's binomial s.e. ≈ {100 * _se_one_run(p_joint, n_test):.1f} pts"
            f" at {100 * p_joint:.0f} %)", transform=ax.transAxes, ha="right", va="bottom", fontsize=6)
    _strength_panel(axes[1], final, "permuted", ("si",), "c (SI)")
    _strength_panel(axes[2], final, "permuted", ("ewc",), "λ (EWC)")
    axes[1].set_title("SI: average accuracy after all tasks against c", fontsize=8)
    axes[2].set_title("EWC: against λ", fontsize=8)
    fig.suptitle(f"Permuted digits, {n_tasks} tasks, {len(seeds)} seeds (mean ± std; best strengths chosen on "
                 f"the seeds' mean test accuracy); {_settings_text('permuted', options)}", fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- why: width and canvas

def fig_permuted_why(widths=(256, 512, 1000, 2000), canvases=(8, 12, 16, 28), si_strengths=(10.0, 30.0, 100.0),
                     wide_strengths=(30.0,), seeds=(0,), canvas_seeds=None, n_tasks=10, options=None, cache_dir=None,
                     executor=None, progress=True):
    """What limits SI on permuted digits: average accuracy after all tasks against (a) the
    hidden width (the paper's 2000 included; widths above 1000 run SI only at
    ``wide_strengths``) and (b) the side of a blank canvas the 8 x 8 digits are centred on
    before permuting (8: plain digits; 28: MNIST's frame), for fine-tuning, SI at its best c
    and joint training (mean over ``seeds``, or ``canvas_seeds`` for panel (b), ± std; the best c
    on the mean)."""
    plt = pyplot()
    base = dict(options or {})
    canvas_seeds = tuple(seeds if canvas_seeds is None else canvas_seeds)
    width_default = tuple(base.pop("hidden", DIGITS["permuted"]["hidden"]))

    def block(name, extra, strengths, seeds):
        rows = [dict(method="finetune", seed=s, options=extra) for s in seeds]
        rows += [dict(method="joint", seed=s, options=dict(extra, joint_stages="last")) for s in seeds]
        rows += [dict(method="si", strength=c, seed=s, options=extra) for c in strengths for s in seeds]
        res = runs("permuted", rows, n_tasks, base, cache_dir, executor, progress, name=name)
        final, _ = strength_table(res, rows)
        best = _best(final, "si")
        return {m: final[k] for m, k in (("finetune", ("finetune", 0.0)), ("joint", ("joint", 0.0)), ("si", best))}, best

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, values, label, make_extra in (
            (axes[0], widths, "hidden width (2 layers)", lambda w: dict(hidden=(w, w))),
            (axes[1], canvases, "canvas side (8 = plain digits; 28 = MNIST's frame)",
             lambda s: dict(hidden=width_default, **({} if s == 8 else dict(canvas=s))))):
        pts = {m: [] for m in ("finetune", "si", "joint")}
        cs = []
        for v in values:
            strengths = si_strengths if (ax is axes[1] or v <= 1000) else wide_strengths
            name = f"why_{'width' if ax is axes[0] else 'canvas'}_{v}"
            vals, best = block(name, make_extra(v), strengths, canvas_seeds if ax is axes[1] else seeds)
            for m in pts:
                pts[m].append(vals[m])
            cs.append(best[1])
        for m, vs in pts.items():
            mean = np.array([a.mean() for a in vs])
            err = np.array([a.std(ddof=1) if len(a) > 1 else 0.0 for a in vs])
            ax.errorbar(values, mean, err, marker="o", ms=4, capsize=2, color=_COLORS[m],
                        label=_LABELS[m] + (" (best c)" if m == "si" else ""))
        for v, c, a in zip(values, cs, pts["si"]):
            ax.annotate(f"c={c:g}", (v, a.mean()), textcoords="offset points", xytext=(3, -10), fontsize=6,
                        color=_COLORS["si"])
        ax.set_xscale("log", base=2)
        ax.set_xticks(values, [str(v) for v in values])
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(label, fontsize=8)
        ax.set_ylabel("average accuracy after all tasks", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="lower right")
    axes[0].set_title(f"(a) network width (plain 8 x 8 digits), seed(s) {list(seeds)}", fontsize=8)
    axes[1].set_title(f"(b) digits centred on a blank canvas, width {width_default[0]}, seeds {list(canvas_seeds)}",
                      fontsize=8)
    fig.suptitle(f"Permuted digits, {n_tasks} tasks: what limits consolidation (mean ± std over seeds)", fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- Omega vs Fisher

def omega_fisher_stats(Omega, fisher, net_sizes):
    """Per layer and overall: Pearson correlation of log10 Omega and log10 F over the entries
    where both are > 0, and the Spearman rank correlation over all entries."""
    from scipy.stats import pearsonr, spearmanr

    net = continual.Network(net_sizes, np.zeros(len(Omega)))
    out = {}
    groups = [(n, sl) for (sw, sb), i in zip(net.slices, range(len(net.slices)))
              for n, sl in ((f"W{i + 1}", sw), (f"b{i + 1}", sb))]
    for name, sl in groups + [("all", slice(None))]:
        o, f = np.asarray(Omega[sl], float), np.asarray(fisher[sl], float)
        pos = (o > 0) & (f > 0)
        out[name] = dict(pearson_log=float(pearsonr(np.log10(o[pos]), np.log10(f[pos]))[0]) if pos.sum() > 2 else
                         float("nan"),
                         spearman=float(spearmanr(o, f)[0]) if len(o) > 2 else float("nan"),
                         n=int(len(o)), n_positive=int(pos.sum()))
    return out


def fig_omega_fisher(protocols=("split", "permuted"), strengths=(1.0, 30.0), seed=0, fisher="exact",
                     fisher_samples=None, n_tasks=(5, 10), options=None, cache_dir=None, executor=None,
                     progress=True, max_points=20000):
    """SI's importance Omega after all tasks against the Fisher diagonal summed over the same
    tasks (each task's Fisher at its end, on the same SI trajectory), per parameter (log-log,
    coloured by layer), with the correlations of :func:`omega_fisher_stats`."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(protocols), figsize=(5.2 * len(protocols), 4.2), squeeze=False)
    colors = plt.get_cmap("tab10")
    for p, (protocol, c, T) in enumerate(zip(protocols, strengths, n_tasks)):
        opts = dict(options or {})
        opts.update(record_fisher=fisher, fisher_samples=fisher_samples)
        res = runs(protocol, [dict(method="si", strength=c, seed=seed)], T, opts, cache_dir, executor, progress,
                   name=f"omega_fisher_{protocol}")[0]
        Om, F = np.asarray(res["Omega"], float), np.asarray(res["fisher"], float)
        hidden = tuple(opts.get("hidden", DIGITS[protocol]["hidden"]))
        proto = continual.make(protocol, n_tasks=1, canvas=opts.get("canvas"))
        sizes = (proto.n_inputs, *hidden, proto.n_outputs)
        stats = omega_fisher_stats(Om, F, sizes)
        net = continual.Network(sizes, np.zeros(len(Om)))
        rng = np.random.default_rng(0)
        ax = axes[0, p]
        for i, (sw, sb) in enumerate(net.slices):
            o, f = Om[sw], F[sw]
            pos = np.flatnonzero((o > 0) & (f > 0))
            if len(pos) > max_points // len(net.slices):
                pos = rng.choice(pos, max_points // len(net.slices), replace=False)
            st = stats[f"W{i + 1}"]
            ax.scatter(f[pos], o[pos], s=1, alpha=0.3, color=colors(i), rasterized=True,
                       label=f"W{i + 1}: r(log) = {st['pearson_log']:.2f}, ρ = {st['spearman']:.2f}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"Fisher diagonal, summed over tasks ({fisher})", fontsize=8)
        ax.set_ylabel("SI importance Ω", fontsize=8)
        a = stats["all"]
        ax.set_title(f"{protocol} digits, SI c={c:g}, {T} tasks: all parameters r(log) = {a['pearson_log']:.2f}, "
                     f"Spearman ρ = {a['spearman']:.2f}", fontsize=8)
        ax.legend(fontsize=6, markerscale=6, loc="lower right")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- jobs

_QUICK_OPTS = dict(hidden=(16,), epochs=1)
JOBS = [
    FigureJob("zenke2017_synaptic_split", fig_split,
              full=dict(seeds=tuple(range(10)), si_strengths=(0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
                        ewc_strengths=(1.0, 10.0, 100.0, 1000.0, 1e4, 1e5), curve_c=1.0, n_tasks=5),
              quick=dict(seeds=(0,), si_strengths=(1.0,), ewc_strengths=(10.0,), curve_c=1.0, n_tasks=3,
                         options=_QUICK_OPTS, executor="inprocess", progress=False),
              uses_cache=True,
              description="Fig. 2: split digits, accuracy on each task as later tasks are learned; strength sweep"),
    FigureJob("zenke2017_synaptic_permuted", fig_permuted,
              full=dict(seeds=(0, 1, 2), si_strengths=(0.1, 1.0, 3.0, 10.0, 30.0, 100.0),
                        ewc_strengths=(1.0, 3.0, 10.0, 30.0, 100.0, 1000.0), n_tasks=10),
              quick=dict(seeds=(0,), si_strengths=(1.0,), ewc_strengths=(10.0,), n_tasks=2,
                         options=_QUICK_OPTS, executor="inprocess", progress=False),
              uses_cache=True,
              description="Permuted digits: average accuracy vs number of tasks, vs c (SI) and vs lambda (EWC)"),
    FigureJob("zenke2017_synaptic_permuted_why", fig_permuted_why,
              full=dict(widths=(256, 512, 1000, 2000), canvases=(8, 12, 16, 20, 28), si_strengths=(10.0, 30.0, 100.0),
                        wide_strengths=(30.0,), seeds=(0,), canvas_seeds=(0, 1, 2), n_tasks=10),
              quick=dict(widths=(8, 16), canvases=(8, 12), si_strengths=(1.0,), wide_strengths=(1.0,), seeds=(0,),
                         n_tasks=2, options=dict(epochs=1, hidden=(16,)), executor="inprocess", progress=False),
              uses_cache=True,
              description="Permuted digits: SI, fine-tuning and joint training against width and input canvas"),
    FigureJob("zenke2017_synaptic_omega_fisher", fig_omega_fisher,
              full=dict(protocols=("split", "permuted"), strengths=(1.0, 30.0), seed=0, fisher="exact",
                        n_tasks=(5, 10)),
              quick=dict(protocols=("split", "permuted"), strengths=(1.0, 1.0), seed=0, n_tasks=(2, 2),
                         options=_QUICK_OPTS, executor="inprocess", progress=False),
              uses_cache=True,
              description="SI importance Omega against the Fisher diagonal, per parameter, with correlations"),
]
