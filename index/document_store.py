"""SQLite document store: articles, their sentences and chunks, and the vectors of both.

SQLite is the source of truth. Each write is one transaction that also bumps a generation
counter, so a crash leaves either the old or the new state, and the FAISS files (a cache of
the vectors kept here) can always be checked against, and rebuilt from, this store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index import lexical_index, lexicon
from index.article import Article
from index.filters import ArticleFilter

Matrix = npt.NDArray[np.float32]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, lang TEXT, url TEXT,
    published TEXT, source TEXT, summary TEXT, added_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS sentences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES articles(doc_id) ON DELETE CASCADE,
    position INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES articles(doc_id) ON DELETE CASCADE,
    first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_by_doc ON sentences(doc_id, position);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
"""
_ARTICLE_COLUMNS = "doc_id, title, text, lang, url, published, source, summary"


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article with its sentence and chunk spans, their vectors and lexical terms."""

    article: Article
    sentence_spans: Sequence[tuple[int, int]]
    sentence_vectors: Matrix
    sentence_terms: Sequence[str]  # space-separated terms per sentence
    chunk_spans: Sequence[tuple[int, int, int, int]]  # first, last sentence, start, end
    chunk_vectors: Matrix
    chunk_terms: Sequence[str]


@dataclass(frozen=True, slots=True)
class LexiconEntries:
    """New cross-lingual lexicon terms, embedded through a representative word form."""

    terms: Sequence[str]
    surfaces: Sequence[str]
    vectors: Matrix


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: int
    doc_id: str
    first_sentence: int
    last_sentence: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class StoredSentence:
    id: int
    doc_id: str
    position: int
    start: int
    end: int
    vector: Matrix


@dataclass(frozen=True, slots=True)
class VectorDelta:
    """What one write changed, so that the vector indexes can follow without a rebuild."""

    generation: int
    removed_chunk_ids: list[int]
    added_chunk_ids: list[int]
    added_chunk_vectors: Matrix
    removed_sentence_ids: list[int]
    added_sentence_ids: list[int]
    added_sentence_vectors: Matrix


@dataclass(frozen=True, slots=True)
class StoreCounts:
    articles: int
    chunks: int
    sentences: int
    generation: int


def _to_blob(vector: Matrix) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _from_blob(blob: bytes) -> Matrix:
    return np.frombuffer(blob, dtype=np.float32)


def _stack(vectors: list[Matrix], dimension: int) -> Matrix:
    if not vectors:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32, copy=False)


class DocumentStore:
    """Thread-safe access to one SQLite file; every public write is a single transaction."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a write acknowledged to a client must survive a power cut, not only a crash
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        self._connection.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._connection.executescript(_SCHEMA + lexical_index.SCHEMA + lexicon.SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    # --- metadata -----------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT value FROM meta WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, values: dict[str, str]) -> None:
        with self._lock, self._transaction():
            self._connection.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values.items()
            )

    def generation(self) -> int:
        value = self.get_meta("generation")
        return int(value) if value is not None else 0

    # --- writes -------------------------------------------------------------------------
    def replace_articles(
        self,
        prepared: Sequence[PreparedArticle],
        dimension: int,
        lexicon_entries: LexiconEntries | None = None,
    ) -> VectorDelta:
        """Insert or replace whole articles (their old chunks and sentences go) atomically."""
        with self._lock, self._transaction():
            if lexicon_entries is not None:
                lexicon.insert_entries(
                    self._connection,
                    lexicon_entries.terms,
                    lexicon_entries.surfaces,
                    lexicon_entries.vectors,
                )
            removed_chunks, removed_sentences = self._delete_rows([p.article.id for p in prepared])
            chunk_ids: list[int] = []
            sentence_ids: list[int] = []
            for item in prepared:
                self._insert_article(item.article)
                sentence_ids.extend(self._insert_sentences(item))
                chunk_ids.extend(self._insert_chunks(item))
            generation = self._bump_generation()
        return VectorDelta(
            generation=generation,
            removed_chunk_ids=removed_chunks,
            added_chunk_ids=chunk_ids,
            added_chunk_vectors=_stack([p.chunk_vectors for p in prepared], dimension),
            removed_sentence_ids=removed_sentences,
            added_sentence_ids=sentence_ids,
            added_sentence_vectors=_stack([p.sentence_vectors for p in prepared], dimension),
        )

    def delete_articles(
        self, doc_ids: Sequence[str], dimension: int
    ) -> tuple[list[str], VectorDelta]:
        """Delete articles; returns the ids that existed and the vector change."""
        with self._lock, self._transaction():
            existing = [
                doc_id
                for doc_id in doc_ids
                if self._connection.execute(
                    "SELECT 1 FROM articles WHERE doc_id = ?", (doc_id,)
                ).fetchone()
            ]
            removed_chunks, removed_sentences = self._delete_rows(existing)
            generation = self._bump_generation() if existing else self.generation()
        empty = np.zeros((0, dimension), dtype=np.float32)
        return existing, VectorDelta(
            generation, removed_chunks, [], empty, removed_sentences, [], empty
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)

    def _delete_rows(self, doc_ids: Sequence[str]) -> tuple[list[int], list[int]]:
        removed_chunks: list[int] = []
        removed_sentences: list[int] = []
        for doc_id in doc_ids:
            removed_chunks += [
                row[0]
                for row in self._connection.execute(
                    "SELECT id FROM chunks WHERE doc_id = ?", (doc_id,)
                )
            ]
            removed_sentences += [
                row[0]
                for row in self._connection.execute(
                    "SELECT id FROM sentences WHERE doc_id = ?", (doc_id,)
                )
            ]
            self._connection.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))
        lexical_index.delete_terms(self._connection, "chunk_terms", removed_chunks)
        lexical_index.delete_terms(self._connection, "sentence_terms", removed_sentences)
        return removed_chunks, removed_sentences

    def _insert_article(self, article: Article) -> None:
        self._connection.execute(
            f"INSERT INTO articles({_ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.title,
                article.text,
                article.lang,
                article.url,
                article.published,
                article.source,
                article.summary,
            ),
        )

    def _insert_sentences(self, item: PreparedArticle) -> list[int]:
        ids = []
        for position, ((start, end), vector, terms) in enumerate(
            zip(item.sentence_spans, item.sentence_vectors, item.sentence_terms, strict=True)
        ):
            cursor = self._connection.execute(
                "INSERT INTO sentences(doc_id, position, start, end, vector)"
                " VALUES (?, ?, ?, ?, ?)",
                (item.article.id, position, start, end, _to_blob(vector)),
            )
            ids.append(int(cursor.lastrowid or 0))
            lexical_index.insert_terms(self._connection, "sentence_terms", ids[-1], terms)
        return ids

    def _insert_chunks(self, item: PreparedArticle) -> list[int]:
        ids = []
        for (first, last, start, end), vector, terms in zip(
            item.chunk_spans, item.chunk_vectors, item.chunk_terms, strict=True
        ):
            cursor = self._connection.execute(
                "INSERT INTO chunks(doc_id, first_sentence, last_sentence, start, end, vector)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (item.article.id, first, last, start, end, _to_blob(vector)),
            )
            ids.append(int(cursor.lastrowid or 0))
            lexical_index.insert_terms(self._connection, "chunk_terms", ids[-1], terms)
        return ids

    def _bump_generation(self) -> int:
        generation = self.generation() + 1
        self._connection.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', ?)", (str(generation),)
        )
        return generation

    # --- reads --------------------------------------------------------------------------
    def get_article(self, doc_id: str) -> Article | None:
        with self._lock:
            row = self._connection.execute(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE doc_id = ?", (doc_id,)
            ).fetchone()
        return None if row is None else _article_from_row(row)

    def get_articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        return {
            doc_id: article
            for doc_id in dict.fromkeys(doc_ids)
            if (article := self.get_article(doc_id)) is not None
        }

    def list_articles(self, offset: int, limit: int) -> list[Article]:
        with self._lock:
            rows = self._connection.execute(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY doc_id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_article_from_row(row) for row in rows]

    def matching_doc_ids(self, article_filter: ArticleFilter) -> set[str]:
        where, parameters = article_filter.sql_where()
        with self._lock:
            rows = self._connection.execute(
                f"SELECT doc_id FROM articles WHERE {where}", parameters
            ).fetchall()
        return {str(row[0]) for row in rows}

    def article_ids(self) -> list[str]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT doc_id FROM articles ORDER BY doc_id"
            ).fetchall()
        return [str(row[0]) for row in rows]

    def counts(self) -> StoreCounts:
        with self._lock:
            articles, chunks, sentences = (
                int(self._connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("articles", "chunks", "sentences")
            )
            return StoreCounts(articles, chunks, sentences, self.generation())

    def get_chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        with self._lock:
            found = {}
            for chunk_id in chunk_ids:
                row = self._connection.execute(
                    "SELECT id, doc_id, first_sentence, last_sentence, start, end"
                    " FROM chunks WHERE id = ?",
                    (int(chunk_id),),
                ).fetchone()
                if row is not None:
                    found[int(row[0])] = StoredChunk(*row)
        return found

    def get_sentences(self, doc_id: str, first: int, last: int) -> list[StoredSentence]:
        """Sentences at positions [first, last] of one article, with their vectors."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT id, doc_id, position, start, end, vector FROM sentences"
                " WHERE doc_id = ? AND position BETWEEN ? AND ? ORDER BY position",
                (doc_id, first, last),
            ).fetchall()
        return [_sentence_from_row(row) for row in rows]

    def lexical_search(
        self, table: str, terms: Sequence[str], k: int, within: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        with self._lock:
            return lexical_index.search(self._connection, table, terms, k, within)

    def stored_terms(self, table: str, rowids: Sequence[int]) -> dict[int, str]:
        with self._lock:
            return lexical_index.stored_terms(self._connection, table, rowids)

    def document_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        with self._lock:
            return lexical_index.document_frequencies(self._connection, terms)

    def unknown_lexicon_terms(self, terms: Sequence[str]) -> list[str]:
        with self._lock:
            return lexicon.unknown_terms(self._connection, terms)

    def load_lexicon(self, dimension: int) -> lexicon.Lexicon:
        with self._lock:
            return lexicon.Lexicon.load(self._connection, dimension)

    def sentences_by_ids(self, sentence_ids: Sequence[int]) -> dict[int, StoredSentence]:
        with self._lock:
            found = {}
            for sentence_id in sentence_ids:
                row = self._connection.execute(
                    "SELECT id, doc_id, position, start, end, vector FROM sentences WHERE id = ?",
                    (int(sentence_id),),
                ).fetchone()
                if row is not None:
                    found[int(row[0])] = _sentence_from_row(row)
        return found

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> Matrix:
        with self._lock:
            vectors = []
            for chunk_id in chunk_ids:
                row = self._connection.execute(
                    "SELECT vector FROM chunks WHERE id = ?", (int(chunk_id),)
                ).fetchone()
                vectors.append(_from_blob(row[0]))
        return np.vstack(vectors)

    def chunks_containing(self, doc_id: str, position: int) -> list[StoredChunk]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT id, doc_id, first_sentence, last_sentence, start, end FROM chunks"
                " WHERE doc_id = ? AND first_sentence <= ? AND last_sentence >= ?",
                (doc_id, position, position),
            ).fetchall()
        return [StoredChunk(*row) for row in rows]

    def iter_vectors(
        self, table: str, batch_size: int = 4096
    ) -> Iterator[tuple[list[int], Matrix]]:
        """All (ids, vectors) of ``chunks`` or ``sentences``, in batches, to rebuild FAISS."""
        if table not in ("chunks", "sentences"):
            raise ValueError(f"no vectors in table {table!r}")
        with self._lock:
            cursor = self._connection.execute(f"SELECT id, vector FROM {table} ORDER BY id")
            while batch := cursor.fetchmany(batch_size):
                yield [int(row[0]) for row in batch], np.vstack([_from_blob(r[1]) for r in batch])


def _sentence_from_row(row: tuple[Any, ...]) -> StoredSentence:
    sentence_id, doc_id, position, start, end, blob = row
    return StoredSentence(int(sentence_id), str(doc_id), position, start, end, _from_blob(blob))


def _article_from_row(row: tuple[str, ...]) -> Article:
    doc_id, title, text, lang, url, published, source, summary = row
    return Article(doc_id, title, text, lang, url, published, source, summary)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self._connection.execute("COMMIT" if exc_type is None else "ROLLBACK")
