"""Benchmark questions built from the synthetic articles: mostly Arabic phrasings of a span of
one sentence, some English ones (the hashing embedder has no cross-lingual ability, so those
only exercise the English code path: word translation through the lexicon)."""

from __future__ import annotations

import re

import numpy as np

from scale_support.articles import SOURCES, ArticleGenerator

ARABIC_TEMPLATES = ("ما {}؟", "من {}؟", "متى {}؟", "أين {}؟", "كيف {}؟", "ماذا عن {}؟", "{}؟")
ENGLISH_QUESTIONS = (
    "What did the minister say about the agreement?",
    "Who won the election?",
    "When did the government announce the new budget?",
    "How many people were killed in the attack?",
    "Where will the summit be held?",
    "What did the president say about the ceasefire?",
    "Why did the company close its factories?",
    "Which team won the championship final?",
)
ENGLISH_SHARE = 0.15
_WORD = re.compile(r"^[\u0621-\u064a]{3,}$")


def _arabic_question(generator: ArticleGenerator, number: int, rng: np.random.Generator) -> str:
    article = generator.article(number, {})
    sentences = [s for s in re.split(r"[.!؟\n]", article.text) if len(s.split()) >= 6]
    words = [w for w in sentences[int(rng.integers(len(sentences)))].split() if _WORD.match(w)]
    length = min(len(words), int(rng.integers(4, 8)))
    begin = int(rng.integers(0, len(words) - length + 1))
    template = ARABIC_TEMPLATES[int(rng.integers(len(ARABIC_TEMPLATES)))]
    return template.format(" ".join(words[begin : begin + length]))


def questions(
    generator: ArticleGenerator, articles: int, count: int, seed: int, source: int | None = None
) -> list[str]:
    """``count`` questions about articles below ``articles`` (of one source when given)."""
    rng = np.random.default_rng([seed, articles, 0 if source is None else source + 1])
    out = []
    for _ in range(count):
        if rng.random() < ENGLISH_SHARE:
            out.append(ENGLISH_QUESTIONS[int(rng.integers(len(ENGLISH_QUESTIONS)))])
            continue
        number = int(rng.integers(0, articles))
        if source is not None:
            number = number - number % SOURCES + source
            number = number if number < articles else source
        out.append(_arabic_question(generator, number, rng))
    return out
