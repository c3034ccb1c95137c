"""Quote selection: the sentence, or two adjacent sentences, inside a chunk that best answers.

A window's score mixes absolute evidence, so that it can also decide abstention: the
cosine of the question with the window and with its chunk, and the share of the question's
weighted terms that the window contains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.document_store import StoredSentence
from index.embedding.embedder import Matrix
from index.retrieval.query import QueryTerm


@dataclass(frozen=True)
class QuoteConfig:
    # tuned on XQuAD-dev (English and Arabic questions over Arabic paragraphs)
    sentence_weight: float = 0.45
    chunk_weight: float = 0.5
    lexical_weight: float = 0.05
    # a two-sentence quote must beat the best single sentence by this much: short quotes win
    pair_margin: float = 0.005
    max_quote_characters: int = 600
    # headings and questions ("ماذا جرى خلال المكالمة؟") resemble questions but answer nothing
    min_quote_words: int = 4


@dataclass(frozen=True, slots=True)
class SentenceEvidence:
    sentence: StoredSentence
    text: str
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class QuoteCandidate:
    doc_id: str
    first_position: int
    last_position: int
    start: int
    end: int
    score: float


def is_quotable(text: str, config: QuoteConfig) -> bool:
    stripped = text.rstrip(" \"'”’»)")
    return len(text.split()) >= config.min_quote_words and not stripped.endswith(("?", "؟"))


def coverage(terms: frozenset[str], query_terms: Sequence[QueryTerm]) -> float:
    """Weighted share of the question's terms that ``terms`` contains."""
    total = sum(term.weight for term in query_terms)
    if total <= 0:
        return 0.0
    matched = sum(t.weight for t in query_terms if any(a in terms for a in t.alternatives))
    return matched / total


def _unit(vector: Matrix) -> Matrix:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def best_window(
    sentences: Sequence[SentenceEvidence],
    query: Matrix,
    query_terms: Sequence[QueryTerm],
    chunk_similarity: float,
    config: QuoteConfig,
) -> QuoteCandidate | None:
    """The best single sentence or adjacent pair of ``sentences`` (one chunk, in order);
    a window starts and ends on a quotable sentence."""

    def score(first: int, last: int) -> QuoteCandidate:
        window = sentences[first : last + 1]
        vector = _unit(np.sum([e.sentence.vector for e in window], axis=0))
        terms = frozenset().union(*(e.terms for e in window))
        value = (
            config.sentence_weight * float(vector @ query)
            + config.chunk_weight * chunk_similarity
            + config.lexical_weight * coverage(terms, query_terms)
        )
        return QuoteCandidate(
            window[0].sentence.doc_id,
            window[0].sentence.position,
            window[-1].sentence.position,
            window[0].sentence.start,
            window[-1].sentence.end,
            value,
        )

    quotable = [is_quotable(evidence.text, config) for evidence in sentences]
    singles = [score(i, i) for i in range(len(sentences)) if quotable[i]]
    if not singles:
        return None
    best = max(singles, key=lambda candidate: candidate.score)
    for first in range(len(sentences) - 1):
        if not (quotable[first] and quotable[first + 1]):
            continue
        if (
            sentences[first + 1].sentence.end - sentences[first].sentence.start
            > config.max_quote_characters
        ):
            continue
        pair = score(first, first + 1)
        if pair.score > best.score + config.pair_margin:
            best = pair
    return best


def overlaps(first: QuoteCandidate, second: QuoteCandidate) -> bool:
    return first.doc_id == second.doc_id and first.start < second.end and second.start < first.end
