"""The first-quote abstention model's training: rows of the window the service quotes first,
and out-of-fold answer probabilities that separate answerable questions from the rest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eval.first_quote_abstention import (
    cross_validated_answer_probabilities,
    first_quote_row,
    fit_first_quote_abstention,
)
from index.retrieval.evidence import FEATURE_INDEX, FEATURES, Window
from index.retrieval.ranker import FIRST_QUOTE_ABSTENTION_FEATURES

FIRST_SCORE = FIRST_QUOTE_ABSTENTION_FEATURES.index("first_score")


@dataclass
class _Question:
    windows: list[Window]
    features: np.ndarray
    missing_share: float
    fold: int


def _question(strength: float, fold: int) -> _Question:
    windows = [Window("a", 0, 0, 0, 10), Window("a", 1, 1, 11, 20), Window("b", 0, 0, 0, 10)]
    features = np.zeros((3, len(FEATURES)))
    features[:, FEATURE_INDEX["window_cosine"]] = [strength, strength - 0.05, 0.5]
    features[:, FEATURE_INDEX["term_share"]] = [strength, strength, 0.1]
    return _Question(windows, features, 1.0 - strength, fold)


def test_the_row_is_the_learned_pick_inside_the_weighted_first_article() -> None:
    question = _question(0.8, 0)
    weighted = np.asarray([0.9, 0.85, 0.6])
    probabilities = np.asarray([0.2, 0.7, 0.95])
    row = first_quote_row(question, weighted, probabilities)
    assert row is not None
    # window 1 (a's learned best), not 0 (weighted best) nor 2 (learned best, article b)
    assert row[FIRST_SCORE] == np.float32(0.85)
    assert (
        first_quote_row(_Question([], np.zeros((0, len(FEATURES))), 0.0, 0), weighted, weighted)
        is None
    )


def test_out_of_fold_probabilities_separate_answerable_questions() -> None:
    rng = np.random.default_rng(7)
    strengths = np.concatenate([rng.uniform(0.7, 0.9, 40), rng.uniform(0.3, 0.5, 40)])
    answerable = np.asarray([True] * 40 + [False] * 40)
    questions = [_question(float(s), i % 5) for i, s in enumerate(strengths)]
    weighted = [q.features[:, FEATURE_INDEX["window_cosine"]] for q in questions]
    probabilities = [np.asarray([0.6, 0.3, 0.1]) for _ in questions]
    answers = cross_validated_answer_probabilities(
        questions, answerable, weighted, probabilities, folds=5
    )
    assert answers[answerable].min() > answers[~answerable].max()
    final = fit_first_quote_abstention(
        questions, answerable, weighted, lambda features: np.asarray([0.6, 0.3, 0.1])
    )
    assert final.weights.shape == (len(FIRST_QUOTE_ABSTENTION_FEATURES),)
