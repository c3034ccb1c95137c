"""Reads of the document store inside one snapshot (an open read transaction).

Everything a reader returns belongs to the same generation: a write that commits meanwhile
is invisible until the next snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index import lexical_index, lexicon
from index.article import Article
from index.rows import Matrix, StoreCounts, StoredChunk, StoredSentence

_ARTICLE_COLUMNS = "doc_id, title, text, lang, url, published, source, summary"
_CHUNK_COLUMNS = "c.id, a.doc_id, c.first_sentence, c.last_sentence, c.start, c.end, c.article"
_BATCH = 500


def from_blob(blob: bytes) -> Matrix:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)


@dataclass(frozen=True, slots=True)
class ArticleAttributes:
    """What filters look at, by article key."""

    keys: npt.NDArray[np.int64]
    sources: list[str | None]
    langs: list[str | None]
    published: list[str | None]


@dataclass(frozen=True, slots=True)
class StoreChanges:
    """Rows removed and added after one generation, up to the snapshot's."""

    removed_articles: npt.NDArray[np.int64]
    removed_chunks: npt.NDArray[np.int64]
    removed_lexicon: npt.NDArray[np.int64]
    added_articles: ArticleAttributes


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


class StoreReader:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        # term statistics already read in this snapshot: a question weighs its terms, picks
        # the ones to search and scores candidates with the same rows
        self._frequencies: dict[str, tuple[int, int]] = {}

    @property
    def connection(self) -> sqlite3.Connection:
        return self._connection

    def _batched(self, sql: str, values: Sequence[object]) -> Iterator[tuple[object, ...]]:
        """Run ``sql`` (with one ``{}`` for an IN list) over ``values`` in batches."""
        for begin in range(0, len(values), _BATCH):
            part = list(values[begin : begin + _BATCH])
            yield from self._connection.execute(sql.format(_placeholders(len(part))), part)

    # --- metadata and counts --------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def count(self, name: str) -> int:
        row = self._connection.execute(
            "SELECT value FROM counts WHERE name = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def generation(self) -> int:
        return self.count("generation")

    def counts(self) -> StoreCounts:
        return StoreCounts(
            self.count("articles"),
            self.count("chunks"),
            self.count("sentences"),
            self.generation(),
        )

    def log_floor(self) -> int:
        """Removals at or before this generation are no longer logged."""
        value = self.meta("log_floor")
        return int(value) if value is not None else 0

    # --- articles -------------------------------------------------------------------------
    def article(self, doc_id: str) -> Article | None:
        row = self._connection.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else Article(*row)

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        rows = self._batched(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE doc_id IN ({{}})",
            list(dict.fromkeys(doc_ids)),
        )
        return {str(row[0]): Article(*row) for row in rows}  # type: ignore[arg-type]

    def list_articles(self, offset: int, limit: int) -> list[Article]:
        rows = self._connection.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY doc_id LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [Article(*row) for row in rows]

    def unchanged_ids(self, articles: Sequence[Article]) -> set[str]:
        """Ids of the articles stored with exactly this content (same content hash)."""
        hashes = {article.id: article.content_hash() for article in articles}
        rows = self._batched(
            "SELECT doc_id, content_hash FROM articles WHERE doc_id IN ({})", list(hashes)
        )
        return {str(row[0]) for row in rows if row[1] is not None and hashes[str(row[0])] == row[1]}

    def article_keys(self, doc_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        rows = self._batched("SELECT key FROM articles WHERE doc_id IN ({})", list(doc_ids))
        return np.asarray([int(row[0]) for row in rows], dtype=np.int64)  # type: ignore[call-overload]

    # --- chunks and sentences -------------------------------------------------------------
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        rows = self._batched(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN articles a ON a.key = c.article"
            " WHERE c.id IN ({})",
            [int(i) for i in chunk_ids],
        )
        return {int(row[0]): StoredChunk(*row) for row in rows}  # type: ignore[arg-type, call-overload]

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> dict[int, Matrix]:
        rows = self._batched(
            "SELECT id, vector FROM chunks WHERE id IN ({})", [int(i) for i in chunk_ids]
        )
        return {int(row[0]): from_blob(row[1]) for row in rows}  # type: ignore[arg-type, call-overload]

    def sentences(self, doc_id: str, first: int, last: int) -> list[StoredSentence]:
        """Sentences at positions [first, last] of one article, with vectors and terms."""
        rows = self._connection.execute(
            "SELECT s.position, s.start, s.end, s.terms, s.vector FROM sentences s"
            " JOIN articles a ON a.key = s.article"
            " WHERE a.doc_id = ? AND s.position BETWEEN ? AND ? ORDER BY s.position",
            (doc_id, first, last),
        ).fetchall()
        return [
            StoredSentence(doc_id, int(p), int(s), int(e), from_blob(v), frozenset(t.split()))
            for p, s, e, t, v in rows
        ]

    def sentences_of_chunks(self, chunks: Sequence[StoredChunk]) -> dict[int, list[StoredSentence]]:
        """Each chunk's sentences, with vectors and terms, read in one query."""
        found: dict[tuple[int, int], StoredSentence] = {}
        doc_ids = {chunk.article_key: chunk.doc_id for chunk in chunks}
        for begin in range(0, len(chunks), 100):
            part = chunks[begin : begin + 100]
            where = " OR ".join(["(article = ? AND position BETWEEN ? AND ?)"] * len(part))
            values = [v for c in part for v in (c.article_key, c.first_sentence, c.last_sentence)]
            for key, position, start, end, terms, vector in self._connection.execute(
                f"SELECT article, position, start, end, terms, vector FROM sentences WHERE {where}",
                values,
            ):
                found[(key, position)] = StoredSentence(
                    doc_ids[key], position, start, end, from_blob(vector), frozenset(terms.split())
                )
        return {
            chunk.id: [
                found[(chunk.article_key, position)]
                for position in range(chunk.first_sentence, chunk.last_sentence + 1)
                if (chunk.article_key, position) in found
            ]
            for chunk in chunks
        }

    # --- lexical --------------------------------------------------------------------------
    def lexical_search(self, terms: Sequence[str], limit: int | None) -> list[tuple[int, float]]:
        return lexical_index.search(self._connection, terms, limit)

    def term_frequencies(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Per term some sentence or chunk holds: (sentences, chunks) that hold it."""
        missing = [term for term in dict.fromkeys(terms) if term not in self._frequencies]
        if missing:
            found = lexical_index.term_frequencies(self._connection, missing)
            self._frequencies.update((term, found.get(term, (0, 0))) for term in missing)
        return {
            term: self._frequencies[term]
            for term in dict.fromkeys(terms)
            if self._frequencies[term] != (0, 0)
        }

    def lexical_scores(self, terms: Sequence[str], chunk_ids: Sequence[int]) -> dict[int, float]:
        """BM25 of ``terms`` for exactly these chunks (those with no term are left out)."""
        stored = lexical_index.chunk_term_rows(self._connection, chunk_ids)
        frequencies = self.term_frequencies(terms)
        chunk_count = self.count("chunks")
        average = self.count("chunk_tokens") / max(chunk_count, 1)
        return lexical_index.bm25_scores(
            terms,
            stored,
            {term: chunks for term, (_, chunks) in frequencies.items()},
            chunk_count,
            average,
        )

    def sentence_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """Per term, how many sentences hold it, and the number of sentences."""
        found = self.term_frequencies(terms)
        return {term: sentences for term, (sentences, _) in found.items()}, self.count("sentences")

    # --- the change log -------------------------------------------------------------------
    def changes_since(self, generation: int) -> StoreChanges:
        removed: dict[str, list[int]] = {"article": [], "chunk": [], "lexicon": []}
        for kind, row_id in self._connection.execute(
            "SELECT kind, id FROM removed WHERE generation > ?", (generation,)
        ):
            removed[str(kind)].append(int(row_id))
        return StoreChanges(
            np.asarray(removed["article"], dtype=np.int64),
            np.asarray(removed["chunk"], dtype=np.int64),
            np.asarray(removed["lexicon"], dtype=np.int64),
            self.article_attributes(since=generation),
        )

    def article_attributes(self, since: int = -1) -> ArticleAttributes:
        rows = self._connection.execute(
            "SELECT key, source, lang, published FROM articles WHERE generation > ?", (since,)
        ).fetchall()
        return ArticleAttributes(
            np.asarray([row[0] for row in rows], dtype=np.int64),
            [row[1] for row in rows],
            [row[2] for row in rows],
            [row[3] for row in rows],
        )

    def chunk_rows_since(
        self, generation: int, batch: int = 20_000
    ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Matrix]]:
        """(chunk ids, article keys, vectors) of chunks added after ``generation``."""
        cursor = self._connection.execute(
            # no ORDER BY: sorting by id would make SQLite scan the whole table in id order
            # instead of reading the few rows the generation index points at
            "SELECT id, article, vector FROM chunks WHERE generation > ?",
            (generation,),
        )
        while rows := cursor.fetchmany(batch):
            yield (
                np.asarray([row[0] for row in rows], dtype=np.int64),
                np.asarray([row[1] for row in rows], dtype=np.int64),
                np.frombuffer(b"".join(row[2] for row in rows), dtype=np.float16)
                .reshape(len(rows), -1)
                .astype(np.float32),
            )

    def chunk_sample(self, size: int) -> Matrix:
        """Up to ``size`` chunk vectors spread evenly over the corpus, to train an index."""
        return self._sample("chunks", self.count("chunks"), size)

    def lexicon_sample(self, size: int) -> Matrix:
        return self._sample("lexicon", self.lexicon_size(), size)

    def _sample(self, table: str, total: int, size: int) -> Matrix:
        step = max(1, total // max(size, 1))
        rows = self._connection.execute(
            f"SELECT vector FROM {table} WHERE id % ? = 0 LIMIT ?", (step, size)
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return (
            np.frombuffer(b"".join(row[0] for row in rows), dtype=np.float16)
            .reshape(len(rows), -1)
            .astype(np.float32)
        )

    def lexicon_rows_since(
        self, generation: int, batch: int = 20_000
    ) -> Iterator[tuple[npt.NDArray[np.int64], Matrix]]:
        cursor = self._connection.execute(
            "SELECT id, vector FROM lexicon WHERE generation > ?", (generation,)
        )
        while rows := cursor.fetchmany(batch):
            yield (
                np.asarray([row[0] for row in rows], dtype=np.int64),
                np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float16)
                .reshape(len(rows), -1)
                .astype(np.float32),
            )

    def unknown_lexicon_terms(self, terms: Sequence[str]) -> list[str]:
        return lexicon.unknown_terms(self._connection, terms)

    def lexicon_terms(self) -> set[str]:
        """Every term of the lexicon (about 1M at most: tens of MB)."""
        return {str(row[0]) for row in self._connection.execute("SELECT term FROM lexicon")}

    def lexicon_size(self) -> int:
        return self.count("lexicon_terms")
