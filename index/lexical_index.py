"""BM25 over lexical terms with SQLite FTS5, inside the document store's database.

Living in the same SQLite file as the articles, the lexical index commits in the same
transaction as they do: it can never disagree with the store after a crash.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

LEXICAL_TABLES = ("chunk_terms", "sentence_terms")

SCHEMA = "\n".join(
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
    "terms, tokenize = 'unicode61 remove_diacritics 0');"
    for table in LEXICAL_TABLES
)


def _check(table: str) -> None:
    if table not in LEXICAL_TABLES:
        raise ValueError(f"no lexical table {table!r}")


def insert_terms(connection: sqlite3.Connection, table: str, rowid: int, terms: str) -> None:
    _check(table)
    connection.execute(f"INSERT INTO {table}(rowid, terms) VALUES (?, ?)", (rowid, terms))


def delete_terms(connection: sqlite3.Connection, table: str, rowids: Sequence[int]) -> None:
    _check(table)
    connection.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i in rowids])


def match_expression(query_terms: Sequence[str]) -> str | None:
    """An FTS5 OR-query of the distinct terms, each quoted so that no term is an operator."""
    quoted = [f'"{term.replace(chr(34), "")}"' for term in dict.fromkeys(query_terms) if term]
    return " OR ".join(quoted) if quoted else None


def search(
    connection: sqlite3.Connection,
    table: str,
    query_terms: Sequence[str],
    k: int,
    within: Sequence[int] | None = None,
) -> list[tuple[int, float]]:
    """Best ``k`` (rowid, BM25 score) pairs, highest first; optionally only among ``within``."""
    _check(table)
    expression = match_expression(query_terms)
    if expression is None or k <= 0 or (within is not None and not within):
        return []
    # FTS5's bm25() is lower-is-better; negate it so that every score in Iqtibas grows
    if within is None:
        rows = connection.execute(
            f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ?"
            f" ORDER BY bm25({table}) LIMIT ?",
            [expression, k],
        ).fetchall()
    else:
        # "AND rowid IN (...)" makes FTS5 run the match once per listed row, twenty times
        # slower than scoring every match once and keeping the wanted rows here
        wanted = {int(rowid) for rowid in within}
        every = connection.execute(
            f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ?", [expression]
        ).fetchall()
        rows = sorted((row for row in every if row[0] in wanted), key=lambda row: -row[1])[:k]
    return [(int(rowid), float(score)) for rowid, score in rows]


def stored_terms(
    connection: sqlite3.Connection, table: str, rowids: Sequence[int]
) -> dict[int, str]:
    _check(table)
    if not rowids:
        return {}
    rows = connection.execute(
        f"SELECT rowid, terms FROM {table} WHERE rowid IN ({', '.join('?' * len(rowids))})",
        [int(rowid) for rowid in rowids],
    ).fetchall()
    return {int(rowid): str(terms) for rowid, terms in rows}


def document_frequencies(
    connection: sqlite3.Connection, terms: Sequence[str]
) -> tuple[dict[str, int], int]:
    """Per term, how many sentences hold it, and the number of sentences."""
    total = int(connection.execute("SELECT count(*) FROM sentence_terms").fetchone()[0])
    frequencies: dict[str, int] = {}
    for term in dict.fromkeys(terms):
        expression = match_expression([term])
        if expression is None:
            continue
        row = connection.execute(
            "SELECT count(*) FROM sentence_terms WHERE sentence_terms MATCH ?", (expression,)
        ).fetchone()
        frequencies[term] = int(row[0])
    return frequencies, total
