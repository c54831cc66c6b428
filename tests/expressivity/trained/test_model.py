"""The classifier model: forward pass, loss, batch norm at evaluation, and the exact-measure
view of its hidden layers.

Oracles: a hand-written numpy forward pass; the cross-entropy from scipy's log_softmax;
central finite differences of the loss (float64, with and without batch norm);
RandomNetwork.forward of the folded network against the model's own hidden activations.
"""
import numpy as np
import pytest
from scipy.special import log_softmax

from expressivity.autodiff import nn
from expressivity.autodiff.testing import check_grads
from expressivity.trained import model as M
from expressivity.trained.data import prepare


def _np_forward(params, x, phi):
    z = x
    for layer in params[:-1]:
        z = phi(z @ layer["W"] + layer["b"])
    return z @ params[-1]["W"] + params[-1]["b"]


@pytest.mark.parametrize("act,phi", [("tanh", np.tanh), ("hard_tanh", lambda h: np.clip(h, -1, 1)),
                                     ("relu", lambda h: np.maximum(h, 0)), ("linear", lambda h: h)])
def test_forward_matches_numpy_and_init_variances(act, phi):
    """Logits against a hand-written loop; W of the first layer has variance sigma_w2/fan_in
    (5 standard errors)."""
    p = M.init_params(64, 10, 3, 50, 2.0, 0.05, seed=1, dtype=np.float64)
    assert len(p) == 4 and p[0]["W"].shape == (64, 50) and p[-1]["W"].shape == (50, 10)
    x = np.random.default_rng(0).standard_normal((7, 64))
    np.testing.assert_allclose(M.forward(p, x, act), _np_forward(p, x, phi), rtol=1e-12, atol=1e-12)
    W = p[1]["W"]
    assert abs(W.var() / (2.0 / 50) - 1) < 5 * np.sqrt(2 / W.size)


def test_cross_entropy_matches_log_softmax_and_its_gradient_fd():
    """Mean of -log_softmax(logits)[y] (scipy); gradient of the full loss w.r.t. every
    parameter by central differences, plain and with batch norm."""
    r = np.random.default_rng(2)
    logits = r.standard_normal((6, 4)) * 3
    y = np.array([0, 3, 1, 1, 2, 0])
    want = -np.mean(log_softmax(logits, axis=1)[np.arange(6), y])
    assert np.isclose(M.cross_entropy(logits, y), want, rtol=1e-13)
    x = r.standard_normal((6, 5))
    for norm in (None, "batch_norm"):
        p = M.init_params(5, 4, 2, 3, 1.5, 0.1, seed=3, dtype=np.float64, norm=norm)
        check_grads(lambda p: M.cross_entropy(M.forward(p, x, "tanh"), y), (p,), rtol=1e-6)


def test_batch_norm_evaluation_and_folded_network():
    """Population stats: forward with them equals batch-mode forward on the same full batch;
    hidden_network folds batch norm into W, b and reproduces the hidden activations."""
    r = np.random.default_rng(4)
    x = r.standard_normal((40, 6))
    p = M.init_params(6, 3, 3, 8, 2.0, 0.05, seed=5, dtype=np.float64, norm="batch_norm")
    for layer in p[:-1]:
        layer["gamma"][:] = r.uniform(0.5, 2, 8)
        layer["beta"][:] = r.standard_normal(8)
    st = M.population_stats(p, x, "tanh")
    np.testing.assert_allclose(M.forward(p, x, "tanh", st), M.forward(p, x, "tanh"), rtol=1e-10, atol=1e-12)
    net = M.hidden_network(p, "tanh", st)
    hs = net.forward(x, post_activation=True)
    z = x
    for l, layer in enumerate(p[:-1]):
        z = np.tanh(nn.batch_norm(z @ layer["W"] + layer["b"], layer["gamma"], layer["beta"],
                                  mean=st[l][0], var=st[l][1]))
        np.testing.assert_allclose(hs[l], z, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="population stats"):
        M.hidden_network(p, "tanh")


def test_accuracy_counts_nonfinite_logits_as_wrong_and_errors():
    p = M.init_params(3, 2, 1, 4, 1.0, 0.0, seed=0, dtype=np.float64)
    x = np.ones((4, 3))
    y = M.predict(p, x, "tanh")
    assert M.accuracy(p, x, y, "tanh") == 1.0
    p[-1]["b"][:] = np.nan
    assert M.accuracy(p, x, y, "tanh") == 0.0
    with pytest.raises(ValueError, match="norm"):
        M.init_params(3, 2, 1, 4, 1.0, 0.0, norm="layer_norm")
    with pytest.raises(ValueError, match="sigma_w2"):
        M.init_params(3, 2, 1, 4, -1.0, 0.0)
    with pytest.raises(ValueError, match="activation"):
        M.check_activation("gelu")


def test_prepare_standardises_on_the_training_set():
    """Mean image 0 and mean squared coordinate 1 over the training rows (definition)."""
    d = prepare("digits", np.float64)
    assert d.x_train.shape == (1438, 64) and d.x_test.shape == (359, 64) and d.n_classes == 10
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-12)
    assert np.isclose(np.mean(d.x_train ** 2), 1.0, rtol=1e-12)
    assert prepare().x_train.dtype == np.float32
    with pytest.raises(ValueError, match="not a directory"):
        prepare("/nonexistent/mnist")
    with pytest.raises(TypeError, match="data must be"):
        prepare(3)
