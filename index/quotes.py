"""Quote selection: the sentence, or two adjacent sentences, inside a chunk that best answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.document_store import StoredSentence
from index.embedding.embedder import Matrix


@dataclass(frozen=True)
class QuoteConfig:
    # weight of the sentence's own similarity against that of its chunk
    sentence_weight: float = 0.6
    # a two-sentence quote must beat the best single sentence by this much: short quotes win
    pair_margin: float = 0.01
    max_quote_characters: int = 600
    # headings and questions ("ماذا جرى خلال المكالمة؟") resemble questions but answer nothing
    min_quote_words: int = 4


def is_quotable(text: str, config: QuoteConfig) -> bool:
    stripped = text.rstrip(" \"'”’»)")
    return len(text.split()) >= config.min_quote_words and not stripped.endswith(("?", "؟"))


@dataclass(frozen=True, slots=True)
class QuoteCandidate:
    doc_id: str
    first_position: int
    last_position: int
    start: int
    end: int
    score: float


def _unit(vector: Matrix) -> Matrix:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def best_window(
    sentences: Sequence[StoredSentence],
    texts: Sequence[str],
    query: Matrix,
    chunk_score: float,
    config: QuoteConfig,
) -> QuoteCandidate | None:
    """The best single sentence or adjacent pair of ``sentences`` (one chunk, in order, with
    their ``texts``); a window must start and end on a quotable sentence."""
    quotable = [is_quotable(text, config) for text in texts]
    if not any(quotable):
        return None
    vectors = np.vstack([sentence.vector for sentence in sentences])
    similarities = np.where(quotable, vectors @ query, -np.inf)
    weight = config.sentence_weight

    def candidate(first: int, last: int, similarity: float) -> QuoteCandidate:
        return QuoteCandidate(
            sentences[first].doc_id,
            sentences[first].position,
            sentences[last].position,
            sentences[first].start,
            sentences[last].end,
            weight * similarity + (1 - weight) * chunk_score,
        )

    best_single = int(np.argmax(similarities))
    best = candidate(best_single, best_single, float(similarities[best_single]))
    for first in range(len(sentences) - 1):
        if not (quotable[first] and quotable[first + 1]):
            continue
        if sentences[first + 1].end - sentences[first].start > config.max_quote_characters:
            continue
        pair_similarity = float(_unit(vectors[first] + vectors[first + 1]) @ query)
        pair = candidate(first, first + 1, pair_similarity)
        if pair.score > best.score + config.pair_margin:
            best = pair
    return best


def overlaps(first: QuoteCandidate, second: QuoteCandidate) -> bool:
    return first.doc_id == second.doc_id and first.start < second.end and second.start < first.end
