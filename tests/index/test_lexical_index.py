"""BM25 in FTS5: the best rows overall, and the scores of exactly the rows asked for."""

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
    for rowid, terms in ROWS.items():
        lexical_index.insert_terms(connection, "chunk_terms", rowid, terms)
    return connection


def test_search_ranks_matching_rows_best_first(connection: sqlite3.Connection) -> None:
    hits = lexical_index.search(connection, "chunk_terms", ["وقف", "نار"], k=10)
    assert {rowid for rowid, _ in hits} == {1, 2, 3, 5}
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert len(lexical_index.search(connection, "chunk_terms", ["وقف", "نار"], k=2)) == 2


def test_within_scores_only_the_listed_rows_as_the_full_search_does(
    connection: sqlite3.Connection,
) -> None:
    full = dict(lexical_index.search(connection, "chunk_terms", ["وقف", "نار"], k=10))
    within = lexical_index.search(connection, "chunk_terms", ["وقف", "نار"], 10, [2, 4, 5])
    assert [rowid for rowid, _ in within] == sorted({2, 5}, key=lambda rowid: -full[rowid])
    assert all(score == pytest.approx(full[rowid]) for rowid, score in within)
    limited = lexical_index.search(connection, "chunk_terms", ["وقف", "نار"], 1, [2, 5])
    assert limited == within[:1]
    assert lexical_index.search(connection, "chunk_terms", ["وقف"], 10, []) == []
