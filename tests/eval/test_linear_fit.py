"""The numpy fits find the weights that separate what they are given."""

from __future__ import annotations

import numpy as np

from eval.linear_fit import fit_logistic, fit_softmax_ranker, sigmoid


def test_the_softmax_ranker_puts_the_informative_feature_first() -> None:
    generator = np.random.default_rng(0)
    groups = 200
    features = generator.normal(size=(groups * 10, 3))
    group = np.repeat(np.arange(groups), 10)
    positive = np.zeros(groups * 10, dtype=bool)
    positive[np.arange(groups) * 10 + generator.integers(0, 10, groups)] = True
    features[positive, 1] += 3.0  # only feature 1 tells the positive row
    fitted = fit_softmax_ranker(features, group.astype(np.int64), positive)
    assert abs(fitted.weights[1]) > 5 * max(abs(fitted.weights[0]), abs(fitted.weights[2]))
    scores = fitted.logits(features).reshape(groups, 10)
    first = scores.argmax(axis=1) + np.arange(groups) * 10
    assert positive[first].mean() > 0.8


def test_logistic_regression_is_calibrated_on_raw_features() -> None:
    generator = np.random.default_rng(1)
    x = generator.normal(loc=5.0, scale=2.0, size=(4000, 1))
    labels = generator.random(4000) < sigmoid(1.5 * (x[:, 0] - 5.0))
    fitted = fit_logistic(x, labels, l2=0.0, steps=2000)
    assert abs(fitted.weights[0] - 1.5) < 0.2
    assert abs(fitted.bias + 7.5) < 1.0
