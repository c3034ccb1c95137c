"""Cross-lingual lexicon: English query words to the Arabic terms of the corpus.

The multilingual model places a word and its translation close together even out of
context, so each Arabic term of the corpus is embedded once, at ingest, and an English query
word is matched to its nearest Arabic terms at question time. Those terms then take part in
BM25 and term overlap, which otherwise would never match across scripts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.embedding.embedder import Matrix
from index.text.transliteration import arabic_skeletons, latin_skeleton

SCHEMA = """
CREATE TABLE IF NOT EXISTS lexicon (
    term TEXT PRIMARY KEY, surface TEXT NOT NULL, vector BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class TranslationConfig:
    # candidates per English word, and the similarity a candidate needs; tuned on XQuAD-dev
    per_word: int = 2
    min_similarity: float = 0.90
    # a candidate must be about as close as the best one, or it is noise
    max_gap: float = 0.02
    # two-letter stems are mostly affixes and particles: never a translation
    min_term_length: int = 3
    # names: Latin and Arabic spellings with the same consonant skeleton (see
    # text/transliteration.py); shorter skeletons collide too often
    transliterate: bool = True
    min_skeleton_length: int = 3
    max_transliterations: int = 3


def unknown_terms(connection: sqlite3.Connection, terms: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(terms))
    known: set[str] = set()
    for begin in range(0, len(wanted), 500):
        part = wanted[begin : begin + 500]
        rows = connection.execute(
            f"SELECT term FROM lexicon WHERE term IN ({', '.join('?' * len(part))})", part
        ).fetchall()
        known.update(str(row[0]) for row in rows)
    return [term for term in wanted if term not in known]


def insert_entries(
    connection: sqlite3.Connection, terms: Sequence[str], surfaces: Sequence[str], vectors: Matrix
) -> None:
    connection.executemany(
        "INSERT OR IGNORE INTO lexicon(term, surface, vector) VALUES (?, ?, ?)",
        [
            (term, surface, np.ascontiguousarray(vector, dtype=np.float32).tobytes())
            for term, surface, vector in zip(terms, surfaces, vectors, strict=True)
        ],
    )


class Lexicon:
    """All lexicon vectors in memory, for matching query words by one matrix product, and the
    consonant skeletons of their word forms, for matching names."""

    def __init__(self, terms: list[str], surfaces: list[str], vectors: Matrix) -> None:
        self.terms = terms
        self.vectors = vectors
        self._by_skeleton: dict[str, list[int]] = {}
        for index, surface in enumerate(surfaces):
            for skeleton in arabic_skeletons(surface):
                self._by_skeleton.setdefault(skeleton, []).append(index)

    @classmethod
    def load(cls, connection: sqlite3.Connection, dimension: int) -> Lexicon:
        rows = connection.execute(
            "SELECT term, surface, vector FROM lexicon ORDER BY term"
        ).fetchall()
        if not rows:
            return cls([], [], np.zeros((0, dimension), dtype=np.float32))
        vectors = np.vstack([np.frombuffer(row[2], dtype=np.float32) for row in rows])
        return cls([str(row[0]) for row in rows], [str(row[1]) for row in rows], vectors)

    def translate(
        self, words: Sequence[str], word_vectors: Matrix, config: TranslationConfig
    ) -> list[list[str]]:
        """For each Latin word (and its vector), the Arabic terms that translate it."""
        if not self.terms or not len(word_vectors):
            return [[] for _ in words]
        similarities = word_vectors @ self.vectors.T
        return [
            list(dict.fromkeys(self._by_meaning(row, config) + self._by_sound(word, row, config)))
            for word, row in zip(words, similarities, strict=True)
        ]

    def _by_meaning(self, similarities: Matrix, config: TranslationConfig) -> list[str]:
        best = [
            int(i)
            for i in np.argsort(-similarities)[: config.per_word * 4]
            if len(self.terms[int(i)]) >= config.min_term_length
        ][: config.per_word]
        if not best:
            return []
        top = float(similarities[best[0]])
        return [
            self.terms[i]
            for i in best
            if similarities[i] >= config.min_similarity and top - similarities[i] <= config.max_gap
        ]

    def _by_sound(self, word: str, similarities: Matrix, config: TranslationConfig) -> list[str]:
        skeleton = latin_skeleton(word)
        if not config.transliterate or len(skeleton) < config.min_skeleton_length:
            return []
        matches = sorted(self._by_skeleton.get(skeleton, []), key=lambda i: -similarities[i])
        return [self.terms[i] for i in matches[: config.max_transliterations]]
