"""BM25: FTS5 finds the best chunks; the candidates' scores are computed from stored terms
and incremental statistics, and equal FTS5's own."""

from __future__ import annotations

import sqlite3

import pytest

from index import lexical_index

ROWS = {
    1: "وقف اطلاق نار",
    2: "وقف مفاوض",
    3: "نار نار نار",
    4: "اقتصاد",
    5: "وقف نار زيلينسكي",
}


@pytest.fixture
def connection() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.executescript(lexical_index.SCHEMA)
    lexical_index.insert_chunk_terms(connection, ROWS.items())
    lexical_index.update_term_stats(connection, ROWS.values(), ROWS.values(), [], 1)
    return connection


def test_search_ranks_matching_rows_best_first(connection: sqlite3.Connection) -> None:
    hits = lexical_index.search(connection, ["وقف", "نار"], limit=10)
    assert {rowid for rowid, _ in hits} == {1, 2, 3, 5}
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert len(lexical_index.search(connection, ["وقف", "نار"], limit=2)) == 2
    assert len(lexical_index.search(connection, ["وقف", "نار"], limit=None)) == 4


def test_candidate_scores_equal_fts5_bm25(connection: sqlite3.Connection) -> None:
    full = dict(lexical_index.search(connection, ["وقف", "نار"], limit=None))
    stored = lexical_index.chunk_term_rows(connection, [2, 4, 5])
    frequencies = lexical_index.term_frequencies(connection, ["وقف", "نار"])
    tokens = sum(len(text.split()) for text in ROWS.values())
    scores = lexical_index.bm25_scores(
        ["وقف", "نار"],
        stored,
        {term: chunks for term, (_, chunks) in frequencies.items()},
        len(ROWS),
        tokens / len(ROWS),
    )
    assert set(scores) == {2, 5}
    assert all(scores[rowid] == pytest.approx(full[rowid], rel=1e-6) for rowid in scores)


def test_statistics_follow_deletes(connection: sqlite3.Connection) -> None:
    assert lexical_index.term_frequencies(connection, ["نار"])["نار"] == (3, 3)
    removed = lexical_index.delete_chunk_terms(connection, [3, 5])
    lexical_index.update_term_stats(connection, removed, removed, [], -1)
    assert lexical_index.term_frequencies(connection, ["نار", "زيلينسكي"]) == {"نار": (1, 1)}
    assert lexical_index.search(connection, ["زيلينسكي"], limit=None) == []
