"""The abstention model of the learned-first-quote ranking: its training rows,
its cross-validation and its fit, for ``eval/train_ranker.py``.

A question's row is ranker.FIRST_QUOTE_ABSTENTION_FEATURES of the window the service would
quote first; the label is "the gold paragraph is indexed". Out of fold, a question's row
comes from window probabilities of a ranker that never saw its article, and the model that
scores it is trained on the other folds' out-of-fold rows, as for the learned ranking's own
abstention model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from eval.linear_fit import Fitted, FloatArray, fit_logistic, logistic_out_of_fold
from index.retrieval.evidence import Window
from index.retrieval.ranker import first_quote_abstention_features, learned_first_quote


class Evidence(Protocol):
    """What a row needs of a question (train_ranker.QuestionEvidence has it)."""

    @property
    def windows(self) -> list[Window]: ...
    @property
    def features(self) -> FloatArray: ...
    @property
    def missing_share(self) -> float: ...
    @property
    def fold(self) -> int: ...


def first_quote_row(
    question: Evidence, weighted: FloatArray, probabilities: FloatArray
) -> FloatArray | None:
    """The row of the window the service quotes first; None when there is no window."""
    if not question.windows:
        return None
    features = question.features.astype(np.float32)
    weighted32 = weighted.astype(np.float32)
    probabilities32 = probabilities.astype(np.float32)
    first = learned_first_quote(question.windows, weighted32, probabilities32)[0]
    row = first_quote_abstention_features(
        question.windows, features, weighted32, probabilities32, first, question.missing_share
    )
    return row.astype(np.float64)


def cross_validated_answer_probabilities(
    questions: Sequence[Evidence],
    answerable: npt.NDArray[np.bool_],
    weighted: Sequence[FloatArray],
    out_of_fold_probabilities: Sequence[FloatArray],
    folds: int,
) -> FloatArray:
    """Each question's out-of-fold probability that the sources answer (0 with no window)."""
    rows = [
        first_quote_row(q, w, p)
        for q, w, p in zip(questions, weighted, out_of_fold_probabilities, strict=True)
    ]
    labels = [bool(label) for label in answerable]
    return logistic_out_of_fold(rows, labels, [q.fold for q in questions], folds)


def fit_first_quote_abstention(
    questions: Sequence[Evidence],
    answerable: npt.NDArray[np.bool_],
    weighted: Sequence[FloatArray],
    probabilities_of: Callable[[FloatArray], FloatArray],
) -> Fitted:
    """The final model, on rows ranked by the final ranker (``probabilities_of``)."""
    rows = [
        (first_quote_row(q, w, probabilities_of(q.features)), bool(label))
        for q, w, label in zip(questions, weighted, answerable, strict=True)
    ]
    kept = [(row, label) for row, label in rows if row is not None]
    return fit_logistic(
        np.vstack([row for row, _ in kept]), np.asarray([label for _, label in kept])
    )
