"""The noisy digit prototypes (expressivity.latent.synthetic).

Oracles: the exact log p(x) sums to 1 over all 2^6 images of a small template set (direct
enumeration) and equals the mixture written out pixel by pixel; the sampled flip rate and
class frequencies match flip and 1/k within 3 standard errors; the digits templates are the
thresholded class means (recomputed here); bad arguments raise naming the argument.
"""
import itertools

import numpy as np
import pytest

from expressivity.datasets import load_digits
from expressivity.latent import synthetic as syn

T_SMALL = np.array([[1, 1, 0, 0, 1, 0], [0, 1, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1]], float)


def test_log_prob_normalised_and_explicit():
    x = np.array(list(itertools.product([0.0, 1.0], repeat=6)))
    for flip in (0.03, 0.2, 0.45):
        lp = syn.prototype_log_prob(x, flip, T_SMALL)
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)
        p = np.mean([np.prod(np.where(x == t, 1 - flip, flip), axis=1) for t in T_SMALL], axis=0)
        np.testing.assert_allclose(lp, np.log(p), rtol=1e-12)


def test_samples_match_the_generative_process():
    flip, n = 0.1, 6000
    ds = syn.prototype_digits(flip, n_train=n, n_test=10, seed=3, templates=T_SMALL)
    assert ds.x_train.shape == (n, 6) and ds.n_classes == 3 and set(np.unique(ds.x_train)) <= {0.0, 1.0}
    flips = ds.x_train != T_SMALL[ds.y_train]
    se = np.sqrt(flip * (1 - flip) / flips.size)
    assert abs(flips.mean() - flip) < 3 * se
    freq = np.bincount(ds.y_train, minlength=3) / n
    assert np.all(np.abs(freq - 1 / 3) < 3 * np.sqrt((1 / 3) * (2 / 3) / n))
    again = syn.prototype_digits(flip, n_train=n, n_test=10, seed=3, templates=T_SMALL)
    np.testing.assert_array_equal(again.x_train, ds.x_train)


def test_digit_templates_are_thresholded_class_means():
    d = load_digits(binarize=True)
    t = syn.digit_prototypes()
    assert t.shape == (10, 64)
    for c in (0, 7):
        np.testing.assert_array_equal(t[c], (d.x_train[d.y_train == c].mean(0) > 0.5).astype(float))
    ds = syn.prototype_digits(0.05, n_train=50, n_test=20)
    assert ds.image_shape == (8, 8) and ds.x_test.shape == (20, 64)


def test_bad_arguments():
    for bad in (0.0, 0.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="flip"):
            syn.prototype_digits(bad, n_train=5, n_test=5)
    with pytest.raises(ValueError, match="n_train"):
        syn.prototype_digits(0.1, n_train=0)
    with pytest.raises(ValueError, match="templates"):
        syn.prototype_digits(0.1, n_train=5, n_test=5, templates=[[0.5, 1.0]])
    with pytest.raises(ValueError, match="x must be"):
        syn.prototype_log_prob(np.zeros((2, 5)), 0.1, T_SMALL)
