"""The evidence for every quote window a question's candidate chunks offer, as features.

A window is one quotable sentence or two adjacent ones inside a candidate chunk. Each gets a
row of features that mean the same in any corpus and for any question (cosines, shares of
the question's weighted terms, BM25 divided by the question's IDF mass), never a score
rescaled per question: a learned ranker (ranker.py) weighs them, so that an unrelated article
whose chunks happen to be the best of a weak lot does not look like a good answer.

Invariants: ``features`` has one row per window, columns in FEATURES order; every window is
an exact span [start, end) of its article's stored text, from the first sentence's start to
the last sentence's end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.embedding.embedder import Matrix
from index.quotes import QuoteConfig, is_quotable, window_cosines
from index.retrieval.candidates import ChunkCandidate
from index.retrieval.query import QueryTerm
from index.rows import StoredSentence

FEATURES = (
    # the question's cosine with the window (one sentence, or the unit sum of two)
    "window_cosine",
    # ... with the chunk the window comes from
    "chunk_cosine",
    # share of the question's term weight (BM25 idf) found in the window
    "term_share",
    # share of the question's terms found in the window, each counted once
    "term_count_share",
    # the chunk's BM25 divided by the question's IDF mass: comparable across questions
    "chunk_bm25_share",
    # the article's best chunk cosine among the candidates
    "article_cosine",
    # the article's best window cosine: its best sentence-level evidence
    "article_window_cosine",
    # 1 / (1 + rank) of the chunk by cosine, and by BM25, among the candidates
    "chunk_dense_rank",
    "chunk_lexical_rank",
    # the window holds the question's rarest term that the corpus has
    "rarest_term",
    # 1 for two sentences
    "pair",
    # log of the window's words: long windows match more by chance
    "log_words",
)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURES)}
# Left out on purpose: anything that grows with an article's length (its number of
# candidate chunks, the terms covered by all of them, a sentence's position). In the
# development data every answering article is a short Wikipedia paragraph and every long
# article (NTREX news) a distractor, so such features learn "long articles never answer";
# tried, they took the seed article (a long news story) from R@1 0.98 to 0.84.


@dataclass(frozen=True, slots=True)
class Window:
    doc_id: str
    first_position: int
    last_position: int
    start: int
    end: int


@dataclass(frozen=True)
class WindowEvidence:
    windows: list[Window]
    features: Matrix  # (len(windows), len(FEATURES))
    # share of the question's term weight that no article of the corpus holds
    missing_share: float


@dataclass(frozen=True, slots=True)
class _ChunkWindows:
    chunk: ChunkCandidate
    sentences: list[StoredSentence]
    covers: list[frozenset[int]]
    singles: Matrix
    pairs: Matrix


def _reciprocal_ranks(values: Sequence[float]) -> list[float]:
    """1 / (1 + rank) of each value, best (highest) first; a 0 (no match) ranks nowhere."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    result = [0.0] * len(values)
    for rank, i in enumerate(order):
        result[i] = 1.0 / (1 + rank) if values[i] > 0 else 0.0
    return result


def collect_windows(
    chunks: Sequence[ChunkCandidate],
    sentences_of: Mapping[int, list[StoredSentence]],
    texts: Mapping[str, str],
    query: Matrix,
    terms: Sequence[QueryTerm],
    config: QuoteConfig,
) -> WindowEvidence:
    """Every quotable window of ``chunks`` with its features."""
    weights = np.asarray([t.weight for t in terms], dtype=np.float64)
    total_weight = float(weights.sum())
    present = [i for i, t in enumerate(terms) if t.alternatives]
    missing_share = 1.0 - float(weights[present].sum()) / total_weight if total_weight > 0 else 0.0
    rarest = max(present, key=lambda i: terms[i].weight, default=None)

    def share(covered: frozenset[int]) -> float:
        return float(sum(weights[i] for i in covered)) / total_weight if total_weight else 0.0

    dense_rank = _reciprocal_ranks([c.dense for c in chunks])
    lexical_rank = _reciprocal_ranks([c.lexical for c in chunks])
    per_chunk: list[_ChunkWindows] = []
    ranks: list[tuple[float, float]] = []
    article_window: dict[str, float] = {}
    article_cosine: dict[str, float] = {}
    for number, candidate in enumerate(chunks):
        sentences = sentences_of.get(candidate.chunk.id, [])
        if not sentences:
            continue
        covers = [
            frozenset(i for i in present if not s.terms.isdisjoint(terms[i].alternatives))
            for s in sentences
        ]
        singles, pairs = window_cosines(sentences, query)
        per_chunk.append(_ChunkWindows(candidate, sentences, covers, singles, pairs))
        ranks.append((dense_rank[number], lexical_rank[number]))
        doc_id = candidate.chunk.doc_id
        best = max(float(singles.max()), float(pairs.max()) if len(pairs) else -1.0)
        article_window[doc_id] = max(article_window.get(doc_id, -1.0), best)
        article_cosine[doc_id] = max(article_cosine.get(doc_id, -1.0), candidate.dense)

    windows: list[Window] = []
    rows: list[list[float]] = []
    term_count = max(len(terms), 1)
    for item, (chunk_dense_rank, chunk_lexical_rank) in zip(per_chunk, ranks, strict=True):
        doc_id = item.chunk.chunk.doc_id
        text = texts[doc_id]
        sentences = item.sentences
        quotable = [is_quotable(text[s.start : s.end], config) for s in sentences]
        bm25_share = item.chunk.lexical / total_weight if total_weight else 0.0
        spans: list[tuple[int, int, float]] = [
            (i, i, float(item.singles[i])) for i in range(len(sentences)) if quotable[i]
        ]
        spans += [
            (i, i + 1, float(item.pairs[i]))
            for i in range(len(sentences) - 1)
            if quotable[i]
            and quotable[i + 1]
            and sentences[i + 1].end - sentences[i].start <= config.max_quote_characters
        ]
        for first, last, cosine in spans:
            covered = item.covers[first] | item.covers[last]
            start, end = sentences[first].start, sentences[last].end
            windows.append(
                Window(doc_id, sentences[first].position, sentences[last].position, start, end)
            )
            rows.append(
                [
                    cosine,
                    item.chunk.dense,
                    share(covered),
                    len(covered) / term_count,
                    bm25_share,
                    article_cosine[doc_id],
                    article_window[doc_id],
                    chunk_dense_rank,
                    chunk_lexical_rank,
                    float(rarest is not None and rarest in covered),
                    float(last > first),
                    math.log(max(len(text[start:end].split()), 1)),
                ]
            )
    features = (
        np.asarray(rows, dtype=np.float32)
        if rows
        else np.zeros((0, len(FEATURES)), dtype=np.float32)
    )
    return WindowEvidence(windows, features, missing_share)


def weighted_window_scores(features: Matrix, config: QuoteConfig) -> Matrix:
    """The fixed mix of the weighted ranking (``best_window``'s score) for every window:
    sentence and chunk cosines and the term share, a pair paying ``pair_margin`` so that a
    single sentence wins unless the pair is clearly better. Its scale is the one the
    abstention thresholds were calibrated on."""
    scores: Matrix = (
        config.sentence_weight * features[:, FEATURE_INDEX["window_cosine"]]
        + config.chunk_weight * features[:, FEATURE_INDEX["chunk_cosine"]]
        + config.lexical_weight * features[:, FEATURE_INDEX["term_share"]]
        - config.pair_margin * features[:, FEATURE_INDEX["pair"]]
    ).astype(np.float32)
    return scores
