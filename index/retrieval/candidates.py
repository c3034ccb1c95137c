"""Candidate chunks for a question: dense and lexical (BM25) hits, fused on min-max
normalised scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.read_view import ReadView
from index.retrieval.query import AnalyzedQuery
from index.rows import StoredChunk


@dataclass(frozen=True)
class RetrievalConfig:
    dense_chunks: int = 20
    # 0 turns BM25 candidates off
    lexical_chunks: int = 20
    # weight of the dense score in the fusion; the lexical score has the rest
    dense_weight: float = 0.5
    # pseudo-relevance feedback: the question vector moves towards its best chunks, which
    # pulls an English question into the Arabic region of the space; 0 turns it off
    feedback_chunks: int = 0
    feedback_weight: float = 0.5


@dataclass(frozen=True, slots=True)
class ChunkCandidate:
    chunk: StoredChunk
    dense: float  # cosine of the question and the chunk
    lexical: float  # BM25 of the question's terms in the chunk, 0 if none
    fused: float


def _min_max(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return [1.0 if high > 0 else 0.0 for _ in values]
    return [(value - low) / (high - low) for value in values]


def gather_candidates(
    query: AnalyzedQuery, view: ReadView, config: RetrievalConfig
) -> list[ChunkCandidate]:
    """Best fused score first."""
    chunks: dict[int, StoredChunk] = {}
    for hit in view.search_chunks(query.vector, config.dense_chunks):
        chunks[hit.chunk.id] = hit.chunk
    if config.lexical_chunks and query.has_lexical_evidence:
        for hit in view.lexical_search_chunks(query.flat_terms(), config.lexical_chunks):
            chunks.setdefault(hit.chunk.id, hit.chunk)
    if not chunks:
        return []
    ids = list(chunks)
    dense = (view.chunk_vectors(ids) @ query.vector).tolist()
    lexical_scores = (
        view.lexical_scores(query.flat_terms(), ids) if query.has_lexical_evidence else {}
    )
    lexical = [lexical_scores.get(i, 0.0) for i in ids]
    if lexical_scores:
        fused = config.dense_weight * np.asarray(_min_max(dense)) + (
            1 - config.dense_weight
        ) * np.asarray(_min_max(lexical))
    else:
        fused = np.asarray(dense)
    candidates = [
        ChunkCandidate(chunks[i], float(d), float(b), float(f))
        for i, d, b, f in zip(ids, dense, lexical, fused, strict=True)
    ]
    return sorted(candidates, key=lambda candidate: candidate.fused, reverse=True)


def feedback_query(
    query: AnalyzedQuery, candidates: list[ChunkCandidate], view: ReadView, config: RetrievalConfig
) -> AnalyzedQuery:
    """Rocchio feedback: the question vector plus the mean of its best chunks, normalised."""
    if not config.feedback_chunks or not candidates:
        return query
    top = view.chunk_vectors([c.chunk.id for c in candidates[: config.feedback_chunks]])
    moved = query.vector + config.feedback_weight * top.mean(axis=0)
    moved = moved / float(np.linalg.norm(moved))
    return AnalyzedQuery(query.text, moved.astype(np.float32), query.terms)
