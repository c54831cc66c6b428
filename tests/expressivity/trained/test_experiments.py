"""The experiment cells: single-layer training, weight-noise robustness, the trainability cell,
grid and its score against mean-field theory.

Oracles: the frozen-parameter check (a fresh draw from the same seed); the unperturbed
accuracy (noise 0) and bit-identical restoration; chance accuracy under very large noise;
direct calls of the cell function (grid assembly and order); the erf closed form of xi_c
(tests/oracles.py) for the theory line; a hand-counted agreement fraction.
"""
import numpy as np
import pytest

from expressivity import trained
from expressivity.trained import model as M
from expressivity.trained.noise import noise_cell, perturbed_accuracy
from expressivity.trained.single_layer import HIDDEN_TO_HIDDEN, single_layer_cell
from expressivity.trained.trainability import agreement, theory_depth, trainability_cell, trainability_grid
from tests.oracles import erf_xi_c


def test_single_layer_cell_fields():
    out = single_layer_cell(2, 0, depth=3, width=8, steps=4, activation="hard_tanh", sigma_w2=2.0,
                            sigma_b2=0.0)
    assert out["remaining_depth"] == 1 and out["train_loss"].shape == (4,)
    assert HIDDEN_TO_HIDDEN(4) == [1, 2, 3]
    with pytest.raises(ValueError, match="layer"):
        single_layer_cell(5, 0, depth=3, width=8, steps=1)


def test_noise_zero_is_clean_large_noise_is_chance_params_restored():
    """eps = 0 reproduces the clean accuracy exactly; eps = 100 in the first layer drops a
    trained net (>= 0.85) to near chance (< 0.4); the weights come back bit for bit."""
    r = trained.train_classifier("tanh", 1.5, 0.05, depth=2, width=32, steps=300, seed=0,
                                 optimizer="adam", lr=3e-3)
    d = trained.prepare()
    before = [l["W"].copy() for l in r.params]
    acc = perturbed_accuracy(r.params, d.x_test, d.y_test, [0, 2], [0.0, 100.0], "tanh", draws=2)
    assert acc.shape == (2, 2)
    assert np.all(acc[:, 0] == r.test_accuracy) and r.test_accuracy >= 0.85
    assert acc[0, 1] < 0.4
    for a, b in zip(r.params, before):
        np.testing.assert_array_equal(a["W"], b)
    for std in (True, False):   # the cell evaluates on the inputs the net was trained on
        out = noise_cell(0, layers="[0, 1]", scales="[0.0]", draws=1, depth=1, width=8, steps=30,
                         optimizer="adam", lr=1e-2, standardize=std)
        assert out["accuracy"].shape == (2, 1) and np.all(out["accuracy"] == out["test_accuracy"])
    with pytest.raises(ValueError, match="scales"):
        perturbed_accuracy(r.params, d.x_test, d.y_test, [0], [-1.0])


def test_theory_depth_is_six_xi_c_of_the_erf_closed_form():
    w = np.array([0.8, 1.5, 3.0])
    np.testing.assert_allclose(theory_depth(w, 0.05, "erf"), [6 * erf_xi_c(x, 0.05) for x in w], rtol=1e-7)


def test_agreement_counts_cells():
    """Depths (10, 50), two sigma_w2 with 6 xi_c = 22 and ~95 (tanh at 1.0 and 1.5): the
    prediction is [[T, T], [F, T]]; accuracies [[.9, .2], [.1, .8]] agree in 3 of 4 cells."""
    frac, trains, pred = agreement([[0.9, 0.2], [0.1, 0.8]], [10, 50], [1.0, 1.5], 0.5)
    np.testing.assert_array_equal(pred, [[True, True], [False, True]])
    np.testing.assert_array_equal(trains, [[True, False], [False, True]])
    assert frac == 0.75
    with pytest.raises(ValueError, match="shape"):
        agreement([[0.9]], [10, 50], [1.0], 0.5)


def test_trainability_grid_is_the_cells_in_depth_order(tmp_path):
    """Each grid entry equals a direct trainability_cell call; depths come back ascending
    although cells run deepest first; a second call reads the stored cells."""
    kw = dict(width=6, steps=3)
    res = trainability_grid([1, 3], [1.0, 2.0], 1, tmp_path, executor="inprocess", **kw)
    assert list(res.coords["depth"]) == [1, 3] and res["test_accuracy"].shape == (2, 2, 1)
    for i, d in enumerate((1, 3)):
        for j, w in enumerate((1.0, 2.0)):
            want = trainability_cell(d, w, 0, **kw)
            assert res["test_accuracy"][i, j, 0] == want["test_accuracy"]
            assert res["final_loss"][i, j, 0] == want["final_loss"]
    again = trainability_grid([1, 3], [1.0, 2.0], 1, tmp_path, executor="inprocess", **kw)
    np.testing.assert_array_equal(again["test_accuracy"], res["test_accuracy"])
    ckpts = tmp_path / "trainability" / "checkpoints"   # mid-run checkpoints: removed when done
    assert not ckpts.exists() or not list(ckpts.glob("*.ckpt"))
