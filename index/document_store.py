"""SQLite document store: articles, their sentences and chunks, vectors, terms and lexicon.

SQLite is the source of truth. Each write is one transaction that also bumps a generation
counter, so a crash leaves either the old or the new state. Every row that the in-memory
indexes mirror carries the generation that added it, and every removal is logged with its
generation (``removed``), so that those indexes follow any write, by this process or another,
in O(change) from a snapshot of any earlier generation (see live_indexes.py). Counts live in a
small table updated by each write, never recounted.

Vectors are stored once, as float16: chunk vectors for rebuilding and exact re-ranking,
sentence vectors for scoring quotes inside retrieved chunks.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from index import lexical_index, lexicon
from index.passages import arabic_term_surfaces
from index.rows import LexiconEntries, PreparedArticle, StoreCounts
from index.store_reader import StoreReader

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    key INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL, text TEXT NOT NULL, lang TEXT, url TEXT, published TEXT, source TEXT,
    summary TEXT, added_at TEXT NOT NULL DEFAULT (datetime('now')),
    generation INTEGER NOT NULL, content_hash TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_generation ON articles(generation);
CREATE INDEX IF NOT EXISTS articles_by_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_by_lang ON articles(lang);
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published);
CREATE TABLE IF NOT EXISTS sentences (
    article INTEGER NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, terms TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (article, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, article INTEGER NOT NULL,
    first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, vector BLOB NOT NULL,
    generation INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article);
CREATE INDEX IF NOT EXISTS chunks_by_generation ON chunks(generation);
CREATE TABLE IF NOT EXISTS removed (
    generation INTEGER NOT NULL, kind TEXT NOT NULL, id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS removed_by_generation ON removed(generation);
"""
_ARTICLE_COLUMNS = "doc_id, title, text, lang, url, published, source, summary"
WAL_CHECKPOINT_PAGES = 16_000


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


