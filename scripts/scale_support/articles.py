"""Synthetic Arabic news articles for the scale benchmark, deterministic for a seed.

Each article has about 25 sentences (about 2,750 characters), a title, lang "ar", one of 100
sources (so "source-000" is a 1% filter) and a publication day spread evenly over 1,000 days
(so the first 100 days are a 10% filter and the first 900 a 90% one).

A sentence is a real Arabic sentence of the development sets (XQuAD-dev ar and ARCD
paragraphs, NTREX Arabic; never the seed) in which each word is replaced, with probability
``REPLACE``, by a word drawn from an unbounded Zipf-like distribution over ranks (a discrete
Lomax law, P(rank > x) = (1 + x/10)^-0.4): ranks below the real vocabulary size are real
words of the development sets by frequency, higher ranks synthetic Arabic word forms (names
and coinages). The vocabulary therefore grows with the corpus as in real archives (Heaps'
law, about n^0.7 distinct replacement words after n draws).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.article import Article

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SOURCES = 100
DAYS = 1000
FIRST_DAY = np.datetime64("2021-01-01")
SENTENCES_PER_ARTICLE = 25
REPLACE = 0.4
MIN_WORDS, MAX_WORDS = 7, 30  # real sentences used as templates, their end mark removed
ZIPF_SHIFT = 10.0
ZIPF_TAIL = 0.4  # P(rank > x) = (1 + x / ZIPF_SHIFT) ** -ZIPF_TAIL
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
PREFIXES = ("", "", "", "ال", "و", "ب", "لل", "وال")
SUFFIXES = ("", "", "", "ة", "ات", "ون", "ين", "ي", "ها")
_ARABIC_WORD = re.compile(r"^[\u0621-\u064a]+$")


def _squad_contexts(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [p["context"] for article in data for p in article["paragraphs"]]


def real_sentences() -> list[str]:
    """Real Arabic sentences of 6 to 40 words from the development sets, in a fixed order."""
    from index.text.sentences import split_sentences

    texts = _squad_contexts(DATA / "xquad-dev" / "xquad.ar.json")
    texts += _squad_contexts(DATA / "arcd" / "arcd-train.json")
    for line in (DATA / "ntrex" / "ntrex-dev.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["text"])
    sentences = []
    for text in texts:
        for span in split_sentences(text):
            sentence = " ".join(text[span.start : span.end].split()).rstrip(".!?؟؛…")
            if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS:
                sentences.append(sentence)
    return sentences


def synthetic_word(rank: int) -> str:
    """A deterministic Arabic-looking word form for a rank past the real vocabulary."""
    rng = np.random.default_rng(rank)
    length = int(rng.integers(3, 7))
    stem = "".join(LETTERS[i] for i in rng.integers(0, len(LETTERS), length))
    return (
        PREFIXES[int(rng.integers(len(PREFIXES)))]
        + stem
        + SUFFIXES[int(rng.integers(len(SUFFIXES)))]
    )


@dataclass
class ArticleGenerator:
    seed: int
    sentences: list[str]
    vocabulary: list[str]  # real Arabic words, most frequent first

    @classmethod
    def from_development_sets(cls, seed: int) -> ArticleGenerator:
        sentences = real_sentences()
        counts = Counter(w for s in sentences for w in s.split() if _ARABIC_WORD.match(w))
        return cls(seed, sentences, [w for w, _ in counts.most_common()])

    def _word(self, rank: int, cache: dict[int, str]) -> str:
        if rank < len(self.vocabulary):
            return self.vocabulary[rank]
        if rank not in cache:
            cache[rank] = synthetic_word(rank)
        return cache[rank]

    def article(self, number: int, cache: dict[int, str]) -> Article:
        """Article ``number``: the same text for the same seed and number, in any order."""
        rng = np.random.default_rng([self.seed, number])
        picks = rng.integers(0, len(self.sentences), SENTENCES_PER_ARTICLE)
        words = [self.sentences[i].split() for i in picks]
        total = sum(len(w) for w in words)
        replace = rng.random(total) < REPLACE
        ranks = np.floor(ZIPF_SHIFT * (rng.random(total) ** (-1 / ZIPF_TAIL) - 1))
        ranks = np.minimum(ranks, 10**12).astype(np.int64)
        flat = [w for sentence in words for w in sentence]
        for position in np.flatnonzero(replace):
            flat[position] = self._word(int(ranks[position]), cache)
        out, begin = [], 0
        for sentence, mark in zip(words, rng.choice(list(".....؟!"), len(words)), strict=True):
            out.append(" ".join(flat[begin : begin + len(sentence)]) + mark)
            begin += len(sentence)
        text = "\n".join(" ".join(out[i : i + 5]) for i in range(0, len(out), 5))
        title = " ".join(flat[: int(rng.integers(5, 10))]).rstrip("،,")
        return Article.create(
            id=f"scale-{number:07d}",
            title=title,
            text=text,
            lang="ar",
            source=source_of(number),
            published=published_of(number),
        )

    def articles(self, begin: int, end: int) -> Iterator[Article]:
        cache: dict[int, str] = {}
        for number in range(begin, end):
            yield self.article(number, cache)


def source_of(number: int) -> str:
    return f"source-{number % SOURCES:03d}"


def published_of(number: int) -> str:
    return str(FIRST_DAY + np.timedelta64((number * 7919) % DAYS, "D"))


def day(offset: int) -> str:
    return str(FIRST_DAY + np.timedelta64(offset, "D"))
