"""Quote windows: one sentence or two adjacent ones, scored on cosine and term coverage."""

from __future__ import annotations

import numpy as np
import pytest

from index.quotes import QuoteConfig, SentenceEvidence, best_window
from index.retrieval.query import QueryTerm
from index.rows import StoredSentence

QUERY = np.array([1.0, 0.0, 0.0], dtype=np.float32)
TERMS = [QueryTerm(("وقف",), 3.0), QueryTerm(("نار",), 1.0)]


def _evidence(position: int, vector: list[float], terms: str, text: str) -> SentenceEvidence:
    start = position * 100
    stored = StoredSentence(
        "doc",
        position,
        start,
        start + len(text),
        np.array(vector, dtype=np.float32),
        frozenset(terms.split()),
    )
    return SentenceEvidence(stored, text, frozenset(terms.split()))


def test_picks_the_sentence_closest_to_the_question() -> None:
    sentences = [
        _evidence(0, [0.2, 1.0, 0.0], "", "جملة لا علاقة لها بالسؤال هنا"),
        _evidence(1, [1.0, 0.1, 0.0], "", "جملة قريبة جدا من السؤال هنا"),
    ]
    chosen = best_window(sentences, QUERY, [], 0.5, QuoteConfig(lexical_weight=0))
    assert chosen is not None
    window = chosen.window
    assert (window.first_position, window.last_position) == (1, 1)
    assert (window.start, window.end) == (sentences[1].sentence.start, sentences[1].sentence.end)


def test_term_coverage_is_weighted_and_a_pair_counts_both_sentences() -> None:
    config = QuoteConfig(sentence_weight=0, chunk_weight=0, lexical_weight=1, pair_margin=0.1)
    sentences = [
        _evidence(0, [1.0, 0.0, 0.0], "وقف", "أعلن الطرفان وقف القتال اليوم"),
        _evidence(1, [1.0, 0.0, 0.0], "نار", "ثم توقف اطلاق النار مساء"),
    ]
    chosen = best_window(sentences, QUERY, TERMS, 0.0, config)
    assert chosen is not None
    window = chosen.window
    # the pair holds both terms (4/4) and beats the best single (3/4) by more than the margin
    assert (window.first_position, window.last_position) == (0, 1)
    assert window.score == pytest.approx(1.0)
    single = best_window(
        sentences,
        QUERY,
        TERMS,
        0.0,
        QuoteConfig(sentence_weight=0, chunk_weight=0, lexical_weight=1, pair_margin=0.5),
    )
    assert single is not None
    assert (single.window.first_position, single.window.last_position) == (0, 0)
    assert single.window.score == 0.75


@pytest.mark.parametrize(
    ("article_pair_margin", "article_score"),
    [(0.1, 0.9), (0.2, 0.8), (0.3, 0.75), (1.0, 0.75)],
)
def test_a_chunks_article_score_is_its_best_window_when_a_pair_pays_the_article_margin(
    article_pair_margin: float, article_score: float
) -> None:
    # the pair scores 1.0 (both terms), the best single sentence 0.75 (3 of 4 weight)
    config = QuoteConfig(
        sentence_weight=0,
        chunk_weight=0,
        lexical_weight=1,
        pair_margin=0.1,
        article_pair_margin=article_pair_margin,
    )
    sentences = [
        _evidence(0, [1.0, 0.0, 0.0], "وقف", "أعلن الطرفان وقف القتال اليوم"),
        _evidence(1, [1.0, 0.0, 0.0], "نار", "ثم توقف اطلاق النار مساء"),
    ]
    chosen = best_window(sentences, QUERY, TERMS, 0.0, config)
    assert chosen is not None
    # the quote is the pair whatever the article margin: that margin only weighs articles
    assert (chosen.window.first_position, chosen.window.last_position) == (0, 1)
    assert chosen.article_score == pytest.approx(article_score)


def test_questions_and_headings_are_never_quoted() -> None:
    sentences = [
        _evidence(0, [1.0, 0.0, 0.0], "", "ماذا جرى خلال المكالمة؟"),
        _evidence(1, [1.0, 0.0, 0.0], "", "عنوان قصير"),
    ]
    assert best_window(sentences, QUERY, [], 0.5, QuoteConfig()) is None