class DocumentStore:
    """One SQLite file: a writer connection (one write transaction at a time) and a
    read connection per thread, each read inside its own snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        self._connection = self._connect()
        # the writer's pages (B-tree interiors of every index it updates) stay cached
        self._connection.execute("PRAGMA cache_size=-65536")
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        with self._write_lock:
            self._connection.executescript(_SCHEMA + lexical_index.SCHEMA + lexicon.SCHEMA)
            self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Columns added since a store was created: ``content_hash`` (NULL for the articles
        stored before it, so that they are rewritten once when ingested again)."""
        with self._transaction():
            columns = {row[1] for row in self._connection.execute("PRAGMA table_info(articles)")}
            if "content_hash" not in columns:
                self._connection.execute("ALTER TABLE articles ADD COLUMN content_hash TEXT")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a write acknowledged to a client must survive a power cut, not only a crash
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=30000")
        # A commit group dirties pages all over the term statistics and the lexicon, more
        # of them as the vocabulary grows; checkpointing every 64 MB of WAL instead of every
        # 4 MB copies each page once for many commits instead of once for every one or two
        # (ingest at 40,000 articles: 154 articles/s instead of 136; scale report)
        connection.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        return connection

    def close(self) -> None:
        with self._write_lock, self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._connection.close()

    # --- reading: every read runs inside one snapshot -------------------------------------
    @contextlib.contextmanager
    def snapshot(self) -> Iterator[StoreReader]:
        """A read transaction: everything read through the reader is one generation.
        Re-entrant within a thread (the outer snapshot is reused)."""
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield self._local.reader
            finally:
                self._local.depth -= 1
            return
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            connection.execute("PRAGMA query_only=ON")
            self._local.connection = connection
            with self._readers_lock:
                self._readers.append(connection)
        connection.execute("BEGIN")
        reader = StoreReader(connection)
        self._local.reader = reader
        self._local.depth = 1
        try:
            reader.generation()  # the first read fixes the snapshot
            yield reader
        finally:
            self._local.depth = 0
            self._local.reader = None
            connection.execute("COMMIT")

    # --- metadata -----------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.snapshot() as reader:
            return reader.meta(key)

    def set_meta(self, values: dict[str, str]) -> None:
        with self._write_lock, self._transaction():
            self._connection.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values.items()
            )

    def generation(self) -> int:
        with self.snapshot() as reader:
            return reader.generation()

    def counts(self) -> StoreCounts:
        with self.snapshot() as reader:
            return reader.counts()

    # --- writes -------------------------------------------------------------------------
    def replace_articles(
        self,
        prepared: Sequence[PreparedArticle],
        lexicon_entries: LexiconEntries | None,
        lexicon_terms: Sequence[Sequence[str]],
        max_lexicon_terms: int,
    ) -> int:
        """Insert or replace whole articles (their old chunks and sentences go) atomically;
        ``lexicon_terms`` are each article's lexicon terms. Returns the new generation."""
        with self._write_lock, self._transaction():
            generation = self._next_generation()
            if lexicon_entries is not None:
                room = max_lexicon_terms - self._count("lexicon_terms")
                added = lexicon.insert_entries(
                    self._connection,
                    lexicon_entries.terms[: max(0, room)],
                    lexicon_entries.surfaces[: max(0, room)],
                    lexicon_entries.vectors[: max(0, room)],
                    generation,
                )
                self._add_counts(lexicon_terms=added)
            # counted before the old versions go, so that a lexicon term they share is kept
            tokens, _ = lexical_index.update_term_stats(
                self._connection,
                [terms for item in prepared for terms in item.sentence_terms],
                [terms for item in prepared for terms in item.chunk_terms],
                lexicon_terms,
                1,
            )
            self._add_counts(chunk_tokens=tokens)
            self._remove_articles([p.article.id for p in prepared], generation)
            for item in prepared:
                self._insert(item, generation)
        return generation

    def delete_articles(self, doc_ids: Sequence[str]) -> tuple[list[str], int]:
        """Delete articles; returns the ids that existed and the generation after."""
        with self._write_lock, self._transaction():
            generation = self._next_generation()
            existing = self._remove_articles(doc_ids, generation)
            if not existing:
                # nothing changed: give the generation back (the transaction rolls back)
                raise _NothingChanged
        return existing, generation

    def prune_log(self, up_to_generation: int) -> None:
        """Forget removals at or before a generation that a saved snapshot covers. The floor
        never goes down: another process may have pruned further, under its newer snapshot."""
        with self._write_lock, self._transaction():
            self._connection.execute(
                "DELETE FROM removed WHERE generation <= ?", (up_to_generation,)
            )
            self._connection.execute(
                "INSERT INTO meta(key, value) VALUES ('log_floor', ?) ON CONFLICT(key) DO"
                " UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                (str(up_to_generation),),
            )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except _NothingChanged:
            self._connection.execute("ROLLBACK")
            return
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def _count(self, name: str) -> int:
        row = self._connection.execute(
            "SELECT value FROM counts WHERE name = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _add_counts(self, **changes: int) -> None:
        self._connection.executemany(
            "INSERT INTO counts(name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            [(name, change) for name, change in changes.items() if change],
        )

    def _next_generation(self) -> int:
        generation = self._count("generation") + 1
        self._add_counts(generation=1)
        return generation

    def _remove_articles(self, doc_ids: Sequence[str], generation: int) -> list[str]:
        """Remove articles with their rows, statistics and lexicon counts; log removals."""
        connection = self._connection
        existing: list[str] = []
        for doc_id in dict.fromkeys(doc_ids):
            row = connection.execute(
                "SELECT key, title, text FROM articles WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if row is None:
                continue
            key, title, text = int(row[0]), str(row[1]), str(row[2])
            existing.append(doc_id)
            chunk_ids = [
                int(r[0])
                for r in connection.execute("SELECT id FROM chunks WHERE article = ?", (key,))
            ]
            sentence_terms = [
                str(r[0])
                for r in connection.execute("SELECT terms FROM sentences WHERE article = ?", (key,))
            ]
            chunk_terms = lexical_index.delete_chunk_terms(connection, chunk_ids)
            tokens, unheld = lexical_index.update_term_stats(
                connection, sentence_terms, chunk_terms, [arabic_term_surfaces(title, text)], -1
            )
            orphans = lexicon.remove_terms(connection, unheld)
            connection.execute("DELETE FROM chunks WHERE article = ?", (key,))
            connection.execute("DELETE FROM sentences WHERE article = ?", (key,))
            connection.execute("DELETE FROM articles WHERE key = ?", (key,))
            connection.executemany(
                "INSERT INTO removed(generation, kind, id) VALUES (?, ?, ?)",
                [(generation, "article", key)]
                + [(generation, "chunk", i) for i in chunk_ids]
                + [(generation, "lexicon", i) for i in orphans],
            )
            self._add_counts(
                articles=-1,
                chunks=-len(chunk_ids),
                sentences=-len(sentence_terms),
                chunk_tokens=tokens,
                lexicon_terms=-len(orphans),
            )
        return existing

    def _insert(self, item: PreparedArticle, generation: int) -> None:
        connection = self._connection
        article = item.article
        cursor = connection.execute(
            f"INSERT INTO articles({_ARTICLE_COLUMNS}, generation, content_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.title,
                article.text,
                article.lang,
                article.url,
                article.published,
                article.source,
                article.summary,
                generation,
                article.content_hash(),
            ),
        )
        key = int(cursor.lastrowid or 0)
        connection.executemany(
            "INSERT INTO sentences(article, position, start, end, terms, vector)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (key, position, start, end, terms, to_blob(vector))
                for position, ((start, end), vector, terms) in enumerate(
                    zip(
                        item.sentence_spans, item.sentence_vectors, item.sentence_terms, strict=True
                    )
                )
            ],
        )
        chunk_rows = []
        for (first, last, start, end), vector, terms in zip(
            item.chunk_spans, item.chunk_vectors, item.chunk_terms, strict=True
        ):
            cursor = connection.execute(
                "INSERT INTO chunks(article, first_sentence, last_sentence, start, end, vector,"
                " generation) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, first, last, start, end, to_blob(vector), generation),
            )
            chunk_rows.append((int(cursor.lastrowid or 0), terms))
        lexical_index.insert_chunk_terms(connection, chunk_rows)
        # statistics: counted for the whole group by replace_articles
        self._add_counts(articles=1, chunks=len(chunk_rows), sentences=len(item.sentence_spans))


class _NothingChanged(Exception):
    """Raised inside a transaction that turned out to change nothing: roll it back."""
