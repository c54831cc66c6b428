"""Zenke et al. (2017) on digits: the paper's settings, resumable cells, and the claims at quick scale.

Oracles: the settings stated in the paper and its code (ganguli-lab/pathint); cached runs
reused without training (also through another spelling of the cache path); the strength table
against the accuracy matrices it summarises; Omega-vs-Fisher correlations against numpy/scipy
on constructed vectors (perfectly monotone: Spearman 1; independent: |r| within 4/sqrt(n)); SI
above fine-tuning on split digits with a margin several binomial standard errors wide.
"""
import numpy as np
import pytest

from expressivity import continual
from expressivity.papers import get_job
from expressivity.papers import zenke2017_synaptic as paper


def test_settings_are_the_papers():
    s, p = paper.PAPER["split"], paper.PAPER["permuted"]
    assert s["hidden"] == (256, 256) and s["batch_size"] == 64 and s["epochs"] == 10 and s["xi"] == 1e-3
    assert s["c"] == 1.0 and s["reset_optimizer"] and s["lr"] == 1e-3 and (s["b1"], s["b2"]) == (0.9, 0.999)
    assert p["hidden"] == (2000, 2000) and p["batch_size"] == 256 and p["epochs"] == 20 and p["xi"] == 0.1
    assert p["c"] == 0.1 and not p["reset_optimizer"] and p["n_tasks"] == 10
    d = continual.DEFAULTS
    for k in ("hidden", "batch_size", "epochs", "xi", "reset_optimizer"):
        assert d["split"][k] == s[k]                    # split digits: the paper's setting unchanged
    for k in ("batch_size", "epochs", "xi", "reset_optimizer"):
        assert d["permuted"][k] == p[k]                 # permuted: only the hidden width is scaled
    assert paper.PUBLISHED["permuted_mnist"] == {"si": 0.969, "finetune": 0.574}
    full = get_job("zenke2017_synaptic_permuted").kwargs(quick=False)
    assert full["n_tasks"] == 10 and len(full["seeds"]) >= 3
    assert get_job("zenke2017_synaptic_split").kwargs(quick=False)["curve_c"] == 1.0


def test_runs_are_cached_cells(tmp_path, monkeypatch):
    rows = [dict(method="finetune", seed=0), dict(method="si", strength=1.0, seed=0)]
    opts = dict(hidden=(8,), epochs=1)
    first = paper.runs("split", rows, 2, opts, tmp_path, "inprocess")
    final, mats = paper.strength_table(first, rows)
    assert set(final) == {("finetune", 0.0), ("si", 1.0)}
    assert final[("si", 1.0)][0] == pytest.approx(np.mean(first[1]["accuracy"][-1]))

    def no_run(*a, **k):
        raise AssertionError("cached runs must not retrain")

    monkeypatch.setattr(continual, "run", no_run)
    again = paper.runs("split", rows, 2, opts, tmp_path, "inprocess")
    np.testing.assert_array_equal(again[1]["accuracy"], first[1]["accuracy"])
    # the same cache reached through a relative path: the checkpoint directory is not in the key
    monkeypatch.chdir(tmp_path.parent)
    rel = paper.runs("split", rows, 2, opts, tmp_path.name, "inprocess")
    np.testing.assert_array_equal(rel[0]["accuracy"], first[0]["accuracy"])


def test_omega_fisher_stats_on_constructed_vectors():
    rng = np.random.default_rng(0)
    sizes = (3, 4, 2)
    n = 3 * 4 + 4 + 4 * 2 + 2
    f = rng.random(n) + 0.01
    st = paper.omega_fisher_stats(f ** 0.5, f, sizes)       # monotone: Spearman 1, log-log linear r = 1
    assert st["all"]["spearman"] == pytest.approx(1.0) and st["all"]["pearson_log"] == pytest.approx(1.0)
    assert st["W1"]["n"] == 12 and st["b2"]["n"] == 2
    n = 1 * 1000 + 1000 + 1000 * 3 + 3
    st = paper.omega_fisher_stats(rng.random(n) + 0.01, rng.random(n) + 0.01, (1, 1000, 3))
    assert abs(st["all"]["spearman"]) < 4 / np.sqrt(n)     # independent: rho ~ N(0, 1/n)


def test_si_beats_fine_tuning_on_split_digits():
    """The paper's split setting (2 x 256, 10 epochs, c = 1) over 3 seeds: SI's average accuracy
    after 5 tasks exceeds fine-tuning's by more than 4 binomial standard errors of the
    difference (359 test images each)."""
    si = [continual.run("split", "si", strength=1.0, seed=s).average_accuracy for s in range(3)]
    ft = [continual.run("split", "finetune", seed=s).average_accuracy for s in range(3)]
    diff = np.mean(si) - np.mean(ft)
    p = np.mean(ft)
    se = np.sqrt(2 * p * (1 - p) / (359 * 3))
    assert diff > 4 * se, (si, ft)
