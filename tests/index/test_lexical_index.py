"""BM25: FTS5 finds the best chunks; the candidates' scores are computed from stored terms
and incremental statistics, and equal FTS5's own."""

from __future__ import annotations

import sqlite3

import pytest

from index import lexical_index, lexicon

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


def _statements_per_call(size: int) -> list[int]:
    """Statements run by adding, then removing, a group of ``size`` terms and by asking
    which of them the lexicon lacks."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.executescript(lexical_index.SCHEMA + lexicon.SCHEMA)
    texts = [" ".join(f"كلمة{i}" for i in range(size))]
    executed: list[str] = []
    connection.set_trace_callback(executed.append)
    counts = []
    for sign in (1, -1):
        lexical_index.update_term_stats(connection, texts, texts, [["كلمة1"]], sign)
        counts.append(len(executed))
    lexicon.unknown_terms(connection, texts[0].split())
    counts.append(len(executed))
    connection.set_trace_callback(None)
    assert connection.execute("SELECT count(*) FROM term_stats").fetchone() == (0,)
    return [after - before for before, after in zip([0, *counts], counts, strict=False)]


def test_a_group_of_any_size_is_counted_in_the_same_few_statements() -> None:
    """executemany would run one statement per term, each handing the GIL back and forth
    with the ingest's other thread; a group's ~2,400 terms are written in one."""
    small, large = _statements_per_call(3), _statements_per_call(3000)
    assert small == large
    assert max(large) <= 3


def test_unknown_terms_keeps_the_order_asked() -> None:
    connection = sqlite3.connect(":memory:")
    connection.executescript(lexicon.SCHEMA)
    connection.execute(
        "INSERT INTO lexicon(term, surface, vector, generation) VALUES ('ب', 'ب', x'', 1)"
    )
    assert lexicon.unknown_terms(connection, ["ج", "ب", "أ", "ج", '"x"']) == ["ج", "أ", '"x"']
    assert lexicon.unknown_terms(connection, []) == []
