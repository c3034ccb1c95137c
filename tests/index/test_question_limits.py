"""A question's cost is bounded: its length read and its English words translated are capped,
the answer says what was left out, and ordinary questions are never capped."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from index.answerer import AnswerConfig, Answerer, QuestionLimits
from index.corpus import Corpus
from index.lexicon import TranslationConfig
from tests.conftest import PROJECT_ROOT

XQUAD = PROJECT_ROOT.parent / "shared" / "data" / "xquad-dev"


class RecordingEmbedder:
    """The fixture embedder, recording what each question's model pass was given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, list[str]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode_query_and_words(
        self, query: str, words: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append((query, list(words)))
        result: tuple[np.ndarray, np.ndarray] = self.inner.encode_query_and_words(query, words)
        return result


def _unknown_words(characters: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words: list[str] = []
    while len(" ".join(words)) < characters:
        words.append("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9))))
    return " ".join(words)[:characters]


@pytest.fixture
def recording(small_corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> RecordingEmbedder:
    embedder = RecordingEmbedder(small_corpus.embedder)
    monkeypatch.setattr(small_corpus, "embedder", embedder)
    return embedder


def test_a_long_question_of_unknown_words_is_read_and_translated_only_up_to_the_caps(
    small_corpus: Corpus, recording: RecordingEmbedder
) -> None:
    config = AnswerConfig(max_question_characters=120, translation=TranslationConfig(max_words=5))
    question = _unknown_words(1000)
    answer = Answerer(small_corpus, config).ask(question)
    ((encoded, words),) = recording.calls
    assert len(encoded) <= 120 and question.startswith(encoded)
    assert len(words) == 5
    # the answer says what was left out: the unread end, and the words not translated
    assert answer.limits.applied
    assert (encoded + " " + answer.limits.ignored_text).split() == question.split()
    read_words = encoded.split()
    assert list(answer.limits.untranslated_words) == read_words[5:]
    assert answer.question == question  # as asked


def test_the_cut_never_splits_a_word() -> None:
    answerer = Answerer.__new__(Answerer)
    answerer.config = AnswerConfig(max_question_characters=12)
    read, limits = answerer.read_question("  alpha bravo charlie delta  ")
    assert read == "alpha bravo"
    assert limits.ignored_text == "charlie delta"
    # one word longer than the cap is cut inside it: there is no space to cut at
    assert answerer.read_question("x" * 30)[0] == "x" * 12


def test_an_ordinary_question_is_not_capped(
    small_corpus: Corpus, recording: RecordingEmbedder
) -> None:
    question = "What temperature is expected in Cairo on Thursday?"
    answer = Answerer(small_corpus).ask(question)
    assert answer.limits == QuestionLimits() and not answer.limits.applied
    ((encoded, words),) = recording.calls
    assert encoded == question
    assert words == ["temperature", "expected", "cairo", "thursday"]


def test_translation_off_lists_no_untranslated_words(small_corpus: Corpus) -> None:
    answerer = Answerer(small_corpus, replace(AnswerConfig(), translation=None))
    assert answerer.read_question(_unknown_words(250))[1] == QuestionLimits()


@pytest.mark.skipif(not XQUAD.is_dir(), reason="the development data is not here")
def test_no_xquad_question_reaches_a_cap(small_corpus: Corpus) -> None:
    answerer = Answerer(small_corpus)
    questions = [
        qa["question"]
        for lang in ("en", "ar")
        for article in json.loads((XQUAD / f"xquad.{lang}.json").read_text("utf-8"))["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    assert len(questions) > 1000
    capped = [q for q in questions if answerer.read_question(q)[1].applied]
    assert capped == []
