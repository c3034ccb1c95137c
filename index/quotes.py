"""Quote selection: the sentence, or two adjacent sentences, inside a chunk that best answers.

A window's score mixes absolute evidence, so that it can also decide abstention: the
cosine of the question with the window and with its chunk, and the share of the question's
weighted terms that the window contains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.embedding.embedder import Matrix
from index.retrieval.query import QueryTerm
from index.rows import StoredSentence


@dataclass(frozen=True)
class QuoteConfig:
    # tuned on XQuAD-dev (English and Arabic questions over Arabic paragraphs)
    sentence_weight: float = 0.45
    chunk_weight: float = 0.5
    lexical_weight: float = 0.05
    # a two-sentence quote must beat the best single sentence by this much: short quotes win
    pair_margin: float = 0.005
    # what a pair pays when it stands for its article in the choice of the first quote's
    # article (weighted-every-window-article); chosen by five-fold cross-validation by
    # article on the development archive (eval/reports/archive-article-margin/)
    article_pair_margin: float = 0.01
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


@dataclass(frozen=True, slots=True)
class ChunkQuote:
    """A chunk's best window, and the evidence the chunk gives for its article: the best
    score among its quotable windows when a pair pays ``article_pair_margin``."""

    window: QuoteCandidate
    article_score: float


def is_quotable(text: str, config: QuoteConfig) -> bool:
    stripped = text.rstrip(" \"'”’»)")
    return len(text.split()) >= config.min_quote_words and not stripped.endswith(("?", "؟"))


def window_cosines(sentences: Sequence[StoredSentence], query: Matrix) -> tuple[Matrix, Matrix]:
    """Cosines of the question with each sentence and with each adjacent pair (the unit sum
    of the two vectors), from one matrix product: |a + b|^2 = |a|^2 + |b|^2 + 2 a.b."""
    vectors = np.vstack([sentence.vector for sentence in sentences]).astype(np.float32)
    dots = vectors @ query
    squares = np.einsum("ij,ij->i", vectors, vectors)
    norms = np.sqrt(squares)
    singles = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    pair_norms = np.sqrt(
        np.maximum(
            squares[:-1] + squares[1:] + 2 * np.einsum("ij,ij->i", vectors[:-1], vectors[1:]), 0
        )
    )
    pairs = np.divide(
        dots[:-1] + dots[1:], pair_norms, out=np.zeros_like(pair_norms), where=pair_norms > 0
    )
    return singles, pairs


def best_window(
    sentences: Sequence[SentenceEvidence],
    query: Matrix,
    query_terms: Sequence[QueryTerm],
    chunk_similarity: float,
    config: QuoteConfig,
) -> ChunkQuote | None:
    """The best single sentence or adjacent pair of ``sentences`` (one chunk, in order);
    a window starts and ends on a quotable sentence."""
    if not sentences:
        return None
    total_weight = sum(term.weight for term in query_terms)
    covers = [
        {i for i, term in enumerate(query_terms) if not e.terms.isdisjoint(term.alternatives)}
        for e in sentences
    ]
    single_cosines, pair_cosines = window_cosines(
        [evidence.sentence for evidence in sentences], query
    )

    def score(first: int, last: int) -> QuoteCandidate:
        cosine = single_cosines[first] if first == last else pair_cosines[first]
        matched = covers[first] | covers[last]
        term_share = (
            sum(query_terms[i].weight for i in matched) / total_weight if total_weight > 0 else 0.0
        )
        value = (
            config.sentence_weight * float(cosine)
            + config.chunk_weight * chunk_similarity
            + config.lexical_weight * term_share
        )
        return QuoteCandidate(
            sentences[first].sentence.doc_id,
            sentences[first].sentence.position,
            sentences[last].sentence.position,
            sentences[first].sentence.start,
            sentences[last].sentence.end,
            value,
        )

    quotable = [is_quotable(evidence.text, config) for evidence in sentences]
    singles = [score(i, i) for i in range(len(sentences)) if quotable[i]]
    if not singles:
        return None
    best = max(singles, key=lambda candidate: candidate.score)
    article_score = best.score
    for first in range(len(sentences) - 1):
        if not (quotable[first] and quotable[first + 1]):
            continue
        if (
            sentences[first + 1].sentence.end - sentences[first].sentence.start
            > config.max_quote_characters
        ):
            continue
        pair = score(first, first + 1)
        article_score = max(article_score, pair.score - config.article_pair_margin)
        if pair.score > best.score + config.pair_margin:
            best = pair
    return ChunkQuote(best, article_score)


def overlaps(first: QuoteCandidate, second: QuoteCandidate) -> bool:
    return first.doc_id == second.doc_id and first.start < second.end and second.start < first.end
