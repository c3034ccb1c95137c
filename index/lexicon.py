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

SCHEMA = """
CREATE TABLE IF NOT EXISTS lexicon (
    term TEXT PRIMARY KEY, surface TEXT NOT NULL, vector BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class TranslationConfig:
    # candidates per English word, and the similarity a candidate needs; tuned on XQuAD-dev
    per_word: int = 2
    min_similarity: float = 0.86
    # a candidate must be about as close as the best one, or it is noise
    max_gap: float = 0.02


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
    """All lexicon vectors in memory, for matching query words by one matrix product."""

    def __init__(self, terms: list[str], vectors: Matrix) -> None:
        self.terms = terms
        self.vectors = vectors

    @classmethod
    def load(cls, connection: sqlite3.Connection, dimension: int) -> Lexicon:
        rows = connection.execute("SELECT term, vector FROM lexicon ORDER BY term").fetchall()
        if not rows:
            return cls([], np.zeros((0, dimension), dtype=np.float32))
        vectors = np.vstack([np.frombuffer(row[1], dtype=np.float32) for row in rows])
        return cls([str(row[0]) for row in rows], vectors)

    def translate(self, word_vectors: Matrix, config: TranslationConfig) -> list[list[str]]:
        """For each word vector, the Arabic terms that translate it (possibly none)."""
        if not self.terms or not len(word_vectors):
            return [[] for _ in range(len(word_vectors))]
        similarities = word_vectors @ self.vectors.T
        translations = []
        for row in similarities:
            best = np.argsort(-row)[: config.per_word]
            top = float(row[best[0]])
            translations.append(
                [
                    self.terms[i]
                    for i in best
                    if row[i] >= config.min_similarity and top - row[i] <= config.max_gap
                ]
            )
        return translations
