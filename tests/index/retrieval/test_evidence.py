"""Quote windows with their features: exact spans, and features that mean what they say."""

from __future__ import annotations

import numpy as np
import pytest

from index.quotes import QuoteConfig
from index.retrieval.candidates import ChunkCandidate
from index.retrieval.evidence import FEATURE_INDEX, FEATURES, WindowEvidence, collect_windows
from index.retrieval.query import QueryTerm
from index.rows import StoredChunk, StoredSentence

QUERY = np.array([1.0, 0.0, 0.0], dtype=np.float32)
TEXT = "أعلن الطرفان وقف القتال اليوم. ثم توقف اطلاق النار مساء أمس. ماذا جرى بعد ذلك؟"
TERMS = [QueryTerm(("وقف",), 3.0), QueryTerm(("نار",), 1.0), QueryTerm((), 2.0)]


def _sentences() -> list[StoredSentence]:
    spans, start = [], 0
    for piece in TEXT.split(". "):
        end = TEXT.index(piece, start) + len(piece) + (1 if not piece.endswith("؟") else 0)
        spans.append((TEXT.index(piece, start), end))
        start = end
    vectors = [[0.9, 0.1, 0.0], [0.6, 0.8, 0.0], [1.0, 0.0, 0.0]]
    terms = ["وقف قتال", "نار", ""]
    return [
        StoredSentence("doc", i, s, e, np.asarray(v, np.float32), frozenset(t.split()))
        for i, ((s, e), v, t) in enumerate(zip(spans, vectors, terms, strict=True))
    ]


def _evidence() -> tuple[list[StoredSentence], WindowEvidence]:
    sentences = _sentences()
    chunk = StoredChunk(7, "doc", 0, 2, 0, len(TEXT), 0)
    candidate = ChunkCandidate(chunk, dense=0.8, lexical=3.0, fused=1.0)
    evidence = collect_windows(
        [candidate], {7: sentences}, {"doc": TEXT}, QUERY, TERMS, QuoteConfig()
    )
    return sentences, evidence


def test_windows_are_exact_quotable_spans() -> None:
    sentences, evidence = _evidence()
    spans = {(w.first_position, w.last_position) for w in evidence.windows}
    # the question sentence is never quoted, alone or in a pair
    assert spans == {(0, 0), (1, 1), (0, 1)}
    for window in evidence.windows:
        assert window.start == sentences[window.first_position].start
        assert window.end == sentences[window.last_position].end
    assert evidence.features.shape == (3, len(FEATURES))


def test_features_measure_the_question_not_the_corpus() -> None:
    _, evidence = _evidence()
    rows = {
        (w.first_position, w.last_position): evidence.features[i]
        for i, w in enumerate(evidence.windows)
    }
    first, second, pair = rows[(0, 0)], rows[(1, 1)], rows[(0, 1)]
    share = FEATURE_INDEX["term_share"]
    # weights 3 + 1 of 6 (the third term is nowhere in the corpus and still counts)
    assert first[share] == pytest.approx(3 / 6)
    assert pair[share] == pytest.approx(4 / 6)
    assert first[FEATURE_INDEX["window_cosine"]] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    assert second[FEATURE_INDEX["window_cosine"]] == pytest.approx(0.6)
    assert pair[FEATURE_INDEX["pair"]] == 1 and first[FEATURE_INDEX["pair"]] == 0
    # BM25 divided by the question's IDF mass, whatever else the corpus holds
    assert first[FEATURE_INDEX["chunk_bm25_share"]] == pytest.approx(3.0 / 6)
    assert first[FEATURE_INDEX["rarest_term"]] == 1 and second[FEATURE_INDEX["rarest_term"]] == 0
    assert evidence.missing_share == pytest.approx(2 / 6)
