"""BM25 over lexical terms: FTS5 for finding chunks, term statistics kept incrementally.

Living in the same SQLite file as the articles, the lexical index commits in the same
transaction as they do: it can never disagree with the store after a crash. Per question the
work does not grow with the corpus: document frequencies come from ``term_stats`` (one row
per term, updated by each write), and the candidates' BM25 is computed here from their stored
terms with the formula FTS5 uses, instead of matching the whole table again.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    terms, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS term_stats (
    term TEXT PRIMARY KEY, sentences INTEGER NOT NULL, chunks INTEGER NOT NULL,
    articles INTEGER NOT NULL
) WITHOUT ROWID;
"""
# FTS5's bm25() defaults
K1 = 1.2
B = 0.75


def insert_chunk_terms(connection: sqlite3.Connection, rows: Iterable[tuple[int, str]]) -> None:
    connection.executemany("INSERT INTO chunk_terms(rowid, terms) VALUES (?, ?)", rows)


def delete_chunk_terms(connection: sqlite3.Connection, chunk_ids: Sequence[int]) -> list[str]:
    """Remove the chunks' terms; returns them, so that their statistics can follow."""
    removed = [terms for _, terms in chunk_term_rows(connection, chunk_ids).items()]
    connection.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in chunk_ids])
    return removed


def update_term_stats(
    connection: sqlite3.Connection,
    sentence_terms: Iterable[str],
    chunk_terms: Iterable[str],
    article_terms: Iterable[Iterable[str]],
    sign: int,
) -> tuple[int, list[str]]:
    """Add (sign 1) or remove (sign -1) the document frequencies of these sentences and
    chunks (space-separated terms each) and the articles holding each lexicon term, in one
    upsert per term: a write dirties each statistics page once. Returns the change in total
    chunk tokens and, on removal, the terms that no article holds any more."""
    sentences: Counter[str] = Counter()
    chunks: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    tokens = 0
    for text in sentence_terms:
        sentences.update(set(text.split()))
    for text in chunk_terms:
        split = text.split()
        tokens += len(split)
        chunks.update(set(split))
    for terms in article_terms:
        articles.update(set(terms))
    rows = sorted(
        [term, sign * sentences[term], sign * chunks[term], sign * articles[term]]
        for term in sentences.keys() | chunks.keys() | articles.keys()
    )
    # One statement over a JSON array, not executemany: sqlite3 releases the GIL around every
    # step, and with a thread beside it running Python each of a group's ~2,400 rows waited
    # to get it back (at 100,000 articles this upsert took three times its own time)
    changed = json.dumps(rows, ensure_ascii=False)
    connection.execute(
        "INSERT INTO term_stats(term, sentences, chunks, articles)"
        " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
        " json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?) WHERE true"
        " ON CONFLICT(term) DO UPDATE SET sentences = sentences + excluded.sentences,"
        " chunks = chunks + excluded.chunks, articles = articles + excluded.articles",
        [changed],
    )
    orphans: list[str] = []
    if sign < 0:
        orphans = [
            str(row[0])
            for row in connection.execute(
                "SELECT term FROM term_stats WHERE articles <= 0"
                " AND term IN (SELECT value FROM json_each(?)) ORDER BY term",
                [json.dumps(sorted(articles), ensure_ascii=False)],
            )
        ]
        connection.execute(
            "DELETE FROM term_stats WHERE sentences <= 0 AND chunks <= 0 AND articles <= 0"
            " AND term IN (SELECT json_extract(value, '$[0]') FROM json_each(?))",
            [changed],
        )
    return sign * tokens, orphans


def match_expression(query_terms: Sequence[str]) -> str | None:
    """An FTS5 OR-query of the distinct terms, each quoted so that no term is an operator."""
    quoted = [f'"{term.replace(chr(34), "")}"' for term in dict.fromkeys(query_terms) if term]
    return " OR ".join(quoted) if quoted else None


def search(
    connection: sqlite3.Connection, query_terms: Sequence[str], limit: int | None
) -> list[tuple[int, float]]:
    """Best (chunk id, BM25 score) pairs, highest first; every match when limit is None."""
    expression = match_expression(query_terms)
    if expression is None or (limit is not None and limit <= 0):
        return []
    # FTS5's bm25() is lower-is-better; negate it so that every score in Iqtibas grows
    sql = "SELECT rowid, -bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
    if limit is None:
        rows = connection.execute(sql, [expression]).fetchall()
    else:
        ordered = sql + " ORDER BY bm25(chunk_terms) LIMIT ?"
        rows = connection.execute(ordered, [expression, limit]).fetchall()
    return [(int(rowid), float(score)) for rowid, score in rows]


def chunk_term_rows(connection: sqlite3.Connection, chunk_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for begin in range(0, len(chunk_ids), 500):
        part = [int(i) for i in chunk_ids[begin : begin + 500]]
        rows = connection.execute(
            f"SELECT rowid, terms FROM chunk_terms WHERE rowid IN ({', '.join('?' * len(part))})",
            part,
        ).fetchall()
        found.update((int(rowid), str(terms)) for rowid, terms in rows)
    return found


def term_frequencies(
    connection: sqlite3.Connection, terms: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Per term some sentence or chunk holds: (sentences, chunks) that hold it."""
    wanted = list(dict.fromkeys(terms))
    found: dict[str, tuple[int, int]] = {}
    for begin in range(0, len(wanted), 500):
        part = wanted[begin : begin + 500]
        rows = connection.execute(
            "SELECT term, sentences, chunks FROM term_stats"
            f" WHERE term IN ({', '.join('?' * len(part))}) AND (sentences > 0 OR chunks > 0)",
            part,
        ).fetchall()
        found.update((str(term), (int(s), int(c))) for term, s, c in rows)
    return found


def bm25_scores(
    query_terms: Sequence[str],
    chunk_terms: dict[int, str],
    chunk_frequencies: dict[str, int],
    chunk_count: int,
    average_length: float,
) -> dict[int, float]:
    """FTS5's BM25 of an OR-query for the given chunks: the same numbers as ``-bm25()``
    (idf floored at 1e-6 for very common terms), computed from stored terms alone."""
    distinct = list(dict.fromkeys(term for term in query_terms if term))
    idf = {}
    for term in distinct:
        hits = chunk_frequencies.get(term, 0)
        value = math.log((chunk_count - hits + 0.5) / (hits + 0.5)) if hits else 0.0
        idf[term] = value if value > 0 else 1e-6
    scores: dict[int, float] = {}
    for chunk_id, text in chunk_terms.items():
        tokens = text.split()
        counts = Counter(tokens)
        norm = K1 * (1 - B + B * len(tokens) / max(average_length, 1e-9))
        score = sum(
            idf[term] * counts[term] * (K1 + 1) / (counts[term] + norm)
            for term in distinct
            if counts.get(term)
        )
        if score > 0:
            scores[chunk_id] = score
    return scores
