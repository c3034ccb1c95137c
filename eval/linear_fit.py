"""Linear models fitted in numpy: a listwise softmax ranker and a logistic regression.

Features are standardised for the fit and the scaling is folded back, so the returned
weights apply to raw features. Both minimise their mean loss plus ``l2`` times the squared
weights (the bias is not penalised), by full-batch gradient descent with Adam: the problems
are small (tens of features, a few hundred thousand rows) and convex.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Fitted:
    weights: FloatArray
    bias: float

    def logits(self, features: FloatArray) -> FloatArray:
        result: FloatArray = features @ self.weights + self.bias
        return result

    def probabilities(self, features: FloatArray) -> FloatArray:
        return sigmoid(self.logits(features))


def _standardise(features: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return (features - mean) / scale, mean, scale


def _adam(
    gradient: Callable[[FloatArray], FloatArray], size: int, steps: int, rate: float
) -> FloatArray:
    theta = np.zeros(size)
    first = np.zeros(size)
    second = np.zeros(size)
    for step in range(1, steps + 1):
        g = gradient(theta)
        first = 0.9 * first + 0.1 * g
        second = 0.999 * second + 0.001 * g * g
        theta -= rate * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return theta


def fit_softmax_ranker(
    features: FloatArray,
    group: IntArray,
    positive: npt.NDArray[np.bool_],
    l2: float = 1e-3,
    steps: int = 400,
    rate: float = 0.05,
) -> Fitted:
    """Weights that put a positive row first within its group: the loss of a group is
    -log(sum of softmax over its positive rows). ``group`` numbers the rows' groups 0..G-1;
    every group must hold a positive row. The bias is 0: a constant cannot change an order."""
    x, mean, scale = _standardise(features)
    groups = int(group.max()) + 1

    def gradient(w: FloatArray) -> FloatArray:
        scores = x @ w
        top = np.full(groups, -np.inf)
        np.maximum.at(top, group, scores)
        exp = np.exp(scores - top[group])
        total = np.bincount(group, exp, groups)
        positive_total = np.bincount(group, exp * positive, groups)
        softmax = exp / total[group]
        target = np.where(positive, exp / positive_total[group], 0.0)
        result: FloatArray = x.T @ (softmax - target) / groups + 2 * l2 * w
        return result

    w = _adam(gradient, x.shape[1], steps, rate)
    return Fitted(w / scale, float(-(w / scale) @ mean))


def fit_logistic(
    features: FloatArray,
    labels: npt.NDArray[np.bool_],
    l2: float = 1e-3,
    steps: int = 500,
    rate: float = 0.05,
) -> Fitted:
    """Logistic regression: P(label) = sigmoid(w . x + b), classes weighted equally as given."""
    x, mean, scale = _standardise(features)
    design = np.hstack([x, np.ones((len(x), 1))])
    y = labels.astype(np.float64)
    penalty = np.ones(design.shape[1])
    penalty[-1] = 0.0

    def gradient(theta: FloatArray) -> FloatArray:
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        result: FloatArray = design.T @ (p - y) / len(y) + 2 * l2 * penalty * theta
        return result

    theta = _adam(gradient, design.shape[1], steps, rate)
    w = theta[:-1] / scale
    return Fitted(w, float(theta[-1] - w @ mean))


def logistic_out_of_fold(
    rows: Sequence[FloatArray | None],
    labels: Sequence[bool],
    folds_of: Sequence[int],
    folds: int,
) -> FloatArray:
    """Each row's probability under a logistic regression fitted on the other folds' rows;
    0 where the row is None (a question with no evidence)."""
    result = np.zeros(len(rows))
    for fold in range(folds):
        train = [
            (row, label)
            for row, label, row_fold in zip(rows, labels, folds_of, strict=True)
            if row_fold != fold and row is not None
        ]
        model = fit_logistic(
            np.vstack([row for row, _ in train]), np.asarray([label for _, label in train])
        )
        for i, (row, row_fold) in enumerate(zip(rows, folds_of, strict=True)):
            if row_fold == fold and row is not None:
                result[i] = float(sigmoid(model.logits(row[None, :]))[0])
    return result


def sigmoid(values: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-values))
    return result
