"""Row types that flow between the store, retrieval and quoting, free of any storage code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.article import Article

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article with its sentence and chunk spans, their vectors and lexical terms."""

    article: Article
    sentence_spans: Sequence[tuple[int, int]]
    sentence_vectors: Matrix
    sentence_terms: Sequence[str]  # space-separated terms per sentence
    chunk_spans: Sequence[tuple[int, int, int, int]]  # first, last sentence, start, end
    chunk_vectors: Matrix
    chunk_terms: Sequence[str]


@dataclass(frozen=True, slots=True)
class LexiconEntries:
    """New cross-lingual lexicon terms, embedded through a representative word form."""

    terms: Sequence[str]
    surfaces: Sequence[str]
    vectors: Matrix


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: int
    doc_id: str
    first_sentence: int
    last_sentence: int
    start: int
    end: int
    article_key: int  # the article's row in the store


@dataclass(frozen=True, slots=True)
class StoredSentence:
    doc_id: str
    position: int
    start: int
    end: int
    vector: Matrix
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class StoreCounts:
    articles: int
    chunks: int
    sentences: int
    generation: int


@dataclass(frozen=True, slots=True)
class ChunkHit:
    chunk: StoredChunk
    score: float
