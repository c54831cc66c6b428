"""Linear probe of a representation (Razavi et al. 2019, Sec. 4: how much class information
the posterior means carry): multinomial logistic regression (scikit-learn) fitted on the
training features, accuracy on the test features.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_positive

__all__ = ["linear_probe"]


def linear_probe(f_train, y_train, f_test, y_test, C=1.0, max_iter=2000) -> float:
    """Test accuracy of an L2-regularised logistic regression (inverse strength ``C``) on
    standardised features (mean and scale of the training features).

    Raises
    ------
    ValueError
        Mismatched lengths or feature widths, non-finite features, ``C <= 0``.
    """
    from sklearn.linear_model import LogisticRegression

    C = check_positive("C", C)
    f_train, f_test = np.asarray(f_train, np.float64), np.asarray(f_test, np.float64)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if f_train.ndim != 2 or f_test.ndim != 2 or f_train.shape[1] != f_test.shape[1]:
        raise ValueError(f"f_train and f_test must be (n, d) with the same d, got {f_train.shape}, {f_test.shape}")
    if len(f_train) != len(y_train) or len(f_test) != len(y_test):
        raise ValueError("features and labels must have the same number of rows")
    if not (np.all(np.isfinite(f_train)) and np.all(np.isfinite(f_test))):
        raise ValueError("features must be finite")
    mu, sd = f_train.mean(0), f_train.std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    clf = LogisticRegression(C=C, max_iter=max_iter)
    clf.fit((f_train - mu) / sd, y_train)
    return float(np.mean(clf.predict((f_test - mu) / sd) == y_test))
